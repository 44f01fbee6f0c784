"""The joint compute-power MILP of GridShift (Pyomo model, persistent HiGHS).

Modules: ``sets`` (index sets, switches), ``data`` (horizon data from an Observation or from
realized traces), ``variables``, ``constraints``, ``objective``, ``jobs`` (the numpy job block),
``model`` (the builder with switches and hourly updates), ``solve`` (the persistent HiGHS
wrapper), ``pipeline`` (the solve phases), ``starts`` (rounding and neighbourhoods of job starts)
and ``warm`` (the previous hour's basis, shifted). See docs/milp.md.
"""

from optimizers.milp.data import HorizonData, JobSpec, from_observation, from_traces
from optimizers.milp.model import JointModel
from optimizers.milp.plan import Plan, plan_frame
from optimizers.milp.sets import Switches
from optimizers.milp.solve import SolverOptions, SolveStats

__all__ = [
    "HorizonData",
    "JobSpec",
    "JointModel",
    "Plan",
    "SolveStats",
    "SolverOptions",
    "Switches",
    "from_observation",
    "from_traces",
    "plan_frame",
]
