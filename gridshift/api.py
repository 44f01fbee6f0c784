"""The Python API: the CLI is a thin layer over these functions.

>>> from gridshift import load_scenario, simulate
>>> result = simulate(load_scenario("paper-3site"), "greedy")
>>> result.kpis["total_benefit_usd"]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.kpis import compute_kpis
from analysis.results import git_commit, package_versions, to_jsonable, write_run
from policies.base import Policy
from policies.registry import make_policy, needs_perfect_foresight
from simulator.engine import RunResult, Simulation
from simulator.invariants import assert_invariants
from simulator.scenario import Scenario, load_scenario
from simulator.system import build_system
from traces.errors import ScenarioError
from traces.forecast import ForecastProvider, methods_from_config, settings_from_config
from traces.traceset import TraceSet

DEFAULT_RESULTS_DIR = Path("results")


@dataclass
class Run:
    """A finished run: the books, its KPIs, its metadata and (once written) its folder."""

    result: RunResult
    kpis: dict[str, Any]
    meta: dict[str, Any]
    folder: Path | None = None


def build_traces(scenario: Scenario, data_dir: str | Path | None = None) -> TraceSet:
    """Realized traces for a scenario: synthetic, from a trace folder, or the real 2022 data."""
    traces = _build_traces(scenario, data_dir)
    traces.notes["scenario_digest"] = _scenario_digest(scenario)
    return traces


def _scenario_digest(scenario: Scenario) -> str:
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _build_traces(scenario: Scenario, data_dir: str | Path | None) -> TraceSet:
    kind = scenario.traces.kind
    if kind == "synthetic":
        from traces.synthetic import generate

        return generate(scenario)
    if kind == "files":
        from traces.files import load_traceset

        traces = load_traceset(
            scenario.traces.path, tuple(s.name for s in scenario.sites),
            tuple(r.name for r in scenario.regions), tuple(c.name for c in scenario.classes),
            scenario.traces.history_hours, scenario.traces.fill)
        if traces.run_hours < scenario.hours:
            raise ScenarioError(f"scenario '{scenario.name}': hours {scenario.hours} exceeds the "
                                f"{traces.run_hours} run hours in {scenario.traces.path}")
        return traces.truncated(scenario.hours)
    from traces.real.scenario import real_traces

    return real_traces(scenario, data_dir)


def scenario_key(scenario: Scenario, policy: str, policy_options: dict[str, Any] | None,
                 traces_digest: str | None = None) -> str:
    """Short hash of everything that defines a run: scenario, policy and its options, package
    version, and the traces' digest when they did not come from the scenario itself."""
    payload = {
        "scenario": scenario.model_dump(mode="json"),
        "policy": policy,
        "options": policy_options or {},
        "version": package_versions().get("gridshift"),
    }
    if traces_digest is not None:
        payload["traces"] = traces_digest
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _public_settings(policy: Policy) -> dict[str, Any]:
    """A policy object's public plain settings (for its run key)."""
    return {k: v for k, v in sorted(vars(policy).items())
            if not k.startswith("_") and isinstance(v, int | float | str | bool | None)}


def simulate(
    scenario: Scenario | str | Path,
    policy: str | Policy = "greedy",
    *,
    seed: int | None = None,
    traces: TraceSet | None = None,
    policy_options: dict[str, Any] | None = None,
    forecast: str | None = None,
    data_dir: str | Path | None = None,
    check: bool = True,
    progress: bool = False,
) -> Run:
    """Simulate one policy on one scenario; ``check`` runs the invariant checker."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if seed is not None and seed != scenario.seed:
        scenario = scenario.with_updates({"seed": seed})
    if forecast is not None:
        scenario = scenario.with_updates({"forecast.method": forecast})
    policy_name = policy if isinstance(policy, str) else policy.name
    if isinstance(policy, str):
        policy_obj = make_policy(policy, **(policy_options or {}))
    else:
        policy_obj = policy
        policy_options = {**_public_settings(policy), **(policy_options or {})}
    tic = time.perf_counter()
    traces = traces if traces is not None else build_traces(scenario, data_dir)
    own_traces = traces.notes.get("scenario_digest") == _scenario_digest(scenario)
    system = build_system(scenario)
    foresight = needs_perfect_foresight(policy_name) or \
        bool(getattr(policy_obj, "perfect_foresight", False))
    if foresight:
        methods = {"*": "perfect"}
    else:
        try:
            methods = methods_from_config(scenario.forecast.method, scenario.forecast.per_signal,
                                          scenario.forecast.correction)
        except ValueError as err:
            raise ScenarioError(f"scenario '{scenario.name}': forecast: {err}") from None
    try:
        provider = ForecastProvider(traces, methods, seed=scenario.seed,
                                    settings=settings_from_config(
                                        scenario.forecast, [s.zone for s in scenario.sites]))
    except ValueError as err:
        raise ScenarioError(f"scenario '{scenario.name}': forecast: {err}") from None
    result = Simulation(system, traces, policy_obj, provider, progress=progress,
                        foresee_jobs=foresight).run()
    if check:
        assert_invariants(result)
    kpis = compute_kpis(result)
    meta = {
        "scenario": scenario.model_dump(mode="json"),
        "scenario_name": scenario.name,
        "seed": scenario.seed,
        "policy": policy_name,
        "policy_options": policy_options or {},
        "forecast": methods,
        "key": scenario_key(scenario, policy_name, policy_options,
                            None if own_traces else traces.digest()),
        "versions": package_versions(),
        "git_commit": git_commit(),
        "wall_s": time.perf_counter() - tic,
        "simulate_s": result.meta["wall_s"],
        "traces": {"digest": traces.digest(), **to_jsonable(traces.notes)},
        "invariants_checked": check,
    }
    result.meta.update(meta)
    return Run(result=result, kpis=kpis, meta=meta)


def run(
    scenario: Scenario | str | Path,
    policy: str = "greedy",
    *,
    out_dir: str | Path = DEFAULT_RESULTS_DIR,
    **kwargs: Any,
) -> Run:
    """Simulate and write the run folder ``out_dir/<scenario>-<policy>-s<seed>-<key>``."""
    done = simulate(scenario, policy, **kwargs)
    name = f"{done.meta['scenario_name']}-{done.meta['policy']}-s{done.meta['seed']}-" \
           f"{done.meta['key']}"
    done.folder = write_run(done.result, Path(out_dir) / name, done.kpis, done.meta)
    return done


def compare(
    scenario: Scenario | str | Path,
    policies: list[str],
    *,
    seed: int | None = None,
    out_dir: str | Path | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Run several policies on the same scenario and traces; one row of KPIs per policy."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if seed is not None:
        scenario = scenario.with_updates({"seed": seed})
    traces = build_traces(scenario, kwargs.pop("data_dir", None))
    rows = []
    for name in policies:
        if out_dir is None:
            done = simulate(scenario, name, traces=traces, **kwargs)
        else:
            done = run(scenario, name, traces=traces, out_dir=out_dir, **kwargs)
        rows.append({"policy": name, **done.kpis})
    return pd.DataFrame(rows).set_index("policy")
