"""Tables of ``gridshift forecast-eval``: the evaluation traces, error tables and summaries.

Forecast error (MAE, RMSE, WAPE; MAPE only where the truth stays far from zero) of every base
forecaster, two references chosen in hindsight (the best single base forecaster over the day,
and the best base forecaster per lead hour, both *not online*), the online ridge/AR regression
and the corrected forecasts, per signal and lead bucket. Lead buckets are in hours ahead: lead
1 h is the hour being decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.scenario import Scenario, load_scenario, parse_scenario
from simulator.traceset import SIGNAL_UNITS, TraceSet
from traces.forecast import CORRECTIONS
from traces.forecast_scoring import error_metrics

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
BEST_PER_LEAD = "best base per lead (hindsight)"
BASELINE = "ridge-ar"
"""The strongest online baseline: the regression on lags and base forecasts."""
_FAR_FROM_ZERO = 0.1  # MAPE only if every truth |y| >= this x mean |y| of its series


# ---- traces ----------------------------------------------------------------------------------
def real_eval_traces(data_dir: str | Path | None = None, start: str = "2022-04-01",
                     history_h: int = 2160) -> TraceSet:
    """Real 2022 traces of one site per zone with weather (``REAL_ZONES``), ``start`` to the end
    of 2022 after ``history_h`` hours of history; signals exactly as the simulator sees them
    (no price adder: buy = sell = wholesale USD/MWh). Seasonal gap filling (GB prices)."""
    from traces.real.sites import SITES
    from traces.replay import YEAR_END, real_traces

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
    bases = ~table["method"].isin([*CORRECTIONS, BEST_PER_LEAD])
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


def with_best_per_lead(sums: pd.DataFrame) -> pd.DataFrame:
    """Add the sums of :data:`BEST_PER_LEAD`: per dataset, signal and lead hour, the base
    forecaster with the least MAE pooled over series (chosen in hindsight: not online)."""
    bases = sums[~sums["method"].isin([*CORRECTIONS, "perfect", "noisy-perfect"])]
    keys = ["dataset", "signal", "lead_h"]
    pooled = bases.groupby([*keys, "method"], sort=False)[["sum_abs_err", "n"]].sum()
    mae = (pooled["sum_abs_err"] / pooled["n"].where(pooled["n"] > 0)).dropna()
    if mae.empty:
        return sums
    pick = mae.groupby(level=keys).idxmin().map(lambda k: k[-1]).rename("pick").reset_index()
    best = bases.merge(pick, on=keys)
    best = best[best["method"] == best["pick"]].drop(columns="pick")
    return pd.concat([sums, best.assign(method=BEST_PER_LEAD)], ignore_index=True)


def summary_table(errors: pd.DataFrame) -> pd.DataFrame:
    """Day-ahead (1-24 h) MAE per dataset and signal: the best single base forecaster, the best
    base per lead (hindsight), the ridge-ar baseline, both corrections and their MAE reduction
    (percent) against ridge-ar (``gain_vs``; the best single base where ridge-ar is absent)."""
    day = errors[errors["bucket"] == DAY_AHEAD].set_index(["dataset", "signal", "method"])
    rows = []
    for (dataset, signal), group in day.groupby(level=["dataset", "signal"], sort=False):
        g = group.droplevel(["dataset", "signal"])
        best = g.loc[BEST_SINGLE]
        row: dict[str, Any] = {"dataset": dataset, "signal": signal,
                               "unit": SIGNAL_UNITS[signal], "best_single": best["best_of"],
                               "mae_best_single": best["mae"]}
        for ref in (BEST_PER_LEAD, BASELINE):
            if ref in g.index:
                row[f"mae_{ref}"] = g.loc[ref, "mae"]
        ref = BASELINE if BASELINE in g.index else BEST_SINGLE
        row["gain_vs"] = ref
        for kind in CORRECTIONS:
            if kind in g.index:
                row[f"mae_{kind}"] = g.loc[kind, "mae"]
                row[f"gain_{kind}_pct"] = 100.0 * (1.0 - g.loc[kind, "mae"] / g.loc[ref, "mae"])
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
