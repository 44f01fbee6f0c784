"""Shared fixtures: tiny scenarios built in Python and the path to the real data."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulator.scenario import Scenario, parse_scenario
from simulator.traceset import TraceSet
from traces.synthetic import generate

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

TINY: dict[str, Any] = {
    "name": "tiny",
    "start": "2022-06-01T00:00:00Z",
    "hours": 24,
    "seed": 3,
    "sites": [
        {"name": "a", "zone": "US-CAL-CISO", "latitude": 37.3, "longitude": -121.9, "gpus": 64,
         "pv_mw": 0.05, "import_cap_mw": 0.2, "export_cap_mw": 0.05,
         "battery": {"energy_mwh": 0.1, "power_mw": 0.05}},
        {"name": "b", "zone": "US-TEX-ERCO", "latitude": 32.8, "longitude": -96.8, "gpus": 32,
         "wind_mw": 0.05, "import_cap_mw": 0.2,
         "genset": {"capacity_mw": 0.02}},
    ],
    "regions": [
        {"name": "west", "latitude": 37.8, "longitude": -122.4, "requests_per_hour": 60000},
        {"name": "south", "latitude": 29.8, "longitude": -95.4, "requests_per_hour": 40000},
    ],
    "classes": [
        {"name": "chat", "slo_ms": 30, "gpu_seconds_per_request": 1.0,
         "revenue_usd_per_request": 0.002, "unserved_penalty_usd_per_request": 0.001,
         "share": 0.6},
        {"name": "batch", "slo_ms": 300, "gpu_seconds_per_request": 4.0,
         "revenue_usd_per_request": 0.005, "share": 0.4},
    ],
    "jobs": {"arrivals_per_hour": 0.3, "gpu_choices": [8, 16, 32], "duration_h": [1, 6],
             "slack_h": [0, 8]},
    "economics": {"carbon_price_usd_per_t": 50.0},
    "traces": {"history_hours": 48},
}


def tiny_dict(**updates: Any) -> dict[str, Any]:
    """A deep copy of the tiny scenario with top-level fields replaced."""
    data = copy.deepcopy(TINY)
    data.update(updates)
    return data


def one_site(hours: int = 8, jobs: list | None = None, history_hours: int = 24,
             **site: Any) -> Scenario:
    """One 10-GPU site (PUE 1.2 flat), one region sending 3,600 one-GPU-second requests an
    hour, one class; ``site`` overrides site fields."""
    data = tiny_dict(hours=hours)
    data["sites"] = [{"name": "a", "zone": "GB", "latitude": 51.5, "longitude": 0.0,
                      "gpus": 10, "idle_kw_per_gpu": 0.2, "busy_kw_per_gpu": 1.0,
                      "pue": {"base": 1.2, "slope_per_c": 0.0, "max": 1.2},
                      "import_cap_mw": 1.0, **site}]
    data["regions"] = [{"name": "r", "latitude": 51.5, "longitude": 0.0,
                        "requests_per_hour": 3600}]
    data["classes"] = [{"name": "c", "slo_ms": 50, "gpu_seconds_per_request": 1.0,
                        "revenue_usd_per_request": 0.01,
                        "unserved_penalty_usd_per_request": 0.02, "share": 1.0}]
    data["jobs"] = {"jobs": jobs or []}
    data["traces"] = {"history_hours": history_hours}
    return parse_scenario(data)


def constant_traces(scenario: Scenario, **signals: float) -> TraceSet:
    """Traces of a one-site scenario with every signal constant (defaults below) and 3,600
    requests an hour; the jobs are the scenario's."""
    base = generate(scenario)
    n = len(base.index)
    values = {"buy_price": 100.0, "sell_price": 40.0, "carbon": 400.0, "pv_cf": 0.0,
              "wind_cf": 0.0, "temperature": 15.0, **signals}
    return TraceSet(index=base.index, history_hours=base.history_hours, sites=base.sites,
                    regions=base.regions, classes=base.classes,
                    site_signals={k: np.full((n, 1), float(v)) for k, v in values.items()},
                    demand=np.full((n, 1, 1), 3600.0), jobs=base.jobs, notes={})


@pytest.fixture
def tiny() -> Scenario:
    return parse_scenario(tiny_dict(), source="tiny")


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA
