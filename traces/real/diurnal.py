"""Hourly inference demand (requests/hour) from a diurnal profile in the region's LOCAL time.

The Azure traces give request sizes and intra-hour burstiness, not daily shape, so the daily and
weekly shape here is an assumption of this project:

* diurnal weight w(h) = 1 + amplitude · cos(2π (h − peak_hour) / 24), h = local clock hour at the
  middle of each UTC hour; its mean over any 24 consecutive hours is exactly 1;
* weekly factor: weekdays f, Saturday and Sunday weekend_ratio · f, with f = 7 / (5 + 2 ·
  weekend_ratio) so the mean over a week is 1;
* demand = requests_per_hour · w(h) · weekly factor: a week of demand sums to 168 ·
  requests_per_hour, and with weekend_ratio = 1 any 24 hours sum to 24 · requests_per_hour (on
  days without a daylight-saving change).
"""

from __future__ import annotations

from datetime import timedelta, timezone

import numpy as np
import pandas as pd


def _tzinfo(tz: str | float) -> str | timezone:
    """An IANA name as is, or a fixed UTC offset in hours (e.g. 5.5) as a timezone."""
    return tz if isinstance(tz, str) else timezone(timedelta(hours=tz))


def diurnal_weight(
    local_hour: np.ndarray, amplitude: float = 0.4, peak_hour: float = 14.0
) -> np.ndarray:
    """Relative demand at local clock hour ``local_hour`` (0-24, fractional): mean 1 over a day."""
    if not 0 <= amplitude <= 1:
        raise ValueError(f"amplitude must be in [0, 1], got {amplitude}")
    return 1.0 + amplitude * np.cos(2 * np.pi * (np.asarray(local_hour) - peak_hour) / 24)


def weekly_factor(local_weekday: np.ndarray, weekend_ratio: float = 0.8) -> np.ndarray:
    """Demand factor by local weekday (0 = Monday): weekend = weekend_ratio × weekday, mean 1."""
    if weekend_ratio <= 0:
        raise ValueError(f"weekend_ratio must be > 0, got {weekend_ratio}")
    weekday = 7.0 / (5.0 + 2.0 * weekend_ratio)
    return np.where(np.asarray(local_weekday) >= 5, weekend_ratio * weekday, weekday)


def inference_requests_per_hour(
    index: pd.DatetimeIndex,
    requests_per_hour: float,
    tz: str | float,
    *,
    amplitude: float = 0.4,
    peak_hour: float = 14.0,
    weekend_ratio: float = 0.8,
) -> pd.Series:
    """Requests/hour for each UTC hour of ``index`` in a region whose local time is ``tz``.

    ``tz`` is an IANA name (see :data:`traces.real.sites.ZONE_TIMEZONES`) or a fixed UTC offset
    in hours. ``requests_per_hour`` is the configured mean volume over a week.
    """
    if index.tz is None:
        raise ValueError("index must be tz-aware UTC hour starts")
    local = (index + pd.Timedelta(minutes=30)).tz_convert(_tzinfo(tz))
    hour = (local.hour + local.minute / 60).to_numpy(dtype=float)
    shape = diurnal_weight(hour, amplitude, peak_hour) * weekly_factor(
        local.day_of_week.to_numpy(), weekend_ratio
    )
    return pd.Series(requests_per_hour * shape, index=index, name="requests_per_hour")
