"""The realized signals of a run's hours, derived once per run instead of once per hour.

Everything the engine executes against that depends on the traces and the static system only
(not on any decision): prices, carbon intensity, temperature, PUE, the facility power one busy
GPU adds, and the renewable power available, as [run hours, sites] arrays (demand [run hours,
regions, classes]). Row t is run hour t. The rules stay in their homes (:class:`SystemModel`);
computed over all hours at once, every element equals the one-hour result bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.system import SystemModel
from simulator.traceset import TraceSet


@dataclass(frozen=True)
class Realized:
    """Realized per-hour inputs of a run; row t is run hour t (units as in the site ledger)."""

    buy_usd_per_mwh: np.ndarray
    sell_usd_per_mwh: np.ndarray
    carbon_g_per_kwh: np.ndarray
    temperature_c: np.ndarray
    pue: np.ndarray
    marginal_mw_per_busy_gpu: np.ndarray
    pv_mw: np.ndarray
    wind_mw: np.ndarray
    renewable_mw: np.ndarray
    demand: np.ndarray  # requests/h [hours, R, K]


def realized(system: SystemModel, traces: TraceSet) -> Realized:
    """The run rows of ``traces`` and what the system derives from them, for every run hour."""
    run = slice(traces.history_hours, None)
    sig = {name: values[run] for name, values in traces.site_signals.items()}
    temperature = sig["temperature"]
    pv = system.pv_power_mw(sig["pv_cf"])
    wind = system.wind_power_mw(sig["wind_cf"])
    pue = system.pue(temperature)
    return Realized(
        buy_usd_per_mwh=sig["buy_price"],
        sell_usd_per_mwh=sig["sell_price"],
        carbon_g_per_kwh=sig["carbon"],
        temperature_c=temperature,
        pue=pue,
        marginal_mw_per_busy_gpu=system.marginal_mw_at_pue(pue),
        pv_mw=pv,
        wind_mw=wind,
        renewable_mw=pv + wind,
        demand=traces.demand[run],
    )
