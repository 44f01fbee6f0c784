"""Terminal tables (``rich``) of KPIs and comparisons, formatted by :mod:`analysis.catalogue`."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from analysis.catalogue import direction_note, format_change, format_value, header_of
from analysis.kpis import KPI_TABLE_ORDER

REGRET = "regret_usd"
MAIN_KPIS: tuple[str, ...] = (*KPI_TABLE_ORDER, REGRET, "regret_bound_usd", "oracle_bound_usd",
                               "oracle_bound_exact")
_SUMMARY_META = ("policy", "kpi", "n", "n_failed", "mean", "std", "ci_low", "ci_high",
                 "baseline", "delta", "delta_ci_low", "delta_ci_high", "delta_pct", "point")


def render(table: Table, width: int = 160) -> str:
    """A rich table as plain text (no colour codes), for terminals, logs and files."""
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, highlight=False).print(table)
    return buf.getvalue().rstrip("\n")


def grid(rows: dict[str, list[str]], columns: Sequence[str], title: str | None = None,
         first: str = "KPI") -> str:
    """Rows of already formatted cells (label -> one cell per column), right-aligned."""
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column(first, justify="left", no_wrap=True)
    for c in columns:
        table.add_column(str(c), justify="right")
    for label, cells in rows.items():
        table.add_row(label, *cells)
    return (f"{title}\n" if title else "") + render(table)


def kpi_table(kpis: pd.DataFrame, columns: Sequence[str] = MAIN_KPIS) -> str:
    """KPIs as rows (label, unit, better direction), policies as columns."""
    cols = [c for c in columns if c in kpis.columns and kpis[c].notna().any()]
    rows = {header_of(c): [format_value(c, v) for v in kpis[c]] for c in cols}
    return grid(rows, list(map(str, kpis.index)), first=f"KPI ({direction_note()})")


def format_comparison(summary: pd.DataFrame, kpis: Sequence[str] = MAIN_KPIS,
                      confidence: float = 0.95) -> str:
    """Two tables per sweep point: mean ± CI half-width across seeds; change against the
    baseline (paired by seed; a percent only where it means something)."""
    blocks = []
    by = [c for c in summary.columns if c not in _SUMMARY_META]
    for _, part in summary.groupby("point", sort=True):
        part = part[part["kpi"].isin(kpis)]
        if part.empty:
            continue
        policies = list(dict.fromkeys(part["policy"]))
        names = [k for k in kpis if k in set(part["kpi"])]
        means = {k: [""] * len(policies) for k in names}
        deltas = {k: [""] * len(policies) for k in names}
        base_mean = part[part["policy"] == part["baseline"]].set_index("kpi")["mean"]
        for r in part.itertuples(index=False):
            col = policies.index(r.policy)
            half = (r.ci_high - r.ci_low) / 2
            cell = format_value(r.kpi, r.mean)
            if np.isfinite(half):
                cell += f" ± {format_value(r.kpi, half)}"
            means[r.kpi][col] = cell
            if r.policy != r.baseline and np.isfinite(r.delta):
                dhalf = (r.delta_ci_high - r.delta_ci_low) / 2
                deltas[r.kpi][col] = format_change(r.kpi, r.delta, base_mean.get(r.kpi),
                                                   dhalf if np.isfinite(dhalf) else None)
        first = part.iloc[0]
        n = int(part["n"].max())
        head = ", ".join(f"{c}={first[c]}" for c in by)
        ci = f"{confidence:.0%} CI" if n > 1 else "no CI (1 seed)"
        failed = int(part.drop_duplicates("policy")["n_failed"].sum())
        title = f"{head + ': ' if head else ''}mean over {n} seed{'s' if n != 1 else ''} " \
                f"± {ci}" + (f"; {failed} runs failed" if failed else "")
        blocks.append(grid({header_of(k): means[k] for k in names}, policies, title))
        others = [i for i, p in enumerate(policies) if p != first["baseline"]]
        if others:
            blocks.append(grid({header_of(k): [deltas[k][i] for i in others] for k in names},
                               [policies[i] for i in others],
                               f"change against {first['baseline']} (paired by seed)"))
    return "\n\n".join(blocks) + (f"\n{direction_note()}" if blocks else "")
