"""Training jobs of a run from the scenario's job sources (``[[inputs.jobs]]``).

Jobs = the scenario's explicit ``jobs.jobs`` plus, in order, every source's jobs, numbered on
from the largest explicit id. Sources (see :class:`simulator.inputs.JobSource`):

* ``gaia``: the GAIA sample, mapped by :func:`traces.real.jobs.training_jobs` (released from the
  run start, as it has no calendar time);
* ``csv``: a job file, one row per job: ``submit_time`` (ISO 8601; a naive stamp is local time at
  ``utc_offset_h``) or ``release_hour`` (hours from the run start); ``gpus``; ``duration_h``;
  optional ``slack_h`` (default: the smallest ``jobs.slack_h``), ``value_usd`` (default:
  ``jobs.value_usd_per_gpu_hour`` × gpus × duration_h) and ``home_site``. release_hour = the
  first hour start at or after the submit time;
* ``synthetic``: the seeded Poisson stream of ``[jobs]``.

Extension over a window longer than the trace: the trace's period is its span rounded up to
whole weeks (168 h); "repeat" adds copies shifted by 1, 2, … periods, "resample" fills each
week after the trace with a whole week of the trace drawn at random
(``numpy.random.default_rng([seed, 4, source])``), "none" adds nothing and records
``uncovered_after_hour``. Jobs released before the run start or at/after its end are dropped
and counted. Nothing is padded silently: each source's counts land in
``TraceSet.notes["jobs"]`` and so in meta.json.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.errors import TraceError
from simulator.inputs import JobSource
from simulator.scenario import Scenario
from simulator.traceset import JOB_COLUMNS
from traces.real.datadir import FILES
from traces.real.jobs import load_gaia_jobs, training_jobs
from traces.real.tables import Bounds, parse_numbers, parse_times, read_raw
from traces.synthetic import stream_jobs

WEEK_H = 168
_DTYPES = {"job_id": "int64", "release_hour": "int64", "gpus": "int64", "duration_h": "int64",
           "deadline_hour": "int64", "value_usd": "float64", "home_site": "object"}


def _frame(rows: pd.DataFrame | list) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(JOB_COLUMNS))
    return frame.astype(_DTYPES)


def _gaia(scenario: Scenario, source: JobSource, folders: Sequence[Path]) -> pd.DataFrame:
    path = Path(source.path) if source.path else next(
        (f / FILES["gaia"] for f in folders if (f / FILES["gaia"]).is_file()), None)
    if path is None or not path.is_file():
        where = source.path or ", ".join(str(f) for f in folders)
        raise TraceError(str(where), f"job source 'gaia': {FILES['gaia']} not found")
    max_gpus = min(1024, max(s.gpus for s in scenario.sites))
    jobs = training_jobs(load_gaia_jobs(path=path), min_gpus=min(8, max_gpus),
                         max_gpus=max_gpus, usd_per_gpu_hour=scenario.jobs.value_usd_per_gpu_hour)
    jobs["job_id"] = jobs["job_id"].str.removeprefix("gaia-").astype("int64") - 1
    jobs["home_site"] = None
    return _frame(jobs[list(JOB_COLUMNS)])


def _csv(scenario: Scenario, source: JobSource, start: pd.Timestamp) -> pd.DataFrame:
    path = Path(str(source.path))
    if not path.is_file():
        raise TraceError(str(path), "job file not found (inputs.jobs)")
    raw = read_raw(path, ["gpus", "duration_h"])
    name = path.name
    if "submit_time" in raw:
        text = raw["submit_time"].astype(str).str.strip()
        naive = ~text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
        stamps = parse_times(raw, "submit_time", name)
        stamps = stamps - pd.to_timedelta(np.where(naive, source.utc_offset_h, 0.0), unit="h")
        release = np.ceil((stamps - start).dt.total_seconds().to_numpy() / 3600)
    elif "release_hour" in raw:
        release = parse_numbers(raw, "release_hour", name, whole=True, required=True).to_numpy()
    else:
        raise TraceError(name, "needs a submit_time or a release_hour column")
    largest = max(s.gpus for s in scenario.sites)
    gpus = parse_numbers(raw, "gpus", name, Bounds(1, largest, "GPUs (largest site)"),
                         whole=True, required=True).to_numpy()
    duration = parse_numbers(raw, "duration_h", name, Bounds(1, np.inf, "h"), whole=True,
                             required=True).to_numpy()
    slack = (parse_numbers(raw, "slack_h", name, Bounds(0, np.inf, "h"), whole=True)
             .fillna(scenario.jobs.slack_h[0]).to_numpy() if "slack_h" in raw
             else np.full(len(raw), scenario.jobs.slack_h[0]))
    default_value = scenario.jobs.value_usd_per_gpu_hour * gpus * duration
    value = (parse_numbers(raw, "value_usd", name, Bounds(0, np.inf, "USD")).to_numpy()
             if "value_usd" in raw else default_value)
    value = np.where(np.isnan(value), default_value, value)
    home = raw["home_site"].astype(str).str.strip() if "home_site" in raw else None
    sites = {s.name for s in scenario.sites}
    if home is not None:
        bad = ~(home.isin(sites) | (home == ""))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise TraceError(name, f"unknown site {home.iloc[i]!r}", column="home_site",
                             row=i + 1)
    return _frame({
        "job_id": np.arange(len(raw)), "release_hour": release, "gpus": gpus,
        "duration_h": duration, "deadline_hour": release + duration + slack,
        "value_usd": value,
        "home_site": [None if home is None or h == "" else h for h in
                      (home if home is not None else [""] * len(raw))],
    })


def _extend(jobs: pd.DataFrame, how: str, hours: int, rng: np.random.Generator
            ) -> tuple[pd.DataFrame, int]:
    """``jobs`` tiled over ``hours`` by ``how``; returns the jobs and the period in hours."""
    if jobs.empty:
        return jobs, 0
    first, last = int(jobs["release_hour"].min()), int(jobs["release_hour"].max())
    period = WEEK_H * max(1, int(np.ceil((last - max(first, 0)) / WEEK_H)))
    if how == "none":
        return jobs, period
    base, n, weeks = max(first, 0), len(jobs), period // WEEK_H
    step = period if how == "repeat" else WEEK_H
    copies, k = [jobs], 1 if how == "repeat" else weeks
    while base + k * step < hours:
        part, shift = jobs, k * step
        if how == "resample":
            week = int(rng.integers(weeks))
            lo = base + week * WEEK_H
            part = jobs[(jobs["release_hour"] >= lo) & (jobs["release_hour"] < lo + WEEK_H)]
            shift = (k - week) * WEEK_H
        copies.append(part.assign(job_id=part["job_id"] + k * n,
                                  release_hour=part["release_hour"] + shift,
                                  deadline_hour=part["deadline_hour"] + shift))
        k += 1
    return pd.concat(copies, ignore_index=True), period


def scenario_jobs(
    scenario: Scenario,
    index: pd.DatetimeIndex,
    folders: Sequence[Path],
    default: Sequence[JobSource],
) -> tuple[pd.DataFrame, dict[str, object]]:
    """The run's jobs (release hours from the run start) and notes on every source.

    ``index`` is the traces' index (history + run); ``default`` the route's sources when
    ``inputs.jobs`` is not set.
    """
    start = index[scenario.traces.history_hours]
    explicit = _frame([[getattr(j, c) for c in JOB_COLUMNS] for j in scenario.jobs.jobs])
    sources = scenario.inputs.jobs if scenario.inputs.jobs is not None else default
    frames = [explicit]
    notes: dict[str, object] = {"explicit": len(explicit)}
    source_notes: list[dict[str, object]] = []
    next_id = max((j.job_id for j in scenario.jobs.jobs), default=-1) + 1
    for i, source in enumerate(sources):
        if source.kind == "gaia":
            jobs = _gaia(scenario, source, folders)
        elif source.kind == "csv":
            jobs = _csv(scenario, source, start)
        else:
            jobs = stream_jobs(scenario)
            jobs = jobs[~jobs["job_id"].isin(explicit["job_id"])].reset_index(drop=True)
            jobs = jobs.assign(job_id=np.arange(len(jobs)))
        rng = np.random.default_rng([scenario.seed, 4, i])
        extended, period = _extend(jobs, source.extend, scenario.hours, rng)
        extended = extended.assign(job_id=extended["job_id"] + next_id)
        keep = (extended["release_hour"] >= 0) & (extended["release_hour"] < scenario.hours)
        note: dict[str, object] = {
            "kind": source.kind, "path": source.path, "extend": source.extend,
            "trace_jobs": len(jobs), "period_h": period, "kept": int(keep.sum()),
            "dropped_before_start": int((extended["release_hour"] < 0).sum()),
            "dropped_after_run_end": int((extended["release_hour"] >= scenario.hours).sum()),
            "job_id_offset": next_id}
        if source.extend == "none" and len(jobs):
            last = int(jobs["release_hour"].max())
            note["uncovered_after_hour"] = last if last < scenario.hours - 1 else None
        source_notes.append(note)
        next_id = int(extended["job_id"].max()) + 1 if len(extended) else next_id
        frames.append(extended[keep])
    notes["sources"] = source_notes
    jobs = pd.concat([f for f in frames if len(f)] or [explicit], ignore_index=True)
    jobs = _frame(jobs).sort_values(["release_hour", "job_id"], kind="stable")
    return jobs.reset_index(drop=True), notes
