"""``gridshift experiment paper``: the arXiv 2605.03751 comparison on ``paper-3site``.

Runs the joint MILP, its restricted forms (``compute-only``, ``energy-only``), the three
ablations (``no-battery``, ``no-routing``, ``no-carbon``) and the perfect-foresight ``oracle``
(with ``fifo`` and ``greedy`` as reference points) on one scenario and one set of traces, and
prints one table: benefit and its parts, emissions, inference served, jobs completed, regret
against the oracle and solve time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from analysis.tables import kpi_table
from gridshift import api
from simulator.scenario import Scenario, load_scenario

PAPER_POLICIES: tuple[str, ...] = (
    "fifo", "greedy", "milp", "compute-only", "energy-only", "no-battery", "no-routing",
    "no-carbon", "oracle",
)


def scaled_generation(scenario: Scenario, scale: float) -> Scenario:
    """The scenario with every site's PV and wind capacity multiplied by ``scale``."""
    if scale == 1.0:
        return scenario
    updates = {}
    for i, site in enumerate(scenario.sites):
        updates[f"sites.{i}.pv_mw"] = site.pv_mw * scale
        updates[f"sites.{i}.wind_mw"] = site.wind_mw * scale
    return scenario.with_updates(updates)


def paper_experiment(
    scenario: Scenario | str = "paper-3site",
    *,
    policies: tuple[str, ...] = PAPER_POLICIES,
    seed: int | None = None,
    forecast: str | None = None,
    generation_scale: float = 1.0,
    out_dir: str | Path | None = None,
) -> pd.DataFrame:
    """KPIs per policy (rows) on one scenario and one trace set, plus ``decide_s_total`` (s)
    and, when the oracle ran, ``regret_usd`` (oracle benefit minus the policy's) and
    ``regret_bound_usd`` (the oracle's bound minus the policy's benefit; never negative)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if seed is not None:
        scenario = scenario.with_updates({"seed": seed})
    scenario = scaled_generation(scenario, generation_scale)
    traces = api.build_traces(scenario)
    rows = []
    for name in policies:
        if out_dir is None:
            done = api.simulate(scenario, name, traces=traces, forecast=forecast)
        else:
            done = api.run(scenario, name, traces=traces, forecast=forecast, out_dir=out_dir)
        steps = done.result.steps
        rows.append({"policy": name, **done.kpis, "decide_s_total": float(steps["decide_s"].sum())})
    table = pd.DataFrame(rows).set_index("policy")
    if "oracle" in table.index:
        table["regret_usd"] = table.loc["oracle", "total_benefit_usd"] - \
            table["total_benefit_usd"]
        if "oracle_bound_usd" in table:
            table["regret_bound_usd"] = table.loc["oracle", "oracle_bound_usd"] - \
                table["total_benefit_usd"]
    return table


def solver_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Regret and solver statistics per policy, formatted for a terminal (policies as columns)."""
    rows = {
        "regret vs oracle USD": ("regret_usd", "{:,.0f}"),
        "regret vs oracle bound USD": ("regret_bound_usd", "{:,.0f}"),
        "solve s (median)": ("solve_s_median", "{:.3f}"),
        "solve s (p95)": ("solve_s_p95", "{:.3f}"),
        "decide s (total)": ("decide_s_total", "{:.1f}"),
        "MIP gap (max)": ("mip_gap_max", "{:.4f}"),
        "fallbacks": ("fallbacks", "{:.0f}"),
    }
    out = {}
    for label, (column, fmt) in rows.items():
        if column in table:
            out[label] = table[column].map(lambda v, f=fmt: "-" if pd.isna(v) else f.format(v))
    return pd.DataFrame(out).T


def register(app: typer.Typer) -> None:
    """Add the ``experiment`` command group."""
    experiment = typer.Typer(no_args_is_help=True, help="Reproduce published findings.")
    app.add_typer(experiment, name="experiment")

    @experiment.command("paper")
    def paper(
        scenario: Annotated[str, typer.Option(help="built-in name or a TOML/YAML file")] =
        "paper-3site",
        seed: Annotated[int | None, typer.Option(help="override the scenario's seed")] = None,
        forecast: Annotated[str | None, typer.Option(
            help="forecaster for every signal (default: the scenario's)")] = None,
        generation_scale: Annotated[float, typer.Option(
            help="multiply every site's PV and wind capacity")] = 1.0,
        out: Annotated[Path | None, typer.Option(
            "--out", help="also write one run folder per policy here")] = None,
    ) -> None:
        """MILP vs compute-only vs energy-only, the ablations and the oracle: one table."""
        typer.echo(f"Scenario {scenario} (generation x{generation_scale:g}), policies: "
                   f"{', '.join(PAPER_POLICIES)} ...")
        table = paper_experiment(scenario, seed=seed, forecast=forecast,
                                 generation_scale=generation_scale, out_dir=out)
        typer.echo(kpi_table(table))
        typer.echo(solver_rows(table).to_string())
