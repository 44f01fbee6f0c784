"""MILP policies in the simulator: plans execute as planned, the oracle bounds every policy,
restricted models never beat the joint one, flows never run both ways, failures fall back."""

from __future__ import annotations

import numpy as np
import pytest

from gridshift.api import build_traces, simulate
from optimizers.milp import plan_frame
from optimizers.milp.model import JointModel
from policies.milp import SWITCHES, MilpPolicy, OraclePolicy
from policies.registry import needs_perfect_foresight, policy_names
from simulator.ledger import frame_digest
from simulator.scenario import parse_scenario
from tests.conftest import tiny_dict
from tests.test_milp_model import _with_prices

COMPARED = ("import_mw", "export_mw", "charge_mw", "discharge_mw", "genset_mw", "soc_end_mwh",
            "load_mw", "curtailed_mw", "emissions_t", "energy_cost_usd", "export_revenue_usd",
            "genset_cost_usd", "degradation_cost_usd", "carbon_cost_usd",
            "inference_revenue_usd", "requests_served")


@pytest.fixture(scope="module")
def scenario():
    """The tiny two-site system over 16 hours: battery, PV, wind, genset, export, 5 jobs."""
    return parse_scenario(tiny_dict(hours=16, seed=5), source="tiny16")


def _assert_same(planned, executed) -> None:
    merged = planned.merge(executed, on=["hour", "site"], suffixes=("_plan", "_sim"))
    assert len(merged) == len(planned)
    for column in COMPARED:
        scale = max(1.0, float(merged[column + "_sim"].abs().max()))
        np.testing.assert_allclose(merged[column + "_plan"], merged[column + "_sim"],
                                   rtol=1e-6, atol=1e-6 * scale, err_msg=column)


def test_oracle_plan_executes_exactly(scenario) -> None:
    """Executing the oracle's plan reproduces its hourly energy, money and carbon figures."""
    oracle = OraclePolicy(record_plans=True, mip_gap=1e-6)
    run = simulate(scenario, oracle)
    record = oracle.plans[0]
    assert record.data.jobs, "the instance must have jobs to schedule"
    _assert_same(plan_frame(record.plan, record.data, run.result.system), run.result.ledger)
    assert len(run.result.clips) == 0
    assert run.kpis["total_benefit_usd"] == pytest.approx(record.plan.benefit_usd, rel=1e-6)
    assert run.kpis["jobs_on_time"] == len(record.plan.starts)


def test_rolling_hours_execute_as_planned(scenario) -> None:
    """With perfect forecasts each executed hour equals slot 0 of that hour's plan."""
    policy = MilpPolicy(record_plans=True, demand_margin=0.0)
    run = simulate(scenario, policy, forecast="perfect")
    assert len(policy.plans) == scenario.hours
    for record in policy.plans:
        first = plan_frame(record.plan, record.data, run.result.system)
        first = first[first["hour"] == record.plan.t0]
        _assert_same(first, run.result.ledger)
    steps = run.result.steps
    assert (steps["fallback"] == 0).all()
    assert (steps["mip_gap"] <= 0.01 + 1e-9).all()
    assert {"solve_s", "build_s", "status", "objective", "bound"} <= set(steps.columns)


def test_oracle_bounds_every_policy_and_joint_beats_restricted(scenario) -> None:
    """Oracle >= milp, and the joint model >= each restricted model (both over the whole run
    with perfect foresight), up to the proven MIP gap."""
    traces = build_traces(scenario)
    oracle = OraclePolicy(record_plans=True)
    joint = simulate(scenario, oracle, traces=traces)
    bound = oracle.plans[0].plan.bound_usd + 1e-3
    benefit = {"oracle": joint.kpis["total_benefit_usd"]}
    for name in ("milp", "greedy", "fifo"):
        benefit[name] = simulate(scenario, name, traces=traces,
                                 forecast="perfect").kpis["total_benefit_usd"]
    for name, switches in SWITCHES.items():
        if name != "milp":  # named "oracle", so the simulator grants it perfect foresight
            restricted = OraclePolicy(switches=switches, record_plans=True)
            benefit[f"full-{name}"] = simulate(scenario, restricted,
                                               traces=traces).kpis["total_benefit_usd"]
            assert restricted.plans[0].data.jobs or not switches.decide_jobs
    assert all(value <= bound for value in benefit.values()), (bound, benefit)
    assert benefit["oracle"] >= max(benefit.values()) - (bound - benefit["oracle"]) - 1e-3
    # The bound is tight: the oracle is within its gap of it, and decisions matter.
    assert bound - benefit["oracle"] <= 0.01 * abs(oracle.plans[0].plan.stats.incumbent) + 1e-3
    assert benefit["oracle"] > benefit["fifo"] + 1.0


def test_no_simultaneous_flows_under_negative_prices() -> None:
    """Negative buy prices and export dearer than import: neither plans nor executed hours
    charge and discharge, import and export, or curtail while importing."""
    scenario = parse_scenario(tiny_dict(hours=8, seed=2), source="tiny8")
    base = build_traces(scenario)
    traces = _with_prices(base, site=0, buy={2: -400.0, 3: -250.0, 5: 30.0},
                          sell={2: -420.0, 3: -260.0, 5: 140.0})
    policy = MilpPolicy(name="no-carbon", switches=SWITCHES["no-carbon"], record_plans=True)
    run = simulate(scenario, policy, traces=traces, forecast="perfect")
    assert max(record.plan.n_indicators for record in policy.plans) > 0
    for record in policy.plans:
        plan, data = record.plan, record.data
        available = run.result.system.pv_mw * data.pv_cf + run.result.system.wind_mw * \
            data.wind_cf
        assert np.all(np.minimum(plan.ch, plan.dis) < 1e-7)
        assert np.all(np.minimum(plan.imp, plan.exp) < 1e-7)
        assert np.all(np.minimum(plan.imp, available - plan.ren) < 1e-7)
    ledger = run.result.ledger
    assert (np.minimum(ledger["charge_mw"], ledger["discharge_mw"]) < 1e-9).all()
    assert (np.minimum(ledger["import_mw"], ledger["export_mw"]) < 1e-9).all()
    assert (np.minimum(ledger["import_mw"], ledger["curtailed_mw"]) < 1e-9).all()


def test_solver_failure_falls_back_to_greedy(scenario, monkeypatch) -> None:
    def fail(self, build_s: float = 0.0):
        raise RuntimeError("HiGHS found no solution (Time limit reached)")

    monkeypatch.setattr(JointModel, "solve", fail)
    run = simulate(scenario, "milp")
    steps = run.result.steps
    assert (steps["fallback"] == 1).all()
    assert steps["status"].str.startswith("fallback").all()
    assert run.kpis["fallbacks"] == scenario.hours
    assert run.kpis["jobs_on_time"] > 0  # greedy kept working


def test_deterministic_and_registered(scenario) -> None:
    first = simulate(scenario, "milp").result
    second = simulate(scenario, "milp").result
    digest = [frame_digest(r.ledger, r.inference, r.jobs, r.clips) for r in (first, second)]
    assert digest[0] == digest[1]
    assert set(SWITCHES) | {"oracle"} <= set(policy_names())
    assert needs_perfect_foresight("oracle") and not needs_perfect_foresight("milp")
