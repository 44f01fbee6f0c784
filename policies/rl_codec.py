"""The RL view of a GridShift hour: an Observation as a normalized vector, and an action vector
as the Decision the engine executes. Shared by the Gymnasium env (gridshift/rl) and the ``rl:``
policy adapter (policies/learned.py), so an agent sees and acts exactly the same way in training
and in ``run``/``compare``/sweeps.

Observation vector (float32, every entry clipped to [-OBS_BOUND, OBS_BOUND]), in this order,
S sites and K classes; price and carbon scales are the mean absolute value of the realized
history block before the run (known at t = 0, no peeking):

====================  =====  ==================================================================
block                 size   value
====================  =====  ==================================================================
buy_price             2S     forecast for hour t, mean forecast of t..t+23; / history scale
sell_price            2S     same
carbon                2S     same (gCO2/kWh / history scale)
pv_cf, wind_cf        4S     same, capacity factors as they are (0..1)
temperature           S      forecast for hour t: (degC - 20) / 20
soc                   S      state of charge / usable maximum (0 without a battery)
gpus_training         S      GPUs held by training jobs / GPUs
demand                K      forecast requests for hour t summed over regions / history mean
pending jobs          4      count / 10, GPUs / all GPUs, least slack (h) / 24,
                             GPU-hours / (all GPUs x 24)
time                  5      sin, cos of hour of day; sin, cos of day of week; t / run hours
====================  =====  ==================================================================

Action vector (nominally in [-1, 1]; values outside are passed on and clipped by the engine
like any policy's, and counted in the clips table), in this order:

====================  =====  ==================================================================
block                 size   meaning
====================  =====  ==================================================================
battery               S      setpoint as a fraction of the battery's power rating (+ charge)
genset                S      output as a fraction of capacity (negative = off)
routing               K x S  preference of class k for site s: each (region, class) is routed
                             in full over its admissible sites, shares ~ exp(4 x preference)
placement             S      site scores: a job goes to the best-scored site with free GPUs
admission             1      u: pending jobs whose slack (latest start - t) is at most
                             (u + 1) / 2 x ADMIT_HORIZON_H start now, least slack first
====================  =====  ==================================================================
"""

from __future__ import annotations

import numpy as np

from simulator.contracts import Decision, Observation
from simulator.system import SystemModel

OBS_BOUND = 10.0
FORECAST_H = 24
ADMIT_HORIZON_H = 48.0
ROUTING_SHARPNESS = 4.0
_SCALED = ("buy_price", "sell_price", "carbon")
_RAW = ("pv_cf", "wind_cf")


def observation_size(system: SystemModel) -> int:
    """Length of the observation vector."""
    return 13 * system.n_sites + system.n_classes + 4 + 5


def action_size(system: SystemModel) -> int:
    """Length of the action vector."""
    return 3 * system.n_sites + system.n_classes * system.n_sites + 1


def _scale(values: np.ndarray, axis: int | tuple[int, ...] | None = None) -> np.ndarray:
    if len(values) == 0:
        return np.ones(()) if axis is None else np.ones(values.shape[1:])
    s = np.mean(np.abs(values), axis=axis)
    return np.where(s > 1e-9, s, 1.0)


class ObservationEncoder:
    """Observation -> normalized float32 vector (layout in the module docstring)."""

    def __init__(self, system: SystemModel) -> None:
        self.system = system
        self.size = observation_size(system)
        self._scales: dict[str, np.ndarray] | None = None

    def reset(self) -> None:
        """Forget the history scales (a new run)."""
        self._scales = None

    def _history_scales(self, obs: Observation) -> dict[str, np.ndarray]:
        scales = {sig: _scale(obs.history(sig), axis=0) for sig in _SCALED}
        scales["demand"] = _scale(obs.history("demand").sum(axis=1), axis=0)
        return scales

    def encode(self, obs: Observation) -> np.ndarray:
        """The observation vector of ``obs``; scales come from the first observation seen."""
        if self._scales is None:
            self._scales = self._history_scales(obs)
        sys_, sc = self.system, self._scales
        parts: list[np.ndarray] = []
        for sig in (*_SCALED, *_RAW):
            f = obs.forecast(sig, FORECAST_H)
            div = sc.get(sig, 1.0)
            parts += [f[0] / div, f.mean(axis=0) / div]
        parts.append((obs.forecast("temperature", 1)[0] - 20.0) / 20.0)
        soc_max = sys_.soc_max_mwh
        parts.append(np.divide(obs.soc_mwh, soc_max, out=np.zeros_like(soc_max),
                               where=soc_max > 0))
        parts.append(obs.gpus_training / np.maximum(sys_.gpus, 1))
        parts.append(obs.forecast("demand", 1)[0].sum(axis=0) / sc["demand"])
        parts.append(self._pending(obs))
        parts.append(self._time(obs))
        out = np.concatenate(parts).astype(np.float32)
        np.nan_to_num(out, copy=False, nan=0.0)
        return np.clip(out, -OBS_BOUND, OBS_BOUND, out=out)

    def _pending(self, obs: Observation) -> np.ndarray:
        total = max(float(self.system.gpus.sum()), 1.0)
        if not obs.pending:
            return np.array([0.0, 0.0, 1.0, 0.0])
        gpus = sum(j.gpus for j in obs.pending)
        slack = min(j.latest_start - obs.t for j in obs.pending)
        gpu_h = sum(j.gpus * j.duration_h for j in obs.pending)
        return np.array([len(obs.pending) / 10.0, gpus / total, slack / 24.0,
                         gpu_h / (total * 24.0)])

    @staticmethod
    def _time(obs: Observation) -> np.ndarray:
        ts = obs.timestamp
        hod = 2 * np.pi * ts.hour / 24.0
        dow = 2 * np.pi * ts.day_of_week / 7.0
        return np.array([np.sin(hod), np.cos(hod), np.sin(dow), np.cos(dow),
                         obs.t / max(obs.hours_total, 1)])


class ActionDecoder:
    """Action vector -> Decision (layout in the module docstring). Shape errors raise
    ValueError; out-of-range values go to the engine, which clips and counts them."""

    def __init__(self, system: SystemModel) -> None:
        self.system = system
        self.size = action_size(system)
        self._admissible = system.admissible.astype(float)  # [R, K, S]

    def decode(self, action: np.ndarray, obs: Observation) -> Decision:
        """The Decision for hour ``obs.t``."""
        sys_, S, K = self.system, self.system.n_sites, self.system.n_classes
        a = np.asarray(action, dtype=float).reshape(-1)
        if a.shape != (self.size,):
            raise ValueError(f"action has {a.size} entries, expected {self.size}")
        battery, genset = a[:S], a[S:2 * S]
        prefs = a[2 * S:2 * S + K * S].reshape(K, S)
        scores, admission = a[2 * S + K * S:3 * S + K * S], a[-1]
        return Decision(
            starts=self._starts(obs, scores, admission),
            routing=self._routing(prefs),
            battery_mw=battery * sys_.battery_mw,
            genset_mw=np.maximum(genset, 0.0) * sys_.genset_mw,
        )

    def _routing(self, prefs: np.ndarray) -> np.ndarray:
        z = prefs - np.max(prefs, axis=1, keepdims=True)
        weight = self._admissible * np.exp(ROUTING_SHARPNESS * z)[None, :, :]
        total = weight.sum(axis=2, keepdims=True)
        # NaN preferences stay NaN: the engine refuses them and counts the clip.
        return np.divide(weight, total, out=np.where(np.isnan(weight), np.nan, 0.0),
                         where=total > 0)

    def _starts(self, obs: Observation, scores: np.ndarray,
                admission: float) -> list[tuple[int, int]]:
        threshold = (admission + 1.0) / 2.0 * ADMIT_HORIZON_H
        free = obs.gpus_free.astype(float)
        order = np.argsort(-scores, kind="stable")
        starts = []
        for job in sorted(obs.pending, key=lambda j: (j.latest_start, j.job_id)):
            if not job.latest_start - obs.t <= threshold:
                continue
            for s in order:
                if free[s] >= job.gpus:
                    starts.append((job.job_id, int(s)))
                    free[s] -= job.gpus
                    break
        return starts
