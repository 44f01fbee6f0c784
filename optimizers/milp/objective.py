"""Objective of the joint MILP: maximise operational benefit over the horizon (USD).

benefit = training value + (revenue + penalty) x served - penalty x arrived
          - import cost + export revenue - genset fuel - battery wear - carbon cost
          - shortfall penalty - budget overshoot penalty + terminal value of stored energy
          (+ tie-breaks of 1e-4 USD/MWh, removed again from the reported benefit and bound).

The solver sees ``benefit - offset`` with ``offset`` = (all job values) + (revenue + penalty) x
routable demand, so its objective is minus the *loss* against an ideal hour (every request
served, every job done, free energy). HiGHS measures its relative MIP gap on that objective,
which is far stricter than a gap on total benefit (dominated by inference revenue that any
sensible plan earns). :func:`benefit_constant` restores the benefit.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from optimizers.milp.data import KREQ, HorizonData
from optimizers.milp.sets import ModelSets
from simulator.physics import genset_cost_usd_per_mwh
from simulator.system import SystemModel

TIE_USD_PER_MWH = 1e-4  # breaks LP ties: use renewables before curtailing, idle devices by default


def add_objective(m: pyo.ConcreteModel, sets: ModelSets, system: SystemModel,
                  carbon_price_usd_per_t: float) -> None:
    """The maximised objective (benefit minus the mutable ``offset``). Unserved energy costs
    the scenario's shortfall price and budget overshoot the scenario's budget penalty, as in
    the books (:mod:`simulator.physics`)."""
    value = (system.revenue_usd_per_request + system.penalty_usd_per_request) * KREQ
    genset = genset_cost_usd_per_mwh(system.genset_fuel_usd_per_mwh, system.genset_kg_per_mwh,
                                     carbon_price_usd_per_t) + TIE_USD_PER_MWH
    wear = system.degradation_usd_per_mwh + TIE_USD_PER_MWH
    last = sets.horizon - 1
    lost = system.shortfall_penalty_usd_per_mwh
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
        expr -= system.carbon_budget_penalty_usd_per_t * m.over
    m.objective = pyo.Objective(expr=expr, sense=pyo.maximize)


def tie_usd(ren: np.ndarray, gen: np.ndarray, ch: np.ndarray, dis: np.ndarray) -> float:
    """What the tie-breaks add to the objective of a plan (USD): the objective minus this is
    the plan's benefit in the books' terms."""
    return TIE_USD_PER_MWH * float(ren.sum() - gen.sum() - ch.sum() - dis.sum())


def tie_slack_usd(arrays: dict[str, np.ndarray]) -> float:
    """Most the tie-break charges can lower any plan's objective (USD): genset and battery
    at their limits in every slot. Added to the solver's bound, it bounds the books' benefit."""
    return TIE_USD_PER_MWH * float(arrays["gen_ub"].sum() + 2.0 * arrays["bat_ub"].sum())


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
