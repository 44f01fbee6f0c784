"""Figures (matplotlib's Agg canvas, seaborn styling): one run, and across runs.

Every function returns a :class:`matplotlib.figure.Figure` with a title, axis labels with
units (from :mod:`analysis.catalogue`), dates on time axes and a legend outside the data; no
pyplot state is touched, so they are safe in servers, workers and notebooks alike.
:func:`figure_png` renders one to PNG bytes.

One run (a run folder, an ``api.Run``, a ``RunResult`` or a dict of its tables):
:func:`plot_dispatch`, :func:`plot_soc`, :func:`plot_routing`, :func:`plot_jobs`,
:func:`plot_signals`. Several runs of one scenario: :func:`plot_hourly`. Across runs (a
sweep's tidy results table): :func:`plot_benefit_emissions`, :func:`plot_sensitivity`,
:func:`plot_regret`, :func:`plot_paired_differences`, :func:`plot_pareto`.
"""

from analysis.catalogue import label_of, unit_of
from analysis.figures.across import plot_benefit_emissions, plot_regret, plot_sensitivity
from analysis.figures.effects import (
    carbon_price_param,
    plot_hourly,
    plot_paired_differences,
    plot_pareto,
)
from analysis.figures.gantt import plot_jobs
from analysis.figures.run import plot_dispatch, plot_routing, plot_signals, plot_soc
from analysis.figures.style import figure_png, run_tables

RUN_FIGURES = {
    "dispatch": plot_dispatch,
    "state_of_charge": plot_soc,
    "routing": plot_routing,
    "jobs": plot_jobs,
    "signals": plot_signals,
}

__all__ = [
    "RUN_FIGURES", "carbon_price_param", "figure_png", "label_of", "plot_benefit_emissions",
    "plot_dispatch", "plot_hourly", "plot_jobs", "plot_paired_differences", "plot_pareto",
    "plot_regret", "plot_routing", "plot_sensitivity", "plot_signals", "plot_soc",
    "run_tables", "unit_of",
]
