"""Parallel speed-up of independent runs: serial vs local processes vs a Dask LocalCluster.

    .venv/bin/python benchmarks/bench_parallel.py [--runs 32] [--workers 2] [--hours 672]
                                                  [--repeat 1] [--no-dask]

Every executor runs the same ``runs`` independent runs (``greedy`` on the ``default``
scenario stretched to ``hours``, one seed each), writing run records like a sweep does.
Reported per executor: wall time (s) including worker start-up, speed-up against serial, and
the overhead per run: (wall x workers - serial simulate time) / runs, i.e. the worker time per
run spent on anything but simulating at serial speed (start-up, pickling, scheduling, the idle
tail, and runs slowed by sharing the machine), with and without the start-up. The Dask
LocalCluster's start-up (scheduler, nannies, workers) is also reported on its own. With
``--repeat`` the executors are measured in interleaved rounds and the fastest round of each is
kept. Not a timed test: the numbers depend on the machine and on what else runs on it (the load
average is printed; 2 workers can only be 2x faster when 2 cores are free).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from analysis.executors import DaskExecutor, Executor, ProcessExecutor, SerialExecutor
from analysis.sweep import run_tasks
from analysis.sweep_expand import expand
from analysis.sweep_spec import SweepSpec


def _spec(runs: int, hours: int) -> SweepSpec:
    return SweepSpec(name="bench-parallel", scenario="default", policies=["greedy"],
                     seeds=list(range(runs)), set={"hours": hours})


def _measure(name: str, executor: Executor, tasks: list, setup_s: float = 0.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as out:
        tic = time.perf_counter()
        done = run_tasks(tasks, Path(out), executor, progress=False)
        wall = time.perf_counter() - tic
    if done.failed:
        raise SystemExit(f"{name}: {done.failed} runs failed: "
                         f"{done.table['error'].dropna().iloc[0]}")
    return {"executor": name, "workers": executor.workers, "runs": done.total,
            "wall_s": wall + setup_s, "setup_s": setup_s,
            "run_s_sum": float(done.table["wall_s"].sum())}


def _round(args: argparse.Namespace, tasks: list) -> list[dict[str, Any]]:
    """One measurement of every executor (each starts its workers afresh)."""
    rows = [_measure("serial", SerialExecutor(), tasks)]
    for method in ("spawn", "forkserver"):
        with ProcessExecutor(args.workers, method) as executor:
            rows.append(_measure(f"processes/{method}", executor, tasks))
    if not args.no_dask:
        tic = time.perf_counter()
        executor = DaskExecutor(n_workers=args.workers)
        startup = time.perf_counter() - tic
        with executor:
            rows.append(_measure("dask/LocalCluster", executor, tasks, setup_s=startup))
    return rows


def main() -> None:
    """Run the benchmark and print a Markdown table (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hours", type=int, default=672, help="run length (h)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds (executors interleaved); the fastest of each is kept")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()

    tasks = expand(_spec(args.runs, args.hours))
    print(f"{args.runs} runs of greedy on 'default' ({args.hours} h each), "
          f"{args.workers} workers, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f} before the start, {args.repeat} round(s)")
    best: dict[str, dict[str, Any]] = {}
    for _ in range(args.repeat):
        for row in _round(args, tasks):
            if row["executor"] not in best or row["wall_s"] < best[row["executor"]]["wall_s"]:
                best[row["executor"]] = row
    rows = list(best.values())
    serial = best["serial"]["wall_s"]
    compute = best["serial"]["run_s_sum"]
    print("\n| executor | workers | wall s | speed-up | start-up s | overhead s/run | "
          "overhead s/run excl. start-up |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        row["speedup"] = serial / row["wall_s"]
        row["overhead_s_per_run"] = (row["wall_s"] * row["workers"] - compute) / args.runs
        row["overhead_s_per_run_after_startup"] = (
            (row["wall_s"] - row["setup_s"]) * row["workers"] - compute) / args.runs
        print(f"| {row['executor']} | {row['workers']} | {row['wall_s']:.1f} | "
              f"{row['speedup']:.2f}x | {row['setup_s']:.1f} | {row['overhead_s_per_run']:.3f} | "
              f"{row['overhead_s_per_run_after_startup']:.3f} |")
    print(f"\nmean simulate time per run (serial): {best['serial']['run_s_sum'] / args.runs:.2f} "
          f"s; load average now {os.getloadavg()[0]:.2f}")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
