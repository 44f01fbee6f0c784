"""How the oracle bounds a run: the exact MILP when it is small, its LP relaxation when not.

Two methods, both from the one joint model (:class:`~optimizers.milp.model.JointModel`) over
the whole run with realized traces and every job:

- ``exact``: the MILP solved to the oracle's gap (1e-4 on the loss). The bound is the MIP's
  (the tighter of the branch-and-bound bound and the LP bound). ``run_bound_method = "milp"``.
- ``relaxed``: for runs too long for branch and bound. The solve pipeline's first phase is the
  LP relaxation of every integer column; its value (plus the model's constant and tie slack,
  as for every plan) is the bound, ``run_bound_method = "lp-relaxation"``. The plan executed
  is the pipeline's second phase, the neighbourhood sub-MIP around the LP support, accepted at
  its first incumbent unless that is more than ``RETRY_GAP`` below the bound (then solved again,
  see :func:`retry_options`): a feasible oracle-style plan whose gap to the bound
  is recorded.

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
RELAXED_GAP = 1e9  # the relaxed method first accepts the sub-MIP's first incumbent at any gap
RETRY_GAP = 1e-3  # ... and solves again when it is > 0.1 % of the bound (USD) below the bound
RETRY_MIP_GAP = 0.01  # the second solve's gap on the loss objective, as the rolling MILP's
RETRY_MIP_NODES = 1  # (then at most the root of the full MIP, warm-started with its plan)


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
    and sub-MIP phases and accepts the sub-MIP's first incumbent whatever its gap to the LP
    bound (on ``default`` up to a year that is the warm start, within 0.005 %)."""
    if method == "exact":
        return exact
    return replace(exact, mip_gap=RELAXED_GAP, neighbourhood_h=max(exact.neighbourhood_h, 0))


def retry_options(method: str, benefit_usd: float, bound_usd: float,
                  options: SolverOptions) -> SolverOptions | None:
    """Options for a second solve of a ``relaxed`` plan whose planned ``benefit_usd`` is more
    than :data:`RETRY_GAP` of ``bound_usd`` below it (None otherwise): the sub-MIP solved to
    :data:`RETRY_MIP_GAP` (or its node limit), then at most the full MIP's root node. The first
    incumbent can be a point HiGHS found before using the warm start: 122.6 % below the bound
    on a 20-site week. Decided on the solver's outcome, not the clock."""
    if method != "relaxed" or not bound_usd - benefit_usd > RETRY_GAP * max(abs(bound_usd), 1.0):
        return None
    return replace(options, mip_gap=RETRY_MIP_GAP, mip_nodes=RETRY_MIP_NODES)


def bound_method(method: str) -> str:
    """How an ``exact`` or ``relaxed`` oracle's bound is obtained (KPI ``oracle_bound_method``):
    ``milp`` (the MILP's bound, proven within the oracle's gap of its plan) or
    ``lp-relaxation`` (the LP relaxation alone; no gap promise, the plan's gap is recorded)."""
    return "milp" if method == "exact" else "lp-relaxation"
