"""The oracle for any horizon: the relaxed method's LP bound is a valid bound, its plan is
feasible, and ``auto`` picks the exact MILP for small runs only.

On the dominance generator's small variants (tests/test_dominance.py), the ``relaxed`` oracle's
bound (whole-run LP relaxation) must be >= the exact oracle's bound and realized benefit and
>= every policy's realized benefit; the relaxed oracle's own plan, executed with the invariant
checker on, must realize no more than its bound.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

import policies.milp
from gridshift.api import simulate
from optimizers.milp.solve import SolverOptions
from policies.oracle_bound import (
    EXACT_MAX_SITE_HOURS,
    RELAXED_GAP,
    RETRY_GAP,
    RETRY_MIP_GAP,
    RETRY_MIP_NODES,
    oracle_method,
    retry_options,
    solver_options_for,
)
from policies.registry import make_policy
from simulator.errors import PolicyError
from simulator.scenario import load_scenario
from simulator.system import build_system
from tests.test_dominance import FAST_SOLVES, ORACLE, REL, variant

POLICIES = ("fifo", "greedy", "milp")


@pytest.mark.parametrize("seed", range(6))
def test_lp_bound_dominates_exact_oracle_and_policies(seed: int) -> None:
    scenario, traces = variant(seed, max_hours=12, max_sites=2)
    relaxed = simulate(scenario, "oracle", traces=traces, check=True,
                       policy_options={**ORACLE, "method": "relaxed"})
    exact = simulate(scenario, "oracle", traces=traces, check=True,
                     policy_options={**ORACLE, "method": "exact"})
    assert relaxed.kpis["oracle_bound_method"] == "lp-relaxation"
    assert exact.kpis["oracle_bound_method"] == "milp"
    assert (relaxed.kpis["oracle_bound_exact"], exact.kpis["oracle_bound_exact"]) == (0, 1)
    bound = relaxed.kpis["oracle_bound_usd"]
    slack = REL * max(1.0, abs(bound))
    assert bound >= exact.kpis["oracle_bound_usd"] - slack
    assert bound >= exact.kpis["total_benefit_usd"] - slack
    assert relaxed.kpis["total_benefit_usd"] <= bound + slack  # the plan is feasible, bounded
    for name in POLICIES:
        options = FAST_SOLVES if name == "milp" else None
        done = simulate(scenario, name, traces=traces, check=True, policy_options=options)
        assert done.kpis["total_benefit_usd"] <= bound + slack, name


def test_auto_is_exact_for_small_runs_and_relaxed_for_long_ones() -> None:
    system = build_system(load_scenario("default"))
    small = EXACT_MAX_SITE_HOURS // system.n_sites
    assert oracle_method("auto", system, small) == "exact"
    assert oracle_method("auto", system, small + 1) == "relaxed"
    assert oracle_method("auto", system, 8760) == "relaxed"
    assert oracle_method("exact", system, 8760) == "exact"
    assert oracle_method("relaxed", system, 24) == "relaxed"


def test_unknown_method_is_refused_with_the_option_named() -> None:
    with pytest.raises(PolicyError, match="method: must be one of auto, exact, relaxed"):
        make_policy("oracle", method="lagrange")


def test_retry_only_for_a_relaxed_plan_far_from_its_bound() -> None:
    options = solver_options_for("relaxed", SolverOptions(mip_gap=1e-4))
    assert options.mip_gap == RELAXED_GAP
    bound = 1e6
    close = bound * (1 - RETRY_GAP / 2)
    assert retry_options("relaxed", close, bound, options) is None
    assert retry_options("relaxed", math.nan, bound, options) is None
    assert retry_options("exact", -bound, bound, options) is None
    retry = retry_options("relaxed", -0.2 * bound, bound, options)
    assert retry is not None
    assert (retry.mip_gap, retry.mip_nodes) == (RETRY_MIP_GAP, RETRY_MIP_NODES)


def test_retried_relaxed_plan_keeps_the_bound_and_stays_feasible(monkeypatch) -> None:
    """Forcing the second solve: same LP bound, the plan is executed with the invariant
    checker on and realizes no more than the bound."""
    scenario, traces = variant(1, max_hours=12, max_sites=2)
    options = {**ORACLE, "method": "relaxed"}
    first = simulate(scenario, "oracle", traces=traces, check=True, policy_options=options)
    calls = []

    def always(method: str, benefit: float, bound: float,
               solver: SolverOptions) -> SolverOptions:
        calls.append(method)
        return replace(solver, mip_gap=RETRY_MIP_GAP, mip_nodes=RETRY_MIP_NODES)

    monkeypatch.setattr(policies.milp, "retry_options", always)
    retried = simulate(scenario, "oracle", traces=traces, check=True, policy_options=options)
    assert calls == ["relaxed"]
    hour0 = retried.result.steps.iloc[0]
    assert hour0["fallback"] == 0
    bound = first.kpis["oracle_bound_usd"]
    slack = REL * max(1.0, abs(bound))
    assert retried.kpis["oracle_bound_usd"] == pytest.approx(bound, rel=1e-9, abs=1e-6)
    assert retried.kpis["total_benefit_usd"] <= bound + slack
    assert hour0["mip_gap"] <= RETRY_MIP_GAP
