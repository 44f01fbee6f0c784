"""A solved horizon of the joint MILP (:class:`Plan`) and its ledger-like table
(:func:`plan_frame`), which uses the simulator's rules so plan and books compare column by
column."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizers.milp.data import HorizonData
from optimizers.milp.solve import SolveStats
from simulator import physics
from simulator.system import SystemModel


@dataclass(frozen=True)
class Plan:
    """A solved horizon. Arrays are [H, S] (MW, MWh, GPUs) except ``routed`` [H, R, K, S]
    (requests/h). ``starts`` lists (job_id, site, run hour). ``benefit_usd`` / ``bound_usd``
    are the incumbent and the solver's bound in the books' terms (tie-breaks removed; the bound
    also covers any plan's tie-break charges), so for the oracle ``bound_usd`` bounds the
    realized ``total_benefit_usd`` of every policy."""

    t0: int
    active: int
    stats: SolveStats
    build_s: float
    benefit_usd: float
    bound_usd: float
    overshoot_t: float
    n_integer: int
    n_indicators: int
    starts: tuple[tuple[int, int, int], ...]
    routed: np.ndarray
    busy: np.ndarray
    imp: np.ndarray
    exp: np.ndarray
    ren: np.ndarray
    ch: np.ndarray
    dis: np.ndarray
    soc_end: np.ndarray
    gen: np.ndarray
    shortfall: np.ndarray



def plan_frame(plan: Plan, data: HorizonData, system: SystemModel) -> pd.DataFrame:
    """The plan's active slots as ledger-like rows (hour, site): energy, money, carbon.

    Columns use the simulator ledger's names and units (MW held one hour, USD, tCO2) so a plan
    can be compared with what the simulator executed.
    """
    n = plan.active
    sl = slice(0, n)
    pue = system.pue(data.temperature[sl])
    it = system.it_power_mw(plan.busy[sl])
    available = system.renewable_mw(data.pv_cf[sl], data.wind_cf[sl])
    soc_start = np.vstack([np.clip(data.soc0, system.soc_min_mwh, system.soc_max_mwh)[None],
                           plan.soc_end[: n - 1]]) if n else plan.soc_end[:0]
    battery = system.battery_mwh > 0
    emissions = physics.emissions_t(plan.imp[sl], plan.exp[sl], plan.gen[sl], data.carbon[sl],
                                    system.genset_kg_per_mwh, system.export_carbon_credit)
    served = plan.routed[sl]
    columns = {
        "gpus_busy": plan.busy[sl],
        "it_mw": it,
        "load_mw": it * pue,
        "renewable_used_mw": plan.ren[sl],
        "curtailed_mw": available - plan.ren[sl],
        "genset_mw": plan.gen[sl],
        "charge_mw": plan.ch[sl],
        "discharge_mw": plan.dis[sl],
        "soc_start_mwh": np.where(battery, soc_start, 0.0),
        "soc_end_mwh": np.where(battery, plan.soc_end[sl], 0.0),
        "import_mw": plan.imp[sl],
        "export_mw": plan.exp[sl],
        "shortfall_mw": plan.shortfall[sl],
        "emissions_t": emissions,
        **physics.energy_money_usd(
            plan.imp[sl], plan.exp[sl], plan.gen[sl], plan.ch[sl], plan.dis[sl], emissions,
            data.buy[sl], data.sell[sl], fuel_usd_per_mwh=system.genset_fuel_usd_per_mwh,
            degradation_usd_per_mwh=system.degradation_usd_per_mwh,
            carbon_price_usd_per_t=system.carbon_price_usd_per_t),
        "requests_served": served.sum(axis=(1, 2)),
        "inference_revenue_usd": np.einsum("trks,k->ts", served,
                                           system.revenue_usd_per_request),
    }
    hours, sites = np.meshgrid(np.arange(plan.t0, plan.t0 + n), np.arange(system.n_sites),
                               indexing="ij")
    frame = pd.DataFrame({"hour": hours.ravel(), "site": np.array(system.site_names)[
        sites.ravel()]})
    for name, values in columns.items():
        frame[name] = np.asarray(values, dtype=float).reshape(-1)
    return frame
