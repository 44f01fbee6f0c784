"""Carbon- and price-aware greedy heuristic for both compute and energy.

Everything is judged by an effective marginal energy price per site (USD/MWh):
buy price + shadow carbon price x carbon intensity, or, where the site's renewables are
forecast to exceed its load, what the surplus would otherwise earn (sell price, or 0).
Routing fills the cheapest admissible sites first (a region and class with no demand
forecast is routed whole to the cheapest admissible site with free GPUs); a training job
starts when now is within a tolerance of the cheapest start in its window, or when its slack
runs out; the battery charges in the cheap quarter of the day ahead and discharges in the dear
quarter when the spread pays for the losses and wear; the genset runs when the grid is dearer
than its fuel and carbon.
"""

from __future__ import annotations

import numpy as np

from simulator.contracts import Decision, Observation
from simulator.physics import effective_price, genset_cost_usd_per_mwh, start_window
from simulator.system import SystemModel

SECONDS_PER_HOUR = 3600.0


class GreedyPolicy:
    """Greedy heuristic.

    ``shadow_carbon_usd_per_t`` is the carbon price it acts on (at least the scenario's); the
    default, 190 USD/tCO2, is the US EPA's 2023 social cost of carbon (2 % discount rate).
    ``start_tolerance`` is how close (relative) to the window's cheapest start counts as cheap;
    ``window_h`` how far ahead it looks (h); ``demand_margin`` the share by which it plans
    for more inference than forecast, so that a forecast miss does not overflow a full site.
    """

    name = "greedy"

    def __init__(
        self,
        shadow_carbon_usd_per_t: float = 190.0,
        start_tolerance: float = 0.03,
        window_h: int = 24,
        demand_margin: float = 0.15,
    ) -> None:
        self.shadow_carbon_usd_per_t = shadow_carbon_usd_per_t
        self.start_tolerance = start_tolerance
        self.window_h = window_h
        self.demand_margin = demand_margin
        self._carbon_price = shadow_carbon_usd_per_t

    def reset(self, system: SystemModel, hours_total: int) -> None:
        self._carbon_price = max(self.shadow_carbon_usd_per_t, system.carbon_price_usd_per_t)
        self._routes = [
            (int(k), int(r), np.flatnonzero(system.admissible[r, k]).tolist())
            for k in system.class_priority
            for r in np.argsort(system.admissible[:, k, :].sum(axis=1), kind="stable")
        ]

    def decide(self, obs: Observation) -> Decision:
        sys_ = obs.system
        horizon = max(1, min(self.window_h, obs.hours_left))
        buy = obs.forecast("buy_price", horizon)
        sell = obs.forecast("sell_price", horizon)
        carbon = obs.forecast("carbon", horizon)
        renewable = (sys_.pv_mw * obs.forecast("pv_cf", horizon) +
                     sys_.wind_mw * obs.forecast("wind_cf", horizon))
        temperature = obs.forecast("temperature", 1)[0]
        demand = obs.forecast("demand", 1)[0] * (1 + self.demand_margin)
        grid_price = effective_price(buy, carbon, self._carbon_price)
        surplus_value = np.where(sys_.export_cap_mw > 0, np.maximum(sell, 0.0), 0.0)
        pue = sys_.pue(temperature)
        mw_per_gpu = sys_.marginal_mw_per_busy_gpu(temperature)

        free = obs.gpus_free.astype(float)
        starts = self._job_starts(obs, grid_price, free, mw_per_gpu)
        base_load = sys_.it_power_mw(sys_.gpus - free) * pue
        spare = renewable[0] - base_load
        now_price = np.where(spare > 0, surplus_value[0], grid_price[0])
        routing, inference_gpus = self._routing(sys_, demand, free, mw_per_gpu, now_price)
        load = base_load + inference_gpus * mw_per_gpu
        price = np.where(renewable > load, surplus_value, grid_price)
        battery = self._battery(obs, price, renewable[0] - load)
        genset_price = genset_cost_usd_per_mwh(sys_.genset_fuel_usd_per_mwh,
                                               sys_.genset_kg_per_mwh, self._carbon_price)
        genset = np.where(grid_price[0] > genset_price,
                          np.clip(load - renewable[0] + np.minimum(battery, 0), 0, sys_.genset_mw),
                          0.0)
        return Decision(starts=starts, routing=routing, battery_mw=battery, genset_mw=genset)

    def _job_starts(self, obs: Observation, grid_price: np.ndarray, free: np.ndarray,
                    mw_per_gpu: np.ndarray) -> list[tuple[int, int]]:
        """EDF over pending jobs; ``free`` (GPUs per site) is reduced in place by each start."""
        if not obs.pending:
            return []
        horizon = len(grid_price)
        cum = np.vstack([np.zeros(grid_price.shape[1]), np.cumsum(grid_price, axis=0)])
        # duration -> (cost of starting now per site, cheapest start up to offset o per site);
        # costs are USD per busy GPU for the whole run of the job.
        costs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        gpus = obs.system.gpus
        starts = []
        late = obs.system.late_value_fraction
        for job in sorted(obs.pending, key=lambda j: (j.latest_start, j.job_id)):
            fits = free >= job.gpus
            first, last = start_window(job.release_hour, job.deadline_hour, job.duration_h,
                                       obs.hours_total, late)
            if not fits.any() or not first <= obs.t <= last:
                continue
            d = min(job.duration_h, horizon)
            if d not in costs:
                window = (cum[d:] - cum[:-d]) * mw_per_gpu
                costs[d] = (window[0], np.minimum.accumulate(window, axis=0))
            now, cheapest_by = costs[d]
            now_cost = np.where(fits, now, np.inf)
            site = int(np.argmin(now_cost))
            slack = min(job.latest_start, last) - obs.t
            if slack > 0:
                reach = min(slack, len(cheapest_by) - 1)
                best_later = cheapest_by[reach][gpus >= job.gpus].min()
                if now_cost[site] - best_later > self.start_tolerance * abs(best_later) + 1e-9:
                    continue
            starts.append((job.job_id, site))
            free[site] -= job.gpus
        return starts

    def _routing(self, sys_: SystemModel, demand: np.ndarray, free: np.ndarray,
                 mw_per_gpu: np.ndarray, price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fill the cheapest admissible sites, highest-value classes first.

        Returns routing fractions [R, K, S] and the GPUs (per site) the routed work will use.
        Plain Python floats: the arrays are tiny and this runs every simulated hour.
        """
        spare = (free * SECONDS_PER_HOUR).tolist()  # GPU-seconds left per site
        energy_cost = (mw_per_gpu * price / SECONDS_PER_HOUR).tolist()  # USD per GPU-second
        wanted = demand.tolist()
        gpu_s = sys_.gpu_seconds_per_request.tolist()
        value = (sys_.revenue_usd_per_request + sys_.penalty_usd_per_request).tolist()
        routing = np.zeros(sys_.admissible.shape)
        for k, r, sites in self._routes:
            want, h = wanted[r][k], gpu_s[k]
            order = sorted((energy_cost[s], s) for s in sites if energy_cost[s] * h < value[k])
            if not order:
                continue
            if want <= 0:  # none forecast: whatever arrives goes to the cheapest site with room
                routing[r, k, next((s for _, s in order if spare[s] > 0), order[0][1])] = 1.0
                continue
            left = want
            for _, s in order:
                take = min(left, spare[s] / h)
                if take > 0:
                    routing[r, k, s] = take / want
                    spare[s] -= take * h
                    left -= take
                if left <= 0:
                    break
            if left > 0:  # overflow to the cheapest site; the simulator may drop it there
                routing[r, k, order[0][1]] += left / want
        return routing, free - np.asarray(spare) / SECONDS_PER_HOUR

    def _battery(self, obs: Observation, price: np.ndarray, net_surplus: np.ndarray) -> np.ndarray:
        sys_ = obs.system
        lo, hi = sys_.battery_range_mw(obs.soc_mwh)
        ranked = np.sort(price, axis=0)
        low_q = ranked[(len(ranked) - 1) // 4]
        high_q = ranked[(3 * (len(ranked) - 1) + 3) // 4]
        now = price[0]
        round_trip = sys_.eta_charge * sys_.eta_discharge
        wear = 2 * sys_.degradation_usd_per_mwh
        charge = (now <= low_q) & (now + wear < high_q * round_trip)
        discharge = (now >= high_q) & (now * round_trip > low_q + wear)
        setpoint = np.where(net_surplus > 0, np.minimum(hi, net_surplus), 0.0)
        setpoint = np.where(charge, hi, setpoint)
        setpoint = np.where(discharge & (net_surplus <= 0), lo, setpoint)
        return np.where(sys_.battery_mwh > 0, setpoint, 0.0)
