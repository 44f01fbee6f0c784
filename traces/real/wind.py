"""Wind capacity factor from 10 m wind speed: power-law hub-height extrapolation + power curve.

* hub wind speed v = (windspeed_10m / 3.6) · (hub_height / 10 m)^α m/s, α = 1/7 by default
  (the classic neutral-stability shear exponent);
* generic power curve: 0 below cut-in (3 m/s), ((v³ − v_in³) / (v_rated³ − v_in³)) between
  cut-in and rated (12 m/s), 1 from rated up to cut-out (25 m/s), 0 at and above cut-out.

The weather sites are city centres, so their 10 m wind is lower than at wind farms: the
resulting capacity factors (about 0.05-0.2 a year) are a shape, not a wind-farm yield.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

Frame = TypeVar("Frame", pd.Series, pd.DataFrame)


def hub_wind_m_per_s(
    windspeed_10m_kmh: Frame, hub_height_m: float = 100.0, shear_exponent: float = 1 / 7
) -> Frame:
    """Wind speed at hub height in m/s from 10 m wind speed in km/h (power law)."""
    return windspeed_10m_kmh / 3.6 * (hub_height_m / 10.0) ** shear_exponent


def power_curve(
    speed_m_per_s: Frame,
    cut_in_m_per_s: float = 3.0,
    rated_m_per_s: float = 12.0,
    cut_out_m_per_s: float = 25.0,
) -> Frame:
    """Share of rated power (0-1) produced at hub wind speed (m/s) by a generic cubic curve."""
    v = speed_m_per_s
    cubic = (v**3 - cut_in_m_per_s**3) / (rated_m_per_s**3 - cut_in_m_per_s**3)
    share = cubic.clip(0.0, 1.0)
    return share.where((v >= cut_in_m_per_s) & (v < cut_out_m_per_s), 0.0)


def wind_capacity_factor(
    windspeed_10m_kmh: Frame,
    *,
    hub_height_m: float = 100.0,
    shear_exponent: float = 1 / 7,
    cut_in_m_per_s: float = 3.0,
    rated_m_per_s: float = 12.0,
    cut_out_m_per_s: float = 25.0,
) -> Frame:
    """Hourly wind capacity factor (0-1, share of nameplate MW) from 10 m wind speed (km/h)."""
    hub = hub_wind_m_per_s(windspeed_10m_kmh, hub_height_m, shear_exponent)
    return power_curve(hub, cut_in_m_per_s, rated_m_per_s, cut_out_m_per_s).astype(np.float64)
