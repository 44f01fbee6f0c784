"""The stages of executing one hour's Decision against the realized traces.

:meth:`simulator.engine.Simulation._execute` runs them in this order: inference (route the
arrivals, serve on the GPUs training leaves free), facility load, storage and genset (clip the
setpoints to what is feasible), grid (import up to its cap, shedding inference before any
shortfall; export; surplus order), then money and carbon. Every stage reports what it could not
execute through ``clip(site, kind, requested, executed, detail)`` (site -1: not site-specific).
Powers are MW held for the hour, per site.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulator import physics
from simulator.system import SystemModel

SECONDS_PER_HOUR = 3600.0
TOL = 1e-9
Clip = Callable[..., None]
# The ufunc reductions behind ndarray.sum/min/max, without their Python wrappers (hot path).
_sum, _min, _max = np.add.reduce, np.minimum.reduce, np.maximum.reduce


def setpoint(values, n: int) -> np.ndarray | None:
    """A policy's per-site setpoint as floats (None = 0 everywhere; NaN = 0).

    Returns None when the shape is wrong (the caller records the clip)."""
    if values is None:
        return np.zeros(n)
    out = np.array(values, dtype=float).reshape(-1)
    if out.shape != (n,):
        return None
    nan = np.isnan(out)
    if np.count_nonzero(nan):
        out[nan] = 0.0
    return out


def checked_routing(sys_: SystemModel, routing: np.ndarray | None, clip: Clip) -> np.ndarray:
    """Routing fractions [R, K, S] made valid: NaN/negative and inadmissible routes set to 0,
    rows summing above 1 rescaled."""
    shape = (sys_.n_regions, sys_.n_classes, sys_.n_sites)
    if routing is None:
        return np.zeros(shape)
    a = np.asarray(routing, dtype=float)
    if a.shape != shape:
        clip(-1, "routing_refused", float("nan"), 0.0,
             f"routing has shape {a.shape}, expected {shape}")
        return np.zeros(shape)
    # Valid as given (the usual case): no fraction below 0 (NaN fails), no row summing above
    # 1 (so none is NaN or infinite), nothing on an inadmissible route.
    if a.size and _min(a, axis=None) >= 0 and _max(_sum(a, axis=2), axis=None) <= 1 + TOL and \
            not np.count_nonzero(a[sys_.inadmissible]):
        return a
    bad = ~np.isfinite(a) | (a < 0)
    if bad.any():
        clip(-1, "routing_invalid_fraction", float(np.nansum(np.abs(a[bad]))), 0.0,
             f"{int(bad.sum())} NaN or negative fractions set to 0")
        a = np.where(bad, 0.0, a)
    inadmissible = (a > 0) & sys_.inadmissible
    if inadmissible.any():
        clip(-1, "routing_latency", float(a[inadmissible].sum()), 0.0,
             f"{int(inadmissible.sum())} routes over their latency SLO set to 0")
        a = np.where(sys_.admissible, a, 0.0)
    total = a.sum(axis=2, keepdims=True)
    over = total > 1 + TOL
    if over.any():
        clip(-1, "routing_over_one", float(total[over].sum()), float(over.sum()),
             f"{int(over.sum())} region-class rows summing above 1 rescaled")
        a = np.where(over, a / np.where(over, total, 1.0), a)
    return a


def default_split(sys_: SystemModel, free_gpus: np.ndarray) -> np.ndarray:
    """The default routing [R, K, S] for a region-class row a policy leaves empty: every
    admissible site in proportion to its free GPUs (evenly when none is free)."""
    admissible = sys_.admissible.astype(float)
    weights = admissible * np.maximum(np.asarray(free_gpus, dtype=float), 0.0)
    total = weights.sum(axis=2, keepdims=True)
    even = admissible / np.maximum(admissible.sum(axis=2, keepdims=True), 1.0)
    return np.where(total > 0, weights / np.where(total > 0, total, 1.0), even)


def fill_empty_rows(sys_: SystemModel, routing: np.ndarray, arrived: np.ndarray,
                    free_gpus: np.ndarray, clip: Clip) -> np.ndarray:
    """``routing`` with the share a row leaves unrouted (1 - its sum) sent by
    :func:`default_split`, wherever requests arrive and some site is admissible. The engine
    applies it when a policy gives no routing of its own (``Decision.routing is None``); a
    policy that gives routing drops what it leaves unrouted, as the MILP models it. Each filled
    row is recorded as a ``routing_default_split`` clip (requested: the requests the policy
    routed; executed: all that arrived)."""
    left = 1.0 - routing.sum(axis=2)
    short = (left > 1e-6) & (arrived > 0) & sys_.admissible.any(axis=2)
    if not short.any():
        return routing
    split = default_split(sys_, free_gpus)
    for r, k in zip(*np.nonzero(short), strict=True):
        clip(-1, "routing_default_split", float(arrived[r, k] * (1.0 - left[r, k])),
             float(arrived[r, k]), f"{sys_.region_names[r]}/{sys_.class_names[k]}: "
             f"{left[r, k]:.0%} unrouted")
    return routing + np.where(short, left, 0.0)[:, :, None] * split


def serve_inference(sys_: SystemModel, routed: np.ndarray, free_gpus: np.ndarray,
                    priority: np.ndarray) -> np.ndarray:
    """Requests served [R, K, S] out of ``routed``: each site's free GPU-seconds go to the
    classes in ``priority`` order, shared pro rata among regions."""
    cap = np.maximum(free_gpus, 0.0) * SECONDS_PER_HOUR
    needs = _sum(routed, axis=0) * sys_.gpu_seconds_per_request[:, None]  # GPU-s [K, S]
    served = routed.copy()
    # Room for every class with a margin far above rounding: all served, no site short.
    if np.count_nonzero(_sum(needs, axis=0) <= cap * (1 - 1e-9)) == len(cap):
        return served
    for k in priority:
        need = needs[k]
        if np.count_nonzero(cap >= need) == len(cap):  # all of class k served everywhere
            cap = np.maximum(cap - need, 0.0)
            continue
        frac = np.minimum(1.0, np.divide(cap, need, out=np.ones(sys_.n_sites), where=need > 0))
        served[:, k, :] = routed[:, k, :] * frac
        cap = np.maximum(cap - need * frac, 0.0)
    return served


@dataclass
class Load:
    """Facility load of one hour: GPUs busy with inference (GPU-seconds / 3600), IT power and
    facility power (MW)."""

    gpus_inference: np.ndarray
    it_mw: np.ndarray
    load_mw: np.ndarray


def facility_load(sys_: SystemModel, served: np.ndarray, gpus_training: np.ndarray,
                  pue: np.ndarray) -> Load:
    """IT and facility power of training plus the served inference."""
    gpus = _sum(served * sys_.gpu_seconds_per_request[None, :, None], axis=(0, 1)) / \
        SECONDS_PER_HOUR
    it = sys_.it_power_mw(gpus_training + gpus)
    return Load(gpus, it, it * pue)


@dataclass
class Dispatch:
    """Device powers of one hour (MW, >= 0), adjusted by the grid stage."""

    charge: np.ndarray
    discharge: np.ndarray
    genset: np.ndarray
    max_discharge: np.ndarray


def storage_and_genset(sys_: SystemModel, soc_mwh: np.ndarray, battery_mw, genset_mw,
                       clip: Clip) -> Dispatch:
    """The policy's battery (+ charge / - discharge) and genset setpoints clipped to what the
    state of charge, power ratings and capacities allow this hour."""
    S = sys_.n_sites
    lo, hi = sys_.battery_range_mw(soc_mwh)
    b_req = setpoint(battery_mw, S)
    if b_req is None:
        clip(-1, "battery_refused", float("nan"), 0.0, "setpoint shape is not [sites]")
        b_req = np.zeros(S)
    b = np.minimum(np.maximum(b_req, lo), hi)
    if np.count_nonzero(b != b_req):
        for s in np.flatnonzero(np.abs(b - b_req) > 1e-6):
            clip(int(s), "battery_limit", b_req[s], b[s])
    g_req = setpoint(genset_mw, S)
    if g_req is None:
        clip(-1, "genset_refused", float("nan"), 0.0, "setpoint shape is not [sites]")
        g_req = np.zeros(S)
    genset = np.minimum(np.maximum(g_req, 0.0), sys_.genset_mw)
    if np.count_nonzero(genset != g_req):
        for s in np.flatnonzero(np.abs(genset - g_req) > 1e-6):
            clip(int(s), "genset_limit", g_req[s], genset[s])
    return Dispatch(np.maximum(b, 0.0), np.maximum(-b, 0.0), genset, -lo)


def relieve_import_cap(sys_: SystemModel, net: np.ndarray, d: Dispatch, served: np.ndarray,
                       marginal_mw_per_gpu: np.ndarray, priority: np.ndarray,
                       clip: Clip) -> tuple[np.ndarray, np.ndarray | None]:
    """Where the net draw exceeds the import cap: cut charging, raise genset then discharge,
    shed inference (lowest class first), and record what is still missing as shortfall.

    Changes ``d`` and ``served`` in place; returns (shortfall MW, requests shed [R, K, S]),
    the latter None when no site is over its cap (then nothing changed)."""
    shortfall = np.zeros(sys_.n_sites)
    over = (net > sys_.import_cap_mw + TOL).nonzero()[0]
    if not len(over):
        return shortfall, None
    dropped = np.zeros_like(served)
    h = sys_.gpu_seconds_per_request
    for s in over:
        excess = net[s] - sys_.import_cap_mw[s]
        cut = min(excess, d.charge[s])
        if cut > 0:
            clip(int(s), "charge_cut_import_cap", d.charge[s], d.charge[s] - cut)
            d.charge[s] -= cut
            excess -= cut
        for name, arr, limit in (("genset_raised_import_cap", d.genset, sys_.genset_mw[s]),
                                 ("discharge_raised_import_cap", d.discharge,
                                  d.max_discharge[s])):
            add = min(excess, limit - arr[s])
            if add > TOL:
                clip(int(s), name, arr[s], arr[s] + add)
                arr[s] += add
                excess -= add
        for k in priority[::-1]:
            if excess <= TOL:
                break
            mw_per_request = h[k] * marginal_mw_per_gpu[s] / SECONDS_PER_HOUR
            have = served[:, k, s].sum()
            if have <= 0 or mw_per_request <= 0:
                continue
            shed = min(have, excess / mw_per_request)
            share = served[:, k, s] * (shed / have)
            served[:, k, s] -= share
            dropped[:, k, s] += share
            excess -= shed * mw_per_request
            clip(int(s), "inference_shed_import_cap", have, have - shed, sys_.class_names[k])
        if excess > TOL:
            shortfall[s] = excess
            clip(int(s), "shortfall_import_cap", excess, 0.0)
    return shortfall, dropped


@dataclass
class Grid:
    """Grid exchange and renewables of one hour (MW)."""

    import_mw: np.ndarray
    export_mw: np.ndarray
    curtailed_mw: np.ndarray


def settle_grid(sys_: SystemModel, net: np.ndarray, d: Dispatch, renewable: np.ndarray,
                sell: np.ndarray, clip: Clip) -> Grid:
    """Import the net draw; export surplus up to the cap when the sell price is positive; what
    is left follows the surplus order of :func:`simulator.physics.surplus_cuts`."""
    grid_import = np.minimum(np.maximum(net, 0.0), sys_.import_cap_mw)
    surplus = np.maximum(-net, 0.0)
    export = np.where(sell > 0, np.minimum(surplus, sys_.export_cap_mw), 0.0)
    gen_cut, curtailed, dis_cut = physics.surplus_cuts(surplus - export, d.genset, renewable,
                                                       d.discharge)
    for name, arr, cut in (("genset_cut_surplus", d.genset, gen_cut),
                           ("discharge_cut_surplus", d.discharge, dis_cut)):
        for s in (cut > TOL).nonzero()[0]:
            clip(int(s), name, arr[s], arr[s] - cut[s])
            arr[s] -= cut[s]
    return Grid(grid_import, export, curtailed)


def money_and_carbon(sys_: SystemModel, g: Grid, d: Dispatch, shortfall: np.ndarray,
                     served: np.ndarray, buy: np.ndarray, sell: np.ndarray,
                     carbon: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Emissions (tCO2) and the hour's money columns (USD, costs positive) per site."""
    emissions = physics.emissions_t(g.import_mw, g.export_mw, d.genset, carbon,
                                    sys_.genset_kg_per_mwh, sys_.export_carbon_credit)
    parts = {
        **physics.energy_money_usd(
            g.import_mw, g.export_mw, d.genset, d.charge, d.discharge, emissions, buy, sell,
            fuel_usd_per_mwh=sys_.genset_fuel_usd_per_mwh,
            degradation_usd_per_mwh=sys_.degradation_usd_per_mwh,
            carbon_price_usd_per_t=sys_.carbon_price_usd_per_t),
        "shortfall_cost_usd": shortfall * sys_.shortfall_penalty_usd_per_mwh,
        "inference_revenue_usd": _sum(_sum(served, axis=0) *
                                      sys_.revenue_usd_per_request[:, None], axis=0),
    }
    return emissions, parts
