"""Information sets: published day-ahead prices are served as known; nothing later is seen."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from traces.forecast import FORECASTERS, ForecastProvider, ForecastSettings
from traces.forecast_info import (
    DAY_AHEAD_MARKETS,
    ExogenousInputs,
    known_through,
    publication_times,
)
from traces.synthetic import generate

ZONES = ("DE-LU", "SG")  # a day-ahead market and a real-time price


def _poison_site(traces, signal: str, site: int, from_row: int):
    signals = {k: v.copy() for k, v in traces.site_signals.items()}
    signals[signal][from_row:, site] = 1e6
    return dataclasses.replace(traces, site_signals=signals)


def test_publication_times_follow_the_market_clock() -> None:
    hours = pd.date_range("2022-06-02 00:00", periods=2, freq="h", tz="UTC")
    pub = publication_times(hours, DAY_AHEAD_MARKETS["DE-LU"])
    # 02:00 CEST on 2 June belongs to delivery day 2 June: usable 13:00 CEST on 1 June
    assert pub[0] == pd.Timestamp("2022-06-01 11:00", tz="UTC")  # 00 UTC = 02 CEST
    assert pub[1] == pd.Timestamp("2022-06-01 11:00", tz="UTC")
    winter = publication_times(pd.DatetimeIndex([pd.Timestamp("2022-12-15 12:00", tz="UTC")]),
                               DAY_AHEAD_MARKETS["DE-LU"])
    assert winter[0] == pd.Timestamp("2022-12-14 12:00", tz="UTC")  # 13:00 CET


def test_known_through_day_ahead_and_real_time() -> None:
    index = pd.date_range("2022-06-01", periods=72, freq="h", tz="UTC")
    known = known_through(index, ["DE-LU", "SG", None])
    # at 11:00 UTC (13:00 CEST) on 1 June the 2 June auction is out: known to 22:00 UTC 2 June
    assert known[11, 0] == 24 + 21 and known[10, 0] == 21
    np.testing.assert_array_equal(known[:, 1], np.arange(72) - 1)  # SG: real time
    np.testing.assert_array_equal(known[:, 2], np.arange(72) - 1)
    off = known_through(index, ["DE-LU"], day_ahead=False)
    np.testing.assert_array_equal(off[:, 0], np.arange(72) - 1)


@pytest.mark.parametrize("method", ["seasonal-naive-24", "ridge-ar", "ridge-arx",
                                    "bregman-entropy"])
def test_published_prices_are_seen_and_nothing_later(tiny, method: str) -> None:
    assert method in FORECASTERS
    traces = generate(tiny.with_updates({"hours": 96}))
    settings = ForecastSettings(zones=ZONES)
    t = 10
    row = traces.history_hours + t
    provider = ForecastProvider(traces, {"*": method}, settings=settings)
    last = provider.known_through("buy_price", t)
    assert last[0] > t and last[1] == t - 1
    n = last[0] - t + 1
    out = provider.forecast("buy_price", t, 48)
    np.testing.assert_array_equal(out[:n, 0], traces.signal("buy_price")[row:row + n, 0])
    # poisoning after the published horizon changes nothing; inside it, the forecast changes
    later = ForecastProvider(_poison_site(traces, "buy_price", 0, row + n), {"*": method},
                             settings=settings)
    np.testing.assert_array_equal(later.forecast("buy_price", t, 48), out)
    inside = ForecastProvider(_poison_site(traces, "buy_price", 0, row + n - 1), {"*": method},
                              settings=settings)
    assert inside.forecast("buy_price", t, 48)[n - 1, 0] == 1e6
    sg = ForecastProvider(_poison_site(traces, "buy_price", 1, row), {"*": method},
                          settings=settings)
    np.testing.assert_array_equal(sg.forecast("buy_price", t, 48)[:, 1], out[:, 1])


def test_switched_off_prices_are_forecast(tiny) -> None:
    traces = generate(tiny.with_updates({"hours": 96}))
    settings = ForecastSettings(zones=ZONES, prices_known_day_ahead=False)
    provider = ForecastProvider(traces, {"*": "persistence"}, settings=settings)
    row = traces.history_hours + 10
    out = provider.forecast("buy_price", 10, 24)
    np.testing.assert_array_equal(out, np.repeat(traces.signal("buy_price")[row - 1:row], 24, 0))
    assert (provider.known_through("buy_price", 10) == 9).all()


def test_quantiles_see_published_prices_and_nothing_later(tiny) -> None:
    traces = generate(tiny.with_updates({"hours": 96}))
    settings = ForecastSettings(zones=ZONES)
    provider = ForecastProvider(traces, {"*": "seasonal-naive-24"}, settings=settings)
    t = 10
    row = traces.history_hours + t
    n = provider.known_through("buy_price", t)[0] - t + 1
    lo = provider.quantile("buy_price", t, 24, 0.1)
    hi = provider.quantile("buy_price", t, 24, 0.9)
    np.testing.assert_array_equal(lo[:n, 0], hi[:n, 0])  # published: no uncertainty
    assert (hi[n:, 0] >= lo[n:, 0]).all()
    later = ForecastProvider(_poison_site(traces, "buy_price", 0, row + n), {"*": "persistence"},
                             settings=settings)
    clean = ForecastProvider(traces, {"*": "persistence"}, settings=settings)
    np.testing.assert_array_equal(later.quantile("carbon", t, 24, 0.9),
                                  clean.quantile("carbon", t, 24, 0.9))
    np.testing.assert_array_equal(later.quantile("buy_price", t, 24, 0.9),
                                  clean.quantile("buy_price", t, 24, 0.9))
    with pytest.raises(ValueError, match="not tracked"):
        provider.quantile("carbon", t, 24, 0.25)


def test_policies_see_published_prices_and_quantiles_through_the_observation(tiny) -> None:
    from gridshift.api import simulate
    from simulator.contracts import Decision

    seen = {}

    class Peek:
        name = "peek"

        def reset(self, system, hours_total: int) -> None:
            pass

        def decide(self, obs) -> Decision:
            if obs.t == 3:
                seen["price"] = obs.forecast("buy_price", 24)
                seen["lo"] = obs.forecast_quantile("buy_price", 0.1, 24)
                seen["hi"] = obs.forecast_quantile("buy_price", 0.9, 24)
            return Decision()

    sc = tiny.with_updates({"sites": [{**s.model_dump(), "zone": "DE-LU"} for s in tiny.sites]})
    simulate(sc, Peek(), check=False)
    assert (seen["lo"] <= seen["hi"]).all()
    same = np.isclose(seen["lo"], seen["hi"]).all(axis=1)
    assert same[0] and not same.all()  # published hours exact, later hours uncertain


def test_exogenous_prices_serve_only_published_rows() -> None:
    index = pd.date_range("2022-06-01", periods=96, freq="h", tz="UTC")
    known = known_through(index, ["DE-LU", "SG"])
    price = np.arange(96.0)[:, None] * np.array([[1.0, -1.0]])  # value = +-row
    inputs = ExogenousInputs(0, price, known)
    for row in (30, 35, 40):
        got = inputs.published_price(row, 24)  # [24, 2, 2]: same hour latest, a day before
        rows = np.abs(got) * 1.0
        assert (rows[:, 0] <= known[row, 0]).all() and (rows[:, 1] <= row - 1).all()
        target = row + np.arange(24)
        assert ((target - rows[..., 0].T) % 24 == 0).all()  # the target's hour of day
        np.testing.assert_array_equal(rows[..., 1], np.maximum(rows[..., 0] - 24, 0))
        published = target <= known[row, 0]
        np.testing.assert_array_equal(rows[published, 0, 0], target[published])
    with pytest.raises(ValueError, match="together"):
        ExogenousInputs(0, price, None)


def test_ridge_arx_reads_published_prices_for_carbon_and_nothing_later(tiny) -> None:
    traces = generate(tiny.with_updates({"hours": 96}))
    settings = ForecastSettings(zones=ZONES)
    t0, t = 0, 30
    row = traces.history_hours + t

    def carbon(tr) -> np.ndarray:
        provider = ForecastProvider(tr, {"carbon": "ridge-arx"}, settings=settings)
        provider.forecast("carbon", t0, 24)  # learn from t0 on: price weights become nonzero
        return provider.forecast("carbon", t, 24), provider.known_through("buy_price", t)

    clean, last = carbon(traces)
    n = last[0] - t + 1
    after, _ = carbon(_poison_site(traces, "buy_price", 0, row + n))
    np.testing.assert_array_equal(after, clean)
    inside, _ = carbon(_poison_site(traces, "buy_price", 0, row + n - 1))
    assert not np.array_equal(inside[:, 0], clean[:, 0])  # the published price is an input
    sg, _ = carbon(_poison_site(traces, "buy_price", 1, row))  # real time: nothing ahead
    np.testing.assert_array_equal(sg[:, 1], clean[:, 1])
