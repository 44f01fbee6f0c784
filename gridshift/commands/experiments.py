"""``gridshift experiment paper``: the arXiv 2605.03751 comparison on ``paper-3site``.

Runs the joint MILP, its restricted forms (``compute-only``, ``energy-only``), the three
ablations (``no-battery``, ``no-routing``, ``no-carbon``) and the perfect-foresight ``oracle``
(with ``fifo`` and ``greedy`` as reference points) on one scenario and one set of traces, and
prints one table: benefit and its parts, emissions, inference served, jobs completed, regret
against the oracle and solve time.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from analysis.collection import write_comparison
from analysis.compare import policy_regret
from analysis.results import check_output_dir
from analysis.tables import kpi_table
from gridshift import api
from simulator.scenario import Scenario, load_scenario

SOLVER_KPIS = ("regret_usd", "solve_s_median", "solve_s_p95", "decide_s_total", "mip_gap_max",
               "fallbacks")
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
    rows, folders = [], {}
    for name in policies:
        if out_dir is None:
            done = api.simulate(scenario, name, traces=traces, forecast=forecast)
        else:
            done = api.run(scenario, name, traces=traces, forecast=forecast, out_dir=out_dir)
            folders[name] = done.folder
        steps = done.result.steps
        rows.append({"policy": name, **done.kpis, "decide_s_total": float(steps["decide_s"].sum())})
    table = policy_regret(pd.DataFrame(rows).set_index("policy"))
    if out_dir is not None:
        write_comparison(out_dir, folders, scenario=scenario.name, seed=scenario.seed,
                         command="gridshift experiment paper",
                         generation_scale=generation_scale)
    return table


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
        out: Annotated[Path, typer.Option(
            "--out", help="comparison folder: one run folder per policy")] = Path(
                "results/paper"),
    ) -> None:
        """MILP vs compute-only vs energy-only, the ablations and the oracle: one table."""
        if not math.isfinite(generation_scale) or generation_scale < 0:
            raise typer.BadParameter(f"must be a finite number >= 0, got {generation_scale}",
                                     param_hint="--generation-scale")
        if out is not None:
            check_output_dir(out, "--out")
        typer.echo(f"Scenario {scenario} (generation x{generation_scale:g}), policies: "
                   f"{', '.join(PAPER_POLICIES)} ...")
        table = paper_experiment(scenario, seed=seed, forecast=forecast,
                                 generation_scale=generation_scale, out_dir=out)
        typer.echo(kpi_table(table))
        typer.echo(kpi_table(table, SOLVER_KPIS))
        typer.echo(f"comparison folder: {out.resolve()} (report: gridshift report {out})")
