"""Benchmark: the rolling MILP at scale (issue 10): per-step build/solve times and benefit.

For each case (``5`` = the ``default`` scenario, ``20`` = bench_greedy_year's 20-site scenario,
or any scenario name such as ``real-2022`` / ``paper-3site``) it runs ``--policy`` (``milp``)
over ``--hours`` and prints per-step median / p95 / max of ``build_s`` and ``solve_s`` (ms), the
mean step, the median and mean CPU time of a step (``cpu_s``; on a shared machine wall times are
inflated, CPU times much less), the whole-run wall and CPU time, the benefit, the worst MIP gap,
how many steps were not proven optimal, the phases that produced the plans and the machine's
load average. ``--baseline DIR`` runs the same measurement with
another checkout of the code (e.g. ``git archive main | tar -x -C /tmp/base``) in a subprocess
and prints the benefit difference, so the formulations compare on the same run.

    python benchmarks/bench_scale.py --cases 5 20 --hours 168
    python benchmarks/bench_scale.py --cases default --hours 168 --baseline /tmp/base
    python benchmarks/bench_scale.py --cases 20 --hours 8760      # a year (long)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CODE = os.environ.get("BENCH_SCALE_CODE", str(ROOT))  # the checkout whose code runs
sys.path.insert(0, CODE)  # before the installed package (which may point elsewhere)


def scenario_for(case: str, hours: int):
    """``5`` -> default, ``20`` -> the 20-site bench scenario, else a scenario name."""
    from benchmarks.bench_greedy_year import twenty_sites
    from gridshift.overrides import resolve_scenario

    if case == "20":
        return twenty_sites(hours)
    name = "default" if case == "5" else case
    return resolve_scenario(name, days=hours / 24.0)


def measure(case: str, hours: int, policy: str) -> dict[str, float | int | str]:
    """One run; its timing and quality figures."""
    from gridshift.api import simulate

    if not simulate.__code__.co_filename.startswith(CODE):
        raise RuntimeError(f"measuring {simulate.__code__.co_filename}, not {CODE}")

    scenario = scenario_for(case, hours)
    tic, cpu = time.perf_counter(), time.process_time()
    run = simulate(scenario, policy, check=False)
    wall, cpu = time.perf_counter() - tic, time.process_time() - cpu
    steps = run.result.steps
    out: dict[str, float | int | str] = {
        "case": case, "sites": len(scenario.sites), "hours": hours, "run_s": wall,
        "cpu_s": cpu,
        "engine_s": float(run.result.meta["wall_s"]),
        "benefit_usd": float(run.kpis["total_benefit_usd"]),
        "step_mean_ms": float(steps["decide_s"].mean() * 1e3),
    }
    cpu_steps = steps["cpu_s"].dropna() if "cpu_s" in steps else None
    out["step_cpu_median_ms"] = float(cpu_steps.median() * 1e3) if cpu_steps is not None \
        else float("nan")
    out["step_cpu_mean_ms"] = float(cpu_steps.mean() * 1e3) if cpu_steps is not None \
        else float("nan")
    for col in ("build_s", "solve_s", "decide_s"):
        values = steps[col].dropna().to_numpy() * 1e3 if col in steps else np.zeros(0)
        values = values if len(values) else np.full(1, np.nan)  # every step fell back
        out[f"{col}_median_ms"] = float(np.median(values))
        out[f"{col}_p95_ms"] = float(np.percentile(values, 95))
        out[f"{col}_max_ms"] = float(values.max())
    gap = steps.get("mip_gap")
    out["mip_gap_max"] = float(gap.max()) if gap is not None else float("nan")
    status = steps["status"].astype(str) if "status" in steps else None
    out["not_optimal"] = int((status != "Optimal").sum()) if status is not None else 0
    out["fallbacks"] = int(steps["fallback"].fillna(0).astype(bool).sum()) \
        if "fallback" in steps else 0
    phases = steps["phase"].dropna().astype(str) if "phase" in steps else None
    out["phases"] = " ".join(f"{k}:{v}" for k, v in sorted(phases.value_counts().items())) \
        if phases is not None else ""
    out["reproducible"] = str(run.result.meta.get("reproducible", "n/a"))
    out["load_avg"] = os.getloadavg()[0]
    return out


def baseline(directory: str, case: str, hours: int, policy: str) -> dict:
    """The same measurement with the code of ``directory`` (a subprocess)."""
    env = {**os.environ, "PYTHONPATH": directory, "BENCH_SCALE_CODE": directory}
    done = subprocess.run(
        [sys.executable, __file__, "--measure", case, "--hours", str(hours), "--policy", policy],
        cwd=directory, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def show(label: str, r: dict) -> None:
    print(f"{label}: {r['sites']} sites x {r['hours']} h: run {r['run_s']:.1f} s "
          f"(CPU {r.get('cpu_s', float('nan')):.1f} s), step mean "
          f"{r['step_mean_ms']:.0f} ms | build median/p95/max {r['build_s_median_ms']:.1f}/"
          f"{r['build_s_p95_ms']:.1f}/{r['build_s_max_ms']:.0f} ms | solve "
          f"{r['solve_s_median_ms']:.1f}/{r['solve_s_p95_ms']:.1f}/{r['solve_s_max_ms']:.0f} ms"
          f" | decide median {r['decide_s_median_ms']:.1f} ms | step CPU median/mean "
          f"{r.get('step_cpu_median_ms', float('nan')):.1f}/"
          f"{r.get('step_cpu_mean_ms', float('nan')):.1f} ms | benefit "
          f"{r['benefit_usd']:,.0f} USD, gap max {r['mip_gap_max']:.2e}, not optimal "
          f"{r['not_optimal']}, fallbacks {r['fallbacks']}, reproducible {r['reproducible']}, "
          f"phases {r.get('phases', '')}, load {r['load_avg']:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", nargs="+", default=["5", "20"])
    parser.add_argument("--hours", type=int, default=168, help="168 = a week, 8760 = a year")
    parser.add_argument("--policy", default="milp")
    parser.add_argument("--baseline", help="another checkout of the code to compare with")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.hours, args.policy)))
        return
    for case in args.cases:
        now = measure(case, args.hours, args.policy)
        show(f"[{case}] this code", now)
        if args.baseline:
            old = baseline(args.baseline, case, args.hours, args.policy)
            show(f"[{case}] baseline ", old)
            delta = now["benefit_usd"] - old["benefit_usd"]
            print(f"[{case}] benefit difference {delta:+,.0f} USD "
                  f"({100 * delta / abs(old['benefit_usd']):+.3f} %), run time "
                  f"{old['run_s'] / now['run_s']:.1f}x faster", flush=True)


if __name__ == "__main__":
    main()
