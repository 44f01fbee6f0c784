"""Measured value of forecasters and their online correction (``gridshift forecast-eval``).

Three measurements:

* **Forecast error** (MAE, RMSE, WAPE; MAPE only where the truth stays far from zero) of every
  base forecaster, the best single one, and the Euclidean- and entropic-corrected forecasts, per
  signal and lead bucket, on the real 2022 traces (eight zones, 1 Apr - 31 Dec, after a
  Jan - Mar history) and on the synthetic default scenario (run extended to eight weeks).
* **Regret** of each corrector against the best fixed weights (and bias) in hindsight, per
  (series, lead bucket) cell, in the loss the corrector minimises (Huber of
  ``(y_hat - y) / sigma``), accumulated over time (:class:`RegretTracker`).
* **Decision value**: a policy's total benefit with raw, corrected and perfect forecasts on
  the same scenario, seeds and traces, and the share of the raw-to-perfect gap the correction
  closes (:func:`decision_value`).

Lead buckets are reported in hours ahead: lead 1 h is the hour being decided.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from optimizers.mirror_maps import project_simplex
from simulator.scenario import Scenario, load_scenario, parse_scenario
from traces.correction import OnlineCorrector, ScoreEvent
from traces.forecast import CORRECTIONS, ForecastSettings, make_forecaster
from traces.forecast_scoring import ErrorAccumulator, error_metrics
from traces.traceset import SIGNAL_UNITS, TraceSet

REPORT_BUCKETS_H: tuple[int, ...] = (1, 6, 12, 24)
"""Reported lead buckets (upper edges, hours ahead): 1 h, 2-6 h, 7-12 h, 13-24 h."""
DAY_AHEAD = "1-24 h"
REAL_ZONES: tuple[str, ...] = (
    "US-CAL-CISO", "US-TEX-ERCO", "US-MIDA-PJM", "US-NY-NYIS", "GB", "DE-LU", "SG", "JP-TK",
)
REAL_SIGNALS: tuple[str, ...] = ("carbon", "buy_price", "pv_cf", "wind_cf", "temperature")
SYNTHETIC_SIGNALS: tuple[str, ...] = (
    "carbon", "buy_price", "sell_price", "pv_cf", "wind_cf", "temperature", "demand",
)
REGRET_SIGNALS: tuple[str, ...] = ("carbon", "buy_price")
BEST_SINGLE = "best single"
_FAR_FROM_ZERO = 0.1  # MAPE only if every truth |y| >= this x mean |y| of its series


# ---- traces ----------------------------------------------------------------------------------
def real_eval_traces(data_dir: str | Path | None = None, start: str = "2022-04-01",
                     history_h: int = 2160) -> TraceSet:
    """Real 2022 traces of one site per zone with weather (``REAL_ZONES``), ``start`` to the end
    of 2022 after ``history_h`` hours of history; signals exactly as the simulator sees them
    (no price adder: buy = sell = wholesale USD/MWh). Seasonal gap filling (GB prices)."""
    from traces.real.scenario import YEAR_END, real_traces
    from traces.real.sites import SITES

    begin = pd.Timestamp(start, tz="UTC")
    sites = [{"name": zone, "zone": zone, "latitude": SITES[zone].lat_deg,
              "longitude": SITES[zone].lon_deg, "gpus": 1024, "import_cap_mw": 10.0}
             for zone in REAL_ZONES]
    scenario = parse_scenario({
        "name": "forecast-eval-real-2022",
        "start": begin.to_pydatetime(),
        "hours": int((YEAR_END - begin) / pd.Timedelta(hours=1)),
        "sites": sites,
        "regions": [{"name": "world", "latitude": 40.0, "longitude": 0.0,
                     "requests_per_hour": 1.0e6}],
        "classes": [{"name": "chat", "slo_ms": 1.0e5, "gpu_seconds_per_request": 1.0,
                     "revenue_usd_per_request": 0.0, "share": 1.0}],
        "traces": {"kind": "real-2022", "history_hours": history_h, "fill": "seasonal"},
    }, source="forecast-eval-real-2022")
    return real_traces(scenario, data_dir)


def synthetic_eval_scenario(hours: int = 1344, history_h: int = 336,
                            seed: int | None = None) -> Scenario:
    """The built-in ``default`` scenario with a longer run (``hours``) and history."""
    scenario = load_scenario("default").with_updates(
        {"hours": hours, "traces.history_hours": history_h})
    return scenario if seed is None else scenario.with_updates({"seed": seed})


def series_names(traces: TraceSet, signal: str) -> tuple[str, ...]:
    """Series of a signal: sites, or ``region/class`` for demand."""
    if signal == "demand":
        return tuple(f"{r}/{k}" for r in traces.regions for k in traces.classes)
    return traces.sites


# ---- regret ----------------------------------------------------------------------------------
def huber(r: np.ndarray, delta: float) -> np.ndarray:
    """``r^2`` for ``|r| <= delta``, ``2 delta |r| - delta^2`` beyond (``r^2`` if delta = inf)."""
    if math.isinf(delta):
        return r * r
    a = np.abs(r)
    return np.where(a <= delta, r * r, 2.0 * delta * a - delta * delta)


def best_fixed_weights(x: np.ndarray, y: np.ndarray, cell: np.ndarray, n_cells: int,
                       delta: float, bias: bool = False, iters: int = 300) -> np.ndarray:
    """Per cell, the fixed weights on the simplex (plus a free bias, if ``bias``) that minimise
    ``sum_i huber(u.x_i - y_i, delta)`` over the cell's samples.

    ``x`` [N, E], ``y`` [N], ``cell`` [N] in 0..n_cells-1. Accelerated projected gradient
    (FISTA) with step 1/L, L = 2 x the largest eigenvalue of the cell's Gram matrix on the
    simplex's tangent space (the loss's curvature is at most 2). Returns [n_cells, E (+1)].
    """
    e = x.shape[1]
    feats = np.column_stack([x, np.ones(len(x))]) if bias else x
    d = feats.shape[1]
    gram = np.zeros((n_cells, d, d))
    for i in range(d):
        for j in range(i, d):
            gram[:, i, j] = gram[:, j, i] = np.bincount(cell, feats[:, i] * feats[:, j],
                                                        n_cells)
    tangent = np.eye(d)
    tangent[:e, :e] -= 1.0 / e
    lip = 2.0 * np.linalg.eigvalsh(tangent @ gram @ tangent)[:, -1]
    lip = np.where(lip > 0, lip, 1.0)[:, None]

    def project(u: np.ndarray) -> np.ndarray:
        u = u.copy()
        u[:, :e] = project_simplex(u[:, :e])
        return u

    u = np.zeros((n_cells, d))
    u[:, :e] = 1.0 / e
    z, t = u.copy(), 1.0
    for _ in range(iters):
        psi = 2.0 * np.clip(np.einsum("nd,nd->n", feats, z[cell]) - y, -delta, delta)
        grad = np.stack([np.bincount(cell, psi * feats[:, k], n_cells) for k in range(d)], 1)
        u_next = project(z - grad / lip)
        t_next = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        z = u_next + (t - 1.0) / t_next * (u_next - u)
        u, t = u_next, t_next
    return u


class RegretTracker:
    """Regret of a corrector against the best fixed weights (and bias) in hindsight.

    Collects every scored forecast per (lead bucket, series) cell in the corrector's own
    units: features ``f / sigma``, truth ``y / sigma`` and the served forecast. The loss is the
    one the corrector minimises: Huber with its ``huber_delta`` (squared loss if infinite).
    :meth:`curve` solves for the best fixed weights of each cell over the whole period and
    accumulates ``loss(served) - loss(fixed)`` over time.
    """

    def __init__(self, corrector: OnlineCorrector) -> None:
        self._corrector = corrector
        self._parts: list[tuple[np.ndarray, ...]] = []

    def add_event(self, event: ScoreEvent) -> None:
        """Keep one revealed row's forecasts."""
        n_series = len(event.truth)
        buckets = self._corrector.bucket_of(event.leads + 1)
        self._parts.append((
            (event.base / event.scale[:, None]).reshape(-1, event.base.shape[-1]),
            np.broadcast_to(event.truth / event.scale, event.issued.shape).reshape(-1),
            (event.issued / event.scale).reshape(-1),
            (buckets[:, None] * n_series + np.arange(n_series)).reshape(-1),
            np.full(event.issued.size, event.row),
        ))

    def curve(self, every_h: int = 24, iters: int = 300) -> pd.DataFrame:
        """Cumulative forecasts scored, learner loss, fixed-weights loss and regret at every
        ``every_h``-th revealed row and the last (losses dimensionless, summed over cells)."""
        columns = ["row", "forecasts", "learner_loss", "best_fixed_loss", "regret"]
        if not self._parts:
            return pd.DataFrame(columns=columns)
        x, y, served, cell, row = (np.concatenate(v) for v in zip(*self._parts, strict=True))
        delta, bias = self._corrector.settings.huber_delta, self._corrector.settings.bias
        n_cells = int(cell.max()) + 1
        u = best_fixed_weights(x, y, cell, n_cells, delta, bias, iters)
        fixed = np.einsum("ne,ne->n", x, u[cell, : x.shape[1]])
        if bias:
            fixed = fixed + u[cell, -1]
        step = (row - row[0]) // every_h
        n = step[-1] + 1
        cum = [np.cumsum(np.bincount(step, w, n)) for w in
               (None, huber(served - y, delta), huber(fixed - y, delta))]
        ends = np.append(np.flatnonzero(np.diff(step)), len(row) - 1)
        return pd.DataFrame({"row": row[ends], "forecasts": cum[0].astype(int),
                             "learner_loss": cum[1], "best_fixed_loss": cum[2],
                             "regret": cum[1] - cum[2]})


# ---- forecast error --------------------------------------------------------------------------
@dataclass
class Evaluation:
    """What :func:`evaluate_traces` measured on one trace set.

    ``sums``: ErrorAccumulator sums per dataset, signal, method, lead_h, series;
    ``regret``: regret curves per dataset, signal, correction (empty unless asked for);
    ``weights``: (signal,
    correction) -> corrector snapshots (issue rows, weights [T, B, M, E], bias [T, B, M]);
    ``experts``/``buckets``: names for the weights' axes; ``wall_s``: seconds per correction.
    """

    sums: pd.DataFrame
    regret: pd.DataFrame
    weights: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]]
    experts: tuple[str, ...]
    buckets: tuple[str, ...]
    wall_s: dict[str, float]


def evaluate_traces(traces: TraceSet, signals: Sequence[str], settings: ForecastSettings,
                    dataset: str, *, seed: int = 0, kinds: Sequence[str] = CORRECTIONS,
                    regret: Sequence[str] = ()) -> Evaluation:
    """Issue every run hour of ``traces`` with each corrector (and, inside it, each base
    forecaster) for ``signals``; score every forecast when its truth is revealed, and track
    the regret against the best fixed weights for the signals in ``regret``."""
    sums, curves, weights, wall = [], [], {}, dict.fromkeys(kinds, 0.0)
    horizon, first = settings.horizon_h, traces.history_hours
    experts: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    for signal in signals:
        truth = traces.signal(signal)
        names = series_names(traces, signal)
        for i, kind in enumerate(kinds):
            corrector = make_forecaster(kind, truth, seed, signal=signal, settings=settings)
            assert isinstance(corrector, OnlineCorrector)
            experts, buckets = corrector.experts, corrector.bucket_labels
            errors = ErrorAccumulator((*experts, kind), horizon, len(names))
            tracker = RegretTracker(corrector)
            corrector.observers.append(errors.add_event)
            if signal in regret:
                corrector.observers.append(tracker.add_event)
            tic = time.perf_counter()
            for row in range(first, len(truth)):
                corrector.issue(truth[:row], row, horizon)
            wall[kind] += time.perf_counter() - tic
            frame = errors.frame(names)
            if i > 0:  # base forecasts are the same under every corrector
                frame = frame[frame["method"] == kind]
            sums.append(frame.assign(dataset=dataset, signal=signal))
            curve = tracker.curve()
            curves.append(curve.assign(hour=curve["row"] - first, dataset=dataset,
                                       signal=signal, correction=kind))
            weights[(signal, kind)] = corrector.history()
    return Evaluation(pd.concat(sums, ignore_index=True), pd.concat(curves, ignore_index=True),
                      weights, experts, buckets, wall)


def far_from_zero(traces: TraceSet, signal: str) -> bool:
    """True if every run-hour truth |y| is at least 10 % of its series' mean |y| (MAPE ok)."""
    run = np.abs(traces.signal(signal)[traces.history_hours:])
    run = run.reshape(len(run), -1)
    return bool((run >= _FAR_FROM_ZERO * run.mean(axis=0)).all())


def error_table(sums: pd.DataFrame, mape_ok: dict[tuple[str, str], bool],
                bucket_edges_h: Sequence[int] = REPORT_BUCKETS_H) -> pd.DataFrame:
    """MAE, RMSE, WAPE, MAPE (NaN unless far from zero), bias per dataset, signal, bucket
    (plus the day-ahead bucket ``1-24 h``) and method, pooled over series; adds a
    ``best single`` row per bucket: the base forecaster with the least day-ahead MAE."""
    edges = np.asarray(bucket_edges_h)
    bounds = [0, *bucket_edges_h]
    labels = [f"{lo + 1} h" if hi == lo + 1 else f"{lo + 1}-{hi} h"
              for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    sums = sums[sums["lead_h"] <= edges[-1]].copy()
    sums["bucket"] = np.asarray(labels)[np.searchsorted(edges, sums["lead_h"], side="left")]
    keys = ["dataset", "signal", "bucket", "method"]
    table = pd.concat([error_metrics(sums, keys),
                       error_metrics(sums.assign(bucket=DAY_AHEAD), keys)], ignore_index=True)
    no_mape = [not mape_ok.get((d, s), False) for d, s in zip(table["dataset"], table["signal"],
                                                              strict=True)]
    table.loc[no_mape, "mape"] = np.nan
    bases = ~table["method"].isin(CORRECTIONS)
    day = table[bases & (table["bucket"] == DAY_AHEAD)]
    best = day.loc[day.groupby(["dataset", "signal"])["mae"].idxmin(), ["dataset", "signal",
                                                                         "method"]]
    picked = table.merge(best, on=["dataset", "signal", "method"])
    picked = picked.assign(best_of=picked["method"], method=BEST_SINGLE)
    table = pd.concat([table, picked], ignore_index=True)
    order = {b: i for i, b in enumerate([*labels, DAY_AHEAD])}
    return table.sort_values(["dataset", "signal", "bucket", "method"],
                             key=lambda c: c.map(order) if c.name == "bucket" else c,
                             kind="stable").reset_index(drop=True)


def summary_table(errors: pd.DataFrame) -> pd.DataFrame:
    """Day-ahead (1-24 h) MAE per dataset and signal: the best single base forecaster, both
    corrections and their MAE reduction against it (percent; target >= 10 %)."""
    day = errors[errors["bucket"] == DAY_AHEAD].set_index(["dataset", "signal", "method"])
    rows = []
    for (dataset, signal), group in day.groupby(level=["dataset", "signal"], sort=False):
        g = group.droplevel(["dataset", "signal"])
        best = g.loc[BEST_SINGLE]
        row: dict[str, Any] = {"dataset": dataset, "signal": signal,
                               "unit": SIGNAL_UNITS[signal], "best_single": best["best_of"],
                               "mae_best_single": best["mae"]}
        for kind in CORRECTIONS:
            if kind in g.index:
                row[f"mae_{kind}"] = g.loc[kind, "mae"]
                row[f"gain_{kind}_pct"] = 100.0 * (1.0 - g.loc[kind, "mae"] / best["mae"])
        rows.append(row)
    return pd.DataFrame(rows)


# ---- decision value --------------------------------------------------------------------------
def decision_value(scenario: str | Scenario, policy: str, seeds: Sequence[int],
                   raw: str = "seasonal-naive-24", corrections: Sequence[str] = CORRECTIONS,
                   data_dir: str | Path | None = None) -> pd.DataFrame:
    """Total benefit (USD) of ``policy`` with raw, corrected and perfect forecasts per seed
    (same scenario and traces for all three), and the share of the raw-to-perfect benefit gap
    each correction closes. ``raw`` also names the uncorrected forecaster of every signal."""
    from gridshift.api import build_traces, simulate

    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    variants = {raw: {"forecast.method": raw, "forecast.correction": "none"},
                **{k: {"forecast.method": raw, "forecast.correction": k} for k in corrections},
                "perfect": {"forecast.method": "perfect", "forecast.correction": "none"}}
    rows = []
    for seed in seeds:
        sc = base.with_updates({"seed": int(seed)})
        traces = build_traces(sc, data_dir)
        for name, updates in variants.items():
            tic = time.perf_counter()
            run = simulate(sc.with_updates(updates), policy, traces=traces, check=False)
            rows.append({"scenario": sc.name, "policy": policy, "seed": int(seed),
                         "forecast": name, "benefit_usd": run.kpis["total_benefit_usd"],
                         "emissions_t": run.kpis["emissions_t"],
                         "wall_s": time.perf_counter() - tic})
    table = pd.DataFrame(rows)
    wide = table.pivot(index="seed", columns="forecast", values="benefit_usd")
    gap = wide["perfect"] - wide[raw]
    for name in corrections:
        share = (wide[name] - wide[raw]) / gap.where(gap != 0)
        table.loc[table["forecast"] == name, "gap_closed"] = \
            table.loc[table["forecast"] == name, "seed"].map(share).to_numpy()
    return table


def gap_summary(value: pd.DataFrame) -> pd.DataFrame:
    """Mean and std of the benefit per forecast over seeds, and the share of the raw-to-perfect
    gap closed, computed on the benefits summed over seeds (raw = 0, perfect = 1)."""
    table = value.groupby("forecast", sort=False)["benefit_usd"].agg(["mean", "std"])
    total = value.groupby("forecast", sort=False)["benefit_usd"].sum()
    raw = value["forecast"].iloc[0]
    gap = total["perfect"] - total[raw]
    table["gap_closed"] = (total - total[raw]) / gap if gap else np.nan
    return table.reset_index()


# ---- figures ---------------------------------------------------------------------------------
def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plot_errors(errors: pd.DataFrame) -> Figure:
    """MAE per lead bucket relative to the best single base forecaster, per dataset and signal."""
    day = errors[(errors["bucket"] != DAY_AHEAD)].copy()
    ref = day[day["method"] == BEST_SINGLE].set_index(["dataset", "signal", "bucket"])["mae"]
    day["relative_mae"] = day["mae"] / ref.reindex(
        pd.MultiIndex.from_frame(day[["dataset", "signal", "bucket"]])).to_numpy()
    day["panel"] = day["dataset"] + ": " + day["signal"]
    panels = list(dict.fromkeys(day["panel"]))
    cols = 4
    fig = _figure(4.0 * cols, 3.0 * ((len(panels) + cols - 1) // cols))
    axes = fig.subplots((len(panels) + cols - 1) // cols, cols, squeeze=False).ravel()
    methods = [m for m in dict.fromkeys(day["method"]) if m != BEST_SINGLE]
    palette = dict(zip(methods, sns.color_palette("tab10", len(methods)), strict=True))
    for ax, panel in zip(axes, panels, strict=False):
        sub = day[day["panel"] == panel]
        sns.lineplot(sub, x="bucket", y="relative_mae", hue="method", hue_order=methods,
                     palette=palette, marker="o", ax=ax, legend=ax is axes[0])
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.axhline(0.9, color="grey", lw=0.8, ls=":")
        ax.set(title=panel, xlabel="lead (hours ahead)", ylabel="MAE / best single")
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    fig.suptitle("Forecast error relative to the best single base forecaster "
                 "(dotted: 10 % below)")
    return fig


def plot_regret(regret: pd.DataFrame) -> Figure:
    """Regret against the best fixed weights in hindsight, per forecast scored, over time."""
    data = regret.assign(regret_per_forecast=regret["regret"] / regret["forecasts"],
                         day=regret["hour"] / 24.0,
                         panel=regret["dataset"] + ": " + regret["signal"])
    panels = list(dict.fromkeys(data["panel"]))
    cols = 4
    fig = _figure(4.0 * cols, 3.0 * ((len(panels) + cols - 1) // cols))
    axes = fig.subplots((len(panels) + cols - 1) // cols, cols, squeeze=False).ravel()
    for ax, panel in zip(axes, panels, strict=False):
        sns.lineplot(data[data["panel"] == panel], x="day", y="regret_per_forecast",
                     hue="correction", ax=ax, legend=ax is axes[0])
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set(title=panel, xlabel="run day", ylabel="cumulative regret / forecasts")
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    fig.suptitle("Regret per forecast against the best fixed weights in hindsight "
                 "(Huber loss in units of sigma)")
    return fig


def plot_weights(evaluation: Evaluation, traces: TraceSet, signal: str, kind: str,
                 series: int = 0) -> Figure:
    """Ensemble weights of one series over time, one panel per lead bucket."""
    rows, w, _ = evaluation.weights[(signal, kind)]
    days = (rows - traces.history_hours) / 24.0
    fig = _figure(4.0 * len(evaluation.buckets), 3.2)
    axes = fig.subplots(1, len(evaluation.buckets), squeeze=False, sharey=True).ravel()
    for b, (ax, label) in enumerate(zip(axes, evaluation.buckets, strict=True)):
        ax.stackplot(days, w[:, b, series, :].T, labels=evaluation.experts)
        ax.set(title=f"lead {label}", xlabel="run day", ylabel="weight", ylim=(0, 1))
    axes[0].legend(loc="lower left", fontsize="small")
    fig.suptitle(f"{kind} weights: {signal}, {series_names(traces, signal)[series]}")
    return fig


def plot_decision_value(value: pd.DataFrame) -> Figure:
    """Benefit relative to raw forecasts per seed: corrected and perfect forecasts."""
    raw = value["forecast"].iloc[0]
    ref = value[value["forecast"] == raw].set_index("seed")["benefit_usd"]
    data = value[value["forecast"] != raw].assign(
        gain_usd=lambda d: d["benefit_usd"] - d["seed"].map(ref))
    fig = _figure(6.0, 3.5)
    ax = fig.subplots()
    sns.barplot(data, x="forecast", y="gain_usd", hue="seed", ax=ax)
    ax.set(xlabel="forecasts", ylabel=f"benefit gain over {raw} (USD)",
           title=f"Decision value, policy {value['policy'].iloc[0]}")
    return fig


# ---- the command -----------------------------------------------------------------------------
def markdown(table: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-style table (no extra dependency)."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "" if np.isnan(v) else f"{v:.{digits}g}" if abs(v) < 1e4 else f"{v:,.0f}"
        return str(v)

    head = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(False)]
    return "\n".join([head, rule, *body])


def run_forecast_eval(out_dir: str | Path, *, data_dir: str | Path | None = None,
                      real: bool = True, synthetic_hours: int = 1344,
                      settings: ForecastSettings | None = None, policy: str | None = "greedy",
                      seeds: Sequence[int] = (1, 2, 3), scenario: str = "default",
                      raw: str = "seasonal-naive-24", echo: Any = print
                      ) -> dict[str, pd.DataFrame]:
    """Measure forecast error, regret (carbon and price) and, unless ``policy`` is None,
    decision value; write CSV tables and PNG figures into ``out_dir``; return the tables.

    ``settings`` (default: the configured defaults) drive the correctors of the error and
    regret measurement; the decision-value runs use the scenario's own forecast table.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = settings or ForecastSettings()
    synth = synthetic_eval_scenario(synthetic_hours)
    from traces.synthetic import generate

    datasets: list[tuple[str, TraceSet, Sequence[str]]] = [
        ("synthetic", generate(synth), SYNTHETIC_SIGNALS)]
    if real:
        datasets.append(("real-2022", real_eval_traces(data_dir), REAL_SIGNALS))
    sums, regrets, mape_ok = [], [], {}
    for name, traces, signals in datasets:
        echo(f"forecast error and regret: {name} ({traces.run_hours} h, {len(traces.sites)} "
             f"sites, signals {', '.join(signals)}) ...")
        ev = evaluate_traces(traces, signals, settings, name, seed=synth.seed,
                             regret=REGRET_SIGNALS)
        echo("  corrector wall time: " + ", ".join(f"{k} {v:.1f} s" for k, v in
                                                     ev.wall_s.items()))
        sums.append(ev.sums)
        regrets.append(ev.regret)
        mape_ok.update({(name, s): far_from_zero(traces, s) for s in signals})
        for kind in CORRECTIONS:
            _save(plot_weights(ev, traces, "carbon", kind), out / f"weights_{name}_{kind}.png")
    errors = error_table(pd.concat(sums, ignore_index=True), mape_ok)
    summary = summary_table(errors)
    regret = pd.concat(regrets, ignore_index=True)
    last = regret.groupby(["dataset", "signal", "correction"], sort=False).tail(1)
    final = last.assign(regret_per_forecast=last["regret"] / last["forecasts"],
                        regret_share=last["regret"] / last["best_fixed_loss"])[
        ["dataset", "signal", "correction", "forecasts", "learner_loss", "best_fixed_loss",
         "regret", "regret_per_forecast", "regret_share"]]
    tables = {"forecast_error": errors, "forecast_summary": summary, "regret": regret,
              "regret_final": final}
    _save(plot_errors(errors), out / "forecast_error.png")
    _save(plot_regret(regret), out / "regret.png")
    echo("\nDay-ahead (1-24 h) MAE against the best single base forecaster:\n" +
         markdown(summary))
    echo("\nRegret against the best fixed weights in hindsight (the corrector's own loss, in "
         "units of sigma), at the end:\n" + markdown(final))
    if policy is not None:
        echo(f"\ndecision value: policy {policy}, scenario {scenario}, seeds "
             f"{', '.join(map(str, seeds))}, raw forecasts {raw} ...")
        value = decision_value(scenario, policy, seeds, raw=raw, data_dir=data_dir)
        gaps = gap_summary(value)
        tables |= {f"decision_value_{policy}": value, f"decision_value_{policy}_summary": gaps}
        _save(plot_decision_value(value), out / f"decision_value_{policy}.png")
        echo("\nDecision value (benefit USD over seeds; gap closed of the seed totals):\n" +
             markdown(gaps, digits=4))
    for name, table in tables.items():
        table.to_csv(out / f"{name}.csv", index=False)
    echo(f"\ntables and figures in {out.resolve()}")
    return tables


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=110)
