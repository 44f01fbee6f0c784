"""The ``gridshift`` command line: a thin layer over :mod:`gridshift.api`.

Errors print one line (``error: ...``) and exit with status 2; no traceback.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from analysis.tables import kpi_table
from gridshift import api, commands
from gridshift.overrides import DataOpt, DaysOpt, FillOpt, StartOpt, resolve_scenario
from policies.registry import policy_names
from simulator.errors import GridShiftError
from simulator.invariants import InvariantError
from simulator.scenario import builtin_names, load_scenario

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Carbon-aware compute-power scheduling of AI data centers with microgrids.")
scenario_app = typer.Typer(no_args_is_help=True, help="Inspect and validate scenarios.")
app.add_typer(scenario_app, name="scenario")

ScenarioArg = Annotated[str, typer.Argument(help="built-in name or a TOML/YAML file")]
SeedOpt = Annotated[int | None, typer.Option(help="override the scenario's seed")]
OutOpt = Annotated[Path, typer.Option("--out", help="results folder")]
CheckOpt = Annotated[bool, typer.Option("--check/--no-check", help="run the invariant checker")]
ForecastOpt = Annotated[str | None, typer.Option(help="forecaster for every signal")]


@app.command()
def run(scenario: ScenarioArg, policy: Annotated[str, typer.Option(help="policy name")] = "greedy",
        seed: SeedOpt = None, out: OutOpt = Path("results"), check: CheckOpt = True,
        forecast: ForecastOpt = None, data_dir: DataOpt = None, start: StartOpt = None,
        days: DaysOpt = None, fill: FillOpt = None) -> None:
    """Simulate one policy; write the run folder and print its KPIs."""
    done = api.run(resolve_scenario(scenario, start, days, fill), policy, seed=seed, out_dir=out,
                   check=check, forecast=forecast, data_dir=data_dir, progress=True)
    typer.echo(kpi_table(pd.DataFrame([{"policy": policy, **done.kpis}]).set_index("policy")))
    typer.echo(f"run folder: {done.folder}")


@app.command()
def demo(out: OutOpt = Path("results"),
         report: Annotated[bool, typer.Option(
             "--report", help="also write the HTML report (its path is printed)")] = False,
         ) -> None:
    """The main job: one week of the default scenario under the main policies."""
    available = set(policy_names())
    names = [p for p in ("fifo", "greedy", "milp", "oracle") if p in available]
    typer.echo(f"Simulating the 'default' scenario (5 sites, 168 h) under {', '.join(names)} ...")
    folder = out / "demo"
    table = api.compare("default", names, out_dir=folder, progress=True)
    typer.echo(kpi_table(table))
    typer.echo(f"comparison folder: {folder.resolve()}")
    if report:
        typer.echo(f"report: {api.report(folder, max_runs=2, progress=_note)}")
    else:
        typer.echo(f"report: gridshift report {folder}")


def _note(text: str) -> None:
    """Progress of a long step, on stderr."""
    typer.echo(f"  {text}", err=True)


@app.command("policies")
def list_policies() -> None:
    """List the policies available to run and compare."""
    typer.echo("\n".join(policy_names()))


@scenario_app.command("list")
def scenario_list() -> None:
    """List the built-in scenarios."""
    typer.echo("\n".join(builtin_names()))


@scenario_app.command("show")
def scenario_show(scenario: ScenarioArg) -> None:
    """Print a scenario with every default filled in (TOML-like, via JSON)."""
    typer.echo(load_scenario(scenario).model_dump_json(indent=2))


@scenario_app.command("validate")
def scenario_validate(scenario: ScenarioArg,
                      traces: Annotated[bool, typer.Option(help="also build its traces")] = False,
                      data_dir: DataOpt = None, start: StartOpt = None, days: DaysOpt = None,
                      fill: FillOpt = None) -> None:
    """Validate a scenario file (and optionally its traces); exit 0 when valid."""
    sc = resolve_scenario(scenario, start, days, fill)
    if traces:
        ts = api.build_traces(sc, data_dir)
        typer.echo(f"traces: {ts.run_hours} run hours + {ts.history_hours} history, "
                   f"{len(ts.jobs)} jobs")
    typer.echo(f"ok: {sc.name} ({len(sc.sites)} sites, {len(sc.regions)} regions, "
               f"{len(sc.classes)} classes, {sc.hours} h)")


def _register_command_modules() -> None:
    """Each module in gridshift/commands/ adds its commands through ``register(app)``."""
    for info in pkgutil.iter_modules(commands.__path__):
        importlib.import_module(f"{commands.__name__}.{info.name}").register(app)


_register_command_modules()


def main() -> None:
    """Entry point: run the CLI, turning every expected error into one line."""
    try:
        app()
    except (GridShiftError, InvariantError, ValueError, FileNotFoundError) as err:
        typer.echo(f"error: {err}".splitlines()[0], err=True)
        sys.exit(2)
