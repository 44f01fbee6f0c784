"""``gridshift experiment robustness``: decisions under real forecast error (docs/robustness.md).

Runs ``fifo``, ``greedy``, ``milp``, ``milp-robust`` and the ``oracle`` on the ``bursty`` and
``real-2022`` scenarios for a few seeds; each (scenario, seed) is a comparison folder that
``gridshift report`` reads, and ``summary.csv`` holds every run's KPIs with the regret against
the oracle (``regret_usd``) and against its bound (``regret_bound_usd``), USD.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from analysis.compare import BENEFIT, REGRET, REGRET_BOUND, policy_regret
from analysis.results import check_output_dir
from analysis.tables import kpi_table
from gridshift import api
from gridshift.commands.batch import parse_seeds
from gridshift.overrides import DataOpt, DaysOpt, resolve_scenario

ROBUST_POLICIES: tuple[str, ...] = ("fifo", "greedy", "milp", "milp-robust", "oracle")
ROBUST_SCENARIOS: tuple[str, ...] = ("bursty", "real-2022")
ROBUST_KPIS = ("jobs_expired", "jobs_on_time", "served_share", BENEFIT, "emissions_t", REGRET,
               REGRET_BOUND)


def robustness_experiment(
    scenarios: tuple[str, ...] = ROBUST_SCENARIOS,
    *,
    policies: tuple[str, ...] = ROBUST_POLICIES,
    seeds: list[int] | None = None,
    days: float | None = None,
    forecast: str | None = None,
    out_dir: str | Path = "results/robustness",
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """KPIs of every (scenario, seed, policy) run, with ``regret_usd`` (oracle benefit minus
    the policy's) and ``regret_bound_usd`` (oracle bound minus the policy's benefit) where the
    oracle ran. One comparison folder per (scenario, seed) under ``out_dir``."""
    out = Path(out_dir)
    frames = []
    resolved = [resolve_scenario(name, days=days) for name in scenarios]  # all checked first
    for scenario in resolved:
        for seed in seeds or [scenario.seed]:
            folder = out / f"{scenario.name}-s{seed}"
            table = api.compare(scenario, list(policies), seed=seed, out_dir=folder,
                                forecast=forecast, data_dir=data_dir)
            frames.append(policy_regret(table).reset_index().assign(scenario=scenario.name,
                                                                     seed=seed))
    rows = pd.concat(frames, ignore_index=True)
    out.mkdir(parents=True, exist_ok=True)
    rows.drop(columns=["by_site"], errors="ignore").to_csv(out / "summary.csv", index=False)
    return rows


def mean_table(rows: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """Mean over seeds of the robustness KPIs of one scenario, one row per policy."""
    kpis = [k for k in ROBUST_KPIS if k in rows]
    picked = rows[rows["scenario"] == scenario]
    return picked.groupby("policy", sort=False)[kpis].mean()


def register(app: typer.Typer) -> None:
    """Add ``experiment robustness`` to the ``experiment`` group (see experiments.py)."""
    group = next(g.typer_instance for g in app.registered_groups if g.name == "experiment")

    @group.command("robustness")
    def robustness(
        days: DaysOpt = None,
        seeds: Annotated[str, typer.Option(help="seeds: 0-2, or 0,1,2")] = "0-2",
        forecast: Annotated[str | None, typer.Option(
            help="forecaster for every signal (default: the scenario's)")] = None,
        scenario: Annotated[list[str] | None, typer.Option(
            help="scenario (repeatable; default: bursty and real-2022)")] = None,
        data_dir: DataOpt = None,
        out: Annotated[Path, typer.Option("--out", help="results folder")] = Path(
            "results/robustness"),
    ) -> None:
        """fifo, greedy, milp, milp-robust and the oracle on bursty and real-2022 demand."""
        check_output_dir(out, "--out")
        names = tuple(scenario or ROBUST_SCENARIOS)
        rows = robustness_experiment(names, seeds=parse_seeds(seeds), days=days,
                                     forecast=forecast, out_dir=out, data_dir=data_dir)
        for name in rows["scenario"].unique():
            typer.echo(f"{name} (mean over {rows['seed'].nunique()} seeds)")
            typer.echo(kpi_table(mean_table(rows, name), ROBUST_KPIS))
        typer.echo(f"summary: {(out / 'summary.csv').resolve()}; comparison folders: "
                   f"{out.resolve()}/<scenario>-s<seed> (gridshift report <folder>)")
