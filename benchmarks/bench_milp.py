"""Benchmark of the joint MILP (issue #3 targets). Not a timed test.

    .venv/bin/python benchmarks/bench_milp.py [--reps 5] [--skip-oracle] [--real]

1. ``paper-3site`` single joint solve (3 sites, 24 h, all 6 jobs, realized traces) to a 1 %
   gap: build, update and solve time, wall and CPU; the LP/sub-MIP pipeline against plain
   HiGHS branch and bound on the same model, and against the textbook formulation (every
   charge/discharge and import/export indicator binary, plain branch and bound; 60 s limit).
   Target: under 1 s.
2. ``default`` at the busiest 24-hour window (5 sites, the most jobs): the same two solvers.
3. ``default`` ``milp`` run (5 sites, 168 hourly re-plans, 24 h horizon): wall time and the
   distribution of per-step build and solve time; every step's gap or status. Target: < 2 min.
4. ``oracle`` on ``default`` (one solve over 168 h with every job). Target: under 5 minutes.
5. (``--real``) ``real-2022``: the four-week replay (5 sites, 672 h, 1,000 GAIA jobs) under
   ``milp`` (672 re-plans) and ``oracle`` (one solve over 672 h, ~39,000 start binaries).
   Target: each under 5 minutes. Needs the real 2022 data (docs/real-data.md).

Times depend on what else runs on the machine; the 1-minute load average is printed. Gaps are
relative to the loss objective (benefit minus an ideal-hour offset, see docs/milp.md).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from gridshift.api import build_traces, simulate
from optimizers.milp import JointModel, SolverOptions, Switches, from_traces
from simulator.errors import TraceError
from simulator.scenario import load_scenario
from simulator.system import build_system


def single_solve(name: str, t0: int, horizon: int, neighbourhood_h: int,
                 indicators: str) -> dict[str, float]:
    """Build, update and solve one model from scratch; seconds (wall and CPU) and the result."""
    scenario = load_scenario(name)
    system, traces = build_system(scenario), build_traces(scenario)
    wall, cpu = time.perf_counter(), time.process_time()
    model = JointModel(system, Switches(), horizon, indicators=indicators,
                       solver=SolverOptions(neighbourhood_h=neighbourhood_h, time_limit_s=60))
    data = from_traces(system, traces, t0=t0, horizon=horizon)
    update_s = model.update(data)
    plan = model.solve()
    return {"jobs": len(data.jobs), "integers": plan.n_integer, "build_s": model.build_s,
            "update_s": update_s, "solve_s": plan.stats.solve_s,
            "total_wall_s": time.perf_counter() - wall, "total_cpu_s": time.process_time() - cpu,
            "gap": plan.stats.gap, "phase": plan.stats.phase, "status": plan.stats.status,
            "benefit_usd": plan.benefit_usd}


def busiest_window(name: str, horizon: int) -> int:
    """Run hour whose horizon holds the most schedulable jobs."""
    scenario = load_scenario(name)
    system, traces = build_system(scenario), build_traces(scenario)
    counts = [len(from_traces(system, traces, t0=t, horizon=horizon).jobs)
              for t in range(traces.run_hours - horizon)]
    return int(np.argmax(counts))


def compare_solvers(name: str, t0: int, horizon: int, reps: int) -> None:
    rows = []
    for label, radius, indicators in (("LP + sub-MIP", 1, "auto"), ("plain B&B", -1, "auto"),
                                      ("textbook", -1, "always")):
        for _ in range(reps):
            rows.append({"solver": label,
                         **single_solve(name, t0, horizon, radius, indicators)})
    table = pd.DataFrame(rows)
    print(table.groupby("solver").agg(
        jobs=("jobs", "first"), integers=("integers", "first"), status=("status", "first"),
        build_s=("build_s", "median"), update_s=("update_s", "median"),
        solve_s_median=("solve_s", "median"), solve_s_max=("solve_s", "max"),
        total_wall_s=("total_wall_s", "median"), total_cpu_s=("total_cpu_s", "median"),
        gap_max=("gap", "max"), phase=("phase", "first"),
        benefit_usd=("benefit_usd", "first")).round(4).T.to_string())


def distribution(values: pd.Series) -> str:
    q = values.quantile([0.5, 0.9, 0.95, 0.99])
    return (f"median {q[0.5]:.3f}  p90 {q[0.9]:.3f}  p95 {q[0.95]:.3f}  p99 {q[0.99]:.3f}  "
            f"max {values.max():.3f}  total {values.sum():.1f}")


def rolling_run(name: str, policy: str) -> None:
    tic = time.perf_counter()
    run = simulate(name, policy)
    wall = time.perf_counter() - tic
    steps = run.result.steps
    print(f"{policy} on {name}: {len(steps)} steps, wall {wall:.1f} s "
          f"(simulation incl. policy {run.meta['simulate_s']:.1f} s), "
          f"benefit {run.kpis['total_benefit_usd']:,.0f} USD, clips {run.kpis['clips']}, "
          f"fallbacks {run.kpis.get('fallbacks', 0)}")
    solved = steps.dropna(subset=["solve_s"])
    for column in ("build_s", "solve_s", "decide_s"):
        print(f"  {column:9s} {distribution(solved[column])}")
    print(f"  MIP gap   max {solved['mip_gap'].max():.4f}; steps over 1 %: "
          f"{int((solved['mip_gap'] > 0.01 + 1e-9).sum())}; statuses "
          f"{solved['status'].value_counts().to_dict()}")
    if "phase" in solved:
        print(f"  phases    {solved['phase'].value_counts().to_dict()}")


def real_runs(skip_oracle: bool) -> None:
    try:
        build_traces(load_scenario("real-2022"))
    except TraceError as err:
        print(f"skipped: the real 2022 data is not available ({err})")
        return
    rolling_run("real-2022", "milp")
    if not skip_oracle:
        rolling_run("real-2022", "oracle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--skip-oracle", action="store_true")
    parser.add_argument("--real", action="store_true",
                        help="also time the real-2022 four-week replay (milp, oracle)")
    args = parser.parse_args()
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    print("\n== 1. paper-3site single joint solve (24 h, 6 jobs), target < 1 s ==")
    compare_solvers("paper-3site", 0, 24, args.reps)

    t0 = busiest_window("default", 24)
    print(f"\n== 2. default single solve at its busiest 24 h window (t0 = {t0}) ==")
    compare_solvers("default", t0, 24, max(1, args.reps // 2))

    print("\n== 3. default milp run (168 re-plans, 24 h horizon), target < 120 s ==")
    rolling_run("default", "milp")

    if not args.skip_oracle:
        print("\n== 4. oracle on default (168 h, every job), target < 300 s ==")
        rolling_run("default", "oracle")
    if args.real:
        print("\n== 5. real-2022 (672 h, 1,000 jobs): milp and oracle, target < 300 s each ==")
        real_runs(args.skip_oracle)
    print(f"\nload average (1 min) at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
