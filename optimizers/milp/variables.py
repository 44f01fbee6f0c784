"""Mutable parameters and decision variables of the joint MILP.

Units and signs: powers in MW held for one hour (= MWh), all >= 0 (charge and discharge are
separate; import and export are separate); state of charge ``e`` in MWh at the END of a slot;
routing ``x`` in thousands of requests per hour (:data:`~optimizers.milp.data.KREQ`); ``busy``
(all busy GPUs) and ``train`` (GPUs of scheduled training jobs) in GPUs; costs in USD/MWh;
carbon intensity ``ci`` in gCO2/kWh. Every bound that changes from hour to hour is a mutable
Param, so a persistent solver updates it in place.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizers.milp.sets import ModelSets
from simulator.system import SystemModel


def _site_param(m: pyo.ConcreteModel, sites: pyo.Set) -> pyo.Param:
    return pyo.Param(m.L, sites, mutable=True, initialize=0.0, within=pyo.Reals)


def add_parameters(m: pyo.ConcreteModel, sets: ModelSets) -> None:
    """Index sets and the mutable parameters the hourly update writes."""
    m.L = pyo.Set(initialize=list(sets.slots), ordered=True)
    m.S = pyo.Set(initialize=list(sets.sites), ordered=True)
    m.A = pyo.Set(initialize=list(range(len(sets.routes))), ordered=True)
    m.RK = pyo.Set(initialize=list(sets.demand_rows), ordered=True, dimen=2)
    m.SB = pyo.Set(initialize=list(sets.battery_sites), ordered=True)
    m.SG = pyo.Set(initialize=list(sets.genset_sites), ordered=True)
    m.SE = pyo.Set(initialize=list(sets.export_sites), ordered=True)
    m.SR = pyo.Set(initialize=list(sets.renewable_sites), ordered=True)
    m.SM = pyo.Set(initialize=sorted(set(sets.export_sites) | set(sets.renewable_sites)),
                   ordered=True)
    # Facility power: load = load0 + pue_dp * busy (MW); pue_dp = PUE * (p_busy - p_idle).
    m.pue_dp = _site_param(m, m.S)
    m.load0 = _site_param(m, m.S)
    m.fixed_gpus = _site_param(m, m.S)
    m.imp_ub = _site_param(m, m.S)
    m.c_imp = _site_param(m, m.S)
    m.ci = _site_param(m, m.S)
    m.exp_ub = _site_param(m, m.SE)
    m.c_exp = _site_param(m, m.SE)
    m.avail = _site_param(m, m.SR)
    m.bat_ub = _site_param(m, m.SB)
    m.gen_ub = _site_param(m, m.SG)
    m.sf_ub = _site_param(m, m.S)
    m.lam = pyo.Param(m.L, m.RK, mutable=True, initialize=0.0, within=pyo.Reals)
    m.soc0 = pyo.Param(m.SB, mutable=True, initialize=0.0, within=pyo.Reals)
    m.terminal = pyo.Param(m.SB, mutable=True, initialize=0.0, within=pyo.Reals)
    m.keep_rhs = pyo.Param(m.SB, mutable=True, initialize=0.0, within=pyo.Reals)
    m.budget = pyo.Param(mutable=True, initialize=0.0, within=pyo.Reals)
    m.offset = pyo.Param(mutable=True, initialize=0.0, within=pyo.Reals)


def add_core_variables(m: pyo.ConcreteModel, sets: ModelSets, system: SystemModel) -> None:
    """Routing, GPU use, grid, battery, genset, renewables, shortfall and carbon overshoot."""
    m.x = pyo.Var(m.A, m.L, within=pyo.NonNegativeReals)
    m.busy = pyo.Var(m.L, m.S, bounds=lambda m, t, s: (0.0, float(system.gpus[s])))
    m.train = pyo.Var(m.L, m.S, bounds=lambda m, t, s: (0.0, float(system.gpus[s])))
    m.imp = pyo.Var(m.L, m.S, bounds=lambda m, t, s: (0.0, m.imp_ub[t, s]))
    m.exp = pyo.Var(m.L, m.SE, bounds=lambda m, t, s: (0.0, m.exp_ub[t, s]))
    m.ren = pyo.Var(m.L, m.SR, bounds=lambda m, t, s: (0.0, m.avail[t, s]))
    m.ch = pyo.Var(m.L, m.SB, bounds=lambda m, t, s: (0.0, m.bat_ub[t, s]))
    m.dis = pyo.Var(m.L, m.SB, bounds=lambda m, t, s: (0.0, m.bat_ub[t, s]))
    m.e = pyo.Var(m.L, m.SB, bounds=lambda m, t, s: (float(system.soc_min_mwh[s]),
                                                     float(system.soc_max_mwh[s])))
    m.gen = pyo.Var(m.L, m.SG, bounds=lambda m, t, s: (0.0, m.gen_ub[t, s]))
    m.sf = pyo.Var(m.L, m.S, within=pyo.NonNegativeReals)
    # Exclusivity indicators: 1 = charging / importing. Continuous in [0, 1] where the LP is
    # exact (see docs/milp.md); the update makes them binary only where prices need it.
    m.beta = pyo.Var(m.L, m.SB, within=pyo.UnitInterval)
    m.mode = pyo.Var(m.L, m.SM, within=pyo.UnitInterval)
    m.short = pyo.Var(m.L, m.S, within=pyo.UnitInterval)  # 1 = shortfall allowed (import at cap)
    m.tv = pyo.Var(within=pyo.Reals)
    if sets.carbon_budget:
        m.over = pyo.Var(within=pyo.NonNegativeReals)
