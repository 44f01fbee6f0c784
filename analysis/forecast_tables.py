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
