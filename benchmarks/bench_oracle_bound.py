"""Benchmark: the oracle's bound and feasible plan on a long run (issue 10, item 4).

Target: a year at 5 sites (``default`` with hours=8760) -> an oracle bound and a feasible plan
in < 10 minutes on the 2-core machine. Prints the method chosen, build/solve seconds, the
bound, the plan's planned and realized benefit and their gap to the bound, the whole-run wall
time, the process's user CPU seconds and peak RSS, and the 1-minute load average before and
after (the machine is shared: compare CPU seconds, not wall times, across loads). Run:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_oracle_bound.py [--hours 8760]
        [--method auto|exact|relaxed] [--scenario real-2022 --start 2022-01-08T00:00:00Z]
        [--scenario 20]
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from gridshift.api import simulate
from simulator.scenario import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="default",
                        help="a scenario name, or 20 for bench_greedy_year's 20-site scenario")
    parser.add_argument("--hours", type=int, default=8760)
    parser.add_argument("--method", default="auto")
    parser.add_argument("--start", default=None,
                        help="run start (UTC, e.g. 2022-01-08T00:00:00Z; real-data scenarios)")
    args = parser.parse_args()
    updates: dict[str, object] = {"hours": args.hours}
    if args.start:
        updates["start"] = args.start
    if args.scenario == "20":
        from benchmarks.bench_greedy_year import twenty_sites

        scenario = twenty_sites(args.hours)
    else:
        scenario = load_scenario(args.scenario).with_updates(updates)
    load_before = os.getloadavg()[0]
    tic = time.perf_counter()
    run = simulate(scenario, "oracle", policy_options={"method": args.method}, check=True)
    wall = time.perf_counter() - tic
    hour0 = run.result.steps.iloc[0]
    bound, benefit = run.kpis["oracle_bound_usd"], run.kpis["total_benefit_usd"]
    print(f"{args.scenario} {len(scenario.sites)} sites x {args.hours} h, oracle "
          f"method={args.method} -> bound by {run.kpis['oracle_bound_method']}, "
          f"phase {hour0['phase']}, status {hour0['status']}")
    print(f"build {hour0['build_s']:.1f} s, solve {hour0['solve_s']:.1f} s, whole run "
          f"{wall:.1f} s; start binaries {int(hour0['n_integer'])}")
    print(f"bound {bound:,.0f} USD, planned {hour0['objective']:,.0f} USD, realized "
          f"{benefit:,.0f} USD, realized gap to bound {(bound - benefit) / abs(bound):.4%}"
          f"{'' if benefit <= bound * (1 + 1e-6) else '  VIOLATION'}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"user CPU {usage.ru_utime:.1f} s, system CPU {usage.ru_stime:.1f} s, peak RSS "
          f"{usage.ru_maxrss / 2**20:.2f} GB, load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
