"""Measured value of forecasters and their online correction (``gridshift forecast-eval``).

Every run hour of the evaluation traces is issued by each corrector (and, inside it, by each
base forecaster of its pool, including the ``ridge-ar`` regression); every forecast is scored
when its truth is revealed. Prices are scored only beyond their published horizon (targets
not yet published at the issue hour, :mod:`traces.forecast_info`). The first corrector's
point forecast gets quantiles from both learners of
:class:`~traces.forecast_quantiles.QuantileForecaster` (``conformal``, ``bregman`` = the
pinball-loss Bregman steps); they are scored by pinball loss, CRPS (approximated from the
quantiles) and the coverage of the 10-90 % interval, against an empirical-quantile-of-residuals
baseline on the *same* point forecast (plus the empirical quantiles of its last four weeks of
residuals per lead and series). Per-row losses give
Diebold-Mariano tests of the headline comparisons. Regret and decision value: see
:mod:`analysis.forecast_regret` and :mod:`analysis.forecast_decision`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.forecast_regret import RegretTracker
from analysis.forecast_tables import series_names
from simulator.traceset import TraceSet
from traces.correction import OnlineCorrector, ScoreEvent
from traces.forecast import CORRECTIONS, ForecastSettings, exogenous_inputs, make_forecaster
from traces.forecast_info import PRICE_SIGNALS, known_through
from traces.forecast_quantiles import QuantileForecaster, pinball
from traces.forecast_scoring import ErrorAccumulator
from traces.forecasters import Forecaster

RESIDUAL_WINDOW_H = 28 * 24
"""Window of the empirical-quantile-of-residuals baseline (per lead and series)."""


@dataclass
class Evaluation:
    """What :func:`evaluate_traces` measured on one trace set.

    ``sums``: ErrorAccumulator sums per dataset, signal, method, lead_h, series; ``regret``:
    regret curves (empty unless asked for); ``weights``: (signal, correction) -> corrector
    snapshots; ``quantiles``: pinball / CRPS / coverage per dataset, signal, series and method;
    ``row_loss``: per revealed row, signal and method, the mean absolute error over the scored
    leads and series (for Diebold-Mariano); ``experts``/``buckets``: axis names; ``wall_s``.
    """

    sums: pd.DataFrame
    regret: pd.DataFrame
    weights: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]]
    quantiles: pd.DataFrame
    row_loss: pd.DataFrame
    experts: tuple[str, ...]
    buckets: tuple[str, ...]
    wall_s: dict[str, float]


class _Scorer:
    """Scores a corrector's events, leaving out published prices; keeps per-row losses."""

    def __init__(self, methods: tuple[str, ...], horizon: int, n_series: int,
                 known: np.ndarray | None) -> None:
        self.errors = ErrorAccumulator(methods, horizon, n_series)
        self.known = known
        self.rows: list[int] = []
        self.loss: list[np.ndarray] = []

    def mask(self, issue_rows: np.ndarray, target: int) -> np.ndarray | None:
        """[L, M] True where the target was not yet known at the issue row."""
        return None if self.known is None else target > self.known[issue_rows]

    def __call__(self, event: ScoreEvent) -> None:
        forecasts = np.concatenate([event.base, event.issued[..., None]], axis=-1)
        mask = self.mask(event.issue_rows, event.row)
        self.errors.add(event.leads, forecasts, event.truth, mask)
        err = np.abs(forecasts - event.truth[None, :, None])  # [L, M, K]
        weight = np.ones(err.shape[:2]) if mask is None else mask.astype(float)
        if weight.sum() > 0:
            self.rows.append(event.row)
            self.loss.append(np.einsum("lmk,lm->k", err, weight) / weight.sum())


QUANTILE_LEARNERS: dict[str, str] = {"conformal": "conformal", "bregman": "pinball"}
"""Column suffix in the quantile tables -> QuantileForecaster method."""


class _QuantileScorer:
    """Per forecast (issue row, lead, series): mean pinball over the levels and whether the
    10-90 % interval covered the truth; residuals for the baseline."""

    def __init__(self, levels: np.ndarray, rows: int, horizon: int, n_series: int,
                 first: int, scorer: _Scorer) -> None:
        self.levels = levels
        self.first = first
        self.scorer = scorer
        self.loss = np.full((rows, horizon, n_series), np.nan)
        self.inside = np.zeros((rows, horizon, n_series), dtype=bool)
        self.point = np.full((rows, horizon, n_series), np.nan)
        self.truth = np.full((rows, horizon, n_series), np.nan)

    def __call__(self, row: int, leads: np.ndarray, point: np.ndarray, served: np.ndarray,
                 truth: np.ndarray) -> None:
        issue = row - leads
        mask = self.scorer.mask(issue, row)
        scored = np.ones(point.shape, dtype=bool) if mask is None else mask
        scored = scored & (issue >= self.first)[:, None]
        loss = np.mean([pinball(truth, served[k], lv) for k, lv in enumerate(self.levels)],
                       axis=0)
        self.loss[issue, leads] = np.where(scored, loss, np.nan)
        self.inside[issue, leads] = (truth >= served[0]) & (truth <= served[-1])
        self.point[issue, leads] = np.where(scored, point, np.nan)
        self.truth[issue, leads] = truth

    def baseline(self) -> tuple[np.ndarray, np.ndarray]:
        """Per forecast, the mean pinball (NaN where undefined: fewer than 24 past residuals)
        and coverage of the empirical-quantile-of-residuals baseline on the same point
        forecast: its quantiles are the point plus the empirical quantiles of the residuals
        of the same lead and series revealed in the last ``RESIDUAL_WINDOW_H`` issue rows."""
        resid = self.truth - self.point
        loss = np.full(self.loss.shape, np.nan)
        inside = np.zeros(self.loss.shape, dtype=bool)
        for lead in range(resid.shape[1]):
            past = pd.DataFrame(resid[:, lead]).shift(lead + 1).rolling(
                RESIDUAL_WINDOW_H, min_periods=24)
            q = self.point[:, lead][None] + np.stack(
                [past.quantile(lv).to_numpy() for lv in self.levels])
            y = self.truth[:, lead]
            loss[:, lead] = np.mean([pinball(y, q[k], lv) for k, lv in enumerate(self.levels)],
                                    axis=0)
            inside[:, lead] = (y >= q[0]) & (y <= q[-1])
        return loss, inside


def quantile_frame(scorers: dict[str, _QuantileScorer]) -> pd.DataFrame:
    """Per series: mean pinball (over levels), CRPS ~ 2 x mean pinball and 10-90 % coverage of
    each learner (columns suffixed by its label) and of the ``empirical`` baseline, all on the
    same forecasts: those scored where every one is defined (``n`` of them)."""
    first = next(iter(scorers.values()))
    results = {"empirical": first.baseline(), **{k: (s.loss, s.inside) for k, s in
                                                 scorers.items()}}
    common = np.logical_and.reduce([np.isfinite(loss) for loss, _ in results.values()])
    n = common.sum(axis=(0, 1)).astype(float)
    count = np.where(n > 0, n, np.nan)
    table = {"n": n}
    for label, (loss, inside) in results.items():
        mean = np.where(common, loss, 0.0).sum(axis=(0, 1)) / count
        table |= {f"pinball_{label}": mean, f"crps_{label}": 2.0 * mean,
                  f"coverage_{label}": (common & inside).sum(axis=(0, 1)) / count}
    return pd.DataFrame(table)


def evaluate_traces(traces: TraceSet, signals: Sequence[str], settings: ForecastSettings,
                    dataset: str, *, seed: int = 0, kinds: Sequence[str] = CORRECTIONS,
                    regret: Sequence[str] = (), zones: Sequence[str | None] | None = None
                    ) -> Evaluation:
    """Issue every run hour of ``traces`` with each corrector for ``signals``; score every
    forecast when its truth is revealed (prices only beyond their published horizon when
    ``settings.prices_known_day_ahead``), the first corrector's quantiles, and the regret for
    the signals in ``regret``. ``zones``: each site's grid zone (default: the traces' notes)."""
    sums, curves, weights, wall = [], [], {}, dict.fromkeys(kinds, 0.0)
    qtables, losses = [], []
    horizon, first = settings.horizon_h, traces.history_hours
    if zones is None:
        by_site = traces.notes.get("zones", {})
        zones = [by_site.get(s) if isinstance(by_site, dict) else None for s in traces.sites]
    known_rows = known_through(traces.index, zones, settings.prices_known_day_ahead)
    inputs = exogenous_inputs(traces, known_rows)
    experts: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    for signal in signals:
        truth = traces.signal(signal)
        names = series_names(traces, signal)
        known = known_rows if signal in PRICE_SIGNALS else None
        for i, kind in enumerate(kinds):
            corrector = make_forecaster(kind, truth, seed, signal=signal, settings=settings,
                                        inputs=inputs)
            assert isinstance(corrector, OnlineCorrector)
            experts, buckets = corrector.experts, corrector.bucket_labels
            scorer = _Scorer((*experts, kind), horizon, len(names), known)
            corrector.observers.append(scorer)
            tracker = RegretTracker(corrector)
            if signal in regret:
                corrector.observers.append(tracker.add_event)
            drivers: list[Forecaster] = [corrector]
            qscores: dict[str, _QuantileScorer] = {}
            if i == 0:  # quantiles of the first corrector's point forecast
                drivers = []
                for label, method in QUANTILE_LEARNERS.items():
                    wrapper = QuantileForecaster(corrector, horizon, warmup_h=0, method=method,
                                                 known=known)
                    qscores[label] = _QuantileScorer(wrapper.levels, len(truth), horizon,
                                                     len(names), first, scorer)
                    wrapper.observers.append(qscores[label])
                    drivers.append(wrapper)
            tic = time.perf_counter()
            for row in range(first, len(truth)):
                for driver in drivers:  # the corrector issues once per row, then serves it
                    driver.issue(truth[:row], row, horizon)
            wall[kind] += time.perf_counter() - tic
            frame = scorer.errors.frame(names)
            if i > 0:  # base forecasts are the same under every corrector
                frame = frame[frame["method"] == kind]
            sums.append(frame.assign(dataset=dataset, signal=signal))
            methods = (*experts, kind) if i == 0 else (kind,)
            loss = np.array(scorer.loss)[:, -len(methods):] if scorer.loss else \
                np.zeros((0, len(methods)))
            losses.append(pd.DataFrame(loss, columns=list(methods)).assign(
                row=scorer.rows, dataset=dataset, signal=signal).melt(
                id_vars=["dataset", "signal", "row"], var_name="method", value_name="mae"))
            if qscores:
                qtables.append(quantile_frame(qscores).assign(
                    dataset=dataset, signal=signal, series=list(names), method=kind))
            curve = tracker.curve()
            curves.append(curve.assign(hour=curve["row"] - first, dataset=dataset,
                                       signal=signal, correction=kind))
            weights[(signal, kind)] = corrector.history()
    return Evaluation(pd.concat(sums, ignore_index=True), pd.concat(curves, ignore_index=True),
                      weights, pd.concat(qtables, ignore_index=True),
                      pd.concat(losses, ignore_index=True), experts, buckets, wall)


def diebold_mariano(loss_a: np.ndarray, loss_b: np.ndarray, lag: int = 24
                    ) -> tuple[float, float]:
    """Diebold-Mariano statistic and two-sided p-value of ``mean(loss_a - loss_b) = 0``, with a
    Newey-West (Bartlett) long-run variance of ``lag`` lags (overlapping 24 h forecasts)."""
    d = np.asarray(loss_a, float) - np.asarray(loss_b, float)
    d = d[np.isfinite(d)]
    n = len(d)
    if n < 2 * lag + 2:
        return float("nan"), float("nan")
    c = d - d.mean()
    var = c @ c / n
    for k in range(1, lag + 1):
        var += 2.0 * (1.0 - k / (lag + 1)) * (c[k:] @ c[:-k]) / n
    if not var > 0:
        return float("nan"), float("nan")
    stat = d.mean() / np.sqrt(var / n)
    return float(stat), float(2.0 * stats.norm.sf(abs(stat)))


def dm_table(row_loss: pd.DataFrame, pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Diebold-Mariano tests of day-ahead absolute error per dataset and signal for each pair
    (a, b): mean loss difference a - b (signal units; negative: a better), statistic, p."""
    rows = []
    for (dataset, signal), g in row_loss.groupby(["dataset", "signal"], sort=False):
        wide = g.pivot_table(index="row", columns="method", values="mae")
        for a, b in pairs:
            if a in wide and b in wide:
                stat, p = diebold_mariano(wide[a].to_numpy(), wide[b].to_numpy())
                rows.append({"dataset": dataset, "signal": signal, "a": a, "b": b,
                             "mean_diff": float((wide[a] - wide[b]).mean()),
                             "dm_stat": stat, "p_value": p})
    return pd.DataFrame(rows)
