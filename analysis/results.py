"""Run folders: the books as Parquet, KPIs and metadata as JSON, written atomically.

Layout of one run folder::

    ledger.parquet     hourly, per site (simulator.ledger.SITE_COLUMNS)
    inference.parquet  hourly, per region and class
    routing.parquet    hourly, per region and site: requests routed and served
    jobs.parquet       one row per training job, with its fate
    clips.parquet      every decision the simulator had to clip
    steps.parquet      one row per decision epoch (policy time, solver statistics)
    <extra>.parquet    optional tables, e.g. the forecast corrector's weights over time
    kpis.json          analysis.kpis.compute_kpis
    meta.json          scenario, seed, policy, versions, git commit, wall time, digests
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.site_kpis import jobs_with_site_names
from simulator.engine import RunResult
from simulator.errors import OutputError, ReportError

TABLES = ("ledger", "inference", "routing", "jobs", "clips", "steps")
PACKAGES = ("gridshift", "simpy", "pyomo", "highspy", "numpy", "pandas")


def package_versions() -> dict[str, str]:
    """Installed versions of GridShift and the libraries that shape its numbers."""
    return dict(_installed_versions())


@functools.cache
def _installed_versions() -> tuple[tuple[str, str], ...]:
    """Looked up once per process: every run key and run folder needs them."""
    out = []
    for name in PACKAGES:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, "not installed"))
    return tuple(out)


def git_commit() -> str | None:
    """The commit of the source tree, if it is a git checkout."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def to_jsonable(value: Any) -> Any:
    """Numbers, NaN/inf as null, numpy scalars and arrays as plain JSON."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def safe_name(text: str, limit: int = 80) -> str:
    """``text`` as one folder name: letters, digits, ``.``, ``_``, ``-`` only (no ``/``, no
    ``..``, no leading dot), at most ``limit`` characters."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "run"
    return name[:limit]


def check_output_dir(path: str | Path, what: str) -> Path:
    """Refuse (OutputError, naming ``what``) an output folder that cannot be one: an existing
    file, or a folder below a file; nothing is created."""
    path = Path(path)
    for node in (path, *path.parents):
        if node.exists():
            if not node.is_dir():
                raise OutputError(f"{what} {path}: {node} is a file, not a folder")
            if not os.access(node, os.W_OK):
                raise OutputError(f"{what} {path}: {node} is not writable")
            break
    return path


def check_output_file(path: str | Path, what: str, suffixes: tuple[str, ...]) -> Path:
    """Refuse an output file with another suffix, an existing folder, or an unusable parent."""
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise OutputError(f"{what} {path}: use a {' or '.join(suffixes)} file name")
    if path.is_dir():
        raise OutputError(f"{what} {path}: is a folder, not a file")
    check_output_dir(path.parent, what)
    return path


def write_run(result: RunResult, folder: str | Path, kpis: dict[str, Any],
              meta: dict[str, Any]) -> Path:
    """Write a run folder atomically (a temporary sibling renamed into place)."""
    folder = Path(folder)
    check_output_dir(folder.parent, "run folder")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"run folder {folder}: cannot create {folder.parent}: "
                          f"{err.strerror or err}") from None
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name in TABLES:
            table: pd.DataFrame = getattr(result, name)
            if name == "jobs":
                table = jobs_with_site_names(table, result.system.site_names)
            table.to_parquet(tmp / f"{name}.parquet", index=False)
        for name, table in result.extras.items():
            table.to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "kpis.json").write_text(json.dumps(to_jsonable(kpis), indent=2))
        (tmp / "meta.json").write_text(json.dumps(to_jsonable(meta), indent=2, default=str))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        _swap_into_place(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _swap_into_place(new: Path, folder: Path) -> None:
    """Rename ``new`` to ``folder``; an existing folder is kept aside until the rename worked."""
    old = None
    if folder.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
        os.replace(folder, old / folder.name)
    try:
        os.replace(new, folder)
    except BaseException:
        if old is not None:
            os.replace(old / folder.name, folder)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def read_run(folder: str | Path) -> dict[str, Any]:
    """Load a run folder back: every table as a DataFrame plus ``kpis`` and ``meta`` dicts."""
    folder = Path(folder)
    out: dict[str, Any] = {}
    for path in [*sorted(folder.glob("*.parquet")), folder / "kpis.json", folder / "meta.json"]:
        try:
            out[path.stem] = pd.read_parquet(path) if path.suffix == ".parquet" else \
                json.loads(path.read_text(encoding="utf-8"))
        except Exception as err:  # noqa: BLE001 - any unreadable file: one line naming it
            raise ReportError(f"run folder {folder}: cannot read {path.name} "
                              f"({type(err).__name__}: {err})".splitlines()[0]) from None
    return out
