"""Self-contained HTML reports of every folder kind GridShift writes.

The report is one HTML file rendered from a jinja2 template (``analysis/templates``): figures
are embedded as base64 PNGs, styles are inline, there is no script and no external link, so it
can be mailed or archived as is. Numbers are formatted by :mod:`analysis.catalogue`.

- A run folder (``meta.json`` + ``ledger.parquet``, from ``run``): metadata, every KPI with
  its unit, the clips by kind and the per-run figures.
- A comparison folder (``comparison.json``, from ``demo`` and ``experiment paper``): the KPIs
  of every policy on the same traces, changes against the baseline, emissions and cost per
  hour (in total and per site), then each run, the highest-benefit policy first.
- A sweep or ``compare`` folder (``sweep.json`` + ``runs/``): the KPI summary (mean and
  confidence interval across seeds, change against the baseline), failures, paired
  differences, benefit against emissions, the carbon–cost trade-off across carbon prices,
  sensitivity curves, regret against the oracle and the saved single runs.
- A tables folder (``gridshift.json`` + CSV tables + PNG figures, e.g. ``forecast-eval``).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

from analysis.catalogue import direction_note
from analysis.collection import is_comparison_folder, read_manifest
from analysis.report_parts import (
    Figures,
    Progress,
    Section,
    frame_table,
    key_values,
    render_page,
)
from analysis.report_run import comparison_report, run_report
from analysis.report_sweep import sweep_report
from analysis.sweep_store import RECORDS_DIR, SWEEP_FILE
from simulator.errors import ReportError

__all__ = ["ReportError", "folder_kind", "write_report"]


def is_run_folder(path: Path) -> bool:
    """True for a run folder (``meta.json`` and ``ledger.parquet``)."""
    return (path / "meta.json").is_file() and (path / "ledger.parquet").is_file()


def is_sweep_folder(path: Path) -> bool:
    """True for a sweep or comparison folder (``sweep.json`` or ``runs/``)."""
    return (path / SWEEP_FILE).is_file() or (path / RECORDS_DIR).is_dir()


def folder_kind(path: str | Path) -> str | None:
    """``run``, ``comparison``, ``sweep`` or ``tables`` (or None: not a GridShift folder)."""
    folder = Path(path)
    if is_run_folder(folder):
        return "run"
    if is_comparison_folder(folder):
        return "comparison"
    if is_sweep_folder(folder):
        return "sweep"
    if read_manifest(folder) is not None:
        return "tables"
    return None


def _tables_report(folder: Path, figs: Figures) -> tuple[str, list[Section]]:
    manifest = read_manifest(folder) or {}
    head = Section(str(manifest.get("kind", "results")).replace("-", " ").capitalize(),
                   tables=[key_values([(k, v) for k, v in manifest.items()
                                       if isinstance(v, str | int | float)] +
                                      [("folder", str(folder))])])
    tables = Section("Tables")
    for csv in sorted(folder.glob("*.csv")):
        tables.tables.append(frame_table(pd.read_csv(csv), csv.name))
    pictures = Section("Figures")
    for png in sorted(folder.glob("*.png")):
        figs.count += 1
        if figs.progress is not None:
            figs.progress(f"figure {figs.count}: {png.name}")
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        pictures.figures.append({"caption": png.stem.replace("_", " "),
                                 "src": f"data:image/png;base64,{data}"})
    return f"GridShift {manifest.get('title', folder.name)}", [head, tables, pictures]


def write_report(path: str | Path, out: str | Path | None = None, *, max_runs: int = 4,
                 confidence: float = 0.95, oracle: str = "oracle",
                 baseline: str | None = None, dpi: int = 100,
                 progress: Progress | None = None) -> Path:
    """Write the HTML report of any GridShift folder (default: ``<folder>/report.html``).

    ``max_runs`` single runs are drawn in a sweep or comparison report; ``dpi`` sets the
    figure resolution (dots per inch); ``progress`` is told about each step.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise ReportError(f"{folder}: no such folder")
    kind = folder_kind(folder)
    if kind is None:
        raise ReportError(f"{folder}: neither a run folder (meta.json, ledger.parquet) nor a "
                          f"sweep folder (sweep.json, runs/) nor a comparison folder "
                          f"(comparison.json) nor a tables folder (gridshift.json)")
    if progress is not None:
        progress(f"reading the {kind} folder {folder}")
    figs = Figures(dpi, progress)
    if kind == "run":
        title, sections = run_report(folder, figs)
    elif kind == "comparison":
        title, sections = comparison_report(folder, figs, baseline, max_runs)
    elif kind == "sweep":
        title, sections = sweep_report(folder, figs, max_runs, confidence, oracle, baseline)
    else:
        title, sections = _tables_report(folder, figs)
    text = render_page(title, sections, direction_note())
    target = Path(out) if out is not None else folder / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target
