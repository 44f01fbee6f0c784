"""Constraints of the joint MILP (see docs/milp.md for the algebra).

Core rows (built once): demand, GPU use, power balance, battery state of charge, exclusivity
links, terminal state of charge, the soft carbon budget, and the two rows the job block writes
into: GPUs of scheduled jobs per site and slot (``training``) and their value (``value``). The
start binaries and their one-start rows are assembled by :mod:`optimizers.milp.jobs`.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizers.milp.data import KREQ, SECONDS_PER_HOUR
from optimizers.milp.sets import ModelSets
from simulator.physics import emissions_t, soc_step
from simulator.system import SystemModel


def add_core_constraints(m: pyo.ConcreteModel, sets: ModelSets, system: SystemModel,
                         keep_soc: bool) -> None:
    """Rows whose structure never changes; their data are mutable Params."""
    by_row = sets.routes_of_row()
    last = sets.horizon - 1

    # Served inference never exceeds demand (the rest is dropped): sum_s x <= lambda.
    m.demand = pyo.Constraint(m.L, m.RK, rule=lambda m, t, r, k:
                              sum(m.x[a, t] for a in by_row[(r, k)]) <= m.lam[t, r, k])

    # Power balance (MW): supply = load + charge + export, load = load0 + pue_dp * busy.
    def balance(m, t, s):
        supply = m.imp[t, s] + m.sf[t, s]
        supply += m.ren[t, s] if s in m.SR else 0.0
        supply += m.gen[t, s] if s in m.SG else 0.0
        supply += m.dis[t, s] - m.ch[t, s] if s in m.SB else 0.0
        supply -= m.exp[t, s] if s in m.SE else 0.0
        return supply - m.pue_dp[t, s] * m.busy[t, s] == m.load0[t, s]

    m.balance = pyo.Constraint(m.L, m.S, rule=balance)

    # State of charge at the end of slot t (MWh).
    eta_c, eta_d = system.eta_charge, system.eta_discharge

    def soc(m, t, s):
        before = m.soc0[s] if t == 0 else m.e[t - 1, s]
        return m.e[t, s] == soc_step(before, m.ch[t, s], m.dis[t, s], float(eta_c[s]),
                                     float(eta_d[s]))

    m.soc = pyo.Constraint(m.L, m.SB, rule=soc)
    if keep_soc:
        m.keep = pyo.Constraint(m.SB, rule=lambda m, s: m.e[last, s] >= m.keep_rhs[s])

    # Exclusivity links: with beta / mode binary they forbid charging while discharging,
    # importing while exporting and curtailing while importing; relaxed they only imply
    # ch + dis <= P and imp / cap + exp / cap_exp <= 1 (see docs/milp.md).
    m.charge_on = pyo.Constraint(m.L, m.SB, rule=lambda m, t, s:
                                 m.ch[t, s] <= m.bat_ub[t, s] * m.beta[t, s])
    m.discharge_on = pyo.Constraint(m.L, m.SB, rule=lambda m, t, s:
                                    m.dis[t, s] + m.bat_ub[t, s] * m.beta[t, s]
                                    <= m.bat_ub[t, s])
    m.import_on = pyo.Constraint(m.L, m.SM, rule=lambda m, t, s:
                                 m.imp[t, s] <= m.imp_ub[t, s] * m.mode[t, s])
    m.export_on = pyo.Constraint(m.L, m.SE, rule=lambda m, t, s:
                                 m.exp[t, s] + m.exp_ub[t, s] * m.mode[t, s] <= m.exp_ub[t, s])
    m.no_curtail = pyo.Constraint(m.L, m.SR, rule=lambda m, t, s:
                                  m.ren[t, s] >= m.avail[t, s] * m.mode[t, s])

    # Shortfall only with the import at its cap, no charging and the genset at full power, as
    # in the simulator (``short`` binary where shortfall is cheaper than the dearest import or
    # export of the horizon; see docs/milp.md).
    m.short_on = pyo.Constraint(m.L, m.S, rule=lambda m, t, s:
                                m.sf[t, s] <= m.sf_ub[t, s] * m.short[t, s])
    m.short_cap = pyo.Constraint(m.L, m.S, rule=lambda m, t, s:
                                 m.imp[t, s] >= m.imp_ub[t, s] * m.short[t, s])
    m.short_charge = pyo.Constraint(m.L, m.SB, rule=lambda m, t, s:
                                    m.ch[t, s] + m.bat_ub[t, s] * m.short[t, s]
                                    <= m.bat_ub[t, s])
    m.short_genset = pyo.Constraint(m.L, m.SG, rule=lambda m, t, s:
                                    m.gen[t, s] >= m.gen_ub[t, s] * m.short[t, s])

    # GPUs (all busy = fixed jobs + scheduled jobs + inference GPU-hours per hour).
    h = system.gpu_seconds_per_request
    by_site = sets.routes_of_site()
    m.gpus = pyo.Constraint(m.L, m.S, rule=lambda m, t, s: m.busy[t, s] - m.train[t, s] - sum(
        float(h[sets.routes[a][1]]) * KREQ / SECONDS_PER_HOUR * m.x[a, t] for a in by_site[s])
        == m.fixed_gpus[t, s])

    # Job block rows (entries added by optimizers.milp.jobs): train[l, s] = GPUs of the jobs
    # planned to run in slot l at site s; tv = their training value (USD).
    m.training = pyo.Constraint(m.L, m.S, rule=lambda m, t, s: m.train[t, s] == 0.0)
    m.value = pyo.Constraint(expr=m.tv == 0.0)

    if sets.carbon_budget:
        kg = system.genset_kg_per_mwh

        def emissions():
            return sum(emissions_t(m.imp[t, s], m.exp[t, s] if s in m.SE else 0.0,
                                   m.gen[t, s] if s in m.SG else 0.0, m.ci[t, s], float(kg[s]),
                                   system.export_carbon_credit)
                       for t in m.L for s in m.S)

        m.carbon_budget = pyo.Constraint(expr=emissions() - m.over <= m.budget)
