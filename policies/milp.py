"""Policies built on the joint MILP (:mod:`optimizers.milp`): one model, different switches.

- ``milp``: rolling-horizon joint MILP (24 h by default) over job starts, routing, battery and
  genset dispatch (the grid is the slack).
- ``compute-only``: job starts and routing decided; energy passive (battery idle, genset off,
  surplus exported by the simulator's rule).
- ``energy-only``: workload by the ``fifo`` rule (starts and nearest-site routing); battery,
  genset and grid trade decided.
- ``no-battery`` / ``no-routing`` / ``no-carbon``: ``milp`` with the battery idle / every request
  sent to its nearest admissible site / no carbon price or budget in the model (the simulator
  still charges the carbon price).
- ``oracle``: the joint MILP over the whole run with realized traces and every job, solved once
  at hour 0 (perfect foresight): the upper bound that regret is measured against.

Each epoch a policy executes slot 0 of its plan. A solver failure (any exception, or no solution
within the work limits) hands that hour to ``greedy`` and sets ``fallback = 1``. Diagnostics per
epoch (the run's ``steps`` table): ``solve_s`` and ``build_s`` (s, wall clock), ``cpu_s`` (CPU
seconds of the whole step in this process), ``mip_gap`` (relative gap on the loss objective, see
docs/milp.md), ``status``, ``phase`` (``lp``, ``round``, ``sub-mip`` or ``mip``), ``objective``
and ``bound`` (planned benefit and its bound, USD), ``nodes`` (branch-and-bound nodes),
``n_integer`` and ``n_indicators`` (candidate start binaries plus binary indicators; binary
exclusivity indicators), ``overshoot_t`` (planned tCO2 over the horizon's budget share),
``wall_clock_limit`` (1 when the wall-clock safety net stopped a solve: the run is then not
reproducible, see docs/milp.md) and ``fallback``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from optimizers.milp.data import HorizonData, PlanQuantiles, from_observation
from optimizers.milp.model import JointModel
from optimizers.milp.plan import Plan
from optimizers.milp.sets import Switches
from optimizers.milp.solve import SolverOptions
from policies.fifo import fifo_starts, nearest_site_routing
from policies.greedy import GreedyPolicy
from policies.oracle_bound import (
    bound_method,
    check_method,
    oracle_method,
    retry_options,
    solver_options_for,
)
from simulator.contracts import Decision, Observation
from simulator.hour import default_split
from simulator.physics import start_window
from simulator.system import SystemModel

ORACLE_MIP_GAP = 1e-4
SWITCHES: dict[str, Switches] = {
    "milp": Switches(),
    "compute-only": Switches(battery=False, genset=False),
    "energy-only": Switches(decide_jobs=False, decide_routing=False),
    "no-battery": Switches(battery=False),
    "no-routing": Switches(decide_routing=False),
    "no-carbon": Switches(carbon=False),
}


@dataclass(frozen=True)
class PlanRecord:
    """One epoch's horizon data and plan (kept when ``record_plans`` is on)."""

    data: HorizonData
    plan: Plan


class DemandMargin:
    """Online safety margin on forecast inference demand, per (region, class).

    Plans that fill GPUs to the forecast drop requests whenever demand beats it, and a dropped
    request is worth more than the training it would make room for. The margin is the
    ``quantile`` of the relative errors (actual / forecast - 1) of the next-hour demand
    forecasts seen over the last ``window_h`` hours, floored at 0 and capped at ``cap``;
    ``prior`` until ``min_obs`` errors are known. ``fixed`` replaces it by a constant. Under
    perfect forecasts it falls to 0 after ``min_obs`` hours.
    """

    def __init__(self, quantile: float = 0.9, window_h: int = 168, min_obs: int = 6,
                 prior: float = 0.1, cap: float = 0.5, fixed: float | None = None) -> None:
        self.quantile = quantile
        self.window_h = window_h
        self.min_obs = min_obs
        self.prior = prior
        self.cap = cap
        self.fixed = fixed
        self._issued: dict[int, np.ndarray] = {}

    def reset(self) -> None:
        self._issued = {}

    def update(self, obs: Observation) -> np.ndarray | float:
        """Record this epoch's next-hour forecast; return the margin [R, K] (or the fixed one)."""
        if self.fixed is not None:
            return self.fixed
        past = [t for t in sorted(self._issued) if obs.t - self.window_h <= t < obs.t]
        self._issued = {t: self._issued[t] for t in past}
        self._issued[obs.t] = np.array(obs.forecast("demand", 1)[0])
        if len(past) < self.min_obs:
            return np.full(obs.system.admissible.shape[:2], self.prior)
        history = obs.history("demand")
        actual = np.stack([history[len(history) - (obs.t - t)] for t in past])
        issued = np.stack([self._issued[t] for t in past])
        errors = np.where(issued > 0, actual / np.where(issued > 0, issued, 1.0) - 1.0, 0.0)
        return np.clip(np.quantile(errors, self.quantile, axis=0), 0.0, self.cap)


class MilpPolicy:
    """Rolling-horizon policy on the joint MILP.

    ``horizon_h``: slots per solve (h). ``mip_gap``: relative MIP gap on the loss objective.
    ``time_limit_s``: wall-clock safety net per solve (s); decisions and limits are
    deterministic work limits (``SolverOptions``), and a solve this net stops is recorded.
    ``threads``/``seed``: HiGHS threads (fixed per process by its first solve) and random seed.
    ``terminal``:
    ``"value"`` or ``"keep"`` (see :class:`~optimizers.milp.model.JointModel`).
    ``neighbourhood_h``: sub-MIP neighbourhood half-width (slots; negative = plain branch and
    bound). ``record_plans``: keep every epoch's data and plan in ``self.plans``.
    ``demand_margin``: safety margin on forecast demand, ``"auto"`` (learned online, see
    :class:`DemandMargin`) or a fixed fraction. ``deadline_guard``: start jobs at their last
    feasible start hour when they fit (:func:`guard_starts`). ``demand_quantile`` /
    ``renewable_quantile``: plan on that quantile (0.1 ... 0.9) of the demand / PV and wind
    forecasts instead of the point forecast (None = point forecast; see docs/robustness.md).
    """

    def __init__(
        self,
        name: str = "milp",
        switches: Switches | None = None,
        horizon_h: int = 24,
        mip_gap: float = 0.01,
        time_limit_s: float = 120.0,
        threads: int = 1,
        seed: int = 0,
        terminal: str = "value",
        neighbourhood_h: int = 1,
        record_plans: bool = False,
        demand_margin: float | str = "auto",
        deadline_guard: bool = True,
        demand_quantile: float | None = None,
        renewable_quantile: float | None = None,
    ) -> None:
        self.deadline_guard = deadline_guard
        self.quantiles = PlanQuantiles(demand_quantile, renewable_quantile)
        self.margin = DemandMargin() if demand_margin == "auto" else \
            DemandMargin(fixed=float(demand_margin))
        self.name = name
        self.switches = switches or Switches()
        self.horizon_h = horizon_h
        self.solver_options = SolverOptions(mip_gap=mip_gap, time_limit_s=time_limit_s,
                                            threads=threads, seed=seed,
                                            neighbourhood_h=neighbourhood_h)
        self.terminal = terminal
        self.record_plans = record_plans
        self.plans: list[PlanRecord] = []
        self._model: JointModel | None = None
        self._fallback = GreedyPolicy()
        self._hours_total = 0

    # ---- protocol ---------------------------------------------------------------------------
    def reset(self, system: SystemModel, hours_total: int) -> None:
        self._model = None
        self._hours_total = hours_total
        self.margin.reset()
        self._fallback.reset(system, hours_total)
        self.plans = []

    def decide(self, obs: Observation) -> Decision:
        cpu = time.process_time()
        try:
            data, plan = self._plan(obs)
        except Exception as err:  # any solver failure: this hour goes to greedy, recorded
            return self._fall_back(obs, f"{type(err).__name__}: {err}")
        expected = obs.forecast("demand", 1)[0]  # point forecast: the quantile/margin is slack
        decision = decision_from_plan(plan, data, obs, self.switches, self.deadline_guard,
                                      expected_demand=expected)
        decision.diagnostics = {**decision.diagnostics, "cpu_s": time.process_time() - cpu}
        if self.record_plans:
            self.plans.append(PlanRecord(data, plan))
        return decision

    # ---- internals --------------------------------------------------------------------------
    def _horizon(self) -> int:
        return self.horizon_h

    def _model_for(self, system: SystemModel) -> tuple[JointModel, float]:
        """The persistent model (built on first use) and the build seconds to report."""
        if self._model is not None:
            return self._model, 0.0
        self._model = JointModel(
            system, self.switches, self._horizon(), terminal=self.terminal,
            solver=self.solver_options)
        return self._model, self._model.build_s

    def _data(self, obs: Observation, model: JointModel) -> HorizonData:
        return from_observation(
            obs, model.horizon, carbon_price_usd_per_t=model.carbon_price_usd_per_t,
            carbon_budget=model.sets.carbon_budget, terminal=self.terminal,
            fifo_jobs=not self.switches.decide_jobs, demand_margin=self.margin.update(obs),
            quantiles=self.quantiles)

    def _plan(self, obs: Observation) -> tuple[HorizonData, Plan]:
        model, build_s = self._model_for(obs.system)
        data = self._data(obs, model)
        build_s += model.update(data)
        return data, model.solve(build_s)

    def _fall_back(self, obs: Observation, why: str) -> Decision:
        decision = self._fallback.decide(obs)
        decision.diagnostics = {"fallback": 1, "status": f"fallback: {why}"[:200],
                                "solve_s": math.nan, "build_s": math.nan,
                                "mip_gap": math.nan,
                                "wall_clock_limit": int("Time limit" in why)}
        return decision


class OraclePolicy(MilpPolicy):
    """Perfect foresight: one joint MILP over the whole run with the realized traces and every
    job (released or not), solved at hour 0; each hour executes that plan. Hour 0's
    diagnostics carry ``run_bound_usd``, a valid bound on the total benefit any policy can
    realize on the run (KPI ``oracle_bound_usd``), and ``run_bound_method``, how it was
    obtained (see :mod:`policies.oracle_bound`).

    ``method``: ``"exact"`` (MILP to ``mip_gap``, 1e-4 relative on the loss; the bound is the
    MIP's), ``"relaxed"`` (LP-relaxation bound beside a neighbourhood sub-MIP plan, for runs
    too long for the exact MILP) or ``"auto"`` (exact when the run is small, see
    :func:`~policies.oracle_bound.oracle_method`).
    """

    perfect_foresight = True

    def __init__(self, name: str = "oracle", time_limit_s: float = 600.0,
                 mip_gap: float = ORACLE_MIP_GAP, demand_margin: float | str = 0.0,
                 method: str = "auto", **options: Any) -> None:
        super().__init__(name=name, time_limit_s=time_limit_s, mip_gap=mip_gap,
                         demand_margin=demand_margin, **options)
        self.method = check_method(method)
        self._exact_options = self.solver_options
        self.method_used = method
        self._solved: tuple[HorizonData, Plan] | None = None

    def reset(self, system: SystemModel, hours_total: int) -> None:
        super().reset(system, hours_total)
        self._solved = None
        self.method_used = oracle_method(self.method, system, hours_total)
        self.solver_options = solver_options_for(self.method_used, self._exact_options)

    def _horizon(self) -> int:
        return self._hours_total

    def _data(self, obs: Observation, model: JointModel) -> HorizonData:
        return from_observation(
            obs, model.horizon, carbon_price_usd_per_t=model.carbon_price_usd_per_t,
            carbon_budget=model.sets.carbon_budget, terminal=self.terminal, foresight=True)

    def _plan(self, obs: Observation) -> tuple[HorizonData, Plan]:
        data, plan = super()._plan(obs)
        retry = retry_options(self.method_used, plan.benefit_usd, plan.bound_usd,
                              self.solver_options)
        if retry is None or self._model is None:
            return data, plan
        self._model.solver.options = retry  # same model and data, solved again
        again = self._model.solve(plan.build_s)
        self._model.solver.options = self.solver_options
        seconds = plan.stats.solve_s + again.stats.solve_s
        return data, replace(again, stats=replace(again.stats, solve_s=seconds))

    def decide(self, obs: Observation) -> Decision:
        if self._solved is None and obs.t == 0:
            try:
                self._solved = self._plan(obs)
            except Exception as err:  # any solver failure: greedy for the run, recorded
                return self._fall_back(obs, f"{type(err).__name__}: {err}")
        if self._solved is None:
            return self._fall_back(obs, "no oracle plan")
        data, plan = self._solved
        decision = decision_from_plan(plan, data, obs, self.switches)
        if obs.t > 0:
            decision.diagnostics = {"fallback": 0}
            return decision
        decision.diagnostics = {**decision.diagnostics, "run_bound_usd": plan.bound_usd,
                                "run_bound_method": bound_method(self.method_used)}
        if self.record_plans:
            self.plans.append(PlanRecord(data, plan))
        return decision


def guard_starts(obs: Observation, starts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``starts`` plus the latest-start guard: a pending job not started this hour whose last
    on-time start hour (deadline - duration) or last start hour at all
    (:func:`simulator.physics.start_window`) is now starts at the site with the most free GPUs
    (after this hour's planned starts), if it fits there. Training has priority on GPUs, so
    the start displaces planned inference (docs/milp.md, "Deadline guarantees")."""
    system = obs.system
    free = obs.gpus_free.astype(float)
    jobs = {job.job_id: job for job in obs.pending}
    for job_id, site in starts:
        if job_id in jobs:
            free[site] -= jobs[job_id].gpus
    started = {job_id for job_id, _ in starts}
    out = list(starts)
    for job in sorted(obs.pending, key=lambda j: (j.latest_start, j.job_id)):
        first, last = start_window(job.release_hour, job.deadline_hour, job.duration_h,
                                   obs.hours_total, system.late_value_fraction)
        if job.job_id in started or not first <= obs.t <= last:
            continue
        if obs.t not in (min(job.latest_start, last), last):
            continue
        site = int(np.argmax(free))
        if free[site] >= job.gpus:
            out.append((job.job_id, site))
            free[site] -= job.gpus
    return out


def decision_from_plan(plan: Plan, data: HorizonData, obs: Observation,
                       switches: Switches, guard: bool = False,
                       expected_demand: np.ndarray | None = None) -> Decision:
    """The plan's slot for hour ``obs.t`` as a Decision, with solve diagnostics.

    Routing: each site's share of the requests planned for a region and class (so whatever
    actually arrives is routed, more or less than forecast), except where the plan serves only
    part of the demand it planned on while an admissible site keeps idle GPUs (it judged the
    rest not worth serving): there the planned requests as a fraction of the arrivals expected
    (``expected_demand`` [R, K] requests/h, the point forecast; default the planned-on demand),
    capped at 1, the rest dropped as planned. A plan on a demand quantile or with a margin thus
    drops nothing of the expected arrivals it planned to serve. A region and class with no
    demand forecast, or none planned because the plan's GPUs are full, gets the simulator's
    default split (:func:`simulator.hour.default_split`);
    nearest-site routing when routing is not decided. Jobs are started by the plan (plus the
    latest-start guard, :func:`guard_starts`, with ``guard``).
    """
    system = obs.system
    slot = obs.t - plan.t0
    if switches.decide_routing:
        demand = data.demand[slot][:, :, None]
        planned = np.where(demand > 0, np.maximum(plan.routed[slot], 0.0), 0.0) * \
            system.admissible
        total = planned.sum(axis=2, keepdims=True)
        share = planned / np.where(total > 1e-9, total, 1.0)
        expected = demand if expected_demand is None else np.broadcast_to(
            np.asarray(expected_demand, dtype=float)[:, :, None], demand.shape)
        fraction = np.minimum(planned / np.where(expected > 0, expected, 1.0), 1.0)
        fraction = np.where(expected > 0, fraction, share)
        # A row the plan serves only in part while an admissible site keeps idle GPUs was
        # judged not worth serving in full: route the planned fraction and drop the rest, as
        # planned. Otherwise (whole row served, or capacity full) route every arrival by share.
        idle = (system.gpus - plan.busy[slot]) > 1e-6
        partial = total < demand * (1.0 - 1e-6)
        judged = partial & (system.admissible & idle[None, None, :]).any(axis=2, keepdims=True)
        # A row the plan has no room for at all (capacity full) is not judged: its arrivals
        # take the default split, served only where GPUs turn out free (lowest priority first
        # to be dropped), which costs nothing more than dropping them unrouted.
        unplanned = (total <= 1e-9) & ~judged
        routing = np.where((demand > 0) & ~unplanned, np.where(judged, fraction, share),
                           default_split(system, obs.gpus_free))
    else:
        routing = nearest_site_routing(system)
    starts = [(job, site) for job, site, hour in plan.starts if hour == obs.t] \
        if switches.decide_jobs else fifo_starts(obs)
    if guard and switches.decide_jobs:
        starts = guard_starts(obs, starts)
    battery = plan.ch[slot] - plan.dis[slot] if switches.battery else None
    genset = plan.gen[slot] if switches.genset else None
    stats = plan.stats
    diagnostics: dict[str, float | int | str] = {
        "solve_s": stats.solve_s,
        "build_s": plan.build_s,
        "mip_gap": stats.gap,
        "status": stats.status,
        "objective": plan.benefit_usd,
        "bound": plan.bound_usd,
        "n_integer": plan.n_integer,
        "n_indicators": plan.n_indicators,
        "phase": stats.phase,
        "nodes": stats.nodes,
        "overshoot_t": plan.overshoot_t,
        "wall_clock_limit": int(stats.wall_clock_limit),
        "fallback": 0,
    }
    return Decision(starts=starts, routing=routing, battery_mw=battery, genset_mw=genset,
                    diagnostics=diagnostics)


__all__ = ["SWITCHES", "MilpPolicy", "OraclePolicy", "PlanRecord", "decision_from_plan",
           "guard_starts"]
