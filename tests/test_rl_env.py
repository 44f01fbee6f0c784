"""The Gymnasium env runs the engine's own books: rewards sum to the KPI, it is deterministic,
it cannot see the future, and it clips and counts invalid actions like any policy."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

gym = pytest.importorskip("gymnasium")

from analysis.kpis import compute_kpis  # noqa: E402
from gridshift.api import build_traces, simulate  # noqa: E402
from gridshift.rl import GridShiftEnv  # noqa: E402
from policies.greedy import GreedyPolicy  # noqa: E402
from policies.learned import CallablePolicy  # noqa: E402
from simulator.engine import Simulation  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402
from simulator.system import build_system  # noqa: E402
from traces.forecast import scenario_forecasts  # noqa: E402


def _episode(env: GridShiftEnv, actions, seed: int = 0) -> tuple[list, list, list]:
    obs, _ = env.reset(seed=seed)
    observations, rewards, infos = [obs], [], []
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        observations.append(obs)
        rewards.append(reward)
        infos.append(info)
        if terminated:
            break
    return observations, rewards, infos


def _actions(env: GridShiftEnv, n: int, seed: int = 1) -> list[np.ndarray]:
    env.action_space.seed(seed)
    return [env.action_space.sample() for _ in range(n)]


def test_env_passes_the_gymnasium_checker() -> None:
    from gymnasium.utils.env_checker import check_env

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(GridShiftEnv("paper-3site"), skip_render_check=True)


def test_rewards_sum_to_the_runs_total_benefit(tiny) -> None:
    env = GridShiftEnv(tiny)
    _, rewards, infos = _episode(env, _actions(env, tiny.hours))
    assert len(rewards) == tiny.hours
    result = env.result()
    kpis = compute_kpis(result)
    assert sum(rewards) == pytest.approx(kpis["total_benefit_usd"], rel=1e-12, abs=1e-9)
    per_hour = result.ledger.groupby("hour")["benefit_usd"].sum() - \
        result.inference.groupby("hour")["penalty_usd"].sum()
    np.testing.assert_allclose(rewards, per_hour.to_numpy(), rtol=1e-12)
    assert result.jobs["status"].isin(["on_time", "late"]).any()
    assert len({round(r, 6) for r in rewards}) > 1


def test_reward_shaping_is_reported_apart(tiny) -> None:
    plain, shaped = GridShiftEnv(tiny), GridShiftEnv(tiny, carbon_shaping_usd_per_t=100.0,
                                                     clip_penalty_usd=1.0, reward_scale=0.5)
    actions = _actions(plain, tiny.hours)
    _, r_plain, _ = _episode(plain, actions)
    _, r_shaped, infos = _episode(shaped, actions)
    expected = [0.5 * (i["benefit_usd"] - 100.0 * i["emissions_t"] - i["clips"]) for i in infos]
    np.testing.assert_allclose(r_shaped, expected)
    np.testing.assert_allclose([i["benefit_usd"] for i in infos], r_plain)
    assert sum(i["emissions_t"] for i in infos) > 0


def test_stepped_run_books_equal_a_normal_run(tiny) -> None:
    traces = build_traces(tiny)
    system = build_system(tiny)
    normal = Simulation(system, traces, GreedyPolicy(), scenario_forecasts(tiny, traces)[0]).run()
    policy = GreedyPolicy()
    policy.reset(system, tiny.hours)
    sim = Simulation(system, traces, GreedyPolicy(), scenario_forecasts(tiny, traces)[0])
    obs = sim.start()
    while obs is not None:
        obs = sim.step(policy.decide(obs))
    stepped = sim.result()
    pd.testing.assert_frame_equal(stepped.ledger, normal.ledger)
    pd.testing.assert_frame_equal(stepped.jobs, normal.jobs)
    pd.testing.assert_frame_equal(stepped.inference, normal.inference)
    with pytest.raises(RuntimeError, match="no hour is open"):
        sim.step(policy.decide(sim.observation))


def test_env_and_adapter_keep_the_same_books(tiny) -> None:
    """An agent scored through ``simulate`` gets the ledger it gets in the env."""
    env = GridShiftEnv(tiny)
    weights = np.random.default_rng(0).normal(size=(env.decoder.size, env.encoder.size))

    def agent(x: np.ndarray) -> np.ndarray:
        return np.tanh(weights @ x)

    obs, _ = env.reset(seed=0)
    done = False
    while not done:
        obs, _, done, _, _ = env.step(agent(obs))
    run = simulate(tiny, CallablePolicy(agent))
    pd.testing.assert_frame_equal(env.result().ledger, run.result.ledger)
    assert run.result.jobs["start_hour"].ge(0).any()


def test_same_seed_same_episode(tiny) -> None:
    a = GridShiftEnv(tiny, seeds=[1, 2, 3, 4, 5, 6])
    b = GridShiftEnv(tiny, seeds=[1, 2, 3, 4, 5, 6])
    actions = _actions(a, tiny.hours)
    obs_a, rew_a, _ = _episode(a, actions, seed=11)
    obs_b, rew_b, _ = _episode(b, actions, seed=11)
    np.testing.assert_array_equal(np.array(obs_a), np.array(obs_b))
    assert rew_a == rew_b
    drawn = {a.reset(seed=s)[1]["scenario_seed"] for s in range(12)}
    assert len(drawn) > 1 and drawn <= {1, 2, 3, 4, 5, 6}


def _poisoned(traces, from_row: int, from_hour: int):
    signals = {k: v.copy() for k, v in traces.site_signals.items()}
    for v in signals.values():
        v[from_row:] = 1e6
    demand = traces.demand.copy()
    demand[from_row:] = 1e6
    jobs = traces.jobs.copy()
    later = jobs["release_hour"] > from_hour
    jobs.loc[later, "value_usd"] *= 1e6
    jobs.loc[later, "release_hour"] = from_hour + 1
    return dataclasses.replace(traces, site_signals=signals, demand=demand, jobs=jobs)


def _observations_clean_and_poisoned(scenario, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Observations of hours 0..t on the traces and on the traces poisoned from hour t on."""
    traces = build_traces(scenario)
    clean = GridShiftEnv(scenario, traces=traces)
    dirty = GridShiftEnv(scenario, traces=_poisoned(traces, traces.history_hours + t, t))
    actions = _actions(clean, t)
    return np.array(_episode(clean, actions)[0]), np.array(_episode(dirty, actions)[0])


@pytest.mark.parametrize("method", ["seasonal-naive-24", "persistence"])
def test_env_cannot_see_the_future(tiny, method: str) -> None:
    # Published day-ahead prices are known ahead by design (traces/forecast_info.py); with
    # that information set off, nothing at or after hour t may reach the observation.
    t = 10
    clean, dirty = _observations_clean_and_poisoned(
        tiny.with_updates({"forecast.method": method,
                           "forecast.prices_known_day_ahead": False}), t)
    assert len(clean) == t + 1
    np.testing.assert_array_equal(clean, dirty)


def test_the_poison_would_show_to_a_peeking_forecast(tiny) -> None:
    """Sanity check of the test above: with perfect forecasts hour t's observation changes."""
    t = 10
    clean, dirty = _observations_clean_and_poisoned(
        tiny.with_updates({"forecast.method": "perfect"}), t)
    assert not np.array_equal(clean[t], dirty[t])


def test_invalid_actions_are_clipped_and_counted(tiny) -> None:
    env = GridShiftEnv(tiny)
    env.reset(seed=0)
    wild = np.full(env.action_space.shape, 5.0, dtype=np.float32)
    _, _, _, _, info = env.step(wild)
    nan = np.full(env.action_space.shape, np.nan, dtype=np.float32)
    _, _, _, _, info_nan = env.step(nan)
    kinds = {clip[2] for clip in env.sim.clips}
    assert info["clips"] >= 1 and "battery_limit" in kinds
    assert info_nan["clips"] >= 1 and "routing_invalid_fraction" in kinds
    with pytest.raises(ValueError, match="expected"):
        env.step(np.zeros(3))


def test_episode_ends_after_the_run_hours(tiny) -> None:
    env = GridShiftEnv(tiny)
    _, rewards, _ = _episode(env, _actions(env, tiny.hours + 5))
    assert len(rewards) == tiny.hours
    with pytest.raises(RuntimeError):
        env.step(env.action_space.sample())


def test_registered_with_gymnasium() -> None:
    env = gym.make("GridShift-v0", scenario=load_scenario("paper-3site"))
    obs, _ = env.reset(seed=0)
    assert obs.shape == env.observation_space.shape
    env.close()
