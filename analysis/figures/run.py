"""Figures of one run: dispatch and state of charge per site, routing, jobs, signals.

Each takes a run folder, an ``api.Run``, a ``RunResult`` or a dict of its tables and returns a
:class:`matplotlib.figure.Figure`; every time axis shows UTC dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.figures.style import (
    date_axis,
    hour_ticks,
    legend_outside,
    new_figure,
    palette,
    run_tables,
    sites_of,
    step_xy,
    styled,
    title_of,
)

# Dispatch series: (column or derived name, legend label, colour, sign).
_SUPPLY = (("pv", "PV", "#f2b701", 1), ("wind", "wind", "#3a9ad9", 1),
           ("genset_mw", "genset", "#8c564b", 1),
           ("discharge_mw", "battery discharge", "#2ca02c", 1),
           ("import_mw", "grid import", "#7f7f7f", 1), ("shortfall_mw", "shortfall", "#d62728", 1))
_SINKS = (("charge_mw", "battery charge", "#98df8a", -1),
          ("export_mw", "grid export", "#c5b0d5", -1),
          ("curtailed_mw", "curtailment", "#ffbb78", -1))
_OPTIONAL = {"genset_mw", "shortfall_mw"}


# ---- one run ---------------------------------------------------------------------------------
def plot_dispatch(run: Any, sites: Sequence[str] | None = None) -> Figure:
    """Hourly dispatch per site (MW): supplies stacked up, battery charge, export and
    curtailment stacked down, facility load as a line."""
    run = run_tables(run)
    led = run["ledger"]
    sites = list(sites) if sites is not None else sites_of(led)
    drawn = [s for s in (*_SUPPLY, *_SINKS)
             if s[0] not in _OPTIONAL or (led[s[0]].abs() > 1e-9).any()]
    with styled():
        fig = new_figure(11, 2.3 * len(sites) + 1.0)
        axes = fig.subplots(len(sites), 1, sharex=True, squeeze=False)[:, 0]
        for ax, site in zip(axes, sites, strict=True):
            d = led[led["site"] == site]
            avail = (d["pv_available_mw"] + d["wind_available_mw"]).to_numpy()
            share = np.divide(d["pv_available_mw"].to_numpy(), avail,
                              out=np.zeros(len(d)), where=avail > 0)
            used = d["renewable_used_mw"].to_numpy()
            series = {"pv": used * share, "wind": used * (1 - share)}
            for stack in ((s for s in drawn if s[3] > 0), (s for s in drawn if s[3] < 0)):
                parts = list(stack)
                ys = [series[c] if c in series else d[c].to_numpy() * sign
                      for c, _, _, sign in parts]
                x, _ = step_xy(d["timestamp"], ys[0])
                ax.stackplot(x, *[step_xy(d["timestamp"], y)[1] for y in ys],
                             colors=[c for _, _, c, _ in parts], step="post", linewidth=0)
            x, load = step_xy(d["timestamp"], d["load_mw"].to_numpy())
            ax.step(x, load, where="post", color="black", linewidth=1.4)
            ax.axhline(0, color="black", linewidth=0.5)
            ax.set_title(f"site {site}", loc="left", fontsize="medium")
            ax.set_ylabel("power (MW)")
        date_axis(axes[-1])
        handles = [Patch(color=c, label=label) for _, label, c, _ in drawn]
        handles.append(Line2D([], [], color="black", label="facility load"))
        fig.legend(handles=handles, loc="outside right upper", title="MW (sinks below 0)")
        fig.suptitle(title_of(run, "Dispatch per site"))
    return fig


def plot_soc(run: Any) -> Figure:
    """Battery state of charge per site (MWh) over the run."""
    run = run_tables(run)
    led = run["ledger"]
    sites = [s for s in sites_of(led)
             if (led.loc[led["site"] == s, ["soc_start_mwh", "soc_end_mwh"]] > 0).any().any()]
    colours = palette(sites_of(led))
    with styled():
        fig = new_figure(10, 3.8)
        ax = fig.subplots()
        for site in sites:
            d = led[led["site"] == site]
            x, _ = step_xy(d["timestamp"], d["soc_end_mwh"].to_numpy())
            y = np.append(d["soc_start_mwh"].to_numpy()[:1], d["soc_end_mwh"].to_numpy())
            ax.plot(x, y, color=colours[site], label=site, linewidth=1.6)
        if not sites:
            ax.text(0.5, 0.5, "no site has a battery", transform=ax.transAxes, ha="center")
            ax.plot([], [], label="no battery")
        date_axis(ax)
        ax.set_ylabel("state of charge (MWh)")
        ax.set_ylim(bottom=0)
        legend_outside(fig, title="site")
        ax.set_title(title_of(run, "Battery state of charge"))
    return fig


def _hour_times(led: pd.DataFrame, hours: Sequence[int]) -> pd.DatetimeIndex:
    """UTC timestamps of run hours (from the ledger's hour -> timestamp map)."""
    stamps = led.drop_duplicates("hour").set_index("hour")["timestamp"]
    return pd.DatetimeIndex(stamps.reindex(list(hours)))


def plot_routing(run: Any) -> Figure:
    """Inference requests served, per user region -> site and hour (left), and each region's
    split over sites across the run (right)."""
    run = run_tables(run)
    routing = run.get("routing")
    if routing is None or len(routing) == 0:
        raise ValueError("run has no routing table (routing.parquet); re-run it with this "
                         "GridShift version")
    regions = list(dict.fromkeys(routing["region"]))
    sites = list(dict.fromkeys(routing["site"]))
    data = routing.assign(pair=routing["region"] + " → " + routing["site"])
    pairs = [f"{r} → {s}" for r in regions for s in sites]
    grid = data.pivot_table(index="pair", columns="hour", values="served", aggfunc="sum",
                            sort=False).reindex(pairs) / 1000.0
    total = routing.groupby(["region", "site"], sort=False)["served"].sum().unstack("site")
    total = total.reindex(index=regions, columns=sites)
    share = total.div(total.sum(axis=1).replace(0, np.nan), axis=0)
    with styled():
        fig = new_figure(13, min(2.4 + 0.26 * len(pairs), 9.0))
        left, right = fig.subplots(1, 2, width_ratios=[4, 1.3])
        sns.heatmap(grid, ax=left, cmap="viridis", rasterized=True,
                    cbar_kws={"label": "requests served (thousand per hour)"})
        hour_ticks(left, _hour_times(run["ledger"], grid.columns))
        left.set_yticks(np.arange(len(pairs)) + 0.5)
        left.set_yticklabels(pairs, fontsize="x-small" if len(pairs) > 20 else "small")
        for k in range(1, len(regions)):
            left.axhline(k * len(sites), color="white", linewidth=1.5)
        left.set_ylabel("user region → site (grouped by region)")
        left.set_title("served per region → site and hour", loc="left", fontsize="medium")
        sns.heatmap(share, ax=right, cmap="mako_r", vmin=0, vmax=1, annot=True, fmt=".2f",
                    cbar_kws={"label": "share of the region's served requests (0–1)"})
        right.set_xlabel("site")
        right.set_ylabel("user region")
        right.set_title("split over the run", loc="left", fontsize="medium")
        fig.suptitle(title_of(run, "Inference routing"))
    return fig


def plot_signals(run: Any) -> Figure:
    """Grid carbon intensity (gCO2/kWh) and buy price (USD/MWh) per site, as realized."""
    run = run_tables(run)
    led = run["ledger"]
    colours = palette(sites_of(led))
    with styled():
        fig = new_figure(11, 5.6)
        top, bottom = fig.subplots(2, 1, sharex=True)
        for site in sites_of(led):
            d = led[led["site"] == site]
            for ax, col in ((top, "carbon_g_per_kwh"), (bottom, "buy_price_usd_per_mwh")):
                x, yv = step_xy(d["timestamp"], d[col].to_numpy())
                ax.step(x, yv, where="post", color=colours[site], label=site, linewidth=1.3)
        top.set_ylabel("carbon intensity (gCO2/kWh)")
        bottom.set_ylabel("buy price (USD/MWh)")
        date_axis(bottom)
        legend_outside(fig, title="site")
        top.set_title(title_of(run, "Grid carbon intensity and price"))
    return fig
