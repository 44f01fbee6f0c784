"""Explicit gap policies for hourly signals, and the record of what was filled.

A gap is a missing hour: an empty cell, or an hour absent from the file. Methods:

* ``"refuse"``: any gap is a TraceError naming file, column, first missing row and the count.
* ``"interpolate"``: linear interpolation in time over gaps of at most ``max_gap_h`` hours; a
  longer gap, or one at the start or end of the data (nothing on one side), is refused.
* ``"seasonal"``: a missing hour takes the value of the same hour ``lag`` hours away, trying
  ``seasonal_lags_h`` in order (default: previous week, next week, previous day, next day) and
  repeating until every hour is filled, so a gap of several weeks copies the nearest whole week.
* ``"ffill"``: the last observed value is carried forward; hours before the first observation take
  the first observed value.

A column with no observed value at all is refused under every method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from simulator.errors import TraceError

GapMethod = Literal["refuse", "interpolate", "seasonal", "ffill"]
GAP_METHODS: tuple[str, ...] = ("refuse", "interpolate", "seasonal", "ffill")


@dataclass(frozen=True)
class GapPolicy:
    """How to treat missing hours: ``method``, longest interpolated gap (h), seasonal lags (h)."""

    method: GapMethod = "refuse"
    max_gap_h: int = 6
    seasonal_lags_h: tuple[int, ...] = (168, -168, 24, -24)

    def __post_init__(self) -> None:
        if self.method not in GAP_METHODS:
            raise ValueError(f"gap policy {self.method!r} unknown; choose one of {GAP_METHODS}")
        if self.max_gap_h < 1:
            raise ValueError(f"max_gap_h must be >= 1 hour, got {self.max_gap_h}")
        if not self.seasonal_lags_h or 0 in self.seasonal_lags_h:
            raise ValueError(f"seasonal_lags_h must be non-zero hours, got {self.seasonal_lags_h}")


def as_policy(policy: GapMethod | GapPolicy) -> GapPolicy:
    """Accept a method name (with default parameters) or a full GapPolicy."""
    return policy if isinstance(policy, GapPolicy) else GapPolicy(policy)


@dataclass(frozen=True)
class GapReport:
    """What a gap policy did to one file: its name, the method, and column -> filled hours (h)."""

    source: str
    method: str
    filled_hours: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """Plain-data form for run metadata."""
        return {"source": self.source, "method": self.method, "filled_hours": self.filled_hours}


def _runs(missing: np.ndarray) -> list[tuple[int, int]]:
    """(start position, length) of every run of True in ``missing``."""
    edges = np.diff(np.concatenate(([0], missing.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)]


def _refuse(
    source: str,
    column: str,
    position: int,
    count: int,
    frame: pd.DataFrame,
    rows: pd.Series | None,
    problem: str,
) -> TraceError:
    """TraceError at the missing hour at ``position``, naming its file row when it has one."""
    hour = frame.index[position]
    row = None if rows is None or pd.isna(rows.iloc[position]) else int(rows.iloc[position])
    where = f"first {hour:%Y-%m-%d %H:%M} UTC"
    if rows is not None and row is None:
        before = rows.iloc[:position].dropna()
        where += " (hour absent from the file" + (
            f", after row {int(before.iloc[-1])})" if len(before) else ", before row 1)"
        )
    return TraceError(source, f"{count} missing hours, {where}: {problem}", column=column, row=row)


def fill_gaps(
    frame: pd.DataFrame,
    policy: GapMethod | GapPolicy,
    *,
    source: str,
    rows: pd.Series | None = None,
) -> tuple[pd.DataFrame, GapReport]:
    """Fill missing hours of ``frame`` (complete hourly index) by ``policy``; units are unchanged.

    ``rows`` (file data-row number per hour, <NA> if absent) lets errors name the file row.
    Returns the filled frame and a GapReport counting filled hours per column.
    """
    policy = as_policy(policy)
    missing = frame.isna()
    counts = {str(c): int(n) for c, n in missing.sum().items() if n > 0}
    report = GapReport(source, policy.method, counts)
    if not counts:
        return frame, report
    for column in counts:
        col_missing = missing[column].to_numpy()
        runs = _runs(col_missing)
        first = runs[0][0]
        if col_missing.all():
            raise _refuse(source, column, first, counts[column], frame, rows, "no value at all")
        if policy.method == "refuse":
            others = [c for c in counts if c != column]
            also = f"; gaps also in {', '.join(others)}" if others else ""
            problem = f"gap policy 'refuse' (choose interpolate, seasonal or ffill){also}"
            raise _refuse(source, column, first, counts[column], frame, rows, problem)
        if policy.method == "interpolate":
            for start, length in runs:
                if start == 0 or start + length == len(frame):
                    problem = f"a {length} h gap at the edge of the data cannot be interpolated"
                elif length > policy.max_gap_h:
                    problem = f"a {length} h gap exceeds max_gap_h={policy.max_gap_h}"
                else:
                    continue
                raise _refuse(source, column, start, counts[column], frame, rows, problem)
    if policy.method == "interpolate":
        filled = frame.interpolate(method="time", limit_area="inside")
    elif policy.method == "ffill":
        filled = frame.ffill().bfill()
    else:
        filled = _seasonal(frame, policy.seasonal_lags_h)
        for column in counts:
            left = filled[column].isna().to_numpy()
            if left.any():
                lags = ", ".join(f"{lag:+d} h" for lag in policy.seasonal_lags_h)
                problem = f"{int(left.sum())} hours have no value at lags {lags}"
                raise _refuse(
                    source, column, _runs(left)[0][0], counts[column], frame, rows, problem
                )
    return filled, report


def _seasonal(frame: pd.DataFrame, lags_h: tuple[int, ...]) -> pd.DataFrame:
    """Fill from the same hour ``lag`` hours away, lags in order, repeated until nothing changes."""
    filled = frame
    left = int(filled.isna().sum().sum())
    while left:
        for lag in lags_h:
            filled = filled.fillna(filled.shift(lag))
        before, left = left, int(filled.isna().sum().sum())
        if left == before:
            break
    return filled
