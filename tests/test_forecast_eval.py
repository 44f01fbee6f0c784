"""The forecast evaluation: exact best fixed weights, regret bookkeeping, error tables,
decision value and the ``forecast-eval`` command."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.forecast_decision import decision_value, gap_summary
from analysis.forecast_eval import diebold_mariano, evaluate_traces
from analysis.forecast_regret import RegretTracker, best_fixed_weights, huber
from analysis.forecast_tables import (
    BEST_PER_LEAD,
    BEST_SINGLE,
    DAY_AHEAD,
    error_table,
    summary_table,
    with_best_per_lead,
)
from gridshift.cli import app
from traces.correction import ScoreEvent
from traces.forecast import ForecastSettings, make_forecaster
from traces.synthetic import generate


def _simplex_grid(e: int, n: int) -> np.ndarray:
    points = [p for p in itertools.product(range(n + 1), repeat=e - 1) if sum(p) <= n]
    return np.array([[*p, n - sum(p)] for p in points]) / n


@pytest.mark.parametrize("delta", [math.inf, 0.5])
def test_best_fixed_weights_beat_every_point_of_a_fine_grid(delta: float) -> None:
    rng = np.random.default_rng(0)
    grid = _simplex_grid(3, 200)
    x = rng.normal(size=(600, 3)) + 8.0  # a large common level, like f / sigma
    x[:200, 2] = x[:200, 1]  # cell 0 has two identical experts (a singular Gram matrix)
    y = 0.2 * x[:, 0] + 0.8 * x[:, 1] + rng.standard_t(2, size=600) * 0.3
    cell = np.repeat([0, 1, 2], 200)
    u = best_fixed_weights(x, y, cell, 3, delta)
    assert np.allclose(u.sum(axis=1), 1.0) and u.min() >= 0
    for c in range(3):
        xs, ys = x[cell == c], y[cell == c]
        ours = huber(xs @ u[c] - ys, delta).sum()
        on_grid = huber(grid @ xs.T - ys, delta).sum(axis=1).min()
        assert ours <= on_grid + 1e-9 * on_grid and ours >= 0.995 * on_grid


def test_best_fixed_weights_with_a_free_bias() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 2)) + 30.0
    y = 0.3 * x[:, 0] + 0.7 * x[:, 1] - 4.0 + rng.normal(scale=0.1, size=300)
    u = best_fixed_weights(x, y, np.zeros(300, dtype=int), 1, math.inf, bias=True,
                           iters=2000)[0]
    np.testing.assert_allclose(u, [0.3, 0.7, -4.0], atol=0.05)
    grid = _simplex_grid(2, 2000)
    brute = min(np.sum((x @ w - y - np.mean(x @ w - y)) ** 2) for w in grid)
    assert np.sum((x @ u[:2] + u[2] - y) ** 2) == pytest.approx(brute, rel=1e-4)


def test_regret_curve_matches_its_definition(tiny) -> None:
    traces = generate(tiny.with_updates({"hours": 96, "traces.history_hours": 48}))
    truth = traces.signal("carbon")
    corrector = make_forecaster("bregman-entropy", truth)
    tracker = RegretTracker(corrector)
    events: list[ScoreEvent] = []
    corrector.observers += [tracker.add_event, events.append]
    for row in range(48, len(truth)):
        corrector.issue(truth[:row], row, 24)
    curve = tracker.curve(every_h=24)
    assert curve["row"].tolist() == [48 + 23, 48 + 47, 48 + 71, len(truth) - 2]  # revealed
    # recompute the end point from the raw events: the learner's Huber loss (delta = 1) and
    # the best fixed weights of each (bucket, series) cell, checked against a simplex grid
    delta = corrector.settings.huber_delta
    learner = sum(huber((ev.issued - ev.truth) / ev.scale, delta).sum() for ev in events)
    cells: dict[tuple[int, int], list[tuple[np.ndarray, float]]] = {}
    for ev in events:
        for lead, f in zip(ev.leads, ev.base, strict=True):
            b = int(corrector.bucket_of(np.array([lead + 1]))[0])
            for m in range(f.shape[0]):
                cells.setdefault((b, m), []).append((f[m] / ev.scale[m],
                                                     ev.truth[m] / ev.scale[m]))
    last = curve.iloc[-1]
    assert last["learner_loss"] == pytest.approx(learner, rel=1e-9)
    assert last["forecasts"] == sum(len(samples) for samples in cells.values())
    grid = _simplex_grid(5, 12)
    on_grid = sum(huber(grid @ np.array([s[0] for s in v]).T - np.array([s[1] for s in v]),
                        delta).sum(axis=1).min() for v in cells.values())
    assert 0.98 * on_grid <= last["best_fixed_loss"] <= on_grid
    assert last["regret"] == pytest.approx(learner - last["best_fixed_loss"])
    assert curve["forecasts"].is_monotonic_increasing


def _sums(rows: list[tuple[str, int, float, float]]) -> pd.DataFrame:
    """ErrorAccumulator-like frame: (method, lead_h, abs error, truth) per forecast."""
    frame = pd.DataFrame(rows, columns=["method", "lead_h", "abs_err", "truth"])
    return pd.DataFrame({
        "dataset": "d", "signal": "carbon", "series": "s", "method": frame["method"],
        "lead_h": frame["lead_h"], "n": 1.0, "sum_abs_err": frame["abs_err"],
        "sum_sq_err": frame["abs_err"] ** 2, "sum_err": frame["abs_err"],
        "sum_abs_truth": frame["truth"], "sum_ape": frame["abs_err"] / frame["truth"],
        "n_ape": 1.0})


def test_error_table_and_summary_known_answers() -> None:
    rows = [("persistence", 1, 1.0, 10.0), ("persistence", 20, 9.0, 10.0),
            ("seasonal-naive-24", 1, 4.0, 10.0), ("seasonal-naive-24", 20, 4.0, 10.0),
            ("bregman-entropy", 1, 1.0, 10.0), ("bregman-entropy", 20, 3.0, 10.0),
            ("persistence", 30, 100.0, 10.0)]  # beyond 24 h: not reported
    table = error_table(_sums(rows), {("d", "carbon"): True}).set_index(["bucket", "method"])
    assert table.loc[(DAY_AHEAD, "persistence"), "mae"] == 5.0
    assert table.loc[(DAY_AHEAD, "persistence"), "rmse"] == pytest.approx(np.sqrt(41.0))
    assert table.loc[(DAY_AHEAD, "bregman-entropy"), "wape"] == pytest.approx(0.2)
    assert table.loc[("13-24 h", "persistence"), "mape"] == pytest.approx(0.9)
    best = table.loc[(DAY_AHEAD, BEST_SINGLE)]
    assert (best["best_of"], best["mae"]) == ("seasonal-naive-24", 4.0)
    assert table.loc[("1 h", BEST_SINGLE), "mae"] == 4.0  # the day-ahead best, at 1 h
    summary = summary_table(table.reset_index())
    assert summary.loc[0, "gain_bregman-entropy_pct"] == pytest.approx(50.0)
    no_mape = error_table(_sums(rows), {})
    assert no_mape["mape"].isna().all()


def test_best_base_per_lead_is_chosen_per_lead_in_hindsight() -> None:
    rows = [("persistence", 1, 1.0, 10.0), ("persistence", 20, 9.0, 10.0),
            ("seasonal-naive-24", 1, 4.0, 10.0), ("seasonal-naive-24", 20, 4.0, 10.0),
            ("bregman-entropy", 1, 0.5, 10.0), ("bregman-entropy", 20, 0.5, 10.0)]
    table = error_table(with_best_per_lead(_sums(rows)), {}).set_index(["bucket", "method"])
    assert table.loc[(DAY_AHEAD, BEST_PER_LEAD), "mae"] == pytest.approx(2.5)  # (1 + 4) / 2
    assert table.loc[(DAY_AHEAD, BEST_SINGLE), "mae"] == 4.0  # correctors are never picked


def test_diebold_mariano_detects_a_real_difference_and_not_noise() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(size=2000)
    assert diebold_mariano(noise + 0.5, noise)[1] < 1e-6
    stat, p = diebold_mariano(rng.normal(size=2000), rng.normal(size=2000))
    assert p > 0.01 and abs(stat) < 3


def test_evaluate_traces_scores_bases_once_and_each_correction(tiny) -> None:
    traces = generate(tiny.with_updates({"hours": 72, "traces.history_hours": 48}))
    ev = evaluate_traces(traces, ["carbon", "demand"], ForecastSettings(), "tiny",
                         regret=["carbon"])
    methods = ev.sums.groupby("signal")["method"].unique()
    assert sorted(methods["carbon"]) == sorted(["persistence", "seasonal-naive-24",
                                                "seasonal-naive-168", "seasonal-mean-24x7",
                                                "moving-average-24", "bregman-entropy",
                                                "bregman-euclidean"])
    n = ev.sums[(ev.sums["signal"] == "demand") & (ev.sums["lead_h"] == 1)]
    assert (n.groupby("method")["n"].sum() == 71 * 4).all()  # 2 regions x 2 classes
    assert set(ev.regret["correction"]) == {"bregman-entropy", "bregman-euclidean"}
    assert set(ev.regret["signal"]) == {"carbon"}
    rows, w, _ = ev.weights[("carbon", "bregman-entropy")]
    assert len(rows) == 72 and w.shape[1:] == (5, 2, 5)


def test_decision_value_shares_the_gap(tiny) -> None:
    value = decision_value(tiny, "greedy", [3], corrections=["bregman-entropy"])
    assert value["forecast"].tolist() == ["seasonal-naive-24", "bregman-entropy", "perfect"]
    b = value.set_index("forecast")["benefit_usd"]
    share = (b["bregman-entropy"] - b["seasonal-naive-24"]) / (b["perfect"] -
                                                                 b["seasonal-naive-24"])
    assert value.loc[1, "gap_closed"] == pytest.approx(share)
    summary = gap_summary(value).set_index("forecast")["gap_closed"]
    assert summary["perfect"] == 1.0 and summary["seasonal-naive-24"] == 0.0
    assert summary["bregman-entropy"] == pytest.approx(share)


def test_forecast_eval_command_writes_tables_and_figures(tmp_path) -> None:
    done = CliRunner().invoke(app, ["forecast-eval", "--out", str(tmp_path), "--no-real",
                                    "--synthetic-hours", "72", "--no-decision"])
    assert done.exit_code == 0, done.output
    assert "Day-ahead (1-24 h) MAE" in done.output and "Regret" in done.output
    for name in ("forecast_error.csv", "forecast_summary.csv", "regret.csv",
                 "regret_final.csv", "forecast_error.png", "regret.png",
                 "weights_synthetic_bregman-entropy.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    summary = pd.read_csv(tmp_path / "forecast_summary.csv")
    assert set(summary["signal"]) == {"carbon", "buy_price", "sell_price", "pv_cf", "wind_cf",
                                      "temperature", "demand"}
    bad = CliRunner().invoke(app, ["forecast-eval", "--seeds", "a,b", "--no-real"])
    assert bad.exit_code != 0


def test_evaluate_traces_scores_prices_beyond_publication_and_quantiles(tiny) -> None:
    traces = generate(tiny.with_updates({"hours": 96, "traces.history_hours": 48}))
    settings = ForecastSettings()
    ev = evaluate_traces(traces, ["carbon", "buy_price"], settings, "tiny",
                         kinds=["bregman-entropy"], zones=["DE-LU", "SG"])
    n = ev.sums[ev.sums["method"] == "bregman-entropy"].groupby(["signal", "series"])["n"].sum()
    assert n[("buy_price", "b")] == n[("carbon", "b")]  # SG: a real-time price, all scored
    assert 0 < n[("buy_price", "a")] < n[("carbon", "a")]  # DE-LU: only beyond publication
    off = evaluate_traces(traces, ["buy_price"], ForecastSettings(prices_known_day_ahead=False),
                          "tiny", kinds=["bregman-entropy"], zones=["DE-LU", "SG"])
    n_off = off.sums[off.sums["method"] == "bregman-entropy"].groupby("series")["n"].sum()
    assert n_off["a"] == n[("carbon", "a")]
    q = ev.quantiles.set_index(["signal", "series"])
    for learner in ("conformal", "bregman", "empirical"):
        assert ((q[f"coverage_{learner}"] >= 0) & (q[f"coverage_{learner}"] <= 1)).all()
        assert (q[f"pinball_{learner}"] > 0).all()
    assert not np.allclose(q["pinball_conformal"], q["pinball_bregman"])  # two learners
    carbon = ev.row_loss[ev.row_loss["signal"] == "carbon"]
    assert {"persistence", "bregman-entropy"} <= set(carbon["method"])
