"""Online quantile forecasts: a point forecaster plus offsets learned from its residuals.

:class:`QuantileForecaster` wraps any point forecaster. For every level tau in
:data:`QUANTILE_LEVELS`, lead l (0-based) and series m the tau-quantile forecast is the point
forecast plus an offset learned online from the point forecast's residuals ``r = y - y_hat``
as they are revealed (delayed feedback, as in :mod:`traces.forecast_online`). Two learners:

* ``conformal`` (the default): scaled conformal calibration. A residual scale ``s[l, h, m]``
  per lead, target hour of day h and series is the bias-corrected exponential moving average
  (weight ``scale_alpha`` per day) of ``|r|`` at that lead and hour (``|r|`` winsorized at
  ``winsor`` times the scale in use), shrunk towards the lead's own average over all hours
  with ``prior_days`` updates of weight; the offset is ``s`` times the
  empirical tau-quantile of the last ``window_h`` scaled residuals ``r / s`` of the lead and
  series (linear interpolation; normal quantiles until 24 are in). It adapts the width to the
  hour of day and to the recent error level. The scale is floored at 0.001 sigma and the
  scaled residuals clipped at +-50 (cells of exact forecasts, e.g. PV at night).
* ``pinball``: an offset ``q[tau, l, m]`` in units of the series' scale sigma takes one
  stochastic Bregman step (:func:`optimizers.bregman.relaxed_step`, Euclidean) on the pinball
  loss, subgradient ``1{y < y_hat + sigma q} - tau``, step ``step``; the offsets are sorted
  across levels after each step so level k's gradient always acts on the k-th quantile.

``known`` [rows, M] (last known row per series at each row, e.g. published day-ahead prices,
:func:`~traces.forecast_info.known_through`) leaves out of the learning the forecasts whose
target was already known at issue: those are served exactly, not forecast.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import norm

from optimizers.bregman import relaxed_step
from optimizers.mirror_maps import Euclidean
from traces.forecast_online import DelayedFeedbackForecaster
from traces.forecasters import Forecaster

QUANTILE_LEVELS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
"""Levels every quantile forecaster tracks (the 10-90 % interval is the outer pair)."""
QUANTILE_METHODS: tuple[str, ...] = ("conformal", "pinball")
_EUCLIDEAN = Euclidean()
_MIN_RESIDUALS = 24  # scaled residuals per lead and series before their quantiles are used
_SCALE_FLOOR = 1e-3  # least residual scale, x sigma (a cell of exact forecasts: PV at night)
_MAX_SCALED = 50.0  # scaled residuals are clipped here (a first error after exact ones)


def pinball(truth: np.ndarray, quantile: np.ndarray, level: float) -> np.ndarray:
    """Pinball loss ``max(tau (y - q), (tau - 1)(y - q))`` in the signal's units."""
    diff = truth - quantile
    return np.maximum(level * diff, (level - 1.0) * diff)


class QuantileForecaster(DelayedFeedbackForecaster):
    """Quantiles of ``base``'s point forecast learned online (module docstring)."""

    def __init__(self, base: Forecaster, horizon_h: int = 24, step: float = 0.02,
                 warmup_h: int = 28 * 24, levels: tuple[float, ...] = QUANTILE_LEVELS, *,
                 method: str = "conformal", known: np.ndarray | None = None,
                 window_h: int = 56 * 24, scale_alpha: float = 0.05, prior_days: float = 10.0,
                 winsor: float = 4.0) -> None:
        super().__init__(horizon_h, warmup_h)
        if method not in QUANTILE_METHODS:
            raise ValueError(f"unknown quantile method '{method}' (known: "
                             f"{', '.join(QUANTILE_METHODS)})")
        if window_h < _MIN_RESIDUALS or not 0.0 < scale_alpha <= 1.0:
            raise ValueError(f"quantiles need window_h >= {_MIN_RESIDUALS} and "
                             f"0 < scale_alpha <= 1")
        self.base = base
        self.name = f"{base.name}-quantiles"
        self.needs_truth = base.needs_truth
        self.lookback_h = max(1, base.lookback_h)
        self.levels = np.asarray(levels, dtype=float)
        self.step, self.method, self.known = step, method, known
        self.window_h, self.scale_alpha = window_h, scale_alpha
        self.prior_days, self.winsor = prior_days, winsor
        self.observers: list[Callable[..., None]] = []
        """Called at every reveal with the revealed row, 0-based leads [L], point [L, M] and
        quantile [K, L, M] forecasts as issued, and the truth [M]."""

    @property
    def history_h(self) -> int:
        """Enough history for the base's own look-back and this wrapper's warm-up."""
        return max(super().history_h, self.base.history_h + self.warmup_h + 24)

    def quantile(self, history: np.ndarray, row: int, horizon: int, level: float) -> np.ndarray:
        """The ``level`` quantile forecast of rows row..row+horizon-1 (history: rows < row)."""
        k = self._level_index(level)
        self._catch_up(history, row)
        if horizon <= self.horizon_h:
            out = self._X[row % self.horizon_h, :horizon, :, 2 + k]
        else:
            out = self._features(history, row, horizon)[..., 2 + k]
        return out.reshape(len(out), *history.shape[1:])

    def _level_index(self, level: float) -> int:
        hit = np.flatnonzero(np.isclose(self.levels, level))
        if not len(hit):
            raise ValueError(f"quantile level {level} is not tracked (levels: "
                             f"{', '.join(f'{v:g}' for v in self.levels)})")
        return int(hit[0])

    def _setup(self, n_series: int) -> None:
        k, h = len(self.levels), self.horizon_h
        if self.method == "pinball":
            self._q = np.zeros((k, h, n_series))
            return
        # bias-corrected moving averages of |r| per lead and hour of day, and per lead
        self._s = np.zeros((h, 24, n_series))
        self._n_s = np.zeros((h, 24, n_series))
        self._s_lead = np.zeros((h, n_series))
        self._n_lead = np.zeros((h, n_series))
        self._u = np.full((self.window_h, h, n_series), np.inf)  # scaled residuals (ring)
        self._count = np.zeros((h, n_series), dtype=int)
        self._q = np.broadcast_to((norm.ppf(self.levels) / np.sqrt(2.0 / np.pi))[:, None, None],
                                  (k, h, n_series)).copy()  # normal, in units of mean |r|

    def _features(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        """Point forecast, the residual scale used and the quantiles: [horizon, M, 2 + K]."""
        point = self.base.issue(history, row, horizon).reshape(horizon, -1)
        leads = np.minimum(np.arange(horizon), self.horizon_h - 1)
        if self.method == "pinball":
            scale = np.broadcast_to(self.scale, point.shape)
            q = point[None] + scale * np.sort(self._q[:, leads], axis=0)
        else:
            scale = self._scale_of(leads, (row + np.arange(horizon)) % 24)
            q = point[None] + scale * self._q[:, leads]
        return np.concatenate([point[..., None], scale[..., None], np.moveaxis(q, 0, -1)],
                              axis=-1)

    def _scale_of(self, leads: np.ndarray, hours: np.ndarray) -> np.ndarray:
        """Residual scale [L, M] at ``leads`` and target ``hours``: the hour's scale shrunk
        towards the lead's (``prior_days`` of weight), sigma before any; floored."""
        n_lead = self._n_lead[leads]
        lead = np.where(n_lead > 0, _unbiased(self._s_lead[leads], n_lead,
                                              self.scale_alpha / 24.0), self.scale)
        n = self._n_s[leads, hours]
        cell = _unbiased(self._s[leads, hours], n, self.scale_alpha)
        scale = (n * cell + self.prior_days * lead) / (n + self.prior_days)
        return np.maximum(scale, _SCALE_FLOOR * self.scale)

    def _predict(self, features: np.ndarray, leads: np.ndarray) -> np.ndarray:
        return features[..., 0]

    def _learn(self, leads: np.ndarray, features: np.ndarray, issued: np.ndarray,
               truth: np.ndarray) -> None:
        served = np.moveaxis(features[..., 2:], -1, 0)  # [K, L, M] as issued
        for observer in self.observers:
            observer(self.revealed_row, leads, issued, served, truth)
        learn = np.ones(issued.shape, dtype=bool)
        if self.known is not None:  # targets known at issue were served exactly
            learn = self.revealed_row > self.known[self.revealed_row - leads]
        if self.method == "pinball":
            grad = ((truth < served).astype(float) - self.levels[:, None, None]) * learn
            step = relaxed_step(_EUCLIDEAN, self._q[:, leads], grad * self.step, 1.0)
            self._q[:, leads] = np.sort(step, axis=0)  # rearranged: level k stays k-th
        else:
            self._calibrate(leads, truth - issued, features[..., 1], learn)

    def _calibrate(self, leads: np.ndarray, resid: np.ndarray, scale: np.ndarray,
                   learn: np.ndarray) -> None:
        """Add the scaled residuals [L, M] of ``leads`` where ``learn``, update the scales of
        the revealed hour and the empirical quantiles of the leads."""
        lead_idx, series = np.nonzero(learn)
        if not len(lead_idx):
            return
        lead = leads[lead_idx]
        slot = self._count[lead, series] % self.window_h
        self._u[slot, lead, series] = np.clip(resid[lead_idx, series] / scale[lead_idx, series],
                                              -_MAX_SCALED, _MAX_SCALED)
        self._count[lead, series] += 1
        hour = self.revealed_row % 24
        size = np.minimum(np.abs(resid[lead_idx, series]),
                          self.winsor * scale[lead_idx, series])  # a spike inflates it less
        for state, count, alpha, at in (
                (self._s, self._n_s, self.scale_alpha, (lead, hour, series)),
                (self._s_lead, self._n_lead, self.scale_alpha / 24.0, (lead, series))):
            state[at] = (1.0 - alpha) * state[at] + alpha * size
            count[at] += 1
        touched = np.unique(lead)
        n = np.minimum(self._count[touched], self.window_h)  # [T, M]
        pos = self.levels[:, None, None] * (n - 1)[None]  # [K, T, M]
        a, b = _order_statistics(self._u[:, touched], n, self.levels)
        with np.errstate(invalid="ignore"):
            q = a + (pos - np.floor(pos)) * (b - a)
        ready = (n >= _MIN_RESIDUALS)[None]
        self._q[:, touched] = np.where(ready, q, self._q[:, touched])


def _order_statistics(window: np.ndarray, n: np.ndarray,
                      levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two order statistics around each ``levels`` quantile (linear interpolation) of the
    first ``n`` [T, M] values of ``window`` [W, T, M] in sorted order (unfilled slots are inf
    and sort last): (lower, upper), each [K, T, M]; NaN where n < _MIN_RESIDUALS. Columns with
    the same n are partitioned together at just those ranks (a full sort per hour was the
    learner's whole cost)."""
    shape = (len(levels), *n.shape)
    lower, upper = np.full(shape, np.nan), np.full(shape, np.nan)
    for count in np.unique(n[n >= _MIN_RESIDUALS]):
        columns = n == count
        lo = np.floor(levels * (count - 1)).astype(int)
        hi = np.minimum(lo + 1, count - 1)
        ranked = np.partition(window[:, columns], np.unique(np.concatenate([lo, hi])), axis=0)
        lower[:, columns], upper[:, columns] = ranked[lo], ranked[hi]
    return lower, upper


def _unbiased(average: np.ndarray, n: np.ndarray, alpha: float) -> np.ndarray:
    """A moving average started at 0 after ``n`` steps of weight ``alpha``, bias-corrected
    (the plain mean of the first steps); 0 where ``n`` is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, average / (1.0 - (1.0 - alpha) ** n), 0.0)
