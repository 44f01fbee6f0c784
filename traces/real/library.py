"""Hourly signals per grid zone from several data folders, searched in order, in three formats.

A signal is one of :data:`SIGNALS` for one zone id. Each folder may hold, in any mix:

* **Electricity Maps CSV exports** (any ``*.csv`` whose header has ``Datetime (UTC)`` and
  ``Zone Id``): ``Carbon Intensity gCO₂eq/kWh (LCA)`` → carbon_lca, ``… (direct)`` →
  carbon_direct, ``Renewable Percentage`` → renewable_share;
* **long files** (any ``*.csv`` with columns ``timestamp, zone, signal, value, unit``): one row
  per hour, zone and signal; ``unit`` must be the signal's unit (:data:`UNITS`), for prices
  ``<currency>/MWh`` (e.g. ``EUR/MWh``);
* **the bundled wide files** (``carbon_intensity_lca_gco2eq_per_kwh_<year>_hourly.csv`` and the
  other names of docs/real-data.md, any year).

For a (zone, signal) the first folder that has it wins; inside that folder several files (e.g.
one per year) are joined, and an hour given twice is refused. Stamps are UTC hour starts (naive
stamps are UTC). Only the signals a scenario asks for are read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.errors import TraceError
from traces.real.tables import (
    TIME_COLUMN,
    Bounds,
    HourlyTable,
    long_from_raw,
    read_raw,
    read_wide_hourly,
)

SIGNALS: tuple[str, ...] = ("carbon_lca", "carbon_direct", "renewable_share", "price",
                            "temperature_2m", "cloudcover", "windspeed_10m")
UNITS: dict[str, tuple[str, ...]] = {
    "carbon_lca": ("gco2/kwh", "gco2eq/kwh", "gco₂eq/kwh"),
    "carbon_direct": ("gco2/kwh", "gco2eq/kwh", "gco₂eq/kwh"),
    "renewable_share": ("%",),
    "temperature_2m": ("degc", "°c"),
    "cloudcover": ("%",),
    "windspeed_10m": ("km/h",),
}
"""Accepted units (lower case) of each non-price signal in a long file; price: <ccy>/MWh."""
BOUNDS: dict[str, Bounds] = {
    "carbon_lca": Bounds(0, 5000, "gCO2/kWh"),
    "carbon_direct": Bounds(0, 5000, "gCO2/kWh"),
    "renewable_share": Bounds(0, 100, "%"),
    "temperature_2m": Bounds(-90, 60, "°C"),
    "cloudcover": Bounds(0, 100, "%"),
    "windspeed_10m": Bounds(0, 500, "km/h"),
}
_BUNDLED = {  # file name prefix -> signal (wide files, one column per zone)
    "carbon_intensity_lca_gco2eq_per_kwh_": "carbon_lca",
    "carbon_intensity_direct_gco2eq_per_kwh_": "carbon_direct",
    "renewable_share_pct_": "renewable_share",
    "electricity_price_": "price",
}
_WEATHER_PREFIX = "weather_openmeteo_"
_PRICE_COLUMN = re.compile(r"^(?P<zone>.+)_(?P<currency>[a-z]{3})_per_mwh$")
_LONG_COLUMNS = ("timestamp", "zone", "signal", "value", "unit")
_EM_TIME, _EM_ZONE = "Datetime (UTC)", "Zone Id"
_EM_SIGNALS = {"(lca)": "carbon_lca", "(direct)": "carbon_direct"}


@dataclass(frozen=True)
class Series:
    """One zone's hourly signal: a one-column :class:`HourlyTable` (column named as in the file),
    its unit (for prices the lower-case currency code) and the files it came from."""

    table: HourlyTable
    unit: str
    files: tuple[Path, ...]


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        return [c.strip() for c in handle.readline().rstrip("\r\n").split(",")]


def _em_signal(column: str) -> str | None:
    low = column.lower()
    if "carbon intensity" in low:
        return next((sig for tag, sig in _EM_SIGNALS.items() if low.endswith(tag)), None)
    return "renewable_share" if low == "renewable percentage" else None


def _one(table: HourlyTable, column: str) -> HourlyTable:
    """``table`` cut to its ``column`` (named as in the file)."""
    return HourlyTable(table.source, table.values[[column]], table.rows)


def _read_em(path: Path, header: list[str]) -> dict[tuple[str, str], tuple[HourlyTable, str]]:
    signals = {c: s for c in header if (s := _em_signal(c)) is not None}
    raw = read_raw(path, [_EM_TIME, _EM_ZONE]).rename(columns={_EM_TIME: TIME_COLUMN})
    tables = long_from_raw(raw, path.name, _EM_ZONE, list(signals),
                           bounds={c: BOUNDS[s] for c, s in signals.items()})
    return {(zone, s): (_one(t, c), BOUNDS[s].unit) for zone, t in tables.items()
            for c, s in signals.items()}


def _read_long(path: Path) -> dict[tuple[str, str], tuple[HourlyTable, str]]:
    raw = read_raw(path, list(_LONG_COLUMNS)).rename(columns={"timestamp": TIME_COLUMN})
    key = "zone/signal"
    raw[key] = raw["zone"].str.strip() + "/" + raw["signal"].str.strip()
    out = {}
    for pair, table in long_from_raw(raw, path.name, key, ["value"]).items():
        zone, _, signal = pair.rpartition("/")
        rows = np.flatnonzero((raw[key] == pair).to_numpy())
        units = raw["unit"].iloc[rows].str.strip().str.lower().unique()
        if signal not in SIGNALS:
            raise TraceError(path.name, f"unknown signal {signal!r} (known: "
                             f"{', '.join(SIGNALS)})", column="signal", row=int(rows[0]) + 1)
        if len(units) != 1:
            raise TraceError(path.name, f"{zone} {signal}: several units {list(units)}",
                             column="unit")
        unit = units[0]
        if signal == "price":
            match = re.fullmatch(r"([a-z]{3})/mwh", unit)
            if match is None:
                raise TraceError(path.name, f"{zone} price: unit {unit!r} is not <ccy>/MWh",
                                 column="unit", row=int(rows[0]) + 1)
            unit = match[1]
        elif unit not in UNITS[signal]:
            raise TraceError(path.name, f"{zone} {signal}: unit {unit!r}, expected "
                             f"{UNITS[signal][0]}", column="unit", row=int(rows[0]) + 1)
        bounds = BOUNDS.get(signal, Bounds())
        bad = ((table.values["value"] < bounds.low) | (table.values["value"] > bounds.high))
        if bad.any():
            hour = bad.idxmax()
            raise TraceError(path.name, f"{zone} {signal}: value outside [{bounds.low:g}, "
                             f"{bounds.high:g}] {bounds.unit}", column="value",
                             row=int(table.rows.loc[hour]))
        out[(zone, signal)] = (_one(table, "value"), unit)
    return out


def _read_bundled(path: Path, signal: str) -> dict[tuple[str, str], tuple[HourlyTable, str]]:
    if signal == "weather":
        names = ("temperature_2m", "cloudcover", "windspeed_10m")
        raw = read_raw(path, [TIME_COLUMN, "zone_id", *names])
        tables = long_from_raw(raw, path.name, "zone_id", names,
                               bounds={n: BOUNDS[n] for n in names})
        return {(z, n): (_one(t, n), BOUNDS[n].unit) for z, t in tables.items() for n in names}
    table = read_wide_hourly(path, bounds=BOUNDS.get(signal, Bounds()))
    out = {}
    for column in table.values:
        if signal == "price":
            match = _PRICE_COLUMN.match(column)
            if match is None:
                raise TraceError(path.name, "price column name must end in _<ccy>_per_mwh",
                                 column=column)
            out[(match["zone"], "price")] = (_one(table, column), match["currency"])
        else:
            out[(column, signal)] = (_one(table, column), BOUNDS[signal].unit)
    return out


def _kind(path: Path) -> str | None:
    """Which reader a CSV file needs (None: not a signal file)."""
    if path.name.startswith(_WEATHER_PREFIX):
        return "weather"
    for prefix, signal in _BUNDLED.items():
        if path.name.startswith(prefix):
            return signal
    header = _header(path)
    if _EM_TIME in header and _EM_ZONE in header:
        return "em"
    return "long" if set(_LONG_COLUMNS) <= set(header) else None


def _join(parts: list[tuple[HourlyTable, str, Path]], signal: str, zone: str) -> Series:
    """One Series from the files of one folder (e.g. one per year); overlap and mixed units
    are refused."""
    parts = sorted(parts, key=lambda p: p[0].values.index[0])
    units = {unit for _, unit, _ in parts}
    files = tuple(path for _, _, path in parts)
    if len(units) > 1:
        raise TraceError(parts[0][2].name, f"{zone} {signal}: units differ across files "
                         f"{[p.name for p in files]}: {sorted(units)}")
    for (a, _, pa), (b, _, pb) in zip(parts, parts[1:], strict=False):
        if b.values.index[0] <= a.values.index[-1]:
            raise TraceError(pb.name, f"{zone} {signal}: hours overlap {pa.name} (from "
                             f"{b.values.index[0]:%Y-%m-%d %H:%M} UTC)")
    if len(parts) == 1:
        return Series(parts[0][0], parts[0][1], files)
    hours = pd.date_range(parts[0][0].values.index[0], parts[-1][0].values.index[-1],
                          freq="h", name="timestamp")
    values = pd.concat([p[0].values for p in parts]).reindex(hours)
    rows = pd.concat([p[0].rows for p in parts]).reindex(hours)
    source = " + ".join(p.name for p in files)
    return Series(HourlyTable(source, values, rows), parts[0][1], files)


class DataLibrary:
    """The signal files of ``folders`` (searched in order); files are read once, on demand."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = tuple(Path(f) for f in folders)
        self._kinds = {f: {p: k for p in sorted(f.glob("*.csv")) if (k := _kind(p))}
                       for f in self.folders}
        self._loaded: dict[Path, dict[tuple[str, str], tuple[HourlyTable, str]]] = {}

    def _load(self, path: Path, kind: str) -> dict[tuple[str, str], tuple[HourlyTable, str]]:
        if path not in self._loaded:
            if kind == "em":
                self._loaded[path] = _read_em(path, _header(path))
            elif kind == "long":
                self._loaded[path] = _read_long(path)
            else:
                self._loaded[path] = _read_bundled(path, kind)
        return self._loaded[path]

    def _candidates(self, folder: Path, signal: str) -> list[tuple[Path, str]]:
        weather = signal in ("temperature_2m", "cloudcover", "windspeed_10m")
        return [(p, k) for p, k in self._kinds[folder].items()
                if k in ("em", "long") or k == signal or (weather and k == "weather")]

    def find(self, zone: str, signal: str) -> Series | None:
        """The zone's signal from the first folder that has it, else None."""
        for folder in self.folders:
            parts = [(*self._load(p, k)[(zone, signal)], p)
                     for p, k in self._candidates(folder, signal)
                     if (zone, signal) in self._load(p, k)]
            if parts:
                return _join(parts, signal, zone)
        return None

    def zones(self, signal: str) -> list[str]:
        """Every zone id some folder has ``signal`` for (for error messages)."""
        found = {z for f in self.folders for p, k in self._candidates(f, signal)
                 for (z, s) in self._load(p, k) if s == signal}
        return sorted(found)

    def where(self) -> str:
        """The folders, for messages."""
        return ", ".join(str(f) for f in self.folders)

    def file(self, name: str) -> Path | None:
        """The first folder's file called ``name``, else None."""
        return next((f / name for f in self.folders if (f / name).is_file()), None)
