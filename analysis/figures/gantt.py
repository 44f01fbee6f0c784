"""Gantt chart of training jobs, on dates, with a capped height.

Up to :data:`LABELLED_JOBS` jobs get one labelled row each (job id, GPUs) over their
release-deadline window. More jobs are grouped: one band per site where they ran (and one for
jobs never started), each packed into lanes so that no two jobs of a lane overlap.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.figures.style import (
    date_axis,
    legend_outside,
    new_figure,
    palette,
    run_tables,
    sites_of,
    styled,
    title_of,
)

LABELLED_JOBS = 40
MAX_HEIGHT_IN = 9.0


def _lanes(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Lane of each interval (given sorted by start): the first lane free at its start."""
    free: list[float] = []
    out = np.empty(len(starts), dtype=int)
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        lane = next((k for k, end in enumerate(free) if end <= a), len(free))
        if lane == len(free):
            free.append(b)
        else:
            free[lane] = b
        out[i] = lane
    return out


def _rows(jobs: pd.DataFrame, site_names: list[str]) -> tuple[np.ndarray, list, list]:
    """y row per job, tick positions and tick labels."""
    n = len(jobs)
    if n <= LABELLED_JOBS:
        labels = [f"job {j} ({g} GPUs)" for j, g in zip(jobs["job_id"], jobs["gpus"],
                                                        strict=True)]
        return np.arange(n, dtype=float), list(range(n)), labels
    started = jobs["start_hour"].to_numpy() >= 0
    group = np.where(started, jobs["site"].to_numpy(), len(site_names))
    lo = np.where(started, jobs["start_hour"], jobs["release_hour"]).astype(float)
    hi = np.where(started, jobs["start_hour"] + jobs["duration_h"],
                  jobs["deadline_hour"]).astype(float)
    y = np.empty(n)
    ticks, labels, base = [], [], 0.0
    for g, name in enumerate([*site_names, "never started"]):
        mask = group == g
        if not mask.any():
            continue
        order = np.argsort(lo[mask], kind="stable")
        lanes = np.empty(mask.sum())
        lanes[order] = _lanes(lo[mask][order], hi[mask][order])
        y[mask] = base + lanes
        width = lanes.max() + 1
        ticks.append(base + (width - 1) / 2)
        labels.append(f"{name} ({int(mask.sum())} job{'' if mask.sum() == 1 else 's'})")
        base += width + 1.0
    return y, ticks, labels


def plot_jobs(run: Any) -> Figure:
    """Training jobs on a date axis: runs coloured by site; with few jobs, each job's
    release-deadline window and a cross at the deadline of jobs never started; with many,
    jobs grouped by site in packed lanes."""
    run = run_tables(run)
    led = run["ledger"]
    jobs = run["jobs"].sort_values(["release_hour", "job_id"], kind="stable")
    jobs = jobs.reset_index(drop=True)
    site_names = sites_of(led)
    colours = palette(site_names)
    t0 = pd.Timestamp(led["timestamp"].min())
    h = pd.Timedelta(hours=1)

    def at(hours: Any) -> Any:
        return t0 + np.asarray(hours, dtype=float) * h

    n = len(jobs)
    labelled = n <= LABELLED_JOBS
    y, ticks, labels = _rows(jobs, site_names)
    rows = (y.max() + 1) if n else 1
    with styled():
        fig = new_figure(11, min(2.2 + 0.22 * rows, MAX_HEIGHT_IN))
        ax = fig.subplots()
        bar = 0.6 if rows < 120 else 0.9
        if labelled and n:
            ax.hlines(y, at(jobs["release_hour"]), at(jobs["deadline_hour"]), color="0.8",
                      linewidth=5, label="release → deadline window")
        started = jobs["start_hour"].to_numpy() >= 0
        for site_index, site in enumerate(site_names):
            mask = started & (jobs["site"].to_numpy() == site_index)
            if mask.any():
                ax.barh(y[mask], jobs["duration_h"].to_numpy()[mask] * h,
                        left=at(jobs["start_hour"].to_numpy()[mask]), height=bar,
                        color=colours[site], label=f"running at {site}")
        if (~started).any():
            if labelled:
                ax.plot(at(jobs["deadline_hour"].to_numpy()[~started]), y[~started], "x",
                        color="#d62728", label="never started (at its deadline)")
            else:
                lo, hi = jobs["release_hour"].to_numpy(), jobs["deadline_hour"].to_numpy()
                ax.barh(y[~started], (hi - lo)[~started] * h, left=at(lo[~started]),
                        height=bar, color="0.75", label="never started: its window")
        late = (jobs["status"] == "late").to_numpy()
        if late.any():
            ax.plot(at(jobs["end_hour"].to_numpy()[late]), y[late], "|", color="black",
                    markersize=10 if labelled else 5, label="finished late")
        ax.set_yticks(ticks)
        ax.set_yticklabels(labels, fontsize="small")
        ax.set_ylim(rows - 0.5, -0.5)
        ax.grid(axis="y", visible=False)
        date_axis(ax)
        ax.set_ylabel("training job (by release)" if labelled else "site where the job ran")
        if n == 0:
            ax.text(0.5, 0.5, "no training jobs", transform=ax.transAxes, ha="center")
        legend_outside(fig)
        ax.set_title(title_of(run, f"Training jobs ({n})"))
    return fig
