"""Where each zone's weather site is and which local time its users live in.

Coordinates are the city centres named in PROVENANCE.md (the exact grid point Open-Meteo used is
not recorded there); time zones are IANA names, so local time follows daylight saving.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Site:
    """A weather site: city name, latitude and longitude (degrees, north/east positive), IANA tz."""

    city: str
    lat_deg: float
    lon_deg: float
    tz: str


SITES: MappingProxyType[str, Site] = MappingProxyType(
    {
        "US-CAL-CISO": Site("San Jose", 37.34, -121.89, "America/Los_Angeles"),
        "US-TEX-ERCO": Site("Dallas", 32.78, -96.80, "America/Chicago"),
        "US-MIDA-PJM": Site("Philadelphia", 39.95, -75.17, "America/New_York"),
        "US-NY-NYIS": Site("New York", 40.71, -74.01, "America/New_York"),
        "GB": Site("London", 51.51, -0.13, "Europe/London"),
        "DE-LU": Site("Frankfurt", 50.11, 8.68, "Europe/Berlin"),
        "SG": Site("Singapore", 1.35, 103.82, "Asia/Singapore"),
        "JP-TK": Site("Tokyo", 35.68, 139.69, "Asia/Tokyo"),
    }
)
"""Weather site of each zone id in the weather file."""

ZONE_TIMEZONES: MappingProxyType[str, str] = MappingProxyType(
    {
        **{zone: site.tz for zone, site in SITES.items()},
        "BR-SP": "America/Sao_Paulo",
        "CL-SIC": "America/Santiago",
        "ZA": "Africa/Johannesburg",
        "IN-WE": "Asia/Kolkata",
    }
)
"""IANA time zone of every zone id in the grid files (for local-time demand shapes)."""
