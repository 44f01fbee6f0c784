"""The ``gridshift`` command line: a thin layer over :mod:`gridshift.api`.

Every failure, argument parsing included, prints one line ``error: ...`` on stderr naming the
flag, file, field, column or row, and exits with status 2 (usage or input: nothing ran) or 1
(a run started and failed, or an internal error). ``--debug`` (anywhere on the command line,
or ``GRIDSHIFT_DEBUG=1``) also prints the traceback.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
import typer.core

from analysis.tables import kpi_table
from gridshift import api, commands
from gridshift.overrides import (
    DataOpt,
    DaysOpt,
    FillOpt,
    LongRunOpt,
    PolicyOptionOpt,
    StartOpt,
    policy_options,
    resolve_scenario,
)
from policies.registry import policy_names
from simulator.errors import GridShiftError
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
        days: DaysOpt = None, fill: FillOpt = None, allow_long_run: LongRunOpt = False,
        policy_option: PolicyOptionOpt = None) -> None:
    """Simulate one policy; write the run folder and print its KPIs."""
    options = policy_options(policy_option, [policy]).get(policy)
    done = api.run(resolve_scenario(scenario, start, days, fill, allow_long_run), policy,
                   seed=seed, out_dir=out, check=check, forecast=forecast, data_dir=data_dir,
                   policy_options=options, progress=True)
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
                      fill: FillOpt = None, allow_long_run: LongRunOpt = False) -> None:
    """Validate a scenario file (and optionally its traces); exit 0 when valid."""
    sc = resolve_scenario(scenario, start, days, fill, allow_long_run)
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


# Typer raises the exceptions of the click it runs on (its vendored copy in recent versions).
_CLICK = getattr(typer.core, "_click", None) or importlib.import_module("click")
_NO_ARGS = _CLICK.exceptions.NoArgsIsHelpError
_CLICK_ERROR = _CLICK.exceptions.ClickException


@app.callback()
def _options(debug: Annotated[bool, typer.Option(
        "--debug", help="on an error, also print the traceback (may go anywhere)")] = False
             ) -> None:
    """Carbon-aware compute-power scheduling of AI data centers with microgrids."""


def _usage_line(err: Exception) -> str:
    ctx = getattr(err, "ctx", None)
    where = f"{ctx.command_path}: " if ctx is not None else ""
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    return f"{where}{err.format_message()}{hint}"


def _one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else "(no message)"


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the CLI; every failure becomes one ``error:`` line and exit 2 or 1."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("GRIDSHIFT_DEBUG", "") not in ("", "0")
    args = [a for a in args if a != "--debug"]
    try:
        code = app(args=args, prog_name="gridshift", standalone_mode=False)
    except _NO_ARGS as err:
        typer.echo(err.ctx.get_help())
        code = 2
    except _CLICK_ERROR as err:
        code = _fail(_usage_line(err), err.exit_code or 2, debug)
    except typer.Abort:
        code = _fail("interrupted", 130, debug)
    except GridShiftError as err:
        code = _fail(_one_line(err), err.exit_code, debug)
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        code = _fail(f"{where}{err.strerror or _one_line(err)}", 1, debug)
    except Exception as err:  # a bug: still one line (the traceback with --debug)
        code = _fail(f"internal error: {type(err).__name__}: {_one_line(err)} (run again with "
                     "--debug for the traceback)", 1, debug)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    typer.echo(f"error: {message}", err=True)
    return code
