"""Skeleton of online forecasters that learn per lead from delayed feedback.

A forecast issued at row s for lead l (0-based) targets row s + l, whose truth is first in the
history at issue row s + l + 1. :class:`DelayedFeedbackForecaster` keeps the last ``horizon_h``
issues in a ring buffer; at every issue row s it first reveals row s - 1 (subclasses learn from
the pending forecasts that target it), then issues for row s. It only reads ``history`` (rows
< s), catches up hour by hour if rows were skipped, and may warm up on up to ``warmup_h`` hours
of history before its first issue row. Subclasses give the features of an issue and the update.
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from traces.forecasters import Forecaster


def series_scale(history: np.ndarray) -> np.ndarray:
    """Typical forecast error of each column of history [n, M]: the RMS of its day-on-day
    change (the seasonal-naive-24 error) given two days, else its std; ``max(|mean|, 1)``
    where that is zero."""
    if len(history) >= 48:
        change = history[24:] - history[:-24]
        scale = np.sqrt(np.mean(change * change, axis=0))
    else:
        scale = history.std(axis=0)
    level = np.abs(history).mean(axis=0)
    return np.where(scale > 1e-9 * (1.0 + level), scale, np.maximum(level, 1.0))


def check_issue_row(what: str, next_row: int, lookback_h: int, row: int, offset: int) -> None:
    """Raise unless an online forecaster next at ``next_row`` can issue for ``row`` from a
    history starting at row ``offset`` (no going back; enough history to catch up)."""
    if row < next_row - 1:
        raise ValueError(f"{what} was at row {next_row - 1}; it cannot issue for the earlier "
                         f"row {row}")
    if offset > max(0, next_row - lookback_h):
        raise ValueError(f"{what} must catch up from row {next_row} but history starts at row "
                         f"{offset}")


class DelayedFeedbackForecaster(Forecaster):
    """Issues for rows s, s+1, ... in order, learning from each revealed row (module docstring).

    Subclasses set ``lookback_h`` and implement :meth:`_setup`, :meth:`_features` (what an
    issue needs to be scored later, [horizon, M, ...]), :meth:`_predict` and :meth:`_learn`.
    """

    scale_window_h: int = 28 * 24

    def __init__(self, horizon_h: int, warmup_h: int) -> None:
        if horizon_h < 1:
            raise ValueError(f"horizon_h must be >= 1, got {horizon_h}")
        self.horizon_h = horizon_h
        self.warmup_h = warmup_h
        self._next_row: int | None = None

    @property
    def history_h(self) -> int:
        """History it reads: the scale window or warm-up plus look-back, and a day of slack."""
        return max(self.scale_window_h, self.warmup_h + self.lookback_h) + 24

    @property
    def started(self) -> bool:
        """True once the first forecast was issued."""
        return self._next_row is not None

    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        self._catch_up(history, row)
        if horizon <= self.horizon_h:
            slot = row % self.horizon_h
            out = self._Y[slot, :horizon].copy()
        else:
            out = self._predict(self._features(history, row, horizon), np.arange(horizon))
        return out.reshape(len(out), *history.shape[1:])

    def _catch_up(self, history: np.ndarray, row: int) -> None:
        offset = row - len(history)  # history[i] is row offset + i
        if self._next_row is None:
            self._begin(history, row)
        else:
            check_issue_row(f"online forecaster '{self.name}'", self._next_row, self.lookback_h,
                            row, offset)
        for s in range(self._next_row, row + 1):
            if s - 1 >= self._first_row:
                self._reveal(s - 1, history[s - 1 - offset].reshape(-1))
            slot = s % self.horizon_h
            self._X[slot] = self._features(history[: s - offset], s, self.horizon_h)
            self._Y[slot] = self._predict(self._X[slot], np.arange(self.horizon_h))
        self._next_row = max(self._next_row, row + 1)

    def _begin(self, history: np.ndarray, row: int) -> None:
        if len(history) < 1:
            raise ValueError(f"forecaster '{self.name}' needs at least 1 h of history before "
                             f"the run start; give the traces history_hours >= 1")
        flat = history.reshape(len(history), -1)
        self.scale = series_scale(flat[-self.scale_window_h:])
        first = max(row - self.warmup_h, row - len(history) + self.lookback_h)
        self._first_row = min(first, row)
        self._next_row = self._first_row
        self._setup(flat.shape[1])
        probe = self._features(flat[: max(1, self._first_row - row + len(flat))], self._first_row,
                               self.horizon_h)
        self._X = np.full((self.horizon_h, *probe.shape), np.nan)
        self._Y = np.full((self.horizon_h, self.horizon_h, flat.shape[1]), np.nan)

    def _reveal(self, row: int, truth: np.ndarray) -> None:
        """Learn from the pending issues that target ``row`` (one per lead)."""
        leads = np.arange(min(self.horizon_h, row - self._first_row + 1))
        slots = (row - leads) % self.horizon_h
        self.revealed_row = row
        self._learn(leads, self._X[slots, leads], self._Y[slots, leads], truth)

    @abstractmethod
    def _setup(self, n_series: int) -> None:
        """Initialise the learned state for ``n_series`` series (``self.scale`` is set)."""

    @abstractmethod
    def _features(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        """What the issue at ``row`` needs, [horizon, M, ...], from history (rows < row)."""

    @abstractmethod
    def _predict(self, features: np.ndarray, leads: np.ndarray) -> np.ndarray:
        """Forecast [L, M] from features [L, M, ...] at 0-based leads [L]."""

    @abstractmethod
    def _learn(self, leads: np.ndarray, features: np.ndarray, issued: np.ndarray,
               truth: np.ndarray) -> None:
        """Update from the issues at 0-based ``leads`` that target a revealed row: their
        features [L, M, ...] and forecasts [L, M], and the truth [M]."""
