"""Test-only policies: a chaotic one that sends random and infeasible decisions, and a
scripted one that replays fixed decisions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulator.contracts import Decision, Observation
from simulator.system import SystemModel


class ChaosPolicy:
    """Random, often impossible decisions: the simulator must keep the books right anyway."""

    name = "chaos"

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def reset(self, system: SystemModel, hours_total: int) -> None:
        self.rng = np.random.default_rng(int(self.rng.integers(1 << 31)))

    def decide(self, obs: Observation) -> Decision:
        rng, sys_ = self.rng, obs.system
        starts = [(j.job_id, int(rng.integers(-1, sys_.n_sites + 1)))
                  for j in obs.pending if rng.random() < 0.5]
        starts += [(int(rng.integers(0, 10_000)), 0)] if rng.random() < 0.2 else []
        starts += [(r.job_id, r.site) for r in obs.running[:1]]
        shape = sys_.admissible.shape
        routing = rng.uniform(-0.5, 1.5, shape)
        if rng.random() < 0.2:
            routing[0, 0, 0] = np.nan
        if rng.random() < 0.1:
            routing = np.ones((1, 1))
        scale = 3 * max(float(sys_.battery_mw.max()), 0.01)
        battery = rng.uniform(-scale, scale, sys_.n_sites)
        genset = rng.uniform(-0.05, 0.1, sys_.n_sites)
        return Decision(starts=starts, routing=routing, battery_mw=battery, genset_mw=genset)


class ScriptedPolicy:
    """Calls ``script(observation)`` each hour; records every observation it saw."""

    name = "scripted"

    def __init__(self, script: Callable[[Observation], Decision]) -> None:
        self.script = script
        self.seen: list[Observation] = []

    def reset(self, system: SystemModel, hours_total: int) -> None:
        self.seen = []

    def decide(self, obs: Observation) -> Decision:
        self.seen.append(obs)
        return self.script(obs)
