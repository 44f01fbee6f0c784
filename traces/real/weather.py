"""Hourly weather per site (Open-Meteo, long format with a ``zone_id`` column).

Variables and units: ``temperature_2m`` (°C, for PUE), ``relative_humidity_2m`` (%),
``cloudcover`` (%, the solar proxy: :func:`pv_capacity_factor` turns it into PV output with
:mod:`traces.solar`) and ``windspeed_10m`` (km/h,
see :mod:`traces.real.wind`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from traces.real.datadir import FILES, data_file
from traces.real.gaps import GapMethod, GapPolicy
from traces.real.sites import SITES, Site
from traces.real.tables import Bounds, Loaded, fill_keyed, read_long_hourly
from traces.solar import pv_capacity_factor as _pv_from_cloud

WEATHER_VARIABLES: MappingProxyType[str, Bounds] = MappingProxyType(
    {
        "temperature_2m": Bounds(-90, 60, "°C"),
        "relative_humidity_2m": Bounds(0, 100, "%"),
        "cloudcover": Bounds(0, 100, "%"),
        "windspeed_10m": Bounds(0, 400, "km/h"),
    }
)
"""Weather columns read and their allowed ranges."""


def load_weather(
    *,
    zones: Sequence[str] | None = None,
    gap_policy: GapMethod | GapPolicy = "refuse",
    directory: str | Path | None = None,
) -> Loaded:
    """Hourly weather with columns (variable, zone_id); ``frame["cloudcover"]`` is zones × hours.

    Units: temperature_2m °C, relative_humidity_2m %, cloudcover %, windspeed_10m km/h.
    ``zones`` selects sites (default: all in the file); each zone's stamps must be sorted.
    """
    path = data_file(FILES["weather"], directory)
    tables = read_long_hourly(path, "zone_id", list(WEATHER_VARIABLES), zones, WEATHER_VARIABLES)
    frame, report = fill_keyed(tables, gap_policy, path.name, ("variable", "zone_id"))
    return Loaded(frame, report)


def pv_capacity_factor(cloudcover_pct: pd.Series, site: Site) -> pd.Series:
    """Hourly PV capacity factor (0-1) at ``site`` under its cloud cover (%), by
    :func:`traces.solar.pv_capacity_factor`."""
    cf = _pv_from_cloud(cloudcover_pct.index, site.lat_deg, site.lon_deg,
                        cloudcover_pct.to_numpy(dtype=float) / 100.0)
    return pd.Series(cf, index=cloudcover_pct.index, name=cloudcover_pct.name)


def pv_capacity_factors(cloudcover_pct: pd.DataFrame, sites: Mapping[str, Site] = SITES
                        ) -> pd.DataFrame:
    """PV capacity factor (0-1) per zone column of ``cloudcover_pct`` (%), sites by zone id."""
    return pd.DataFrame({zone: pv_capacity_factor(cloudcover_pct[zone], sites[zone])
                         for zone in cloudcover_pct.columns}, index=cloudcover_pct.index)
