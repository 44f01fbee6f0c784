"""GridShift: carbon-aware compute-power scheduling of AI data centers with microgrids.

Simulate and compare: :func:`simulate`, :func:`run`, :func:`compare`, :func:`load_run`.
Batch evaluation with confidence intervals: :func:`compare_policies`, :func:`summarize`,
:func:`run_sweep`, :func:`load_spec`. Results: :func:`report` (HTML), :mod:`figures`,
:func:`format_comparison` and :func:`kpi_table` (terminal tables). The batch and figure parts
are imported on first use, so ``import gridshift`` stays quick.
"""

from importlib import import_module
from typing import Any

from gridshift.api import Run, build_traces, compare, load_run, report, run, simulate
from simulator.scenario import Scenario, load_scenario

_LAZY = {
    "compare_policies": ("analysis.compare", "compare_policies"),
    "summarize": ("analysis.compare", "summarize"),
    "run_sweep": ("analysis.sweep", "run_sweep"),
    "load_spec": ("analysis.sweep", "load_spec"),
    "format_comparison": ("analysis.tables", "format_comparison"),
    "kpi_table": ("analysis.tables", "kpi_table"),
    "figures": ("analysis.figures", None),
}

__all__ = ["Run", "Scenario", "build_traces", "compare", "load_run", "load_scenario", "report",
           "run", "simulate", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'gridshift' has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = import_module(module)
    return value if attr is None else getattr(value, attr)
