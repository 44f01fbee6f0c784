# %% [markdown]
# # Reading a run folder back into pandas
#
# `gridshift run` and `gridshift.run` write one folder per run: parquet books (ledger,
# inference, routing, jobs, clips, steps), `kpis.json` and `meta.json`. `gridshift.load_run`
# reads it back.

# %%
from _settings import HOURS, OUT

import gridshift

scenario = gridshift.load_scenario("paper-3site").with_updates({"hours": HOURS})
written = gridshift.run(scenario, "greedy", out_dir=OUT / "runs")
run = gridshift.load_run(written.folder)
print(run)

# %% [markdown]
# The ledger has one row per hour and site (UTC hour-start timestamps, MW, USD, tCO2).

# %%
ledger = run.result.ledger
daily = ledger.set_index("timestamp").groupby("site").resample("D")[
    ["emissions_t", "energy_cost_usd"]].sum()
print(daily.round(2))

# %% [markdown]
# Jobs and their outcome, and the KPIs exactly as computed during the run.

# %%
print(run.result.jobs["status"].value_counts())
assert run.kpis["total_benefit_usd"] == written.kpis["total_benefit_usd"]
print(sorted(run.meta))
