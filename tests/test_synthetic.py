"""Synthetic traces: seeded, aligned, physically plausible."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.scenario import load_scenario
from traces.solar import solar_elevation_sin
from traces.synthetic import generate


def test_same_seed_same_traces_other_seed_differs(tiny) -> None:
    assert generate(tiny).digest() == generate(tiny).digest()
    assert generate(tiny.with_updates({"seed": 4})).digest() != generate(tiny).digest()


def test_shapes_ranges_and_alignment(tiny) -> None:
    traces = generate(tiny)
    n = tiny.traces.history_hours + tiny.hours
    assert len(traces.index) == n and traces.run_hours == tiny.hours
    assert traces.index[traces.history_hours] == pd.Timestamp(tiny.start)
    for name in ("pv_cf", "wind_cf"):
        values = traces.site_signals[name]
        assert values.shape == (n, 2) and values.min() >= 0 and values.max() <= 1
    assert (traces.site_signals["carbon"] > 0).all()
    assert traces.demand.shape == (n, 2, 2) and (traces.demand >= 0).all()
    # Class shares hold every hour.
    share = traces.demand[:, :, 0] / traces.demand.sum(axis=2)
    np.testing.assert_allclose(share, 0.6)


def test_solar_is_zero_at_night_and_peaks_near_solar_noon(tiny) -> None:
    traces = generate(tiny)
    site_lon = tiny.sites[0].longitude
    pv = traces.site_signals["pv_cf"][:, 0]
    solar_hour = (traces.index.hour + 0.5 + site_lon / 15) % 24
    assert pv[(solar_hour < 4) | (solar_hour > 21)].max() == 0
    day = pv[:24 * 2].reshape(2, 24)
    peak_solar_hours = solar_hour[:48].to_numpy().reshape(2, 24)[np.arange(2), day.argmax(1)]
    assert np.all(np.abs(peak_solar_hours - 12) <= 1.5)


def test_solar_elevation_summer_noon_vs_winter_noon() -> None:
    summer = pd.DatetimeIndex(["2022-06-21 12:00"], tz="UTC")
    winter = pd.DatetimeIndex(["2022-12-21 12:00"], tz="UTC")
    # At the Greenwich meridian, 50 N: elevation about 63.5 deg in June, 16.5 deg in December.
    assert abs(np.degrees(np.arcsin(solar_elevation_sin(summer, 50, 0)[0])) - 63.4) < 1.0
    assert abs(np.degrees(np.arcsin(solar_elevation_sin(winter, 50, 0)[0])) - 16.6) < 1.0


def test_magnitudes_follow_the_zone_table() -> None:
    default = load_scenario("default").with_updates({"hours": 24 * 60})
    traces = generate(default)
    carbon = traces.site_signals["carbon"].mean(axis=0)
    zones = [s.zone for s in default.sites]
    from traces.zones import ZONES

    expected = np.array([ZONES[z].carbon_mean_g_per_kwh for z in zones])
    np.testing.assert_allclose(carbon, expected, rtol=0.15)


def test_jobs_are_valid(tiny) -> None:
    jobs = generate(tiny.with_updates({"hours": 200})).jobs
    assert len(jobs) > 20
    assert (jobs["deadline_hour"] >= jobs["release_hour"] + jobs["duration_h"]).all()
    assert jobs["gpus"].isin([8, 16, 32]).all()
    assert jobs["job_id"].is_unique
