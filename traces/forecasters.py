"""Base forecasters: at issue row t they forecast rows t..t+H-1 from history before t.

A forecaster sees ``history`` = realized rows strictly before its issue row and nothing else:
all of them, or at least the last ``history_h`` (the ForecastProvider hands over a fresh copy
of that many), so forecasters index history from its end.
Only forecasters that declare ``needs_truth`` (perfect and noisy-perfect, used as bounds and in
experiments) are handed the full realized series, explicitly, when they are built.
Shapes: history [n, ...] -> forecast [horizon, ...] with the same trailing shape, in the
signal's own units. Every forecaster here is *prefix-consistent*: the forecast for a shorter
horizon is the first rows of the forecast for a longer one.
"""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

import numpy as np

NoiseKind = Literal["multiplicative", "additive"]


class Forecaster(ABC):
    """Issues a forecast of one signal for the next ``horizon`` hours.

    ``lookback_h`` is how many hours of history the forecaster needs to be fully defined (with
    less it falls back to persistence, or refuses below one hour).
    """

    name: str = "forecaster"
    needs_truth: bool = False
    lookback_h: int = 1

    @property
    def history_h(self) -> int:
        """Hours of history the forecaster reads (at least one)."""
        return max(self.lookback_h, 1)

    @abstractmethod
    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        """Forecast rows row..row+horizon-1; ``history`` holds rows < row only."""


class PerfectForecaster(Forecaster):
    """The realized future (the oracle's view): an upper bound, never a real forecast."""

    name = "perfect"
    needs_truth = True
    lookback_h = 0

    def __init__(self, truth: np.ndarray) -> None:
        self._truth = truth

    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        return self._truth[row : row + horizon].copy()


@dataclass(frozen=True)
class NoiseModel:
    """Error model of the noisy-perfect forecaster: AR(1) noise over lead time.

    With z_l iid standard normal per series, ``e_0 = sigma z_0`` and
    ``e_l = phi e_(l-1) + sigma z_l``, so the error standard deviation at lead l (hours after
    the issue hour) is ``sigma sqrt((1 - phi^(2(l+1))) / (1 - phi^2))``: it grows with lead
    time and saturates at ``sigma / sqrt(1 - phi^2)`` (for ``phi = 1``: ``sigma sqrt(l+1)``).
    ``multiplicative``: forecast = truth x max(0, 1 + e_l) (sigma is a fraction, keeps the sign);
    ``additive``: forecast = truth + e_l x std(series) (sigma in units of the series' std).
    """

    kind: NoiseKind = "multiplicative"
    sigma: float = 0.03
    phi: float = 0.95

    def __post_init__(self) -> None:
        if self.kind not in ("multiplicative", "additive"):
            raise ValueError(f"noise kind must be 'multiplicative' or 'additive', "
                             f"got {self.kind!r}")
        if not (np.isfinite(self.sigma) and self.sigma >= 0):
            raise ValueError(f"noise sigma must be >= 0, got {self.sigma!r}")
        if not 0.0 <= self.phi <= 1.0:
            raise ValueError(f"noise phi must lie in [0, 1], got {self.phi!r}")

    def lead_std(self, lead: np.ndarray) -> np.ndarray:
        """Standard deviation of e_l at leads ``lead`` (0-based hours after the issue hour)."""
        lead = np.asarray(lead, dtype=float)
        if self.phi == 1.0:
            return self.sigma * np.sqrt(lead + 1.0)
        return self.sigma * np.sqrt((1.0 - self.phi ** (2.0 * (lead + 1.0))) /
                                    (1.0 - self.phi ** 2))


class NoisyPerfectForecaster(Forecaster):
    """The realized future blurred by :class:`NoiseModel` errors that grow with lead time.

    The noise is a deterministic function of (seed, signal, issue row): the same run gives the
    same forecasts bit for bit, and forecasts of different horizons share their first rows.
    """

    name = "noisy-perfect"
    needs_truth = True
    lookback_h = 0

    def __init__(self, truth: np.ndarray, noise: NoiseModel, seed: int, signal: str) -> None:
        self._truth = truth
        self._noise = noise
        self._key = (int(seed), zlib.crc32(signal.encode()))
        std = np.std(truth, axis=0) if len(truth) else np.zeros(truth.shape[1:])
        self._series_std = np.where(std > 0, std, 1.0)

    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        truth = self._truth[row : row + horizon]
        rng = np.random.default_rng([*self._key, int(row)])
        z = rng.standard_normal(truth.shape)
        err = np.empty_like(z)
        prev = np.zeros(truth.shape[1:])
        for lead in range(len(truth)):
            prev = self._noise.phi * prev + self._noise.sigma * z[lead]
            err[lead] = prev
        if self._noise.kind == "multiplicative":
            return truth * np.maximum(1.0 + err, 0.0)
        return truth + err * self._series_std


class PersistenceForecaster(Forecaster):
    """Every lead hour equals the last observed hour."""

    name = "persistence"

    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        _require_history(history, 1, self.name)
        return np.repeat(history[-1:], horizon, axis=0)


class SeasonalNaiveForecaster(Forecaster):
    """Lead hour l repeats the value one season (24 h or 168 h) earlier, the latest observed.

    With less than one season of history it falls back to persistence.
    """

    def __init__(self, period_h: int) -> None:
        self.period_h = period_h
        self.lookback_h = period_h
        self.name = f"seasonal-naive-{period_h}"

    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        _require_history(history, 1, self.name)
        n, p = len(history), self.period_h
        if n < p:
            return np.repeat(history[-1:], horizon, axis=0)
        leads = np.arange(horizon)
        return history[n - p + leads % p]


class SeasonalMeanForecaster(Forecaster):
    """Lead hour l is the mean of the same hour of the season over the last ``cycles`` seasons
    (a seasonal moving average: the average daily profile for ``period_h = 24``).

    It uses as many whole seasons as the history holds (at least one); with less than one
    season of history it falls back to persistence.
    """

    def __init__(self, period_h: int = 24, cycles: int = 7) -> None:
        self.period_h = period_h
        self.cycles = cycles
        self.lookback_h = period_h * cycles
        self.name = f"seasonal-mean-{period_h}x{cycles}"

    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        _require_history(history, 1, self.name)
        n, p = len(history), self.period_h
        k = min(self.cycles, n // p)
        if k == 0:
            return np.repeat(history[-1:], horizon, axis=0)
        same_hour = n - p + np.arange(horizon) % p  # latest observed same hour of the season
        return np.mean([history[same_hour - c * p] for c in range(k)], axis=0)


class MovingAverageForecaster(Forecaster):
    """Every lead hour equals the mean of the last ``window_h`` hours (fewer if not available)."""

    def __init__(self, window_h: int = 24) -> None:
        self.window_h = window_h
        self.lookback_h = window_h
        self.name = f"moving-average-{window_h}"

    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        _require_history(history, 1, self.name)
        mean = history[-self.window_h :].mean(axis=0, keepdims=True)
        return np.repeat(mean, horizon, axis=0)


def _require_history(history: np.ndarray, need: int, name: str) -> None:
    if len(history) < need:
        raise ValueError(f"forecaster '{name}' needs at least {need} h of history before the "
                         f"run start; give the traces history_hours >= {need}")
