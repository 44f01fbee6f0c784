"""The Python API: the CLI is a thin layer over these functions.

Every failure is a :class:`simulator.errors.GridShiftError` subclass with one line naming the
field, file, option or policy: ``ScenarioError``, ``TraceError``, ``PolicyError`` and
``OutputError`` for bad input (nothing has run), ``RunFailedError`` (``InvariantError``) for a
run that started and failed; the original exception, if any, is its ``__cause__``.

>>> from gridshift import load_scenario, simulate
>>> result = simulate(load_scenario("paper-3site"), "greedy")
>>> result.kpis["total_benefit_usd"]  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis.collection import write_comparison
from analysis.results import TABLES, check_output_dir, read_run, safe_name, write_run
from analysis.runs import Run, as_scenario, build_traces, checked_seed, scenario_key, simulate
from policies.registry import make_policy
from simulator.engine import RunResult
from simulator.errors import PolicyError, ScenarioError
from simulator.scenario import Scenario, parse_scenario
from simulator.system import build_system

__all__ = ["Run", "build_traces", "compare", "load_run", "report", "run", "scenario_key",
           "simulate"]

DEFAULT_RESULTS_DIR = Path("results")


def load_run(path: str | Path) -> Run:
    """A run folder read back: the books as pandas tables, KPIs, metadata and its system."""
    folder = Path(path)
    if not (folder / "meta.json").is_file() or not (folder / "ledger.parquet").is_file():
        raise ScenarioError(f"{folder}: not a run folder (meta.json and ledger.parquet)")
    tables = read_run(folder)
    meta = tables.pop("meta")
    kpis = tables.pop("kpis")
    books = {name: tables.pop(name, pd.DataFrame()) for name in TABLES}
    system = build_system(parse_scenario(meta["scenario"], source=str(folder / "meta.json")))
    result = RunResult(system=system, meta=meta, extras=tables, **books)
    return Run(result=result, kpis=kpis, meta=meta, folder=folder)


def run(
    scenario: Scenario | str | Path,
    policy: str = "greedy",
    *,
    out_dir: str | Path = DEFAULT_RESULTS_DIR,
    **kwargs: Any,
) -> Run:
    """Simulate and write the run folder ``out_dir/<scenario>-<policy>-s<seed>-<key>`` (the
    name made safe: it always lands directly inside ``out_dir``). ``out_dir`` is checked
    before the run starts."""
    out = check_output_dir(out_dir, "--out")
    done = simulate(scenario, policy, **kwargs)
    name = safe_name(f"{done.meta['scenario_name']}-{done.meta['policy']}-"
                     f"s{done.meta['seed']}", limit=100) + f"-{done.meta['key']}"
    done.folder = write_run(done.result, out / name, done.kpis, done.meta)
    return done


def compare(
    scenario: Scenario | str | Path,
    policies: list[str],
    *,
    seed: int | None = None,
    out_dir: str | Path | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Run several policies on the same scenario and traces; one row of KPIs per policy.

    With ``out_dir``, each run's folder goes there and ``comparison.json`` lists them (a
    comparison folder that ``gridshift report`` reads). Policies and ``out_dir`` are checked
    before the first run."""
    scenario = as_scenario(scenario)
    if seed is not None:
        scenario = scenario.with_updates({"seed": checked_seed(seed)})
    if isinstance(policies, str) or not all(isinstance(p, str) for p in policies):
        raise PolicyError(f"policies: expected a list of policy names, got {policies!r}")
    for name in policies:
        make_policy(name, **(kwargs.get("policy_options") or {}))
    if out_dir is not None:
        check_output_dir(out_dir, "out_dir")
    traces = build_traces(scenario, kwargs.pop("data_dir", None))
    rows, folders = [], {}
    for name in policies:
        if out_dir is None:
            done = simulate(scenario, name, traces=traces, **kwargs)
        else:
            done = run(scenario, name, traces=traces, out_dir=out_dir, **kwargs)
            folders[name] = done.folder
        rows.append({"policy": name, **done.kpis})
    if out_dir is not None:
        write_comparison(out_dir, folders, scenario=scenario.name, seed=scenario.seed,
                         command="gridshift.compare")
    return pd.DataFrame(rows).set_index("policy")


def report(path: str | Path, out: str | Path | None = None, **kwargs: Any) -> Path:
    """Write the HTML report of a run, comparison, sweep or tables folder; return its path
    (keyword arguments: see :func:`analysis.report.write_report`)."""
    from analysis.report import write_report  # matplotlib and seaborn: only when reporting

    return write_report(path, out, **kwargs)
