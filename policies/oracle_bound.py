"""How the oracle bounds a run: the exact MILP when it is small, its LP relaxation when not.

Two methods, both from the one joint model (:class:`~optimizers.milp.model.JointModel`) over
the whole run with realized traces and every job:

- ``exact``: the MILP solved to the oracle's gap (1e-4 on the loss). The bound is the MIP's
  (the tighter of the branch-and-bound bound and the LP bound). ``run_bound_method = "milp"``.
- ``relaxed``: for runs too long for branch and bound. The solve pipeline's first phase is the
  LP relaxation of every integer column; its value (plus the model's constant and tie slack,
  as for every plan) is the bound, ``run_bound_method = "lp-relaxation"``. The plan executed
  is the pipeline's second phase, the neighbourhood sub-MIP around the LP support, solved to
  ``RELAXED_GAP`` (then at most the full MIP's root node): a feasible oracle-style plan whose
  gap to the bound is recorded.

Why the LP bound is valid (docs/milp.md, "Oracle for any horizon"): the MILP's objective is the
books' benefit term by term, so every policy's realized run is a feasible point of the MILP
with the same value (that is what makes the exact oracle's bound valid, checked by
tests/test_dominance.py); relaxing integrality only enlarges the feasible set, so the LP
optimum is >= the MILP optimum >= every policy's benefit. If the LP is integral it is the
MILP optimum (``phase = lp``) and the bound is tight.
"""

from __future__ import annotations

from dataclasses import replace

from optimizers.milp.solve import SolverOptions
from simulator.system import SystemModel

METHODS = ("auto", "exact", "relaxed")
EXACT_MAX_SITE_HOURS = 6_720  # auto: exact up to 8 weeks at 5 sites (real-2022: 672 h x 5)
RELAXED_GAP = 1e-3  # the relaxed sub-MIP works until 0.1 % of its own bound (or its nodes)
RELAXED_MIP_NODES = 1  # then at most the root of the full MIP, warm-started with its plan


def check_method(method: str) -> str:
    """``method`` if it is one of :data:`METHODS`; ValueError naming the option otherwise."""
    if method not in METHODS:
        raise ValueError(f"method: must be one of {', '.join(METHODS)}, got '{method}'")
    return method


def oracle_method(method: str, system: SystemModel, hours_total: int) -> str:
    """``exact`` or ``relaxed``: ``auto`` is exact when sites x hours <=
    :data:`EXACT_MAX_SITE_HOURS`."""
    if method != "auto":
        return method
    return "exact" if system.n_sites * hours_total <= EXACT_MAX_SITE_HOURS else "relaxed"


def solver_options_for(method: str, exact: SolverOptions) -> SolverOptions:
    """The oracle's solver options for ``method``: ``exact`` as given; ``relaxed`` keeps the LP
    and sub-MIP phases, the sub-MIP solved to :data:`RELAXED_GAP` (or its node limit), and, when
    the LP bound does not prove that gap, only the root node of the full MIP: the plan's gap to
    the bound is recorded whatever it is. (Accepting the sub-MIP's first incumbent, as before,
    kept whatever HiGHS found first when it rejected the warm start: 113 % below the bound on
    1,344 h of ``default`` with an interior-point LP.)"""
    if method == "exact":
        return exact
    return replace(exact, mip_gap=RELAXED_GAP, mip_nodes=RELAXED_MIP_NODES,
                   neighbourhood_h=max(exact.neighbourhood_h, 0))


def bound_method(method: str) -> str:
    """How an ``exact`` or ``relaxed`` oracle's bound is obtained (KPI ``oracle_bound_method``):
    ``milp`` (the MILP's bound, proven within the oracle's gap of its plan) or
    ``lp-relaxation`` (the LP relaxation alone; no gap promise, the plan's gap is recorded)."""
    return "milp" if method == "exact" else "lp-relaxation"
