"""Your own data for a scenario (the ``[inputs]`` table): data folders, arrivals, job sources.

Paths are resolved relative to the scenario file when it is loaded from a file (see
:func:`resolve_paths`). See docs/real-data.md, "Your own data".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

Extend = Literal["none", "repeat", "resample"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArrivalTrace(_Model):
    """A request trace that replaces the modelled inference arrivals on every route.

    ``path``: CSV or Parquet file, one row per request (``time_column``) or hourly counts
    (``count_column`` set). ``region_column`` / ``class_column`` (optional) name the scenario's
    regions / classes; without them every region gets the trace's shape and classes split by
    their shares. Naive stamps are local time at ``utc_offset_h`` hours from UTC (or the IANA
    ``timezone``). ``align``: "absolute" keeps the stamps, "window" moves the trace's first hour
    to the first hour of the window (history included). ``scale``: "mean" scales each region so
    its mean over the window equals its ``requests_per_hour``; "none" keeps the counts.
    ``extend``: "repeat" tiles the trace (period = its length in whole weeks, else days) over a
    longer window; "none" refuses a window the trace does not cover.
    """

    path: str
    time_column: str = "timestamp"
    count_column: str | None = None
    region_column: str | None = None
    class_column: str | None = None
    utc_offset_h: float = 0.0
    timezone: str | None = None
    align: Literal["absolute", "window"] = "absolute"
    scale: Literal["mean", "none"] = "mean"
    extend: Literal["none", "repeat"] = "none"


class JobSource(_Model):
    """One source of training jobs (``[[inputs.jobs]]``); a scenario may list several.

    ``kind``: "gaia" (the GAIA sample in the data folders, or ``path``), "csv" (a generic job
    file, columns in docs/real-data.md), "synthetic" (the seeded Poisson stream of ``[jobs]``).
    ``extend`` for a window longer than the trace: "repeat" tiles it with a shift of its span
    rounded up to whole weeks, "resample" draws whole weeks of it at random (seeded), "none"
    leaves the hours after the trace without new jobs (recorded in the run's notes).
    """

    kind: Literal["gaia", "csv", "synthetic"]
    path: str | None = None
    extend: Extend = "none"
    utc_offset_h: float = 0.0

    @model_validator(mode="after")
    def _path(self) -> JobSource:
        if self.kind == "csv" and not self.path:
            raise ValueError("kind 'csv' needs path (a job CSV, see docs/real-data.md)")
        return self


class Inputs(_Model):
    """User data: extra data folders (searched in order, before the bundled data), a request
    trace for arrivals, and the job sources (None = the route's default; [] = no trace jobs)."""

    data_dirs: list[str] = []
    arrivals: ArrivalTrace | None = None
    jobs: list[JobSource] | None = None


def resolve_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Copy of raw scenario ``data`` with relative paths (``traces.path``, ``inputs.*``) made
    absolute against ``base`` (the scenario file's folder)."""

    def fix(value: Any) -> Any:
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            return str((base / value).resolve())
        return value

    out = dict(data)
    if isinstance(out.get("traces"), dict) and "path" in out["traces"]:
        out["traces"] = {**out["traces"], "path": fix(out["traces"]["path"])}
    inputs = out.get("inputs")
    if isinstance(inputs, dict):
        inputs = dict(inputs)
        if isinstance(inputs.get("data_dirs"), list):
            inputs["data_dirs"] = [fix(d) for d in inputs["data_dirs"]]
        if isinstance(inputs.get("arrivals"), dict) and "path" in inputs["arrivals"]:
            inputs["arrivals"] = {**inputs["arrivals"], "path": fix(inputs["arrivals"]["path"])}
        if isinstance(inputs.get("jobs"), list):
            inputs["jobs"] = [
                {**j, "path": fix(j["path"])} if isinstance(j, dict) and "path" in j else j
                for j in inputs["jobs"]
            ]
        out["inputs"] = inputs
    return out
