"""Solar resource with pvlib: solar position, clear-sky irradiance, plane-of-array irradiance
and the PV capacity factor under cloud. The one solar model of GridShift (synthetic and real
traces both use it).

Per UTC hour (stamps are hour starts; everything is evaluated at the hour's midpoint):

* solar position: ``pvlib.solarposition.get_solarposition`` (its ``ephemeris`` algorithm:
  within 0.01° of NREL SPA here and several times faster, so a year at 20 sites stays quick);
* clear-sky global horizontal irradiance: Haurwitz (1945), ``pvlib.clearsky.haurwitz``
  (needs only the zenith: no turbidity tables, fast for a year at many sites);
* direct/diffuse split: Erbs et al. (1982), ``pvlib.irradiance.erbs``;
* plane of array: a fixed array facing the equator, tilted by ``|latitude|`` (capped at
  40°), isotropic sky and ground albedo 0.2, ``pvlib.irradiance.get_total_irradiance``;
* cloud: Kasten & Czeplak (1980), irradiance × (1 − 0.75 · cloud^3.4), cloud a fraction 0-1;
* capacity factor = performance ratio (0.85: inverter, temperature, wiring) ×
  POA / 1000 W/m², clipped to [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

STC_IRRADIANCE_W_PER_M2 = 1000.0
PERFORMANCE_RATIO = 0.85
MAX_TILT_DEG = 40.0
ALBEDO = 0.2


def _mid_hours(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    utc = index.tz_convert("UTC") if index.tz is not None else index.tz_localize("UTC")
    return utc + pd.Timedelta(minutes=30)


def solar_position(index: pd.DatetimeIndex, lat_deg: float, lon_deg: float) -> pd.DataFrame:
    """Solar zenith, elevation and azimuth (degrees) at the midpoint of each UTC hour."""
    return pvlib.solarposition.get_solarposition(_mid_hours(index), lat_deg, lon_deg,
                                                 method="ephemeris")


def solar_elevation_sin(index: pd.DatetimeIndex, lat_deg: float, lon_deg: float) -> np.ndarray:
    """sin of the solar elevation at the midpoint of each UTC hour (< 0: sun down)."""
    return np.sin(np.radians(solar_position(index, lat_deg, lon_deg)["elevation"].to_numpy()))


def clear_sky_ghi_w_per_m2(index: pd.DatetimeIndex, lat_deg: float, lon_deg: float
                           ) -> pd.Series:
    """Haurwitz clear-sky global horizontal irradiance (W/m²) per UTC hour of ``index``."""
    pos = solar_position(index, lat_deg, lon_deg)
    ghi = pvlib.clearsky.haurwitz(pos["apparent_zenith"])["ghi"].to_numpy()
    return pd.Series(ghi, index=index, name="ghi_clear_w_per_m2")


def clear_sky_poa_w_per_m2(index: pd.DatetimeIndex, lat_deg: float, lon_deg: float
                           ) -> np.ndarray:
    """Clear-sky irradiance (W/m²) on a fixed equator-facing array tilted by |latitude|."""
    pos = solar_position(index, lat_deg, lon_deg)
    zenith = pos["apparent_zenith"]
    ghi = pvlib.clearsky.haurwitz(zenith)["ghi"]
    split = pvlib.irradiance.erbs(ghi, zenith, ghi.index)
    poa = pvlib.irradiance.get_total_irradiance(
        surface_tilt=min(abs(lat_deg), MAX_TILT_DEG),
        surface_azimuth=180.0 if lat_deg >= 0 else 0.0,
        solar_zenith=zenith, solar_azimuth=pos["azimuth"], dni=split["dni"], ghi=ghi,
        dhi=split["dhi"], albedo=ALBEDO, model="isotropic")
    return np.nan_to_num(poa["poa_global"].to_numpy(), nan=0.0).clip(min=0.0)


def cloud_factor(cloud: np.ndarray | pd.Series, k: float = 0.75, n: float = 3.4
                 ) -> np.ndarray | pd.Series:
    """Kasten–Czeplak share of clear-sky irradiance left under a cloud fraction (0-1)."""
    return 1.0 - k * np.clip(cloud, 0.0, 1.0) ** n


def pv_capacity_factor(index: pd.DatetimeIndex, lat_deg: float, lon_deg: float,
                       cloud: np.ndarray, *, performance_ratio: float = PERFORMANCE_RATIO
                       ) -> np.ndarray:
    """Hourly PV capacity factor (0-1, share of nameplate MW) under a cloud fraction (0-1)."""
    poa = clear_sky_poa_w_per_m2(index, lat_deg, lon_deg)
    cf = performance_ratio * poa / STC_IRRADIANCE_W_PER_M2 * cloud_factor(np.asarray(cloud))
    return np.clip(cf, 0.0, 1.0)
