# %% [markdown]
# # Replaying the real 2022 grids
#
# The `real-2022` scenario replays public 2022 carbon intensity, prices, weather and training
# jobs (see docs/real-data.md). It needs the data folder: set `GRIDSHIFT_DATA_DIR` (or keep the
# data in `../shared/data`). Without it this example says so and stops.

# %%
import os
from pathlib import Path

from _settings import HOURS, OUT

import gridshift

data_dir = Path(os.environ.get("GRIDSHIFT_DATA_DIR", "../shared/data"))
if not (data_dir / "electricity_price_2022_hourly.csv").is_file():
    print(f"no real data in {data_dir}: set GRIDSHIFT_DATA_DIR to run this example")
    raise SystemExit(0)

# %% [markdown]
# One week in June 2022 (shorter in the tests), greedy against the FIFO baseline.

# %%
scenario = gridshift.load_scenario("real-2022").with_updates({"hours": HOURS})
table = gridshift.compare(scenario, ["fifo", "greedy"], data_dir=data_dir,
                          out_dir=OUT / "real")
print(gridshift.kpi_table(table))

# %% [markdown]
# The realized signals of the replay: carbon intensity and price per site.

# %%
run = gridshift.load_run(next((OUT / "real").glob("real-2022-greedy-*")))
fig = gridshift.figures.plot_signals(run)
fig.savefig(OUT / "real" / "signals.png", dpi=80)
print(run.result.ledger.groupby("site")["carbon_g_per_kwh"].describe().round(0))
