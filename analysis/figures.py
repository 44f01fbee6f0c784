"""Figures (matplotlib's Agg canvas, seaborn styling): one run, and across runs.

Every function returns a :class:`matplotlib.figure.Figure` with a title, axis labels with
units and a legend (or colour bar); no pyplot state is touched, so they are safe in servers,
workers and notebooks alike. :func:`figure_png` renders one to PNG bytes.

One run (a run folder, an ``api.Run``, a ``RunResult`` or a dict of its tables):
:func:`plot_dispatch`, :func:`plot_soc`, :func:`plot_routing`, :func:`plot_jobs`,
:func:`plot_signals`. Across runs (a sweep's tidy results table):
:func:`plot_benefit_emissions`, :func:`plot_sensitivity`, :func:`plot_regret`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import StrMethodFormatter

from analysis.compare import BENEFIT, REGRET, add_regret, summarize
from analysis.results import read_run
from analysis.sweep_store import param_columns, value_label

HOUR = pd.Timedelta(hours=1)
_UNITS: tuple[tuple[str, str], ...] = (
    ("_usd_per_t", "USD/tCO2"), ("_usd_per_mwh", "USD/MWh"), ("_usd_per_request", "USD/request"),
    ("_kw_per_gpu", "kW/GPU"), ("_g_per_kwh", "gCO2/kWh"), ("_per_hour", "1/h"),
    ("_usd", "USD"), ("_mwh", "MWh"), ("_mw", "MW"), ("_ms", "ms"), ("_t", "tCO2"), ("_h", "h"),
    ("_c", "°C"), ("_s", "s"),
)
_KPI_LABELS: dict[str, str] = {
    BENEFIT: "total benefit (USD)",
    REGRET: "regret against the oracle (USD)",
    "emissions_t": "emissions (tCO2)",
    "served_share": "inference served share (0–1)",
    "gpu_utilisation": "GPU utilisation (0–1)",
    "renewable_self_consumption": "renewable self-consumption (0–1)",
    "battery_cycles": "battery cycles (full equivalents)",
    "jobs_on_time": "training jobs on time (count)",
    "carbon_budget_slack_t": "carbon budget slack (tCO2)",
}
# Dispatch series: (column or derived name, legend label, colour, sign).
_SUPPLY = (("pv", "PV", "#f2b701", 1), ("wind", "wind", "#3a9ad9", 1),
           ("genset_mw", "genset", "#8c564b", 1),
           ("discharge_mw", "battery discharge", "#2ca02c", 1),
           ("import_mw", "grid import", "#7f7f7f", 1), ("shortfall_mw", "shortfall", "#d62728", 1))
_SINKS = (("charge_mw", "battery charge", "#98df8a", -1),
          ("export_mw", "grid export", "#c5b0d5", -1),
          ("curtailed_mw", "curtailment", "#ffbb78", -1))
_OPTIONAL = {"genset_mw", "shortfall_mw"}


# ---- helpers ---------------------------------------------------------------------------------
def _suffix(name: str) -> tuple[str, str] | None:
    last = name.split(".")[-1]
    return next(((s, u) for s, u in _UNITS if last.endswith(s)), None)


def unit_of(name: str) -> str | None:
    """The unit a field or KPI name's suffix spells (``carbon_price_usd_per_t`` -> USD/tCO2)."""
    found = _suffix(name)
    return found[1] if found else None


def label_of(name: str) -> str:
    """Axis label for a KPI (``energy cost (USD)``) or a dotted scenario field (the path and
    its unit), with the unit where the name spells one."""
    if name in _KPI_LABELS:
        return _KPI_LABELS[name]
    found = _suffix(name)
    if found is None:
        return name.replace("_", " ") if "." not in name else name
    text = name if "." in name else name[: -len(found[0])].replace("_", " ")
    return f"{text} ({found[1]})"


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """Render a figure to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


@contextmanager
def _styled() -> Iterator[None]:
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85):
        yield


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def run_tables(run: Any) -> dict[str, Any]:
    """Normalise a run (folder path, ``api.Run``, ``RunResult`` or dict) to a dict of tables."""
    if isinstance(run, str | Path):
        return read_run(run)
    if isinstance(run, dict):
        return run
    result = getattr(run, "result", run)
    meta = dict(getattr(run, "meta", None) or getattr(result, "meta", {}))
    return {"ledger": result.ledger, "inference": result.inference, "jobs": result.jobs,
            "clips": result.clips, "steps": result.steps, "meta": meta,
            "routing": getattr(result, "routing", None)}


def _title(run: dict[str, Any], what: str) -> str:
    meta = run.get("meta", {})
    bits = [meta.get("scenario_name"), meta.get("policy"),
            f"seed {meta['seed']}" if meta.get("seed") is not None else None]
    bits = [str(b) for b in bits if b is not None]
    return f"{what} — {' · '.join(bits)}" if bits else what


def _sites(led: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(led["site"]))


def _step_xy(times: pd.Series, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hourly values as steps held over each hour (the last hour drawn to its end)."""
    x = pd.DatetimeIndex(times)
    x = x.append(pd.DatetimeIndex([x[-1] + HOUR])) if len(x) else x
    return x.to_numpy(), np.append(values, values[-1:]) if len(values) else values


def _thousands(axis: Any, name: str) -> None:
    """Thousands separators on an axis of money (USD)."""
    if unit_of(name) == "USD":
        axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _palette(names: Sequence[str]) -> dict[str, Any]:
    return dict(zip(names, sns.color_palette("tab10", max(len(names), 1)), strict=False))


# ---- one run ---------------------------------------------------------------------------------
def plot_dispatch(run: Any, sites: Sequence[str] | None = None) -> Figure:
    """Hourly dispatch per site (MW): supplies stacked up, battery charge, export and
    curtailment stacked down, facility load as a line."""
    run = run_tables(run)
    led = run["ledger"]
    sites = list(sites) if sites is not None else _sites(led)
    drawn = [s for s in (*_SUPPLY, *_SINKS)
             if s[0] not in _OPTIONAL or (led[s[0]].abs() > 1e-9).any()]
    with _styled():
        fig = _figure(11, 2.3 * len(sites) + 1.0)
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
                x, _ = _step_xy(d["timestamp"], ys[0])
                ax.stackplot(x, *[_step_xy(d["timestamp"], y)[1] for y in ys],
                             colors=[c for _, _, c, _ in parts], step="post", linewidth=0)
            x, load = _step_xy(d["timestamp"], d["load_mw"].to_numpy())
            ax.step(x, load, where="post", color="black", linewidth=1.4)
            ax.axhline(0, color="black", linewidth=0.5)
            ax.set_title(f"site {site}", loc="left", fontsize="medium")
            ax.set_ylabel("power (MW)")
        axes[-1].set_xlabel("time (UTC)")
        handles = [Patch(color=c, label=label) for _, label, c, _ in drawn]
        handles.append(Line2D([], [], color="black", label="facility load"))
        fig.legend(handles=handles, loc="outside right upper", title="MW (sinks below 0)")
        fig.suptitle(_title(run, "Dispatch per site"))
    return fig


def plot_soc(run: Any) -> Figure:
    """Battery state of charge per site (MWh) over the run."""
    run = run_tables(run)
    led = run["ledger"]
    sites = [s for s in _sites(led)
             if (led.loc[led["site"] == s, ["soc_start_mwh", "soc_end_mwh"]] > 0).any().any()]
    colours = _palette(_sites(led))
    with _styled():
        fig = _figure(10, 3.8)
        ax = fig.subplots()
        for site in sites:
            d = led[led["site"] == site]
            times = pd.DatetimeIndex(d["timestamp"])
            x = times.append(pd.DatetimeIndex([times[-1] + HOUR]))
            y = np.append(d["soc_start_mwh"].to_numpy()[:1], d["soc_end_mwh"].to_numpy())
            ax.plot(x, y, color=colours[site], label=site, linewidth=1.6)
        if not sites:
            ax.text(0.5, 0.5, "no site has a battery", transform=ax.transAxes, ha="center")
            ax.plot([], [], label="no battery")
        ax.set_xlabel("time (UTC)")
        ax.set_ylabel("state of charge (MWh)")
        ax.set_ylim(bottom=0)
        ax.legend(title="site", loc="upper right")
        ax.set_title(_title(run, "Battery state of charge"))
    return fig


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
    with _styled():
        fig = _figure(13, 1.0 + 0.32 * len(pairs) + 1.2)
        left, right = fig.subplots(1, 2, width_ratios=[4, 1.3])
        sns.heatmap(grid, ax=left, cmap="viridis",
                    cbar_kws={"label": "requests served (thousand per hour)"})
        step = max(1, len(grid.columns) // 24)
        left.set_xticks(np.arange(0, len(grid.columns), step) + 0.5)
        left.set_xticklabels([str(h) for h in grid.columns[::step]], rotation=0)
        left.set_xlabel("hour of the run (h from start, UTC)")
        left.set_ylabel("user region → site")
        left.set_title("served per region → site and hour", loc="left", fontsize="medium")
        sns.heatmap(share, ax=right, cmap="mako_r", vmin=0, vmax=1, annot=True, fmt=".2f",
                    cbar_kws={"label": "share of the region's served requests (0–1)"})
        right.set_xlabel("site")
        right.set_ylabel("user region")
        right.set_title("split over the run", loc="left", fontsize="medium")
        fig.suptitle(_title(run, "Inference routing"))
    return fig


def plot_jobs(run: Any) -> Figure:
    """Gantt chart of training jobs: runs coloured by site over their release-deadline window;
    jobs never run are crossed at their deadline."""
    run = run_tables(run)
    jobs = run["jobs"].sort_values(["release_hour", "job_id"], kind="stable")
    site_names = _sites(run["ledger"])
    colours = _palette(site_names)
    n = len(jobs)
    with _styled():
        fig = _figure(11, min(2.0 + 0.28 * max(n, 1), 24))
        ax = fig.subplots()
        y = np.arange(n)
        ax.hlines(y, jobs["release_hour"], jobs["deadline_hour"], color="0.75", linewidth=5,
                  label="release → deadline window")
        started = jobs["start_hour"].to_numpy() >= 0
        for site_index, site in enumerate(site_names):
            mask = started & (jobs["site"].to_numpy() == site_index)
            if mask.any():
                ax.barh(y[mask], jobs["duration_h"].to_numpy()[mask],
                        left=jobs["start_hour"].to_numpy()[mask], height=0.6,
                        color=colours[site], label=f"running at {site}")
        if (~started).any():
            ax.plot(jobs["deadline_hour"].to_numpy()[~started], y[~started], "x", color="#d62728",
                    label="never started (expired or pending)")
        late = (jobs["status"] == "late").to_numpy()
        if late.any():
            ax.plot(jobs["end_hour"].to_numpy()[late], y[late], "|", color="black",
                    markersize=12, label="finished late")
        ax.set_yticks(y)
        ax.set_yticklabels([f"job {j} ({g} GPUs)" for j, g in
                            zip(jobs["job_id"], jobs["gpus"], strict=True)]
                           if n <= 40 else [""] * n)
        ax.invert_yaxis()
        ax.set_xlabel("hour of the run (h from start, UTC)")
        ax.set_ylabel("training job (by release)")
        if n == 0:
            ax.text(0.5, 0.5, "no training jobs", transform=ax.transAxes, ha="center")
        handles, labels = ax.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right upper", fontsize="small")
        ax.set_title(_title(run, "Training jobs"))
    return fig


def plot_signals(run: Any) -> Figure:
    """Grid carbon intensity (gCO2/kWh) and buy price (USD/MWh) per site, as realized."""
    run = run_tables(run)
    led = run["ledger"]
    colours = _palette(_sites(led))
    with _styled():
        fig = _figure(11, 5.6)
        top, bottom = fig.subplots(2, 1, sharex=True)
        for site in _sites(led):
            d = led[led["site"] == site]
            for ax, col in ((top, "carbon_g_per_kwh"), (bottom, "buy_price_usd_per_mwh")):
                x, yv = _step_xy(d["timestamp"], d[col].to_numpy())
                ax.step(x, yv, where="post", color=colours[site], label=site, linewidth=1.3)
        top.set_ylabel("carbon intensity (gCO2/kWh)")
        bottom.set_ylabel("buy price (USD/MWh)")
        bottom.set_xlabel("time (UTC)")
        top.legend(title="site", loc="upper right", fontsize="small")
        top.set_title(_title(run, "Grid carbon intensity and price"))
    return fig


RUN_FIGURES = {
    "dispatch": plot_dispatch,
    "state_of_charge": plot_soc,
    "routing": plot_routing,
    "jobs": plot_jobs,
    "signals": plot_signals,
}


# ---- across runs -----------------------------------------------------------------------------
def _ok(table: pd.DataFrame) -> pd.DataFrame:
    ok = table[table["status"] == "ok"]
    if ok.empty:
        raise ValueError("the results table has no finished runs to plot")
    return ok


def plot_benefit_emissions(table: pd.DataFrame, confidence: float = 0.95) -> Figure:
    """Total benefit (USD) against emissions (tCO2), one dot per run, coloured by policy; with
    one sweep point, each policy's mean with its confidence interval on both axes."""
    ok = _ok(table)
    policies = sorted(set(ok["policy"]))
    colours = _palette(policies)
    with _styled():
        fig = _figure(8, 5.5)
        ax = fig.subplots()
        sns.scatterplot(data=ok, x="emissions_t", y=BENEFIT, hue="policy", hue_order=policies,
                        palette=colours, alpha=0.55, ax=ax, s=36)
        if ok["point"].nunique() == 1:
            summary = summarize(ok, kpis=["emissions_t", BENEFIT], confidence=confidence,
                                policies=policies)
            for policy in policies:
                rows = summary[summary["policy"] == policy].set_index("kpi")
                ex, ey = rows.loc["emissions_t"], rows.loc[BENEFIT]
                xerr = (ex["ci_high"] - ex["ci_low"]) / 2
                yerr = (ey["ci_high"] - ey["ci_low"]) / 2
                ax.errorbar(ex["mean"], ey["mean"], xerr=np.nan_to_num(xerr),
                            yerr=np.nan_to_num(yerr), fmt="D", color=colours[policy],
                            markeredgecolor="black", markersize=8, capsize=4)
            ax.plot([], [], "D", color="0.5", markeredgecolor="black",
                    label=f"mean ± {confidence:.0%} CI")
        ax.set_xlabel(label_of("emissions_t"))
        ax.set_ylabel(label_of(BENEFIT))
        _thousands(ax.yaxis, BENEFIT)
        ax.legend(title="policy", fontsize="small")
        ax.set_title("Benefit against emissions per policy")
    return fig


def _x_values(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        return numeric.to_numpy(dtype=float), None
    labels = [value_label(v) for v in values]
    order = list(dict.fromkeys(labels))
    return np.array([order.index(v) for v in labels], dtype=float), order


def plot_sensitivity(table: pd.DataFrame, param: str, kpi: str = BENEFIT, *,
                     confidence: float = 0.95, xlabel: str | None = None,
                     oracle: str = "oracle") -> Figure:
    """A KPI's mean across seeds against one sweep parameter, one line per policy, with a
    confidence band; one panel per combination of the other parameters."""
    ok = _ok(add_regret(table, oracle))
    params = param_columns(table)
    if param not in params:
        raise ValueError(f"'{param}' is not a sweep parameter (parameters: "
                         f"{', '.join(params) or 'none'})")
    if kpi not in ok or ok[kpi].isna().all():
        raise ValueError(f"no values of '{kpi}' in the results")
    policies = sorted(set(ok["policy"]))
    if kpi == REGRET:
        policies = [p for p in policies if p != oracle]
    colours = _palette(sorted(set(ok["policy"])))
    summary = summarize(ok, kpis=[kpi], confidence=confidence, oracle=oracle)
    others = [p for p in params if p != param]
    summary["panel"] = ""
    if others:
        summary["panel"] = [", ".join(f"{o}={v}" for o, v in zip(others, row, strict=True))
                            for row in summary[others].itertuples(index=False)]
    panels = list(dict.fromkeys(summary["panel"]))
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    with _styled():
        fig = _figure(5.2 * cols + 1.8, 3.8 * rows + 0.6)
        axes = fig.subplots(rows, cols, squeeze=False, sharey=True).ravel()
        for ax, panel in zip(axes, panels, strict=False):
            part = summary[summary["panel"] == panel]
            x_all, ticks = _x_values(part[param])
            part = part.assign(_x=x_all).sort_values("_x")
            for policy in policies:
                line = part[part["policy"] == policy]
                if line.empty:
                    continue
                ax.plot(line["_x"], line["mean"], marker="o", color=colours[policy],
                        label=policy)
                ax.fill_between(line["_x"], line["ci_low"], line["ci_high"],
                                color=colours[policy], alpha=0.2, linewidth=0)
            if ticks is not None:
                ax.set_xticks(range(len(ticks)))
                ax.set_xticklabels(ticks, rotation=20)
            ax.set_xlabel(xlabel or label_of(param))
            ax.set_ylabel(label_of(kpi))
            _thousands(ax.yaxis, kpi)
            if panel:
                ax.set_title(panel, fontsize="small")
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        handles = [Line2D([], [], color=colours[p], marker="o", label=p) for p in policies]
        handles.append(Patch(color="0.6", alpha=0.3, label=f"{confidence:.0%} CI of the mean"))
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6),
                   title="policy")
        fig.suptitle(f"Sensitivity of {label_of(kpi)} to {xlabel or param}")
    return fig


def plot_regret(table: pd.DataFrame, param: str | None = None, *, oracle: str = "oracle",
                confidence: float = 0.95, xlabel: str | None = None) -> Figure:
    """Regret against the oracle (USD: oracle benefit - policy benefit, paired by seed): bars
    per policy, or lines against a sweep parameter."""
    if oracle not in set(table["policy"]):
        raise ValueError(f"no '{oracle}' runs in the results: regret needs them")
    if param is not None:
        return plot_sensitivity(table, param, REGRET, confidence=confidence, xlabel=xlabel,
                                oracle=oracle)
    ok = _ok(add_regret(table, oracle))
    points = ok["point"].nunique()
    policies = [p for p in sorted(set(ok["policy"])) if p != oracle]
    # Several sweep points without a parameter to plot against: pool their runs (pairs for
    # the paired statistics stay (point, seed)).
    pooled = ok.assign(seed=ok["point"].astype(str) + ":" + ok["seed"].astype(str), point=0)
    summary = summarize(pooled, kpis=[REGRET], confidence=confidence, oracle=oracle)
    summary = summary.set_index("policy").reindex(policies)
    colours = _palette(sorted(set(ok["policy"])))
    with _styled():
        fig = _figure(7.5, 4.5)
        ax = fig.subplots()
        err = np.nan_to_num(np.vstack([summary["mean"] - summary["ci_low"],
                                       summary["ci_high"] - summary["mean"]]))
        ax.bar(policies, summary["mean"], yerr=err, capsize=5,
               color=[colours[p] for p in policies])
        handles = [Patch(color=colours[p], label=p) for p in policies]
        handles.append(Line2D([], [], color="black", marker="|", markersize=10, linestyle="",
                              label=f"{confidence:.0%} CI of the mean"))
        ax.legend(handles=handles, title="policy", fontsize="small")
        ax.set_xlabel("policy")
        ax.set_ylabel(label_of(REGRET))
        _thousands(ax.yaxis, REGRET)
        ax.set_title(f"Regret against the {oracle}"
                     + (f" (runs of {points} sweep points pooled)" if points > 1 else ""))
    return fig
