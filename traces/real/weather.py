"""Hourly weather per site (Open-Meteo, long format with a ``zone_id`` column).

Variables and units: ``temperature_2m`` (°C, for PUE), ``relative_humidity_2m`` (%),
``cloudcover`` (%, the solar proxy, see :mod:`traces.real.solar`) and ``windspeed_10m`` (km/h,
see :mod:`traces.real.wind`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType

from traces.real.datadir import FILES, data_file
from traces.real.gaps import GapMethod, GapPolicy
from traces.real.tables import Bounds, Loaded, fill_keyed, read_long_hourly

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
