"""The Python API: the CLI is a thin layer over these functions.

>>> from gridshift import load_scenario, simulate
>>> result = simulate(load_scenario("paper-3site"), "greedy")
>>> result.kpis["total_benefit_usd"]  # doctest: +SKIP
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.results import write_run
from analysis.runs import Run, build_traces, scenario_key, simulate
from simulator.scenario import Scenario, load_scenario

__all__ = ["Run", "build_traces", "compare", "run", "scenario_key", "simulate"]

DEFAULT_RESULTS_DIR = Path("results")


def run(
    scenario: Scenario | str | Path,
    policy: str = "greedy",
    *,
    out_dir: str | Path = DEFAULT_RESULTS_DIR,
    **kwargs: Any,
) -> Run:
    """Simulate and write the run folder ``out_dir/<scenario>-<policy>-s<seed>-<key>``."""
    done = simulate(scenario, policy, **kwargs)
    policy_part = re.sub(r"[^A-Za-z0-9._-]+", "_", done.meta["policy"])  # rl:path/x.py:f
    name = f"{done.meta['scenario_name']}-{policy_part}-s{done.meta['seed']}-" \
           f"{done.meta['key']}"
    done.folder = write_run(done.result, Path(out_dir) / name, done.kpis, done.meta)
    return done


def compare(
    scenario: Scenario | str | Path,
    policies: list[str],
    *,
    seed: int | None = None,
    out_dir: str | Path | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Run several policies on the same scenario and traces; one row of KPIs per policy."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if seed is not None:
        scenario = scenario.with_updates({"seed": seed})
    traces = build_traces(scenario, kwargs.pop("data_dir", None))
    rows = []
    for name in policies:
        if out_dir is None:
            done = simulate(scenario, name, traces=traces, **kwargs)
        else:
            done = run(scenario, name, traces=traces, out_dir=out_dir, **kwargs)
        rows.append({"policy": name, **done.kpis})
    return pd.DataFrame(rows).set_index("policy")
