"""GridShift: carbon-aware compute-power scheduling of AI data centers with microgrids."""

from gridshift.api import Run, build_traces, compare, run, simulate
from simulator.scenario import Scenario, load_scenario

__all__ = ["Run", "Scenario", "build_traces", "compare", "load_scenario", "run", "simulate"]
