"""Base forecasters, the noisy-perfect error model, job-arrival forecasts and the forecast
configuration: known answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from simulator.scenario import ForecastConfig
from simulator.traceset import SIGNALS
from traces.forecast import (
    CORRECTIONS,
    FORECASTERS,
    ForecastProvider,
    ForecastSettings,
    NoiseModel,
    NoisyPerfectForecaster,
    SeasonalMeanForecaster,
    make_forecaster,
    methods_from_config,
    settings_from_config,
)
from traces.job_forecast import JobArrivalForecaster
from traces.synthetic import generate

BASES = sorted(set(FORECASTERS) - set(CORRECTIONS))


def _truth(rows: int = 400, series: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    hours = np.arange(rows)[:, None]
    return 100 + 20 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 5, (rows, series))


@pytest.mark.parametrize("name", BASES)
def test_every_base_forecaster_is_prefix_consistent(name: str) -> None:
    truth = _truth()
    f = make_forecaster(name, truth, seed=4, signal="carbon")
    row = 300
    long, short = f.issue(truth[:row], row, 30), f.issue(truth[:row], row, 7)
    assert long.shape == (30, 3) and short.shape == (7, 3)
    np.testing.assert_array_equal(long[:7], short)


def test_seasonal_mean_is_the_average_daily_profile() -> None:
    truth = np.arange(24 * 10, dtype=float)[:, None]  # value = hour index
    f = SeasonalMeanForecaster(24, 7)
    row = 24 * 9 + 5
    out = f.issue(truth[:row], row, 30)
    # lead l: same hour in the last 7 days, i.e. row - 24k + l for l < 24; mean over k = 1..7
    expected = [np.mean([row - 24 * k + (lead % 24) for k in range(1, 8)]) for lead in range(30)]
    np.testing.assert_allclose(out[:, 0], expected)
    two_days = f.issue(truth[:50], 50, 3)  # only two whole days: mean of those two
    np.testing.assert_allclose(two_days[:, 0], [(26 + 2) / 2, (27 + 3) / 2, (28 + 4) / 2])
    np.testing.assert_array_equal(f.issue(truth[:10], 10, 4)[:, 0], [9, 9, 9, 9])


def test_noise_std_grows_with_lead_as_the_ar1_model_says() -> None:
    noise = NoiseModel("additive", sigma=0.2, phi=0.8)
    truth = np.zeros((2500, 40))
    f = NoisyPerfectForecaster(truth, noise, seed=1, signal="carbon")
    errors = np.stack([f.issue(truth[:r], r, 24) for r in range(0, 2400, 3)])  # [n, 24, 40]
    measured = errors.reshape(-1, 24, 40).transpose(1, 0, 2).reshape(24, -1).std(axis=1)
    expected = noise.lead_std(np.arange(24))
    np.testing.assert_allclose(expected[[0, -1]], [0.2, 0.2 / np.sqrt(1 - 0.64) *
                                                   np.sqrt(1 - 0.8 ** 48)])
    np.testing.assert_allclose(measured, expected, rtol=0.04)
    assert NoiseModel("additive", 0.1, 1.0).lead_std(np.array([3]))[0] == pytest.approx(0.2)


def test_noisy_perfect_is_deterministic_in_seed_signal_and_row() -> None:
    truth = _truth()
    a = make_forecaster("noisy-perfect", truth, seed=7, signal="carbon")
    b = make_forecaster("noisy-perfect", truth, seed=7, signal="carbon")
    row = 200
    np.testing.assert_array_equal(a.issue(truth[:row], row, 24), b.issue(truth[:row], row, 24))
    other_seed = make_forecaster("noisy-perfect", truth, seed=8, signal="carbon")
    other_signal = make_forecaster("noisy-perfect", truth, seed=7, signal="buy_price")
    for other in (other_seed, other_signal):
        assert not np.array_equal(a.issue(truth[:row], row, 24),
                                  other.issue(truth[:row], row, 24))
    assert not np.array_equal(a.issue(truth[:row], row, 24)[1:],
                              a.issue(truth[:row + 1], row + 1, 23))


def test_noisy_perfect_multiplicative_keeps_zeros_and_sigma_zero_is_perfect() -> None:
    truth = _truth()
    truth[:, 0] = 0.0
    f = make_forecaster("noisy-perfect", truth, seed=1, signal="pv_cf")
    out = f.issue(truth[:100], 100, 24)
    assert (out[:, 0] == 0).all() and (out >= 0).all()
    exact = make_forecaster("noisy-perfect", truth, settings=ForecastSettings(
        noise=NoiseModel(sigma=0.0)))
    np.testing.assert_array_equal(exact.issue(truth[:100], 100, 24), truth[100:124])


def test_noise_model_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="kind"):
        NoiseModel("gaussian")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="phi"):
        NoiseModel(phi=1.5)
    with pytest.raises(ValueError, match="sigma"):
        NoiseModel(sigma=-0.1)


@pytest.mark.parametrize("name", sorted(FORECASTERS))
def test_every_forecaster_serves_every_signal(tiny, name: str) -> None:
    traces = generate(tiny)
    provider = ForecastProvider(traces, {"*": name}, seed=2)
    for signal in SIGNALS:
        out = provider.forecast(signal, 3, 5)
        assert out.shape == (5, *traces.signal(signal).shape[1:])
        assert np.isfinite(out).all()


def _jobs(releases: list[int]) -> pd.DataFrame:
    n = len(releases)
    return pd.DataFrame({"job_id": range(n), "release_hour": releases, "gpus": [8] * n,
                         "duration_h": [3] * n, "deadline_hour": [r + 10 for r in releases],
                         "value_usd": [100.0] * n, "home_site": [None] * n})


def test_job_arrivals_are_the_historical_rate_and_mix() -> None:
    jobs = _jobs([0, 0, 2, 5, 9])
    f = JobArrivalForecaster(window_h=4)
    out = f.issue(jobs[jobs["release_hour"] <= 6], t=6, horizon=5)
    # window (2, 6]: the job released at 5 -> 1 job in 4 h
    np.testing.assert_array_equal(out.hours, [7, 8, 9, 10])
    np.testing.assert_allclose(out.arrivals_per_h, 0.25)
    np.testing.assert_allclose(out.gpu_hours_per_h, 8 * 3 / 4)
    assert (out.jobs_seen, out.mean_slack_h) == (1, 7.0)
    early = f.issue(jobs[jobs["release_hour"] <= 1], t=1, horizon=3)
    np.testing.assert_allclose(early.arrivals_per_h, 1.0)  # 2 jobs in the 2 h seen
    with pytest.raises(ValueError, match="released later"):
        f.issue(jobs, t=6, horizon=5)


def test_job_arrival_forecast_does_not_see_later_jobs(tiny) -> None:
    traces = generate(tiny)
    t = 8
    later = traces.jobs["release_hour"] > t
    assert later.any()
    poisoned = traces.jobs.copy()
    poisoned.loc[later, "gpus"] = 10_000
    poisoned = pd.concat([poisoned, _jobs([t + 1] * 50).assign(job_id=range(900, 950))])
    clean = ForecastProvider(traces, {}).job_arrivals(t, 12)
    dirty = ForecastProvider(dataclasses.replace(traces, jobs=poisoned), {}).job_arrivals(t, 12)
    for field in dataclasses.fields(clean):
        np.testing.assert_array_equal(getattr(clean, field.name), getattr(dirty, field.name))


def test_correction_config_selects_the_corrector_for_unnamed_signals() -> None:
    methods = methods_from_config("persistence", {"demand": "seasonal-naive-168"},
                                  "bregman-entropy")
    assert methods["carbon"] == "bregman-entropy" and methods["demand"] == "seasonal-naive-168"
    assert methods_from_config("persistence", {}, "none")["carbon"] == "persistence"
    with pytest.raises(ValueError, match="unknown correction 'magic'"):
        methods_from_config("persistence", {}, "magic")


def test_forecast_config_maps_to_settings() -> None:
    config = ForecastConfig(base=["persistence", "seasonal-naive-24"],
                            correction="bregman-euclidean", step=0.2, relaxation=2.5,
                            bias=True, bias_step=0.01, lead_buckets_h=[2, 8], huber_delta=4.0,
                            warmup_h=12, noise="additive", noise_sigma=0.5, noise_phi=0.7,
                            horizon_h=36)
    s = settings_from_config(config)
    assert s.horizon_h == 36 and s.noise == NoiseModel("additive", 0.5, 0.7)
    c = s.correction
    assert (c.base, c.step, c.relaxation, c.bias, c.bias_step, c.lead_buckets_h,
            c.huber_delta, c.warmup_h) == (("persistence", "seasonal-naive-24"), 0.2, 2.5,
                                            True, 0.01, (2, 8), 4.0, 12)
    with pytest.raises(ValueError, match="strictly increasing"):
        ForecastConfig(lead_buckets_h=[6, 3])
    with pytest.raises(ValueError):
        ForecastConfig(correction="bregman-magic")  # type: ignore[arg-type]


def test_corrector_bases_must_be_known_and_not_correctors() -> None:
    truth = _truth()
    nested = ForecastSettings(correction=dataclasses.replace(
        ForecastSettings().correction, base=("persistence", "bregman-entropy")))
    with pytest.raises(ValueError, match="cannot be correctors"):
        make_forecaster("bregman-euclidean", truth, settings=nested)
    unknown = ForecastSettings(correction=dataclasses.replace(
        ForecastSettings().correction, base=("persistence", "psychic")))
    with pytest.raises(ValueError, match="unknown forecaster 'psychic'"):
        make_forecaster("bregman-entropy", truth, settings=unknown)
