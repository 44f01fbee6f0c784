"""Inference arrivals [rows, regions, classes], requests/h, from a request trace (inputs.arrivals).

The trace is a CSV or Parquet file: one row per request with a timestamp, or hourly counts
(``count_column``). Rows are counted per UTC hour start (stamps floored to the hour). Naive stamps
are local time at ``utc_offset_h`` (or in the IANA ``timezone``); stamps with an offset are used as
given. An hour with no request row counts 0 requests; in a counts file every hour between the
first and the last must be present. Without a region column every region gets the trace's shape;
without a class column each region's requests split by the classes' shares. ``scale = "mean"``
scales each region so that its mean over the window (history + run) equals its
``requests_per_hour``. Windows the trace does not cover are refused unless ``extend = "repeat"``,
which tiles it with a period of its length rounded down to whole weeks (else whole days, else
its length), so weekdays and hours of day stay aligned where the trace allows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulator.errors import TraceError
from simulator.inputs import ArrivalTrace
from simulator.scenario import Scenario
from traces.real.tables import Bounds, parse_numbers, parse_times

_ALL = "*"
_STAMP = "%Y-%m-%d %H:%M"


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise TraceError(str(path), "request trace not found (inputs.arrivals.path)")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path).astype(str)
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as err:  # noqa: BLE001 - any reader failure becomes one line
        raise TraceError(path.name, f"cannot be read: {err}".splitlines()[0]) from None


def _hours(raw: pd.DataFrame, cfg: ArrivalTrace, name: str) -> pd.Series:
    """UTC hour start of every row."""
    if cfg.time_column not in raw:
        raise TraceError(name, f"missing (columns present: {', '.join(raw.columns)})",
                         column=cfg.time_column)
    text = raw[cfg.time_column].astype(str).str.strip()
    naive = ~text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    if cfg.timezone is not None and naive.any():
        local = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        try:
            local = local.dt.tz_localize(cfg.timezone, ambiguous="NaT",
                                         nonexistent="shift_forward")
        except Exception as err:  # noqa: BLE001 - an unknown zone name is one line
            raise TraceError(name, f"timezone {cfg.timezone!r}: {err}") from None
        text = text.copy()
        text[naive] = local.dt.strftime("%Y-%m-%dT%H:%M:%S%z").fillna("bad")
    elif naive.any():
        text = text.where(~naive, text + f"{_offset_text(cfg.utc_offset_h)}")
    stamps = parse_times(pd.DataFrame({cfg.time_column: text}), cfg.time_column, name)
    return stamps.dt.floor("h")


def _offset_text(hours: float) -> str:
    sign = "-" if hours < 0 else "+"
    minutes = round(abs(hours) * 60)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _labels(raw: pd.DataFrame, column: str | None, known: list[str], name: str) -> pd.Series:
    if column is None:
        return pd.Series(_ALL, index=raw.index)
    if column not in raw:
        raise TraceError(name, "missing", column=column)
    labels = raw[column].astype(str).str.strip()
    bad = ~labels.isin(known)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise TraceError(name, f"{labels.iloc[i]!r} is not one of {known}", column=column,
                         row=i + 1)
    return labels


def _tile(table: pd.DataFrame, index: pd.DatetimeIndex, cfg: ArrivalTrace, name: str
          ) -> tuple[pd.DataFrame, int]:
    """``table`` (hourly, full range) on ``index``, aligned and extended by ``cfg``."""
    if cfg.align == "window":
        table = table.set_axis(table.index + (index[0] - table.index[0]))
    if index[0] >= table.index[0] and index[-1] <= table.index[-1]:
        return table.reindex(index), 0
    if cfg.extend == "none":
        raise TraceError(name, f"covers {table.index[0]:{_STAMP}} to {table.index[-1]:{_STAMP}} "
                         f"UTC, the window needs {index[0]:{_STAMP}} to {index[-1]:{_STAMP}} "
                         f"UTC (set inputs.arrivals.extend = 'repeat' or align = 'window')")
    n = len(table)
    period = n - n % 168 if n >= 168 else (n - n % 24 if n >= 24 else n)
    hours_since = ((index - table.index[0]) // pd.Timedelta(hours=1)).to_numpy()
    rows = np.mod(hours_since, period)
    return table.iloc[rows].set_axis(index), period


def arrivals_from_trace(scenario: Scenario, index: pd.DatetimeIndex
                        ) -> tuple[np.ndarray, dict[str, object]]:
    """Arrivals [rows of ``index``, regions, classes], requests/h, and notes for provenance."""
    cfg = scenario.inputs.arrivals
    assert cfg is not None
    path = Path(cfg.path)
    name = path.name
    raw = _read(path)
    if raw.empty:
        raise TraceError(name, "no data rows")
    regions = [r.name for r in scenario.regions]
    classes = [c.name for c in scenario.classes]
    frame = pd.DataFrame({
        "hour": _hours(raw, cfg, name),
        "region": _labels(raw, cfg.region_column, regions, name),
        "class": _labels(raw, cfg.class_column, classes, name),
        "n": (parse_numbers(raw, cfg.count_column, name, Bounds(0, np.inf, "requests"),
                            required=True) if cfg.count_column else 1.0),
    })
    if cfg.count_column and cfg.count_column not in raw:
        raise TraceError(name, "missing", column=cfg.count_column)
    table = frame.groupby(["hour", "region", "class"])["n"].sum().unstack(["region", "class"])
    hours = pd.date_range(table.index.min(), table.index.max(), freq="h")
    if cfg.count_column and len(table) < len(hours):
        gap = hours.difference(table.index)[0]
        raise TraceError(name, f"hour {gap:{_STAMP}} UTC missing (counts need every hour)",
                         column=cfg.time_column)
    table = table.reindex(hours).fillna(0.0)
    window, period = _tile(table, index, cfg, name)
    out = np.zeros((len(index), len(regions), len(classes)))
    shares = np.array([c.share for c in scenario.classes])
    factors = {}
    for r, region in enumerate(scenario.regions):
        key = region.name if cfg.region_column else _ALL
        cols = [c for c in window.columns if c[0] == key]
        if not cols:
            raise TraceError(name, f"no requests for region '{region.name}'",
                             column=cfg.region_column)
        if cfg.class_column:
            for k, cls in enumerate(classes):
                if (key, cls) in window.columns:
                    out[:, r, k] = window[(key, cls)].to_numpy()
        else:
            out[:, r, :] = window[(key, _ALL)].to_numpy()[:, None] * shares[None, :]
        factor = 1.0
        if cfg.scale == "mean":
            mean = out[:, r, :].sum(axis=1).mean()
            if mean <= 0:
                raise TraceError(name, f"no requests for region '{region.name}' in the window")
            factor = region.requests_per_hour / mean
            out[:, r, :] *= factor
        factors[region.name] = factor
    notes = {"path": str(path), "rows": len(raw), "first_hour": str(hours[0]),
             "last_hour": str(hours[-1]), "align": cfg.align, "extend": cfg.extend,
             "period_h": period, "scale": cfg.scale, "scale_factor": factors}
    return out, notes
