"""Invariant checks on a run's books: the physics and the accounting must close.

Every check returns human-readable violations; ``assert_invariants`` raises with all of them.

This module is the project's one deliberate, independent restatement of the rules that
:mod:`simulator.physics` and :class:`~simulator.system.SystemModel` define (energy balance,
state of charge, emissions, money = quantity x price, IT power and PUE): it re-derives them
from the ledger columns on purpose, without calling those functions, so that a bug in a rule's
one home cannot also hide itself here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.engine import RunResult
from simulator.errors import InvariantError
from simulator.ledger import BENEFIT_PARTS

# Tolerances scale with the magnitudes compared: an absolute floor plus REL_TOL of the larger
# magnitude (float64 keeps ~16 digits, so 1e11 requests or MWh still check to ~1e-9).
ENERGY_TOL_MWH = 1e-6
MONEY_TOL_USD = 1e-4
GPU_TOL = 1e-6
REQUEST_TOL = 1e-6
REL_TOL = 1e-9


def _differ(a: object, b: object, floor: float, scale: object = 0.0) -> np.ndarray:
    """Where |a - b| exceeds ``floor`` + REL_TOL x max(|a|, |b|, |scale|) (elementwise);
    ``scale``: the size of the terms ``a`` or ``b`` was summed from."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    size = np.maximum(np.maximum(np.abs(a), np.abs(b)), np.abs(np.asarray(scale, dtype=float)))
    return np.abs(a - b) > floor + REL_TOL * size


def _below(x: object, bound: object, floor: float, scale: object = 0.0) -> np.ndarray:
    """Where x < bound by more than ``floor`` + REL_TOL x max(|bound|, |scale|)."""
    x, bound = np.asarray(x, dtype=float), np.asarray(bound, dtype=float)
    size = np.maximum(np.abs(bound), np.abs(np.asarray(scale, dtype=float)))
    return x < bound - (floor + REL_TOL * size)


def _above(x: object, bound: object, floor: float) -> np.ndarray:
    """Where x > bound by more than ``floor`` + REL_TOL x |bound|."""
    return _below(-np.asarray(x, dtype=float), -np.asarray(bound, dtype=float), floor)


def _where(frame: pd.DataFrame, mask: np.ndarray, what: str) -> list[str]:
    if not mask.any():
        return []
    row = frame.loc[mask].iloc[0]
    where = f"hour {int(row['hour'])}" + (f", site {row['site']}" if "site" in frame else "")
    return [f"{what}: {int(mask.sum())} rows, first at {where}"]


def check_invariants(result: RunResult) -> list[str]:
    """All violations found in ``result`` (empty when the books are right)."""
    led, inf, jobs, sys_ = result.ledger, result.inference, result.jobs, result.system
    out: list[str] = []
    for name, table in (("ledger", led), ("inference", inf), ("routing", result.routing),
                        ("jobs", jobs)):
        numeric = table.select_dtypes("number")
        bad = ~np.isfinite(numeric.to_numpy(dtype=float))
        if bad.any():
            row, col = np.argwhere(bad)[0]
            out.append(f"{name}: {int(bad.sum())} missing or non-finite values, first in "
                       f"column {numeric.columns[col]} row {row}")
    if out:
        return out
    supply = (led["renewable_used_mw"] + led["genset_mw"] + led["discharge_mw"] +
              led["import_mw"] + led["shortfall_mw"])
    demand = led["load_mw"] + led["charge_mw"] + led["export_mw"]
    out += _where(led, _differ(supply, demand, ENERGY_TOL_MWH), "energy balance does not close")
    flow_scale = np.maximum(supply.abs().to_numpy(), demand.abs().to_numpy())
    nonneg = ["renewable_used_mw", "curtailed_mw", "genset_mw", "charge_mw", "discharge_mw",
              "import_mw", "export_mw", "shortfall_mw", "load_mw", "gpus_training",
              "gpus_inference"]
    for col in nonneg:
        out += _where(led, _below(led[col], 0.0, ENERGY_TOL_MWH, flow_scale), f"{col} negative")
    s = pd.Index(sys_.site_names).get_indexer(led["site"])
    out += _where(led, _differ(led["renewable_used_mw"] + led["curtailed_mw"],
                               led["pv_available_mw"] + led["wind_available_mw"],
                               ENERGY_TOL_MWH), "renewable used + curtailed != available")
    out += _where(led, _below(led["soc_end_mwh"], sys_.soc_min_mwh[s], ENERGY_TOL_MWH),
                  "state of charge below its minimum")
    out += _where(led, _above(led["soc_end_mwh"], sys_.soc_max_mwh[s], ENERGY_TOL_MWH),
                  "state of charge above its maximum")
    soc_next = (led["soc_start_mwh"].to_numpy() + sys_.eta_charge[s] * led["charge_mw"].to_numpy()
                - led["discharge_mw"].to_numpy() / sys_.eta_discharge[s])
    out += _where(led, _differ(soc_next, led["soc_end_mwh"], ENERGY_TOL_MWH),
                  "state of charge does not follow charge/discharge")
    n_sites = sys_.n_sites
    soc_end = led["soc_end_mwh"].to_numpy().reshape(-1, n_sites)
    soc_start = led["soc_start_mwh"].to_numpy().reshape(-1, n_sites)
    if len(soc_end) > 1 and _differ(soc_end[:-1], soc_start[1:], ENERGY_TOL_MWH).any():
        out.append("state of charge jumps between hours")
    out += _where(led, _above(led["charge_mw"], sys_.battery_mw[s], ENERGY_TOL_MWH),
                  "charging above battery power")
    out += _where(led, _above(led["discharge_mw"], sys_.battery_mw[s], ENERGY_TOL_MWH),
                  "discharging above battery power")
    out += _where(led, _above(led["import_mw"], sys_.import_cap_mw[s], ENERGY_TOL_MWH),
                  "import above cap")
    out += _where(led, _above(led["export_mw"], sys_.export_cap_mw[s], ENERGY_TOL_MWH),
                  "export above cap")
    out += _where(led, _above(led["genset_mw"], sys_.genset_mw[s], ENERGY_TOL_MWH),
                  "genset above capacity")
    out += _where(led, (led["import_mw"] > ENERGY_TOL_MWH).to_numpy() &
                  (led["export_mw"] > ENERGY_TOL_MWH).to_numpy(), "import and export at once")
    out += _where(led, (led["charge_mw"] > ENERGY_TOL_MWH).to_numpy() &
                  (led["discharge_mw"] > ENERGY_TOL_MWH).to_numpy(),
                  "charge and discharge at once")
    out += _where(led, (led["export_mw"] > ENERGY_TOL_MWH).to_numpy() &
                  (led["sell_price_usd_per_mwh"] <= 0).to_numpy(), "export at a price <= 0")
    if len(led):
        first = led["soc_start_mwh"].to_numpy()[:sys_.n_sites]
        if np.abs(first - sys_.soc_initial_mwh).max() > ENERGY_TOL_MWH:
            out.append("first hour does not start at the initial state of charge")
    money = {
        "energy_cost_usd": led["import_mw"] * led["buy_price_usd_per_mwh"],
        "export_revenue_usd": led["export_mw"] * led["sell_price_usd_per_mwh"],
        "genset_cost_usd": led["genset_mw"] * sys_.genset_fuel_usd_per_mwh[s],
        "degradation_cost_usd": (led["charge_mw"] + led["discharge_mw"]) *
        sys_.degradation_usd_per_mwh[s],
        "carbon_cost_usd": led["emissions_t"] * sys_.carbon_price_usd_per_t,
        "shortfall_cost_usd": led["shortfall_mw"] * sys_.shortfall_penalty_usd_per_mwh,
    }
    for name, expected in money.items():
        out += _where(led, _differ(led[name], expected, MONEY_TOL_USD),
                      f"{name} != its quantity x its price")
    busy_gpus = led["gpus_training"].to_numpy() + led["gpus_inference"].to_numpy()
    it = sys_.gpus[s] * sys_.idle_mw_per_gpu[s] + (
        sys_.busy_mw_per_gpu[s] - sys_.idle_mw_per_gpu[s]) * busy_gpus
    out += _where(led, _differ(it, led["it_mw"], ENERGY_TOL_MWH),
                  "IT power does not follow the busy GPUs")
    out += _where(led, _differ(led["load_mw"], led["it_mw"] * led["pue"], ENERGY_TOL_MWH),
                  "load != IT power x PUE")
    k = pd.Index(sys_.class_names).get_indexer(inf["class"])
    penalty = sys_.penalty_usd_per_request[k]
    out += _where(inf, _differ(inf["penalty_usd"], (inf["arrived"] - inf["served"]) * penalty,
                               MONEY_TOL_USD, inf["arrived"] * penalty),
                  "unserved penalty != dropped requests x penalty")
    busy = led["gpus_training"] + led["gpus_inference"]
    out += _where(led, busy.to_numpy() > sys_.gpus[s] + GPU_TOL, "GPUs used above capacity")
    parts = sum(sign * led[name] for name, sign in BENEFIT_PARTS.items())
    out += _where(led, _differ(parts, led["benefit_usd"], MONEY_TOL_USD,
                               sum(led[name].abs() for name in BENEFIT_PARTS)),
                  "benefit != sum of its parts")
    emitted_kg = (led["import_mw"] * led["carbon_g_per_kwh"]
                  + led["genset_mw"] * sys_.genset_kg_per_mwh[s]
                  - (led["export_mw"] * led["carbon_g_per_kwh"]
                     if sys_.export_carbon_credit else 0))
    out += _where(led, _differ(led["emissions_t"] * 1000, emitted_kg, 1e-6),
                  "emissions != import x intensity + genset")

    drops = inf["served"] + inf["dropped_unrouted"] + inf["dropped_capacity"] + inf["dropped_grid"]
    out += _where(inf, _differ(drops, inf["arrived"], REQUEST_TOL),
                  "requests not conserved (arrived != served + dropped)")
    for col in ("served", "dropped_unrouted", "dropped_capacity", "dropped_grid"):
        out += _where(inf, _below(inf[col], 0.0, REQUEST_TOL, inf["arrived"]), f"{col} negative")
    served_sites = led.groupby("hour")["requests_served"].sum().to_numpy()
    served_regions = inf.groupby("hour")["served"].sum().to_numpy()
    if np.abs(served_sites - served_regions).max(initial=0) > 1e-6 * max(1, served_sites.max(
            initial=0)):
        out.append("requests served at sites != requests served for regions")

    out += _check_routing(result.routing, led, inf)
    out += _check_jobs(jobs, led, sys_.site_names)
    return out


def _check_routing(routing: pd.DataFrame, led: pd.DataFrame, inf: pd.DataFrame) -> list[str]:
    """The region x site routing table adds up to the site and the inference ledgers."""
    if routing.empty:
        return []
    out: list[str] = []
    for col, other, by in (("served", inf, ["hour", "region"]),
                           ("routed", inf, ["hour", "region"]),
                           ("served", led.rename(columns={"requests_served": "served"}),
                            ["hour", "site"])):
        ours = routing.groupby(by, sort=True)[col].sum().to_numpy()
        theirs = other.groupby(by, sort=True)[col].sum().to_numpy()
        scale = max(1.0, float(np.abs(theirs).max(initial=0)))
        if ours.shape != theirs.shape or np.abs(ours - theirs).max(initial=0) > 1e-9 * scale:
            out.append(f"routing {col} per {' x '.join(by)} != the "
                       f"{'site' if 'site' in by else 'inference'} ledger")
    return out


def _check_jobs(jobs: pd.DataFrame, led: pd.DataFrame, site_names: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    started = jobs[jobs["start_hour"] >= 0]
    hours = int(led["hour"].max()) + 1 if len(led) else 0
    held = np.zeros((hours, len(site_names)))
    for job in started.itertuples(index=False):
        if job.start_hour < job.release_hour:
            out.append(f"job {job.job_id} starts before its release")
        held[job.start_hour:min(job.end_hour, hours), job.site] += job.gpus
        if job.status == "on_time" and job.end_hour > job.deadline_hour:
            out.append(f"job {job.job_id} counted on time but ends after its deadline")
    ledger_held = led["gpus_training"].to_numpy().reshape(hours, len(site_names))
    if hours and np.abs(held - ledger_held).max() > GPU_TOL:
        out.append("GPUs held by training in the ledger != GPUs of the jobs running")
    credited = np.zeros((hours, len(site_names)))
    done = jobs[jobs["status"].isin(["on_time", "late"])]
    np.add.at(credited, (done["end_hour"].to_numpy(dtype=int) - 1,
                         done["site"].to_numpy(dtype=int)), done["earned_usd"].to_numpy())
    ledger_value = led["training_value_usd"].to_numpy().reshape(hours, len(site_names))
    if hours and np.abs(credited - ledger_value).max() > MONEY_TOL_USD:
        out.append("training value not credited in the hour and site where its job ends")
    return out


def assert_invariants(result: RunResult) -> None:
    """Raise InvariantError listing every violation, if any."""
    problems = check_invariants(result)
    if problems:
        raise InvariantError("invariants violated: " + "; ".join(problems))
