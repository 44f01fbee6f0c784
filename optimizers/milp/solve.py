"""Persistent HiGHS through Pyomo's ``pyomo.contrib.solver`` HiGHS interface.

The Pyomo model is handed to HiGHS once (``attach``); afterwards only what changed is pushed:
mutable Params (coefficients, right-hand sides, variable bounds) by ``update_parameters``, a
variable's integrality by ``update_variables``. The job block is not a Pyomo block: it is
written into the same HiGHS instance by :mod:`optimizers.milp.jobs`, after the core's columns
and rows. Automatic change detection is switched off, so a solve costs no model walk.

The primitives here (``relaxed``, ``integer``, ``fixed``, ``restricted``, ``run``,
``warm_start``, ``gains``, ``row_duals``) serve the solve pipeline of
:mod:`optimizers.milp.pipeline` (docs/milp.md, "Solving"): the LP relaxation by column
generation (its value bounds the MIP; done if integral), the LP rounded and re-solved with the
starts fixed (done if the LP bound proves the gap), a sub-MIP over the start binaries near the
LP support (a RENS-like heuristic; done if the LP bound proves the gap), and only then the full
MIP, warm-started from the sub-MIP's incumbent.

Deterministic by construction: every phase decision and every limit is a work measure (simplex
iterations for the LP, branch-and-bound nodes for the sub-MIP and the MIP), never the clock, so
a run under CPU load makes the same decisions as on a quiet machine. ``time_limit_s`` is only a
safety net: a solve it stops is flagged (``SolveStats.wall_clock_limit``), recorded in the
run's steps and makes the run's meta say it is not reproducible.

HiGHS pitfalls handled here: its thread count is fixed per process by the first solve (so
``threads`` should be the same for every solve of a process; 1 by default); its run clock
(``getRunTime()``) accumulates over the solves of a persistent instance, and an LP solve
compares ``time_limit`` with that accumulated clock while a MIP solve measures from its own
start, so each run gets a limit in the matching convention and every solve is timed with
``time.perf_counter``; a forked worker of a process that ran HiGHS multi-threaded can hang, so
sweeps that fork should keep threads=1; index sets passed to HiGHS must be ascending.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.var import VarData

from optimizers.milp.updates import AffineUpdates

_KINDS = highspy.HighsVarType
_DUAL, _PRIMAL = 1, 4  # HiGHS simplex_strategy: dual (its default), primal
_NESTED_SUB_MIPS = ("mip_heuristic_run_rins", "mip_heuristic_run_rens")  # HiGHS default: on


@dataclass(frozen=True)
class SolverOptions:
    """HiGHS options: relative MIP gap, threads, random seed and the deterministic work limits.

    ``neighbourhood_h``: half-width (slots) of the sub-MIP neighbourhood around the LP support;
    a negative value skips the LP and sub-MIP phases (plain HiGHS branch and bound).
    ``lp_iterations``: simplex iterations per LP; ``sub_mip_nodes`` / ``mip_nodes``:
    branch-and-bound nodes of the sub-MIP / the full MIP (the incumbent and its gap are kept
    when a limit stops a solve). ``time_limit_s``: wall-clock safety net per solve (s), hit
    only when a limit above is far too generous; hitting it makes the run not reproducible.
    """

    mip_gap: float = 0.01
    time_limit_s: float = 120.0
    threads: int = 1
    seed: int = 0
    neighbourhood_h: int = 1
    lp_iterations: int = 1_000_000
    sub_mip_nodes: int = 2_000
    mip_nodes: int = 20_000


@dataclass(frozen=True)
class SolveStats:
    """Outcome of one solve. Objective values are the solver's (benefit minus the offset, USD);
    ``gap`` is the relative MIP gap (bound - incumbent) / |incumbent| (0 for an LP, NaN without
    a solution); ``phase`` says which step produced the incumbent: ``lp`` (integral relaxation),
    ``round`` (rounded LP, proven by the LP bound), ``sub-mip`` (neighbourhood, proven by the
    LP bound) or ``mip``. ``wall_clock_limit``: the
    time-limit safety net stopped a phase (the outcome may depend on machine load)."""

    status: str
    has_solution: bool
    incumbent: float
    bound: float
    gap: float
    solve_s: float
    nodes: int
    phase: str
    wall_clock_limit: bool = False


def _ascending(columns: np.ndarray, *values: np.ndarray) -> tuple[np.ndarray, ...]:
    order = np.argsort(columns)
    return (columns[order].astype(np.int32), *(v[order].astype(np.float64) for v in values))


def relative_gap(bound: float, incumbent: float, scale: float) -> float:
    """(bound - incumbent) / max(|incumbent|, scale) for a maximisation: HiGHS's relative gap,
    with ``scale`` (USD) keeping it meaningful when the incumbent is near zero."""
    return max(bound - incumbent, 0.0) / max(abs(incumbent), scale, 1e-9)


class PersistentHighs:
    """A Pyomo model kept in sync with one HiGHS instance."""

    def __init__(self, options: SolverOptions) -> None:
        self.options = options
        self._opt = Highs()
        cfg = self._opt.config
        for flag in ("check_for_new_or_removed_constraints", "check_for_new_or_removed_vars",
                     "check_for_new_or_removed_params", "check_for_new_objective",
                     "update_constraints", "update_vars", "update_parameters",
                     "update_named_expressions", "update_objective"):
            setattr(cfg.auto_updates, flag, False)
        cfg.load_solutions = False
        cfg.raise_exception_on_nonoptimal_result = False  # options are set on HiGHS in run()
        self._solution: np.ndarray | None = None
        self._row_dual: np.ndarray | None = None
        self._deadline = 0.0
        self.gap_scale = 0.0

    @property
    def highs(self) -> highspy.Highs:
        """The underlying ``highspy.Highs`` object."""
        return self._opt._solver_model

    # ---- model synchronisation --------------------------------------------------------------
    def attach(self, model: pyo.ConcreteModel) -> None:
        """Hand the whole model to HiGHS (once per run)."""
        self._opt.set_instance(model)
        self.highs.setOptionValue("output_flag", False)
        self.updates = AffineUpdates(model, self._opt)

    def update_parameters(self) -> None:
        """Push every mutable Param value (coefficients, bounds, right-hand sides, costs) as
        numpy arithmetic (:class:`~optimizers.milp.updates.AffineUpdates`)."""
        self.updates.push(self.highs)

    def update_variables(self, variables: Sequence[VarData]) -> None:
        """Push changed domains (integrality) of ``variables``."""
        if variables:
            self._opt.update_variables(list(variables))

    def columns(self, variables: Sequence[VarData]) -> np.ndarray:
        """HiGHS column index of each variable (valid until the next structural change)."""
        var_map = self._opt._pyomo_var_to_solver_var_map
        return np.fromiter((var_map[id(v)] for v in variables), dtype=np.int32,
                           count=len(variables))

    def index_maps(self) -> tuple[dict[int, int], dict[int, int]]:
        """HiGHS column of each variable and row of each constraint, keyed by ``id``."""
        return ({key: int(col) for key, col in self._opt._pyomo_var_to_solver_var_map.items()},
                {id(con): int(row) for con, row in self._opt._pyomo_con_to_solver_con_map.items()})

    def row(self, constraint: ConstraintData) -> int:
        """HiGHS row index of a core constraint (core rows never move)."""
        return int(self._opt._pyomo_con_to_solver_con_map[constraint])

    # ---- solving ----------------------------------------------------------------------------
    def begin(self, gap_scale: float) -> None:
        """Start one solve: every phase until the next ``begin`` shares ``time_limit_s``, and
        stops at a relative gap of ``mip_gap`` against max(|incumbent|, ``gap_scale``)."""
        self._deadline = time.perf_counter() + self.options.time_limit_s
        self.gap_scale = gap_scale

    def _time_limit(self, lp: bool) -> float:
        """HiGHS ``time_limit`` for the rest of this solve's budget: on the accumulated run
        clock for an LP, from the run's start for a MIP."""
        remaining = max(self._deadline - time.perf_counter(), 1e-3)
        return self.highs.getRunTime() + remaining if lp else remaining

    def warm_start(self, columns: np.ndarray, values: np.ndarray) -> None:
        """Offer a partial MIP start; HiGHS completes it (or ignores it when infeasible)."""
        if len(columns):
            cols, vals = _ascending(columns, values)
            self.highs.setSolution(len(cols), cols, vals)

    @contextmanager
    def _kind(self, columns: np.ndarray, inside: highspy.HighsVarType,
              after: highspy.HighsVarType) -> Iterator[None]:
        highs, n = self.highs, len(columns)
        (cols,) = _ascending(columns)
        highs.changeColsIntegrality(n, cols, np.full(n, inside))
        try:
            yield
        finally:
            highs.changeColsIntegrality(n, cols, np.full(n, after))

    def relaxed(self, columns: np.ndarray) -> AbstractContextManager[None]:
        """Within the block ``columns`` are continuous (the LP relaxation), integer after."""
        return self._kind(columns, _KINDS.kContinuous, _KINDS.kInteger)

    def integer(self, columns: np.ndarray) -> AbstractContextManager[None]:
        """Within the block ``columns`` are integer, continuous after."""
        return self._kind(columns, _KINDS.kInteger, _KINDS.kContinuous)

    @contextmanager
    def restricted(self, columns: np.ndarray, allowed: np.ndarray) -> Iterator[None]:
        """Within the block ``columns`` whose ``allowed`` is False are fixed at zero, and HiGHS
        runs no RINS/RENS sub-MIPs of its own (the restriction already is one)."""
        highs, n = self.highs, len(columns)
        cols, keep = _ascending(columns, allowed.astype(float))
        _status, _n, _cost, lower, upper, _nnz = highs.getCols(n, cols)
        upper = np.array(upper)  # getCols may hand out a buffer that HiGHS reuses
        highs.changeColsBounds(n, cols, np.array(lower), np.where(keep > 0, upper, 0.0))
        for option in _NESTED_SUB_MIPS:
            highs.setOptionValue(option, False)
        try:
            yield
        finally:
            highs.changeColsBounds(n, cols, np.array(lower), upper)
            for option in _NESTED_SUB_MIPS:
                highs.setOptionValue(option, True)

    @contextmanager
    def fixed(self, columns: np.ndarray, values: np.ndarray) -> Iterator[None]:
        """Within the block ``columns`` are fixed at ``values`` (bounds; restored after)."""
        highs, n = self.highs, len(columns)
        cols, vals = _ascending(columns, values)
        _status, _n, _cost, lower, upper, _nnz = highs.getCols(n, cols)
        lower, upper = np.array(lower), np.array(upper)
        highs.changeColsBounds(n, cols, vals, vals)
        try:
            yield
        finally:
            highs.changeColsBounds(n, cols, lower, upper)

    def run(self, lp: bool, nodes: int | None = None, primal: bool = False) -> SolveStats:
        """Run HiGHS on the instance as it stands (relaxed or restricted inside the blocks);
        ``lp``: no integer column is left; ``nodes``: the branch-and-bound node limit
        (default ``mip_nodes``); ``primal``: primal simplex (after columns were added to a
        solved LP, its basis stays primal feasible), else HiGHS's default (dual)."""
        highs, options = self.highs, self.options
        for name, value in (("threads", options.threads),
                            ("simplex_strategy", _PRIMAL if primal else _DUAL),
                            ("simplex_iteration_limit", options.lp_iterations),
                            ("mip_max_nodes", options.mip_nodes if nodes is None else nodes),
                            ("mip_rel_gap", self.options.mip_gap),
                            ("mip_abs_gap", self.options.mip_gap * self.gap_scale),
                            ("random_seed", self.options.seed),
                            ("time_limit", self._time_limit(lp))):
            highs.setOptionValue(name, value)
        tic = time.perf_counter()
        highs.run()
        return self._collect(time.perf_counter() - tic)

    def _collect(self, seconds: float) -> SolveStats:
        highs = self.highs
        info = highs.getInfo()
        has_solution = info.primal_solution_status == 2
        solution = highs.getSolution()
        self._solution = np.asarray(solution.col_value) if has_solution else None
        self._row_dual = np.asarray(solution.row_dual) if has_solution and \
            solution.dual_valid else None
        value = float(info.objective_function_value)
        mip = info.mip_node_count >= 0
        if not has_solution:
            value, bound, gap = math.nan, math.nan, math.nan
        elif mip:
            bound, gap = float(info.mip_dual_bound), float(info.mip_gap)
        else:
            bound, gap = value, 0.0
        return SolveStats(
            status=highs.modelStatusToString(highs.getModelStatus()),
            has_solution=has_solution, incumbent=value, bound=bound, gap=gap,
            solve_s=seconds, nodes=int(max(info.mip_node_count, 0)),
            phase="mip" if mip else "lp",
            wall_clock_limit=highs.getModelStatus() == highspy.HighsModelStatus.kTimeLimit)

    def gains(self, reduced_costs: np.ndarray) -> np.ndarray:
        """Objective gain per unit raised of columns with ``reduced_costs`` at the last LP
        solution (the reduced cost, signed for the objective's sense)."""
        _status, sense = self.highs.getObjectiveSense()
        return reduced_costs if sense == highspy.ObjSense.kMaximize else -reduced_costs

    def row_duals(self) -> np.ndarray:
        """Row duals of the last LP solution (zeros where HiGHS has none)."""
        if self._row_dual is None:
            return np.zeros(self.highs.getNumRow())
        return self._row_dual

    def values(self, columns: np.ndarray) -> np.ndarray:
        """Primal values of the last solution at ``columns``."""
        if self._solution is None:
            raise RuntimeError("no solution available")
        return self._solution[columns]


def combine(final: SolveStats, lp_bound: float, seconds: float, phase: str,
            mip_gap: float, gap_scale: float, wall_clock_limit: bool = False) -> SolveStats:
    """``final`` with a bound valid for the full model (the tighter of its own bound and the
    LP bound; a rounded LP or a sub-MIP has no bound of its own for the full model, so it gets
    the LP bound), the gap recomputed by :func:`relative_gap` and the whole pipeline's seconds.
    A rounded-LP or sub-MIP incumbent proven within ``mip_gap`` is reported ``Optimal``, like a
    MIP solved to its gap tolerance; one left by a work limit keeps HiGHS's status.
    ``wall_clock_limit``: an earlier phase hit the time-limit safety net."""
    if phase in ("round", "sub-mip"):
        bound = lp_bound
    else:
        bound = min(final.bound, lp_bound) if final.has_solution else final.bound
    gap = relative_gap(bound, final.incumbent, gap_scale) if final.has_solution else math.nan
    status = "Optimal" if phase in ("round", "sub-mip") and gap <= mip_gap else final.status
    return replace(final, bound=bound, gap=gap, solve_s=seconds, phase=phase, status=status,
                   wall_clock_limit=final.wall_clock_limit or wall_clock_limit)
