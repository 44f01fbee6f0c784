"""Decision value of forecasts: a policy's benefit with raw, corrected and perfect forecasts."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.scenario import Scenario, load_scenario
from traces.forecast import CORRECTIONS


def decision_value(scenario: str | Scenario, policy: str, seeds: Sequence[int],
                   raw: str = "seasonal-naive-24", corrections: Sequence[str] = CORRECTIONS,
                   data_dir: str | Path | None = None,
                   pool: Sequence[str] | None = None) -> pd.DataFrame:
    """Total benefit (USD) of ``policy`` with raw, corrected and perfect forecasts per seed
    (same scenario and traces for all three), and the share of the raw-to-perfect benefit gap
    each correction closes. ``raw`` also names the uncorrected forecaster of every signal;
    ``pool`` the correctors' base forecasters (default: the scenario's)."""
    from analysis.runs import build_traces, simulate

    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    bases = {} if pool is None else {"forecast.base": list(pool)}
    variants = {raw: {"forecast.method": raw, "forecast.correction": "none"},
                **{k: {"forecast.method": raw, "forecast.correction": k, **bases}
                   for k in corrections},
                "perfect": {"forecast.method": "perfect", "forecast.correction": "none"}}
    rows = []
    for seed in seeds:
        sc = base.with_updates({"seed": int(seed)})
        traces = build_traces(sc, data_dir)
        for name, updates in variants.items():
            tic = time.perf_counter()
            run = simulate(sc.with_updates(updates), policy, traces=traces, check=False)
            rows.append({"scenario": sc.name, "policy": policy, "seed": int(seed),
                         "forecast": name, "benefit_usd": run.kpis["total_benefit_usd"],
                         "emissions_t": run.kpis["emissions_t"],
                         "wall_s": time.perf_counter() - tic})
    table = pd.DataFrame(rows)
    wide = table.pivot(index="seed", columns="forecast", values="benefit_usd")
    gap = wide["perfect"] - wide[raw]
    for name in corrections:
        share = (wide[name] - wide[raw]) / gap.where(gap != 0)
        table.loc[table["forecast"] == name, "gap_closed"] = \
            table.loc[table["forecast"] == name, "seed"].map(share).to_numpy()
    return table


def gap_summary(value: pd.DataFrame) -> pd.DataFrame:
    """Mean and std of the benefit per forecast over seeds, and the share of the raw-to-perfect
    gap closed, computed on the benefits summed over seeds (raw = 0, perfect = 1)."""
    table = value.groupby("forecast", sort=False)["benefit_usd"].agg(["mean", "std"])
    total = value.groupby("forecast", sort=False)["benefit_usd"].sum()
    raw = value["forecast"].iloc[0]
    gap = total["perfect"] - total[raw]
    table["gap_closed"] = (total - total[raw]) / gap if gap else np.nan
    return table.reset_index()
