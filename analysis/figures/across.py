"""Figures across runs (a sweep's or comparison's tidy results table).

:func:`plot_benefit_emissions`, :func:`plot_sensitivity`, :func:`plot_regret`; paired
differences and the carbon-cost trade-off are in :mod:`analysis.figures.effects`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.catalogue import label_of
from analysis.compare import BENEFIT, REGRET, add_regret, summarize
from analysis.figures.style import legend_outside, new_figure, number_axis, palette, styled
from analysis.sweep_store import param_columns, value_label


# ---- across runs -----------------------------------------------------------------------------
def ok_runs(table: pd.DataFrame) -> pd.DataFrame:
    ok = table[table["status"] == "ok"]
    if ok.empty:
        raise ValueError("the results table has no finished runs to plot")
    return ok


def plot_benefit_emissions(table: pd.DataFrame, confidence: float = 0.95) -> Figure:
    """Total benefit (USD) against emissions (tCO2), one dot per run, coloured by policy; with
    one sweep point, each policy's mean with its confidence interval on both axes."""
    ok = ok_runs(table)
    policies = sorted(set(ok["policy"]))
    colours = palette(policies)
    with styled():
        fig = new_figure(8, 5.5)
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
                xerr = np.nan_to_num(xerr)  # emissions never below 0 t
                ax.errorbar(ex["mean"], ey["mean"], xerr=[[min(xerr, ex["mean"])], [xerr]],
                            yerr=np.nan_to_num(yerr), fmt="D", color=colours[policy],
                            markeredgecolor="black", markersize=8, capsize=4)
            ax.plot([], [], "D", color="0.5", markeredgecolor="black",
                    label=f"mean ± {confidence:.0%} CI")
        ax.set_xlabel(label_of("emissions_t"))
        ax.set_ylabel(label_of(BENEFIT))
        number_axis(ax.yaxis, BENEFIT)
        ax.set_xlim(left=max(ax.get_xlim()[0], 0.0))  # no emissions below 0 t
        number_axis(ax.xaxis, "emissions_t")
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        legend_outside(fig, title="policy")
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
    ok = ok_runs(add_regret(table, oracle))
    params = param_columns(table)
    if param not in params:
        raise ValueError(f"'{param}' is not a sweep parameter (parameters: "
                         f"{', '.join(params) or 'none'})")
    if kpi not in ok or ok[kpi].isna().all():
        raise ValueError(f"no values of '{kpi}' in the results")
    policies = sorted(set(ok["policy"]))
    if kpi == REGRET:
        policies = [p for p in policies if p != oracle]
    colours = palette(sorted(set(ok["policy"])))
    summary = summarize(ok, kpis=[kpi], confidence=confidence, oracle=oracle)
    others = [p for p in params if p != param]
    summary["panel"] = ""
    if others:
        summary["panel"] = [", ".join(f"{o}={v}" for o, v in zip(others, row, strict=True))
                            for row in summary[others].itertuples(index=False)]
    panels = list(dict.fromkeys(summary["panel"]))
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    with styled():
        fig = new_figure(5.6 * cols + 1.8, 3.8 * rows + 1.0)
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
            number_axis(ax.yaxis, kpi)
            if panel:
                ax.set_title(panel, fontsize="small")
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        handles = [Line2D([], [], color=colours[p], marker="o", label=p) for p in policies]
        handles.append(Patch(color="0.6", alpha=0.3, label=f"{confidence:.0%} CI of the mean"))
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6),
                   title="policy")
        fig.suptitle(f"Sensitivity of {label_of(kpi)} to\n{xlabel or param}",
                     fontsize="medium")
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
    ok = ok_runs(add_regret(table, oracle))
    points = ok["point"].nunique()
    policies = [p for p in sorted(set(ok["policy"])) if p != oracle]
    # Several sweep points without a parameter to plot against: pool their runs (pairs for
    # the paired statistics stay (point, seed)).
    pooled = ok.assign(seed=ok["point"].astype(str) + ":" + ok["seed"].astype(str), point=0)
    summary = summarize(pooled, kpis=[REGRET], confidence=confidence, oracle=oracle)
    summary = summary.set_index("policy").reindex(policies)
    colours = palette(sorted(set(ok["policy"])))
    with styled():
        fig = new_figure(7.5, 4.5)
        ax = fig.subplots()
        err = np.nan_to_num(np.vstack([summary["mean"] - summary["ci_low"],
                                       summary["ci_high"] - summary["mean"]]))
        ax.bar(policies, summary["mean"], yerr=err, capsize=5,
               color=[colours[p] for p in policies])
        handles = [Patch(color=colours[p], label=p) for p in policies]
        handles.append(Line2D([], [], color="black", marker="|", markersize=10, linestyle="",
                              label=f"{confidence:.0%} CI of the mean"))
        legend_outside(fig, handles, title="policy")
        ax.set_xlabel("policy")
        ax.set_ylabel(label_of(REGRET))
        number_axis(ax.yaxis, REGRET)
        ax.set_title(f"Regret against the {oracle}"
                     + (f" (runs of {points} sweep points pooled)" if points > 1 else ""))
    return fig
