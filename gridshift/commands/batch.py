"""Batch evaluation commands: ``compare``, ``sweep`` and ``report``.

Runs go to local worker processes by default (``--workers``, spawn or forkserver), to a
dask.distributed scheduler with ``--dask ADDRESS``, or to a LocalCluster with
``--dask-local N``. Exit status: 0 when every run finished, 1 when some failed (each is
recorded with its error), 2 for a usage or input error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from analysis.catalogue import format_value, header_of
from analysis.compare import comparison_spec, summarize
from analysis.executors import START_METHODS, Executor, make_executor
from analysis.results import check_output_dir, check_output_file
from analysis.site_kpis import by_site_table
from analysis.sweep import WORKER_MODULES, SweepResult, plan_sweep, run_tasks
from analysis.sweep_store import param_columns, value_label
from analysis.tables import format_comparison, grid
from gridshift.overrides import (
    DaysOpt,
    FillOpt,
    LongRunOpt,
    PolicyOptionOpt,
    policy_options,
    scenario_overrides,
)
from gridshift.overrides import StartOpt as RunStartOpt
from simulator.errors import RunFailedError, SweepSpecError

ScenarioArg = Annotated[str, typer.Argument(help="built-in name or a TOML/YAML scenario file")]
PoliciesOpt = Annotated[str | None, typer.Option(
    "--policies", help="comma-separated policy names (see `gridshift policies`)")]
SeedsOpt = Annotated[str | None, typer.Option(
    "--seeds", "--seed", help="seeds: 0-4, or 0,1,2 (default: the scenario's own)")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", "-j", help="local worker processes (default: one per CPU; 1 = in process)")]
StartOpt = Annotated[str, typer.Option(
    "--start-method", help=f"how workers start: {' or '.join(START_METHODS)}")]
DaskOpt = Annotated[str | None, typer.Option(
    "--dask", metavar="ADDRESS", help="run on this dask.distributed scheduler (tcp://host:8786)")]
DaskLocalOpt = Annotated[int | None, typer.Option(
    "--dask-local", metavar="N", help="start a Dask LocalCluster of N worker processes")]
DataOpt = Annotated[Path | None, typer.Option(
    "--data-dir", envvar="GRIDSHIFT_DATA_DIR", help="folder with the real 2022 data")]
CheckOpt = Annotated[bool, typer.Option("--check/--no-check", help="run the invariant checker")]
RetryOpt = Annotated[bool, typer.Option(
    "--retry-failed", help="run again the runs recorded as failed")]
ConfidenceOpt = Annotated[float, typer.Option(help="confidence level of the intervals")]
BaselineOpt = Annotated[str | None, typer.Option(
    help="policy the changes are measured against (default: the first)")]


MAX_SEEDS = 10_000


def parse_seeds(text: str | None) -> list[int] | None:
    """``"0-4"`` -> [0..4], ``"0,2,7"`` -> [0, 2, 7], ``"0-2,9"`` -> [0, 1, 2, 9]."""
    if text is None:
        return None
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if part.startswith("-"):
            raise SweepSpecError(f"--seeds: '{part}': seeds are whole numbers >= 0")
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if match is None or (match[2] is not None and int(match[2]) < int(match[1])):
            raise SweepSpecError(f"--seeds: '{part}' is not a seed or a range like 0-4")
        lo, hi = int(match[1]), int(match[2] if match[2] is not None else match[1])
        if hi - lo + len(seeds) >= MAX_SEEDS:
            raise SweepSpecError(f"--seeds: '{part}' gives more than {MAX_SEEDS:,} seeds")
        known = set(seeds)
        seeds += [s for s in range(lo, hi + 1) if s not in known]
    if not seeds:
        raise SweepSpecError("--seeds: no seed given")
    return seeds


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [p.strip() for p in text.split(",") if p.strip()]
    if not names:
        raise SweepSpecError("--policies: no policy given")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SweepSpecError(f"--policies: {', '.join(map(repr, twice))} listed twice")
    return names


def _executor(workers: int | None, start_method: str, dask: str | None,
              dask_local: int | None, runs: int) -> Executor:
    if dask is None and dask_local is None and workers is None and runs <= 1:
        workers = 1
    return make_executor(workers, start_method=start_method, dask=dask, dask_local=dask_local,
                         warm_modules=WORKER_MODULES)


def _all_failed(done: SweepResult) -> None:
    """Every run failed: no table to print, one line on why (the first error) and exit 1."""
    if done.total and done.failed == done.total:
        first = done.table["error"].dropna()
        why = f"; first: {first.iloc[0]}" if len(first) else ""
        raise RunFailedError(f"all {done.total} runs failed{why}")


def _failures(done: SweepResult) -> None:
    if not done.failed:
        return
    failed = done.table[done.table["status"] != "ok"]
    typer.echo(f"{done.failed} run(s) failed:", err=True)
    for row in failed.head(10).itertuples(index=False):
        typer.echo(f"  {row.key} {row.policy} seed {row.seed}: {row.error}", err=True)
    if len(failed) > 10:
        typer.echo(f"  ... and {len(failed) - 10} more (see the 'error' column)", err=True)


def compare(
    scenario: ScenarioArg,
    policies: PoliciesOpt = "fifo,greedy",
    seeds: SeedsOpt = None,
    baseline: BaselineOpt = None,
    oracle: Annotated[str, typer.Option(help="policy regret is measured against")] = "oracle",
    confidence: ConfidenceOpt = 0.95,
    workers: WorkersOpt = None,
    start_method: StartOpt = "spawn",
    dask: DaskOpt = None,
    dask_local: DaskLocalOpt = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="keep run records, books and the tables here (resumable)")] = None,
    table: Annotated[Path | None, typer.Option(
        help="also write the tidy summary to this .csv or .parquet file")] = None,
    all_kpis: Annotated[bool, typer.Option("--all-kpis", help="print every KPI")] = False,
    forecast: Annotated[str | None, typer.Option(help="forecaster for every signal")] = None,
    check: CheckOpt = True,
    retry_failed: RetryOpt = False,
    data_dir: DataOpt = None,
    start: RunStartOpt = None,
    days: DaysOpt = None,
    fill: FillOpt = None,
    by: Annotated[str, typer.Option(
        "--by", help="run (whole system), site or zone: one block per site or zone")] = "run",
    allow_long_run: LongRunOpt = False,
    policy_option: PolicyOptionOpt = None,
) -> None:
    """Run policies x seeds in parallel; print each KPI's mean and confidence interval across
    seeds, the change against a baseline policy and the regret against the oracle."""
    if by not in ("run", "site", "zone"):
        raise SweepSpecError(f"--by: must be run, site or zone, got {by!r}")
    names = _names(policies) or []
    if not 0.0 < confidence < 1.0:
        raise SweepSpecError(f"--confidence: must be in (0, 1), e.g. 0.95; got {confidence:g}")
    if baseline is not None and baseline not in names:
        raise SweepSpecError(f"--baseline: '{baseline}' is not among --policies "
                             f"({', '.join(names)})")
    if table is not None:
        check_output_file(table, "--table", (".csv", ".parquet"))
    if out is not None:
        check_output_dir(out, "--out")
    options = policy_options(policy_option, names)
    plan = plan_sweep(comparison_spec(scenario, names, parse_seeds(seeds), forecast=forecast,
                                      check=check, save_runs=out is not None,
                                      policy_options=options,
                                      updates=scenario_overrides(start, days, fill,
                                                                 allow_long_run)),
                      data_dir=data_dir)
    with _executor(workers, start_method, dask, dask_local, len(plan.tasks)) as executor:
        typer.echo(f"{len(plan.tasks)} runs on {executor.describe()}", err=True)
        done = run_tasks(plan.tasks, out, executor, retry_failed=retry_failed, progress=True,
                         desc=plan.spec.name, spec_info=plan.info)
    _failures(done)
    _all_failed(done)
    results = done.table if by == "run" else by_site_table(done.table, f"by_{by}")
    summary = summarize(results, baseline=baseline, oracle=oracle, confidence=confidence,
                        policies=names)
    kpis = list(dict.fromkeys(summary["kpi"])) if all_kpis else None
    typer.echo(format_comparison(summary, confidence=confidence, **(
        {"kpis": kpis} if kpis else {})))
    if table is not None:
        _write_frame(summary, table)
        typer.echo(f"summary table: {table}")
    if out is not None:
        typer.echo(f"runs in {out} (report: gridshift report {out})")
    if done.failed:
        raise typer.Exit(1)


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


def sweep(
    spec: Annotated[Path, typer.Argument(help="sweep spec file (TOML or YAML)")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="output folder (default: results/sweeps/<spec name>)")] = None,
    policies: PoliciesOpt = None,
    seeds: SeedsOpt = None,
    workers: WorkersOpt = None,
    start_method: StartOpt = "spawn",
    dask: DaskOpt = None,
    dask_local: DaskLocalOpt = None,
    retry_failed: RetryOpt = False,
    save_runs: Annotated[bool | None, typer.Option(
        "--save-runs/--no-save-runs", help="also keep each run's books (default: the spec's)")]
    = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="list the points and runs, run nothing")] = False,
    kpi: Annotated[str, typer.Option(help="KPI of the printed summary")] = "total_benefit_usd",
    data_dir: DataOpt = None,
) -> None:
    """Run a sensitivity sweep; finished runs are skipped when it is started again."""
    plan = plan_sweep(spec, policies=_names(policies), seeds=parse_seeds(seeds),
                      save_runs=save_runs, data_dir=data_dir)
    folder = out if out is not None else Path("results") / "sweeps" / plan.spec.name
    check_output_dir(folder, "--out")
    tasks = plan.tasks
    if dry_run:
        points = {t.point: t.params for t in tasks}
        for index, params in points.items():
            typer.echo(f"point {index}: {params or '(base scenario)'}")
        done = sum((folder / "runs" / f"{t.key}.json").exists() for t in tasks)
        typer.echo(f"{len(tasks)} runs ({len(points)} points x {len(plan.spec.policies)} "
                   f"policies x {len({t.seed for t in tasks})} seeds); {done} already "
                   f"recorded in {folder}")
        return
    with _executor(workers, start_method, dask, dask_local, len(tasks)) as executor:
        typer.echo(f"sweep '{plan.spec.name}': {len(tasks)} runs on {executor.describe()} "
                   f"-> {folder}", err=True)
        try:
            done = run_tasks(tasks, folder, executor, retry_failed=retry_failed,
                             progress=True, desc=plan.spec.name, spec_info=plan.info)
        except KeyboardInterrupt:
            typer.echo(f"interrupted: finished runs are kept in {folder}; run the same "
                       f"command again to resume", err=True)
            raise typer.Exit(130) from None
    typer.echo(f"{done.total} runs: {done.ran} run now, {done.skipped} recorded before, "
               f"{done.failed} failed; {done.wall_s:.1f} s")
    _failures(done)
    _all_failed(done)
    typer.echo(_pivot(done.table, kpi, plan.spec.policies))
    typer.echo(f"table: {folder / 'results.parquet'} (report: gridshift report {folder})")
    if done.failed:
        raise typer.Exit(1)


def _pivot(table: pd.DataFrame, kpi: str, policies: list[str]) -> str:
    """Mean (and standard deviation) of one KPI across seeds, per point and policy."""
    ok = table[table["status"] == "ok"]
    if ok.empty:
        return "(no finished runs)"
    if kpi not in ok:
        raise SweepSpecError(f"--kpi: no KPI '{kpi}' in the results")
    index = param_columns(table) or ["scenario"]
    labels = {p: ok[p].map(value_label) for p in index}
    grouped = ok.assign(**labels).groupby([*index, "policy"], sort=False)[kpi]
    cell = grouped.mean().map(lambda v: format_value(kpi, v)) + grouped.std().map(
        lambda v: f" ± {format_value(kpi, v)}" if pd.notna(v) else "")
    wide = cell.unstack("policy")
    order = ok.assign(**labels).sort_values("point", kind="stable")[index].drop_duplicates()
    wide = wide.reindex(pd.MultiIndex.from_frame(order) if len(index) > 1 else order[index[0]])
    wide = wide[[p for p in policies if p in wide.columns]].fillna("")
    rows = {", ".join(map(str, k)) if isinstance(k, tuple) else str(k): list(v)
            for k, v in wide.iterrows()}
    return grid(rows, list(wide.columns), f"{header_of(kpi)}: mean ± std across seeds",
                first=", ".join(index))


def report(
    path: Annotated[Path, typer.Argument(help="a run, comparison, sweep/compare or tables folder")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="HTML file to write (default: PATH/report.html)")] = None,
    max_runs: Annotated[int, typer.Option(
        help="single runs (with saved books) to draw in a sweep report")] = 4,
    confidence: ConfidenceOpt = 0.95,
    baseline: BaselineOpt = None,
    dpi: Annotated[int, typer.Option(help="figure resolution (dots per inch)")] = 100,
) -> None:
    """Write a self-contained HTML report with figures and tables."""
    from analysis.report import write_report  # seaborn and matplotlib: only when reporting

    if not 0.0 < confidence < 1.0:
        raise SweepSpecError(f"--confidence: must be in (0, 1), e.g. 0.95; got {confidence:g}")
    if not 10 <= dpi <= 1200:
        raise SweepSpecError(f"--dpi: must be from 10 to 1200, got {dpi}")
    if max_runs < 0:
        raise SweepSpecError(f"--max-runs: must be >= 0, got {max_runs}")
    if out is not None:
        check_output_file(out, "--out", (".html", ".htm"))

    target = write_report(path, out, max_runs=max_runs, confidence=confidence,
                          baseline=baseline, dpi=dpi,
                          progress=lambda text: typer.echo(f"  {text}", err=True))
    typer.echo(f"report: {target}")


def register(app: typer.Typer) -> None:
    """Add ``compare``, ``sweep`` and ``report`` to the ``gridshift`` command."""
    app.command()(compare)
    app.command()(sweep)
    app.command()(report)
