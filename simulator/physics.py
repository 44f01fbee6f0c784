"""The economic and physical rules of GridShift, each written once.

The simulator's books, the joint MILP (data, constraints, objective and plan tables), the
greedy heuristic and the KPIs all call these functions; :mod:`simulator.invariants` is the one
deliberate, independent restatement that checks the books. The arithmetic functions are
generic: they accept floats, numpy arrays or Pyomo expressions alike.

Rules (see docs/milp.md, "One model of the world"):

- effective price of grid energy = buy price + carbon price x intensity (USD/MWh);
- emissions = import x intensity + genset MWh x genset kg/MWh, minus export x intensity when the
  scenario credits exports (tCO2);
- a busy GPU adds (busy - idle power) x PUE of facility power (MW): ``SystemModel``;
- state of charge: SoC' = SoC + eta_c x charge - discharge / eta_d (MWh): :func:`soc_step`;
- surplus that cannot be exported: the genset is cut first, then renewables are curtailed, and
  only what still remains cuts battery discharge (:func:`surplus_cuts`);
- unserved energy (shortfall) costs the scenario's ``shortfall_penalty_usd_per_mwh``; a training
  job keeps running through a shortfall and earns its value as usual;
- a job earns its value when it ends by its deadline, ``late_value_fraction`` of it when it ends
  later but within the run, nothing when it is unfinished at the run end (:func:`job_earnings`);
- a job may start only when it can still earn something (:func:`start_window`);
- carbon budget: emissions of the whole run above ``carbon_budget_t`` are charged at
  ``carbon_budget_penalty_usd_per_t`` (:func:`carbon_overshoot_t`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

G_PER_KWH_PER_T_PER_MWH = 1000.0  # 1 gCO2/kWh = 1 kg/MWh = 1e-3 tCO2/MWh


def effective_price(buy_usd_per_mwh: Any, carbon_g_per_kwh: Any,
                    carbon_price_usd_per_t: Any) -> Any:
    """Cost of one MWh imported (USD/MWh): buy price + carbon price x intensity."""
    return buy_usd_per_mwh + carbon_price_usd_per_t * carbon_g_per_kwh / G_PER_KWH_PER_T_PER_MWH


def export_value(sell_usd_per_mwh: Any, carbon_g_per_kwh: Any, carbon_price_usd_per_t: Any,
                 credit: bool) -> Any:
    """Worth of one MWh exported (USD/MWh): sell price, plus the avoided carbon cost when the
    scenario credits exports."""
    if not credit:
        return sell_usd_per_mwh
    return effective_price(sell_usd_per_mwh, carbon_g_per_kwh, carbon_price_usd_per_t)


def genset_cost_usd_per_mwh(fuel_usd_per_mwh: Any, kg_per_mwh: Any,
                            carbon_price_usd_per_t: Any) -> Any:
    """Cost of one genset MWh (USD/MWh): fuel plus carbon price x its emissions."""
    return fuel_usd_per_mwh + carbon_price_usd_per_t * kg_per_mwh / G_PER_KWH_PER_T_PER_MWH


def emissions_t(import_mw: Any, export_mw: Any, genset_mw: Any, carbon_g_per_kwh: Any,
                genset_kg_per_mwh: Any, credit: bool) -> Any:
    """Emissions of one hour (tCO2): import x intensity + genset x its factor, minus
    export x intensity when exports are credited."""
    kg = import_mw * carbon_g_per_kwh + genset_mw * genset_kg_per_mwh
    if credit:
        kg = kg - export_mw * carbon_g_per_kwh
    return kg / G_PER_KWH_PER_T_PER_MWH


def energy_money_usd(import_mw: Any, export_mw: Any, genset_mw: Any, charge_mw: Any,
                     discharge_mw: Any, emissions: Any, buy_usd_per_mwh: Any,
                     sell_usd_per_mwh: Any, *, fuel_usd_per_mwh: Any,
                     degradation_usd_per_mwh: Any, carbon_price_usd_per_t: Any) -> dict[str, Any]:
    """The books' money columns of one hour's energy flows (USD, costs positive; MW held one
    hour): import at the buy price, export at the sell price, genset fuel, battery wear on
    charge plus discharge throughput, and the carbon price on ``emissions`` (tCO2)."""
    return {
        "energy_cost_usd": import_mw * buy_usd_per_mwh,
        "export_revenue_usd": export_mw * sell_usd_per_mwh,
        "genset_cost_usd": genset_mw * fuel_usd_per_mwh,
        "degradation_cost_usd": (charge_mw + discharge_mw) * degradation_usd_per_mwh,
        "carbon_cost_usd": emissions * carbon_price_usd_per_t,
    }


def soc_step(soc_mwh: Any, charge_mw: Any, discharge_mw: Any, eta_charge: Any,
             eta_discharge: Any) -> Any:
    """State of charge after one hour (MWh): SoC + eta_c x charge - discharge / eta_d."""
    return soc_mwh + eta_charge * charge_mw - discharge_mw / eta_discharge


def carbon_overshoot_t(emissions_total_t: float, budget_t: float | None) -> float:
    """tCO2 of the whole run above the carbon budget (0 without a budget)."""
    if budget_t is None:
        return 0.0
    return max(float(emissions_total_t) - float(budget_t), 0.0)


def job_earnings(value_usd: float, end_hour: int, deadline_hour: int,
                 late_value_fraction: float) -> float:
    """What a job that ends (exclusive) at ``end_hour`` earns (USD): its value on time, the late
    fraction of it after its deadline. Unfinished jobs earn nothing (they never call this)."""
    return value_usd if end_hour <= deadline_hour else value_usd * late_value_fraction


def start_window(release_hour: int, deadline_hour: int, duration_h: int, hours_total: int,
                 late_value_fraction: float) -> tuple[int, int]:
    """First and last run hour a job may start in (last < first: never).

    A job may start from its release while it can still earn: it must end within the run, and
    by its deadline unless late completion earns something (then before the deadline)."""
    last = deadline_hour - 1 if late_value_fraction > 0 else deadline_hour - duration_h
    return release_hour, min(last, hours_total - duration_h)


def surplus_cuts(surplus_mw: np.ndarray, genset_mw: np.ndarray, renewable_mw: np.ndarray,
                 discharge_mw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split power that can be neither used nor exported (MW, per site) into (genset cut,
    renewables curtailed, discharge cut), in that order: running fuel into curtailment never
    pays, while emptying a battery ahead of negative prices may, so the battery's setpoint
    stands unless curtailing every renewable MW still leaves a surplus."""
    gen_cut = np.minimum(surplus_mw, genset_mw)
    left = surplus_mw - gen_cut
    curtailed = np.minimum(left, renewable_mw)
    dis_cut = np.minimum(left - curtailed, discharge_mw)
    return gen_cut, curtailed, dis_cut
