"""Figures of ``gridshift forecast-eval``: error per lead, regret, weights, decision value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.forecast_eval import Evaluation
from analysis.forecast_tables import BEST_SINGLE, DAY_AHEAD, series_names
from simulator.traceset import TraceSet


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _panel_grid(n_panels: int, cols: int) -> tuple[Figure, np.ndarray]:
    """A figure of ``n_panels`` 4 x 3 in panels, ``cols`` per row; unused cells hidden."""
    rows = (n_panels + cols - 1) // cols
    fig = _figure(4.0 * cols, 3.0 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes


def plot_errors(errors: pd.DataFrame) -> Figure:
    """MAE per lead bucket relative to the best single base forecaster, per dataset and signal."""
    day = errors[(errors["bucket"] != DAY_AHEAD)].copy()
    ref = day[day["method"] == BEST_SINGLE].set_index(["dataset", "signal", "bucket"])["mae"]
    day["relative_mae"] = day["mae"] / ref.reindex(
        pd.MultiIndex.from_frame(day[["dataset", "signal", "bucket"]])).to_numpy()
    day["panel"] = day["dataset"] + ": " + day["signal"]
    panels = list(dict.fromkeys(day["panel"]))
    cols = 4
    fig, axes = _panel_grid(len(panels), cols)
    methods = [m for m in dict.fromkeys(day["method"]) if m != BEST_SINGLE]
    palette = dict(zip(methods, sns.color_palette("tab10", len(methods)), strict=True))
    for ax, panel in zip(axes, panels, strict=False):
        sub = day[day["panel"] == panel]
        sns.lineplot(sub, x="bucket", y="relative_mae", hue="method", hue_order=methods,
                     palette=palette, marker="o", ax=ax, legend=ax is axes[0])
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.axhline(0.9, color="grey", lw=0.8, ls=":")
        ax.set(title=panel, xlabel="lead (hours ahead)", ylabel="MAE / best single")
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
    fig, axes = _panel_grid(len(panels), cols)
    for ax, panel in zip(axes, panels, strict=False):
        sns.lineplot(data[data["panel"] == panel], x="day", y="regret_per_forecast",
                     hue="correction", ax=ax, legend=ax is axes[0])
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set(title=panel, xlabel="run day", ylabel="cumulative regret / forecasts")
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


def save(fig: Figure, path: Path) -> None:
    """Write a figure as PNG."""
    fig.savefig(path, dpi=110)


def plot_skill(sums: pd.DataFrame, dataset: str, reference: str,
               methods: tuple[str, ...]) -> Figure:
    """Skill ``1 - MAE / MAE(reference)`` against lead hour 1-24, one panel per signal (rows)
    and series (columns) of ``dataset``; methods as lines."""
    data = sums[(sums["dataset"] == dataset) & (sums["lead_h"] <= 24)]
    g = data.groupby(["signal", "series", "lead_h", "method"], sort=False)[
        ["sum_abs_err", "n"]].sum()
    mae = (g["sum_abs_err"] / g["n"].where(g["n"] > 0)).rename("mae").reset_index()
    ref = mae[mae["method"] == reference].set_index(["signal", "series", "lead_h"])["mae"]
    mae["skill"] = 1.0 - mae["mae"] / ref.reindex(
        pd.MultiIndex.from_frame(mae[["signal", "series", "lead_h"]])).to_numpy()
    signals, series = list(dict.fromkeys(mae["signal"])), list(dict.fromkeys(mae["series"]))
    fig = _figure(2.6 * len(series), 2.2 * len(signals))
    axes = fig.subplots(len(signals), len(series), squeeze=False, sharex=True)
    shown = [m for m in methods if m in set(mae["method"])]
    palette = dict(zip(shown, sns.color_palette("tab10", len(shown)), strict=True))
    for r, signal in enumerate(signals):
        for c, name in enumerate(series):
            ax = axes[r, c]
            sub = mae[(mae["signal"] == signal) & (mae["series"] == name)
                      & mae["method"].isin(shown)]
            for m in shown:
                line = sub[sub["method"] == m]
                ax.plot(line["lead_h"], line["skill"], color=palette[m], lw=1.2,
                        label=m if (r, c) == (0, 0) else None)
            ax.axhline(0.0, color="grey", lw=0.8)
            ax.set_title(f"{signal}: {name}", fontsize="small")
            if r == len(signals) - 1:
                ax.set_xlabel("lead (hours ahead)")
    fig.legend(loc="outside lower center", ncols=len(shown), fontsize="small")
    fig.suptitle(f"{dataset}: skill 1 - MAE / MAE({reference}) per lead hour "
                 "(prices: only leads beyond the published horizon)")
    return fig
