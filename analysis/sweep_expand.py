"""Sweep expansion: a spec becomes the ordered list of independent runs (RunTask).

Axes and points are dotted scenario paths (``*`` = every list item where the rest is set;
``n_sites`` keeps the first N sites); every point is validated as a scenario here, and
every policy and policy option is checked, before any run starts.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.results import to_jsonable
from analysis.runs import scenario_key
from analysis.sweep_spec import SweepSpec, _where
from policies.registry import check_policy
from simulator.errors import GridShiftError, SweepSpecError
from simulator.scenario import Scenario, load_scenario
from traces.files import scenario_traceset


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


def _resolve_scenario(spec: SweepSpec, base_dir: Path | None, source: str) -> Scenario:
    candidate = (base_dir / spec.scenario) if base_dir is not None else None
    target = candidate if candidate is not None and candidate.is_file() else spec.scenario
    try:
        return load_scenario(target)
    except GridShiftError as err:
        raise SweepSpecError(f"{_where(source)}: scenario: {err}") from None


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
        raise SweepSpecError(f"{_where(source)}: {where}: {err}") from None
    try:
        return base.with_updates(updates)
    except GridShiftError as err:
        raise SweepSpecError(f"{_where(source)}: {where}: {err}") from None


def check_policies(spec: SweepSpec, source: str) -> None:
    """Fail fast, in one line, on an unknown policy or an option its constructor refuses."""
    for name in spec.policies:
        options = dict(spec.policy_options.get(name, {}))
        try:
            check_policy(name, options)
        except GridShiftError as err:
            hint = "" if options else "; choose others with --policies"
            raise SweepSpecError(f"{_where(source)}: policies: {err}{hint}") from None


def _with_seed(scenario: Scenario, seed: int, source: str) -> Scenario:
    if seed == scenario.seed:
        return scenario
    try:
        return scenario.with_updates({"seed": seed})
    except GridShiftError as err:
        raise SweepSpecError(f"{_where(source)}: seeds: {seed}: {err}") from None


def expand(spec: SweepSpec, base_dir: str | Path | None = None, *, source: str | None = None,
           data_dir: str | Path | None = None) -> list[RunTask]:
    """Every run of the sweep in a fixed order: point, then policy, then seed.

    ``base_dir`` is where a relative scenario path is looked up (the spec file's folder).
    Raises SweepSpecError naming the field for unknown policies, bad paths or invalid values.
    """
    source = source or spec.name
    check_policies(spec, source)
    base = _resolve_scenario(spec, Path(base_dir) if base_dir is not None else None, source)
    fixed = dict(spec.set)
    if spec.forecast is not None:
        fixed["forecast.method"] = spec.forecast
    if fixed:
        base = _variant(spec, base, "set", fixed, source, by_path=True)
    if base.traces.kind == "files":  # a bad trace folder would fail every run: say it once
        try:
            scenario_traceset(base)
        except GridShiftError as err:
            raise SweepSpecError(f"{_where(source)}: scenario traces: {err}") from None
    seeds = spec.seed_list(base.seed)
    tasks: list[RunTask] = []
    seen: dict[str, str] = {}
    for index, (where, point) in enumerate(_points(spec)):
        variant = _variant(spec, base, where, point, source, by_path=spec.mode == "points")
        params = {name: to_jsonable(value) for name, value in point.items()}
        for policy in spec.policies:
            options = dict(spec.policy_options.get(policy, {}))
            for seed in seeds:
                scenario = _with_seed(variant, seed, source)
                key = scenario_key(scenario, policy, options)
                label = f"{where}, policy {policy}, seed {seed}"
                if key in seen:
                    raise SweepSpecError(f"{_where(source)}: {label} is the same run as "
                                     f"{seen[key]}; remove the duplicate value")
                seen[key] = label
                tasks.append(RunTask(
                    key=key, point=index, params=params, policy=policy, seed=seed,
                    scenario=scenario.model_dump(mode="json"), policy_options=options,
                    check=spec.check, save_books=spec.save_runs,
                    data_dir=None if data_dir is None else str(data_dir)))
    return tasks
