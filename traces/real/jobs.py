"""GAIA batch jobs (Alibaba PAI 2020 sample) → training-job rows for the simulator.

Raw columns: ``arrival_time`` (s since the trace start), ``length`` (s), ``cpus`` (count).
Mapping rules (modelling choices, all parameters):

* release_hour = start_hour + ceil(arrival_time / 3600): the first hour start at or after the
  arrival, so a scheduler deciding at hour starts never sees a job before it arrives;
* duration_h = max(1, ceil(length / 3600)) whole hours;
* gpus = clip(gpus_per_cpu × cpus, min_gpus, max_gpus): one 8-GPU node per requested CPU by
  default (PAI jobs are CPU-sized; this scales them to GPU training jobs);
* slack_h = max(min_slack_h, ceil(slack_factor × duration_h)) and
  deadline_hour = release_hour + duration_h + slack_h: the job must finish by then, so any start
  s with release_hour <= s <= deadline_hour − duration_h meets it;
* value_usd = usd_per_gpu_hour × gpus × duration_h (what finishing the job is worth).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from traces.real.datadir import FILES, data_file
from traces.real.tables import Bounds, parse_numbers, read_raw

JOB_COLUMNS = ("job_id", "release_hour", "gpus", "duration_h", "deadline_hour", "value_usd")


def load_gaia_jobs(
    *, directory: str | Path | None = None, path: str | Path | None = None
) -> pd.DataFrame:
    """Raw GAIA jobs with columns ``arrival_s`` (s), ``length_s`` (s), ``cpus``; file order.

    The index is the file's data-row number (1 = first line after the header). Arrival and length
    must be >= 0 s, cpus a whole number >= 1; empty cells are refused. ``path`` names a file in
    the GAIA format directly; otherwise the sample is read from the real-data ``directory``.
    """
    path = Path(path) if path is not None else data_file(FILES["gaia"], directory)
    raw = read_raw(path, ["arrival_time", "length", "cpus"])
    rules = {
        "arrival_s": ("arrival_time", Bounds(0, np.inf, "s"), False),
        "length_s": ("length", Bounds(0, np.inf, "s"), False),
        "cpus": ("cpus", Bounds(1, np.inf, "cpus"), True),
    }
    frame = pd.DataFrame(
        {
            name: parse_numbers(raw, column, path.name, bounds, whole=whole, required=True)
            for name, (column, bounds, whole) in rules.items()
        }
    )
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    return frame.astype({"cpus": "int64"})


def gpus_from_cpus(
    cpus: pd.Series, gpus_per_cpu: int = 8, min_gpus: int = 8, max_gpus: int = 1024
) -> pd.Series:
    """GPUs of a training job from the CPUs of a batch job: clip(gpus_per_cpu × cpus, min, max)."""
    return (cpus * gpus_per_cpu).clip(min_gpus, max_gpus).astype("int64")


def training_jobs(
    raw: pd.DataFrame,
    *,
    start_hour: int = 0,
    gpus_per_cpu: int = 8,
    min_gpus: int = 8,
    max_gpus: int = 1024,
    slack_factor: float = 1.0,
    min_slack_h: int = 6,
    usd_per_gpu_hour: float = 2.0,
) -> pd.DataFrame:
    """Training-job rows from raw GAIA jobs (as from :func:`load_gaia_jobs`), by release hour.

    Columns: job_id (``gaia-<row>``), release_hour and deadline_hour (hours since the simulation
    start), gpus, duration_h (h), value_usd (USD). Rules are in the module docstring.
    """
    duration_h = np.maximum(1, np.ceil(raw["length_s"] / 3600)).astype("int64")
    slack_h = np.maximum(min_slack_h, np.ceil(slack_factor * duration_h)).astype("int64")
    release_hour = (start_hour + np.ceil(raw["arrival_s"] / 3600)).astype("int64")
    gpus = gpus_from_cpus(raw["cpus"], gpus_per_cpu, min_gpus, max_gpus)
    jobs = pd.DataFrame(
        {
            "job_id": [f"gaia-{row}" for row in raw.index],
            "release_hour": release_hour.to_numpy(),
            "gpus": gpus.to_numpy(),
            "duration_h": duration_h.to_numpy(),
            "deadline_hour": (release_hour + duration_h + slack_h).to_numpy(),
            "value_usd": (usd_per_gpu_hour * gpus * duration_h).to_numpy(dtype=float),
        }
    )
    return jobs.sort_values("release_hour", kind="stable").reset_index(drop=True)
