"""The ``gridshift forecast-eval`` run: measure, write tables and figures, print summaries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.forecast_decision import decision_value, gap_summary
from analysis.forecast_eval import dm_table, evaluate_traces
from analysis.forecast_figures import (
    plot_decision_value,
    plot_errors,
    plot_regret,
    plot_skill,
    plot_weights,
    save,
)
from analysis.forecast_tables import (
    BASELINE,
    BEST_PER_LEAD,
    BEST_SINGLE,
    DAY_AHEAD,
    REAL_SIGNALS,
    REGRET_SIGNALS,
    SYNTHETIC_SIGNALS,
    error_table,
    far_from_zero,
    markdown,
    real_eval_traces,
    summary_table,
    synthetic_eval_scenario,
    with_best_per_lead,
)
from analysis.runs import build_traces
from simulator.traceset import TraceSet
from traces.correction import DEFAULT_BASE
from traces.forecast import CORRECTIONS, ForecastSettings

POOL: tuple[str, ...] = (*DEFAULT_BASE, BASELINE, "ridge-arx")
"""The correctors' pool in the evaluation: the default bases plus the ridge-ar regression and
its variant with published prices and hour of day (``ridge-arx``)."""


def run_forecast_eval(out_dir: str | Path, *, data_dir: str | Path | None = None,
                      real: bool = True, synthetic_hours: int = 1344,
                      settings: ForecastSettings | None = None, policy: str | None = "greedy",
                      seeds: Sequence[int] = (1, 2, 3), scenarios: Sequence[str] = ("default",),
                      raw: str = "seasonal-naive-24", echo: Any = print,
                      signals: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """Measure forecast error (with the baselines), quantiles, Diebold-Mariano tests, regret
    (carbon and price) and, unless ``policy`` is None, decision value on each of
    ``scenarios``; write CSV tables and PNG figures into ``out_dir``; return the tables.

    ``settings`` (default: the defaults with :data:`POOL` as the correctors' bases) drive the
    error measurement; the decision-value runs use each scenario's own forecast table with the
    same pool of bases.
    ``signals`` limits the error measurement to those signals (default: all of each dataset).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = settings or ForecastSettings()
    settings = replace(settings, correction=replace(settings.correction, base=POOL))
    synth = synthetic_eval_scenario(synthetic_hours)
    datasets: list[tuple[str, TraceSet, Sequence[str], list[str] | None]] = [
        ("synthetic", build_traces(synth), SYNTHETIC_SIGNALS,
         [s.zone for s in synth.sites])]
    if real:
        datasets.append(("real-2022", real_eval_traces(data_dir), REAL_SIGNALS, None))
    sums, regrets, quants, losses, mape_ok = [], [], [], [], {}
    for name, traces, measured, zones in datasets:
        measured = [s for s in measured if signals is None or s in signals]
        if not measured:
            continue
        echo(f"forecast error, quantiles and regret: {name} ({traces.run_hours} h, "
             f"{len(traces.sites)} sites, signals {', '.join(measured)}) ...")
        ev = evaluate_traces(traces, measured, settings, name, seed=synth.seed,
                             regret=REGRET_SIGNALS, zones=zones)
        echo("  corrector wall time: " + ", ".join(f"{k} {v:.1f} s" for k, v in
                                                     ev.wall_s.items()))
        sums.append(ev.sums)
        regrets.append(ev.regret)
        quants.append(ev.quantiles)
        losses.append(ev.row_loss)
        mape_ok.update({(name, s): far_from_zero(traces, s) for s in measured})
        for kind in CORRECTIONS:
            if "carbon" in measured:
                save(plot_weights(ev, traces, "carbon", kind), out / f"weights_{name}_{kind}.png")
    all_sums = with_best_per_lead(pd.concat(sums, ignore_index=True))
    errors = error_table(all_sums, mape_ok)
    summary = summary_table(errors)
    buckets = errors[errors["method"].isin([BASELINE, BEST_PER_LEAD, *CORRECTIONS])].pivot_table(
        index=["dataset", "signal", "bucket"], columns="method", values="mae", sort=False
    ).reset_index()
    quantiles = pd.concat(quants, ignore_index=True)
    q_summary = quantiles.groupby(["dataset", "signal"], sort=False).apply(
        lambda g: pd.Series({c: (g[c] * g["n"]).sum() / g["n"].sum() for c in
                             [f"{m}_{q}" for m in ("coverage", "pinball", "crps")
                              for q in ("conformal", "bregman", "empirical")]}),
        include_groups=False).reset_index()
    dm = dm_table(pd.concat(losses, ignore_index=True),
                  [(k, BASELINE) for k in CORRECTIONS] + [(BASELINE, "seasonal-naive-24")])
    regret = pd.concat(regrets, ignore_index=True)
    last = regret.groupby(["dataset", "signal", "correction"], sort=False).tail(1)
    final = last.assign(regret_per_forecast=last["regret"] / last["forecasts"],
                        regret_share=last["regret"] / last["best_fixed_loss"])[
        ["dataset", "signal", "correction", "forecasts", "learner_loss", "best_fixed_loss",
         "regret", "regret_per_forecast", "regret_share"]]
    tables = {"forecast_error": errors, "forecast_summary": summary,
              "forecast_buckets": buckets, "quantiles": quantiles,
              "quantile_summary": q_summary, "diebold_mariano": dm, "regret": regret,
              "regret_final": final}
    save(plot_errors(errors), out / "forecast_error.png")
    save(plot_regret(regret), out / "regret.png")
    shown = (BASELINE, *CORRECTIONS, BEST_PER_LEAD, "persistence")
    for name in all_sums["dataset"].unique():
        for ref in ("seasonal-naive-24", "persistence"):
            save(plot_skill(all_sums, name, ref, shown), out / f"skill_{name}_vs_{ref}.png")
    echo(f"\nDay-ahead ({DAY_AHEAD}) MAE: {BEST_SINGLE}, {BEST_PER_LEAD}, the {BASELINE} "
         f"baseline and the correctors (gain vs {BASELINE}):\n" + markdown(summary))
    echo("\nMAE per lead bucket:\n" + markdown(buckets))
    echo("\nQuantiles (10-90 % coverage, mean pinball, CRPS ~ 2 x mean pinball over 9 levels):"
         "\n" + markdown(q_summary))
    echo("\nDiebold-Mariano (day-ahead absolute error, Newey-West 24 lags):\n" + markdown(dm))
    echo("\nRegret against the best fixed weights in hindsight, at the end:\n" + markdown(final))
    if policy is not None:
        for scenario in scenarios:
            echo(f"\ndecision value: policy {policy}, scenario {scenario}, seeds "
                 f"{', '.join(map(str, seeds))}, raw forecasts {raw} ...")
            value = decision_value(scenario, policy, seeds, raw=raw, data_dir=data_dir,
                                   pool=settings.correction.base)
            gaps = gap_summary(value)
            tag = f"{policy}_{scenario}"
            tables |= {f"decision_value_{tag}": value, f"decision_value_{tag}_summary": gaps}
            save(plot_decision_value(value), out / f"decision_value_{tag}.png")
            echo("\nDecision value (benefit USD over seeds; gap closed of the seed totals):\n"
                 + markdown(gaps, digits=4))
    for name, table in tables.items():
        table.to_csv(out / f"{name}.csv", index=False)
    echo(f"\ntables and figures in {out.resolve()}")
    return tables
