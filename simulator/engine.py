"""The SimPy engine: one master clock process; every training job is a process of its own.

Each run hour t the clock (1) lets every job that ends at t release its GPUs, (2) builds the
Observation, (3) asks the policy for a Decision, (4) executes it for hour [t, t+1) against the
REALIZED traces, clipping what is physically impossible and recording each clip, and (5) writes
the hour into the ledger. Execution order inside an hour: job starts, inference routing and
serving on the GPUs training leaves free, facility load, battery and genset setpoints, grid as
the slack (import up to its cap, export up to its cap when the sell price is positive),
then money and carbon.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import simpy
from tqdm.auto import tqdm

from policies.base import Decision, Observation, PendingJob, Policy, RunningJob
from simulator.ledger import BENEFIT_PARTS, LedgerBuffer
from simulator.system import SystemModel
from traces.forecast import ForecastProvider
from traces.traceset import TraceSet

SECONDS_PER_HOUR = 3600.0
TOL = 1e-9
CLIP_COLUMNS = ("hour", "site", "kind", "requested", "executed", "detail")
JOB_RESULT_COLUMNS = (
    "job_id", "release_hour", "gpus", "duration_h", "deadline_hour", "value_usd", "site",
    "start_hour", "end_hour", "status", "earned_usd",
)


def _setpoint(values, n: int) -> np.ndarray | None:
    """A policy's per-site setpoint as floats (None = 0 everywhere; NaN = 0).

    Returns None when the shape is wrong (the caller records the clip)."""
    if values is None:
        return np.zeros(n)
    out = np.array(values, dtype=float).reshape(-1)
    if out.shape != (n,):
        return None
    out[np.isnan(out)] = 0.0
    return out


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


class Simulation:
    """One run of one policy on one system and trace set."""

    def __init__(
        self,
        system: SystemModel,
        traces: TraceSet,
        policy: Policy,
        forecasts: ForecastProvider,
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
        self._releases: list[PendingJob] = [
            PendingJob(
                job_id=int(j.job_id), release_hour=int(j.release_hour), gpus=int(j.gpus),
                duration_h=int(j.duration_h), deadline_hour=int(j.deadline_hour),
                value_usd=float(j.value_usd),
                home_site=site_index.get(j.home_site, -1) if isinstance(j.home_site, str) else -1,
            )
            for j in jobs.itertuples(index=False)
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

    def _clock(self):
        bar = tqdm(total=self.hours, unit="h", desc=self.policy.name, disable=not self.progress,
                   mininterval=0.5, delay=2.0, leave=False)
        for t in range(self.hours):
            # Jobs ending now were scheduled before this zero-delay event, so they run first.
            yield self.env.timeout(0)
            self._release_and_expire(t)
            obs = self._observe(t)
            tic = time.perf_counter()
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
        earned = job.value_usd * (1.0 if on_time else self.system.late_value_fraction)
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
            timestamp=traces.index[row],
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

    def _routing(self, t: int, routing: np.ndarray | None) -> np.ndarray:
        sys_ = self.system
        shape = (sys_.n_regions, sys_.n_classes, sys_.n_sites)
        if routing is None:
            return np.zeros(shape)
        a = np.asarray(routing, dtype=float)
        if a.shape != shape:
            self._clip(t, -1, "routing_refused", float("nan"), 0.0,
                       f"routing has shape {a.shape}, expected {shape}")
            return np.zeros(shape)
        bad = ~np.isfinite(a) | (a < 0)
        if bad.any():
            self._clip(t, -1, "routing_invalid_fraction", float(np.nansum(np.abs(a[bad]))), 0.0,
                       f"{int(bad.sum())} NaN or negative fractions set to 0")
            a = np.where(bad, 0.0, a)
        inadmissible = (a > 0) & ~sys_.admissible
        if inadmissible.any():
            self._clip(t, -1, "routing_latency", float(a[inadmissible].sum()), 0.0,
                       f"{int(inadmissible.sum())} routes over their latency SLO set to 0")
            a = np.where(sys_.admissible, a, 0.0)
        total = a.sum(axis=2, keepdims=True)
        over = total > 1 + TOL
        if over.any():
            self._clip(t, -1, "routing_over_one", float(total[over].sum()), float(over.sum()),
                       f"{int(over.sum())} region-class rows summing above 1 rescaled")
            a = np.where(over, a / np.where(over, total, 1.0), a)
        return a

    def _execute(self, t: int, decision: Decision) -> None:
        sys_, S = self.system, self.system.n_sites
        row = self.traces.history_hours + t
        sig = self.traces.site_signals
        book_s, book_i = self.book.site, self.book.inference
        self._start_jobs(t, decision.starts)

        # Inference: route the actual arrivals, serve on free GPUs by class priority.
        arrived = self.traces.demand[row]
        a = self._routing(t, decision.routing)
        routed = a * arrived[:, :, None]
        h = sys_.gpu_seconds_per_request
        free_gpu_s = np.maximum(sys_.gpus - self.gpus_training, 0.0) * SECONDS_PER_HOUR
        cap = free_gpu_s.copy()
        served = np.zeros_like(routed)
        for k in self._priority:
            need = routed[:, k, :].sum(axis=0) * h[k]
            frac = np.minimum(1.0, np.divide(cap, need, out=np.ones(S), where=need > 0))
            served[:, k, :] = routed[:, k, :] * frac
            cap = np.maximum(cap - need * frac, 0.0)
        temperature = sig["temperature"][row]
        pue = sys_.pue(temperature)
        marginal_mw_per_gpu_s = (sys_.busy_mw_per_gpu - sys_.idle_mw_per_gpu) * pue / \
            SECONDS_PER_HOUR

        def load_of(served_: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            gpu_s = (served_ * h[None, :, None]).sum(axis=(0, 1))
            busy = self.gpus_training + gpu_s / SECONDS_PER_HOUR
            it = sys_.it_power_mw(busy)
            return gpu_s, it, it * pue

        gpu_s, it, load = load_of(served)
        pv = sys_.pv_mw * sig["pv_cf"][row]
        wind = sys_.wind_mw * sig["wind_cf"][row]
        renewable = pv + wind

        # Battery and genset setpoints, clipped to what is feasible this hour.
        lo, hi = sys_.battery_range_mw(self.soc)
        b_req = _setpoint(decision.battery_mw, S)
        if b_req is None:
            self._clip(t, -1, "battery_refused", float("nan"), 0.0, "setpoint shape is not [sites]")
            b_req = np.zeros(S)
        b = np.minimum(np.maximum(b_req, lo), hi)
        for s in np.flatnonzero(np.abs(b - b_req) > 1e-6):
            self._clip(t, int(s), "battery_limit", b_req[s], b[s])
        charge, discharge = np.maximum(b, 0.0), np.maximum(-b, 0.0)
        g_req = _setpoint(decision.genset_mw, S)
        if g_req is None:
            self._clip(t, -1, "genset_refused", float("nan"), 0.0, "setpoint shape is not [sites]")
            g_req = np.zeros(S)
        genset = np.minimum(np.maximum(g_req, 0.0), sys_.genset_mw)
        for s in np.flatnonzero(np.abs(genset - g_req) > 1e-6):
            self._clip(t, int(s), "genset_limit", g_req[s], genset[s])

        net = load + charge - discharge - genset - renewable
        shortfall = np.zeros(S)
        dropped_grid = np.zeros_like(served)
        for s in np.flatnonzero(net > sys_.import_cap_mw + TOL):
            excess = net[s] - sys_.import_cap_mw[s]
            cut = min(excess, charge[s])
            if cut > 0:
                self._clip(t, int(s), "charge_cut_import_cap", charge[s], charge[s] - cut)
                charge[s] -= cut
                excess -= cut
            lo_s = -lo[s]
            for name, arr, limit in (("genset_raised_import_cap", genset, sys_.genset_mw[s]),
                                     ("discharge_raised_import_cap", discharge, lo_s)):
                add = min(excess, limit - arr[s])
                if add > TOL:
                    self._clip(t, int(s), name, arr[s], arr[s] + add)
                    arr[s] += add
                    excess -= add
            for k in self._priority[::-1]:
                if excess <= TOL:
                    break
                mw_per_request = h[k] * marginal_mw_per_gpu_s[s]
                have = served[:, k, s].sum()
                if have <= 0 or mw_per_request <= 0:
                    continue
                shed = min(have, excess / mw_per_request)
                share = served[:, k, s] * (shed / have)
                served[:, k, s] -= share
                dropped_grid[:, k, s] += share
                excess -= shed * mw_per_request
                self._clip(t, int(s), "inference_shed_import_cap", have, have - shed,
                           sys_.class_names[k])
            if excess > TOL:
                shortfall[s] = excess
                self._clip(t, int(s), "shortfall_import_cap", excess, 0.0)
        if dropped_grid.any():
            gpu_s, it, load = load_of(served)
        net = load + charge - discharge - genset - renewable - shortfall
        grid_import = np.minimum(np.maximum(net, 0.0), sys_.import_cap_mw)
        surplus = np.maximum(-net, 0.0)
        sell = sig["sell_price"][row]
        export = np.where(sell > 0, np.minimum(surplus, sys_.export_cap_mw), 0.0)
        left = surplus - export
        curtailed = np.zeros(S)
        for s in np.flatnonzero(left > TOL):
            extra = left[s]
            for name, arr in (("genset_cut_surplus", genset), ("discharge_cut_surplus",
                                                                discharge)):
                cut = min(extra, arr[s])
                if cut > TOL:
                    self._clip(t, int(s), name, arr[s], arr[s] - cut)
                    arr[s] -= cut
                    extra -= cut
            curtailed[s] = min(extra, renewable[s])

        soc_start = self.soc
        self.soc = np.minimum(np.maximum(sys_.next_soc_mwh(self.soc, charge, discharge),
                                         sys_.soc_min_mwh), sys_.soc_max_mwh)

        # Money and carbon.
        buy = sig["buy_price"][row]
        carbon = sig["carbon"][row]
        emissions_t = (grid_import * carbon + genset * sys_.genset_kg_per_mwh) / 1000.0
        if sys_.export_carbon_credit:
            emissions_t = emissions_t - export * carbon / 1000.0
        self.carbon_used_t += float(emissions_t.sum())
        requests_served = served.sum(axis=(0, 1))
        parts = {
            "energy_cost_usd": grid_import * buy,
            "export_revenue_usd": export * sell,
            "genset_cost_usd": genset * sys_.genset_fuel_usd_per_mwh,
            "degradation_cost_usd": (charge + discharge) * sys_.degradation_usd_per_mwh,
            "carbon_cost_usd": emissions_t * sys_.carbon_price_usd_per_t,
            "shortfall_cost_usd": shortfall * sys_.shortfall_penalty_usd_per_mwh,
            "inference_revenue_usd": (served.sum(axis=0) * sys_.revenue_usd_per_request[:, None]
                                      ).sum(axis=0),
        }
        for name, value in parts.items():
            book_s[name][t] = value
        book_s["benefit_usd"][t] += sum(BENEFIT_PARTS[n] * v for n, v in parts.items())
        values = {
            "gpus_training": self.gpus_training,
            "gpus_inference": gpu_s / SECONDS_PER_HOUR,
            "requests_served": requests_served,
            "pue": pue, "it_mw": it, "load_mw": load,
            "pv_available_mw": pv, "wind_available_mw": wind,
            "renewable_used_mw": renewable - curtailed, "curtailed_mw": curtailed,
            "genset_mw": genset, "charge_mw": charge, "discharge_mw": discharge,
            "soc_start_mwh": soc_start, "soc_end_mwh": self.soc,
            "import_mw": grid_import, "export_mw": export, "shortfall_mw": shortfall,
            "buy_price_usd_per_mwh": buy, "sell_price_usd_per_mwh": sell,
            "carbon_g_per_kwh": carbon, "temperature_c": temperature,
            "emissions_t": emissions_t,
        }
        for name, value in values.items():
            book_s[name][t] = value

        routed_rk = routed.sum(axis=2)
        served_rk = served.sum(axis=2)
        grid_rk = dropped_grid.sum(axis=2)
        book_i["arrived"][t] = arrived
        book_i["routed"][t] = routed_rk
        book_i["served"][t] = served_rk
        book_i["dropped_unrouted"][t] = arrived - routed_rk
        book_i["dropped_grid"][t] = grid_rk
        book_i["dropped_capacity"][t] = routed_rk - served_rk - grid_rk
        book_i["penalty_usd"][t] = (arrived - served_rk) * sys_.penalty_usd_per_request[None, :]
        self.book.routing["routed"][t] = routed.sum(axis=1)
        self.book.routing["served"][t] = served.sum(axis=1)

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
        return RunResult(
            ledger=self.book.site_frame(index, self.system.site_names),
            inference=self.book.inference_frame(index, self.system.region_names,
                                                self.system.class_names),
            jobs=jobs,
            clips=clips,
            steps=pd.DataFrame(self.steps),
            system=self.system,
            meta={"policy": self.policy.name, "hours": self.hours, "wall_s": wall_s},
            routing=self.book.routing_frame(index, self.system.region_names,
                                            self.system.site_names),
            extras=self.forecasts.artifacts(),
        )
