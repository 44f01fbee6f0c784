"""Sensitivity sweeps: a spec file expands into independent runs that resume after a crash.

A spec (TOML or YAML) names a base scenario, axes over any scenario field by its dotted path,
policies and seeds, as a grid (every combination of the axes) or a list of points::

    name = "battery-paper3site"
    scenario = "paper-3site"          # built-in name, or a path relative to the spec file
    policies = ["fifo", "greedy"]
    seeds = { start = 0, stop = 4 }   # or a list; default: the scenario's own seed
    [set]                             # fixed changes to the base scenario
    hours = 24
    [axes]
    "economics.carbon_price_usd_per_t" = [0, 50, 100]   # a list of values
    "sites.0.pv_mw" = { start = 0.0, stop = 2.0, step = 0.5 }   # an inclusive range
    [axes.battery]                    # a named axis that scales several fields at once
    paths = ["sites.*.battery.energy_mwh", "sites.*.battery.power_mw"]
    scale = [0, 0.5, 1, 2]

``*`` in a path matches every list item where the rest of the path is set (sites without a
battery are skipped). The pseudo path ``n_sites`` keeps the first N sites. With
``mode = "points"``, ``points`` is a list of tables of dotted path -> value (plus an optional
``label``). A key ``[policy_options.<policy>]`` passes options to that policy's constructor.

Output folders (records, books, the tidy table) are :mod:`analysis.sweep_store`; specs are
:mod:`analysis.sweep_spec`; their expansion into runs is :mod:`analysis.sweep_expand`.

The key of a run hashes its full configuration (scenario after every update and the seed,
policy, policy options, GridShift version), so a restarted sweep skips finished runs.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from analysis.executors import Executor, SerialExecutor
from analysis.results import package_versions, to_jsonable
from analysis.runs import simulate
from analysis.sweep_expand import RunTask, expand
from analysis.sweep_spec import SweepSpec, load_spec, parse_spec
from analysis.sweep_store import (
    BOOKS_DIR,
    RECORDS_DIR,
    SWEEP_FILE,
    TABLE_FILE,
    read_records,
    records_table,
    remove_partials,
    save_books,
    write_json_atomic,
    write_table,
)
from policies.registry import check_policy
from simulator.errors import GridShiftError
from simulator.scenario import parse_scenario

# What a worker imports before its first run (so the first runs do not pay for it).
WORKER_MODULES = ("analysis.sweep",)


@dataclass
class RunOutcome:
    """What a worker sends back: the record, and the run's books when they are to be saved."""

    record: dict[str, Any]
    books: Any = None


@dataclass
class SweepResult:
    """A finished (or resumed) sweep: its tidy table and what happened to its runs."""

    table: pd.DataFrame
    out_dir: Path | None
    total: int
    ran: int
    skipped: int
    failed: int
    wall_s: float


# ---- one run (in a worker) -------------------------------------------------------------------
def one_line(err: BaseException) -> str:
    """``Type: first line of the message`` (GridShift errors are one line already)."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def run_task(task: RunTask) -> RunOutcome:
    """Simulate one task; never raises: a failure becomes a record with a one-line error."""
    record: dict[str, Any] = {
        "key": task.key, "point": task.point, "params": task.params, "policy": task.policy,
        "seed": task.seed, "scenario_name": task.scenario.get("name"),
        "policy_options": task.policy_options, "started": _now(),
        "host": socket.gethostname(), "pid": os.getpid(),
    }
    tic = time.perf_counter()
    books = None
    try:
        scenario = parse_scenario(task.scenario, source=str(task.scenario.get("name")))
        done = simulate(scenario, task.policy, policy_options=task.policy_options or None,
                        data_dir=task.data_dir, check=task.check)
        record.update(status="ok", error=None, kpis=to_jsonable(done.kpis),
                      versions=done.meta["versions"], git_commit=done.meta["git_commit"],
                      traces_digest=done.meta["traces"]["digest"])
        if task.save_books:
            books = done
    except Exception as err:  # a failing run is recorded, never stops the sweep
        record.update(status="failed", error=one_line(err), kpis={},
                      versions=package_versions())
        if not isinstance(err, GridShiftError):  # an input error needs no traceback; a bug does
            record["traceback"] = traceback.format_exc(limit=-8)
    record.update(wall_s=time.perf_counter() - tic, finished=_now(), scenario=task.scenario)
    return RunOutcome(record=record, books=books)


# ---- files -----------------------------------------------------------------------------------
# ---- the runner ------------------------------------------------------------------------------
def run_tasks(tasks: Sequence[RunTask], out_dir: str | Path | None = None,
              executor: Executor | None = None, *, retry_failed: bool = False,
              progress: bool = True, desc: str = "sweep",
              spec_info: dict[str, Any] | None = None) -> SweepResult:
    """Run the tasks not yet finished in ``out_dir`` and return the tidy table of all of them.

    Without ``out_dir`` nothing is written or resumed. With it, each finished run is recorded
    at once (atomically), so an interrupted call loses no finished run and a new call skips
    them; failed runs are skipped too unless ``retry_failed``.
    """
    tic = time.perf_counter()
    executor = executor or SerialExecutor()
    if not isinstance(executor, SerialExecutor):
        for task in {t.policy: t for t in tasks}.values():
            check_policy(task.policy, task.policy_options, workers=True)
    out = Path(out_dir) if out_dir is not None else None
    records: dict[str, dict[str, Any]] = {}
    if out is not None:
        (out / RECORDS_DIR).mkdir(parents=True, exist_ok=True)
        remove_partials(out)
        write_json_atomic(out / SWEEP_FILE, {
            **(spec_info or {}), "version": package_versions().get("gridshift"),
            "keys": [t.key for t in tasks]})
        records = read_records(out, [t.key for t in tasks])
    pending = [t for t in tasks if _needs_run(t, records.get(t.key), out, retry_failed)]
    skipped = len(tasks) - len(pending)
    todo = {t.key for t in pending}
    failed = sum(1 for t in tasks if t.key not in todo
                 and records.get(t.key, {}).get("status") == "failed")
    bar = tqdm(total=len(tasks), initial=skipped, unit="run", desc=desc, disable=not progress,
               dynamic_ncols=True, smoothing=0.1)
    bar.set_postfix(failed=failed, refresh=False)
    try:
        for task, outcome, error in executor.map_unordered(run_task, pending):
            if outcome is None:  # the executor lost the worker: record that as the failure
                outcome = RunOutcome(record=_lost_record(task, error or "worker lost"))
            if out is not None:
                if outcome.books is not None:
                    (out / BOOKS_DIR).mkdir(exist_ok=True)
                    save_books(outcome.books, out / BOOKS_DIR / task.key)
                write_json_atomic(out / RECORDS_DIR / f"{task.key}.json", outcome.record)
            records[task.key] = outcome.record
            failed += outcome.record["status"] == "failed"
            bar.set_postfix(failed=failed, refresh=False)
            bar.update(1)
    finally:
        bar.close()
    table = records_table([records[t.key] for t in tasks if t.key in records])
    if out is not None:
        write_table(table, out / TABLE_FILE)
    return SweepResult(table=table, out_dir=out, total=len(tasks), ran=len(pending),
                       skipped=skipped, failed=failed, wall_s=time.perf_counter() - tic)


def _needs_run(task: RunTask, record: dict[str, Any] | None, out: Path | None,
               retry_failed: bool) -> bool:
    if record is None:
        return True
    if record["status"] == "failed":
        return retry_failed
    return task.save_books and out is not None and not (out / BOOKS_DIR / task.key).is_dir()


def _lost_record(task: RunTask, error: str) -> dict[str, Any]:
    return {"key": task.key, "point": task.point, "params": task.params, "policy": task.policy,
            "seed": task.seed, "scenario_name": task.scenario.get("name"), "status": "failed",
            "error": error, "kpis": {}, "wall_s": float("nan"), "finished": _now(),
            "scenario": task.scenario}


@dataclass
class SweepPlan:
    """A spec with its overrides applied, expanded into runs (nothing has run yet)."""

    spec: SweepSpec
    tasks: list[RunTask]
    source: str

    @property
    def info(self) -> dict[str, Any]:
        """What ``sweep.json`` records about the spec."""
        return {"spec": self.spec.model_dump(mode="json"), "source": self.source}


def plan_sweep(spec: SweepSpec | str | Path, *, policies: Sequence[str] | None = None,
               seeds: Sequence[int] | None = None, save_runs: bool | None = None,
               data_dir: str | Path | None = None) -> SweepPlan:
    """Load (if a file), override ``policies``/``seeds``/``save_runs`` and expand a spec.

    Every spec error, unknown policy and invalid point is raised here, before any run starts.
    """
    base_dir = None
    source = spec.name if isinstance(spec, SweepSpec) else str(spec)
    if not isinstance(spec, SweepSpec):
        base_dir = Path(spec).parent
        spec = load_spec(spec)
    updates: dict[str, Any] = {}
    if policies is not None:
        updates["policies"] = list(policies)
        updates["policy_options"] = {k: v for k, v in spec.policy_options.items()
                                     if k in policies}
    if seeds is not None:
        updates["seeds"] = list(seeds)
    if save_runs is not None:
        updates["save_runs"] = save_runs
    if updates:
        spec = parse_spec({**spec.model_dump(mode="json", exclude_unset=True), **updates},
                          source=source)
    return SweepPlan(spec, expand(spec, base_dir, source=source, data_dir=data_dir), source)


def run_sweep(spec: SweepSpec | str | Path, out_dir: str | Path | None = None,
              executor: Executor | None = None, *, policies: Sequence[str] | None = None,
              seeds: Sequence[int] | None = None, retry_failed: bool = False,
              save_runs: bool | None = None, data_dir: str | Path | None = None,
              progress: bool = True) -> SweepResult:
    """Expand a spec (object or file) and run it; ``policies``/``seeds`` override the spec's."""
    plan = plan_sweep(spec, policies=policies, seeds=seeds, save_runs=save_runs,
                      data_dir=data_dir)
    return run_tasks(plan.tasks, out_dir, executor, retry_failed=retry_failed,
                     progress=progress, desc=plan.spec.name, spec_info=plan.info)
