"""Job starts from an LP relaxation: the rounding of the round-and-fix phase.

Every function works on the job block's start keys (job position, site, slot), int [N, 3], and
per-key LP values; GPUs held are [H, S]. A rounding only ever places a job where its GPUs fit
beside the jobs already running and already placed (``held + gpus <= site GPUs`` in every slot
it runs inside the horizon), so the fixed model stays feasible: inference can always yield.
"""

from __future__ import annotations

import numpy as np

from optimizers.milp.data import JobSpec

SUPPORT_TOL = 1e-6  # LP value under which a start is outside the LP support
START_MASS = 0.5  # a job is started when its LP starts add up to at least this


def rounded_starts(keys: np.ndarray, weight: np.ndarray, attraction: np.ndarray,
                   jobs: tuple[JobSpec, ...], held: np.ndarray,
                   site_gpus: np.ndarray) -> np.ndarray:
    """0/1 per key: the LP relaxation rounded. Jobs whose LP starts add up to at least
    :data:`START_MASS` are placed, the most certain first (largest single LP start, then
    largest total); each at its heaviest LP start whose GPUs are free, else at the free start
    the LP prices best (``attraction``: larger = better, e.g. minus the reduced cost); the
    others are not started. Deterministic: ties go to the lower job position and key order."""
    values = np.zeros(len(keys))
    if not len(keys):
        return values
    held = held.copy()
    job = keys[:, 0]
    mass = np.bincount(job, weights=weight, minlength=len(jobs))
    peak = np.zeros(len(jobs))
    np.maximum.at(peak, job, weight)
    bounds = np.searchsorted(job, np.arange(len(jobs) + 1))  # keys come job by job
    for n in np.lexsort((np.arange(len(jobs)), -mass, -peak)).tolist():
        if mass[n] < START_MASS:
            continue
        lo, hi = int(bounds[n]), int(bounds[n + 1])
        support = weight[lo:hi] > SUPPORT_TOL
        ranked = lo + np.lexsort((-attraction[lo:hi], -np.where(support, weight[lo:hi], 0.0)))
        spec = jobs[n]
        for i in ranked.tolist():
            s, t = int(keys[i, 1]), int(keys[i, 2])
            if np.all(held[t:t + spec.duration_h, s] + spec.gpus <= site_gpus[s]):
                held[t:t + spec.duration_h, s] += spec.gpus
                values[i] = 1.0
                break
    return values


def integral(values: np.ndarray, tol: float = SUPPORT_TOL) -> bool:
    """True when every value is within ``tol`` of 0 or 1."""
    return bool(np.all(np.minimum(np.abs(values), np.abs(1.0 - values)) < tol))
