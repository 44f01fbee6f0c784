"""The rolling MILP is deterministic by construction: the same run under CPU load gives the same
ledger bit for bit (work limits decide, not the clock), and the run says it is reproducible."""

from __future__ import annotations

import subprocess
import sys

from gridshift.api import build_traces, simulate
from gridshift.overrides import resolve_scenario
from simulator.ledger import frame_digest

BURN = "while True:\n    pass\n"  # a CPU-burning neighbour, started and killed by the test


def _run(scenario, traces):
    done = simulate(scenario, "milp", traces=traces, check=False)
    return done.result


def test_milp_ledger_is_identical_under_cpu_load() -> None:
    scenario = resolve_scenario("default", days=2.0)
    traces = build_traces(scenario)
    quiet = _run(scenario, traces)
    burners = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(2)]
    try:
        loaded = _run(scenario, traces)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert quiet.meta["reproducible"] and loaded.meta["reproducible"]
    assert not quiet.steps["wall_clock_limit"].any()
    assert frame_digest(quiet.ledger) == frame_digest(loaded.ledger)
    assert quiet.jobs["start_hour"].equals(loaded.jobs["start_hour"])
    assert quiet.steps["nodes"].tolist() == loaded.steps["nodes"].tolist()
    assert quiet.steps["phase"].tolist() == loaded.steps["phase"].tolist()
