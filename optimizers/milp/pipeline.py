"""The solve pipeline of the joint MILP (docs/milp.md, "Solving").

1. **LP relaxation by column generation.** Only a few start columns per job are in the LP at
   first (last hour's LP support, last plan's starts and each job's best starts priced with
   last hour's duals, shifted one slot; every column in the first hour); after each LP every
   candidate start is priced in numpy (:meth:`JobBlock.reduced_costs`) and the most attractive
   missing ones per job are added, until none would improve the LP. Its value plus what the
   columns still missing could add (zero when pricing ends) bounds the MIP. Warm-started from
   last hour's basis shifted one slot (:mod:`optimizers.milp.warm`). Integral: done (``lp``).
2. **Round and fix.** The LP rounded (:func:`~optimizers.milp.starts.rounded_starts`), starts and
   binary indicators fixed, the LP re-solved for the rest from the current basis; accepted when
   the LP bound proves the gap (``round``).
3. **Sub-MIP** over the starts within ``neighbourhood_h`` slots of the LP support and the last
   plan's starts, warm-started with a feasible start (``sub-mip``); then
4. **full MIP** with every start column (``mip``).

Every branch is taken on solver outcomes and work limits (iterations, rounds, nodes), never on
the clock.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from optimizers.milp.data import JobSpec
from optimizers.milp.jobs import JobBlock
from optimizers.milp.solve import PersistentHighs, SolveStats, combine, relative_gap
from optimizers.milp.starts import (
    SUPPORT_TOL,
    best_per_job,
    integral,
    missing_gain,
    neighbourhood,
    rounded_starts,
)
from optimizers.milp.warm import ShiftedBasis, encode_keys

PRICE_TOL_USD = 1e-6  # a missing start column that would gain more (USD per start) may join
PRICE_GAP_SHARE = 1e-3  # pricing stops when missing columns could add this share of the gap
PRICING_ROUNDS = 100  # column-generation rounds per LP (a work limit; the bound stays valid)
FIRST_PER_JOB = 16  # best-priced start columns per job in the first LP
ADD_PER_JOB = 16  # most attractive missing start columns per job added per pricing round


@dataclass(frozen=True)
class SolveInput:
    """What one solve needs besides the model: hour, jobs (in job-block order), GPUs held by
    running jobs [H, S], GPUs per site, binary indicator columns, the gap's scale (USD)."""

    t0: int
    jobs: tuple[JobSpec, ...]
    held: np.ndarray
    site_gpus: np.ndarray
    indicators: np.ndarray
    gap_scale: float


class Pipeline:
    """Runs the phases on one persistent HiGHS instance and its job block; remembers what the
    next hour starts from (basis, duals, LP support, plan)."""

    def __init__(self, solver: PersistentHighs, block: JobBlock, basis: ShiftedBasis) -> None:
        self.solver, self.block, self.basis = solver, block, basis
        self.planned: dict[int, tuple[int, int]] = {}  # last plan: job id -> (site, start hour)
        self._duals: tuple[int, np.ndarray, float] | None = None
        self._support = np.zeros(0, dtype=np.int64)

    # ---- helpers ----------------------------------------------------------------------------
    def _absolute(self, inp: SolveInput) -> tuple[np.ndarray, np.ndarray]:
        """Encoded (job id, site, start hour) per key; job id per one-start row."""
        job_ids = np.array([job.job_id for job in inp.jobs], dtype=np.int64)
        keys = self.block.keys
        if not len(keys):
            return np.zeros(0, dtype=np.int64), job_ids
        return encode_keys(np.column_stack([job_ids[keys[:, 0]], keys[:, 1],
                                            keys[:, 2] + inp.t0])), job_ids

    def _previous_plan(self, inp: SolveInput, codes: np.ndarray) -> np.ndarray:
        """Per key: is it a start of the last plan that is still ahead."""
        ahead = [(job, s, start) for job, (s, start) in self.planned.items() if start >= inp.t0]
        return np.isin(codes, encode_keys(np.array(ahead, dtype=np.int64).reshape(-1, 3)))

    def _first_columns(self, inp: SolveInput, codes: np.ndarray) -> np.ndarray:
        """Start columns of the first LP round (every one without last hour's duals)."""
        if self._duals is None:
            return np.ones(len(codes), dtype=bool)
        before, training, value = self._duals
        horizon = training.shape[0]
        shifted = training[np.minimum(np.arange(horizon) + inp.t0 - before, horizon - 1)]
        duals = np.zeros(self.solver.highs.getNumRow())
        duals[self.block.training_rows] = shifted
        duals[self.block.value_row] = value
        score = self.solver.gains(self.block.reduced_costs(duals))
        return best_per_job(self.block.keys, score, FIRST_PER_JOB) | \
            np.isin(codes, self._support) | self._previous_plan(inp, codes)

    def _basis_keys(self, codes: np.ndarray) -> np.ndarray:
        """Encoded keys of the start columns in HiGHS column order."""
        present = np.flatnonzero(self.block.present)
        return codes[present[np.argsort(self.block.columns[present])]]

    def _weights(self) -> np.ndarray:
        """LP value per key (0 for a column not in the model)."""
        out = np.zeros(len(self.block.keys))
        present = self.block.present
        out[present] = self.solver.values(self.block.columns[present])
        return out

    # ---- phases -----------------------------------------------------------------------------
    def _lp(self, inp: SolveInput, codes: np.ndarray, job_ids: np.ndarray,
            tolerance: float) -> tuple[SolveStats, float, np.ndarray]:
        """Phase 1: the LP by column generation; (stats, what the missing columns could still
        add to the LP value, gain per unit of every key's column). Pricing stops when that is
        at most ``tolerance`` (USD) or after :data:`PRICING_ROUNDS` rounds."""
        block, solver = self.block, self.solver
        block.add(self._first_columns(inp, codes))
        with solver.relaxed(inp.indicators):
            self.basis.offer(solver.highs, inp.t0, self._basis_keys(codes), job_ids)
            for rounds in range(1, PRICING_ROUNDS + 1):
                lp = solver.run(lp=True, primal=rounds > 1)
                if not lp.has_solution:
                    return lp, math.inf, np.zeros(len(codes))
                gain = solver.gains(block.reduced_costs(solver.row_duals()))
                excess = missing_gain(block.keys, gain, ~block.present, len(inp.jobs))
                if excess <= tolerance or rounds == PRICING_ROUNDS:
                    break
                block.add(best_per_job(block.keys, gain, ADD_PER_JOB,
                                       ~block.present & (gain > PRICE_TOL_USD)))
            self.basis.save(solver.highs, inp.t0, self._basis_keys(codes), job_ids)
            duals = solver.row_duals()
            self._duals = (inp.t0, duals[block.training_rows], float(duals[block.value_row]))
        return lp, excess, gain

    def solve(self, inp: SolveInput, options_h: int, sub_nodes: int,
              mip_gap: float) -> tuple[SolveStats, np.ndarray]:
        """The pipeline; (stats, 0/1 start value per key)."""
        solver, block = self.solver, self.block
        tic = time.perf_counter()
        solver.begin(inp.gap_scale)
        phases: list[SolveStats] = []

        def done(stats: SolveStats, bound: float, phase: str) -> tuple[SolveStats, np.ndarray]:
            final = combine(stats, bound, time.perf_counter() - tic, phase, mip_gap,
                            inp.gap_scale, any(p.wall_clock_limit for p in phases))
            return final, np.round(self._weights()) if final.has_solution else \
                np.zeros(len(block.keys))

        def full_mip(start: np.ndarray, bound: float) -> tuple[SolveStats, np.ndarray]:
            block.add(np.ones(len(block.keys), dtype=bool))
            with solver.integer(block.columns):
                solver.warm_start(block.columns, start)
                return done(solver.run(lp=False), bound, "mip")

        codes, job_ids = self._absolute(inp)
        if not len(codes) and not len(inp.indicators):
            return done(solver.run(lp=True), math.inf, "lp")
        if options_h < 0:
            return full_mip(np.zeros(len(codes)), math.inf)
        lp, excess, gain = self._lp(inp, codes, job_ids,
                                    PRICE_GAP_SHARE * min(mip_gap, 1.0) * inp.gap_scale)
        phases.append(lp)
        if not lp.has_solution:
            return full_mip(np.zeros(len(codes)), math.inf)
        bound = lp.incumbent + excess
        weight = self._weights()
        self._support = codes[weight > SUPPORT_TOL]
        indicator_values = solver.values(inp.indicators)
        if excess == 0.0 and integral(weight) and integral(indicator_values):
            return done(lp, bound, "lp")
        rounded = rounded_starts(block.keys, weight, gain, inp.jobs, inp.held, inp.site_gpus)
        block.add(rounded > 0)
        columns = block.columns[block.present]
        with solver.relaxed(inp.indicators), solver.fixed(
                np.concatenate([columns, inp.indicators]),
                np.concatenate([rounded[block.present], np.round(indicator_values)])):
            fixed = solver.run(lp=True)
        phases.append(fixed)
        if fixed.has_solution and integral(solver.values(inp.indicators)) and \
                relative_gap(bound, fixed.incumbent, inp.gap_scale) <= mip_gap:
            return done(fixed, bound, "round")
        preferred = self._previous_plan(inp, codes)
        allowed = neighbourhood(block.keys, weight, options_h, preferred)
        start = rounded_starts(block.keys, weight, gain, inp.jobs, inp.held, inp.site_gpus,
                               preferred)
        block.add(allowed | (start > 0))
        present = block.present
        columns = block.columns[present]
        with solver.integer(columns), solver.restricted(columns, allowed[present]):
            solver.warm_start(columns, start[present])
            sub = solver.run(lp=False, nodes=sub_nodes)
        phases.append(sub)
        if sub.has_solution and relative_gap(bound, sub.incumbent, inp.gap_scale) <= mip_gap:
            return done(sub, bound, "sub-mip")
        if sub.has_solution:
            start = np.round(self._weights())
        return full_mip(start, bound)
