"""Apply the bursty demand modulation of :mod:`simulator.bursts` to inference arrivals."""

from __future__ import annotations

import numpy as np

from simulator.bursts import Bursts

OFF, BASE, BURST = 0, 1, 2


def modulation(bursts: Bursts, hours: int, rng: np.random.Generator) -> np.ndarray:
    """Multipliers [hours] of one region (mean 1 in the long run; 0 in off hours)."""
    base_share = 1.0 - bursts.off_share - bursts.burst_share
    to_off = bursts.off_share / (base_share * bursts.off_dwell_h)
    to_burst = bursts.burst_share / (base_share * bursts.burst_dwell_h)
    leave = {OFF: 1.0 / bursts.off_dwell_h, BURST: 1.0 / bursts.burst_dwell_h}
    draws = rng.random(hours)
    states = np.empty(hours, dtype=int)
    state = BASE
    for h in range(hours):
        u = draws[h]
        if state == BASE:
            state = OFF if u < to_off else BURST if u < to_off + to_burst else BASE
        elif u < leave[state]:
            state = BASE
        states[h] = state
    level = np.array([0.0, 1.0, bursts.burst_factor])[states]
    noise = np.exp(bursts.noise_sigma * rng.standard_normal(hours) - bursts.noise_sigma ** 2 / 2)
    mean_level = base_share + bursts.burst_share * bursts.burst_factor
    return level * noise / mean_level


def bursty_demand(bursts: Bursts, demand: np.ndarray, seed: int) -> np.ndarray:
    """``demand`` [rows, regions, classes] (requests/h) times an independent modulation per
    region (classes of a region burst together), seeded by ``seed``."""
    rng = np.random.default_rng([int(seed), 0xB0757])
    rows, regions = demand.shape[:2]
    factor = np.stack([modulation(bursts, rows, rng) for _ in range(regions)], axis=1)
    return demand * factor[:, :, None]


def burst_stats(series: np.ndarray) -> dict[str, float]:
    """Coefficient of variation, share of zero bins, peak/mean and p99/mean of counts."""
    x = np.asarray(series, dtype=float)
    mean = x.mean()
    return {"cv": float(x.std() / mean), "zero_share": float((x == 0).mean()),
            "peak_to_mean": float(x.max() / mean),
            "p99_to_mean": float(np.quantile(x, 0.99) / mean)}
