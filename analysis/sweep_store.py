"""Sweep output folders: run records, saved books and the tidy results table.

Layout of an output folder::

    sweep.json         the spec as run, the expansion (keys in order), the package version
    runs/<key>.json    one record per run: status ok/failed, one-line error, parameters, KPIs,
                       the full scenario, timings; written atomically, presence = finished
    books/<key>/       the run folder (ledger, inference, routing ... Parquet), if runs are saved
    results.parquet    the tidy table: one row per run, parameters joined with KPIs, by key
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.results import to_jsonable, write_run
from simulator.errors import ReportError

RECORDS_DIR = "runs"
BOOKS_DIR = "books"
TABLE_FILE = "results.parquet"
SWEEP_FILE = "sweep.json"
RECORD_FIELDS = ("key", "point", "policy", "seed", "status")

def _partial(path: Path) -> Path:
    """A unique hidden sibling to write before renaming onto ``path``."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")


def write_json_atomic(path: Path, payload: Any) -> None:
    """Write JSON to ``path`` through a temporary sibling, fsync and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _partial(path)
    try:
        with open(tmp, "x", encoding="utf-8") as fh:
            json.dump(to_jsonable(payload), fh, indent=1, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_books(done: Any, folder: Path) -> Path:
    """Write a run folder (with its routing table) atomically: built aside, renamed in."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent)) / "run"
    try:
        write_run(done.result, tmp, done.kpis, done.meta)
        done.result.routing.to_parquet(tmp / "routing.parquet", index=False)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp.parent, ignore_errors=True)
    return folder


def read_records(out_dir: str | Path, keys: Sequence[str] | None = None) -> dict[str, dict]:
    """Run records of an output folder by key (only ``keys`` when given)."""
    folder = Path(out_dir) / RECORDS_DIR
    if keys is None:
        paths = sorted(folder.glob("*.json"))
    else:
        paths = [folder / f"{k}.json" for k in keys if (folder / f"{k}.json").exists()]
    records = {}
    for path in paths:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ReportError(f"{path}: unreadable run record ({err}); delete it to re-run "
                              "that run") from None
        missing = [] if isinstance(record, dict) else list(RECORD_FIELDS)
        missing = missing or [f for f in RECORD_FIELDS if f not in record]
        if missing:
            raise ReportError(f"{path}: run record without {', '.join(missing)}; delete it to "
                              "re-run that run")
        records[path.stem] = record
    return records


def remove_partials(out_dir: Path) -> None:
    """Delete temporary files an interrupted sweep left (never a finished record)."""
    for sub in (RECORDS_DIR, BOOKS_DIR):
        for tmp in (out_dir / sub).glob(".*"):
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink(missing_ok=True)


# ---- the table -------------------------------------------------------------------------------
def _column(values: list[Any]) -> list[Any]:
    """Parameter values as one Parquet-friendly column: numbers, or else strings."""
    plain = all(v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                for v in values)
    if plain:
        return values
    return [v if v is None or isinstance(v, str) else json.dumps(v, sort_keys=True)
            for v in values]


def records_table(records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Tidy table: key, point, parameters, policy, seed, status, error, wall_s, then KPIs.

    Rows are sorted by key, so the same spec gives the same table.
    """
    records = sorted(records, key=lambda r: r["key"])
    params = list(dict.fromkeys(k for r in records for k in r.get("params", {})))
    kpis = list(dict.fromkeys(k for r in records for k in r.get("kpis", {})))
    table = pd.DataFrame({
        "key": [r["key"] for r in records],
        "point": [int(r["point"]) for r in records],
    })
    for name in params:
        table[name] = _column([r.get("params", {}).get(name) for r in records])
    table["policy"] = [r["policy"] for r in records]
    table["seed"] = [int(r["seed"]) for r in records]
    table["scenario"] = [r.get("scenario_name") for r in records]
    table["status"] = [r["status"] for r in records]
    table["error"] = [r.get("error") for r in records]
    table["wall_s"] = [float(r.get("wall_s", float("nan"))) for r in records]
    for name in kpis:
        column = [r.get("kpis", {}).get(name) for r in records]
        table[name] = pd.to_numeric(pd.Series(column, dtype=object), errors="coerce") \
            if all(v is None or isinstance(v, int | float) for v in column) else column
    return table


def value_label(value: Any) -> str:
    """A parameter value as a label: ``none`` for a missing one (TOML-less null, NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    return str(value)


def param_columns(table: pd.DataFrame) -> list[str]:
    """The sweep-parameter columns of a results table (between ``point`` and ``policy``)."""
    cols = list(table.columns)
    return cols[cols.index("point") + 1: cols.index("policy")]


def write_table(table: pd.DataFrame, path: Path) -> Path:
    """Write the tidy table as Parquet, atomically."""
    tmp = _partial(path)
    try:
        table.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_table(out_dir: str | Path) -> pd.DataFrame:
    """The tidy table of a sweep folder (rebuilt from run records when the file is missing)."""
    out_dir = Path(out_dir)
    path = out_dir / TABLE_FILE
    try:
        if path.exists():
            return pd.read_parquet(path)
        info = out_dir / SWEEP_FILE
        keys = json.loads(info.read_text()).get("keys") if info.exists() else None
    except (OSError, ValueError, AttributeError) as err:
        raise ReportError(f"{out_dir}: cannot read {path.name if path.exists() else SWEEP_FILE}"
                          f" ({type(err).__name__}: {err})".splitlines()[0]) from None
    records = read_records(out_dir, keys)
    if not records:
        raise ReportError(f"{out_dir}: no run records (runs/*.json) to tabulate")
    return records_table(list(records.values()))
