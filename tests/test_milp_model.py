"""The joint MILP against optima computed another way, on instances small enough to enumerate.

The reference is an independent LP written with highspy's own modelling layer straight from the
simulator's rules (no Pyomo, no code shared with optimizers.milp): every combination of job
starts (or of exclusivity choices) is fixed and the rest solved as an LP; the best of them is
the true optimum the MILP must reproduce.
"""

from __future__ import annotations

import itertools

import highspy
import numpy as np
import pytest

from gridshift.api import build_traces
from optimizers.milp import JointModel, SolverOptions, Switches, from_traces
from optimizers.milp.data import fifo_profile, job_specs, pending_jobs
from simulator.contracts import PendingJob, RunningJob
from simulator.scenario import parse_scenario
from simulator.system import build_system
from simulator.traceset import SITE_SIGNALS, TraceSet
from tests.conftest import tiny_dict

EXACT = SolverOptions(mip_gap=1e-9, threads=1)


def _scenario(hours: int, jobs: list[dict], **updates):
    data = tiny_dict(hours=hours, jobs={"jobs": jobs, "arrivals_per_hour": 0.0}, **updates)
    return parse_scenario(data)


def _with_prices(traces: TraceSet, site: int, buy: dict[int, float], sell: dict[int, float]):
    """The same traces with chosen buy/sell prices at one site (run hours)."""
    signals = {k: np.array(v) for k, v in traces.site_signals.items()}
    for hour, price in buy.items():
        signals["buy_price"][traces.history_hours + hour, site] = price
    for hour, price in sell.items():
        signals["sell_price"][traces.history_hours + hour, site] = price
    return TraceSet(index=traces.index, history_hours=traces.history_hours, sites=traces.sites,
                    regions=traces.regions, classes=traces.classes, site_signals=signals,
                    demand=np.array(traces.demand), jobs=traces.jobs)


def reference_lp(system, traces, starts, exclusive=None, relax_exclusive=False) -> float:
    """Best benefit (USD) over the whole run with job starts fixed, by an independent LP
    (-inf when the fixed choices leave no feasible dispatch).

    ``starts``: (gpus, duration, value, site, start hour). ``exclusive``: {(hour, site):
    (charging, importing)} forces those directions (the simulator never charges and discharges,
    imports and exports, or curtails while importing, in one hour); ``relax_exclusive`` drops
    that rule entirely.
    """
    hours = traces.run_hours
    rows = slice(traces.history_hours, traces.history_hours + hours)
    sig = {name: traces.signal(name)[rows] for name in SITE_SIGNALS}
    demand = traces.demand[rows]
    cp = system.carbon_price_usd_per_t
    h = highspy.Highs()
    h.silent()
    h.setOptionValue("threads", 1)
    training = np.zeros((hours, system.n_sites))
    objective = 0.0
    for gpus, duration, value, site, start in starts:
        training[start:start + duration, site] += gpus
        objective += value
    objective -= float((demand.sum(axis=(0, 1)) * system.penalty_usd_per_request).sum())
    soc = list(system.soc_initial_mwh)
    served: dict[tuple[int, int, int], list] = {}
    for t in range(hours):
        pue = system.pue(sig["temperature"][t])
        for s in range(system.n_sites):
            work = training[t, s]
            for r, k in itertools.product(range(system.n_regions), range(system.n_classes)):
                if system.admissible[r, k, s]:
                    x = h.addVariable(lb=0.0)
                    served.setdefault((t, r, k), []).append(x)
                    work = work + system.gpu_seconds_per_request[k] / 3600.0 * x
                    objective = objective + (system.revenue_usd_per_request[k]
                                             + system.penalty_usd_per_request[k]) * x
            h.addConstr(work <= system.gpus[s])
            sells = sig["sell_price"][t, s] > 0
            imp = h.addVariable(lb=0.0, ub=system.import_cap_mw[s])
            exp = h.addVariable(lb=0.0, ub=system.export_cap_mw[s] if sells else 0.0)
            avail = system.pv_mw[s] * sig["pv_cf"][t, s] + system.wind_mw[s] * sig["wind_cf"][t, s]
            ren = h.addVariable(lb=0.0, ub=avail)
            gen = h.addVariable(lb=0.0, ub=system.genset_mw[s])
            ch = h.addVariable(lb=0.0, ub=system.battery_mw[s])
            dis = h.addVariable(lb=0.0, ub=system.battery_mw[s])
            e = h.addVariable(lb=system.soc_min_mwh[s], ub=system.soc_max_mwh[s])
            load = pue[s] * (system.gpus[s] * system.idle_mw_per_gpu[s] + (
                system.busy_mw_per_gpu[s] - system.idle_mw_per_gpu[s]) * work)
            h.addConstr(ren + gen + dis + imp - ch - exp - load == 0)
            h.addConstr(e - system.eta_charge[s] * ch + dis / system.eta_discharge[s] == soc[s])
            soc[s] = e
            if not relax_exclusive:
                charging, importing = (exclusive or {}).get((t, s), (None, None))
                if charging is not None:
                    h.addConstr((dis if charging else ch) <= 0)
                if importing is not None:
                    if importing:
                        h.addConstr(exp <= 0)
                        h.addConstr(ren >= avail)
                    else:
                        h.addConstr(imp <= 0)
            ci = sig["carbon"][t, s] / 1000.0
            fuel = system.genset_fuel_usd_per_mwh[s] + cp * system.genset_kg_per_mwh[s] / 1000
            objective = objective - (sig["buy_price"][t, s] + cp * ci) * imp \
                + sig["sell_price"][t, s] * exp - fuel * gen \
                - system.degradation_usd_per_mwh[s] * (ch + dis)
    for (t, r, k), xs in served.items():
        h.addConstr(h.qsum(xs) <= demand[t, r, k])
    h.maximize(objective)
    if h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
        return -np.inf  # e.g. "not importing" in an hour whose load needs the grid
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value


def test_milp_equals_enumerated_job_starts() -> None:
    """Two jobs competing with inference for GPUs: the MILP optimum is the best of every
    combination of (no start | site x start hour), each completed by the reference LP."""
    jobs = [{"job_id": 0, "release_hour": 0, "gpus": 24, "duration_h": 2, "deadline_hour": 5,
             "value_usd": 40.0},
            {"job_id": 1, "release_hour": 1, "gpus": 32, "duration_h": 3, "deadline_hour": 6,
             "value_usd": 55.0}]
    scenario = _scenario(6, jobs)
    system, traces = build_system(scenario), build_traces(scenario)
    model = JointModel(system, Switches(), horizon=6, solver=EXACT)
    model.update(from_traces(system, traces))
    plan = model.solve()

    options = []
    for job in jobs:
        choices = [None] + [(s, t) for s in range(system.n_sites)
                            if system.gpus[s] >= job["gpus"]
                            for t in range(job["release_hour"],
                                           job["deadline_hour"] - job["duration_h"] + 1)]
        options.append(choices)
    values = {}
    for combo in itertools.product(*options):
        starts = [(job["gpus"], job["duration_h"], job["value_usd"], *choice)
                  for job, choice in zip(jobs, combo, strict=True) if choice is not None]
        held = np.zeros((6, system.n_sites))
        for gpus, duration, _v, s, t in starts:
            held[t:t + duration, s] += gpus
        if (held <= system.gpus).all():
            values[combo] = reference_lp(system, traces, starts)
    best = max(values.values())
    assert plan.benefit_usd == pytest.approx(best, abs=1e-3)
    assert plan.bound_usd >= best - 1e-3
    # The choice matters: the enumeration spans more than the tolerance.
    assert best - min(values.values()) > 1.0
    chosen = tuple(next(((s, t) for job_id, s, t in plan.starts if job_id == job["job_id"]),
                        None) for job in jobs)
    assert values[chosen] == pytest.approx(best, abs=1e-3)


def test_exclusivity_binaries_where_prices_make_the_lp_inexact() -> None:
    """Negative buy prices (burning energy pays) and an export worth more than import: the MILP
    must equal the best over every (charging?, importing?) choice per hour, which is strictly
    below the LP that lets flows run both ways."""
    scenario = _scenario(3, [])
    system = build_system(scenario)
    traces = _with_prices(build_traces(scenario), site=0, buy={1: -300.0, 2: 40.0},
                          sell={1: -310.0, 2: 120.0})
    model = JointModel(system, Switches(), horizon=3, solver=EXACT)
    model.update(from_traces(system, traces))
    plan = model.solve()
    assert plan.n_integer > 0  # binaries switched on where needed

    best = -np.inf
    for choice in itertools.product((False, True), repeat=6):
        exclusive = {(t, 0): (choice[2 * t], choice[2 * t + 1]) for t in range(3)}
        best = max(best, reference_lp(system, traces, [], exclusive))
    relaxed = reference_lp(system, traces, [], relax_exclusive=True)
    assert relaxed > best + 1.0
    assert plan.benefit_usd == pytest.approx(best, abs=1e-3)
    curtailed = system.pv_mw[0] * traces.signal("pv_cf")[traces.history_hours:][:3, 0] \
        - plan.ren[:3, 0]
    assert np.all(np.minimum(plan.ch, plan.dis) < 1e-7)
    assert np.all(np.minimum(plan.imp, plan.exp) < 1e-7)
    assert np.all(np.minimum(plan.imp[:3, 0], curtailed) < 1e-7)


def test_job_windows() -> None:
    job = PendingJob(job_id=7, release_hour=2, gpus=64, duration_h=3, deadline_hour=9,
                     value_usd=100.0, home_site=-1)
    gpus = np.array([32.0, 64.0])
    (spec,) = job_specs([job], t0=1, active=24, hours_total=24, site_gpus=gpus,
                        late_value_fraction=0.0)
    assert (spec.first, spec.last, spec.sites) == (1, 5, (1,))
    (late,) = job_specs([job], t0=1, active=24, hours_total=24, site_gpus=gpus,
                        late_value_fraction=0.5)
    assert (late.last, late.on_time_last, late.value_at(6)) == (7, 5, 50.0)
    (cut,) = job_specs([job], t0=1, active=6, hours_total=7, site_gpus=gpus,
                       late_value_fraction=0.0)
    assert cut.last == 3  # must finish within the run
    assert job_specs([job], t0=8, active=10, hours_total=24, site_gpus=gpus,
                     late_value_fraction=0.0) == ()


def test_fifo_profile_starts_jobs_as_gpus_free_up(tiny) -> None:
    system = build_system(tiny)  # site 0: 64 GPUs
    running = [RunningJob(job_id=1, site=0, start=0, end=3, gpus=40)]
    pending = [PendingJob(2, 0, 48, 2, 20, 10.0, home_site=0),
               PendingJob(3, 1, 20, 4, 20, 10.0, home_site=-1)]
    held = fifo_profile(system, t0=1, horizon=6, hours_total=24, running=running,
                        pending=pending)
    # Job 3 (20 GPUs) fits next to job 1 at once; job 2 (48 GPUs, home 0) waits until both
    # have left site 0 (site 1 is too small), although it was released first.
    np.testing.assert_array_equal(held[:, 0], [60, 60, 20, 20, 48, 48])
    np.testing.assert_array_equal(held[:, 1], [0, 0, 0, 0, 0, 0])


def test_every_trace_job_becomes_pending(tiny) -> None:
    traces, system = build_traces(tiny), build_system(tiny)
    jobs = pending_jobs(traces, system)
    assert [j.job_id for j in jobs] == list(traces.jobs["job_id"])
