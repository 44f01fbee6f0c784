"""Forecast commands: ``forecast-eval`` measures the forecasters and the online correction."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analysis.results import check_output_dir
from policies.registry import check_policy
from simulator.scenario import load_scenario
from simulator.traceset import SIGNALS
from traces.correction import CorrectionSettings
from traces.forecast import ForecastSettings

OutOpt = Annotated[Path, typer.Option("--out", help="folder for the tables and figures")]
DataOpt = Annotated[Path | None, typer.Option(
    "--data-dir", envvar="GRIDSHIFT_DATA_DIR", help="folder with the real 2022 data")]


def register(app: typer.Typer) -> None:
    """Add ``forecast-eval`` to the CLI."""

    @app.command("forecast-eval")
    def forecast_eval(
        out: OutOpt = Path("results/forecast-eval"),
        data_dir: DataOpt = None,
        real: Annotated[bool, typer.Option(
            "--real/--no-real", help="also measure on the real 2022 traces")] = True,
        synthetic_hours: Annotated[int, typer.Option(
            help="run hours of the synthetic default scenario for the error measurement")]
        = 1344,
        policy: Annotated[str, typer.Option(
            help="policy of the decision-value experiment (e.g. greedy, milp)")] = "greedy",
        decision: Annotated[bool, typer.Option(
            "--decision/--no-decision", help="run the decision-value experiment")] = True,
        scenario: Annotated[str, typer.Option(
            help="comma-separated scenarios of the decision-value experiment")] = "default",
        seeds: Annotated[str, typer.Option(
            help="comma-separated seeds of the decision-value experiment")] = "1,2,3",
        raw: Annotated[str, typer.Option(
            help="uncorrected forecaster of the decision-value experiment")]
        = "seasonal-naive-24",
        relaxation: Annotated[float, typer.Option(
            help="relaxation lambda of the correctors (> 2: super-relaxation)")] = 1.0,
        huber_delta: Annotated[float, typer.Option(
            help="the correctors' residual clip in units of sigma (inf: squared loss)")]
        = CorrectionSettings.huber_delta,
        signals: Annotated[str, typer.Option(
            help="comma-separated signals to measure (default: all; e.g. carbon,buy_price "
                 "for a quick run)")] = "",
    ) -> None:
        """Forecast error, regret and decision value of the online Bregman correction.

        ``--relaxation`` and ``--huber-delta`` change the correctors of the error and regret
        measurement only; the decision-value runs use the scenario's forecast table with the
        same pool of bases (the defaults plus ridge-ar and ridge-arx).
        """
        from analysis.forecast_run import run_forecast_eval

        try:
            seed_list = [int(s) for s in seeds.split(",") if s.strip()]
        except ValueError:
            raise typer.BadParameter(f"expected comma-separated integers, got '{seeds}'",
                                     param_hint="--seeds") from None
        chosen = [s.strip() for s in signals.split(",") if s.strip()]
        unknown = sorted(set(chosen) - set(SIGNALS))
        if unknown:
            raise typer.BadParameter(f"unknown signals {unknown} (known: {', '.join(SIGNALS)})",
                                     param_hint="--signals")
        if synthetic_hours < 48:
            raise typer.BadParameter(f"must be >= 48, got {synthetic_hours}",
                                     param_hint="--synthetic-hours")
        try:
            settings = ForecastSettings(correction=CorrectionSettings(
                relaxation=relaxation, huber_delta=huber_delta))
        except ValueError as err:
            raise typer.BadParameter(str(err), param_hint="--relaxation/--huber-delta") from None
        scenarios = [s.strip() for s in scenario.split(",") if s.strip()]
        if decision:
            check_policy(policy, {})
            for name in scenarios:
                load_scenario(name)
        check_output_dir(out, "--out")
        run_forecast_eval(out, data_dir=data_dir, real=real, synthetic_hours=synthetic_hours,
                          settings=settings, policy=policy if decision else None,
                          seeds=seed_list,
                          scenarios=scenarios,
                          raw=raw, echo=typer.echo, signals=chosen or None)
        from analysis.collection import write_manifest

        write_manifest(out, "forecast-eval", "forecast evaluation", scenario=scenario)
        typer.echo(f"report: gridshift report {out}")
