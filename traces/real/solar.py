"""PV capacity factor from cloud cover: clear-sky irradiance from solar geometry × cloud factor.

Model, per hour, evaluated at the hour's midpoint (stamps are hour starts):

* day of year n; declination δ = 23.45° · sin(360° · (284 + n) / 365) (Cooper 1969);
* equation of time E = 9.87 sin 2B − 7.53 cos B − 1.5 sin B minutes, B = 360° (n − 81) / 364;
* solar time = UTC time + longitude / 15° h + E / 60; hour angle ω = 15° · (solar time − 12 h);
* solar elevation α: sin α = sin φ sin δ + cos φ cos δ cos ω (φ = latitude);
* clear-sky global horizontal irradiance (Haurwitz 1945):
  GHI_clear = 1098 · sin α · exp(−0.057 / sin α) W/m² while the sun is up, else 0;
* cloud factor (Kasten & Czeplak 1980): GHI = GHI_clear · (1 − 0.75 · (cloud / 100)^3.4);
* capacity factor = scale · GHI / 1000 W/m², clipped to [0, 1].

``scale`` = performance ratio (about 0.85: inverter, temperature and wiring losses) × the gain of
a fixed tilted array over a horizontal surface (about 1.15-1.2), so 1.0 by default. With it the
2022 annual means are 0.11 (London) to 0.20 (San Jose), typical fixed-tilt PV capacity factors.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from traces.real.sites import SITES, Site

STC_IRRADIANCE_W_PER_M2 = 1000.0


def solar_elevation_sin(index: pd.DatetimeIndex, lat_deg: float, lon_deg: float) -> np.ndarray:
    """sin of the solar elevation at the midpoint of each UTC hour of ``index`` (< 0: sun down)."""
    mid = index.tz_convert("UTC") + pd.Timedelta(minutes=30)
    n = mid.day_of_year.to_numpy(dtype=float)
    utc_h = (mid.hour + mid.minute / 60).to_numpy(dtype=float)
    declination = np.radians(23.45) * np.sin(np.radians(360 * (284 + n) / 365))
    b = np.radians(360 * (n - 81) / 364)
    eot_min = 9.87 * np.sin(2 * b) - 7.53 * np.cos(b) - 1.5 * np.sin(b)
    hour_angle = np.radians(15 * (utc_h + lon_deg / 15 + eot_min / 60 - 12))
    lat = np.radians(lat_deg)
    return np.sin(lat) * np.sin(declination) + np.cos(lat) * np.cos(declination) * np.cos(
        hour_angle
    )


def clear_sky_ghi_w_per_m2(index: pd.DatetimeIndex, lat_deg: float, lon_deg: float) -> pd.Series:
    """Haurwitz clear-sky global horizontal irradiance in W/m² for each UTC hour of ``index``."""
    sin_alpha = solar_elevation_sin(index, lat_deg, lon_deg)
    up = sin_alpha > 0
    ghi = np.zeros_like(sin_alpha)
    ghi[up] = 1098.0 * sin_alpha[up] * np.exp(-0.057 / sin_alpha[up])
    return pd.Series(ghi, index=index, name="ghi_clear_w_per_m2")


def cloud_factor(cloudcover_pct: pd.Series, k: float = 0.75, n: float = 3.4) -> pd.Series:
    """Kasten–Czeplak share of clear-sky irradiance left under cloud cover (%): 1 − k·(c/100)^n."""
    return 1.0 - k * (cloudcover_pct.clip(0, 100) / 100.0) ** n


def pv_capacity_factor(
    cloudcover_pct: pd.Series,
    site: Site,
    *,
    scale: float = 1.0,
    k: float = 0.75,
    n: float = 3.4,
) -> pd.Series:
    """Hourly PV capacity factor (0-1, share of nameplate MW) at ``site`` from cloud cover (%)."""
    ghi = clear_sky_ghi_w_per_m2(cloudcover_pct.index, site.lat_deg, site.lon_deg)
    cf = scale * ghi * cloud_factor(cloudcover_pct, k, n) / STC_IRRADIANCE_W_PER_M2
    return cf.clip(0.0, 1.0).rename(cloudcover_pct.name)


def pv_capacity_factors(
    cloudcover_pct: pd.DataFrame,
    sites: Mapping[str, Site] = SITES,
    *,
    scale: float = 1.0,
) -> pd.DataFrame:
    """PV capacity factor (0-1) per zone column of ``cloudcover_pct`` (%), sites by zone id."""
    return pd.DataFrame(
        {
            zone: pv_capacity_factor(cloudcover_pct[zone], sites[zone], scale=scale)
            for zone in cloudcover_pct.columns
        },
        index=cloudcover_pct.index,
    )
