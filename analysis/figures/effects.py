"""Figures of effects: paired differences against a baseline, the carbon–cost trade-off
across carbon prices, and emissions and cost per hour per policy (optionally per site)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analysis.catalogue import describe, format_number, label_of
from analysis.compare import BENEFIT, summarize
from analysis.figures.across import ok_runs
from analysis.figures.style import (
    date_axis,
    legend_outside,
    new_figure,
    number_axis,
    palette,
    run_tables,
    sites_of,
    styled,
)
from analysis.sweep_store import param_columns

EFFECT_KPIS = (BENEFIT, "emissions_t", "energy_cost_usd", "served_share")
COST_COLUMNS = ("energy_cost_usd", "carbon_cost_usd", "genset_cost_usd",
                "degradation_cost_usd", "shortfall_cost_usd")


def plot_paired_differences(table: pd.DataFrame, baseline: str | None = None,
                            kpis: Sequence[str] = EFFECT_KPIS, *, confidence: float = 0.95,
                            policies: Sequence[str] | None = None) -> Figure:
    """Each policy minus ``baseline`` (default: the first policy), paired by seed (same
    traces), with the Student-t interval of the mean difference; one panel per KPI. Runs of
    several sweep points are pooled (pairs stay (point, seed))."""
    ok = ok_runs(table)
    order = list(policies) if policies is not None else sorted(set(ok["policy"]))
    baseline = baseline if baseline is not None else order[0]
    kpis = [k for k in kpis if k in ok and ok[k].notna().any()]
    if not kpis:
        raise ValueError("none of the KPIs is in the results")
    pooled = ok.assign(seed=ok["point"].astype(str) + ":" + ok["seed"].astype(str), point=0)
    summary = summarize(pooled, baseline=baseline, kpis=kpis, confidence=confidence,
                        policies=order)
    others = [p for p in order if p != baseline]
    if not others:
        raise ValueError("paired differences need a second policy besides the baseline")
    colours = palette(order)
    n = int(summary["n"].max())
    with styled():
        fig = new_figure(3.6 * min(len(kpis), 4) + 1.5, 2.8 + 0.45 * len(others))
        axes = fig.subplots(1, len(kpis), squeeze=False)[0]
        for ax, kpi in zip(axes, kpis, strict=True):
            part = summary[summary["kpi"] == kpi].set_index("policy").reindex(others)
            y = np.arange(len(others))
            low = (part["delta"] - part["delta_ci_low"]).to_numpy()
            high = (part["delta_ci_high"] - part["delta"]).to_numpy()
            ax.errorbar(part["delta"], y, xerr=np.nan_to_num(np.vstack([low, high])),
                        fmt="none", ecolor="0.3", capsize=4)
            ax.scatter(part["delta"], y, c=[colours[p] for p in others], s=60, zorder=3,
                       edgecolors="black")
            ax.axvline(0, color="black", linewidth=0.8)
            ax.set_yticks(y)
            ax.set_yticklabels(others if ax is axes[0] else [""] * len(others))
            ax.set_ylim(len(others) - 0.5, -0.5)
            arrow = {1: " → better", -1: " ← better"}.get(describe(kpi).direction, "")
            ax.set_xlabel(f"Δ {label_of(kpi)}{arrow}")
            number_axis(ax.xaxis, kpi)
            ax.set_title(describe(kpi).label, fontsize="medium")
        ci = f"{confidence:.0%} CI over {n} paired seeds" if n > 1 else "1 seed: no CI"
        handles = [Line2D([], [], color="0.3", marker="|", linestyle="-", label=ci)]
        legend_outside(fig, handles, title=f"minus {baseline}")
        fig.suptitle(f"Paired differences against {baseline}")
    return fig


def carbon_price_param(table: pd.DataFrame) -> str:
    """The sweep parameter that sets the carbon price (a name with ``carbon_price``)."""
    found = [p for p in param_columns(table) if "carbon_price" in p]
    if not found:
        raise ValueError("the sweep has no carbon-price parameter (economics.carbon_price_*)")
    return found[0]


def plot_pareto(table: pd.DataFrame, param: str | None = None) -> Figure:
    """The carbon–cost trade-off: emissions (tCO2) against the benefit before the carbon
    charge (USD), one point per carbon price (mean across seeds) and policy, joined in price
    order; the non-dominated points (less carbon, more benefit) form the Pareto front."""
    ok = ok_runs(table)
    param = param or carbon_price_param(table)
    data = ok.assign(_pre=ok[BENEFIT] + ok["carbon_cost_usd"])
    means = data.groupby(["policy", param], sort=True)[["emissions_t", "_pre"]].mean()
    means = means.reset_index()
    policies = sorted(set(means["policy"]))
    colours = palette(policies)
    pts = means[["emissions_t", "_pre"]].to_numpy()
    front = [i for i, (e, b) in enumerate(pts)
             if not ((pts[:, 0] <= e) & (pts[:, 1] >= b) & ((pts[:, 0] < e) | (pts[:, 1] > b))
                     ).any()]
    with styled():
        fig = new_figure(9.5, 5.5)
        ax = fig.subplots()
        for policy in policies:
            part = means[means["policy"] == policy]
            ax.plot(part["emissions_t"], part["_pre"], marker="o", color=colours[policy],
                    label=policy)
            for e, b, price in zip(part["emissions_t"], part["_pre"], part[param], strict=True):
                ax.annotate(format_number(price, 0), (e, b), textcoords="offset points",
                            xytext=(4, 4), fontsize="x-small", color=colours[policy])
        best = means.iloc[front].sort_values("emissions_t")
        ax.step(best["emissions_t"], best["_pre"], where="post", color="black",
                linestyle="--", linewidth=1, label="Pareto front")
        ax.set_xlabel(label_of("emissions_t"))
        ax.set_ylabel("benefit before the carbon charge (USD)")
        number_axis(ax.xaxis, "emissions_t")
        number_axis(ax.yaxis, BENEFIT)
        legend_outside(fig, title="policy\n(point labels: carbon\nprice, USD/tCO2)")
        ax.set_title("Carbon–cost trade-off across carbon prices")
    return fig


def _hourly(run: dict[str, Any], site: str | None) -> pd.DataFrame:
    led = run["ledger"] if site is None else run["ledger"][run["ledger"]["site"] == site]
    cost = led[list(COST_COLUMNS)].sum(axis=1) - led["export_revenue_usd"]
    frame = pd.DataFrame({"t": led["timestamp"], "emissions_t": led["emissions_t"],
                          "cost_usd": cost})
    return frame.groupby("t", sort=True).sum()


def plot_hourly(runs: Mapping[str, Any], per_site: bool = False) -> Figure:
    """Emissions (tCO2/h) and net energy cost (USD/h: energy, carbon, genset, battery wear,
    shortfall, less export revenue) per hour, one line per policy; ``per_site`` draws the
    emissions of each site in its own panel instead."""
    tables = {name: run_tables(run) for name, run in runs.items()}
    if not tables:
        raise ValueError("no runs to plot")
    colours = palette(list(tables))
    first = next(iter(tables.values()))
    panels = [(s, "emissions_t") for s in sites_of(first["ledger"])] if per_site else \
        [(None, "emissions_t"), (None, "cost_usd")]
    with styled():
        fig = new_figure(11, min(1.2 + 2.1 * len(panels), 12))
        axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
        for ax, (site, col) in zip(axes, panels, strict=True):
            for name, run in tables.items():
                hourly = _hourly(run, site)[col]
                ax.step(hourly.index, hourly.to_numpy(), where="post", color=colours[name],
                        label=name, linewidth=1.2)
            unit = "tCO2/h" if col == "emissions_t" else "USD/h"
            ax.set_ylabel(f"{'emissions' if col == 'emissions_t' else 'net cost'} ({unit})")
            number_axis(ax.yaxis, col)
            if site is not None:
                ax.set_title(f"site {site}", loc="left", fontsize="medium")
        date_axis(axes[-1])
        legend_outside(fig, title="policy")
        fig.suptitle("Emissions per hour and site" if per_site else
                     "Emissions and net energy cost per hour")
    return fig
