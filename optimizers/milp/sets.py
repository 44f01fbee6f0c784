"""Index sets of the joint MILP and the switches that choose which parts are decided.

Sets are fixed when a model is built: sites s, horizon slots l = 0..H-1 (slot l is run hour
t + l), admissible routes (r, k, s) and the devices each site has. Infeasible routes and absent
devices are never created as variables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.system import SystemModel


@dataclass(frozen=True)
class Switches:
    """Which parts of the joint model are decisions; everything else is fixed or absent.

    ``decide_jobs``: training-job starts are binaries (else they follow the ``fifo`` rule and
    enter as a fixed GPU profile). ``decide_routing``: inference may use every latency-admissible
    route (else only each (region, class)'s nearest admissible site). ``battery`` / ``genset``:
    dispatch is decided (else the device stays idle / off). ``carbon``: the carbon price and the
    carbon budget enter the model (else the model is carbon-blind; the simulator still charges).
    """

    decide_jobs: bool = True
    decide_routing: bool = True
    battery: bool = True
    genset: bool = True
    carbon: bool = True


@dataclass(frozen=True)
class ModelSets:
    """Index sets of one model. Route a = (r, k, s); ``demand_rows`` are the (r, k) pairs that
    have at least one route."""

    horizon: int
    n_sites: int
    routes: tuple[tuple[int, int, int], ...]
    demand_rows: tuple[tuple[int, int], ...]
    battery_sites: tuple[int, ...]
    genset_sites: tuple[int, ...]
    export_sites: tuple[int, ...]
    renewable_sites: tuple[int, ...]
    carbon_budget: bool

    @property
    def sites(self) -> range:
        return range(self.n_sites)

    @property
    def slots(self) -> range:
        return range(self.horizon)

    def routes_of_row(self) -> dict[tuple[int, int], list[int]]:
        """Route indices per demand row (r, k)."""
        out: dict[tuple[int, int], list[int]] = {rk: [] for rk in self.demand_rows}
        for a, (r, k, _s) in enumerate(self.routes):
            out[(r, k)].append(a)
        return out

    def routes_of_site(self) -> dict[int, list[int]]:
        """Route indices per site."""
        out: dict[int, list[int]] = {s: [] for s in self.sites}
        for a, (_r, _k, s) in enumerate(self.routes):
            out[s].append(a)
        return out


def nearest_admissible(system: SystemModel) -> np.ndarray:
    """Bool [R, K, S]: the lowest-latency admissible site of each (r, k) (the ``fifo`` route)."""
    latency = np.where(system.admissible, system.latency_ms[:, None, :], np.inf)
    best = np.argmin(latency, axis=2)
    out = np.zeros(system.admissible.shape, dtype=bool)
    r_idx, k_idx = np.indices(best.shape)
    out[r_idx, k_idx, best] = True
    return out & system.admissible


def build_sets(system: SystemModel, switches: Switches, horizon: int) -> ModelSets:
    """Sets for a model of ``horizon`` slots under ``switches``."""
    allowed = system.admissible if switches.decide_routing else nearest_admissible(system)
    routes = tuple((int(r), int(k), int(s)) for r, k, s in zip(*np.nonzero(allowed),
                                                                   strict=True))
    rows = tuple(sorted({(r, k) for r, k, _ in routes}))
    sites = range(system.n_sites)
    return ModelSets(
        horizon=horizon,
        n_sites=system.n_sites,
        routes=routes,
        demand_rows=rows,
        battery_sites=tuple(s for s in sites if switches.battery and system.battery_mw[s] > 0
                            and system.soc_max_mwh[s] > system.soc_min_mwh[s]),
        genset_sites=tuple(s for s in sites if switches.genset and system.genset_mw[s] > 0),
        export_sites=tuple(s for s in sites if system.export_cap_mw[s] > 0),
        renewable_sites=tuple(s for s in sites if system.pv_mw[s] + system.wind_mw[s] > 0),
        carbon_budget=switches.carbon and system.carbon_budget_t is not None,
    )
