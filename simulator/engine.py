"""The SimPy engine: one master clock process; every training job is a process of its own.

Each run hour t the clock (1) lets every job that ends at t release its GPUs, (2) builds the
Observation, (3) asks the policy for a Decision, (4) executes it for hour [t, t+1) against the
REALIZED traces, clipping what is physically impossible and recording each clip, and (5) writes
the hour into the ledger. Execution order inside an hour: job starts, inference routing and
serving on the GPUs training leaves free, facility load, battery and genset setpoints, grid as
the slack (import up to its cap, export up to its cap when the sell price is positive, then the
surplus order), then money and carbon: the stages of :mod:`simulator.hour`. The rules they
apply live in :mod:`simulator.physics` and :class:`~simulator.system.SystemModel`. In a stepped
run (``start``/``step``, used by the Gymnasium env) the caller supplies each hour's Decision
instead of the policy; the clock and books are the same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import simpy
from tqdm.auto import tqdm

from simulator import hour, physics
from simulator.contracts import (
    Decision,
    ForecastSource,
    Observation,
    PendingJob,
    Policy,
    RunningJob,
)
from simulator.hour import TOL
from simulator.ledger import LedgerBuffer, benefit_usd
from simulator.realized import realized
from simulator.stepping import SteppedClock
from simulator.system import SystemModel
from simulator.traceset import TraceSet

CLIP_COLUMNS = ("hour", "site", "kind", "requested", "executed", "detail")
JOB_RESULT_COLUMNS = (
    "job_id", "release_hour", "gpus", "duration_h", "deadline_hour", "value_usd", "site",
    "start_hour", "end_hour", "status", "earned_usd",
)


@dataclass
class RunResult:
    """Everything one run produced. Tables are pandas; ``meta`` is JSON-ready."""

    ledger: pd.DataFrame
    inference: pd.DataFrame
    jobs: pd.DataFrame
    clips: pd.DataFrame
    steps: pd.DataFrame
    system: SystemModel
    meta: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)
    routing: pd.DataFrame = field(default_factory=pd.DataFrame)


class Simulation(SteppedClock):
    """One run of one policy on one system and trace set."""

    def __init__(
        self,
        system: SystemModel,
        traces: TraceSet,
        policy: Policy,
        forecasts: ForecastSource,
        progress: bool = False,
        foresee_jobs: bool = False,
    ) -> None:
        if traces.sites != system.site_names or traces.regions != system.region_names or \
                traces.classes != system.class_names:
            raise ValueError("traces and system name different sites, regions or classes")
        self.system = system
        self.traces = traces
        self.policy = policy
        self.forecasts = forecasts
        self.progress = progress
        self.foresee_jobs = foresee_jobs
        self.hours = traces.run_hours
        self.env = simpy.Environment()
        sys_ = system
        self.book = LedgerBuffer(self.hours, sys_.n_sites, sys_.n_regions, sys_.n_classes)
        self.realized = realized(sys_, traces)
        self._timestamps = list(traces.index[traces.history_hours:])  # one Timestamp per hour
        self._book_realized()
        self.soc = sys_.soc_initial_mwh.copy()
        self.gpus_training = np.zeros(sys_.n_sites)
        self.carbon_used_t = 0.0
        self.clips: list[tuple] = []
        self.steps: list[dict[str, Any]] = []
        self.pending: dict[int, PendingJob] = {}
        self.running: dict[int, RunningJob] = {}
        self.job_rows: dict[int, dict[str, Any]] = {}
        site_index = {name: i for i, name in enumerate(sys_.site_names)}
        jobs = traces.jobs.sort_values(["release_hour", "job_id"], kind="stable")
        columns = (jobs[c].tolist() for c in ("job_id", "release_hour", "gpus", "duration_h",
                                              "deadline_hour", "value_usd", "home_site"))
        self._releases: list[PendingJob] = [
            PendingJob(
                job_id=int(job_id), release_hour=int(release), gpus=int(gpus),
                duration_h=int(duration), deadline_hour=int(deadline), value_usd=float(value),
                home_site=site_index.get(home, -1) if isinstance(home, str) else -1,
            )
            for job_id, release, gpus, duration, deadline, value, home in zip(*columns,
                                                                              strict=True)
        ]
        self._next_release = 0
        self._priority = sys_.class_priority

    # ---- the clock -------------------------------------------------------------------------
    def run(self) -> RunResult:
        """Simulate every run hour; return the books."""
        self.policy.reset(self.system, self.hours)
        wall = time.perf_counter()
        clock = self.env.process(self._clock())
        self.env.run(until=clock)
        return self._result(time.perf_counter() - wall)

    def result(self) -> RunResult:
        """The books of a finished stepped run."""
        if self._clock_process is None or self._clock_process.is_alive:
            raise RuntimeError("the stepped run is not over")
        return self._result(time.perf_counter() - self._wall)

    def _clock(self):
        # No ETA: one slow hour (an oracle's whole-run solve at hour 0) makes any ETA absurd.
        bar = tqdm(total=self.hours, unit="h", desc=self.policy.name, disable=not self.progress,
                   mininterval=0.5, delay=2.0, leave=False,
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} h "
                              "[{elapsed}]")
        for t in range(self.hours):
            # Jobs ending now were scheduled before this zero-delay event, so they run first.
            yield self.env.timeout(0)
            self._release_and_expire(t)
            obs = self._observe(t)
            tic = time.perf_counter()
            if self._stepped:  # the caller's next step() answers
                decision = yield self._decide(obs)
            else:
                decision = self.policy.decide(obs)
            decide_s = time.perf_counter() - tic
            self._execute(t, decision)
            self.steps.append({"hour": t, "decide_s": decide_s, **dict(decision.diagnostics)})
            bar.update(1)
            yield self.env.timeout(1)
        yield self.env.timeout(0)
        bar.close()

    def _job(self, job: PendingJob, site: int, start: int):
        yield self.env.timeout(job.duration_h)
        end = start + job.duration_h
        self.gpus_training[site] -= job.gpus
        del self.running[job.job_id]
        on_time = end <= job.deadline_hour
        earned = physics.job_earnings(job.value_usd, end, job.deadline_hour,
                                      self.system.late_value_fraction)
        self.book.site["training_value_usd"][end - 1, site] += earned
        self.book.site["benefit_usd"][end - 1, site] += earned
        self.job_rows[job.job_id].update(status="on_time" if on_time else "late",
                                         earned_usd=earned)

    # ---- observation -----------------------------------------------------------------------
    def _release_and_expire(self, t: int) -> None:
        while (self._next_release < len(self._releases)
               and self._releases[self._next_release].release_hour <= t):
            job = self._releases[self._next_release]
            self.pending[job.job_id] = job
            self._next_release += 1
        for job_id in [j for j, job in self.pending.items() if job.deadline_hour <= t]:
            job = self.pending.pop(job_id)
            self.job_rows[job_id] = self._job_row(job, status="expired")

    def _observe(self, t: int) -> Observation:
        row = self.traces.history_hours + t
        traces, forecasts = self.traces, self.forecasts
        return Observation(
            t=t,
            timestamp=self._timestamps[t],
            hours_total=self.hours,
            system=self.system,
            soc_mwh=self.soc.copy(),
            gpus_training=self.gpus_training.copy(),
            running=tuple(self.running.values()),
            pending=tuple(self.pending.values()),
            carbon_used_t=self.carbon_used_t,
            _history=lambda sig: traces.signal(sig)[:row].copy(),
            _forecast=lambda sig, h: forecasts.forecast(sig, t, h),
            _expected_jobs=self._future_jobs if self.foresee_jobs else lambda h: (),
            _job_arrivals=lambda h: forecasts.job_arrivals(t, h),
            _forecast_quantile=lambda sig, q, h: forecasts.quantile(sig, t, h, q),
        )

    def _future_jobs(self, horizon: int) -> tuple[PendingJob, ...]:
        """Jobs released after now and before now + horizon (perfect foresight only)."""
        now = self.env.now
        return tuple(j for j in self._releases[self._next_release:]
                     if now < j.release_hour < now + horizon)

    # ---- execution -------------------------------------------------------------------------
    def _clip(self, t: int, site: int, kind: str, requested: float, executed: float,
              detail: str = "") -> None:
        self.clips.append((t, site, kind, float(requested), float(executed), detail))
        if site >= 0:
            self.book.site["clips"][t, site] += 1

    def _start_jobs(self, t: int, starts) -> None:
        sys_ = self.system
        for job_id, site in starts:
            job = self.pending.get(int(job_id))
            if job is None:
                why = "already started" if job_id in self.running or job_id in self.job_rows \
                    else "not released or unknown"
                self._clip(t, -1, "job_start_refused", 1, 0, f"job {job_id}: {why}")
                continue
            if not 0 <= int(site) < sys_.n_sites:
                self._clip(t, -1, "job_start_refused", 1, 0, f"job {job_id}: no site {site}")
                continue
            site = int(site)
            first, last = physics.start_window(job.release_hour, job.deadline_hour,
                                               job.duration_h, self.hours,
                                               sys_.late_value_fraction)
            if not first <= t <= last:
                self._clip(t, site, "job_start_refused", job.gpus, 0,
                           f"job {job_id}: outside its start window {first}..{last} "
                           "(it could not earn anything)")
                continue
            if self.gpus_training[site] + job.gpus > sys_.gpus[site] + TOL:
                self._clip(t, site, "job_start_refused", job.gpus,
                           sys_.gpus[site] - self.gpus_training[site],
                           f"job {job_id}: not enough free GPUs")
                continue
            del self.pending[job.job_id]
            self.gpus_training[site] += job.gpus
            self.running[job.job_id] = RunningJob(job.job_id, site, t, t + job.duration_h,
                                                  job.gpus)
            self.job_rows[job.job_id] = self._job_row(job, site=site, start=t,
                                                      status="unfinished")
            self.env.process(self._job(job, site, t))

    def _job_row(self, job: PendingJob, site: int = -1, start: int = -1,
                 status: str = "pending") -> dict[str, Any]:
        return {
            "job_id": job.job_id, "release_hour": job.release_hour, "gpus": job.gpus,
            "duration_h": job.duration_h, "deadline_hour": job.deadline_hour,
            "value_usd": job.value_usd, "site": site, "start_hour": start,
            "end_hour": start + job.duration_h if start >= 0 else -1, "status": status,
            "earned_usd": 0.0,
        }

    def _book_realized(self) -> None:
        """The ledger columns no decision changes, for every hour at once."""
        real, book_s = self.realized, self.book.site
        for name, values in (("pue", real.pue), ("pv_available_mw", real.pv_mw),
                             ("wind_available_mw", real.wind_mw),
                             ("buy_price_usd_per_mwh", real.buy_usd_per_mwh),
                             ("sell_price_usd_per_mwh", real.sell_usd_per_mwh),
                             ("carbon_g_per_kwh", real.carbon_g_per_kwh),
                             ("temperature_c", real.temperature_c)):
            book_s[name][:] = values
        self.book.inference["arrived"][:] = real.demand

    def _execute(self, t: int, decision: Decision) -> None:
        """Execute one hour in stages (see :mod:`simulator.hour`) and write the books."""
        sys_, real = self.system, self.realized

        def clip(site: int, kind: str, requested: float, executed: float,
                 detail: str = "") -> None:
            self._clip(t, site, kind, requested, executed, detail)

        if decision.starts:
            self._start_jobs(t, decision.starts)
        arrived = real.demand[t]
        free_gpus = sys_.gpus - self.gpus_training
        routing = hour.checked_routing(sys_, decision.routing, clip)
        if decision.routing is None:  # no routing of the policy's own: the default split
            routing = hour.fill_empty_rows(sys_, routing, arrived, free_gpus, clip)
        routed = routing * arrived[:, :, None]
        served = hour.serve_inference(sys_, routed, free_gpus, self._priority)
        pue = real.pue[t]
        load = hour.facility_load(sys_, served, self.gpus_training, pue)
        renewable = real.renewable_mw[t]
        d = hour.storage_and_genset(sys_, self.soc, decision.battery_mw, decision.genset_mw,
                                    clip)
        net = load.load_mw + d.charge - d.discharge - d.genset - renewable
        shortfall, dropped_grid = hour.relieve_import_cap(
            sys_, net, d, served, real.marginal_mw_per_busy_gpu[t], self._priority, clip)
        if dropped_grid is not None:  # some site was over its import cap
            if np.count_nonzero(dropped_grid):
                load = hour.facility_load(sys_, served, self.gpus_training, pue)
            net = load.load_mw + d.charge - d.discharge - d.genset - renewable - shortfall
        sell = real.sell_usd_per_mwh[t]
        g = hour.settle_grid(sys_, net, d, renewable, sell, clip)
        soc_start = self.soc
        self.soc = np.minimum(np.maximum(sys_.next_soc_mwh(self.soc, d.charge, d.discharge),
                                         sys_.soc_min_mwh), sys_.soc_max_mwh)
        emissions, parts = hour.money_and_carbon(sys_, g, d, shortfall, served,
                                                 real.buy_usd_per_mwh[t], sell,
                                                 real.carbon_g_per_kwh[t])
        self.carbon_used_t += float(emissions.sum())
        book_s = self.book.site
        for name, value in parts.items():
            book_s[name][t] = value
        book_s["benefit_usd"][t] += benefit_usd(parts)
        values = {
            "gpus_training": self.gpus_training,
            "gpus_inference": load.gpus_inference,
            "requests_served": served.sum(axis=(0, 1)),
            "it_mw": load.it_mw, "load_mw": load.load_mw,
            "renewable_used_mw": renewable - g.curtailed_mw, "curtailed_mw": g.curtailed_mw,
            "genset_mw": d.genset, "charge_mw": d.charge, "discharge_mw": d.discharge,
            "soc_start_mwh": soc_start, "soc_end_mwh": self.soc,
            "import_mw": g.import_mw, "export_mw": g.export_mw, "shortfall_mw": shortfall,
            "emissions_t": emissions,
        }
        for name, value in values.items():
            book_s[name][t] = value
        self._book_inference(t, arrived, routed, served, dropped_grid)

    def _book_inference(self, t: int, arrived: np.ndarray, routed: np.ndarray,
                        served: np.ndarray, dropped_grid: np.ndarray | None) -> None:
        """Inference and routing books of hour t (requests/h; penalty USD); ``arrived`` is
        booked for every hour up front. No ``dropped_grid``: nothing was shed."""
        book_i, add = self.book.inference, np.add.reduce
        routed_rk = add(routed, axis=2, out=book_i["routed"][t])
        served_rk = add(served, axis=2, out=book_i["served"][t])
        np.subtract(arrived, routed_rk, out=book_i["dropped_unrouted"][t])
        if dropped_grid is None:  # the dropped_grid row stays 0
            book_i["dropped_capacity"][t] = routed_rk - served_rk
        else:
            grid_rk = dropped_grid.sum(axis=2)
            book_i["dropped_grid"][t] = grid_rk
            book_i["dropped_capacity"][t] = routed_rk - served_rk - grid_rk
        book_i["penalty_usd"][t] = (arrived - served_rk) * \
            self.system.penalty_usd_per_request[None, :]
        add(routed, axis=1, out=self.book.routing["routed"][t])
        add(served, axis=1, out=self.book.routing["served"][t])

    # ---- results ---------------------------------------------------------------------------
    def _result(self, wall_s: float) -> RunResult:
        index = self.traces.index[self.traces.history_hours:]
        for job in self.pending.values():
            status = "expired" if job.deadline_hour <= self.hours else "pending"
            self.job_rows[job.job_id] = self._job_row(job, status=status)
        for job in self._releases[self._next_release:]:
            self.job_rows[job.job_id] = self._job_row(job, status="unreleased")
        jobs = pd.DataFrame(sorted(self.job_rows.values(), key=lambda r: r["job_id"]),
                            columns=list(JOB_RESULT_COLUMNS))
        clips = pd.DataFrame(self.clips, columns=list(CLIP_COLUMNS))
        steps = pd.DataFrame(self.steps)
        # A policy that let the clock stop a solve (a wall-clock safety net) may decide
        # differently under another machine load: the run says so.
        reproducible = "wall_clock_limit" not in steps or \
            not steps["wall_clock_limit"].fillna(0).astype(bool).any()
        return RunResult(
            ledger=self.book.site_frame(index, self.system.site_names),
            inference=self.book.inference_frame(index, self.system.region_names,
                                                self.system.class_names),
            jobs=jobs,
            clips=clips,
            steps=steps,
            system=self.system,
            meta={"policy": self.policy.name, "hours": self.hours, "wall_s": wall_s,
                  "reproducible": bool(reproducible)},
            routing=self.book.routing_frame(index, self.system.region_names,
                                            self.system.site_names),
            extras=self.forecasts.artifacts(),
        )
