"""The online Bregman corrector: known answers, the Hedge regret bound, delayed feedback,
no peeking, catch-up and what a run folder keeps."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from analysis.results import read_run
from gridshift.api import run
from traces.correction import (
    CorrectionSettings,
    OnlineCorrector,
    ScoreEvent,
    lead_buckets,
)
from traces.forecast import ForecastSettings, make_forecaster
from traces.forecast_scoring import ErrorAccumulator
from traces.forecasters import Forecaster, PerfectForecaster, PersistenceForecaster

KINDS = ("bregman-entropy", "bregman-euclidean")


class Shifted(Forecaster):
    """Test expert handed the truth: truth + offset + seeded noise of a given std."""

    needs_truth = True
    lookback_h = 0

    def __init__(self, truth: np.ndarray, offset: float = 0.0, noise: float = 0.0,
                 seed: int = 0) -> None:
        self.name = f"shifted-{offset}-{noise}-{seed}"
        rng = np.random.default_rng(seed)
        self._value = truth + offset + rng.normal(0.0, noise, truth.shape)

    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        return self._value[row : row + horizon].copy()


def _truth(rows: int = 700, series: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    hours = np.arange(rows)[:, None]
    return 50 + 10 * np.sin(2 * np.pi * hours / 24 + np.arange(series)) + \
        rng.normal(0, 2, (rows, series))


def _drive(corrector: OnlineCorrector, truth: np.ndarray, rows: range, horizon: int = 24
           ) -> list[np.ndarray]:
    return [corrector.issue(truth[:r], r, horizon) for r in rows]


def test_lead_buckets_label_hours_ahead() -> None:
    index, labels = lead_buckets((1, 3, 6, 12), 24)
    assert labels == ("1 h", "2-3 h", "4-6 h", "7-12 h", "13-24 h")
    assert index.tolist() == [0, 1, 1, 2, 2, 2] + [3] * 6 + [4] * 12
    assert lead_buckets((1, 6, 48), 6)[1] == ("1 h", "2-6 h")
    with pytest.raises(ValueError, match="increasing"):
        CorrectionSettings(lead_buckets_h=(6, 3))


@pytest.mark.parametrize("kind", KINDS)
def test_with_one_expert_the_ensemble_is_that_expert(kind: str) -> None:
    truth = _truth()
    corrector = OnlineCorrector(kind, [PersistenceForecaster()], CorrectionSettings(), 24)
    persistence = PersistenceForecaster()
    for r in range(200, 260):
        np.testing.assert_array_equal(corrector.issue(truth[:r], r, 24),
                                      persistence.issue(truth[:r], r, 24))
    assert corrector.updates.min() > 0 and (corrector.weights == 1.0).all()


@pytest.mark.parametrize(("kind", "step"), [("bregman-entropy", 0.03),
                                             ("bregman-euclidean", 0.01)])
def test_weights_concentrate_on_a_perfect_expert(kind: str, step: float) -> None:
    truth = _truth(rows=1000)
    bases = [PerfectForecaster(truth), *(Shifted(truth, 0.0, 3.0, seed) for seed in (1, 2)),
             Shifted(truth, 4.0, 0.0)]
    corrector = OnlineCorrector(kind, bases, CorrectionSettings(step=step), 24)
    out = _drive(corrector, truth, range(200, 950))
    w = corrector.weights
    assert w.shape == (5, 3, 4)
    assert w[..., 0].min() > 0.9, w[..., 0]
    late_error = np.abs(out[-1][:5] - truth[949:954]).max()
    assert late_error < 0.1 * np.abs(bases[1].issue(truth, 949, 5) - truth[949:954]).max()


@pytest.mark.parametrize("kind", KINDS)
def test_bias_correction_converges_to_a_constant_bias(kind: str) -> None:
    truth = _truth()
    settings = CorrectionSettings(bias=True, bias_step=0.05, huber_delta=1e6)
    corrector = OnlineCorrector(kind, [Shifted(truth, 7.5, 0.0)], settings, 24)
    out = _drive(corrector, truth, range(100, 500))
    np.testing.assert_allclose(corrector.bias, -7.5, rtol=1e-6)
    np.testing.assert_allclose(out[-1], truth[499:523], atol=1e-5)
    assert corrector.state_dict()["bias_step"] == {"kind": "constant", "c": 0.05}


@pytest.mark.parametrize("relaxation", [1.0, 2.5])
def test_regret_against_fixed_weights_is_within_the_hedge_bound(relaxation: float) -> None:
    """Horizon 1 and one bucket make the corrector exactly exponentiated gradient with step
    eta = relaxation x step on the squared loss; for every fixed u on the simplex
    sum_t l_t(w_t) - l_t(u) <= ln E / eta + eta / 8 sum_t (max g_t - min g_t)^2."""
    rng = np.random.default_rng(5)
    truth = np.cumsum(rng.normal(0, 1, (600, 1)), axis=0)
    bases = [Shifted(truth, 1.5, 0.0), Shifted(truth, -1.0, 1.0, 3), Shifted(truth, 0.0, 2.5, 4)]
    step = 0.05
    settings = CorrectionSettings(step=step, relaxation=relaxation, lead_buckets_h=(),
                                  huber_delta=1e9, warmup_h=0)
    corrector = OnlineCorrector("bregman-entropy", bases, settings, horizon_h=1)
    events: list[ScoreEvent] = []
    corrector.observers.append(events.append)
    _drive(corrector, truth, range(100, 600), horizon=1)
    sigma = corrector.scale[0]
    f = np.stack([e.base[0, 0] for e in events]) / sigma  # [T, E]
    y = np.array([e.truth[0] for e in events]) / sigma
    served = np.array([e.issued[0, 0] for e in events]) / sigma
    learner = np.sum((served - y) ** 2)
    g_range = 2 * np.abs(served - y) * (f.max(axis=1) - f.min(axis=1))
    eta = relaxation * step
    bound = math.log(3) / eta + eta / 8 * np.sum(g_range ** 2)
    grid = np.array([(a, b, 1 - a - b) for a, b in itertools.product(np.linspace(0, 1, 201),
                                                                     repeat=2) if a + b <= 1])
    fixed = (((grid @ f.T) - y) ** 2).sum(axis=1)
    regret = learner - fixed.min()
    assert len(events) == 499
    assert 0 < regret <= bound, (regret, bound)
    assert learner < fixed[np.argmin(np.abs(grid - 1 / 3).sum(axis=1))]  # beats uniform


@pytest.mark.parametrize("kind", KINDS)
def test_relaxation_is_a_step_multiplier_in_these_geometries(kind: str) -> None:
    truth = _truth()
    bases = [make_forecaster(b, truth) for b in ("persistence", "seasonal-naive-24",
                                                 "moving-average-24")]
    step = 0.01 if kind == "bregman-entropy" else 0.001
    relaxed = OnlineCorrector(kind, bases, CorrectionSettings(step=step, relaxation=3.0))
    plain = OnlineCorrector(kind, bases, CorrectionSettings(step=3 * step))
    a, b = _drive(relaxed, truth, range(200, 300)), _drive(plain, truth, range(200, 300))
    np.testing.assert_allclose(np.stack(a), np.stack(b), rtol=1e-10)
    assert not np.allclose(relaxed.weights, 1 / 3)


def test_feedback_is_delayed_until_the_truth_is_revealed() -> None:
    truth = _truth()
    settings = CorrectionSettings(warmup_h=0)
    corrector = OnlineCorrector("bregman-entropy", [PersistenceForecaster(),
                                                    make_forecaster("seasonal-naive-24", truth)],
                                settings, 24)
    seen: list[tuple[int, int, int, int]] = []
    current = {"row": -1}
    corrector.observers.append(lambda e: seen.extend(
        (current["row"], e.row, int(i), int(lead)) for i, lead in zip(e.issue_rows, e.leads,
                                                                        strict=True)))
    for r in range(100, 160):
        current["row"] = r
        corrector.issue(truth[:r], r, 24)
        if r == 100:
            assert corrector.updates.sum() == 0  # nothing revealed yet
    for issuing, revealed, issued_at, lead in seen:
        assert revealed == issued_at + lead  # scored against the row it targeted ...
        assert issuing == revealed + 1  # ... as soon as that row is history, not before
    per_issue = np.bincount([i for _, _, i, _ in seen])
    assert (per_issue[100:135] == 24).all()  # every forecast scored once, at every lead
    assert corrector.updates.tolist() == [59, 58, 56, 53, 47]  # buckets start late


def test_corrected_forecasts_never_read_the_future() -> None:
    truth = _truth(rows=500)
    poisoned = truth.copy()
    poison_row = 400
    poisoned[poison_row:] = 1e6
    settings = ForecastSettings(correction=CorrectionSettings(warmup_h=100))
    for kind in KINDS:
        clean = make_forecaster(kind, truth, settings=settings)
        dirty = make_forecaster(kind, poisoned, settings=settings)
        for r in range(300, poison_row + 1):
            np.testing.assert_array_equal(clean.issue(truth[:r], r, 30),
                                          dirty.issue(poisoned[:r], r, 30))
        assert not np.array_equal(clean.issue(truth[:poison_row + 1], poison_row + 1, 24),
                                  dirty.issue(poisoned[:poison_row + 1], poison_row + 1, 24))


def test_catch_up_makes_learning_independent_of_how_often_it_is_asked() -> None:
    truth = _truth()
    every = make_forecaster("bregman-entropy", truth)
    sparse = make_forecaster("bregman-entropy", truth)
    dense_out = _drive(every, truth, range(300, 400))
    for r in range(300, 400, 7):
        np.testing.assert_array_equal(sparse.issue(truth[:r], r, 24), dense_out[r - 300])
    sparse.issue(truth[:399], 399, 24)
    assert every.state_dict() == sparse.state_dict()
    with pytest.raises(ValueError, match="cannot issue for the earlier row 350"):
        sparse.issue(truth[:350], 350, 24)


def test_warm_up_learns_on_history_and_long_horizons_use_the_last_bucket() -> None:
    truth = _truth()
    corrector = make_forecaster("bregman-entropy", truth)
    assert isinstance(corrector, OnlineCorrector)
    out = corrector.issue(truth[:500], 500, 40)
    assert corrector.start_row == 500 and corrector.updates.min() > 100  # 168 h of warm-up
    base = np.stack([b.issue(truth[:500], 500, 40) for b in corrector.bases], axis=-1)
    w = corrector.weights[-1]  # [M, E] of the 13-24 h bucket
    np.testing.assert_allclose(out[24:], np.einsum("lme,me->lm", base[24:], w))
    rows, weights, bias = corrector.history()
    assert rows.tolist() == [500] and weights.shape == (1, 5, 3, 5) and (bias == 0).all()
    json.dumps(corrector.state_dict())


def test_error_accumulator_sums_known_errors() -> None:
    acc = ErrorAccumulator(("a", "b"), horizon_h=3, n_series=2)
    forecasts = np.array([[[1.0, 2.0], [4.0, 4.0]], [[3.0, 0.0], [0.0, 6.0]]])  # [L, M, K]
    acc.add(np.array([1, 2]), forecasts, np.array([2.0, 4.0]))
    frame = acc.frame(["s0", "s1"]).set_index(["method", "lead_h", "series"])
    assert frame.loc[("a", 2, "s0"), "sum_abs_err"] == 1.0
    assert frame.loc[("b", 3, "s1"), "sum_sq_err"] == 4.0
    assert frame.loc[("a", 3, "s1"), "sum_ape"] == 1.0
    assert frame["n"].sum() == 8 and frame.loc[("a", 1), "n"].sum() == 0


def test_a_run_with_correction_keeps_weights_state_and_errors(tiny, tmp_path) -> None:
    scenario = tiny.with_updates({"forecast.correction": "bregman-entropy",
                                  "forecast.per_signal": {"demand": "persistence"}})
    done = run(scenario, "greedy", out_dir=tmp_path)
    folder = read_run(done.folder)
    weights, state, errors = (folder[k] for k in ("forecast_weights", "forecast_state",
                                                  "forecast_errors"))
    w_cols = [c for c in weights.columns if c.startswith("w_")]
    assert w_cols == ["w_persistence", "w_seasonal-naive-24", "w_seasonal-naive-168",
                      "w_seasonal-mean-24x7", "w_moving-average-24"]
    np.testing.assert_allclose(weights[w_cols].sum(axis=1), 1.0)
    assert set(weights["signal"]) == {"buy_price", "sell_price", "carbon", "pv_cf", "wind_cf",
                                      "temperature"}  # demand is not corrected here
    assert sorted(set(weights["hour"])) == list(range(24))
    assert len(state) == 6 * 2 * 5 and (state["correction"] == "bregman-entropy").all()
    assert state["updates"].max() == 23 and (state["scale"] > 0).all()
    assert {"bregman-entropy", "persistence"} <= set(errors["method"])
    assert (errors.loc[errors["bucket"] == "1 h", "n"] == 23).all()
    plain = run(tiny, "greedy", out_dir=tmp_path)
    assert not any(k.startswith("forecast_") for k in read_run(plain.folder))


def test_same_seed_same_corrected_run(tiny) -> None:
    from gridshift.api import simulate

    scenario = tiny.with_updates({"forecast.correction": "bregman-euclidean"})
    a, b = simulate(scenario, "greedy"), simulate(scenario, "greedy")
    assert a.result.ledger.equals(b.result.ledger)
    assert a.result.extras.keys() == b.result.extras.keys() and a.result.extras
    for name, table in a.result.extras.items():
        assert table.equals(b.result.extras[name]), name


def test_a_window_of_history_gives_the_same_forecasts_as_all_of_it() -> None:
    truth = _truth(rows=2000)
    full = make_forecaster("bregman-entropy", truth)
    windowed = make_forecaster("bregman-entropy", truth)
    window = windowed.history_h
    assert window == 672 + 24  # the scale window dominates warm-up + look-back (168 + 168)
    for r in range(900, 1000):
        np.testing.assert_array_equal(full.issue(truth[:r], r, 24),
                                      windowed.issue(truth[r - window:r].copy(), r, 24))
    assert full.state_dict() == windowed.state_dict()
    with pytest.raises(ValueError, match="must catch up from row 1000 but history starts"):
        windowed.issue(truth[1600 - window:1600], 1600, 24)  # 600 h skipped: too far back
