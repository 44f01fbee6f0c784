"""Per-site and per-zone KPIs of one run, from its site ledger and job table (USD, tCO2, MWh).

``kpis["by_site"][<site>]`` and ``kpis["by_zone"][<zone>]`` hold the site's share of the money
(the ledger's benefit parts; ``benefit_usd`` = their signed sum), energy, emissions, GPU use and
jobs. The unserved-inference penalty belongs to user regions, not sites, so it is not split:
summed over sites, ``benefit_usd`` equals ``total_benefit_usd + unserved_penalty_usd``.
:func:`by_site_table` turns a sweep's results table into one row per (run, site), so that
``compare --by site`` summarises each site like a sweep point.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from simulator.engine import RunResult
from simulator.ledger import BENEFIT_PARTS

_ENERGY = {"load_mw": "load_mwh", "import_mw": "import_mwh", "export_mw": "export_mwh",
           "curtailed_mw": "curtailed_mwh", "genset_mw": "genset_mwh",
           "shortfall_mw": "shortfall_mwh", "renewable_used_mw": "renewable_used_mwh"}
_ADDITIVE = (*BENEFIT_PARTS, "benefit_usd", "emissions_t", *_ENERGY.values(), "requests_served",
             "gpu_hours", "gpu_hours_capacity", "jobs_run", "jobs_on_time")


def _per_site(result: RunResult) -> pd.DataFrame:
    """One row per site (named), additive columns only."""
    led, names = result.ledger, list(result.system.site_names)
    sums = led.groupby("site", sort=False)[
        [*BENEFIT_PARTS, "benefit_usd", "emissions_t", *_ENERGY, "requests_served"]].sum()
    sums = sums.rename(columns=_ENERGY).reindex(names).fillna(0.0)
    busy = (led["gpus_training"] + led["gpus_inference"]).groupby(led["site"]).sum()
    hours = int(led["hour"].max()) + 1 if len(led) else 0
    sums["gpu_hours"] = busy.reindex(names).fillna(0.0)
    sums["gpu_hours_capacity"] = np.asarray(result.system.gpus, dtype=float) * hours
    jobs = result.jobs
    site_of_job = jobs_with_site_names(jobs, names)["site"]
    sums["jobs_run"] = [int((site_of_job == n).sum()) for n in names]
    on_time = site_of_job[jobs["status"] == "on_time"]
    sums["jobs_on_time"] = [int((on_time == n).sum()) for n in names]
    return sums


def _finish(row: Mapping[str, float]) -> dict[str, float]:
    out = {k: float(row[k]) for k in _ADDITIVE}
    cap = out["gpu_hours_capacity"]
    out["gpu_utilisation"] = out["gpu_hours"] / cap if cap else 0.0
    return out


def site_kpis(result: RunResult, zones: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``{"by_site": {site: kpis}, "by_zone": {zone: kpis}}``; ``zones`` maps site -> zone id
    (sites without one are left out of ``by_zone``)."""
    sums = _per_site(result)
    by_site = {str(name): _finish(row) for name, row in sums.iterrows()}
    by_zone: dict[str, dict[str, float]] = {}
    if zones:
        zone_of = pd.Series({n: zones.get(n) for n in sums.index}).dropna()
        for zone, part in sums.loc[zone_of.index].groupby(zone_of.to_numpy(), sort=False):
            by_zone[str(zone)] = _finish(part.sum())
    return {"by_site": by_site, "by_zone": by_zone}


def jobs_with_site_names(jobs: pd.DataFrame, site_names: list[str] | tuple[str, ...]
                         ) -> pd.DataFrame:
    """The job table with ``site`` as the site's name (None where the job never started)."""
    if "site" not in jobs or jobs.empty or not pd.api.types.is_numeric_dtype(jobs["site"]):
        return jobs
    index = jobs["site"].to_numpy(dtype=float)
    ok = np.isfinite(index) & (index >= 0)
    names = np.array(list(site_names), dtype=object)
    site = np.full(len(jobs), None, dtype=object)
    site[ok] = names[index[ok].astype(int)]
    return jobs.assign(site=site)


def by_site_table(table: pd.DataFrame, what: str = "by_site") -> pd.DataFrame:
    """A sweep results table (with a ``by_site`` or ``by_zone`` column) as one row per run and
    site (or zone): ``point`` numbers each (original point, site), ``site`` is its parameter.
    The site's ``benefit_usd`` and ``jobs_run`` appear as ``total_benefit_usd`` and
    ``jobs_total``, so the usual tables and the regret against the oracle show them."""
    label = "site" if what == "by_site" else "zone"
    meta = ["key", "policy", "seed", "scenario", "status", "error", "wall_s"]
    rows = []
    for record in table.to_dict("records"):
        parts = record.get(what)
        if not isinstance(parts, dict):
            continue
        for name, kpis in parts.items():
            rows.append({"orig_point": record["point"], label: name,
                         **{m: record.get(m) for m in meta}, **kpis})
    if not rows:
        return pd.DataFrame(columns=["key", "point", label, *meta[1:]])
    out = pd.DataFrame(rows).rename(columns={"benefit_usd": "total_benefit_usd",
                                             "jobs_run": "jobs_total"})
    pairs = list(dict.fromkeys(zip(out["orig_point"], out[label], strict=True)))
    out["point"] = [pairs.index(p) for p in zip(out["orig_point"], out[label], strict=True)]
    kpi_cols = [c for c in out.columns if c not in (*meta, "orig_point", "point", label)]
    return out[["key", "point", label, *meta[1:], *kpi_cols]]
