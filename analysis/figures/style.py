"""Shared figure plumbing: canvas, style, palette, date axes, legends outside the data."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from analysis.catalogue import describe, format_number
from analysis.results import read_run

HOUR = pd.Timedelta(hours=1)


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """Render a figure to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


@contextmanager
def styled() -> Iterator[None]:
    """Seaborn's white grid at a size that reads at report width."""
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85):
        yield


def new_figure(width: float, height: float) -> Figure:
    """A constrained-layout figure on its own Agg canvas (no pyplot state)."""
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


def title_of(run: dict[str, Any], what: str) -> str:
    """``what — scenario · policy · seed N`` from a run's metadata."""
    meta = run.get("meta", {})
    bits = [meta.get("scenario_name"), meta.get("policy"),
            f"seed {meta['seed']}" if meta.get("seed") is not None else None]
    bits = [str(b) for b in bits if b is not None]
    return f"{what} — {' · '.join(bits)}" if bits else what


def sites_of(led: pd.DataFrame) -> list[str]:
    """Site names in ledger order."""
    return list(dict.fromkeys(led["site"]))


def step_xy(times: pd.Series, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hourly values as steps held over each hour (the last hour drawn to its end)."""
    x = pd.DatetimeIndex(times)
    x = x.append(pd.DatetimeIndex([x[-1] + HOUR])) if len(x) else x
    return x.to_numpy(), np.append(values, values[-1:]) if len(values) else values


def number_axis(axis: Any, name: str) -> None:
    """Tick labels as the catalogue writes the KPI: thousands separators, no ``1e6``."""
    decimals = describe(name).decimals
    axis.set_major_formatter(FuncFormatter(
        lambda v, _pos: format_number(v, decimals if abs(v) < 1000 else 0)))


def date_axis(ax: Any) -> None:
    """Concise dates on a time axis (UTC), at most about ten ticks."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("time (UTC)")


def hour_ticks(ax: Any, times: Sequence[pd.Timestamp], offset: float = 0.5,
               most: int = 10) -> None:
    """Date labels for a categorical hour axis (heatmap, Gantt): one tick per day or so."""
    times = pd.DatetimeIndex(times)
    if len(times) == 0:
        return
    step = max(1, -(-len(times) // most))
    step = next((s for s in (1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720) if s >= step), step)
    pos = np.arange(0, len(times), step)
    fmt = "%b %d %H:%M" if step < 24 else "%b %d"
    ax.set_xticks(pos + offset)
    ax.set_xticklabels([times[i].strftime(fmt) for i in pos], rotation=30, ha="right")
    ax.set_xlabel("time (UTC)")


def palette(names: Sequence[str]) -> dict[str, Any]:
    """One tab10 colour per name."""
    return dict(zip(names, sns.color_palette("tab10", max(len(names), 1)), strict=False))


def legend_outside(fig: Figure, handles: list[Any] | None = None, **kw: Any) -> None:
    """The figure's legend to the right of every axes, never over data."""
    if handles is None:
        seen: dict[str, Any] = {}
        for ax in fig.axes:
            for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
                seen.setdefault(label, h)
        handles = list(seen.values())
        kw.setdefault("labels", list(seen))
    fig.legend(handles=handles, loc="outside right upper", fontsize="small", **kw)
