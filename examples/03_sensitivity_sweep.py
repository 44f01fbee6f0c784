# %% [markdown]
# # A sensitivity sweep: how does the carbon price move emissions and benefit?
#
# A sweep runs every policy on every seed at every point of its axes, in parallel when asked,
# and resumes from its folder. Here: the carbon price, three levels, two policies.

# %%
from _settings import HOURS, OUT, SEEDS

import gridshift
from analysis.sweep_spec import parse_spec

spec = parse_spec({
    "name": "carbon-price",
    "scenario": "paper-3site",
    "policies": ["fifo", "greedy"],
    "seeds": SEEDS,
    "set": {"hours": HOURS},
    "axes": {"economics.carbon_price_usd_per_t": [0, 100, 400]},
})
done = gridshift.run_sweep(spec, OUT / "sweep", progress=False)
print(f"{done.total} runs, {done.failed} failed")

# %% [markdown]
# Mean and Student-t interval across seeds, and the change against the first policy (paired
# by seed: the same traces).

# %%
summary = gridshift.summarize(done.table, policies=spec.policies)
print(gridshift.format_comparison(summary, kpis=["total_benefit_usd", "emissions_t"]))

# %% [markdown]
# Figures a paper can use: the carbon–cost trade-off, and paired differences.

# %%
F = gridshift.figures
F.plot_pareto(done.table).savefig(OUT / "sweep" / "pareto.png", dpi=80)
F.plot_paired_differences(done.table, "fifo").savefig(OUT / "sweep" / "paired.png", dpi=80)
F.plot_sensitivity(done.table, "economics.carbon_price_usd_per_t", "emissions_t").savefig(
    OUT / "sweep" / "emissions.png", dpi=80)
print("report:", gridshift.report(OUT / "sweep", max_runs=0, dpi=60))
