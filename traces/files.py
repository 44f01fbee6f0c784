"""A documented on-disk trace format (CSV or Parquet), its validating loader and its writer.

A trace folder holds three tables (``.csv`` or ``.parquet``):

``sites``  one row per UTC hour-start and site: ``timestamp, site, buy_price_usd_per_mwh,
           sell_price_usd_per_mwh, carbon_g_per_kwh, pv_capacity_factor, wind_capacity_factor,
           temperature_c``
``demand`` one row per hour, region and class: ``timestamp, region, class, requests_per_hour``
``jobs``   one row per training job: ``job_id, release_hour, gpus, duration_h, deadline_hour,
           value_usd, home_site`` (hours from the run start; home_site may be empty)

Timestamps must be hour starts with an explicit UTC offset (``2022-06-01T00:00:00Z`` or
``+00:00``); naive stamps are refused. Each site/region/class series must be hourly, sorted,
without duplicates. Missing values follow the fill policy: ``refuse`` (default), ``ffill``,
``interpolate`` or ``seasonal`` (same hour one day earlier). Errors name the file, the column
and the first bad data row (1-based, header not counted).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulator.errors import TraceError
from simulator.scenario import Scenario
from simulator.traceset import JOB_COLUMNS, TraceSet
from traces.provenance import read_provenance, write_provenance

SITE_FILE_COLUMNS: dict[str, str] = {
    "buy_price_usd_per_mwh": "buy_price",
    "sell_price_usd_per_mwh": "sell_price",
    "carbon_g_per_kwh": "carbon",
    "pv_capacity_factor": "pv_cf",
    "wind_capacity_factor": "wind_cf",
    "temperature_c": "temperature",
}
MARKET_COLUMN = "market_price_usd_per_mwh"  # optional: the scenario's tariff is then applied
DEMAND_COLUMN = "requests_per_hour"
FILL_POLICIES = ("refuse", "ffill", "interpolate", "seasonal")
_BOUNDS = {"pv_capacity_factor": (0.0, 1.0), "wind_capacity_factor": (0.0, 1.0),
           "carbon_g_per_kwh": (0.0, np.inf), "temperature_c": (-90.0, 60.0),
           DEMAND_COLUMN: (0.0, np.inf)}


def _find(folder: Path, stem: str) -> Path:
    for ext in (".parquet", ".csv"):
        path = folder / f"{stem}{ext}"
        if path.exists():
            return path
    raise TraceError(str(folder), f"no {stem}.csv or {stem}.parquet in this trace folder")


def _read(path: Path) -> pd.DataFrame:
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as err:  # noqa: BLE001 - any reader failure becomes one line
        raise TraceError(path.name, f"cannot be read: {err}".splitlines()[0]) from None


def _require(frame: pd.DataFrame, name: str, columns) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TraceError(name, f"missing column(s) {missing}; has {list(frame.columns)}")


def _numbers(frame: pd.DataFrame, name: str, column: str) -> pd.Series:
    """Column as floats; text that is not a number raises, naming the file row (1-based)."""
    raw = frame[column]
    if raw.dtype == object or pd.api.types.is_string_dtype(raw):
        text = raw.astype(str).str.strip()
        empty = text.isin(["", "nan", "NaN", "None"])
        values = pd.to_numeric(text.where(~empty), errors="coerce")
        bad = values.isna() & ~empty
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise TraceError(name, f"not a number ({text.iloc[row]!r})", column=column,
                             row=int(frame.index[row]) + 1)
        values = values.astype(float)
    else:
        try:
            values = raw.astype(float)
        except (TypeError, ValueError):
            raise TraceError(name, f"not a numeric column ({raw.dtype})", column=column) from None
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        row = int(np.flatnonzero(infinite)[0])
        raise TraceError(name, f"not a finite number ({values.iloc[row]})", column=column,
                         row=int(frame.index[row]) + 1)
    return values


def _timestamps(frame: pd.DataFrame, name: str) -> pd.Series:
    raw = frame["timestamp"]
    if pd.api.types.is_datetime64_any_dtype(raw):
        if getattr(raw.dt, "tz", None) is None:
            raise TraceError(name, "timestamps have no time zone; give UTC stamps",
                             column="timestamp", row=1)
        stamps = raw.dt.tz_convert("UTC")
    else:
        text = raw.astype(str)
        naive = ~text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
        if naive.any():
            row = int(np.flatnonzero(naive.to_numpy())[0])
            raise TraceError(name, f"timestamp {text.iloc[row]!r} has no UTC offset",
                             column="timestamp", row=row + 1)
        stamps = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
        if stamps.isna().any():
            row = int(np.flatnonzero(stamps.isna().to_numpy())[0])
            raise TraceError(name, f"not a timestamp ({text.iloc[row]!r})", column="timestamp",
                             row=row + 1)
    off_hour = (stamps.dt.minute != 0) | (stamps.dt.second != 0)
    if off_hour.any():
        row = int(np.flatnonzero(off_hour.to_numpy())[0])
        raise TraceError(name, "timestamp is not an hour start", column="timestamp", row=row + 1)
    return stamps


def _check_series(stamps: pd.Series, keys: pd.Series, name: str,
                  index: pd.DatetimeIndex) -> None:
    """Each key's stamps must be sorted, unique and equal to ``index``; errors name the file
    row (the frames keep the file's row positions as their index)."""
    file_rows = stamps.index.to_numpy()
    ns = stamps.dt.tz_localize(None).dt.as_unit("ns").astype("int64").to_numpy()
    expected = index.as_unit("ns").asi8
    for key in pd.unique(keys):
        rows = np.flatnonzero((keys == key).to_numpy())
        ts = ns[rows]
        steps = np.diff(ts)
        if (steps == 0).any():
            bad = rows[int(np.flatnonzero(steps == 0)[0]) + 1]
            raise TraceError(name, f"duplicate hour for '{key}'", column="timestamp",
                             row=int(file_rows[bad]) + 1)
        if (steps < 0).any():
            bad = rows[int(np.flatnonzero(steps < 0)[0]) + 1]
            raise TraceError(name, f"stamps not sorted for '{key}'", column="timestamp",
                             row=int(file_rows[bad]) + 1)
        if (steps != 3_600_000_000_000).any():
            bad = rows[int(np.flatnonzero(steps != 3_600_000_000_000)[0]) + 1]
            raise TraceError(name, f"hours missing before this row for '{key}'",
                             column="timestamp", row=int(file_rows[bad]) + 1)
        if len(ts) != len(expected) or ts[0] != expected[0]:
            raise TraceError(name, f"'{key}' covers {len(ts)} hours from "
                             f"{pd.Timestamp(ts[0], tz='UTC')}, expected {len(expected)} "
                             f"from {index[0]}")


def fill_gaps(values: np.ndarray, policy: str, name: str, column: str,
              file_rows: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Fill NaNs in an hourly series by ``policy``; returns (filled, number filled).
    ``file_rows``: the file's 1-based row of each value (errors name it)."""
    missing = np.isnan(values)
    if not missing.any():
        return values, 0
    if policy not in FILL_POLICIES:
        raise TraceError(name, f"unknown fill policy '{policy}' ({', '.join(FILL_POLICIES)})")
    if policy == "refuse":
        first = int(np.flatnonzero(missing)[0])
        raise TraceError(name, f"missing value ({int(missing.sum())} in all; choose a fill "
                         "policy to accept gaps)", column=column,
                         row=int(file_rows[first]) if file_rows is not None else first + 1)
    series = pd.Series(values)
    if policy == "ffill":
        filled = series.ffill().bfill()
    elif policy == "interpolate":
        filled = series.interpolate(limit_direction="both")
    else:
        filled = series.copy()
        for lag in (24, -24, 168, -168):
            filled = filled.fillna(series.shift(lag))
        filled = filled.interpolate(limit_direction="both")
    return filled.to_numpy(dtype=float), int(missing.sum())


def load_traceset(folder: str | Path, sites: tuple[str, ...], regions: tuple[str, ...],
                  classes: tuple[str, ...], history_hours: int, fill: str = "refuse",
                  site_gpus: tuple[int, ...] | None = None) -> TraceSet:
    """Read and validate a trace folder for the named sites, regions and classes; with
    ``site_gpus`` (per site), a job no site (or not its home site) can hold is refused."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TraceError(str(folder), "trace folder does not exist")
    site_path = _find(folder, "sites")
    name = site_path.name
    frame = _read(site_path)
    _require(frame, name, ["timestamp", "site", *SITE_FILE_COLUMNS])
    stamps = _timestamps(frame, name)
    site_col = frame["site"].astype(str)
    unknown = sorted(set(site_col) - set(sites))
    absent = [s for s in sites if s not in set(site_col)]
    if absent:
        raise TraceError(name, f"no rows for site(s) {absent}", column="site")
    keep = site_col.isin(sites).to_numpy()
    frame, stamps, site_col = frame[keep], stamps[keep], site_col[keep]
    index = pd.DatetimeIndex(stamps[site_col == sites[0]]).as_unit("ns")
    _check_series(stamps, site_col, name, index)
    signals: dict[str, np.ndarray] = {}
    filled: dict[str, int] = {}
    optional = {MARKET_COLUMN: "market_price"} if MARKET_COLUMN in frame.columns else {}
    for column, signal in {**SITE_FILE_COLUMNS, **optional}.items():
        values = _numbers(frame, name, column)
        lo, hi = _BOUNDS.get(column, (-np.inf, np.inf))
        out_of_range = ((values < lo) | (values > hi)).to_numpy()
        if out_of_range.any():
            row = int(np.flatnonzero(out_of_range)[0])
            raise TraceError(name, f"value {values.iloc[row]} outside [{lo}, {hi}] (check the "
                             "unit)", column=column, row=int(frame.index[row]) + 1)
        arr = np.empty((len(index), len(sites)))
        for s, site in enumerate(sites):
            mine = (site_col == site).to_numpy()
            arr[:, s], n = fill_gaps(values[mine].to_numpy(), fill, name, column,
                                     frame.index.to_numpy()[mine] + 1)
            if n:
                filled[f"{site}.{column}"] = n
        signals[signal] = arr
    demand = _load_demand(folder, regions, classes, index, fill, filled)
    jobs = _load_jobs(folder, sites, site_gpus)
    if not 0 <= history_hours < len(index):
        raise TraceError(name, f"history_hours {history_hours} leaves no run hours "
                         f"({len(index)} hours in the file)")
    return TraceSet(index=index, history_hours=history_hours, sites=sites, regions=regions,
                    classes=classes, site_signals=signals, demand=demand, jobs=jobs,
                    notes={"source": str(folder), "fill": fill, "filled_hours": filled,
                           "ignored_sites": unknown, "provenance": read_provenance(folder)})


def _load_demand(folder: Path, regions, classes, index: pd.DatetimeIndex, fill: str,
                 filled: dict[str, int]) -> np.ndarray:
    path = _find(folder, "demand")
    name = path.name
    frame = _read(path)
    _require(frame, name, ["timestamp", "region", "class", DEMAND_COLUMN])
    stamps = _timestamps(frame, name)
    values = _numbers(frame, name, DEMAND_COLUMN)
    negative = (values < 0).to_numpy()
    if negative.any():
        raise TraceError(name, "negative demand", column=DEMAND_COLUMN,
                         row=int(np.flatnonzero(negative)[0]) + 1)
    key = frame["region"].astype(str) + "/" + frame["class"].astype(str)
    _check_series(stamps, key, name, index)
    out = np.empty((len(index), len(regions), len(classes)))
    for r, region in enumerate(regions):
        for k, cls in enumerate(classes):
            mask = (key == f"{region}/{cls}").to_numpy()
            if not mask.any():
                raise TraceError(name, f"no rows for region '{region}', class '{cls}'")
            out[:, r, k], n = fill_gaps(values[mask].to_numpy(), fill, name, DEMAND_COLUMN,
                                        np.flatnonzero(mask) + 1)
            if n:
                filled[f"{region}/{cls}.{DEMAND_COLUMN}"] = n
    return out


def _load_jobs(folder: Path, sites, site_gpus: tuple[int, ...] | None) -> pd.DataFrame:
    path = _find(folder, "jobs")
    name = path.name
    frame = _read(path)
    _require(frame, name, JOB_COLUMNS)
    out = pd.DataFrame({c: _numbers(frame, name, c) for c in JOB_COLUMNS[:-1]})
    for c in ("job_id", "release_hour", "gpus", "duration_h", "deadline_hour"):
        bad = (out[c] != out[c].round()) | out[c].isna()
        if bad.any():
            raise TraceError(name, "not a whole number", column=c,
                             row=int(np.flatnonzero(bad.to_numpy())[0]) + 1)
        out[c] = out[c].astype("int64")
    for column, lowest in (("gpus", 1), ("duration_h", 1), ("release_hour", 0)):
        small = (out[column] < lowest).to_numpy()
        if small.any():
            raise TraceError(name, f"must be >= {lowest}", column=column,
                             row=int(np.flatnonzero(small)[0]) + 1)
    bad_value = ~(np.isfinite(out["value_usd"].to_numpy()) & (out["value_usd"] >= 0).to_numpy())
    if bad_value.any():
        raise TraceError(name, "must be a finite number >= 0", column="value_usd",
                         row=int(np.flatnonzero(bad_value)[0]) + 1)
    late = (out["deadline_hour"] < out["release_hour"] + out["duration_h"]).to_numpy()
    if late.any():
        raise TraceError(name, "deadline_hour before release_hour + duration_h",
                         column="deadline_hour", row=int(np.flatnonzero(late)[0]) + 1)
    if out["job_id"].duplicated().any():
        raise TraceError(name, "duplicate job_id", column="job_id",
                         row=int(np.flatnonzero(out["job_id"].duplicated().to_numpy())[0]) + 1)
    home = frame["home_site"].astype(str).str.strip()
    home = home.where(~home.isin(["", "nan", "None"]), None)
    unknown = home.notna() & ~home.isin(sites)
    if unknown.any():
        raise TraceError(name, f"unknown site {home[unknown].iloc[0]!r}", column="home_site",
                         row=int(np.flatnonzero(unknown.to_numpy())[0]) + 1)
    out["home_site"] = home.astype(object)
    if site_gpus is not None:
        capacity = dict(zip(sites, site_gpus, strict=True))
        room = home.map(capacity).fillna(max(site_gpus)).to_numpy()
        too_big = (out["gpus"].to_numpy() > room)
        if too_big.any():
            row = int(np.flatnonzero(too_big)[0])
            raise TraceError(name, f"{out['gpus'].iloc[row]} GPUs: more than "
                             f"{'its home site' if home.iloc[row] else 'any site'} has "
                             f"({int(room[row])})", column="gpus", row=row + 1)
    return out.sort_values(["release_hour", "job_id"], kind="stable").reset_index(drop=True)


def write_traceset(traces: TraceSet, folder: str | Path, fmt: str = "csv") -> Path:
    """Write a TraceSet in the documented format (``csv`` or ``parquet``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamps = traces.index.strftime("%Y-%m-%dT%H:%M:%SZ")
    n, ns = len(traces.index), len(traces.sites)
    sites = pd.DataFrame({"timestamp": np.repeat(stamps, ns),
                          "site": np.tile(traces.sites, n)})
    optional = {MARKET_COLUMN: "market_price"} if "market_price" in traces.site_signals else {}
    for column, signal in {**SITE_FILE_COLUMNS, **optional}.items():
        sites[column] = traces.site_signals[signal].reshape(-1)
    nr, nk = len(traces.regions), len(traces.classes)
    demand = pd.DataFrame({
        "timestamp": np.repeat(stamps, nr * nk),
        "region": np.tile(np.repeat(traces.regions, nk), n),
        "class": np.tile(traces.classes, n * nr),
        DEMAND_COLUMN: traces.demand.reshape(-1),
    })
    for stem, frame in (("sites", sites), ("demand", demand), ("jobs", traces.jobs)):
        path = folder / f"{stem}.{fmt}"
        if fmt == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
    write_provenance(traces, folder)
    return folder


def scenario_traceset(scenario: Scenario) -> TraceSet:
    """A scenario's ``files`` trace folder, checked against the scenario: its sites, regions,
    classes and site sizes; the first run hour (after ``history_hours`` of history) must be
    the scenario's ``start``; it must cover ``hours``. Jobs come from the folder's jobs table
    only (the scenario validator refuses scenario jobs next to a trace folder)."""
    source = scenario.traces
    traces = load_traceset(
        source.path, tuple(s.name for s in scenario.sites), tuple(r.name for r in scenario.regions),
        tuple(c.name for c in scenario.classes), source.history_hours, source.fill,
        site_gpus=tuple(s.gpus for s in scenario.sites))
    where = f"{source.path}: {_find(Path(source.path), 'sites').name}"
    first = traces.index[traces.history_hours]
    if first != pd.Timestamp(scenario.start):
        raise TraceError(where, f"the run would start at {first.isoformat()} (after "
                         f"{traces.history_hours} history hours) but the scenario's start is "
                         f"{pd.Timestamp(scenario.start).isoformat()}; check the year, the UTC "
                         "offset of the stamps and traces.history_hours", column="timestamp")
    if traces.run_hours < scenario.hours:
        raise TraceError(where, f"covers {traces.run_hours} run hours from "
                         f"{first.isoformat()}; the scenario needs hours = {scenario.hours}")
    return traces.truncated(scenario.hours)
