"""Online quantile forecasts: a point forecaster plus offsets learned on the pinball loss.

:class:`QuantileForecaster` wraps any point forecaster. For every level tau in
:data:`QUANTILE_LEVELS`, lead l (0-based) and series m it keeps an offset ``q[tau, l, m]`` in
units of the series' scale sigma; the tau-quantile forecast is ``y_hat[l, m] + sigma_m
q[tau, l, m]`` (sorted across levels so the quantiles never cross). When a target is revealed
(delayed feedback, as in :mod:`traces.forecast_online`), each offset takes one stochastic
Bregman step (:func:`optimizers.bregman.relaxed_step`, Euclidean geometry) on the pinball
loss ``rho_tau(y - y_hat - sigma q)`` whose subgradient in q is ``1{y < y_hat + sigma q} -
tau``; then the offsets are sorted across levels, so level k's gradient always acts on the
k-th quantile.
With a constant step this is online conformal calibration of the point forecast's residuals:
the long-run share of truths below each quantile tracks tau.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from optimizers.bregman import relaxed_step
from optimizers.mirror_maps import Euclidean
from traces.forecast_online import DelayedFeedbackForecaster
from traces.forecasters import Forecaster

QUANTILE_LEVELS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
"""Levels every quantile forecaster tracks (the 10-90 % interval is the outer pair)."""
_EUCLIDEAN = Euclidean()


def pinball(truth: np.ndarray, quantile: np.ndarray, level: float) -> np.ndarray:
    """Pinball loss ``max(tau (y - q), (tau - 1)(y - q))`` in the signal's units."""
    diff = truth - quantile
    return np.maximum(level * diff, (level - 1.0) * diff)


class QuantileForecaster(DelayedFeedbackForecaster):
    """Quantiles of ``base``'s point forecast learned online (module docstring)."""

    def __init__(self, base: Forecaster, horizon_h: int = 24, step: float = 0.02,
                 warmup_h: int = 28 * 24, levels: tuple[float, ...] = QUANTILE_LEVELS) -> None:
        super().__init__(horizon_h, warmup_h)
        self.base = base
        self.name = f"{base.name}-quantiles"
        self.needs_truth = base.needs_truth
        self.lookback_h = max(1, base.lookback_h)
        self.levels = np.asarray(levels, dtype=float)
        self.step = step
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
            out = self._X[row % self.horizon_h, :horizon, :, 1 + k]
        else:
            out = self._features(history, row, horizon)[..., 1 + k]
        return out.reshape(len(out), *history.shape[1:])

    def _level_index(self, level: float) -> int:
        hit = np.flatnonzero(np.isclose(self.levels, level))
        if not len(hit):
            raise ValueError(f"quantile level {level} is not tracked (levels: "
                             f"{', '.join(f'{v:g}' for v in self.levels)})")
        return int(hit[0])

    def _setup(self, n_series: int) -> None:
        self._q = np.zeros((len(self.levels), self.horizon_h, n_series))

    def _features(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        """Point forecast and the quantiles as issued: [horizon, M, 1 + K]."""
        point = self.base.issue(history, row, horizon).reshape(horizon, -1)
        leads = np.minimum(np.arange(horizon), self.horizon_h - 1)
        q = point[None] + self.scale * np.sort(self._q[:, leads], axis=0)
        return np.concatenate([point[..., None], np.moveaxis(q, 0, -1)], axis=-1)

    def _predict(self, features: np.ndarray, leads: np.ndarray) -> np.ndarray:
        return features[..., 0]

    def _learn(self, leads: np.ndarray, features: np.ndarray, issued: np.ndarray,
               truth: np.ndarray) -> None:
        served = np.moveaxis(features[..., 1:], -1, 0)  # [K, L, M] as issued
        grad = (truth < served).astype(float) - self.levels[:, None, None]
        for observer in self.observers:
            observer(self.revealed_row, leads, issued, served, truth)
        step = relaxed_step(_EUCLIDEAN, self._q[:, leads], grad * self.step, 1.0)
        self._q[:, leads] = np.sort(step, axis=0)  # rearranged: level k stays the k-th offset
