"""Online ridge / AR regression forecaster on lags and base forecasts, per lead and series.

At issue row s (history = rows < s, n of them) the features of lead l (0-based) are, in units
of the series' scale sigma (:func:`~traces.forecast_online.series_scale`):

* ``y(s-1)`` (persistence) and ``y(s-2)``;
* the same hour one and two days before the target, latest observed (``y(n-24+l%24)``,
  ``y(n-48+l%24)``: seasonal-naive-24 and its previous day);
* the same hour a week before (seasonal-naive-168), the mean of the same hour over the last
  seven days (seasonal-mean-24x7) and the mean of the last 24 h (moving-average-24);
* an intercept.

The weights of every (lead, series) are fitted by recursive least squares with exponential
forgetting ``forget`` (an online ridge regression: prior precision ``ridge`` around the
seasonal-naive-24 weights), with delayed feedback (a lead-l forecast is learned from once its
target is revealed) and the residual clipped at ``clip`` sigma (robust to price spikes). With
less than a week of history the missing lags are filled with the latest value.

``ridge-arx`` (:class:`RidgeARXForecaster`) adds exogenous inputs known at the issue hour
(:class:`~traces.forecast_info.ExogenousInputs`): two harmonics of the target's hour of day and,
where the series are sites, the site's latest *published* price at the target's hour of day
(the day-ahead price of the target itself once the auction is out) and that hour a day earlier,
in units of the price's scale. Gas on the margin makes day-ahead prices and carbon intensity
co-move, and the published next-day prices carry the market's own view of the next day.
"""

from __future__ import annotations

import numpy as np

from traces.forecast_info import ExogenousInputs
from traces.forecast_online import DelayedFeedbackForecaster, series_scale

N_FEATURES = 8
_SEASONAL_24 = 2  # index of the same-hour-yesterday feature (the prior's weight)


def lag_features(history: np.ndarray, horizon: int) -> np.ndarray:
    """Features [horizon, M, N_FEATURES] in the history's units (intercept = 1)."""
    flat = history.reshape(len(history), -1)
    n, m = flat.shape
    if n < 168:  # pad the past with the oldest value so every lag exists
        flat = np.concatenate([np.repeat(flat[:1], 168 - n, axis=0), flat])
        n = 168
    leads = np.arange(horizon)
    out = np.empty((horizon, m, N_FEATURES))
    out[..., 0] = flat[-1]
    out[..., 1] = flat[-2]
    out[..., 2] = flat[n - 24 + leads % 24]
    out[..., 3] = flat[n - 48 + leads % 24]
    out[..., 4] = flat[n - 168 + leads % 168]
    same = n - 24 + leads % 24
    out[..., 5] = np.mean([flat[same - 24 * c] for c in range(7)], axis=0)
    out[..., 6] = flat[-24:].mean(axis=0)
    out[..., 7] = 1.0
    return out


class RidgeARForecaster(DelayedFeedbackForecaster):
    """Online ridge regression on lags and base forecasts per lead (module docstring)."""

    name = "ridge-ar"
    lookback_h = 168
    n_features = N_FEATURES

    def __init__(self, horizon_h: int = 24, warmup_h: int = 28 * 24, forget: float = 0.999,
                 ridge: float = 1.0, clip: float = 3.0) -> None:
        super().__init__(horizon_h, warmup_h)
        if not 0.0 < forget <= 1.0 or not ridge > 0 or not clip > 0:
            raise ValueError("ridge-ar needs 0 < forget <= 1, ridge > 0 and clip > 0")
        self.forget, self.ridge, self.clip = forget, ridge, clip

    def _setup(self, n_series: int) -> None:
        h, d = self.horizon_h, self.n_features
        self._w = np.zeros((h, n_series, d))
        self._w[..., _SEASONAL_24] = 1.0
        self._P = np.broadcast_to(np.eye(d) / self.ridge, (h, n_series, d, d)).copy()

    def _features(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        x = lag_features(history, horizon)
        x[..., :-1] /= self.scale[:, None]
        return x

    def _predict(self, features: np.ndarray, leads: np.ndarray) -> np.ndarray:
        w = self._w[np.minimum(leads, self.horizon_h - 1)]
        return np.einsum("lmd,lmd->lm", features, w) * self.scale

    def _learn(self, leads: np.ndarray, features: np.ndarray, issued: np.ndarray,
               truth: np.ndarray) -> None:
        w, p = self._w[leads], self._P[leads]
        err = truth / self.scale - np.einsum("lmd,lmd->lm", features, w)
        err = np.clip(err, -self.clip, self.clip)
        px = np.einsum("lmij,lmj->lmi", p, features)
        gain = px / (self.forget + np.einsum("lmi,lmi->lm", features, px))[..., None]
        self._w[leads] = w + gain * err[..., None]
        self._P[leads] = (p - gain[..., :, None] * px[..., None, :]) / self.forget


class RidgeARXForecaster(RidgeARForecaster):
    """``ridge-ar`` plus hour-of-day harmonics and published prices (module docstring)."""

    name = "ridge-arx"

    def __init__(self, inputs: ExogenousInputs | None = None, horizon_h: int = 24,
                 **kwargs: float) -> None:
        super().__init__(horizon_h, **kwargs)
        self.inputs = inputs or ExogenousInputs()

    def _setup(self, n_series: int) -> None:
        price = self.inputs.price
        self._prices = price is not None and price.shape[1] == n_series
        self.n_features = N_FEATURES + 4 + 2 * self._prices
        if self._prices:  # the price's scale from rows before the first issue (realized)
            self._price_scale = series_scale(price[max(0, self._first_row - self.scale_window_h):
                                                   max(1, self._first_row)])
        super()._setup(n_series)

    def _features(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        x = super()._features(history, row, horizon)
        angle = 2.0 * np.pi * self.inputs.hour_of_day(row + np.arange(horizon)) / 24.0
        calendar = np.stack([np.sin(angle), np.cos(angle), np.sin(2 * angle),
                             np.cos(2 * angle)], axis=-1)
        extra = [np.broadcast_to(calendar[:, None], (*x.shape[:2], 4))]
        if self._prices:
            extra.append(self.inputs.published_price(row, horizon)
                         / self._price_scale[None, :, None])
        return np.concatenate([x, *extra], axis=-1)
