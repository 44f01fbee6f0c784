"""Benchmark: one simulated year (8,760 h) of a 20-site scenario under `greedy`.

Target (issue #10): under 3 s of simulation on the 2-core machine. Prints trace generation,
simulation and invariant-check times separately: wall time, and the CPU time of this process
beside it (on a shared machine the CPU time is the fairer figure), with the load average.
Run: ``.venv/bin/python benchmarks/bench_greedy_year.py``.
"""

from __future__ import annotations

import argparse
import os
import time

from gridshift.api import simulate
from simulator.invariants import check_invariants
from simulator.scenario import load_scenario
from simulator.system import build_system
from traces.finish import finish_traces
from traces.synthetic import generate


def twenty_sites(hours: int):
    """The default scenario's five sites, each repeated four times with shifted positions."""
    base = load_scenario("default")
    data = base.model_dump(mode="python")
    sites = []
    for copy in range(4):
        for site in data["sites"]:
            s = dict(site)
            s["name"] = f"{site['name']}-{copy}"
            s["latitude"] = site["latitude"] + 0.5 * copy
            s["longitude"] = site["longitude"] + 0.5 * copy
            sites.append(s)
    data.update(sites=sites, hours=hours, name="bench-20site")
    for region in data["regions"]:
        region["requests_per_hour"] *= 4
    data["jobs"]["arrivals_per_hour"] *= 4
    return base.model_validate(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=int, default=8760)
    parser.add_argument("--policy", default="greedy")
    args = parser.parse_args()
    scenario = twenty_sites(args.hours)
    tic = time.perf_counter()
    traces = finish_traces(scenario, generate(scenario))  # market prices -> site tariffs
    gen_s = time.perf_counter() - tic
    build_system(scenario)
    tic, cpu = time.perf_counter(), time.process_time()
    run = simulate(scenario, args.policy, traces=traces, check=False)
    sim_s, sim_cpu_s = time.perf_counter() - tic, time.process_time() - cpu

    tic = time.perf_counter()
    problems = check_invariants(run.result)
    check_s = time.perf_counter() - tic
    print(f"{len(scenario.sites)} sites x {args.hours} h under {args.policy}: "
          f"traces {gen_s:.2f} s, simulation {sim_s:.2f} s (CPU {sim_cpu_s:.2f} s; engine "
          f"{run.result.meta['simulate_s']:.2f} s), invariants {check_s:.2f} s "
          f"({problems or 'ok'}); load average {os.getloadavg()[0]:.2f}")
    print(f"jobs {run.kpis['jobs_total']}, benefit {run.kpis['total_benefit_usd']:,.0f} USD, "
          f"emissions {run.kpis['emissions_t']:,.0f} t, decide median "
          f"{run.kpis['decide_s_median'] * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
