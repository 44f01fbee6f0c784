"""Self-contained HTML reports of a run folder or a sweep (or comparison) folder.

The report is one HTML file: figures are embedded as base64 PNGs, styles are inline, there
is no script and no external link, so it can be mailed or archived as is.

- A run folder (``meta.json`` + ``ledger.parquet``): run metadata, every KPI with its unit,
  the clips by kind, and the per-run figures of :mod:`analysis.figures`.
- A sweep folder (``sweep.json`` + ``runs/``): the spec, counts of finished and failed runs,
  the KPI summary (mean and confidence interval across seeds, change against the baseline),
  the failures with their errors, benefit against emissions, sensitivity curves per swept
  parameter, regret against the oracle where it ran, and per-run figures for the first few
  runs whose books were saved.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import figures as F
from analysis.compare import (
    REGRET,
    SUMMARY_COLUMNS,
    format_comparison,
    format_value,
    summarize,
)
from analysis.results import read_run
from analysis.sweep_store import BOOKS_DIR, RECORDS_DIR, SWEEP_FILE, load_table, param_columns
from simulator.errors import ReportError

_CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2em auto;
       max-width: 1250px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; } .note { color: #a33; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
"""


def is_run_folder(path: Path) -> bool:
    """True for a run folder (``meta.json`` and ``ledger.parquet``)."""
    return (path / "meta.json").is_file() and (path / "ledger.parquet").is_file()


def is_sweep_folder(path: Path) -> bool:
    """True for a sweep or comparison folder (``sweep.json`` or ``runs/``)."""
    return (path / SWEEP_FILE).is_file() or (path / RECORDS_DIR).is_dir()


# ---- HTML pieces -----------------------------------------------------------------------------
def _img(fig: Any, caption: str, dpi: int) -> str:
    data = base64.b64encode(F.figure_png(fig, dpi)).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _try_figure(make: Callable[[], Any], caption: str, dpi: int) -> str:
    """A figure, or a one-line note saying why it could not be drawn."""
    try:
        return _img(make(), caption, dpi)
    except (ValueError, KeyError) as err:
        return f'<p class="note">{html.escape(caption)}: not drawn ({html.escape(str(err))})</p>'


def _table(frame: pd.DataFrame, index: bool = False) -> str:
    return frame.to_html(index=index, border=0, na_rep="", escape=True)


def _kv(pairs: Sequence[tuple[str, Any]]) -> str:
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in pairs if v is not None and v != "")
    return f"<table>{rows}</table>"


def _page(title: str, body: list[str]) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>Written by <code>gridshift report</code> on "
            f"{stamp}.</p>" + "\n".join(body) + "</body></html>\n")


# ---- one run ---------------------------------------------------------------------------------
def run_sections(run: dict[str, Any], heading: str = "h2", dpi: int = 100) -> list[str]:
    """HTML sections for one run: KPIs with units, clips by kind, the per-run figures."""
    kpis = pd.DataFrame([{"KPI": k, "value": v, "unit": F.unit_of(k) or ""}
                         for k, v in run["kpis"].items()])
    clips = run["clips"]
    by_kind = clips.groupby("kind").size().rename("clips").reset_index() if len(clips) \
        else pd.DataFrame({"kind": ["(none)"], "clips": [0]})
    out = [f"<{heading}>Key performance indicators</{heading}>", _table(kpis),
           f"<{heading}>Decisions the simulator clipped</{heading}>", _table(by_kind),
           f"<{heading}>Figures</{heading}>"]
    captions = {
        "dispatch": "Dispatch per site: supplies above zero, sinks below, load as a line (MW).",
        "state_of_charge": "Battery state of charge per site (MWh).",
        "routing": "Inference requests served per user region and site over time, and each "
                   "region's split over sites.",
        "jobs": "Training jobs: when and where each ran within its release-deadline window.",
        "signals": "Realized grid carbon intensity (gCO2/kWh) and buy price (USD/MWh).",
    }
    for name, make in F.RUN_FIGURES.items():
        out.append(_try_figure(lambda make=make: make(run), captions[name], dpi))
    return out


def _run_report(folder: Path, dpi: int) -> str:
    run = read_run(folder)
    meta = run["meta"]
    versions = meta.get("versions", {})
    head = _kv([("scenario", meta.get("scenario_name")), ("policy", meta.get("policy")),
                ("policy options", json.dumps(meta.get("policy_options") or {})),
                ("seed", meta.get("seed")), ("key", meta.get("key")),
                ("forecast", json.dumps(meta.get("forecast"))),
                ("hours", meta.get("scenario", {}).get("hours")),
                ("wall time (s)", f"{meta.get('wall_s', float('nan')):.2f}"),
                ("GridShift", versions.get("gridshift")), ("git commit", meta.get("git_commit")),
                ("folder", str(folder))])
    title = f"GridShift run: {meta.get('scenario_name')} · {meta.get('policy')} · " \
            f"seed {meta.get('seed')}"
    return _page(title, ["<h2>Run</h2>", head, *run_sections(run, dpi=dpi)])


# ---- a sweep ---------------------------------------------------------------------------------
def _axis_label(spec: dict[str, Any], name: str) -> str:
    axis = spec.get("axes", {}).get(name)
    if isinstance(axis, dict) and axis.get("scale") is not None:
        return f"{name} (× base value)"
    return F.label_of(name)


REPORT_KPIS = ("total_benefit_usd", "emissions_t", "served_share", "gpu_utilisation",
               "energy_cost_usd", "unserved_penalty_usd", REGRET)


def _summary_table(summary: pd.DataFrame, confidence: float) -> str:
    """Rows: sweep point and policy; columns: the main KPIs as mean ± CI (change %)."""
    by = [c for c in summary.columns if c not in (*SUMMARY_COLUMNS, "point")]
    kpis = [k for k in REPORT_KPIS if k in set(summary["kpi"])]
    rows = []
    for (_, policy), part in summary.groupby(["point", "policy"], sort=False):
        cells = part.set_index("kpi")
        row = {c: part[c].iloc[0] for c in by}
        row.update(policy=policy, runs=int(cells["n"].max()),
                   failed=int(cells["n_failed"].max()))
        for kpi in kpis:
            if kpi not in cells.index:
                row[F.label_of(kpi)] = ""
                continue
            r = cells.loc[kpi]
            half = (r["ci_high"] - r["ci_low"]) / 2
            text = format_value(kpi, r["mean"])
            text += f" ± {format_value(kpi, half)}" if pd.notna(half) else ""
            text += f" ({r['delta_pct']:+.1f}%)" if pd.notna(r["delta_pct"]) and \
                policy != r["baseline"] else ""
            row[F.label_of(kpi)] = text
        rows.append(row)
    baseline = summary["baseline"].iloc[0] if len(summary) else ""
    return (f"<p>Mean over seeds ± half-width of the {confidence:.0%} Student-t interval; in "
            f"brackets the change against <b>{html.escape(str(baseline))}</b> "
            f"(paired by seed).</p>" + _table(pd.DataFrame(rows)))


def _sweep_report(folder: Path, max_runs: int, confidence: float, oracle: str,
                  baseline: str | None, dpi: int) -> str:
    info = json.loads((folder / SWEEP_FILE).read_text()) if (folder / SWEEP_FILE).is_file() \
        else {}
    spec = info.get("spec", {})
    table = load_table(folder)
    if table.empty:
        raise ReportError(f"{folder}: the sweep has no finished runs yet")
    params = param_columns(table)
    ok = table[table["status"] == "ok"]
    failed = table[table["status"] != "ok"]
    policies = list(dict.fromkeys(p for p in spec.get("policies", []) if p in set(table.policy)))
    policies = policies or sorted(set(table["policy"]))
    body = ["<h2>Sweep</h2>", _kv([
        ("name", spec.get("name")), ("description", spec.get("description")),
        ("spec", info.get("source")), ("base scenario", spec.get("scenario")),
        ("policies", ", ".join(policies)), ("seeds", ", ".join(map(str, sorted(set(
            table["seed"]))))),
        ("parameters", ", ".join(params) or "(none: a policy comparison)"),
        ("runs in the spec", len(info.get("keys", [])) or len(table)),
        ("runs finished", len(ok)), ("runs failed", len(failed)),
        ("GridShift", info.get("version")), ("folder", str(folder))])]
    if len(info.get("keys", [])) > len(table):
        body.append(f'<p class="note">{len(info["keys"]) - len(table)} runs of the spec have '
                    f"no record yet: the sweep is incomplete; run it again to finish.</p>")
    if not ok.empty:
        summary = summarize(table, baseline=baseline, oracle=oracle, confidence=confidence,
                            policies=policies)
        body += ["<h2>Summary</h2>", _summary_table(summary, confidence),
                 "<details><summary>every main KPI, and the changes</summary><pre>"
                 + html.escape(format_comparison(summary, confidence=confidence))
                 + "</pre></details>"]
    if not failed.empty:
        body += ["<h2>Failed runs</h2>",
                 _table(failed[["key", *params, "policy", "seed", "error"]])]
    if not ok.empty:
        body.append("<h2>Across runs</h2>")
        body.append(_try_figure(lambda: F.plot_benefit_emissions(table, confidence),
                                "Total benefit against emissions, one dot per run.", dpi))
        for param in params:
            label = _axis_label(spec, param)
            for kpi in ("total_benefit_usd", "emissions_t", "served_share"):
                body.append(_try_figure(
                    lambda p=param, k=kpi, lab=label: F.plot_sensitivity(
                        table, p, k, confidence=confidence, xlabel=lab, oracle=oracle),
                    f"Sensitivity of {F.label_of(kpi)} to {label}.", dpi))
        if oracle in set(ok["policy"]):
            body.append(_try_figure(lambda: F.plot_regret(table, oracle=oracle,
                                                          confidence=confidence),
                                    "Regret against the oracle (USD), paired by seed.", dpi))
            for param in params:
                label = _axis_label(spec, param)
                body.append(_try_figure(
                    lambda p=param, lab=label: F.plot_regret(
                        table, p, oracle=oracle, confidence=confidence, xlabel=lab),
                    f"Regret against the oracle by {label}.", dpi))
        else:
            body.append(f"<p>No <code>{html.escape(oracle)}</code> runs: no regret.</p>")
    body += _book_sections(folder, ok, params, max_runs, dpi)
    body += ["<h2>Spec</h2>", "<pre>" + html.escape(json.dumps(spec, indent=2)) + "</pre>"]
    return _page(f"GridShift sweep: {spec.get('name', folder.name)}", body)


def _book_sections(folder: Path, ok: pd.DataFrame, params: list[str], max_runs: int,
                   dpi: int) -> list[str]:
    books = folder / BOOKS_DIR
    if max_runs <= 0 or not books.is_dir():
        return []
    saved = ok[[(books / k).is_dir() for k in ok["key"]]]
    saved = saved.sort_values(["point", "seed", "policy"], kind="stable").head(max_runs)
    if saved.empty:
        return []
    out = ["<h2>Single runs</h2>",
           f"<p>The first {len(saved)} runs whose books were saved "
           f"(of {int(sum((books / k).is_dir() for k in ok['key']))}).</p>"]
    for row in saved.to_dict("records"):
        labels = ", ".join(f"{p}={row[p]}" for p in params)
        out.append(f"<h3>{html.escape(row['policy'])}, seed {row['seed']}"
                   f"{', ' + html.escape(labels) if labels else ''} "
                   f"(<code>{row['key']}</code>)</h3>")
        out += run_sections(read_run(books / row["key"]), heading="h4", dpi=dpi)
    return out


def write_report(path: str | Path, out: str | Path | None = None, *, max_runs: int = 4,
                 confidence: float = 0.95, oracle: str = "oracle",
                 baseline: str | None = None, dpi: int = 100) -> Path:
    """Write the HTML report of a run or sweep folder (default: ``<folder>/report.html``).

    ``max_runs`` single runs (with saved books) are drawn in a sweep report; ``dpi`` sets the
    figure resolution (dots per inch).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise ReportError(f"{folder}: no such folder")
    if is_run_folder(folder):
        text = _run_report(folder, dpi)
    elif is_sweep_folder(folder):
        text = _sweep_report(folder, max_runs, confidence, oracle, baseline, dpi)
    else:
        raise ReportError(f"{folder}: neither a run folder (meta.json, ledger.parquet) nor a "
                          f"sweep folder (sweep.json, runs/)")
    target = Path(out) if out is not None else folder / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target
