"""Carbon- and price-aware greedy heuristic for both compute and energy.

Everything is judged by an effective marginal energy price per site (USD/MWh):
buy price + shadow carbon price x carbon intensity, or, where the site's renewables are
forecast to exceed its load, what the surplus would otherwise earn (sell price, or 0).
Routing fills the cheapest admissible sites first; a training job starts when now is within a
tolerance of the cheapest start in its window, or when its slack runs out; the battery charges
in the cheap quarter of the day ahead and discharges in the dear quarter when the spread pays
for the losses and wear; the genset runs when the grid is dearer than its fuel and carbon.
"""

from __future__ import annotations

import numpy as np

from policies.base import Decision, Observation
from simulator.system import SystemModel

SECONDS_PER_HOUR = 3600.0


class GreedyPolicy:
    """Greedy heuristic.

    ``shadow_carbon_usd_per_t`` is the carbon price it acts on (at least the scenario's); the
    default, 190 USD/tCO2, is the US EPA's 2023 social cost of carbon (2 % discount rate).
    ``start_tolerance`` is how close (relative) to the window's cheapest start counts as cheap;
    ``window_h`` how far ahead it looks (h).
    """

    name = "greedy"

    def __init__(
        self,
        shadow_carbon_usd_per_t: float = 190.0,
        start_tolerance: float = 0.03,
        window_h: int = 24,
    ) -> None:
        self.shadow_carbon_usd_per_t = shadow_carbon_usd_per_t
        self.start_tolerance = start_tolerance
        self.window_h = window_h
        self._carbon_price = shadow_carbon_usd_per_t

    def reset(self, system: SystemModel, hours_total: int) -> None:
        self._carbon_price = max(self.shadow_carbon_usd_per_t, system.carbon_price_usd_per_t)

    def decide(self, obs: Observation) -> Decision:
        sys_ = obs.system
        horizon = max(1, min(self.window_h, obs.hours_left))
        buy = obs.forecast("buy_price", horizon)
        sell = obs.forecast("sell_price", horizon)
        carbon = obs.forecast("carbon", horizon)
        renewable = (sys_.pv_mw * obs.forecast("pv_cf", horizon) +
                     sys_.wind_mw * obs.forecast("wind_cf", horizon))
        temperature = obs.forecast("temperature", 1)[0]
        demand = obs.forecast("demand", 1)[0]
        grid_price = buy + self._carbon_price * carbon / 1000.0
        surplus_value = np.where(sys_.export_cap_mw > 0, np.maximum(sell, 0.0), 0.0)

        free = obs.gpus_free.astype(float)
        starts, free = self._job_starts(obs, grid_price, free, temperature)
        base_load = sys_.it_power_mw(sys_.gpus - free) * sys_.pue(temperature)
        routing, inference_gpus = self._routing(obs, demand, free, temperature, grid_price[0],
                                                renewable[0] - base_load, surplus_value[0])
        load = sys_.it_power_mw(sys_.gpus - free + inference_gpus) * sys_.pue(temperature)
        price = np.where(renewable > load, surplus_value, grid_price)
        battery = self._battery(obs, price, renewable[0] - load)
        genset = np.where(grid_price[0] > sys_.genset_fuel_usd_per_mwh + self._carbon_price *
                          sys_.genset_kg_per_mwh / 1000.0,
                          np.clip(load - renewable[0] + np.minimum(battery, 0), 0, sys_.genset_mw),
                          0.0)
        return Decision(starts=starts, routing=routing, battery_mw=battery, genset_mw=genset)

    def _job_starts(self, obs: Observation, grid_price: np.ndarray, free: np.ndarray,
                    temperature: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
        sys_ = obs.system
        mw_per_gpu = sys_.marginal_mw_per_busy_gpu(temperature)
        horizon = len(grid_price)
        cum = np.vstack([np.zeros(grid_price.shape[1]), np.cumsum(grid_price, axis=0)])
        starts = []
        for job in sorted(obs.pending, key=lambda j: (j.latest_start, j.job_id)):
            fits = np.flatnonzero(free >= job.gpus)
            if fits.size == 0:
                continue
            d = min(job.duration_h, horizon)
            window = cum[d:] - cum[:-d]  # [offsets, S] summed price over d hours
            now_cost = window[0] * mw_per_gpu
            site = int(fits[np.argmin(now_cost[fits])])
            slack = job.latest_start - obs.t
            if slack > 0:
                reach = min(slack, window.shape[0] - 1) + 1
                best_later = (window[:reach] * mw_per_gpu).min()
                if now_cost[site] > best_later * (1 + self.start_tolerance) + 1e-9:
                    continue
            starts.append((job.job_id, site))
            free[site] -= job.gpus
        return starts, free

    def _routing(self, obs: Observation, demand: np.ndarray, free: np.ndarray,
                 temperature: np.ndarray, grid_price: np.ndarray, spare_renewable: np.ndarray,
                 surplus_value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sys_ = obs.system
        mw_per_gpu = sys_.marginal_mw_per_busy_gpu(temperature)
        capacity = free * SECONDS_PER_HOUR  # GPU-seconds
        # Renewable headroom in GPU-seconds: that work costs only the surplus value.
        cheap_gpu_s = np.maximum(spare_renewable, 0) / np.maximum(mw_per_gpu, 1e-12) * \
            SECONDS_PER_HOUR
        routing = np.zeros(sys_.admissible.shape)
        used = np.zeros(sys_.n_sites)
        value = sys_.revenue_usd_per_request + sys_.penalty_usd_per_request
        for k in sys_.class_priority:
            h = sys_.gpu_seconds_per_request[k]
            rows = np.argsort(sys_.admissible[:, k, :].sum(axis=1), kind="stable")
            for r in rows:
                want = demand[r, k]
                sites = np.flatnonzero(sys_.admissible[r, k])
                if want <= 0 or sites.size == 0:
                    continue
                price = np.where(used[sites] < cheap_gpu_s[sites], surplus_value[sites],
                                 grid_price[sites])
                cost = h / SECONDS_PER_HOUR * mw_per_gpu[sites] * price
                order = sites[np.argsort(cost, kind="stable")]
                order = order[cost[np.argsort(cost, kind="stable")] < value[k]]
                left = want
                for s in order:
                    take = min(left, (capacity[s] - used[s]) / h)
                    if take <= 0:
                        continue
                    routing[r, k, s] += take / want
                    used[s] += take * h
                    left -= take
                    if left <= 1e-9:
                        break
                if left > 1e-9 and order.size:
                    routing[r, k, order[0]] += left / want
        return routing, used / SECONDS_PER_HOUR

    def _battery(self, obs: Observation, price: np.ndarray, net_surplus: np.ndarray) -> np.ndarray:
        sys_ = obs.system
        lo, hi = sys_.battery_range_mw(obs.soc_mwh)
        low_q = np.quantile(price, 0.25, axis=0)
        high_q = np.quantile(price, 0.75, axis=0)
        now = price[0]
        round_trip = sys_.eta_charge * sys_.eta_discharge
        wear = 2 * sys_.degradation_usd_per_mwh
        charge = (now <= low_q) & (now + wear < high_q * round_trip)
        discharge = (now >= high_q) & (now * round_trip > low_q + wear)
        setpoint = np.where(net_surplus > 0, np.minimum(hi, net_surplus), 0.0)
        setpoint = np.where(charge, hi, setpoint)
        setpoint = np.where(discharge & (net_surplus <= 0), lo, setpoint)
        return np.where(sys_.battery_mwh > 0, setpoint, 0.0)
