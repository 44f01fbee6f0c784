"""Sensitivity sweeps: a spec file expands into independent runs that resume after a crash.

A spec (TOML or YAML) names a base scenario, axes over any scenario field by its dotted path,
policies and seeds, as a grid (every combination of the axes) or a list of points::

    name = "battery-paper3site"
    scenario = "paper-3site"          # built-in name, or a path relative to the spec file
    policies = ["fifo", "greedy"]
    seeds = { start = 0, stop = 4 }   # or a list; default: the scenario's own seed
    [set]                             # fixed changes to the base scenario
    hours = 24
    [axes]
    "economics.carbon_price_usd_per_t" = [0, 50, 100]   # a list of values
    "sites.0.pv_mw" = { start = 0.0, stop = 2.0, step = 0.5 }   # an inclusive range
    [axes.battery]                    # a named axis that scales several fields at once
    paths = ["sites.*.battery.energy_mwh", "sites.*.battery.power_mw"]
    scale = [0, 0.5, 1, 2]

``*`` in a path matches every list item where the rest of the path is set (sites without a
battery are skipped). The pseudo path ``n_sites`` keeps the first N sites. With
``mode = "points"``, ``points`` is a list of tables of dotted path -> value (plus an optional
``label``). A key ``[policy_options.<policy>]`` passes options to that policy's constructor.

Results layout of an output folder::

    sweep.json         the spec as run, the expansion (keys in order), the package version
    runs/<key>.json    one record per run: status ok/failed, one-line error, parameters, KPIs,
                       the full scenario, timings; written atomically, presence = finished
    books/<key>/       the run folder (ledger, inference, routing ... Parquet), if runs are saved
    results.parquet    the tidy table: one row per run, parameters joined with KPIs, by key

The key of a run hashes its full configuration (scenario after every update and the seed,
policy, policy options, GridShift version), so a restarted sweep skips finished runs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import os
import shutil
import socket
import tempfile
import time
import tomllib
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from tqdm.auto import tqdm

from analysis.executors import Executor, SerialExecutor
from analysis.results import package_versions, to_jsonable, write_run
from analysis.runs import scenario_key, simulate
from policies.registry import is_policy, policy_names
from simulator.errors import GridShiftError
from simulator.scenario import Scenario, load_scenario, parse_scenario

RECORDS_DIR = "runs"
BOOKS_DIR = "books"
TABLE_FILE = "results.parquet"
SWEEP_FILE = "sweep.json"
# Table columns that measure wall time: they differ between repeats of the same run.
TIMING_SUFFIXES = ("wall_s", "_s_median", "_s_p95")


class SweepError(GridShiftError, ValueError):
    """A sweep spec is invalid or cannot run; the message names the spec file and field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Model):
    """Evenly spaced values from ``start`` to ``stop`` inclusive: by ``step`` or ``num`` values."""

    start: float
    stop: float
    step: Annotated[float, Field(gt=0)] | None = None
    num: Annotated[int, Field(ge=2)] | None = None

    @model_validator(mode="after")
    def _one_spacing(self) -> Range:
        if (self.step is None) == (self.num is None):
            raise ValueError("give exactly one of step or num")
        if self.stop < self.start:
            raise ValueError(f"stop ({self.stop}) must be >= start ({self.start})")
        return self

    def values(self) -> list[float | int]:
        """The values, ints when start and step are whole numbers, floats rounded to 12 digits."""
        if self.num is not None:
            raw = np.linspace(self.start, self.stop, self.num)
        else:
            count = int(math.floor((self.stop - self.start) / self.step + 1e-9)) + 1
            raw = self.start + self.step * np.arange(count)
        whole = all(float(v).is_integer() for v in raw)
        return [int(round(v)) if whole else round(float(v), 12) for v in raw]


def _list_or_range(value: Any) -> str:
    return "range" if isinstance(value, dict | Range) else "list"


# A list of values or a Range table; the discriminator keeps validation errors to one branch.
Values = Annotated[Annotated[list[Any], Tag("list")] | Annotated[Range, Tag("range")],
                   Discriminator(_list_or_range)]


class Axis(_Model):
    """One sweep axis: ``values`` set, or ``scale`` multiplies, every field in ``paths``."""

    paths: Annotated[list[str], Field(min_length=1)] | None = None
    values: Values | None = None
    scale: Values | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Axis:
        if (self.values is None) == (self.scale is None):
            raise ValueError("give exactly one of values or scale")
        if not self.levels():
            raise ValueError("needs at least one value")
        return self

    def levels(self) -> list[Any]:
        """The axis values (set values, or scale factors)."""
        raw = self.values if self.values is not None else self.scale
        return raw.values() if isinstance(raw, Range) else list(raw)


class SweepSpec(_Model):
    """A sweep: base scenario, axes (grid) or points, policies and seeds."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    scenario: str = Field(description="built-in name, or a path relative to the spec file")
    policies: Annotated[list[str], Field(min_length=1)]
    seeds: Annotated[Annotated[list[int], Tag("list")] | Annotated[Range, Tag("range")],
                     Discriminator(_list_or_range)] | None = Field(
        default=None, description="scenario seeds; default: the scenario's own seed")
    mode: Literal["grid", "points"] = "grid"
    set: dict[str, Any] = Field(default={}, description="fixed dotted-path updates of the base")
    axes: dict[str, Axis] = Field(
        default={}, description="axis name or dotted path -> values list, range or Axis table")
    points: list[dict[str, Any]] = []
    policy_options: dict[str, dict[str, Any]] = {}
    forecast: str | None = Field(default=None, description="forecaster for every signal")
    check: bool = Field(default=True, description="run the invariant checker in every run")
    save_runs: bool = Field(default=False, description="also write each run's books")

    @field_validator("axes", mode="before")
    @classmethod
    def _short_axes(cls, axes: Any) -> Any:
        """``name = [values]`` and ``name = {start, stop, ...}`` are short for ``values = ``."""
        if not isinstance(axes, dict):
            return axes
        return {name: {"values": v} if isinstance(v, list | Range) or (
            isinstance(v, dict) and not {"paths", "values", "scale"} & set(v)) else v
            for name, v in axes.items()}

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        if self.mode == "grid" and self.points:
            raise ValueError("points: only with mode = 'points' (a grid uses axes)")
        if self.mode == "points" and (self.axes or not self.points):
            raise ValueError("mode 'points' needs a non-empty points list and no axes")
        if len(set(self.policies)) != len(self.policies):
            raise ValueError("policies: listed twice")
        extra = sorted(set(self.policy_options) - set(self.policies))
        if extra:
            raise ValueError(f"policy_options: {extra} not among the policies")
        return self

    def axis(self, name: str) -> Axis:
        """The axis ``name``."""
        return self.axes[name]

    def seed_list(self, default: int) -> list[int]:
        """The seeds to run; ``default`` (the scenario's seed) when none are given."""
        if self.seeds is None:
            return [default]
        seeds = self.seeds.values() if isinstance(self.seeds, Range) else list(self.seeds)
        return [int(s) for s in seeds]


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep, as shipped to a worker: everything it needs, JSON-ready."""

    key: str
    point: int
    params: dict[str, Any]
    policy: str
    seed: int
    scenario: dict[str, Any]
    policy_options: dict[str, Any] = field(default_factory=dict)
    check: bool = True
    save_books: bool = False
    data_dir: str | None = None


@dataclass
class RunOutcome:
    """What a worker sends back: the record, and the run's books when they are to be saved."""

    record: dict[str, Any]
    books: Any = None


@dataclass
class SweepResult:
    """A finished (or resumed) sweep: its tidy table and what happened to its runs."""

    table: pd.DataFrame
    out_dir: Path | None
    total: int
    ran: int
    skipped: int
    failed: int
    wall_s: float


# ---- spec files ------------------------------------------------------------------------------
def _where(source: str) -> str:
    return f"sweep '{source}'"


def parse_spec(data: dict[str, Any], source: str = "<dict>") -> SweepSpec:
    """Validate a mapping into a SweepSpec; errors become one SweepError line naming the field."""
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        msg = first["msg"].removeprefix("Value error, ")
        more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise SweepError(f"{_where(source)}: {loc}: {msg}{more}") from None


def load_spec(path: str | Path) -> SweepSpec:
    """Read a TOML or YAML sweep spec file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SweepError(f"{_where(str(path))}: cannot read: {err.strerror}") from None
    try:
        data = yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") \
            else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise SweepError(f"{_where(str(path))}: not valid {path.suffix[1:].upper()}: "
                         f"{first}") from None
    if not isinstance(data, dict):
        raise SweepError(f"{_where(str(path))}: top level must be a table of spec fields")
    return parse_spec(data, source=str(path))


# ---- expansion -------------------------------------------------------------------------------
def _resolve_scenario(spec: SweepSpec, base_dir: Path | None, source: str) -> Scenario:
    candidate = (base_dir / spec.scenario) if base_dir is not None else None
    target = candidate if candidate is not None and candidate.is_file() else spec.scenario
    try:
        return load_scenario(target)
    except GridShiftError as err:
        raise SweepError(f"{_where(source)}: scenario: {err}") from None


def _match(data: Any, keys: list[str], prefix: list[str]) -> list[str]:
    """Concrete dotted paths for ``keys`` (``*`` = every list item where the rest is set)."""
    if not keys:
        return [".".join(prefix)]
    key, rest = keys[0], keys[1:]
    if key == "*":
        if not isinstance(data, list):
            raise ValueError(f"'{'.'.join(prefix) or '(top)'}' is not a list, '*' needs one")
        out: list[str] = []
        for i, item in enumerate(data):
            try:
                out += _match(item, rest, [*prefix, str(i)])
            except ValueError:
                continue
        return out
    if isinstance(data, list) and key.isdigit() and int(key) < len(data):
        return _match(data[int(key)], rest, [*prefix, key])
    if isinstance(data, dict) and key in data and (data[key] is not None or not rest):
        return _match(data[key], rest, [*prefix, key])
    raise ValueError(f"no field '{key}' under '{'.'.join(prefix) or '(top)'}'")


def _get(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def _concrete_updates(data: dict[str, Any], path: str, value: Any,
                      factor: float | None) -> dict[str, Any]:
    """Dotted-path updates for one (possibly wildcard) path set to value or scaled by factor."""
    if path == "n_sites":
        return _n_sites_updates(data, value)
    if "*" in path.split("."):
        matched = _match(data, path.split("."), [])
        if not matched:
            raise ValueError(f"'{path}' matches no field")
    else:
        matched = [path]
    out: dict[str, Any] = {}
    for concrete in matched:
        if factor is None:
            out[concrete] = value
            continue
        try:
            base = _get(data, concrete)
        except (KeyError, IndexError, TypeError):
            raise ValueError(f"'{concrete}': no such field to scale") from None
        if not isinstance(base, int | float) or isinstance(base, bool):
            raise ValueError(f"'{concrete}' is not a number and cannot be scaled")
        out[concrete] = base * factor
    return out


def _n_sites_updates(data: dict[str, Any], value: Any) -> dict[str, Any]:
    """Keep the first ``value`` sites; drop the others from an explicit latency table."""
    if not isinstance(value, int) or isinstance(value, bool) or \
            not 1 <= value <= len(data["sites"]):
        raise ValueError(f"n_sites must be a whole number from 1 to {len(data['sites'])}, "
                         f"got {value!r}")
    sites = data["sites"][:value]
    out: dict[str, Any] = {"sites": sites}
    if data.get("latency_ms") is not None:
        kept = {s["name"] for s in sites}
        out["latency_ms"] = {r: {s: v for s, v in row.items() if s in kept}
                             for r, row in data["latency_ms"].items()}
    return out


def _points(spec: SweepSpec) -> list[tuple[str, dict[str, Any]]]:
    """(where, point) pairs: axis name -> level (grid) or path -> value (points)."""
    if spec.mode == "points":
        return [(f"points.{i}", dict(p)) for i, p in enumerate(spec.points)]
    names = list(spec.axes)
    levels = [spec.axis(n).levels() for n in names]
    return [(", ".join(f"axes.{n}={v!r}" for n, v in zip(names, combo, strict=True)) or "base",
             dict(zip(names, combo, strict=True)))
            for combo in itertools.product(*levels)]


def _variant(spec: SweepSpec, base: Scenario, where: str, point: dict[str, Any], source: str,
             *, by_path: bool) -> Scenario:
    """The base scenario with one point's updates applied (validated).

    ``by_path``: the point maps dotted paths to values (``set``, points); else axis names to
    levels.
    """
    data = base.model_dump(mode="python")
    updates: dict[str, Any] = {}
    try:
        # n_sites first: later paths (and their '*') then address the sites that remain.
        for name, level in sorted(point.items(), key=lambda item: item[0] != "n_sites"):
            if by_path:
                if name == "label":
                    continue
                updates.update(_concrete_updates(data, name, level, None))
                continue
            axis = spec.axis(name)
            factor = None if axis.values is not None else float(level)
            for path in axis.paths or [name]:
                updates.update(_concrete_updates(data, path, level, factor))
            if name == "n_sites":
                data = {**data, **updates}
    except ValueError as err:
        raise SweepError(f"{_where(source)}: {where}: {err}") from None
    try:
        return base.with_updates(updates)
    except GridShiftError as err:
        raise SweepError(f"{_where(source)}: {where}: {err}") from None


def check_policies(names: Sequence[str], source: str) -> None:
    """Fail fast, in one line, if a policy name is not registered."""
    known = policy_names()
    missing = [p for p in names if not is_policy(p)]
    if missing:
        raise SweepError(f"{_where(source)}: policies: unknown {', '.join(map(repr, missing))} "
                         f"(known: {', '.join(known)}); choose others with --policies")


def expand(spec: SweepSpec, base_dir: str | Path | None = None, *, source: str | None = None,
           data_dir: str | Path | None = None) -> list[RunTask]:
    """Every run of the sweep in a fixed order: point, then policy, then seed.

    ``base_dir`` is where a relative scenario path is looked up (the spec file's folder).
    Raises SweepError naming the field for unknown policies, bad paths or invalid values.
    """
    source = source or spec.name
    check_policies(spec.policies, source)
    base = _resolve_scenario(spec, Path(base_dir) if base_dir is not None else None, source)
    fixed = dict(spec.set)
    if spec.forecast is not None:
        fixed["forecast.method"] = spec.forecast
    if fixed:
        base = _variant(spec, base, "set", fixed, source, by_path=True)
    seeds = spec.seed_list(base.seed)
    tasks: list[RunTask] = []
    seen: dict[str, str] = {}
    for index, (where, point) in enumerate(_points(spec)):
        variant = _variant(spec, base, where, point, source, by_path=spec.mode == "points")
        params = {name: to_jsonable(value) for name, value in point.items()}
        for policy in spec.policies:
            options = dict(spec.policy_options.get(policy, {}))
            for seed in seeds:
                scenario = variant.with_updates({"seed": seed}) if seed != variant.seed \
                    else variant
                key = scenario_key(scenario, policy, options)
                label = f"{where}, policy {policy}, seed {seed}"
                if key in seen:
                    raise SweepError(f"{_where(source)}: {label} is the same run as "
                                     f"{seen[key]}; remove the duplicate value")
                seen[key] = label
                tasks.append(RunTask(
                    key=key, point=index, params=params, policy=policy, seed=seed,
                    scenario=scenario.model_dump(mode="json"), policy_options=options,
                    check=spec.check, save_books=spec.save_runs,
                    data_dir=None if data_dir is None else str(data_dir)))
    return tasks


# ---- one run (in a worker) -------------------------------------------------------------------
def one_line(err: BaseException) -> str:
    """``Type: first line of the message`` (GridShift errors are one line already)."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def run_task(task: RunTask) -> RunOutcome:
    """Simulate one task; never raises: a failure becomes a record with a one-line error."""
    record: dict[str, Any] = {
        "key": task.key, "point": task.point, "params": task.params, "policy": task.policy,
        "seed": task.seed, "scenario_name": task.scenario.get("name"),
        "policy_options": task.policy_options, "started": _now(),
        "host": socket.gethostname(), "pid": os.getpid(),
    }
    tic = time.perf_counter()
    books = None
    try:
        scenario = parse_scenario(task.scenario, source=str(task.scenario.get("name")))
        done = simulate(scenario, task.policy, policy_options=task.policy_options or None,
                        data_dir=task.data_dir, check=task.check)
        record.update(status="ok", error=None, kpis=to_jsonable(done.kpis),
                      versions=done.meta["versions"], git_commit=done.meta["git_commit"],
                      traces_digest=done.meta["traces"]["digest"])
        if task.save_books:
            books = done
    except Exception as err:  # a failing run is recorded, never stops the sweep
        record.update(status="failed", error=one_line(err), kpis={},
                      versions=package_versions())
        if not isinstance(err, GridShiftError):  # an input error needs no traceback; a bug does
            record["traceback"] = traceback.format_exc(limit=-8)
    record.update(wall_s=time.perf_counter() - tic, finished=_now(), scenario=task.scenario)
    return RunOutcome(record=record, books=books)


# ---- files -----------------------------------------------------------------------------------
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
            records[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise SweepError(f"{path}: unreadable run record ({err}); delete it to re-run "
                             f"that run") from None
    return records


def _remove_partials(out_dir: Path) -> None:
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
    if path.exists():
        return pd.read_parquet(path)
    info = out_dir / SWEEP_FILE
    keys = json.loads(info.read_text())["keys"] if info.exists() else None
    records = read_records(out_dir, keys)
    if not records:
        raise SweepError(f"{out_dir}: no run records (runs/*.json) to tabulate")
    return records_table(list(records.values()))


# ---- the runner ------------------------------------------------------------------------------
def run_tasks(tasks: Sequence[RunTask], out_dir: str | Path | None = None,
              executor: Executor | None = None, *, retry_failed: bool = False,
              progress: bool = True, desc: str = "sweep",
              spec_info: dict[str, Any] | None = None) -> SweepResult:
    """Run the tasks not yet finished in ``out_dir`` and return the tidy table of all of them.

    Without ``out_dir`` nothing is written or resumed. With it, each finished run is recorded
    at once (atomically), so an interrupted call loses no finished run and a new call skips
    them; failed runs are skipped too unless ``retry_failed``.
    """
    tic = time.perf_counter()
    out = Path(out_dir) if out_dir is not None else None
    records: dict[str, dict[str, Any]] = {}
    if out is not None:
        (out / RECORDS_DIR).mkdir(parents=True, exist_ok=True)
        _remove_partials(out)
        write_json_atomic(out / SWEEP_FILE, {
            **(spec_info or {}), "version": package_versions().get("gridshift"),
            "keys": [t.key for t in tasks]})
        records = read_records(out, [t.key for t in tasks])
    pending = [t for t in tasks if _needs_run(t, records.get(t.key), out, retry_failed)]
    skipped = len(tasks) - len(pending)
    todo = {t.key for t in pending}
    failed = sum(1 for t in tasks if t.key not in todo
                 and records.get(t.key, {}).get("status") == "failed")
    bar = tqdm(total=len(tasks), initial=skipped, unit="run", desc=desc, disable=not progress,
               dynamic_ncols=True, smoothing=0.1)
    bar.set_postfix(failed=failed, refresh=False)
    executor = executor or SerialExecutor()
    try:
        for task, outcome, error in executor.map_unordered(run_task, pending):
            if outcome is None:  # the executor lost the worker: record that as the failure
                outcome = RunOutcome(record=_lost_record(task, error or "worker lost"))
            if out is not None:
                if outcome.books is not None:
                    (out / BOOKS_DIR).mkdir(exist_ok=True)
                    save_books(outcome.books, out / BOOKS_DIR / task.key)
                write_json_atomic(out / RECORDS_DIR / f"{task.key}.json", outcome.record)
            records[task.key] = outcome.record
            failed += outcome.record["status"] == "failed"
            bar.set_postfix(failed=failed, refresh=False)
            bar.update(1)
    finally:
        bar.close()
    table = records_table([records[t.key] for t in tasks if t.key in records])
    if out is not None:
        write_table(table, out / TABLE_FILE)
    return SweepResult(table=table, out_dir=out, total=len(tasks), ran=len(pending),
                       skipped=skipped, failed=failed, wall_s=time.perf_counter() - tic)


def _needs_run(task: RunTask, record: dict[str, Any] | None, out: Path | None,
               retry_failed: bool) -> bool:
    if record is None:
        return True
    if record["status"] == "failed":
        return retry_failed
    return task.save_books and out is not None and not (out / BOOKS_DIR / task.key).is_dir()


def _lost_record(task: RunTask, error: str) -> dict[str, Any]:
    return {"key": task.key, "point": task.point, "params": task.params, "policy": task.policy,
            "seed": task.seed, "scenario_name": task.scenario.get("name"), "status": "failed",
            "error": error, "kpis": {}, "wall_s": float("nan"), "finished": _now(),
            "scenario": task.scenario}


@dataclass
class SweepPlan:
    """A spec with its overrides applied, expanded into runs (nothing has run yet)."""

    spec: SweepSpec
    tasks: list[RunTask]
    source: str

    @property
    def info(self) -> dict[str, Any]:
        """What ``sweep.json`` records about the spec."""
        return {"spec": self.spec.model_dump(mode="json"), "source": self.source}


def plan_sweep(spec: SweepSpec | str | Path, *, policies: Sequence[str] | None = None,
               seeds: Sequence[int] | None = None, save_runs: bool | None = None,
               data_dir: str | Path | None = None) -> SweepPlan:
    """Load (if a file), override ``policies``/``seeds``/``save_runs`` and expand a spec.

    Every spec error, unknown policy and invalid point is raised here, before any run starts.
    """
    base_dir = None
    source = spec.name if isinstance(spec, SweepSpec) else str(spec)
    if not isinstance(spec, SweepSpec):
        base_dir = Path(spec).parent
        spec = load_spec(spec)
    updates: dict[str, Any] = {}
    if policies is not None:
        updates["policies"] = list(policies)
        updates["policy_options"] = {k: v for k, v in spec.policy_options.items()
                                     if k in policies}
    if seeds is not None:
        updates["seeds"] = list(seeds)
    if save_runs is not None:
        updates["save_runs"] = save_runs
    if updates:
        spec = parse_spec({**spec.model_dump(mode="json", exclude_unset=True), **updates},
                          source=source)
    return SweepPlan(spec, expand(spec, base_dir, source=source, data_dir=data_dir), source)


def run_sweep(spec: SweepSpec | str | Path, out_dir: str | Path | None = None,
              executor: Executor | None = None, *, policies: Sequence[str] | None = None,
              seeds: Sequence[int] | None = None, retry_failed: bool = False,
              save_runs: bool | None = None, data_dir: str | Path | None = None,
              progress: bool = True) -> SweepResult:
    """Expand a spec (object or file) and run it; ``policies``/``seeds`` override the spec's."""
    plan = plan_sweep(spec, policies=policies, seeds=seeds, save_runs=save_runs,
                      data_dir=data_dir)
    return run_tasks(plan.tasks, out_dir, executor, retry_failed=retry_failed,
                     progress=progress, desc=plan.spec.name, spec_info=plan.info)
