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

from simulator.contracts import Decision, Observation, PendingJob
from simulator.physics import effective_price, genset_cost_usd_per_mwh, start_window
from simulator.system import SystemModel

SECONDS_PER_HOUR = 3600.0
_min = np.minimum.reduce  # ndarray.min without its Python wrapper (runs every hour)


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
        self._rows: dict[int, tuple[int, ...]] = {}

    def reset(self, system: SystemModel, hours_total: int) -> None:
        self._carbon_price = max(self.shadow_carbon_usd_per_t, system.carbon_price_usd_per_t)
        self._rows = {}
        self._routes = [
            (int(k), int(r), system.admissible[r, k].tolist())
            for k in system.class_priority
            for r in np.argsort(system.admissible[:, k, :].sum(axis=1), kind="stable")
        ]
        self._gpu_s = system.gpu_seconds_per_request.tolist()
        self._value = (system.revenue_usd_per_request + system.penalty_usd_per_request).tolist()
        self._exports = system.export_cap_mw > 0
        self._has_battery = system.battery_mwh > 0
        self._round_trip = system.eta_charge * system.eta_discharge
        self._wear = 2 * system.degradation_usd_per_mwh  # USD per MWh through the battery
        self._genset_price = genset_cost_usd_per_mwh(
            system.genset_fuel_usd_per_mwh, system.genset_kg_per_mwh, self._carbon_price)

    def decide(self, obs: Observation) -> Decision:
        sys_ = obs.system
        horizon = max(1, min(self.window_h, obs.hours_left))
        buy = obs.forecast("buy_price", horizon)
        sell = obs.forecast("sell_price", horizon)
        carbon = obs.forecast("carbon", horizon)
        renewable = sys_.renewable_mw(obs.forecast("pv_cf", horizon),
                                      obs.forecast("wind_cf", horizon))
        temperature = obs.forecast("temperature", 1)[0]
        demand = obs.forecast("demand", 1)[0] * (1 + self.demand_margin)
        grid_price = effective_price(buy, carbon, self._carbon_price)
        surplus_value = np.where(self._exports, np.maximum(sell, 0.0), 0.0)
        pue = sys_.pue(temperature)
        mw_per_gpu = sys_.marginal_mw_at_pue(pue)

        free = obs.gpus_free  # a new array (float: the system's GPUs are)
        starts = self._job_starts(obs, grid_price, free, mw_per_gpu)
        base_load = sys_.it_power_mw(sys_.gpus - free) * pue
        spare = renewable[0] - base_load
        now_price = np.where(spare > 0, surplus_value[0], grid_price[0])
        routing, inference_gpus = self._routing(sys_, demand, free, mw_per_gpu, now_price)
        load = base_load + inference_gpus * mw_per_gpu
        price = np.where(renewable > load, surplus_value, grid_price)
        battery = self._battery(obs, price, renewable[0] - load)
        genset = np.where(grid_price[0] > self._genset_price,
                          np.clip(load - renewable[0] + np.minimum(battery, 0), 0, sys_.genset_mw),
                          0.0)
        return Decision(starts=starts, routing=routing, battery_mw=battery, genset_mw=genset)

    def _job_starts(self, obs: Observation, grid_price: np.ndarray, free: np.ndarray,
                    mw_per_gpu: np.ndarray) -> list[tuple[int, int]]:
        """EDF over pending jobs; ``free`` (GPUs per site) is reduced in place by each start.

        A job inside its start window starts at its cheapest site with room when that is within
        ``start_tolerance`` of the cheapest start it can still reach (any site big enough), or
        when its slack is out. All jobs are judged at once against the GPUs free, then started
        in EDF order (see the note below on why one judgement suffices). Costs are USD per busy
        GPU for the whole run of the job (capped at the forecast window)."""
        if not obs.pending:
            return []
        t, (horizon, n_sites) = obs.t, grid_price.shape
        cached = self._rows.get
        rows = sorted(cached(job.job_id) or self._job_row(job, obs) for job in obs.pending)
        rows = [r for r in rows if r[4] <= t <= r[5]]  # inside its start window
        if not rows:
            return []
        _, ids, gpus, durations, _, _, on_time = np.array(rows).T
        d = np.minimum(durations, horizon)
        slack = on_time - t
        reach = np.minimum(np.maximum(slack, 0), horizon - d)  # last start offset priced
        cum = np.empty((horizon + 1, n_sites))
        cum[0] = 0.0
        np.cumsum(grid_price, axis=0, out=cum[1:])
        offset = np.arange(reach.max() + 1)
        # [job, start offset, site]: cost of the job's run (offsets past its reach: unused)
        window = (cum[np.minimum(offset + d[:, None], horizon)] - cum[offset]) * mw_per_gpu
        now = window[:, 0]
        # [job, site]: the cheapest start up to the job's reach, at sites big enough for it
        cheapest = _min(np.where((offset <= reach[:, None])[:, :, None], window, np.inf), axis=1)
        big_enough = obs.system.gpus >= gpus[:, None]
        best_later = _min(np.where(big_enough, cheapest, np.inf), axis=1)
        margin = self.start_tolerance * np.abs(best_later) + 1e-9
        waits = slack > 0
        with np.errstate(invalid="ignore"):  # inf - inf for jobs that fit nowhere
            fits = free >= gpus[:, None]
            now_cost = np.where(fits, now, np.inf)
            site = now_cost.argmin(axis=1)
            ready = fits.any(axis=1) & ~(waits & (_min(now_cost, axis=1) - best_later > margin))
        # A start only takes GPUs away: a job not ready is not ready after it, and a ready job
        # whose cheapest site still has room stays ready there; any other is judged again.
        starts: list[tuple[int, int]] = []
        for job in ready.nonzero()[0]:
            s, need = int(site[job]), gpus[job]
            if free[s] < need:
                fits_now = free >= need
                if not np.count_nonzero(fits_now):
                    continue
                cost = np.where(fits_now, now[job], np.inf)
                s = int(cost.argmin())
                with np.errstate(invalid="ignore"):
                    if waits[job] and cost[s] - best_later[job] > margin[job]:
                        continue
            starts.append((int(ids[job]), s))
            free[s] -= need
        return starts

    def _job_row(self, job: PendingJob, obs: Observation) -> tuple[int, ...]:
        """(latest start, id, GPUs, duration h, first and last start hour, last on-time start
        within the window) of a job; cached for the run."""
        row = self._rows.get(job.job_id)
        if row is None:
            first, last = start_window(job.release_hour, job.deadline_hour, job.duration_h,
                                       obs.hours_total, obs.system.late_value_fraction)
            row = (job.latest_start, job.job_id, job.gpus, job.duration_h, first, last,
                   min(job.latest_start, last))
            self._rows[job.job_id] = row
        return row

    def _routing(self, sys_: SystemModel, demand: np.ndarray, free: np.ndarray,
                 mw_per_gpu: np.ndarray, price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fill the cheapest admissible sites, highest-value classes first.

        Returns routing fractions [R, K, S] and the GPUs (per site) the routed work will use.
        Plain Python floats: the arrays are tiny and this runs every simulated hour.
        """
        spare = (free * SECONDS_PER_HOUR).tolist()  # GPU-seconds left per site
        energy_cost = (mw_per_gpu * price / SECONDS_PER_HOUR).tolist()  # USD per GPU-second
        wanted = demand.tolist()
        gpu_s, value = self._gpu_s, self._value
        ranked = sorted((c, s) for s, c in enumerate(energy_cost) if c == c)  # NaN: never
        # Per class, the sites whose energy the class's value covers, cheapest first.
        paying = [[s for c, s in ranked if c * h < v] for h, v in zip(gpu_s, value, strict=True)]
        routing = np.zeros(sys_.admissible.shape)
        for k, r, admissible in self._routes:
            want, h = wanted[r][k], gpu_s[k]
            cheapest, left = -1, want
            for s in paying[k]:
                if not admissible[s]:
                    continue
                if cheapest < 0:
                    cheapest = s
                if want <= 0:  # none forecast: all that arrives to the cheapest site with room
                    if spare[s] > 0:
                        break
                    continue
                take = min(left, spare[s] / h)
                if take > 0:
                    routing[r, k, s] = take / want
                    spare[s] -= take * h
                    left -= take
                if left <= 0:
                    break
            else:
                s = cheapest
            if cheapest < 0:
                continue
            if want <= 0:
                routing[r, k, s] = 1.0
            elif left > 0:  # overflow to the cheapest site; the simulator may drop it there
                routing[r, k, cheapest] += left / want
        return routing, free - np.asarray(spare) / SECONDS_PER_HOUR

    def _battery(self, obs: Observation, price: np.ndarray, net_surplus: np.ndarray) -> np.ndarray:
        sys_ = obs.system
        lo, hi = sys_.battery_range_mw(obs.soc_mwh)
        n = len(price)
        ranked = np.sort(price.T.copy(), axis=1)  # per site, along contiguous rows
        low_q = ranked[:, (n - 1) // 4]
        high_q = ranked[:, (3 * (n - 1) + 3) // 4]
        now = price[0]
        round_trip, wear = self._round_trip, self._wear
        charge = (now <= low_q) & (now + wear < high_q * round_trip)
        discharge = (now >= high_q) & (now * round_trip > low_q + wear)
        setpoint = np.where(net_surplus > 0, np.minimum(hi, net_surplus), 0.0)
        setpoint = np.where(charge, hi, setpoint)
        setpoint = np.where(discharge & (net_surplus <= 0), lo, setpoint)
        return np.where(self._has_battery, setpoint, 0.0)
