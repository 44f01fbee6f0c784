"""Report sections of a sweep or ``compare`` folder (``sweep.json`` + ``runs/``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import figures as F
from analysis.catalogue import format_change, format_value, header_of
from analysis.compare import BENEFIT, REGRET, SUMMARY_COLUMNS, summarize
from analysis.report_parts import Figures, Section, frame_table, key_values, table
from analysis.report_run import run_sections
from analysis.results import read_run
from analysis.sweep_store import BOOKS_DIR, SWEEP_FILE, load_table, param_columns
from analysis.tables import format_comparison
from simulator.errors import ReportError

REPORT_KPIS = (BENEFIT, "emissions_t", "served_share", "gpu_utilisation", "energy_cost_usd",
               "unserved_penalty_usd", REGRET, "regret_bound_usd", "carbon_overshoot_t")


def _axis_label(spec: dict[str, Any], name: str) -> str:
    axis = spec.get("axes", {}).get(name)
    if isinstance(axis, dict) and axis.get("scale") is not None:
        return f"{name} (× base value)"
    return F.label_of(name)


def _summary_table(summary: pd.DataFrame, confidence: float) -> dict[str, Any]:
    """Rows: sweep point and policy; columns: the main KPIs as mean ± CI (change)."""
    by = [c for c in summary.columns if c not in (*SUMMARY_COLUMNS, "point")]
    kpis = [k for k in REPORT_KPIS if k in set(summary["kpi"])]
    rows = []
    for (_, policy), part in summary.groupby(["point", "policy"], sort=False):
        cells = part.set_index("kpi")
        row = [*(part[c].iloc[0] for c in by), policy, int(cells["n"].max()),
               int(cells["n_failed"].max())]
        for kpi in kpis:
            if kpi not in cells.index:
                row.append("")
                continue
            r = cells.loc[kpi]
            half = (r["ci_high"] - r["ci_low"]) / 2
            text = format_value(kpi, r["mean"])
            text += f" ± {format_value(kpi, half)}" if pd.notna(half) else ""
            if policy != r["baseline"] and pd.notna(r["delta"]):
                base = r["mean"] - r["delta"]
                text += f" [{format_change(kpi, r['delta'], base)}]"
            row.append(text)
        rows.append(row)
    baseline = summary["baseline"].iloc[0] if len(summary) else ""
    return table([*by, "policy", "runs", "failed", *map(header_of, kpis)], rows,
                 f"Mean over seeds ± half-width of the {confidence:.0%} Student-t interval; in "
                 f"brackets the change against {baseline} (paired by seed).", row_headers=False)


def sweep_report(folder: Path, figs: Figures, max_runs: int, confidence: float, oracle: str,
                 baseline: str | None) -> tuple[str, list[Section]]:
    """Title and sections of a sweep (parameters swept) or comparison (none) folder."""
    info = json.loads((folder / SWEEP_FILE).read_text()) if (folder / SWEEP_FILE).is_file() \
        else {}
    spec = info.get("spec", {})
    table_ = load_table(folder)
    if table_.empty:
        raise ReportError(f"{folder}: the sweep has no finished runs yet")
    params = param_columns(table_)
    ok = table_[table_["status"] == "ok"]
    failed = table_[table_["status"] != "ok"]
    policies = list(dict.fromkeys(p for p in spec.get("policies", []) if p in set(table_.policy)))
    policies = policies or sorted(set(table_["policy"]))
    kind = "sweep" if params else "comparison"
    head = Section(kind.capitalize(), tables=[key_values([
        ("name", spec.get("name")), ("description", spec.get("description")),
        ("spec", info.get("source")), ("base scenario", spec.get("scenario")),
        ("policies", ", ".join(policies)),
        ("seeds", ", ".join(map(str, sorted(set(table_["seed"]))))),
        ("parameters", ", ".join(params) or "(none: a policy comparison)"),
        ("runs in the spec", len(info.get("keys", [])) or len(table_)),
        ("runs finished", len(ok)), ("runs failed", len(failed)),
        ("GridShift", info.get("version")), ("folder", str(folder))])])
    if len(info.get("keys", [])) > len(table_):
        head.notes.append(f"{len(info['keys']) - len(table_)} runs of the spec have no record "
                          f"yet: the sweep is incomplete; run it again to finish.")
    sections = [head]
    if not ok.empty:
        summary = summarize(table_, baseline=baseline, oracle=oracle, confidence=confidence,
                            policies=policies)
        sections.append(Section("Summary", tables=[_summary_table(summary, confidence)],
                                details={"summary": "every main KPI, and the changes",
                                         "text": format_comparison(summary,
                                                                   confidence=confidence)}))
    if not failed.empty:
        sections.append(Section("Failed runs", tables=[
            frame_table(failed[["key", *params, "policy", "seed", "error"]])]))
    if not ok.empty:
        sections.append(_across(table_, spec, params, policies, figs, confidence, oracle,
                                baseline))
    sections += _book_sections(folder, ok, params, policies, max_runs, figs)
    sections.append(Section("Spec", pre=json.dumps(spec, indent=2)))
    return f"GridShift {kind}: {spec.get('name', folder.name)}", sections


def _across(table_: pd.DataFrame, spec: dict[str, Any], params: list[str], policies: list[str],
            figs: Figures, confidence: float, oracle: str, baseline: str | None) -> Section:
    out = Section("Across runs")
    if len(policies) > 1:
        figs.add(out, lambda: F.plot_paired_differences(table_, baseline, confidence=confidence,
                                                        policies=policies),
                 f"Paired differences against {baseline or policies[0]} (same seeds and "
                 f"traces), with the {confidence:.0%} interval of the mean difference.")
    figs.add(out, lambda: F.plot_benefit_emissions(table_, confidence),
             "Total benefit against emissions, one dot per run.")
    if any("carbon_price" in p for p in params):
        figs.add(out, lambda: F.plot_pareto(table_),
                 "Carbon–cost trade-off across carbon prices (mean over seeds).")
    for param in params:
        label = _axis_label(spec, param)
        for kpi in (BENEFIT, "emissions_t", "served_share"):
            figs.add(out, lambda p=param, k=kpi, lab=label: F.plot_sensitivity(
                table_, p, k, confidence=confidence, xlabel=lab, oracle=oracle),
                f"Sensitivity of {F.label_of(kpi)} to {label}.")
    if oracle in set(table_.loc[table_["status"] == "ok", "policy"]):
        figs.add(out, lambda: F.plot_regret(table_, oracle=oracle, confidence=confidence),
                 "Regret against the oracle (USD), paired by seed.")
        for param in params:
            label = _axis_label(spec, param)
            figs.add(out, lambda p=param, lab=label: F.plot_regret(
                table_, p, oracle=oracle, confidence=confidence, xlabel=lab),
                f"Regret against the oracle by {label}.")
    else:
        out.paragraphs.append(f"No {oracle} runs: no regret.")
    return out


def _book_sections(folder: Path, ok: pd.DataFrame, params: list[str], policies: list[str],
                   max_runs: int, figs: Figures) -> list[Section]:
    """Saved single runs, the policy with the highest mean benefit first."""
    books = folder / BOOKS_DIR
    if max_runs <= 0 or not books.is_dir():
        return []
    saved = ok[[(books / k).is_dir() for k in ok["key"]]]
    total = len(saved)
    if saved.empty:
        return []
    rank = saved.groupby("policy")[BENEFIT].mean().rank(ascending=False)
    saved = saved.assign(_rank=saved["policy"].map(rank)).sort_values(
        ["_rank", "point", "seed"], kind="stable").head(max_runs)
    out = [Section("Single runs", paragraphs=[
        f"{len(saved)} runs whose books were saved (of {total}), "
        f"the policy with the highest mean benefit first."])]
    for row in saved.to_dict("records"):
        labels = ", ".join(f"{p}={row[p]}" for p in params)
        out.append(Section(f"{row['policy']}, seed {row['seed']}"
                           f"{', ' + labels if labels else ''} ({row['key']})", 3))
        out += run_sections(read_run(books / row["key"]), figs, level=4)
    return out
