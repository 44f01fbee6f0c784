"""Folders ``gridshift report`` reads besides runs and sweeps.

- A *comparison folder* (``comparison.json`` + one run folder per policy), written by
  ``gridshift demo`` and ``gridshift experiment paper``: several policies on the same
  scenario and traces.
- A *tables folder* (``gridshift.json`` with a ``kind`` and ``title``, then CSV tables and
  PNG figures), for commands whose results are tables and figures (``forecast-eval`` can call
  :func:`write_manifest` on its output folder to be reported).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.results import read_run, to_jsonable

COMPARISON_FILE = "comparison.json"
MANIFEST_FILE = "gridshift.json"


def write_comparison(folder: str | Path, runs: Mapping[str, str | Path],
                     **info: Any) -> Path:
    """Write ``comparison.json`` listing the run folders (policy -> folder, relative where
    they lie inside ``folder``) and ``info`` (scenario, seed, what ran it); return its path."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)

    def rel(p: str | Path) -> str:
        p = Path(p).resolve()
        return str(p.relative_to(root.resolve())) if p.is_relative_to(root.resolve()) else str(p)

    payload = {"kind": "comparison", **to_jsonable(info),
               "runs": {name: rel(p) for name, p in runs.items()}}
    path = root / COMPARISON_FILE
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path


def is_comparison_folder(path: Path) -> bool:
    """True for a folder with ``comparison.json``."""
    return (path / COMPARISON_FILE).is_file()


def read_comparison(folder: str | Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The comparison's info and each run's tables (policy -> :func:`read_run` dict)."""
    root = Path(folder)
    info = json.loads((root / COMPARISON_FILE).read_text(encoding="utf-8"))
    runs = {name: read_run(root / p) for name, p in info.get("runs", {}).items()}
    return info, runs


def comparison_kpis(runs: Mapping[str, dict[str, Any]]) -> pd.DataFrame:
    """KPIs per policy (rows) of a comparison's runs."""
    return pd.DataFrame({name: run["kpis"] for name, run in runs.items()}).T


def write_manifest(folder: str | Path, kind: str, title: str, **info: Any) -> Path:
    """Mark ``folder`` (CSV tables, PNG figures) as a reportable tables folder of ``kind``."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    path = root / MANIFEST_FILE
    path.write_text(json.dumps({"kind": kind, "title": title, **to_jsonable(info)}, indent=2)
                    + "\n", encoding="utf-8")
    return path


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The manifest of a tables folder, or None."""
    path = Path(folder) / MANIFEST_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
