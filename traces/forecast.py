"""Forecasters: at run hour t they issue values for hours t..t+H-1 from history before t.

A forecaster sees ``history`` = realized rows strictly before its issue time and nothing else.
Only forecasters that declare ``needs_truth`` (the perfect and noisy-perfect ones, used as
bounds) are handed the full realized series, explicitly, when they are built.
Shapes: history [n, ...] -> forecast [horizon, ...] with the same trailing shape.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np
import pandas as pd

from traces.traceset import SIGNALS, TraceSet


class Forecaster(ABC):
    """Issues a forecast of one signal for the next ``horizon`` hours."""

    name: str = "forecaster"
    needs_truth: bool = False

    @abstractmethod
    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        """Forecast rows row..row+horizon-1; ``history`` holds rows < row only."""


class PerfectForecaster(Forecaster):
    """The realized future (the oracle's view): an upper bound, never a real forecast."""

    name = "perfect"
    needs_truth = True

    def __init__(self, truth: np.ndarray) -> None:
        self._truth = truth

    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        return self._truth[row : row + horizon].copy()


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
        self.name = f"seasonal-naive-{period_h}"

    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        _require_history(history, 1, self.name)
        n, p = len(history), self.period_h
        if n < p:
            return np.repeat(history[-1:], horizon, axis=0)
        leads = np.arange(horizon)
        return history[n - p + leads % p]


class MovingAverageForecaster(Forecaster):
    """Every lead hour equals the mean of the last ``window_h`` hours."""

    def __init__(self, window_h: int = 24) -> None:
        self.window_h = window_h
        self.name = f"moving-average-{window_h}"

    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        _require_history(history, 1, self.name)
        mean = history[-self.window_h :].mean(axis=0, keepdims=True)
        return np.repeat(mean, horizon, axis=0)


def _require_history(history: np.ndarray, need: int, name: str) -> None:
    if len(history) < need:
        raise ValueError(f"forecaster '{name}' needs at least {need} h of history before the "
                         f"run start; give the traces history_hours >= {need}")


ForecasterFactory = Callable[[np.ndarray, int], Forecaster]
FORECASTERS: dict[str, ForecasterFactory] = {
    "perfect": lambda truth, seed: PerfectForecaster(truth),
    "persistence": lambda truth, seed: PersistenceForecaster(),
    "seasonal-naive-24": lambda truth, seed: SeasonalNaiveForecaster(24),
    "seasonal-naive-168": lambda truth, seed: SeasonalNaiveForecaster(168),
    "moving-average-24": lambda truth, seed: MovingAverageForecaster(24),
}


def make_forecaster(name: str, truth: np.ndarray, seed: int = 0) -> Forecaster:
    """Build a registered forecaster; ``truth`` reaches only those that declare needs_truth."""
    try:
        factory = FORECASTERS[name]
    except KeyError:
        raise ValueError(
            f"unknown forecaster '{name}' (known: {', '.join(sorted(FORECASTERS))})"
        ) from None
    return factory(truth, seed)


class ForecastProvider:
    """Serves forecasts of every signal to policies during one run, cached per hour.

    ``methods`` maps signal name (or ``*`` for every other signal) to forecaster name; signals
    not named and without ``*`` get ``seasonal-naive-24``. Hour t of the run is trace row
    ``traces.history_hours + t``; the horizon is cut at the end of the traces.
    """

    def __init__(self, traces: TraceSet, methods: dict[str, str], seed: int = 0) -> None:
        unknown = set(methods) - set(SIGNALS) - {"*"}
        if unknown:
            raise ValueError(f"forecast for unknown signals {sorted(unknown)} "
                             f"(known: {', '.join(SIGNALS)})")
        self._traces = traces
        self._forecasters = {
            sig: make_forecaster(methods.get(sig, methods.get("*", "seasonal-naive-24")),
                                 traces.signal(sig), seed)
            for sig in SIGNALS
        }
        self._cache: dict[tuple[str, int, int], np.ndarray] = {}
        self._cache_hour = -1

    def forecaster(self, signal: str) -> Forecaster:
        """The forecaster serving ``signal``."""
        return self._forecasters[signal]

    def artifacts(self) -> dict[str, pd.DataFrame]:
        """Tables a run folder should keep about the forecasts (none for plain forecasters)."""
        return {}

    def forecast(self, signal: str, t: int, horizon: int) -> np.ndarray:
        """Forecast of ``signal`` for run hours t..t+horizon-1 (shorter at the trace end)."""
        if t != self._cache_hour:
            self._cache.clear()
            self._cache_hour = t
        key = (signal, t, horizon)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        row = self._traces.history_hours + t
        horizon = max(0, min(horizon, len(self._traces.index) - row))
        truth = self._traces.signal(signal)
        out = self._forecasters[signal].issue(truth[:row], row, horizon)
        out.setflags(write=False)
        self._cache[key] = out
        return out


def methods_from_config(method: str, per_signal: dict[str, str]) -> dict[str, str]:
    """Expand a default method and per-signal overrides into a full signal -> method map."""
    unknown = set(per_signal) - set(SIGNALS)
    if unknown:
        raise ValueError(f"forecast.per_signal: unknown signals {sorted(unknown)}")
    return {sig: per_signal.get(sig, method) for sig in SIGNALS}
