"""Seeded synthetic traces that look like real grids.

Per site (in its zone and local time): solar from a clear-sky elevation model times a daily
cloudiness process; wind from a persistent latent process; temperature with seasonal and
diurnal swings; a zone net load = demand shape - solar - wind, and price and carbon intensity
that move with it (magnitudes from :mod:`traces.zones`). Per region: inference arrivals with a
diurnal shape in local time and a weekend dip. Jobs: the scenario's explicit list plus a
Poisson stream. Every random draw comes from ``numpy.random.default_rng([seed, stream])`` so
the same scenario and seed give the same traces bit for bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.errors import ScenarioError
from simulator.scenario import Scenario, Site
from traces.traceset import JOB_COLUMNS, TraceSet
from traces.zones import ZoneProfile, zone_profile

_PRICE_FLOOR_FRACTION = -0.3  # lowest price as a fraction of the zone mean (negative prices)
_SPIKE_PROB_PER_HOUR = 0.004
_ROWS_PER_DAY = 24


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


def _ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    """Stationary unit-variance AR(1) series."""
    eps = rng.standard_normal(n) * np.sqrt(1 - phi * phi)
    out = np.empty(n)
    out[0] = rng.standard_normal()
    for i in range(1, n):
        out[i] = phi * out[i - 1] + eps[i]
    return out


def solar_elevation_sin(index: pd.DatetimeIndex, latitude: float, longitude: float) -> np.ndarray:
    """sin(solar elevation) at mid-hour, from declination and hour angle (Cooper's formula)."""
    doy = index.day_of_year.to_numpy()
    hours = index.hour.to_numpy() + 0.5 + longitude / 15.0
    decl = np.radians(23.44) * np.sin(2 * np.pi * (284 + doy) / 365.0)
    omega = np.radians(15.0 * (hours - 12.0))
    phi = np.radians(latitude)
    return np.sin(phi) * np.sin(decl) + np.cos(phi) * np.cos(decl) * np.cos(omega)


def _local_hour(index: pd.DatetimeIndex, offset_h: float) -> np.ndarray:
    return (index.hour.to_numpy() + offset_h) % 24


def _site_weather(site: Site, zone: ZoneProfile, index: pd.DatetimeIndex, rng):
    n = len(index)
    days = n // _ROWS_PER_DAY + 2
    cloud_daily = 1 / (1 + np.exp(-(_ar1(rng, days, 0.6) * 1.2 + np.log(zone.cloudiness /
                                                                      (1 - zone.cloudiness)))))
    day_idx = (index - index[0].floor("D")).days.to_numpy()
    cloud = cloud_daily[day_idx]
    clear = np.clip(solar_elevation_sin(index, site.latitude, site.longitude), 0, None)
    pv_cf = np.clip(0.85 * clear**1.1 * (1 - 0.75 * cloud**3.4), 0, 1)
    wind_latent = _ar1(rng, n, 0.97)
    wind_cf = np.clip(1 / (1 + np.exp(-(1.3 * wind_latent - 0.6))), 0, 1)
    doy = index.day_of_year.to_numpy()
    hemisphere = 1.0 if site.latitude >= 0 else -1.0
    season = zone.temperature_season_amp_c * np.cos(2 * np.pi * (doy - 200) / 365) * hemisphere
    daily = zone.temperature_daily_amp_c * np.cos(
        2 * np.pi * (_local_hour(index, site.offset_h) - 15) / 24
    )
    temperature = zone.temperature_mean_c + season + daily + 1.5 * _ar1(rng, n, 0.9)
    return pv_cf, wind_cf, temperature


def _demand_shape(local_hour: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """Diurnal load shape, mean about 1: low at 03:00, high in the afternoon and evening."""
    shape = 1 + 0.35 * np.sin(2 * np.pi * (local_hour - 9) / 24) + 0.1 * np.sin(
        4 * np.pi * (local_hour - 7) / 24
    )
    return shape * np.where(weekday >= 5, 0.9, 1.0)


def _grid_signals(site: Site, zone: ZoneProfile, index, pv_cf, wind_cf, rng):
    n = len(index)
    local = _local_hour(index, site.offset_h)
    weekday = ((index + pd.Timedelta(hours=site.offset_h)).day_of_week).to_numpy()
    net = (
        _demand_shape(local, weekday)
        - 3.0 * zone.solar_share * pv_cf
        - 3.0 * zone.wind_share * (wind_cf - wind_cf.mean())
    )
    net = (net - net.mean()) / max(net.std(), 1e-9)
    price_noise = _ar1(rng, n, 0.8)
    price = zone.price_mean_usd_per_mwh + zone.price_std_usd_per_mwh * (
        0.8 * net + 0.6 * price_noise
    )
    spikes = rng.random(n) < _SPIKE_PROB_PER_HOUR
    price = price + spikes * rng.exponential(4 * zone.price_mean_usd_per_mwh, n)
    price = np.maximum(price, _PRICE_FLOOR_FRACTION * zone.price_mean_usd_per_mwh)
    carbon_noise = _ar1(rng, n, 0.95)
    carbon = zone.carbon_mean_g_per_kwh + zone.carbon_std_g_per_kwh * (
        0.75 * net + 0.66 * carbon_noise
    )
    carbon = np.maximum(carbon, zone.carbon_min_g_per_kwh)
    return (*site.tariff_usd_per_mwh(price), carbon)


def _demand(scenario: Scenario, index: pd.DatetimeIndex) -> np.ndarray:
    n, regions, classes = len(index), scenario.regions, scenario.classes
    out = np.empty((n, len(regions), len(classes)))
    shares = np.array([c.share for c in classes])
    for r, region in enumerate(regions):
        rng = _rng(scenario.seed, 2, r)
        local = _local_hour(index, region.offset_h)
        weekday = ((index + pd.Timedelta(hours=region.offset_h)).day_of_week).to_numpy()
        shape = _demand_shape(local, weekday)
        noise = np.exp(0.08 * _ar1(rng, n, 0.5) - 0.5 * 0.08**2)
        out[:, r, :] = region.requests_per_hour * (shape * noise)[:, None] * shares[None, :]
    return out


def _jobs(scenario: Scenario) -> pd.DataFrame:
    stream = scenario.jobs
    rows = [
        (j.job_id, j.release_hour, j.gpus, j.duration_h, j.deadline_hour, j.value_usd,
         j.home_site)
        for j in stream.jobs
    ]
    if stream.arrivals_per_hour > 0:
        rng = _rng(scenario.seed, 3)
        next_id = max((j.job_id for j in stream.jobs), default=-1) + 1
        counts = rng.poisson(stream.arrivals_per_hour, scenario.hours)
        for hour in np.repeat(np.arange(scenario.hours), counts):
            gpus = int(rng.choice(stream.gpu_choices))
            duration = int(rng.integers(stream.duration_h[0], stream.duration_h[1] + 1))
            slack = int(rng.integers(stream.slack_h[0], stream.slack_h[1] + 1))
            value = stream.value_usd_per_gpu_hour * gpus * duration * rng.uniform(0.8, 1.2)
            rows.append((next_id, int(hour), gpus, duration, int(hour) + duration + slack,
                         round(float(value), 2), None))
            next_id += 1
    frame = pd.DataFrame(rows, columns=list(JOB_COLUMNS))
    frame = frame.astype({"job_id": "int64", "release_hour": "int64", "gpus": "int64",
                          "duration_h": "int64", "deadline_hour": "int64", "value_usd": "float64",
                          "home_site": "object"})
    return frame.sort_values(["release_hour", "job_id"], kind="stable").reset_index(drop=True)


def generate(scenario: Scenario) -> TraceSet:
    """Synthetic TraceSet for a scenario: ``history_hours`` of history, then the run."""
    hist = scenario.traces.history_hours
    start = pd.Timestamp(scenario.start).tz_convert("UTC") - pd.Timedelta(hours=hist)
    index = pd.date_range(start, periods=hist + scenario.hours, freq="h")
    signals = {k: np.empty((len(index), len(scenario.sites))) for k in
               ("buy_price", "sell_price", "carbon", "pv_cf", "wind_cf", "temperature")}
    for s, site in enumerate(scenario.sites):
        try:
            zone = zone_profile(site.zone)
        except KeyError as err:
            raise ScenarioError(
                f"scenario '{scenario.name}': sites.{s}.zone: {err.args[0]}"
            ) from None
        rng = _rng(scenario.seed, 1, s)
        pv_cf, wind_cf, temperature = _site_weather(site, zone, index, rng)
        buy, sell, carbon = _grid_signals(site, zone, index, pv_cf, wind_cf, rng)
        for name, arr in (("buy_price", buy), ("sell_price", sell), ("carbon", carbon),
                          ("pv_cf", pv_cf), ("wind_cf", wind_cf), ("temperature", temperature)):
            signals[name][:, s] = arr
    return TraceSet(
        index=index,
        history_hours=hist,
        sites=tuple(s.name for s in scenario.sites),
        regions=tuple(r.name for r in scenario.regions),
        classes=tuple(c.name for c in scenario.classes),
        site_signals=signals,
        demand=_demand(scenario, index),
        jobs=_jobs(scenario),
        notes={"source": "synthetic", "seed": scenario.seed},
    )
