"""Objective of the joint MILP: maximise operational benefit over the horizon (USD).

benefit = training value + (revenue + penalty) x served - penalty x arrived
          - import cost + export revenue - genset fuel - battery wear - carbon cost
          - shortfall penalty - budget overshoot penalty + terminal value of stored energy.

The solver sees ``benefit - offset`` with ``offset`` = (all job values) + (revenue + penalty) x
routable demand, so its objective is minus the *loss* against an ideal hour (every request
served, every job done, free energy). HiGHS measures its relative MIP gap on that objective,
which is far stricter than a gap on total benefit (dominated by inference revenue that any
sensible plan earns). :func:`benefit_constant` restores the benefit.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from optimizers.milp.data import KREQ, SECONDS_PER_HOUR, HorizonData
from optimizers.milp.sets import ModelSets
from simulator.system import SystemModel

TIE_USD_PER_MWH = 1e-4  # breaks LP ties: use renewables before curtailing, idle devices by default
DEFAULT_BUDGET_PENALTY_USD_PER_T = 1e5


def shortfall_penalty(system: SystemModel) -> float:
    """Model price of unserved energy (USD/MWh): the scenario's, raised to 10x the densest
    inference value per MWh so the model sheds inference first, as the simulator does."""
    mw_per_gpu = float(np.min(system.busy_mw_per_gpu - system.idle_mw_per_gpu)) * \
        float(np.min(system.pue_base))
    value = (system.revenue_usd_per_request + system.penalty_usd_per_request) * \
        SECONDS_PER_HOUR / system.gpu_seconds_per_request
    density = float(value.max()) / max(mw_per_gpu, 1e-9)
    return max(system.shortfall_penalty_usd_per_mwh, 10.0 * density)


def add_objective(m: pyo.ConcreteModel, sets: ModelSets, system: SystemModel,
                  carbon_price_usd_per_t: float, budget_penalty_usd_per_t: float) -> None:
    """The maximised objective (benefit minus the mutable ``offset``)."""
    value = (system.revenue_usd_per_request + system.penalty_usd_per_request) * KREQ
    genset = system.genset_fuel_usd_per_mwh + carbon_price_usd_per_t * \
        system.genset_kg_per_mwh / 1000.0 + TIE_USD_PER_MWH
    wear = system.degradation_usd_per_mwh + TIE_USD_PER_MWH
    last = sets.horizon - 1
    lost = shortfall_penalty(system)
    expr = sum(float(value[k]) * m.x[a, t] for a, (_r, k, _s) in enumerate(sets.routes)
               for t in m.L)
    expr -= sum(m.c_imp[t, s] * m.imp[t, s] + lost * m.sf[t, s] for t in m.L for s in m.S)
    expr += sum(m.c_exp[t, s] * m.exp[t, s] for t in m.L for s in m.SE)
    expr += sum(TIE_USD_PER_MWH * m.ren[t, s] for t in m.L for s in m.SR)
    expr -= sum(float(genset[s]) * m.gen[t, s] for t in m.L for s in m.SG)
    expr -= sum(float(wear[s]) * (m.ch[t, s] + m.dis[t, s]) for t in m.L for s in m.SB)
    expr += sum(m.terminal[s] * m.e[last, s] for s in m.SB)
    expr += m.tv - m.offset
    if sets.carbon_budget:
        expr -= budget_penalty_usd_per_t * m.over
    m.objective = pyo.Objective(expr=expr, sense=pyo.maximize)


def offset_usd(data: HorizonData, sets: ModelSets, system: SystemModel) -> float:
    """The ideal-hour benefit subtracted from the solver's objective (USD)."""
    value = system.revenue_usd_per_request + system.penalty_usd_per_request
    routable = sum(float(value[k] * data.demand[:, r, k].sum()) for r, k in sets.demand_rows)
    return routable + sum(job.value_usd for job in data.jobs)


def benefit_constant(data: HorizonData, sets: ModelSets, system: SystemModel) -> float:
    """What to add to the solver's objective to get the benefit (USD): the offset minus the
    unserved penalty of every arriving request."""
    penalty = float((data.demand.sum(axis=(0, 1)) * system.penalty_usd_per_request).sum())
    return offset_usd(data, sets, system) - penalty
