"""GridShiftEnv: a Gymnasium environment over the GridShift engine and its books.

One step = one simulated hour, run by the same :class:`simulator.engine.Simulation` (stepped
through ``start``/``step``) that runs every policy: same execution, same clipping, same ledger.
Observation and action layouts: :mod:`policies.rl_codec`. Reward: the hour's benefit in
USD from the books (ledger ``benefit_usd`` summed over sites, job values credited in the hour the
job ends, minus the unserved-inference penalty), so the episode's rewards sum to the run's
``total_benefit_usd``; optional shaping (``carbon_shaping_usd_per_t``, ``clip_penalty_usd``)
and ``reward_scale`` are applied on top and reported apart in ``info``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from gridshift.api import build_traces
from policies.rl_codec import OBS_BOUND, ActionDecoder, ObservationEncoder
from simulator.contracts import Decision, Observation
from simulator.engine import RunResult, Simulation
from simulator.scenario import Scenario, load_scenario
from simulator.system import SystemModel, build_system
from simulator.traceset import TraceSet
from traces.forecast import scenario_forecasts

_TRACE_CACHE_SIZE = 16


class _Stepped:
    """The policy slot of a stepped Simulation: the env decides, never this object."""

    name = "rl-env"

    def reset(self, system: SystemModel, hours_total: int) -> None:
        """Nothing to forget."""

    def decide(self, observation: Observation) -> Decision:
        raise RuntimeError("a stepped simulation takes its decisions from the env")


class GridShiftEnv(gym.Env):
    """A GridShift scenario as a Gymnasium env (one step = one hour; see the module docstring).

    ``seeds``: scenario seeds to draw the traces from at each reset (uniformly, with the env's
    RNG); None = always the scenario's own seed. ``traces``: a fixed trace set instead (must
    match the scenario). The env is deterministic: the same ``reset(seed=...)`` and actions give
    the same observations, rewards and books.
    """

    metadata = {"render_modes": []}

    def __init__(self, scenario: Scenario | str | Path = "paper-3site", *,
                 seeds: list[int] | None = None, traces: TraceSet | None = None,
                 data_dir: str | Path | None = None, reward_scale: float = 1.0,
                 carbon_shaping_usd_per_t: float = 0.0, clip_penalty_usd: float = 0.0) -> None:
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.system = build_system(self.scenario)
        self.seeds = list(seeds) if seeds is not None else None
        self.data_dir = data_dir
        self.reward_scale = float(reward_scale)
        self.carbon_shaping_usd_per_t = float(carbon_shaping_usd_per_t)
        self.clip_penalty_usd = float(clip_penalty_usd)
        self._fixed_traces = traces
        self._traces: dict[int, TraceSet] = {}
        self.encoder = ObservationEncoder(self.system)
        self.decoder = ActionDecoder(self.system)
        self.observation_space = gym.spaces.Box(-OBS_BOUND, OBS_BOUND, (self.encoder.size,),
                                                dtype=np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (self.decoder.size,), dtype=np.float32)
        self.sim: Simulation | None = None
        self._obs: Observation | None = None
        self._last_vector = np.zeros(self.encoder.size, dtype=np.float32)
        self._books_paid = 0.0

    # ---- episode -----------------------------------------------------------------------------
    def _traces_for(self, scenario_seed: int) -> TraceSet:
        if self._fixed_traces is not None:
            return self._fixed_traces
        if scenario_seed not in self._traces:
            if len(self._traces) >= _TRACE_CACHE_SIZE:
                self._traces.pop(next(iter(self._traces)))
            scenario = self.scenario.with_updates({"seed": scenario_seed})
            self._traces[scenario_seed] = build_traces(scenario, self.data_dir)
        return self._traces[scenario_seed]

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new run; ``options={"scenario_seed": n}`` picks the traces explicitly."""
        super().reset(seed=seed)
        if options and "scenario_seed" in options:
            scenario_seed = int(options["scenario_seed"])
        elif self.seeds:
            scenario_seed = int(self.seeds[int(self.np_random.integers(len(self.seeds)))])
        else:
            scenario_seed = self.scenario.seed
        scenario = self.scenario.with_updates({"seed": scenario_seed})
        traces = self._traces_for(scenario_seed)
        provider, _ = scenario_forecasts(scenario, traces)
        self.sim = Simulation(self.system, traces, _Stepped(), provider)
        self.encoder.reset()
        self._books_paid = 0.0
        self._obs = self.sim.start()
        self._last_vector = self.encoder.encode(self._obs)
        return self._last_vector.copy(), {"scenario_seed": scenario_seed, "hour": 0}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Execute ``action`` for the open hour; the reward is that hour's benefit."""
        if self.sim is None or self._obs is None:
            raise RuntimeError("call reset() before step()")
        sim, t = self.sim, self._obs.t
        clips_before = len(sim.clips)
        sim_obs = sim.step(self.decoder.decode(action, self._obs))
        terminated = sim_obs is None
        benefit = self._hour_benefit(t, terminated)
        clips = len(sim.clips) - clips_before
        emissions_t = float(sim.book.site["emissions_t"][t].sum())
        shaping = -self.carbon_shaping_usd_per_t * emissions_t - self.clip_penalty_usd * clips
        self._obs = sim_obs
        if not terminated:
            self._last_vector = self.encoder.encode(sim_obs)
        info = {"hour": t, "benefit_usd": benefit, "shaping_usd": shaping, "clips": clips,
                "emissions_t": emissions_t}
        reward = self.reward_scale * (benefit + shaping)
        return self._last_vector.copy(), reward, terminated, False, info

    def _hour_benefit(self, t: int, terminated: bool) -> float:
        """Benefit of hour t in the books (USD). Once ``step`` returns, hour t's row is final
        (jobs ending at t + 1 have credited it); the last hour also settles anything the books
        hold beyond the rows already paid, so an episode's rewards sum to the books' total."""
        book = self.sim.book
        value = float(book.site["benefit_usd"][t].sum() - book.inference["penalty_usd"][t].sum())
        self._books_paid += value
        if terminated:
            total = float(book.site["benefit_usd"].sum() - book.inference["penalty_usd"].sum())
            value += total - self._books_paid
        return value

    def result(self) -> RunResult:
        """The books of the finished episode (as ``simulate`` would return them)."""
        if self.sim is None:
            raise RuntimeError("no episode has run")
        return self.sim.result()


gym.register(id="GridShift-v0", entry_point="gridshift.rl.env:GridShiftEnv")
