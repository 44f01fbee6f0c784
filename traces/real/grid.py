"""Grid signals per zone: carbon intensity (gCO2/kWh), renewable share (%), prices (USD/MWh).

Each loader returns :class:`~traces.real.tables.Loaded`: a frame with a tz-aware UTC hourly
index named ``timestamp`` and one column per zone id (Electricity Maps ids such as ``DE-LU``),
plus the record of gaps filled under the chosen gap policy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import pandas as pd

from simulator.errors import TraceError
from traces.real.datadir import FILES, data_file
from traces.real.gaps import GapMethod, GapPolicy, fill_gaps
from traces.real.tables import Bounds, Loaded, read_wide_hourly

CarbonKind = Literal["lca", "direct"]

USD_PER_UNIT_2022: MappingProxyType[str, float] = MappingProxyType(
    {"usd": 1.0, "eur": 1.05, "gbp": 1.24, "sgd": 0.725, "jpy": 0.0076}
)
"""USD per unit of each currency: fixed 2022 annual averages (a modelling choice)."""

_PRICE_COLUMN = re.compile(r"^(?P<zone>.+)_(?P<currency>[a-z]{3})_per_mwh$")


def _load_zones(
    name: str,
    zones: Sequence[str] | None,
    gap_policy: GapMethod | GapPolicy,
    directory: str | Path | None,
    bounds: Bounds,
) -> Loaded:
    table = read_wide_hourly(data_file(name, directory), zones, bounds)
    filled, report = fill_gaps(table.values, gap_policy, source=table.source, rows=table.rows)
    return Loaded(filled, report)


def load_carbon_intensity(
    kind: CarbonKind = "lca",
    *,
    zones: Sequence[str] | None = None,
    gap_policy: GapMethod | GapPolicy = "refuse",
    directory: str | Path | None = None,
) -> Loaded:
    """Hourly grid carbon intensity of consumed power in gCO2/kWh, one column per zone id.

    ``kind`` "lca" counts life-cycle emissions, "direct" only combustion. ``zones`` selects
    columns (default: all). Values must lie in [0, 5000] gCO2/kWh.
    """
    if kind not in ("lca", "direct"):
        raise ValueError(f"carbon intensity kind must be 'lca' or 'direct', got {kind!r}")
    return _load_zones(
        FILES[f"carbon_{kind}"], zones, gap_policy, directory, Bounds(0, 5000, "gCO2/kWh")
    )


def load_renewable_share(
    *,
    zones: Sequence[str] | None = None,
    gap_policy: GapMethod | GapPolicy = "refuse",
    directory: str | Path | None = None,
) -> Loaded:
    """Hourly renewable share of consumed power in % (0-100), one column per zone id."""
    return _load_zones(FILES["renewable_share"], zones, gap_policy, directory, Bounds(0, 100, "%"))


def parse_price_column(
    column: str, source: str, usd_per_unit: Mapping[str, float] = USD_PER_UNIT_2022
) -> tuple[str, str]:
    """Split a price column name ``<zone>_<currency>_per_mwh`` into (zone id, currency code).

    Raises TraceError naming ``source`` and the column if the suffix is not ``_<ccy>_per_mwh``
    or the currency is not in ``usd_per_unit``.
    """
    match = _PRICE_COLUMN.match(column)
    known = ", ".join(sorted(usd_per_unit))
    if match is None:
        problem = f"price column name must end in _<currency>_per_mwh (currency one of {known})"
        raise TraceError(source, problem, column=column)
    currency = match["currency"]
    if currency not in usd_per_unit:
        problem = f"unknown currency '{currency}' (known: {known}; extend the conversion table)"
        raise TraceError(source, problem, column=column)
    return match["zone"], currency


def to_usd_per_mwh(
    prices: pd.Series, currency: str, usd_per_unit: Mapping[str, float] = USD_PER_UNIT_2022
) -> pd.Series:
    """Convert prices in ``currency``/MWh to USD/MWh by the fixed rate ``usd_per_unit[currency]``.

    Negative prices stay negative (they are real market outcomes).
    """
    return prices * usd_per_unit[currency]


def load_prices(
    *,
    zones: Sequence[str] | None = None,
    gap_policy: GapMethod | GapPolicy = "refuse",
    usd_per_unit: Mapping[str, float] = USD_PER_UNIT_2022,
    directory: str | Path | None = None,
) -> Loaded:
    """Hourly wholesale electricity prices in USD/MWh, one column per zone id.

    The file holds each market in its own currency, named by the column suffix (e.g.
    ``DE-LU_eur_per_mwh``); ``usd_per_unit`` converts it (default: 2022 averages). ``zones``
    selects zone ids (default: all). Gaps are filled before conversion; the GapReport and
    error messages name the file's columns.
    """
    table = read_wide_hourly(data_file(FILES["prices"], directory))
    parsed = {c: parse_price_column(c, table.source, usd_per_unit) for c in table.values}
    by_zone = {zone: column for column, (zone, _) in parsed.items()}
    for zone in zones or ():
        if zone not in by_zone:
            problem = f"no price column for zone {zone!r} (zones present: {', '.join(by_zone)})"
            raise TraceError(table.source, problem)
    columns = [by_zone[zone] for zone in zones] if zones is not None else list(parsed)
    filled, report = fill_gaps(
        table.values[columns], gap_policy, source=table.source, rows=table.rows
    )
    usd = pd.DataFrame(
        {parsed[c][0]: to_usd_per_mwh(filled[c], parsed[c][1], usd_per_unit) for c in columns},
        index=filled.index,
    )
    return Loaded(usd, report)
