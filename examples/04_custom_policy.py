# %% [markdown]
# # Writing and comparing your own policy
#
# A policy is any object with a `name`, `reset(system, hours_total)` and
# `decide(observation) -> Decision`. This one is FIFO that waits for clean power: it starts a
# job only when the forecast carbon intensity at its site is below the site's recent median,
# or when waiting longer would miss the deadline.

# %%
import numpy as np
from _settings import HOURS, OUT

import gridshift
from policies.fifo import nearest_site_routing
from simulator.contracts import Decision, Observation


class CleanFifo:
    """FIFO starts, held back while the site's carbon intensity is above its 48 h median."""

    name = "clean-fifo"

    def reset(self, system, hours_total: int) -> None:
        self._routing = nearest_site_routing(system)

    def decide(self, obs: Observation) -> Decision:
        now = obs.forecast("carbon", 1)[0]  # gCO2/kWh per site, this hour
        past = obs.history("carbon")[-48:]
        clean = now <= np.median(past, axis=0)
        free = obs.gpus_free.copy()
        starts = []
        for job in sorted(obs.pending, key=lambda j: (j.release_hour, j.job_id)):
            urgent = obs.t >= job.latest_start
            for s in range(len(free)):
                if free[s] >= job.gpus and (clean[s] or urgent):
                    starts.append((job.job_id, s))
                    free[s] -= job.gpus
                    break
        return Decision(starts=starts, routing=self._routing)


# %% [markdown]
# Simulate it next to the built-in policies on the same traces.

# %%
scenario = gridshift.load_scenario("paper-3site").with_updates({"hours": HOURS})
traces = gridshift.build_traces(scenario)
rows = {name: gridshift.simulate(scenario, name, traces=traces).kpis for name in ("fifo",)}
rows["clean-fifo"] = gridshift.simulate(scenario, CleanFifo(), traces=traces).kpis
import pandas as pd  # noqa: E402  (a notebook cell imports where it needs)

table = pd.DataFrame(rows).T
print(gridshift.kpi_table(table))
saved = table.loc["clean-fifo", "emissions_t"] - table.loc["fifo", "emissions_t"]
print(f"clean-fifo changes emissions by {saved:+,.1f} tCO2")
(OUT / "custom").mkdir(parents=True, exist_ok=True)
table.to_csv(OUT / "custom" / "kpis.csv")
