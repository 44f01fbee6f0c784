"""Decisions that survive forecast error: routing without a forecast, the latest-start guard,
quantile planning and the bursty demand model (docs/robustness.md)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gridshift.api import simulate
from policies.milp import guard_starts
from simulator.bursts import Bursts
from simulator.contracts import Decision
from simulator.scenario import load_scenario, parse_scenario
from tests.conftest import tiny_dict
from tests.helpers import ScriptedPolicy
from traces.bursty import burst_stats, bursty_demand, modulation
from traces.synthetic import generate


def _on_off_traces(scenario):
    """Traces with no demand in the history and in even run hours: a persistence forecast of
    demand is zero in every odd hour, when requests do arrive."""
    traces = generate(scenario)
    demand = traces.demand.copy()
    demand[: traces.history_hours] = 0.0
    demand[traces.history_hours::2] = 0.0
    return dataclasses.replace(traces, demand=demand)


@pytest.mark.parametrize("policy", ["fifo", "greedy", "milp", "milp-robust", "oracle"])
def test_no_request_unrouted_under_zero_forecasts(policy: str) -> None:
    scenario = parse_scenario(tiny_dict(hours=8))
    traces = _on_off_traces(scenario)
    run = simulate(scenario, policy, traces=traces, forecast="persistence").result
    inference = run.inference
    assert inference["arrived"].sum() > 0
    # a request is dropped as unrouted only while every admissible site's GPUs are busy (the
    # oracle, planning on the truth, may leave a row's excess unrouted when capacity is full)
    system, led = run.system, run.ledger
    idle = (system.gpus[None, :] - led.pivot(index="hour", columns="site",
                                              values="gpus_training")[list(system.site_names)]
            - led.pivot(index="hour", columns="site",
                        values="gpus_inference")[list(system.site_names)]).to_numpy()
    dropped = inference[inference["dropped_unrouted"] > 1e-6]
    for hour_, region, cls in zip(dropped["hour"], dropped["region"], dropped["class"],
                                  strict=True):
        r, k = system.region_names.index(region), system.class_names.index(cls)
        assert (idle[hour_][system.admissible[r, k]] <= 1e-6).all(), (hour_, region, cls)
    if policy != "oracle":
        assert (inference["dropped_unrouted"] <= 1e-6).all()
    # the policy routed them itself: the engine's default split never had to step in
    assert "routing_default_split" not in set(run.clips["kind"])


def test_engine_routes_what_a_policy_leaves_unrouted() -> None:
    scenario = parse_scenario(tiny_dict(hours=4))
    run = simulate(scenario, ScriptedPolicy(lambda obs: Decision()), check=True).result
    assert (run.inference["dropped_unrouted"] <= 1e-6).all()
    assert run.inference["served"].sum() > 0
    assert "routing_default_split" in set(run.clips["kind"])


def _guard_obs(free: list[float], t: int):
    """An observation at hour ``t`` of a one-job scenario (job 0: 8 GPUs, 2 h, deadline 6)."""
    data = tiny_dict(hours=8)
    data["jobs"] = {"jobs": [{"job_id": 0, "release_hour": 0, "gpus": 8, "duration_h": 2,
                              "deadline_hour": 6, "value_usd": 100.0}]}
    scenario = parse_scenario(data)
    seen = ScriptedPolicy(lambda obs: Decision())
    simulate(scenario, seen, check=False)
    obs = seen.seen[t]
    return dataclasses.replace(obs, gpus_training=obs.system.gpus - np.array(free))


def test_latest_start_guard_starts_a_job_at_its_last_on_time_hour() -> None:
    assert guard_starts(_guard_obs([4.0, 20.0], t=4), []) == [(0, 1)]
    assert guard_starts(_guard_obs([4.0, 20.0], t=3), []) == []  # still time
    assert guard_starts(_guard_obs([4.0, 4.0], t=4), []) == []  # fits nowhere
    assert guard_starts(_guard_obs([40.0, 20.0], t=4), [(0, 1)]) == [(0, 1)]  # planned


def test_quantile_planning_changes_the_planned_demand() -> None:
    from optimizers.milp.data import PlanQuantiles, from_observation

    scenario = parse_scenario(tiny_dict(hours=6))
    seen = ScriptedPolicy(lambda obs: Decision())
    simulate(scenario, seen, check=False)
    obs = seen.seen[2]
    point = from_observation(obs, 4, carbon_price_usd_per_t=50.0, carbon_budget=False)
    high = from_observation(obs, 4, carbon_price_usd_per_t=50.0, carbon_budget=False,
                            quantiles=PlanQuantiles(demand=0.9, renewable=0.1))
    assert np.allclose(high.demand, np.maximum(obs.forecast_quantile("demand", 0.9, 4), 0))
    assert high.demand.sum() > point.demand.sum()
    assert (high.pv_cf >= 0).all() and (high.wind_cf >= 0).all()
    assert (high.pv_cf <= 1).all() and (high.wind_cf <= 1).all()


def test_bursty_modulation_is_calibrated_and_seeded() -> None:
    bursts = Bursts()
    m = modulation(bursts, 20_000, np.random.default_rng(0))
    stats = burst_stats(m)
    assert abs(m.mean() - 1.0) < 0.05
    assert abs(stats["zero_share"] - bursts.off_share) < 0.02
    assert 0.8 < stats["cv"] < 1.2  # the Azure code trace per minute: 1.04
    demand = np.ones((50, 3, 2))
    assert np.array_equal(bursty_demand(bursts, demand, 7), bursty_demand(bursts, demand, 7))
    assert not np.array_equal(bursty_demand(bursts, demand, 7), bursty_demand(bursts, demand, 8))


def test_bursty_scenario_and_bad_bursts() -> None:
    scenario = load_scenario("bursty")
    assert scenario.hours == 4 * 168 and len(scenario.sites) == 4
    assert scenario.bursts == Bursts()
    with pytest.raises(Exception, match="off_share"):
        parse_scenario(tiny_dict(bursts={"off_share": 0.6, "burst_share": 0.5}))


def test_robustness_experiment_writes_comparison_folders(tmp_path) -> None:
    import json

    from analysis.collection import is_comparison_folder
    from gridshift.commands.robustness import mean_table, robustness_experiment

    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(tiny_dict(hours=6)))
    rows = robustness_experiment((str(path),), policies=("fifo", "greedy", "oracle"),
                                 seeds=[0, 1], out_dir=tmp_path / "out")
    assert len(rows) == 6 and set(rows["seed"]) == {0, 1}
    assert is_comparison_folder(tmp_path / "out" / "tiny-s0")
    assert (tmp_path / "out" / "summary.csv").is_file()
    assert (rows["regret_bound_usd"] >= -1e-6).all()
    table = mean_table(rows, "tiny")
    assert list(table.index) == ["fifo", "greedy", "oracle"]
    # regret is the oracle's benefit minus each policy's: the heuristics sit at or below it
    assert (table.loc[["fifo", "greedy"], "regret_usd"] >= -1e-6).all()


def _recorded_plan():
    """The first epoch of ``milp`` on the tiny scenario: (observation, data, plan)."""
    from policies.milp import MilpPolicy

    scenario = parse_scenario(tiny_dict(hours=4))
    policy = MilpPolicy(record_plans=True)
    seen: list = []

    class Recording(ScriptedPolicy):
        def decide(self, obs):  # noqa: D102 - records the observation, then plans
            seen.append(obs)
            return policy.decide(obs)

    simulate(scenario, Recording(lambda obs: Decision()), check=False)
    record = policy.plans[0]
    return seen[0], record.data, record.plan


def test_routing_of_rows_the_plan_has_no_room_for() -> None:
    from optimizers.milp.sets import Switches
    from policies.milp import decision_from_plan
    from simulator.hour import default_split

    obs, data, plan = _recorded_plan()
    system = obs.system
    rows = data.demand[0] > 0
    assert rows.any()
    nothing = np.zeros_like(plan.routed)
    # GPUs full in the plan and nothing planned for a row: its arrivals take the default split
    full = dataclasses.replace(plan, routed=nothing, busy=np.tile(system.gpus, (len(plan.busy),
                                                                                1)))
    routing = decision_from_plan(full, data, obs, Switches()).routing
    split = default_split(system, obs.gpus_free)
    assert np.allclose(routing[rows], split[rows])
    assert np.allclose(routing[rows].sum(axis=-1), 1.0)
    # idle GPUs and nothing planned: judged not worth serving, dropped as planned
    idle = dataclasses.replace(plan, routed=nothing, busy=np.zeros_like(plan.busy))
    assert np.allclose(decision_from_plan(idle, data, obs, Switches()).routing[rows], 0)
    # half the planned-on demand planned while GPUs idle: the fraction is measured against the
    # expected arrivals, so a plan on twice the point forecast routes every expected request
    half = data.demand[0][:, :, None] * 0.5 * (system.admissible / np.maximum(
        system.admissible.sum(axis=2, keepdims=True), 1))
    partial = dataclasses.replace(idle, routed=np.concatenate([half[None], nothing[1:]]))
    by_quantile = decision_from_plan(partial, data, obs, Switches()).routing
    assert np.allclose(by_quantile[rows].sum(axis=-1), 0.5)
    by_point = decision_from_plan(partial, data, obs, Switches(),
                                  expected_demand=data.demand[0] * 0.5).routing
    assert np.allclose(by_point[rows].sum(axis=-1), 1.0)
