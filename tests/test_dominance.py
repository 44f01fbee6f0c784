"""The oracle is a true upper bound: no policy realizes more than the oracle's bound.

A seeded generator draws small variants of ``paper-3site`` (1-3 sites, 6-48 h; no, default or
large batteries; tight import caps; low and high shortfall prices; tight carbon budgets with
low or high overshoot prices; negative prices; late-value jobs; export carbon credit). Every
policy runs with the invariant checker on, and its realized ``total_benefit_usd`` must not
exceed the oracle's ``oracle_bound_usd`` by more than 1e-6 relative. Where the oracle's own
execution is not clipped, its planned objective equals its realized benefit (same tolerance).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gridshift.api import build_traces, simulate
from simulator.scenario import Scenario, load_scenario
from simulator.traceset import TraceSet

POLICIES = ("fifo", "greedy", "milp", "compute-only", "energy-only", "no-battery",
            "no-routing", "no-carbon")
REL = 1e-6
FAST_SOLVES = {"time_limit_s": 10.0, "horizon_h": 8}  # rolling policies: short horizons
ORACLE = {"time_limit_s": 60.0}  # a time-limited solve still reports a valid bound


def variant(seed: int, max_hours: int = 48, max_sites: int = 3) -> tuple[Scenario, TraceSet]:
    """One random small variant of paper-3site and its traces (prices maybe negative)."""
    rng = np.random.default_rng(seed)
    base = load_scenario("paper-3site")
    data = base.model_dump(mode="python")
    n_sites = int(rng.integers(1, max_sites + 1))
    hours = int(rng.integers(6, max_hours + 1))
    data["sites"] = data["sites"][:n_sites]
    data["hours"] = hours
    data["seed"] = seed
    for site in data["sites"]:
        kind = rng.choice(["none", "default", "large"])
        site["battery"] = None if kind == "none" else \
            {**(site["battery"] or {}), "energy_mwh": 2.0 if kind == "default" else 12.0,
             "power_mw": 1.0 if kind == "default" else 4.0}
        if rng.random() < 0.4:
            site["import_cap_mw"] = float(rng.uniform(0.3, 0.9))  # tight: near idle load
        if rng.random() < 0.3:
            site["genset"] = {"capacity_mw": float(rng.uniform(0.1, 0.8))}
    economics = data["economics"]
    economics["shortfall_penalty_usd_per_mwh"] = float(rng.choice([20.0, 500.0, 10_000.0]))
    economics["export_carbon_credit"] = bool(rng.random() < 0.3)
    economics["carbon_price_usd_per_t"] = float(rng.choice([0.0, 50.0, 200.0]))
    if rng.random() < 0.5:
        economics["carbon_budget_t"] = float(rng.uniform(0.05, 0.4) * hours * n_sites)
        economics["carbon_budget_penalty_usd_per_t"] = float(rng.choice([300.0, 100_000.0]))
    data["jobs"]["late_value_fraction"] = float(rng.choice([0.0, 0.5]))
    scenario = Scenario.model_validate(data)
    traces = build_traces(scenario)
    if rng.random() < 0.5:  # negative prices in some hours, as in DE-LU or CAISO
        signals = {k: v.copy() for k, v in traces.site_signals.items()}
        hit = rng.random(signals["buy_price"].shape) < 0.3
        drop = rng.uniform(50.0, 200.0)
        signals["buy_price"] = np.where(hit, signals["buy_price"] - drop, signals["buy_price"])
        signals["sell_price"] = np.where(hit, signals["sell_price"] - drop,
                                         signals["sell_price"])
        traces = dataclasses.replace(traces, site_signals=signals, notes={})
    return scenario, traces


def check_variant(seed: int, max_hours: int, max_sites: int) -> None:
    scenario, traces = variant(seed, max_hours, max_sites)
    oracle = simulate(scenario, "oracle", traces=traces, check=True, policy_options=ORACLE)
    bound = oracle.kpis["oracle_bound_usd"]
    realized = oracle.kpis["total_benefit_usd"]
    slack = REL * max(1.0, abs(bound))
    assert realized <= bound + slack, f"seed {seed}: oracle realized {realized} > bound {bound}"
    if oracle.kpis["clips"] == 0:
        planned = float(oracle.result.steps["objective"].iloc[0])
        assert abs(planned - realized) <= REL * max(1.0, abs(realized)), \
            f"seed {seed}: oracle planned {planned} != realized {realized}"
    for name in POLICIES:
        options = FAST_SOLVES if name not in ("fifo", "greedy") else None
        done = simulate(scenario, name, traces=traces, check=True, policy_options=options)
        benefit = done.kpis["total_benefit_usd"]
        assert benefit <= bound + slack, \
            f"seed {seed}: {name} realized {benefit:.6f} > oracle bound {bound:.6f}"


@pytest.mark.parametrize("seed", range(12))
def test_no_policy_beats_the_oracle_bound_small(seed: int) -> None:
    check_variant(seed, max_hours=12, max_sites=2)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 150))
def test_no_policy_beats_the_oracle_bound(seed: int) -> None:
    check_variant(seed, max_hours=48, max_sites=3)
