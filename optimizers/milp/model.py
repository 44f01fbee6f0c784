"""The joint compute-power MILP: one builder, switches, persistent hourly updates.

    model = JointModel(system, Switches(battery=False), horizon=24)
    model.update(from_observation(obs, 24, carbon_price_usd_per_t=50.0, carbon_budget=False))
    plan = model.solve()   # Plan: starts, routing, dispatch, benefit, bound, solve statistics

The core (routing, GPU use, power balance, battery, genset, grid, carbon) is built once with
mutable Params; each ``update`` writes the new horizon data into them. The job block (start
binaries and the one-start rows, :mod:`optimizers.milp.jobs`) is assembled with numpy and
swapped in HiGHS every hour, with no Pyomo model walk; the solve pipeline
(:mod:`optimizers.milp.pipeline`) writes only the start columns it prices in. Exclusivity
indicators are binary only in slots where prices could make the LP relaxation inexact (see
docs/milp.md).
"""

from __future__ import annotations

import time

import numpy as np
import pyomo.environ as pyo
from pyomo.core.base.var import VarData

from optimizers.milp.arrays import ParamArray, gap_scale, route_group, site_group
from optimizers.milp.constraints import add_core_constraints
from optimizers.milp.data import KREQ, HorizonData, JobSpec
from optimizers.milp.jobs import JobBlock
from optimizers.milp.objective import (
    add_objective,
    benefit_constant,
    offset_usd,
    tie_slack_usd,
    tie_usd,
)
from optimizers.milp.pipeline import Pipeline, SolveInput
from optimizers.milp.plan import Plan
from optimizers.milp.sets import ModelSets, Switches, build_sets
from optimizers.milp.solve import PersistentHighs, SolverOptions, SolveStats
from optimizers.milp.variables import add_core_variables, add_parameters
from optimizers.milp.warm import ShiftedBasis
from simulator.physics import effective_price, export_value
from simulator.system import SystemModel

NEED_TOL_USD_PER_MWH = 1e-6  # price margin under which an exclusivity indicator turns binary


class JointModel:
    """The joint MILP for one system, horizon and set of switches, kept in a persistent solver.

    ``terminal``: ``"value"`` (stored energy at the horizon end is worth the horizon's mean
    effective price times the discharge efficiency) or ``"keep"`` (SoC_end >= SoC_start).
    Each tCO2 over the horizon's carbon budget share costs the scenario's
    ``carbon_budget_penalty_usd_per_t``, as in the books.
    ``indicators``: ``"auto"`` makes exclusivity indicators binary only where prices need it;
    ``"always"`` makes every one binary (the textbook formulation, for comparison).
    """

    def __init__(
        self,
        system: SystemModel,
        switches: Switches | None = None,
        horizon: int = 24,
        *,
        terminal: str = "value",
        solver: SolverOptions | None = None,
        indicators: str = "auto",
    ) -> None:
        if terminal not in ("value", "keep"):
            raise ValueError(f"terminal must be 'value' or 'keep', got '{terminal}'")
        if indicators not in ("auto", "always"):
            raise ValueError(f"indicators must be 'auto' or 'always', got '{indicators}'")
        tic = time.perf_counter()
        switches = switches or Switches()
        self.system = system
        self.switches = switches
        self.horizon = horizon
        self.terminal = terminal
        self.indicators = indicators
        self.carbon_price_usd_per_t = system.carbon_price_usd_per_t if switches.carbon else 0.0
        self.sets: ModelSets = build_sets(system, switches, horizon)
        m = pyo.ConcreteModel("gridshift_joint")
        add_parameters(m, self.sets)
        add_core_variables(m, self.sets, system)
        add_core_constraints(m, self.sets, system, keep_soc=terminal == "keep")
        add_objective(m, self.sets, system, self.carbon_price_usd_per_t)
        self.m = m
        self._jobs: tuple[JobSpec, ...] = ()
        self.solver = PersistentHighs(solver or SolverOptions())
        self.solver.attach(m)
        training = np.array([[self.solver.row(m.training[t, s]) for s in range(system.n_sites)]
                             for t in range(horizon)], dtype=np.int32)
        self._job_block = JobBlock(self.solver.highs, training, self.solver.row(m.value))
        self._pipeline = Pipeline(self.solver, self._job_block, ShiftedBasis(
            m, self.solver.index_maps, self._job_block.first_column,
            self._job_block.first_row, horizon))
        self._params = {name: ParamArray(getattr(m, name), self.solver.updates) for name in (
            "pue_dp", "load0", "fixed_gpus", "imp_ub", "c_imp", "ci", "exp_ub", "c_exp",
            "avail", "bat_ub", "gen_ub", "sf_ub", "lam", "soc0", "terminal", "keep_rhs",
            "budget", "offset")}
        H, S = horizon, system.n_sites
        self._groups = {name: site_group(getattr(m, name), H, S) for name in (
            "busy", "imp", "exp", "ren", "ch", "dis", "e", "gen", "sf")}
        self._groups["x"] = route_group(m.x, self.sets,
                                         (H, system.n_regions, system.n_classes, S))
        self._beta_binary = np.zeros((H, S), dtype=bool)
        self._mode_binary = np.zeros((H, S), dtype=bool)
        self._short_binary = np.zeros((H, S), dtype=bool)
        self._constant = 0.0
        self._gap_scale = 0.0
        self._data: HorizonData | None = None
        self._refresh_columns()
        self.build_s = time.perf_counter() - tic

    # ---- structure --------------------------------------------------------------------------
    def _refresh_columns(self) -> None:
        for group in self._groups.values():
            group.columns = self.solver.columns(group.variables)
        self._over_column = self.solver.columns([self.m.over]) if self.sets.carbon_budget \
            else None

    # ---- data -------------------------------------------------------------------------------
    def update(self, data: HorizonData) -> float:
        """Write one horizon's data into the model and the solver; returns the seconds taken."""
        if data.horizon != self.horizon:
            raise ValueError(f"data has {data.horizon} slots, the model {self.horizon}")
        tic = time.perf_counter()
        self._data = data
        self._write_core_params(data)
        self._jobs = data.jobs
        self._job_block.replace(data.jobs, data.active, data.tail_usd_per_gpu_h)
        self._write_integrality(data)
        self.solver.update_parameters()
        self._constant = benefit_constant(data, self.sets, self.system)
        self._gap_scale = gap_scale(self._arrays)
        return time.perf_counter() - tic

    def _site_arrays(self, data: HorizonData) -> dict[str, np.ndarray]:
        sys_ = self.system
        mask = (np.arange(self.horizon) < data.active)[:, None].astype(float)
        pue = sys_.pue(data.temperature) * mask
        cp = self.carbon_price_usd_per_t
        return {
            "pue_dp": sys_.marginal_mw_at_pue(pue),
            "load0": pue * sys_.idle_it_mw,
            "fixed_gpus": data.fixed_gpus,
            "imp_ub": sys_.import_cap_mw * mask,
            "c_imp": effective_price(data.buy, data.carbon, cp),
            "ci": data.carbon,
            "exp_ub": sys_.export_cap_mw * mask * (data.sell > 0),
            "c_exp": export_value(data.sell, data.carbon, cp, sys_.export_carbon_credit),
            "avail": sys_.renewable_mw(data.pv_cf, data.wind_cf),
            "bat_ub": sys_.battery_mw * mask,
            "gen_ub": sys_.genset_mw * mask,
            "sf_ub": pue * sys_.it_power_mw(sys_.gpus) + sys_.battery_mw * mask,
        }

    def _write_core_params(self, data: HorizonData) -> None:
        sys_ = self.system
        self._arrays = self._site_arrays(data)
        soc0 = np.clip(data.soc0, sys_.soc_min_mwh, sys_.soc_max_mwh)
        values = {**self._arrays, "lam": data.demand / KREQ, "soc0": soc0,
                  "terminal": data.terminal_usd_per_mwh,
                  "keep_rhs": sys_.soc_min_mwh if data.ends_run else soc0,
                  "budget": data.carbon_budget_t or 0.0,
                  "offset": offset_usd(data, self.sets, sys_)}
        for name, writer in self._params.items():
            writer.set(values[name])

    def _write_integrality(self, data: HorizonData) -> None:
        """Binary exclusivity only where the LP could profit from simultaneous flows: import
        at a negative effective price (charge+discharge, curtail+import) or export worth at
        least import (import+export); everywhere with ``indicators="always"``."""
        a, m = self._arrays, self.m
        live = np.broadcast_to((np.arange(self.horizon) < data.active)[:, None],
                               a["c_imp"].shape)
        # Shortfall needs the import at its cap where it is cheaper than some import or export.
        dearest = max(float(a["c_imp"][live].max(initial=0.0)),
                      float(a["c_exp"].max(initial=0.0)))
        short = live & (self.system.shortfall_penalty_usd_per_mwh < dearest +
                        NEED_TOL_USD_PER_MWH)
        if self.indicators == "always":
            beta, mode, short = live.copy(), live.copy(), live.copy()
        else:
            cheap = (a["c_imp"] < NEED_TOL_USD_PER_MWH) & (a["imp_ub"] > 0) & live
            arbitrage = (a["exp_ub"] > 0) & (a["c_exp"] >= a["c_imp"] - NEED_TOL_USD_PER_MWH)
            beta = cheap.copy()
            mode = np.zeros_like(cheap)
            mode[:, list(m.SE)] |= arbitrage[:, list(m.SE)] & live[:, list(m.SE)]
            mode[:, list(m.SR)] |= cheap[:, list(m.SR)] & (a["avail"][:, list(m.SR)] > 0)
        changed: list[VarData] = []
        for var, need, now in ((m.beta, beta, self._beta_binary),
                               (m.mode, mode, self._mode_binary),
                               (m.short, short, self._short_binary)):
            for t, s in zip(*(idx.tolist() for idx in np.nonzero(need != now)), strict=True):
                if (t, s) in var:
                    var[t, s].domain = pyo.Binary if need[t, s] else pyo.UnitInterval
                    changed.append(var[t, s])
                    now[t, s] = need[t, s]
        self.solver.update_variables(changed)

    def _solve(self, t0: int) -> tuple[SolveStats, np.ndarray]:
        """The solve pipeline (:mod:`optimizers.milp.pipeline`); (stats, 0/1 per start key)."""
        assert self._data is not None
        options = self.solver.options
        return self._pipeline.solve(
            SolveInput(t0, self._jobs, self._data.fixed_gpus, self.system.gpus,
                       self._binary_columns(), self._gap_scale),
            options.neighbourhood_h, options.sub_mip_nodes, options.mip_gap)

    def _binary_columns(self) -> np.ndarray:
        """Columns of the exclusivity indicators that are binary now."""
        cols = [var[t, s] for var, binary in ((self.m.beta, self._beta_binary),
                                              (self.m.mode, self._mode_binary),
                                              (self.m.short, self._short_binary))
                for t, s in np.argwhere(binary).tolist()]
        return self.solver.columns(cols)

    @property
    def n_indicators(self) -> int:
        """Exclusivity indicators that are binary in the current model."""
        return int(self._beta_binary.sum() + self._mode_binary.sum() +
                   self._short_binary.sum())

    @property
    def n_integer(self) -> int:
        """Integer decisions of the current model (candidate job starts plus binary
        indicators; a start column enters HiGHS only when the pipeline prices it in)."""
        return len(self._job_block.keys) + self.n_indicators

    # ---- solve ------------------------------------------------------------------------------
    def solve(self, build_s: float = 0.0) -> Plan:
        """Solve the current model. Raises RuntimeError when HiGHS returns no solution."""
        if self._data is None:
            raise RuntimeError("call update(data) before solve()")
        data = self._data
        stats, y = self._solve(data.t0)
        if not stats.has_solution:
            raise RuntimeError(f"HiGHS found no solution ({stats.status})")
        v = {name: group.read(self.solver) for name, group in self._groups.items()}
        chosen = self._job_block.keys[y > 0.5].tolist()
        starts = tuple(sorted((self._jobs[n].job_id, s, data.t0 + t) for n, s, t in chosen))
        self._pipeline.planned = {job: (s, start) for job, s, start in starts}
        over = float(self.solver.values(self._over_column)[0]) \
            if self._over_column is not None else 0.0
        tie = tie_usd(v["ren"], v["gen"], v["ch"], v["dis"])
        return Plan(
            t0=data.t0, active=data.active, stats=stats, build_s=build_s,
            benefit_usd=stats.incumbent + self._constant - tie,
            bound_usd=stats.bound + self._constant + tie_slack_usd(self._arrays),
            overshoot_t=over, n_integer=self.n_integer, n_indicators=self.n_indicators,
            starts=starts,
            routed=v["x"] * KREQ, busy=v["busy"], imp=v["imp"], exp=v["exp"], ren=v["ren"],
            ch=v["ch"], dis=v["dis"], soc_end=v["e"], gen=v["gen"], shortfall=v["sf"],
        )
