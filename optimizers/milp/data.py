"""Horizon data: everything one solve needs, from an Observation (forecasts) or realized traces.

Arrays are padded to the model's ``horizon`` H; slots at or beyond ``active`` lie after the run
end and carry zeros (no demand, no prices, no device may move). Units: prices USD/MWh, carbon
intensity gCO2/kWh (= kg/MWh), temperature °C, demand requests/h, GPUs, energy MWh, tCO2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.contracts import Observation, PendingJob, RunningJob
from simulator.physics import effective_price, job_earnings, start_window
from simulator.system import SystemModel
from simulator.traceset import SITE_SIGNALS, TraceSet

SECONDS_PER_HOUR = 3600.0
KREQ = 1000.0  # requests per model unit: routing variables are in thousands of requests/hour


@dataclass(frozen=True)
class JobSpec:
    """A schedulable training job in slot terms (slot l = run hour t0 + l).

    Starting in slot ``first..last`` is allowed; a start at or before ``on_time_last`` finishes
    by the deadline and earns ``value_usd``, a later one earns ``late_value_usd``. Every allowed
    start finishes within the run (the simulator credits nothing for unfinished jobs).
    """

    job_id: int
    gpus: int
    duration_h: int
    first: int
    last: int
    on_time_last: int
    value_usd: float
    late_value_usd: float
    sites: tuple[int, ...]

    def value_at(self, slot: int) -> float:
        """Value (USD) credited for a start in ``slot``."""
        return float(start_value_usd(slot, self.on_time_last, self.value_usd,
                                     self.late_value_usd))


def start_value_usd(slot: Any, on_time_last: Any, value_usd: Any, late_value_usd: Any) -> Any:
    """Value (USD) credited for a start in ``slot`` (scalars or arrays): the on-time value up
    to the job's last on-time start slot, its late value after."""
    return np.where(slot <= on_time_last, value_usd, late_value_usd)


@dataclass(frozen=True)
class HorizonData:
    """Inputs of one solve. Site arrays are [H, S]; demand is [H, R, K] requests/h."""

    t0: int
    hours_total: int
    active: int
    buy: np.ndarray
    sell: np.ndarray
    carbon: np.ndarray
    pv_cf: np.ndarray
    wind_cf: np.ndarray
    temperature: np.ndarray
    demand: np.ndarray
    fixed_gpus: np.ndarray
    soc0: np.ndarray
    jobs: tuple[JobSpec, ...]
    carbon_budget_t: float | None
    terminal_usd_per_mwh: np.ndarray
    tail_usd_per_gpu_h: np.ndarray

    @property
    def horizon(self) -> int:
        return self.buy.shape[0]

    @property
    def ends_run(self) -> bool:
        """True when the horizon reaches the end of the run."""
        return self.t0 + self.active >= self.hours_total


def job_specs(jobs: Iterable[PendingJob], t0: int, active: int, hours_total: int,
              site_gpus: np.ndarray, late_value_fraction: float) -> tuple[JobSpec, ...]:
    """Start windows, in slots, of the jobs that can still earn value: the simulator's rule,
    :func:`simulator.physics.start_window`, cut to the horizon."""
    specs = []
    for job in sorted(jobs, key=lambda j: j.job_id):
        first_hour, last_hour = start_window(job.release_hour, job.deadline_hour,
                                             job.duration_h, hours_total, late_value_fraction)
        on_time_last = job.deadline_hour - job.duration_h - t0
        last = min(last_hour - t0, active - 1)
        first = max(first_hour - t0, 0)
        sites = tuple(int(s) for s in np.flatnonzero(site_gpus >= job.gpus))
        if first > last or not sites:
            continue
        specs.append(JobSpec(job.job_id, job.gpus, job.duration_h, first, last, on_time_last,
                             job.value_usd,
                             job_earnings(job.value_usd, job.deadline_hour + 1,
                                          job.deadline_hour, late_value_fraction), sites))
    return tuple(specs)


def running_profile(running: Iterable[RunningJob], t0: int, horizon: int,
                    n_sites: int) -> np.ndarray:
    """GPUs [H, S] held by jobs already running at t0."""
    out = np.zeros((horizon, n_sites))
    for job in running:
        out[: max(0, min(horizon, job.end - t0)), job.site] += job.gpus
    return out


def fifo_profile(system: SystemModel, t0: int, horizon: int, hours_total: int,
                 running: Iterable[RunningJob], pending: Iterable[PendingJob]) -> np.ndarray:
    """GPUs [H, S] held by running jobs plus the known pending jobs started by the ``fifo`` rule
    (release order; home site first, else the first site with room; only inside the job's start
    window) as GPUs free up."""
    held = running_profile(running, t0, horizon, system.n_sites)
    queue = sorted(pending, key=lambda j: (j.release_hour, j.job_id))
    for slot in range(horizon):
        free = system.gpus - held[slot]
        waiting = []
        for job in queue:
            first, last = start_window(job.release_hour, job.deadline_hour, job.duration_h,
                                       hours_total, system.late_value_fraction)
            if t0 + slot > last:
                continue
            if t0 + slot < first:
                waiting.append(job)
                continue
            order = ([job.home_site] if job.home_site >= 0 else []) + list(range(system.n_sites))
            site = next((s for s in order if free[s] >= job.gpus), None)
            if site is None:
                waiting.append(job)
                continue
            held[slot: slot + job.duration_h, site] += job.gpus
            free[site] -= job.gpus
        queue = waiting
    return held


def _pad(values: np.ndarray, horizon: int, active: int) -> np.ndarray:
    out = np.zeros((horizon, *values.shape[1:]))
    out[:active] = values[:active]
    return out


def assemble(
    system: SystemModel,
    signals: dict[str, np.ndarray],
    demand: np.ndarray,
    *,
    t0: int,
    horizon: int,
    hours_total: int,
    fixed_gpus: np.ndarray,
    soc0: np.ndarray,
    jobs: Iterable[PendingJob],
    carbon_used_t: float,
    carbon_price_usd_per_t: float,
    carbon_budget: bool,
    terminal: str,
) -> HorizonData:
    """Pad and derive the horizon inputs.

    ``terminal``: ``"value"`` credits battery energy left at the horizon end at the horizon's
    mean effective buy price (buy + carbon price x intensity) times the discharge efficiency;
    ``"keep"`` leaves it at zero (the model then requires SoC_end >= SoC_start instead). Both are
    zero when the horizon reaches the run end, because the simulator values no leftover energy.
    The carbon budget share is the remaining budget times active / hours left.
    """
    hours_left = hours_total - t0
    active = min(horizon, hours_left)
    padded = {name: _pad(np.asarray(signals[name], dtype=float), horizon, active)
              for name in SITE_SIGNALS}
    eff = effective_price(padded["buy_price"], padded["carbon"], carbon_price_usd_per_t)[:active]
    mean_eff = eff.mean(axis=0)
    ends = active >= hours_left
    terminal_value = np.zeros(system.n_sites) if ends or terminal != "value" else \
        np.maximum(mean_eff, 0.0) * system.eta_discharge
    marginal = system.marginal_mw_per_busy_gpu(padded["temperature"][:active]).mean(axis=0)
    tail = marginal * np.maximum(mean_eff, 0)
    budget = None
    if carbon_budget and system.carbon_budget_t is not None:
        budget = max(system.carbon_budget_t - carbon_used_t, 0.0) * active / hours_left
    return HorizonData(
        t0=t0,
        hours_total=hours_total,
        active=active,
        buy=padded["buy_price"],
        sell=padded["sell_price"],
        carbon=padded["carbon"],
        pv_cf=padded["pv_cf"],
        wind_cf=padded["wind_cf"],
        temperature=padded["temperature"],
        demand=_pad(np.asarray(demand, dtype=float), horizon, active),
        fixed_gpus=_pad(np.asarray(fixed_gpus, dtype=float), horizon, active),
        soc0=np.asarray(soc0, dtype=float).copy(),
        jobs=job_specs(jobs, t0, active, hours_total, system.gpus, system.late_value_fraction),
        carbon_budget_t=budget,
        terminal_usd_per_mwh=terminal_value,
        tail_usd_per_gpu_h=tail,
    )


@dataclass(frozen=True)
class PlanQuantiles:
    """Which forecast quantile (0.1 ... 0.9) a solve plans on, per signal group; None = the
    point forecast. ``demand``: inference arrivals; ``renewable``: PV and wind capacity
    factors."""

    demand: float | None = None
    renewable: float | None = None


def _planned(obs: Observation, name: str, level: float | None, horizon: int) -> np.ndarray:
    """The point forecast of ``name``, or its ``level`` quantile when one is asked for (a
    quantile is not kept inside the physical range by the forecaster: floored at 0, and
    capacity factors capped at 1)."""
    if level is None:
        return obs.forecast(name, horizon)
    upper = 1.0 if name in ("pv_cf", "wind_cf") else np.inf
    return np.clip(obs.forecast_quantile(name, level, horizon), 0.0, upper)


def from_observation(
    obs: Observation,
    horizon: int,
    *,
    carbon_price_usd_per_t: float,
    carbon_budget: bool,
    terminal: str = "value",
    fifo_jobs: bool = False,
    foresight: bool = False,
    demand_margin: float | np.ndarray = 0.0,
    quantiles: PlanQuantiles = PlanQuantiles(),
) -> HorizonData:
    """Horizon data from what a policy knows at epoch t: forecasts, state, released jobs.

    ``fifo_jobs``: pending jobs are not scheduled but started by the ``fifo`` rule (a fixed GPU
    profile). ``foresight``: also schedule jobs released later (perfect foresight only).
    ``quantiles``: plan demand and renewables on forecast quantiles instead of point forecasts.
    """
    system = obs.system
    active = min(horizon, obs.hours_left)
    levels = {"pv_cf": quantiles.renewable, "wind_cf": quantiles.renewable}
    signals = {name: _planned(obs, name, levels.get(name), active) for name in SITE_SIGNALS}
    demand = _planned(obs, "demand", quantiles.demand, active) * (1.0 + np.asarray(demand_margin))
    jobs: list[PendingJob] = list(obs.pending)
    if foresight:
        jobs += obs.expected_jobs(obs.hours_left)
    if fifo_jobs:
        fixed = fifo_profile(system, obs.t, horizon, obs.hours_total, obs.running, jobs)
        jobs = []
    else:
        fixed = running_profile(obs.running, obs.t, horizon, system.n_sites)
    return assemble(system, signals, demand, t0=obs.t, horizon=horizon,
                    hours_total=obs.hours_total, fixed_gpus=fixed, soc0=obs.soc_mwh, jobs=jobs,
                    carbon_used_t=obs.carbon_used_t,
                    carbon_price_usd_per_t=carbon_price_usd_per_t,
                    carbon_budget=carbon_budget, terminal=terminal)


def pending_jobs(traces: TraceSet, system: SystemModel) -> list[PendingJob]:
    """Every job of a trace set as a PendingJob (home site as an index, -1 for none)."""
    index = {name: i for i, name in enumerate(system.site_names)}
    return [
        PendingJob(job_id=int(j.job_id), release_hour=int(j.release_hour), gpus=int(j.gpus),
                   duration_h=int(j.duration_h), deadline_hour=int(j.deadline_hour),
                   value_usd=float(j.value_usd),
                   home_site=index.get(j.home_site, -1) if isinstance(j.home_site, str) else -1)
        for j in traces.jobs.itertuples(index=False)
    ]


def from_traces(
    system: SystemModel,
    traces: TraceSet,
    *,
    t0: int = 0,
    horizon: int | None = None,
    carbon_price_usd_per_t: float | None = None,
    carbon_budget: bool = True,
    terminal: str = "value",
) -> HorizonData:
    """Horizon data from realized traces at run hour ``t0`` with the initial battery state, no
    job running and every job of the traces not yet started (offline solves and benchmarks)."""
    hours_total = traces.run_hours
    horizon = hours_total - t0 if horizon is None else horizon
    rows = slice(traces.history_hours + t0, traces.history_hours + min(hours_total, t0 + horizon))
    signals = {name: traces.signal(name)[rows] for name in SITE_SIGNALS}
    price = system.carbon_price_usd_per_t if carbon_price_usd_per_t is None \
        else carbon_price_usd_per_t
    return assemble(system, signals, traces.demand[rows], t0=t0, horizon=horizon,
                    hours_total=hours_total, fixed_gpus=np.zeros((horizon, system.n_sites)),
                    soc0=system.soc_initial_mwh, jobs=pending_jobs(traces, system),
                    carbon_used_t=0.0, carbon_price_usd_per_t=price,
                    carbon_budget=carbon_budget, terminal=terminal)
