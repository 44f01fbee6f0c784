"""Job starts from an LP relaxation: rounding, sub-MIP neighbourhoods, columns worth pricing in.

Every function works on the job block's start keys (job position, site, slot), int [N, 3], in
job order, and on per-key arrays; GPUs held are [H, S]. A rounding only ever places a job where
its GPUs fit beside the jobs already running and already placed (``held + gpus <= site GPUs``
in every slot it runs inside the horizon), so the fixed model stays feasible: inference can
always yield.
"""

from __future__ import annotations

import numpy as np

from optimizers.milp.data import JobSpec

SUPPORT_TOL = 1e-6  # LP value under which a start is outside the LP support
START_MASS = 0.5  # a job is started when its LP starts add up to at least this


def _job_bounds(keys: np.ndarray, n_jobs: int) -> np.ndarray:
    """Key range [bounds[n], bounds[n + 1]) of each job (keys come job by job)."""
    return np.searchsorted(keys[:, 0], np.arange(n_jobs + 1))


def rounded_starts(keys: np.ndarray, weight: np.ndarray, attraction: np.ndarray,
                   jobs: tuple[JobSpec, ...], held: np.ndarray, site_gpus: np.ndarray,
                   preferred: np.ndarray | None = None) -> np.ndarray:
    """0/1 per key: the LP relaxation ``weight`` rounded. Jobs with a ``preferred`` key come
    first, tried there first; then the jobs whose LP starts add up to at least
    :data:`START_MASS`, the most certain first (largest single LP start, then largest total);
    each at its heaviest LP start whose GPUs are free, else at the free start the LP prices
    best (``attraction``: gain per unit, larger = better); the others are not started.
    Deterministic: ties go to the lower job position and key order."""
    values = np.zeros(len(keys))
    if not len(keys):
        return values
    preferred = np.zeros(len(keys), dtype=bool) if preferred is None else preferred
    held = held.copy()
    job = keys[:, 0]
    mass = np.bincount(job, weights=weight, minlength=len(jobs))
    peak = np.zeros(len(jobs))
    np.maximum.at(peak, job, weight)
    first = np.bincount(job, weights=preferred, minlength=len(jobs)) > 0
    bounds = _job_bounds(keys, len(jobs))
    for n in np.lexsort((np.arange(len(jobs)), -mass, -peak, ~first)).tolist():
        if mass[n] < START_MASS and not first[n]:
            continue
        lo, hi = int(bounds[n]), int(bounds[n + 1])
        support = np.where(weight[lo:hi] > SUPPORT_TOL, weight[lo:hi], 0.0)
        ranked = lo + np.lexsort((-attraction[lo:hi], -support, ~preferred[lo:hi]))
        spec = jobs[n]
        for i in ranked.tolist():
            s, t = int(keys[i, 1]), int(keys[i, 2])
            if np.all(held[t:t + spec.duration_h, s] + spec.gpus <= site_gpus[s]):
                held[t:t + spec.duration_h, s] += spec.gpus
                values[i] = 1.0
                break
    return values


def neighbourhood(keys: np.ndarray, weight: np.ndarray, radius: int,
                  preferred: np.ndarray) -> np.ndarray:
    """Per key: within ``radius`` slots of an LP start (same job and site), or ``preferred``."""
    if not len(keys):
        return np.zeros(0, dtype=bool)
    span = int(keys[:, 2].max()) + 2 * radius + 2
    code = (keys[:, 0] * (int(keys[:, 1].max()) + 1) + keys[:, 1]) * span + keys[:, 2]
    support = code[weight > SUPPORT_TOL]
    near = preferred.copy()
    for shift in range(-radius, radius + 1):
        near |= np.isin(code + shift, support)
    return near


def best_per_job(keys: np.ndarray, score: np.ndarray, count: int,
                 eligible: np.ndarray | None = None) -> np.ndarray:
    """Per key: among the ``count`` highest ``score`` of its job (only ``eligible`` keys;
    ties to the lower key)."""
    eligible = np.ones(len(keys), dtype=bool) if eligible is None else eligible
    if not len(keys):
        return eligible.copy()
    order = np.lexsort((np.arange(len(keys)), -score, ~eligible, keys[:, 0]))
    job = keys[order, 0]
    rank = np.arange(len(keys)) - np.searchsorted(job, job)  # position within the job
    out = np.zeros(len(keys), dtype=bool)
    out[order] = (rank < count) & eligible[order]
    return out


def missing_gain(keys: np.ndarray, gain: np.ndarray, missing: np.ndarray, n_jobs: int) -> float:
    """What the ``missing`` start columns could add to an LP optimum whose reduced costs give
    ``gain`` (objective units per unit start): each job starts at most once, so at most its
    best missing gain (Lagrangian bound keeping the one-start rows, the others dualised)."""
    best = np.zeros(n_jobs)
    np.maximum.at(best, keys[missing, 0], gain[missing])
    return float(best.sum())


def integral(values: np.ndarray, tol: float = SUPPORT_TOL) -> bool:
    """True when every value is within ``tol`` of 0 or 1."""
    return bool(np.all(np.minimum(np.abs(values), np.abs(1.0 - values)) < tol))
