"""The ridge-ar regression, the online quantiles and the relaxed Bregman projections."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.projection_experiment import divergence, summarize, synthetic_feasibility
from optimizers.bregman_projection import (
    entropic_lambda_max,
    entropic_theta,
    lambda_max,
    project_halfspace,
)
from traces.correction import CorrectionSettings
from traces.correction_projection import ProjectionCorrector
from traces.forecast_info import ExogenousInputs
from traces.forecast_quantiles import QuantileForecaster, pinball
from traces.forecast_regression import RidgeARForecaster, RidgeARXForecaster
from traces.forecasters import PersistenceForecaster, SeasonalNaiveForecaster


def _series(n: int = 2400, seed: int = 0) -> np.ndarray:
    """A daily pattern on a slowly wandering level, plus noise: [n, 2]."""
    rng = np.random.default_rng(seed)
    hours = np.arange(n)
    level = np.cumsum(rng.normal(0.0, 0.3, (n, 2)), axis=0)
    daily = 10.0 * np.sin(2 * np.pi * hours / 24)[:, None]
    return 100.0 + level + daily + rng.normal(0.0, 1.0, (n, 2))


def _mae(forecaster, y: np.ndarray, start: int, lead: int) -> float:
    errs = [forecaster.issue(y[:row], row, 24)[lead] - y[row + lead]
            for row in range(start, len(y) - 24)]
    return float(np.mean(np.abs(errs)))


def test_ridge_ar_beats_its_own_features() -> None:
    y = _series()
    start = 1200
    for lead, margin in ((0, 0.8), (11, 0.99)):
        ridge = _mae(RidgeARForecaster(24), y, start, lead)
        assert ridge < margin * _mae(PersistenceForecaster(), y, start, lead)
        assert ridge < margin * _mae(SeasonalNaiveForecaster(24), y, start, lead)


def test_ridge_ar_refuses_to_go_back() -> None:
    y = _series(400)
    ridge = RidgeARForecaster(24, warmup_h=48)
    ridge.issue(y[:300], 300, 24)
    with pytest.raises(ValueError, match="earlier row"):
        ridge.issue(y[:200], 200, 24)


def test_ridge_arx_learns_from_a_published_driver() -> None:
    """y follows a price published a day ahead: ridge-arx reads it, ridge-ar cannot."""
    rng = np.random.default_rng(3)
    n = 2400
    price = 50.0 + np.cumsum(rng.normal(0.0, 3.0, (n, 2)), axis=0)
    y = 2.0 * price + rng.normal(0.0, 1.0, (n, 2))
    known = np.repeat((np.arange(n) + 23)[:, None], 2, axis=1)  # all 24 leads published
    arx = RidgeARXForecaster(ExogenousInputs(0, price, known), 24)
    start = 1200
    for lead in (0, 11, 23):
        assert _mae(arx, y, start, lead) < 0.5 * _mae(RidgeARForecaster(24), y, start, lead)
        arx = RidgeARXForecaster(ExogenousInputs(0, price, known), 24)


@pytest.mark.parametrize("method", ["conformal", "pinball"])
def test_online_quantiles_cover_and_beat_no_offset(method: str) -> None:
    rng = np.random.default_rng(1)
    y = 50.0 + rng.normal(0.0, 2.0, (4000, 1))
    wrapper = QuantileForecaster(PersistenceForecaster(), 24, warmup_h=0, method=method)
    hits, loss, loss_flat = [], [], []
    for row in range(200, len(y) - 24):
        lo = wrapper.quantile(y[:row], row, 24, 0.1)[5, 0]
        hi = wrapper.quantile(y[:row], row, 24, 0.9)[5, 0]
        point = wrapper.issue(y[:row], row, 24)[5, 0]
        truth = y[row + 5, 0]
        if row > 1000:
            hits.append(lo <= truth <= hi)
            loss.append(pinball(truth, hi, 0.9))
            loss_flat.append(pinball(truth, point, 0.9))
    assert abs(np.mean(hits) - 0.8) < 0.04
    assert np.mean(loss) < 0.7 * np.mean(loss_flat)


def _hourly_noise(n: int = 3000) -> np.ndarray:
    """Noise 10x wider in the first 12 hours of every day: [n, 1]."""
    rng = np.random.default_rng(4)
    wide = (np.arange(n) % 24 < 12)[:, None]
    return 50.0 + rng.normal(0.0, 1.0, (n, 1)) * np.where(wide, 5.0, 0.5)


def test_conformal_quantiles_follow_the_hour_of_day() -> None:
    y = _hourly_noise()
    losses = {}
    for method in ("conformal", "pinball"):
        wrapper = QuantileForecaster(SeasonalNaiveForecaster(24), 24, warmup_h=0, method=method)
        loss, width = [], {True: [], False: []}
        for row in range(100, len(y) - 24):
            hi = wrapper.quantile(y[:row], row, 24, 0.9)[3, 0]
            lo = wrapper.quantile(y[:row], row, 24, 0.1)[3, 0]
            if row > 1500:
                loss.append(pinball(y[row + 3, 0], hi, 0.9) + pinball(y[row + 3, 0], lo, 0.1))
                width[(row + 3) % 24 < 12].append(hi - lo)
        losses[method] = np.mean(loss)
        if method == "conformal":
            assert np.mean(width[True]) > 5.0 * np.mean(width[False])
    assert losses["conformal"] < 0.8 * losses["pinball"]


@pytest.mark.parametrize("method", ["conformal", "pinball"])
def test_quantiles_do_not_learn_from_targets_known_at_issue(method: str) -> None:
    y = _hourly_noise(600)
    everything = np.repeat((np.arange(600) + 30)[:, None], 1, axis=1)  # all leads known
    blind = QuantileForecaster(PersistenceForecaster(), 24, warmup_h=0, method=method,
                               known=everything)
    fresh = QuantileForecaster(PersistenceForecaster(), 24, warmup_h=0, method=method)
    blind.issue(y[:100], 100, 24)
    fresh.issue(y[:100], 100, 24)
    first = blind.quantile(y[:100], 100, 24, 0.9) - blind.issue(y[:100], 100, 24)
    for row in range(101, 500):
        blind.issue(y[:row], row, 24)
        fresh.issue(y[:row], row, 24)
    offset = blind.quantile(y[:500], 500, 24, 0.9) - blind.issue(y[:500], 500, 24)
    learned = fresh.quantile(y[:500], 500, 24, 0.9) - fresh.issue(y[:500], 500, 24)
    np.testing.assert_allclose(offset, first)  # nothing learned: the offsets stay put
    assert not np.allclose(learned, offset)


def test_euclidean_lambda_max_is_two_and_entropic_is_fejer_exact() -> None:
    rng = np.random.default_rng(2)
    x = rng.dirichlet(np.ones(6), size=20)
    a = rng.exponential(size=(20, 6))
    b = np.sum(x * a, axis=-1) - 0.2
    np.testing.assert_array_equal(lambda_max("euclidean", x, a, b, np.zeros(20)), 2.0)
    theta = entropic_theta(x, a, b)
    lam = entropic_lambda_max(x, a, b, theta)
    ok = np.isfinite(lam)
    assert ok.sum() >= 10 and (lam[ok] > 2).any() and (lam[ok] < 2).any()
    z = project_halfspace("entropic", x, a, b)  # a point of C on the boundary
    np.testing.assert_allclose(np.sum(z * a, axis=-1)[ok], b[ok], atol=1e-8)
    for i in np.flatnonzero(ok):
        before = divergence("entropic", z[i], x[i])
        inside = project_halfspace("entropic", x[i], a[i], b[i], 0.999 * lam[i])
        beyond = project_halfspace("entropic", x[i], a[i], b[i], 1.01 * lam[i])
        assert divergence("entropic", z[i], inside) <= before + 1e-12
        assert divergence("entropic", z[i], beyond) > before


def test_synthetic_feasibility_converges_below_lambda_max_only() -> None:
    curves = [synthetic_feasibility(g, dim=5, sets=40, steps=600, runs=2, every=100,
                                    relaxations=(1.0, 3.0), fractions=(0.9,))
              for g in ("euclidean", "entropic")]
    table = summarize(pd.concat(curves), at=(600,), tol=1e-6)
    got = table.set_index(["geometry", "variant"])
    assert got.loc[("euclidean", "lambda=1"), "runs_feasible"] == 2
    assert got.loc[("euclidean", "mu=0.9"), "runs_feasible"] == 2
    assert got.loc[("euclidean", "lambda=3"), "violation@600"] > 1.0  # diverges beyond 2
    assert got.loc[("entropic", "mu=0.9"), "runs_feasible"] == 2


def test_projection_corrector_keeps_weights_valid() -> None:
    y = _series(900)
    bases = [PersistenceForecaster(), SeasonalNaiveForecaster(24)]
    for kind in ("projection-entropy", "projection-euclidean"):
        corr = ProjectionCorrector(kind, bases, CorrectionSettings(base=("a", "b")), 24,
                                   fraction=0.9)
        for row in range(400, 700):
            corr.issue(y[:row], row, 24)
        w = corr.weights
        np.testing.assert_allclose(w.sum(axis=-1), 1.0)
        if kind == "projection-entropy":
            assert (w > 0).all()
        assert corr.lambda_used and np.isfinite(corr.lambda_used).all()


def test_conformal_quantiles_stay_finite_where_forecasts_are_exact() -> None:
    """PV-like: zero at night (exact forecasts, residual scale 0), noisy by day."""
    rng = np.random.default_rng(5)
    hours = np.arange(1500)
    day = np.sin(2 * np.pi * hours / 24).clip(0)[:, None]
    y = day * (0.6 + 0.2 * rng.random((1500, 1)))
    wrapper = QuantileForecaster(SeasonalNaiveForecaster(24), 24, warmup_h=0)
    for row in range(100, 1400):
        lo, hi = (wrapper.quantile(y[:row], row, 24, lv) for lv in (0.1, 0.9))
        assert np.isfinite(lo).all() and np.isfinite(hi).all()
    hour = (row + np.arange(24)) % 24
    night, noon = (hour > 12), (hour >= 4) & (hour <= 8)
    assert (hi - lo)[night].max() < 0.5 * (hi - lo)[noon].min()  # shrunk to the lead's scale
