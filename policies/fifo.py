"""Business as usual: first come, first served; nearest site; battery idle; surplus exported."""

from __future__ import annotations

import numpy as np

from simulator.contracts import Decision, Observation
from simulator.physics import start_window
from simulator.system import SystemModel


class FifoPolicy:
    """Start each released job, in release order, at its home site or else the first site with
    enough free GPUs; route every request to the lowest-latency admissible site."""

    name = "fifo"

    def __init__(self) -> None:
        self._routing: np.ndarray | None = None

    def reset(self, system: SystemModel, hours_total: int) -> None:
        self._routing = nearest_site_routing(system)

    def decide(self, obs: Observation) -> Decision:
        if self._routing is None:
            self.reset(obs.system, obs.hours_total)
        return Decision(starts=fifo_starts(obs), routing=self._routing)


def nearest_site_routing(system: SystemModel) -> np.ndarray:
    """Fractions [R, K, S]: all of (r, k) to the lowest-latency admissible site, else nowhere."""
    latency = np.where(system.admissible, system.latency_ms[:, None, :], np.inf)
    best = np.argmin(latency, axis=2)
    routing = np.zeros(system.admissible.shape)
    r_idx, k_idx = np.indices(best.shape)
    routing[r_idx, k_idx, best] = 1.0
    return np.where(system.admissible, routing, 0.0)


def fifo_starts(obs: Observation) -> list[tuple[int, int]]:
    """Job starts by the FIFO rule, given the GPUs free at epoch t (only jobs inside their
    start window, :func:`simulator.physics.start_window`)."""
    free = obs.gpus_free.copy()
    starts = []
    late = obs.system.late_value_fraction
    for job in sorted(obs.pending, key=lambda j: (j.release_hour, j.job_id)):
        first, last = start_window(job.release_hour, job.deadline_hour, job.duration_h,
                                   obs.hours_total, late)
        if not first <= obs.t <= last:
            continue
        order = ([job.home_site] if job.home_site >= 0 else []) + list(range(len(free)))
        for s in order:
            if free[s] >= job.gpus:
                starts.append((job.job_id, s))
                free[s] -= job.gpus
                break
    return starts
