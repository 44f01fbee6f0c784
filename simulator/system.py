"""SystemModel: the scenario's static parameters as numpy arrays, and the physics limits.

The simulator executes with these arrays and an optimiser builds its model from the same ones,
so both read identical limits (the Vessim idea: ``battery_range_mw`` is kept apart from setting
power). Sign convention: battery power is + charging / - discharging (MW, from the site bus);
grid import and export are both >= 0 MW. Per-GPU power is stored in MW.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from simulator.physics import soc_step
from simulator.scenario import Scenario

FIBER_KM_PER_MS = 200.0  # light in fibre, one way
ROUTE_INFLATION = 1.4  # fibre paths are longer than great circles
LATENCY_BASE_MS = 5.0  # switching, queueing and serving overhead
EARTH_RADIUS_KM = 6371.0


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a)))


def latency_from_geography_ms(distance_km: float) -> float:
    """Round-trip latency model: base + 2 x inflated distance / fibre speed (ms)."""
    return LATENCY_BASE_MS + 2 * ROUTE_INFLATION * distance_km / FIBER_KM_PER_MS


def _arr(values) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class SystemModel:
    """Arrays indexed by site s, region r, class k. See the module docstring for signs."""

    site_names: tuple[str, ...]
    region_names: tuple[str, ...]
    class_names: tuple[str, ...]
    gpus: np.ndarray
    idle_mw_per_gpu: np.ndarray
    busy_mw_per_gpu: np.ndarray
    pue_base: np.ndarray
    pue_threshold_c: np.ndarray
    pue_slope_per_c: np.ndarray
    pue_max: np.ndarray
    pv_mw: np.ndarray
    wind_mw: np.ndarray
    battery_mwh: np.ndarray
    battery_mw: np.ndarray
    eta_charge: np.ndarray
    eta_discharge: np.ndarray
    soc_min_mwh: np.ndarray
    soc_max_mwh: np.ndarray
    soc_initial_mwh: np.ndarray
    degradation_usd_per_mwh: np.ndarray
    genset_mw: np.ndarray
    genset_fuel_usd_per_mwh: np.ndarray
    genset_kg_per_mwh: np.ndarray
    import_cap_mw: np.ndarray
    export_cap_mw: np.ndarray
    latency_ms: np.ndarray  # [R, S]
    slo_ms: np.ndarray  # [K]
    gpu_seconds_per_request: np.ndarray  # [K]
    revenue_usd_per_request: np.ndarray  # [K]
    penalty_usd_per_request: np.ndarray  # [K]
    admissible: np.ndarray  # [R, K, S] bool: latency[r, s] <= slo[k]
    carbon_price_usd_per_t: float
    carbon_budget_t: float | None
    carbon_budget_penalty_usd_per_t: float
    export_carbon_credit: bool
    shortfall_penalty_usd_per_mwh: float
    late_value_fraction: float

    @property
    def n_sites(self) -> int:
        return len(self.site_names)

    @property
    def n_regions(self) -> int:
        return len(self.region_names)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def class_priority(self) -> np.ndarray:
        """Class indices by value per GPU-second, highest first (who is served first)."""
        density = (self.revenue_usd_per_request + self.penalty_usd_per_request) / (
            self.gpu_seconds_per_request
        )
        return np.argsort(-density, kind="stable")

    def pue(self, temperature_c: np.ndarray) -> np.ndarray:
        """PUE per site at outdoor temperature (°C): linear above the threshold, capped."""
        rise = self.pue_slope_per_c * np.maximum(0.0, temperature_c - self.pue_threshold_c)
        return np.minimum(self.pue_max, self.pue_base + rise)

    @cached_property
    def inadmissible(self) -> np.ndarray:
        """[R, K, S] bool: routes over their latency SLO (the complement of ``admissible``)."""
        out = ~self.admissible
        out.setflags(write=False)
        return out

    @cached_property
    def busy_increment_mw_per_gpu(self) -> np.ndarray:
        """IT power (MW) a GPU draws busy above idle, per site."""
        return _arr(self.busy_mw_per_gpu - self.idle_mw_per_gpu)

    def it_power_mw(self, busy_gpus: np.ndarray) -> np.ndarray:
        """IT power (MW): all GPUs idle-powered plus the busy increment for busy GPUs."""
        return self.idle_it_mw + self.busy_increment_mw_per_gpu * busy_gpus

    @cached_property
    def idle_it_mw(self) -> np.ndarray:
        """IT power (MW) of all GPUs idle, per site."""
        return _arr(self.gpus * self.idle_mw_per_gpu)

    def pv_power_mw(self, pv_cf: np.ndarray) -> np.ndarray:
        """PV output available (MW) at capacity factor ``pv_cf`` (0-1) per site."""
        return self.pv_mw * pv_cf

    def wind_power_mw(self, wind_cf: np.ndarray) -> np.ndarray:
        """Wind output available (MW) at capacity factor ``wind_cf`` (0-1) per site."""
        return self.wind_mw * wind_cf

    def renewable_mw(self, pv_cf: np.ndarray, wind_cf: np.ndarray) -> np.ndarray:
        """PV plus wind output available (MW) per site, before curtailment."""
        return self.pv_power_mw(pv_cf) + self.wind_power_mw(wind_cf)

    def marginal_mw_per_busy_gpu(self, temperature_c: np.ndarray) -> np.ndarray:
        """Facility power (MW) one more busy GPU adds, cooling included."""
        return self.marginal_mw_at_pue(self.pue(temperature_c))

    def marginal_mw_at_pue(self, pue: np.ndarray) -> np.ndarray:
        """Facility power (MW) one more busy GPU adds at ``pue`` (the PUE already known)."""
        return self.busy_increment_mw_per_gpu * pue

    def battery_range_mw(self, soc_mwh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Feasible one-hour battery setpoints: (lowest = -max discharge, highest = max charge)."""
        charge = np.minimum(self.battery_mw, (self.soc_max_mwh - soc_mwh) / self.eta_charge)
        discharge = np.minimum(self.battery_mw, (soc_mwh - self.soc_min_mwh) * self.eta_discharge)
        return -np.maximum(discharge, 0.0), np.maximum(charge, 0.0)

    def next_soc_mwh(self, soc_mwh: np.ndarray, charge_mw: np.ndarray,
                     discharge_mw: np.ndarray) -> np.ndarray:
        """State of charge after one hour of charging/discharging (both >= 0 MW)."""
        return soc_step(soc_mwh, charge_mw, discharge_mw, self.eta_charge, self.eta_discharge)


def build_system(scenario: Scenario) -> SystemModel:
    """Turn a validated scenario into arrays (latency from geography unless given)."""
    sites, regions, classes = scenario.sites, scenario.regions, scenario.classes
    if scenario.latency_ms is not None:
        latency = [[scenario.latency_ms[r.name][s.name] for s in sites] for r in regions]
    else:
        latency = [
            [latency_from_geography_ms(great_circle_km(r.latitude, r.longitude, s.latitude,
                                                       s.longitude)) for s in sites]
            for r in regions
        ]
    latency_arr = _arr(latency)
    slo = _arr([c.slo_ms for c in classes])
    admissible = latency_arr[:, None, :] <= slo[None, :, None]
    admissible.setflags(write=False)

    def bat(attr: str, default: float = 0.0) -> np.ndarray:
        return _arr([getattr(s.battery, attr) if s.battery else default for s in sites])

    energy = bat("energy_mwh")
    return SystemModel(
        site_names=tuple(s.name for s in sites),
        region_names=tuple(r.name for r in regions),
        class_names=tuple(c.name for c in classes),
        gpus=_arr([s.gpus for s in sites]),
        idle_mw_per_gpu=_arr([s.idle_kw_per_gpu / 1000 for s in sites]),
        busy_mw_per_gpu=_arr([s.busy_kw_per_gpu / 1000 for s in sites]),
        pue_base=_arr([s.pue.base for s in sites]),
        pue_threshold_c=_arr([s.pue.threshold_c for s in sites]),
        pue_slope_per_c=_arr([s.pue.slope_per_c for s in sites]),
        pue_max=_arr([s.pue.max for s in sites]),
        pv_mw=_arr([s.pv_mw for s in sites]),
        wind_mw=_arr([s.wind_mw for s in sites]),
        battery_mwh=energy,
        battery_mw=bat("power_mw"),
        eta_charge=bat("charge_efficiency", 1.0),
        eta_discharge=bat("discharge_efficiency", 1.0),
        soc_min_mwh=_arr(energy * bat("soc_min_fraction")),
        soc_max_mwh=_arr(energy * bat("soc_max_fraction")),
        soc_initial_mwh=_arr(energy * bat("soc_initial_fraction")),
        degradation_usd_per_mwh=bat("degradation_usd_per_mwh"),
        genset_mw=_arr([s.genset.capacity_mw if s.genset else 0.0 for s in sites]),
        genset_fuel_usd_per_mwh=_arr([s.genset.fuel_usd_per_mwh if s.genset else 0.0
                                      for s in sites]),
        genset_kg_per_mwh=_arr([s.genset.emission_kg_per_mwh if s.genset else 0.0
                                for s in sites]),
        import_cap_mw=_arr([s.import_cap_mw for s in sites]),
        export_cap_mw=_arr([s.export_cap_mw for s in sites]),
        latency_ms=latency_arr,
        slo_ms=slo,
        gpu_seconds_per_request=_arr([c.gpu_seconds_per_request for c in classes]),
        revenue_usd_per_request=_arr([c.revenue_usd_per_request for c in classes]),
        penalty_usd_per_request=_arr([c.unserved_penalty_usd_per_request for c in classes]),
        admissible=admissible,
        carbon_price_usd_per_t=scenario.economics.carbon_price_usd_per_t,
        carbon_budget_t=scenario.economics.carbon_budget_t,
        carbon_budget_penalty_usd_per_t=scenario.economics.carbon_budget_penalty_usd_per_t,
        export_carbon_credit=scenario.economics.export_carbon_credit,
        shortfall_penalty_usd_per_mwh=scenario.economics.shortfall_penalty_usd_per_mwh,
        late_value_fraction=scenario.jobs.late_value_fraction,
    )
