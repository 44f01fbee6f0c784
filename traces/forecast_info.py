"""Information sets: when a signal's values become known to an operator.

Realized values of every signal are known once their hour has passed (history before t).
Day-ahead market prices are known earlier: the auction for delivery day D clears on day D-1 and
its prices are published at a fixed local time. :data:`DAY_AHEAD_MARKETS` lists, per zone whose
price trace is a day-ahead auction price, the market, its time zone and the first UTC hour start
at or after the publication of the results (rounded *up* to the hour: decisions are taken at
hour starts, so a price published at 13:30 is first usable at 14:00). Zones whose price trace is
a real-time price (PJM Dominion real-time, Singapore USEP) are not listed: nothing is known before
the hour. Sources in ``docs/forecasting.md`` ("Information sets").

:func:`known_through` gives, for every trace row r, the last row whose price was published by
the hour start of row r (``r - 1`` where nothing is published ahead).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

PRICE_SIGNALS: tuple[str, ...] = ("buy_price", "sell_price")
"""Signals that follow the site's wholesale market price (plus fixed adders)."""


@dataclass(frozen=True)
class DayAheadMarket:
    """A day-ahead auction: results for delivery day D usable from ``usable_hour`` (local clock,
    ``tz``) on day D-1; ``market_day_tz`` is the clock of the delivery day."""

    market: str
    tz: str
    usable_hour: int
    published: str


DAY_AHEAD_MARKETS: dict[str, DayAheadMarket] = {
    "US-CAL-CISO": DayAheadMarket("CAISO IFM (day-ahead), NP15", "America/Los_Angeles", 14,
                                  "results by 13:00 PT"),
    "US-TEX-ERCO": DayAheadMarket("ERCOT DAM, hub average", "America/Chicago", 14,
                                  "results by 13:30 CPT"),
    "US-NY-NYIS": DayAheadMarket("NYISO DAM, Capital zone", "America/New_York", 11,
                                 "results by 11:00 ET"),
    "GB": DayAheadMarket("GB hourly day-ahead auction (N2EX / EPEX GB)", "Europe/London", 11,
                         "results shortly after the 09:50 UK gate closure (about 10:00)"),
    "DE-LU": DayAheadMarket("EPEX SPOT / SDAC DE-LU", "Europe/Berlin", 13,
                            "gate closure 12:00 CET, results about 12:45 CET"),
    "JP-TK": DayAheadMarket("JEPX spot (day-ahead), Tokyo area", "Asia/Tokyo", 11,
                            "gate closure 10:00 JST, results about 10:10 JST"),
}


def publication_times(index: pd.DatetimeIndex, market: DayAheadMarket) -> pd.DatetimeIndex:
    """UTC time from which the price of each hour of ``index`` is usable: ``usable_hour`` local
    time on the day before the hour's local delivery day."""
    local = index.tz_convert(market.tz) if index.tz is not None else \
        index.tz_localize("UTC").tz_convert(market.tz)
    day = local.normalize().tz_localize(None) - pd.Timedelta(days=1)
    usable = (day + pd.Timedelta(hours=market.usable_hour)).tz_localize(
        market.tz, ambiguous=False, nonexistent="shift_forward")
    return usable.tz_convert("UTC")


def known_through(index: pd.DatetimeIndex, zones: Sequence[str | None],
                  day_ahead: bool = True) -> np.ndarray:
    """Last known row [rows, sites] of each site's price at each row's hour start.

    ``zones``: the grid zone of each site (None = unknown). Without ``day_ahead``, or for zones
    without a listed day-ahead market, the known rows are those before the row (``r - 1``).
    """
    rows = np.arange(len(index))
    out = np.repeat((rows - 1)[:, None], len(zones), axis=1)
    if not day_ahead or len(index) == 0:
        return out
    stamps = index if index.tz is not None else index.tz_localize("UTC")
    stamps_ns = stamps.tz_convert("UTC").asi8
    for i, zone in enumerate(zones):
        market = DAY_AHEAD_MARKETS.get(zone or "")
        if market is None:
            continue
        pub = publication_times(stamps, market).asi8  # nondecreasing in the row
        last = np.searchsorted(pub, stamps_ns, side="right") - 1
        out[:, i] = np.maximum(last, rows - 1)
    return out


@dataclass(frozen=True)
class ExogenousInputs:
    """What a forecaster may read besides its own signal's history, gated by the information
    set: the UTC hour of day of trace row 0 (calendar features) and the sites' prices
    ``price`` [rows, sites] with ``known`` [rows, sites] from :func:`known_through`. The price
    array stays private: :meth:`published_price` serves only values known at the issue row."""

    hour0: int = 0
    price: np.ndarray | None = None
    known: np.ndarray | None = None

    def __post_init__(self) -> None:
        if (self.price is None) != (self.known is None) or (
                self.price is not None and self.known is not None
                and self.price.shape != self.known.shape):
            raise ValueError("exogenous price and known rows must be given together, "
                             "[rows, sites] each")

    def hour_of_day(self, rows: np.ndarray) -> np.ndarray:
        """UTC hour of day (0-23) of trace rows."""
        return (self.hour0 + np.asarray(rows)) % 24

    def published_price(self, row: int, horizon: int) -> np.ndarray:
        """[horizon, sites, 2]: for each target row ``row + l`` the latest price known at the
        issue row ``row`` at the same hour of day (the target's own price once published, else
        the same hour of an earlier day) and that hour one day earlier; never a later row."""
        if self.price is None or self.known is None:
            raise ValueError("no exogenous prices were given")
        last = self.known[row][None, :]
        if (last < 0).any():
            raise ValueError(f"no price is known at row {row}")
        target = row + np.arange(horizon)[:, None]
        days = np.maximum(0, -((last - target) // 24))  # ceil((target - last) / 24)
        same = target - 24 * days
        sites = np.arange(self.price.shape[1])[None, :]
        rows = np.stack([same, same - 24], axis=-1).clip(0)  # <= last: nothing later is read
        return self.price[rows, sites[..., None]]
