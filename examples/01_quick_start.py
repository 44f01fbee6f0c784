# %% [markdown]
# # Quick start: simulate, compare, look
#
# Run two policies on the built-in `paper-3site` scenario, read their KPIs, compare them on the
# same traces and draw one figure. Run as a script (`python examples/01_quick_start.py`) or
# open as a notebook with jupytext.

# %%
from _settings import HOURS, OUT

import gridshift

scenario = gridshift.load_scenario("paper-3site").with_updates({"hours": HOURS})
run = gridshift.simulate(scenario, "greedy")
print(run)  # a one-line summary: scenario, policy, seed, benefit, emissions

# %% [markdown]
# Every KPI is in `run.kpis` (USD, tCO2, MWh, shares 0..1); the books are pandas tables.

# %%
print(f"benefit {run.kpis['total_benefit_usd']:,.0f} USD, "
      f"emissions {run.kpis['emissions_t']:,.1f} tCO2")
print(run.result.ledger.groupby("site")[["load_mw", "import_mw"]].sum())

# %% [markdown]
# Compare policies on the same traces; with `out_dir` it writes a comparison folder that
# `gridshift report` (or `gridshift.report`) turns into an HTML page.

# %%
table = gridshift.compare(scenario, ["fifo", "greedy"], out_dir=OUT / "quick")
print(gridshift.kpi_table(table))

fig = gridshift.figures.plot_dispatch(run)
fig.savefig(OUT / "quick" / "dispatch.png", dpi=80)
print("report:", gridshift.report(OUT / "quick", max_runs=1, dpi=60))
