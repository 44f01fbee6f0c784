"""The rules of simulator/physics.py, and that the simulator's books follow them."""

from __future__ import annotations

import numpy as np
import pytest

from gridshift.api import simulate
from simulator import physics
from simulator.contracts import Decision
from simulator.invariants import check_invariants
from tests.conftest import constant_traces, one_site
from tests.helpers import ScriptedPolicy

JOB = {"job_id": 0, "release_hour": 0, "gpus": 4, "duration_h": 3, "deadline_hour": 8,
       "value_usd": 50.0}


def test_start_window_ends_in_the_run_and_by_the_deadline_unless_late_pays() -> None:
    assert physics.start_window(2, 10, 3, 24, 0.0) == (2, 7)
    assert physics.start_window(2, 10, 3, 24, 0.5) == (2, 9)
    assert physics.start_window(2, 30, 3, 24, 0.5) == (2, 21)  # must finish in the run
    first, last = physics.start_window(5, 6, 3, 24, 0.0)
    assert last < first  # can never earn


def test_job_earnings_on_time_and_late() -> None:
    assert physics.job_earnings(100.0, 8, 8, 0.3) == 100.0
    assert physics.job_earnings(100.0, 9, 8, 0.3) == pytest.approx(30.0)


def test_surplus_order_cuts_genset_then_curtails_then_cuts_discharge() -> None:
    gen, curt, dis = physics.surplus_cuts(np.array([0.5, 3.0]), np.array([0.2, 1.0]),
                                          np.array([1.0, 1.0]), np.array([1.0, 2.0]))
    np.testing.assert_allclose(gen, [0.2, 1.0])
    np.testing.assert_allclose(curt, [0.3, 1.0])
    np.testing.assert_allclose(dis, [0.0, 1.0])


def test_simulator_discharges_as_told_and_curtails_renewables() -> None:
    """Surplus that cannot be exported curtails renewables; the battery setpoint stands."""
    scenario = one_site(hours=4, pv_mw=0.05, export_cap_mw=0.0,
                        battery={"energy_mwh": 0.1, "power_mw": 0.001},
                        genset={"capacity_mw": 0.01})
    traces = constant_traces(scenario, pv_cf=1.0)
    policy = ScriptedPolicy(lambda obs: Decision(battery_mw=np.array([-0.001]),
                                                 genset_mw=np.array([0.01])))
    run = simulate(scenario, policy, traces=traces)
    led, clips = run.result.ledger, run.result.clips
    assert (led["load_mw"] > 0.001).all()  # the discharge alone cannot make a surplus
    np.testing.assert_allclose(led["discharge_mw"], 0.001)
    np.testing.assert_allclose(led["genset_mw"], 0.0)
    np.testing.assert_allclose(led["curtailed_mw"], 0.05 + 0.001 - led["load_mw"])
    assert set(clips["kind"]) == {"genset_cut_surplus", "routing_default_split"}
    assert check_invariants(run.result) == []


def test_starts_that_cannot_earn_are_refused() -> None:
    """A job that could not finish in the run is refused (clip) and fifo does not try."""
    late = {**JOB, "release_hour": 2, "deadline_hour": 20}
    scenario = one_site(hours=4, jobs=[late])
    traces = constant_traces(scenario)
    forced = ScriptedPolicy(lambda obs: Decision(starts=[(0, 0)] if obs.pending else []))
    run = simulate(scenario, forced, traces=traces)
    assert (run.result.clips["kind"] == "job_start_refused").sum() == 2  # hours 2 and 3
    assert run.result.ledger["gpus_training"].sum() == 0
    fifo = simulate(scenario, "fifo", traces=traces)
    assert len(fifo.result.clips) == 0
    assert fifo.result.jobs.loc[0, "status"] == "pending"


def test_budget_overshoot_is_charged_in_the_benefit() -> None:
    base = one_site(hours=4)
    traces = constant_traces(base)
    free = simulate(base, "fifo", traces=traces).kpis
    budget = base.with_updates({"economics.carbon_budget_t": 0.001,
                                "economics.carbon_budget_penalty_usd_per_t": 500.0})
    kpis = simulate(budget, "fifo", traces=constant_traces(budget)).kpis
    over = kpis["emissions_t"] - 0.001
    assert kpis["carbon_overshoot_t"] == pytest.approx(over)
    assert kpis["carbon_overshoot_cost_usd"] == pytest.approx(over * 500.0)
    assert kpis["total_benefit_usd"] == pytest.approx(free["total_benefit_usd"] - over * 500.0)
