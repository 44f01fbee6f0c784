"""The steps every trace route shares after it built its signals: the user's arrivals and job
sources (``[inputs]``) and the site tariff (:mod:`simulator.tariff`).

Routes deliver market prices (``site_signals["market_price"]``, USD/MWh); here each site's
buy adder and sell rule turn them into ``buy_price`` / ``sell_price``. A trace folder without
market prices fixes buy and sell itself: then a scenario tariff other than the default
(no adder, sell rule "wholesale") is refused, never ignored.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from simulator.errors import ScenarioError, TraceError
from simulator.scenario import Scenario
from simulator.tariff import apply_tariffs, is_default_tariff, tariff_of
from simulator.traceset import TraceSet
from traces.arrivals import arrivals_from_trace
from traces.bursty import bursty_demand
from traces.jobsources import scenario_jobs
from traces.real.datadir import data_folders


def _folders(scenario: Scenario, data_dir: str | Path | None) -> list[Path]:
    """Data folders for job sources (GAIA); empty if none can be found."""
    try:
        return data_folders(scenario.inputs.data_dirs, data_dir,
                            scenario.traces.path if scenario.traces.kind != "files" else None)
    except TraceError:
        return [Path(d) for d in scenario.inputs.data_dirs]


def _tariffs(scenario: Scenario, traces: TraceSet) -> dict[str, np.ndarray]:
    """Buy and sell prices from market prices, or the check that the folder's prices stand."""
    signals = dict(traces.site_signals)
    if "market_price" in signals:
        signals["buy_price"], signals["sell_price"] = apply_tariffs(
            scenario.sites, signals["market_price"])
        return signals
    for s, site in enumerate(scenario.sites):
        if not is_default_tariff(site):
            raise ScenarioError(
                f"scenario '{scenario.name}': sites.{s}: site '{site.name}' sets a tariff "
                f"(buy_adder_usd_per_mwh / sell_rule) but the trace folder "
                f"{scenario.traces.path} fixes buy and sell prices (no "
                f"market_price_usd_per_mwh column): remove the tariff or give market prices")
    return signals


def finish_traces(scenario: Scenario, traces: TraceSet, data_dir: str | Path | None = None
                  ) -> TraceSet:
    """``traces`` with the scenario's arrivals trace, bursts, job sources and site tariffs
    applied."""
    notes = dict(traces.notes)
    demand, jobs = traces.demand, traces.jobs
    if scenario.inputs.arrivals is not None:
        demand, notes["arrivals"] = arrivals_from_trace(scenario, traces.index)
    if scenario.bursts is not None:
        demand = bursty_demand(scenario.bursts, demand, scenario.seed)
    if scenario.inputs.jobs is not None and scenario.traces.kind not in ("real", "real-2022"):
        jobs, notes["jobs"] = scenario_jobs(scenario, traces.index,
                                            _folders(scenario, data_dir), ())
    signals = _tariffs(scenario, traces)
    notes["tariffs"] = {site.name: tariff_of(site) for site in scenario.sites}
    return dataclasses.replace(traces, site_signals=signals, demand=demand.copy(), jobs=jobs,
                               notes=notes)
