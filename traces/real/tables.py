"""Read real-data CSV files into validated hourly UTC tables; each problem is one TraceError line.

Row numbers in messages count data rows: row 1 is the first line after the header (file line 2).
Timestamps are ISO 8601; a stamp without an offset is taken as UTC. A missing value is an empty
cell (``NaN`` and ``NA`` are accepted too). Every hourly table is put on a complete hourly UTC
index named ``timestamp`` (hour-start stamps): an hour absent from the file becomes a missing
value, to be handled by a gap policy (see :mod:`traces.real.gaps`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from simulator.errors import TraceError
from traces.real.gaps import GapMethod, GapPolicy, GapReport, as_policy, fill_gaps

TIME_COLUMN = "datetime_utc"
_MISSING = ("", "nan", "NaN", "NA")


class Bounds(NamedTuple):
    """Allowed range of a number column, in the column's own unit (named for messages)."""

    low: float = -np.inf
    high: float = np.inf
    unit: str = ""


ANY_NUMBER = Bounds()
"""No range limit."""


class Loaded(NamedTuple):
    """A loaded signal: the hourly frame, the record of filled gaps, notes on what was left out."""

    data: pd.DataFrame
    gaps: GapReport
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class HourlyTable:
    """Numbers of one CSV file (or one key of a long-format file) on a complete hourly UTC index.

    ``values`` holds float columns with NaN for missing hours; ``rows`` gives, for each hour, the
    file's data-row number (1 = first line after the header), <NA> where the hour is absent.
    """

    source: str
    values: pd.DataFrame
    rows: pd.Series


def read_raw(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """Read ``path`` with every cell as text and check that ``columns`` are present."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        problem = " ".join(str(exc).split())
        raise TraceError(path.name, f"cannot read as CSV ({problem})") from exc
    for column in columns:
        if column not in raw.columns:
            present = ", ".join(raw.columns)
            raise TraceError(path.name, f"missing (columns present: {present})", column=column)
    return raw


def _first_bad(mask: np.ndarray) -> int:
    """0-based position of the first True in ``mask``."""
    return int(np.flatnonzero(mask)[0])


def parse_numbers(
    raw: pd.DataFrame,
    column: str,
    source: str,
    bounds: Bounds = ANY_NUMBER,
    *,
    whole: bool = False,
    required: bool = False,
) -> pd.Series:
    """Parse text column ``column`` as floats (NaN for missing cells).

    Raises TraceError at the first row holding an empty cell when ``required``, text that is not
    a finite number, a non-whole number when ``whole``, or a value outside ``bounds``.
    """
    text = raw[column].astype(str).str.strip()
    missing = text.isin(_MISSING).to_numpy()
    if required and missing.any():
        i = _first_bad(missing)
        raise TraceError(source, f"empty cell ({text.iloc[i]!r})", column=column, row=i + 1)
    numbers = pd.to_numeric(text.where(~missing), errors="coerce").astype(float)
    values = numbers.to_numpy()
    bad = ~missing & ~np.isfinite(values)
    if bad.any():
        i = _first_bad(bad)
        raise TraceError(source, f"not a number ({text.iloc[i]!r})", column=column, row=i + 1)
    if whole:
        fractional = ~missing & (values != np.round(values))
        if fractional.any():
            i = _first_bad(fractional)
            problem = f"not a whole number ({text.iloc[i]!r})"
            raise TraceError(source, problem, column=column, row=i + 1)
    outside = ~missing & ((values < bounds.low) | (values > bounds.high))
    if outside.any():
        i = _first_bad(outside)
        unit = f" {bounds.unit}" if bounds.unit else ""
        problem = f"value {text.iloc[i]} outside [{bounds.low:g}, {bounds.high:g}]{unit}"
        raise TraceError(source, problem, column=column, row=i + 1)
    return numbers


def parse_times(raw: pd.DataFrame, column: str, source: str) -> pd.Series:
    """Parse ISO 8601 text column ``column`` to UTC timestamps; TraceError at the first bad row."""
    text = raw[column].astype(str).str.strip()
    stamps = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    bad = stamps.isna().to_numpy()
    if bad.any():
        i = _first_bad(bad)
        raise TraceError(source, f"not a timestamp ({text.iloc[i]!r})", column=column, row=i + 1)
    return stamps


def check_order(
    stamps: pd.Series, rows: np.ndarray, source: str, column: str, *, strict: bool = True
) -> None:
    """Check ``stamps`` (file order, data-row numbers ``rows``) increase, strictly if ``strict``.

    Raises TraceError at the first row that repeats the previous stamp or goes back in time.
    """
    values = stamps.to_numpy()
    step = values[1:] - values[:-1]
    going_back = step < np.timedelta64(0, "s")
    repeated = (step == np.timedelta64(0, "s")) if strict else np.zeros_like(going_back)
    bad = going_back | repeated
    if bad.any():
        i = _first_bad(bad) + 1
        here, before = stamps.iloc[i], stamps.iloc[i - 1]
        if repeated[i - 1]:
            problem = f"duplicated hour {here:%Y-%m-%d %H:%M} UTC (also row {rows[i - 1]})"
        else:
            problem = (
                f"timestamps not sorted: {here:%Y-%m-%d %H:%M} UTC comes after "
                f"{before:%Y-%m-%d %H:%M} UTC (row {rows[i - 1]})"
            )
        raise TraceError(source, problem, column=column, row=int(rows[i]))


def _check_hour_starts(stamps: pd.Series, source: str) -> None:
    off_hour = (stamps != stamps.dt.floor("h")).to_numpy()
    if off_hour.any():
        i = _first_bad(off_hour)
        problem = f"not an hour start ({stamps.iloc[i]:%Y-%m-%d %H:%M:%S} UTC)"
        raise TraceError(source, problem, column=TIME_COLUMN, row=i + 1)


def _on_hours(
    source: str, stamps: pd.Series, rows: np.ndarray, values: pd.DataFrame, hours: pd.DatetimeIndex
) -> HourlyTable:
    index = pd.DatetimeIndex(stamps, name="timestamp")
    frame = values.set_axis(index, axis=0).reindex(hours)
    row_of_hour = pd.Series(rows, index=index, dtype="Int64").reindex(hours)
    return HourlyTable(source, frame, row_of_hour)


def _full_hours(stamps: pd.Series) -> pd.DatetimeIndex:
    return pd.date_range(stamps.min(), stamps.max(), freq="h", name="timestamp")


def read_wide_hourly(
    path: Path, columns: Sequence[str] | None = None, bounds: Bounds = ANY_NUMBER
) -> HourlyTable:
    """Read a wide hourly file (``datetime_utc`` + one number column per zone) into a table.

    ``columns`` selects value columns (default: all but ``datetime_utc``), each must be present;
    every value must lie within ``bounds``.
    """
    raw = read_raw(path, [TIME_COLUMN, *(columns or [])])
    if raw.empty:
        raise TraceError(path.name, "no data rows")
    names = list(columns) if columns is not None else [c for c in raw.columns if c != TIME_COLUMN]
    stamps = parse_times(raw, TIME_COLUMN, path.name)
    _check_hour_starts(stamps, path.name)
    rows = np.arange(1, len(raw) + 1)
    check_order(stamps, rows, path.name, TIME_COLUMN)
    values = pd.DataFrame({name: parse_numbers(raw, name, path.name, bounds) for name in names})
    return _on_hours(path.name, stamps, rows, values, _full_hours(stamps))


def read_long_hourly(
    path: Path,
    key_column: str,
    value_columns: Sequence[str],
    keys: Sequence[str] | None = None,
    bounds: Mapping[str, Bounds] | None = None,
) -> dict[str, HourlyTable]:
    """Read a long hourly file (``datetime_utc``, ``key_column``, values) into one table per key.

    Each key's stamps must increase strictly in file order. All keys share the file's full hourly
    range. ``bounds`` maps a value column to its allowed range. The source of each table
    reads ``<file> [<key_column>=<key>]``.
    """
    raw = read_raw(path, [TIME_COLUMN, key_column, *value_columns])
    if raw.empty:
        raise TraceError(path.name, "no data rows")
    stamps = parse_times(raw, TIME_COLUMN, path.name)
    _check_hour_starts(stamps, path.name)
    bounds = bounds or {}
    values = pd.DataFrame(
        {
            name: parse_numbers(raw, name, path.name, bounds.get(name, ANY_NUMBER))
            for name in value_columns
        }
    )
    key_text = raw[key_column].astype(str).str.strip()
    empty = key_text.isin(_MISSING).to_numpy()
    if empty.any():
        raise TraceError(path.name, "empty cell", column=key_column, row=_first_bad(empty) + 1)
    present = list(dict.fromkeys(key_text))
    for key in keys or ():
        if key not in present:
            problem = f"no rows for {key!r} (present: {', '.join(present)})"
            raise TraceError(path.name, problem, column=key_column)
    hours = _full_hours(stamps)
    tables = {}
    for key in keys or present:
        positions = np.flatnonzero((key_text == key).to_numpy())
        source = f"{path.name} [{key_column}={key}]"
        key_stamps, rows = stamps.iloc[positions], positions + 1
        check_order(key_stamps, rows, source, TIME_COLUMN)
        tables[key] = _on_hours(source, key_stamps, rows, values.iloc[positions], hours)
    return tables


def fill_keyed(
    tables: dict[str, HourlyTable],
    policy: GapMethod | GapPolicy,
    file: str,
    names: tuple[str, str],
) -> tuple[pd.DataFrame, GapReport]:
    """Fill each key's gaps by ``policy``; return a frame with columns (value column, key).

    ``names`` names the two column levels. The GapReport is for ``file``; its keys read
    ``<key>/<value column>``.
    """
    frames, filled_hours = {}, {}
    for key, table in tables.items():
        filled, report = fill_gaps(table.values, policy, source=table.source, rows=table.rows)
        frames[key] = filled
        filled_hours.update({f"{key}/{c}": n for c, n in report.filled_hours.items()})
    value_columns = next(iter(frames.values())).columns
    joined = pd.concat({(c, k): frames[k][c] for c in value_columns for k in frames}, axis=1)
    joined.columns = joined.columns.set_names(list(names))
    return joined, GapReport(file, as_policy(policy).method, filled_hours)
