"""Plain-text KPI tables for terminals and the README."""

from __future__ import annotations

import pandas as pd

from analysis.kpis import KPI_TABLE_ORDER

KPI_LABELS: dict[str, str] = {
    "total_benefit_usd": "benefit USD",
    "inference_revenue_usd": "inference USD",
    "training_value_usd": "training USD",
    "export_revenue_usd": "export USD",
    "energy_cost_usd": "energy cost USD",
    "carbon_cost_usd": "carbon cost USD",
    "genset_cost_usd": "genset USD",
    "degradation_cost_usd": "battery wear USD",
    "unserved_penalty_usd": "unserved USD",
    "shortfall_cost_usd": "shortfall USD",
    "carbon_overshoot_cost_usd": "budget overshoot USD",
    "emissions_t": "emissions tCO2",
    "served_share": "served share",
    "jobs_on_time": "jobs on time",
    "jobs_total": "jobs",
    "gpu_utilisation": "GPU util",
}


def kpi_table(kpis: pd.DataFrame, columns: tuple[str, ...] = KPI_TABLE_ORDER) -> str:
    """Policies as rows, the main KPIs as columns, formatted for a terminal."""
    cols = [c for c in columns if c in kpis.columns]
    table = kpis[cols].copy()
    for c in cols:
        if c in ("served_share", "gpu_utilisation"):
            table[c] = table[c].map(lambda v: f"{v:.3f}")
        elif c in ("jobs_on_time", "jobs_total"):
            table[c] = table[c].map(lambda v: f"{int(v)}")
        elif c == "emissions_t":
            table[c] = table[c].map(lambda v: f"{v:,.1f}")
        else:
            table[c] = table[c].map(lambda v: f"{v:,.0f}")
    table = table.rename(columns=KPI_LABELS)
    return table.T.to_string()
