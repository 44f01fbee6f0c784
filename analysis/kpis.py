"""Key performance indicators of one run (all from the ledger; USD, tCO2, MWh, shares 0..1).

``total_benefit_usd`` = the ledger's benefit - unserved penalty - carbon budget overshoot
(tCO2 of the whole run above ``carbon_budget_t``) x ``carbon_budget_penalty_usd_per_t``.
``oracle_bound_usd`` (oracle runs): a valid bound on the total benefit any policy can realize
on the run; ``oracle_bound_method`` says how it was obtained (``milp``: the exact MILP's bound;
``lp-relaxation``: the whole-run LP relaxation, for runs too long for the exact MILP), and
``oracle_bound_exact`` the same as a number for tables (1 = ``milp``, 0 = ``lp-relaxation``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simulator.engine import RunResult
from simulator.physics import carbon_overshoot_t

RUN_BOUND = "run_bound_usd"  # steps column: a whole-run plan's bound on total benefit (USD)
RUN_BOUND_METHOD = "run_bound_method"  # steps column: how that bound was obtained

KPI_TABLE_ORDER: tuple[str, ...] = (
    "total_benefit_usd",
    "inference_revenue_usd",
    "training_value_usd",
    "export_revenue_usd",
    "energy_cost_usd",
    "carbon_cost_usd",
    "genset_cost_usd",
    "degradation_cost_usd",
    "unserved_penalty_usd",
    "shortfall_cost_usd",
    "carbon_overshoot_cost_usd",
    "emissions_t",
    "served_share",
    "jobs_on_time",
    "jobs_total",
    "gpu_utilisation",
)


def compute_kpis(result: RunResult) -> dict[str, Any]:
    """Flat dict of KPIs; money in USD (costs positive), energy MWh, emissions tCO2."""
    led, inf, jobs, sys_ = result.ledger, result.inference, result.jobs, result.system
    k: dict[str, Any] = {}
    for col in ("inference_revenue_usd", "training_value_usd", "export_revenue_usd",
                "energy_cost_usd", "carbon_cost_usd", "genset_cost_usd", "degradation_cost_usd",
                "shortfall_cost_usd"):
        k[col] = float(led[col].sum(skipna=False))
    k["unserved_penalty_usd"] = float(inf["penalty_usd"].sum(skipna=False))
    k["emissions_t"] = float(led["emissions_t"].sum(skipna=False))
    budget = sys_.carbon_budget_t
    k["carbon_budget_t"] = budget
    k["carbon_budget_slack_t"] = None if budget is None else budget - k["emissions_t"]
    k["carbon_overshoot_t"] = carbon_overshoot_t(k["emissions_t"], budget)
    k["carbon_overshoot_cost_usd"] = k["carbon_overshoot_t"] * \
        sys_.carbon_budget_penalty_usd_per_t
    k["total_benefit_usd"] = float(led["benefit_usd"].sum(skipna=False)) - \
        k["unserved_penalty_usd"] - k["carbon_overshoot_cost_usd"]
    arrived = float(inf["arrived"].sum())
    k["requests_arrived"] = arrived
    k["served_share"] = float(inf["served"].sum()) / arrived if arrived > 0 else 1.0
    by_class = inf.groupby("class", sort=False)[["served", "arrived"]].sum()
    for name, row in by_class.iterrows():
        k[f"served_share_{name}"] = float(row["served"] / row["arrived"]) if row["arrived"] > 0 \
            else 1.0
    counts = jobs["status"].value_counts()
    for status in ("on_time", "late", "expired", "unfinished", "pending", "unreleased"):
        k[f"jobs_{status}"] = int(counts.get(status, 0))
    k["jobs_total"] = len(jobs)
    hours = int(led["hour"].max()) + 1 if len(led) else 0
    capacity = float(sys_.gpus.sum()) * hours
    k["gpu_utilisation"] = float((led["gpus_training"] + led["gpus_inference"]).sum()) / capacity \
        if capacity else 0.0
    for col, name in (("load_mw", "load_mwh"), ("import_mw", "import_mwh"),
                      ("export_mw", "export_mwh"), ("curtailed_mw", "curtailed_mwh"),
                      ("genset_mw", "genset_mwh"), ("shortfall_mw", "shortfall_mwh"),
                      ("renewable_used_mw", "renewable_used_mwh")):
        k[name] = float(led[col].sum())
    available = float((led["pv_available_mw"] + led["wind_available_mw"]).sum())
    on_site = np.minimum(led["renewable_used_mw"], led["load_mw"] + led["charge_mw"]).sum()
    k["renewable_self_consumption"] = float(on_site) / available if available > 0 else 0.0
    usable = float((sys_.soc_max_mwh - sys_.soc_min_mwh).sum())
    site = pd.Index(sys_.site_names).get_indexer(led["site"])
    drawn = float((led["discharge_mw"].to_numpy() / sys_.eta_discharge[site]).sum())
    k["battery_cycles"] = drawn / usable if usable > 0 else 0.0  # equivalent full cycles
    k["clips"] = len(result.clips)
    steps = result.steps
    if "decide_s" in steps:
        k["decide_s_median"] = float(np.median(steps["decide_s"]))
        k["decide_s_p95"] = float(np.percentile(steps["decide_s"], 95))
    for col in ("solve_s", "build_s"):
        if col in steps and steps[col].notna().any():
            k[f"{col}_median"] = float(steps[col].median())
            k[f"{col}_p95"] = float(steps[col].quantile(0.95))
    if "mip_gap" in steps and steps["mip_gap"].notna().any():
        k["mip_gap_max"] = float(steps["mip_gap"].max())
    if RUN_BOUND in steps and steps[RUN_BOUND].notna().any():
        k["oracle_bound_usd"] = float(steps[RUN_BOUND].dropna().iloc[0])
        if RUN_BOUND_METHOD in steps:
            k["oracle_bound_method"] = str(steps[RUN_BOUND_METHOD].dropna().iloc[0])
            k["oracle_bound_exact"] = int(k["oracle_bound_method"] == "milp")
    if "fallback" in steps:
        k["fallbacks"] = int(steps["fallback"].fillna(0).astype(bool).sum())
    return k
