"""Report sections of one run, and of a comparison folder (several policies, same traces)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis import figures as F
from analysis.catalogue import direction_note, format_change, header_of
from analysis.collection import comparison_kpis, read_comparison
from analysis.kpis import KPI_TABLE_ORDER
from analysis.report_parts import Figures, Section, key_values, kpi_rows, table
from analysis.results import read_run
from simulator.errors import ReportError

CAPTIONS = {
    "dispatch": "Dispatch per site: supplies above zero, sinks below, load as a line (MW).",
    "state_of_charge": "Battery state of charge per site (MWh).",
    "routing": "Inference requests served per user region and site over time, and each "
               "region's split over sites.",
    "jobs": "Training jobs: when and where each ran within its release-deadline window.",
    "signals": "Realized grid carbon intensity (gCO2/kWh) and buy price (USD/MWh).",
}


def forecast_text(forecast: Any) -> str:
    """``{"*": "perfect"}`` -> ``perfect``; per signal ``carbon: sarima, price: ...``."""
    if not isinstance(forecast, dict):
        return "" if forecast is None else str(forecast)
    if set(forecast) == {"*"}:
        return str(forecast["*"])
    return ", ".join(f"{'every other signal' if k == '*' else k}: {v}"
                     for k, v in forecast.items())


def run_sections(run: dict[str, Any], figs: Figures, level: int = 2) -> list[Section]:
    """KPIs with units, clips by kind and the per-run figures of one run."""
    kpis = Section("Key performance indicators", level, tables=[kpi_rows(run["kpis"])])
    clips = run["clips"]
    counts = clips.groupby("kind").size() if len(clips) else pd.Series(dtype=int)
    clipped = Section("Decisions the simulator clipped", level, tables=[table(
        ["kind", "clips"], [(k, f"{v:,}") for k, v in counts.items()] or [("(none)", "0")])])
    figures = Section("Figures", level)
    for name, make in F.RUN_FIGURES.items():
        figs.add(figures, lambda make=make: make(run), CAPTIONS[name])
    return [kpis, clipped, figures]


def run_report(folder: Path, figs: Figures) -> tuple[str, list[Section]]:
    """Title and sections of a run folder's report."""
    run = read_run(folder)
    meta = run["meta"]
    versions = meta.get("versions", {})
    options = meta.get("policy_options") or {}
    head = Section("Run", tables=[key_values([
        ("scenario", meta.get("scenario_name")), ("policy", meta.get("policy")),
        ("policy options", ", ".join(f"{k}={v}" for k, v in options.items())),
        ("seed", meta.get("seed")), ("key", meta.get("key")),
        ("forecast", forecast_text(meta.get("forecast"))),
        ("hours", meta.get("scenario", {}).get("hours")),
        ("wall time (s)", f"{meta.get('wall_s', float('nan')):.2f}"),
        ("GridShift", versions.get("gridshift")), ("git commit", meta.get("git_commit")),
        ("folder", str(folder))])])
    title = f"GridShift run: {meta.get('scenario_name')} · {meta.get('policy')} · " \
            f"seed {meta.get('seed')}"
    return title, [head, *run_sections(run, figs)]


def _changes(kpis: pd.DataFrame, baseline: str) -> dict[str, Any]:
    names = [k for k in KPI_TABLE_ORDER if k in kpis]
    others = [p for p in kpis.index if p != baseline]
    rows = [[header_of(k), *(format_change(k, kpis.loc[p, k] - kpis.loc[baseline, k],
                                            kpis.loc[baseline, k]) for p in others)]
            for k in names]
    return table(["KPI", *others], rows, f"Each policy minus {baseline} (same traces).")


def comparison_report(folder: Path, figs: Figures, baseline: str | None = None,
                      max_runs: int = 4) -> tuple[str, list[Section]]:
    """Title and sections of a comparison folder: the KPI table, changes against the
    baseline, emissions and cost per hour per policy and site, then each run."""
    info, runs = read_comparison(folder)
    if not runs:
        raise ReportError(f"{folder}: the comparison lists no runs")
    kpis = comparison_kpis(runs)
    names = list(runs)
    baseline = baseline if baseline in names else names[0]
    real = [p for p in names if p != "oracle"] or names  # the oracle is a bound, not a rival
    best = max(real, key=lambda p: kpis.loc[p].get("total_benefit_usd", float("-inf")))
    head = Section("Comparison", tables=[key_values([
        ("scenario", info.get("scenario")), ("seed", info.get("seed")),
        ("policies", ", ".join(names)), ("written by", info.get("command")),
        ("folder", str(folder))])])
    summary = Section("Key performance indicators", tables=[
        kpi_rows(kpis, [*KPI_TABLE_ORDER, "regret_usd", "regret_bound_usd",
                        "oracle_bound_usd", "oracle_bound_exact", "carbon_overshoot_t",
                        "carbon_overshoot_cost_usd"],
                 caption=f"One run per policy on the same traces; {direction_note()}."),
        _changes(kpis, baseline)])
    hourly = Section("Emissions and cost over time")
    figs.add(hourly, lambda: F.plot_hourly(runs),
             "Emissions (tCO2/h) and net energy cost (USD/h) per hour, per policy.")
    figs.add(hourly, lambda: F.plot_hourly(runs, per_site=True),
             "Emissions per hour at each site (tCO2/h), per policy.")
    sections = [head, summary, hourly]
    shown = [best, *[p for p in names if p != best]][:max(max_runs, 1)]
    for name in shown:
        sections.append(Section(f"{name}" + (" (highest benefit)" if name == best else ""),
                                paragraphs=[f"run folder: {info['runs'][name]}"]))
        sections += run_sections(runs[name], figs, level=3)
    title = f"GridShift comparison: {info.get('scenario', folder.name)} · {', '.join(names)}"
    return title, sections
