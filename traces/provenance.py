"""Provenance of a trace folder: ``provenance.json`` next to its tables.

It holds the notes of the TraceSet the folder was written from (route, zones, data folders,
currency rates, tariffs, models used, gap fills, arrival and job sources), so a replay of the
folder (and its run's meta.json) says where every number came from.
"""

from __future__ import annotations

import json
from pathlib import Path

from simulator.errors import TraceError
from simulator.traceset import TraceSet

FILE = "provenance.json"


def write_provenance(traces: TraceSet, folder: Path) -> Path:
    """Write ``traces.notes`` (JSON-safe: unknown objects as text) to ``folder/provenance.json``."""
    path = folder / FILE
    path.write_text(json.dumps(traces.notes, indent=2, sort_keys=True, default=str))
    return path


def read_provenance(folder: Path) -> dict[str, object] | None:
    """The folder's provenance, or None for a folder written by hand (no provenance.json)."""
    path = folder / FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise TraceError(str(path), f"not valid JSON ({err})") from None
    return data if isinstance(data, dict) else {"value": data}
