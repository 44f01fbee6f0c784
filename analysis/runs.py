"""One run of one policy on one scenario: build the traces, simulate, check the books, score.

This is the core that the Python API (:mod:`gridshift.api`), comparisons, sweeps and the
forecast evaluation share; it lives in the analysis layer so that they all import it downwards.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.catalogue import format_value
from analysis.kpis import compute_kpis
from analysis.results import git_commit, package_versions, to_jsonable
from analysis.site_kpis import site_kpis
from policies.registry import make_policy, needs_perfect_foresight
from simulator.contracts import Policy
from simulator.engine import RunResult, Simulation
from simulator.errors import GridShiftError, PolicyError, RunFailedError, ScenarioError
from simulator.invariants import assert_invariants
from simulator.scenario import Scenario, load_scenario
from simulator.system import build_system
from simulator.traceset import TraceSet
from traces.finish import finish_traces
from traces.forecast import scenario_forecasts


@dataclass
class Run:
    """A finished run: the books, its KPIs, its metadata and (once written) its folder."""

    result: RunResult
    kpis: dict[str, Any]
    meta: dict[str, Any]
    folder: Path | None = None

    def __repr__(self) -> str:
        k, m = self.kpis, self.meta
        where = f", folder='{self.folder}'" if self.folder is not None else ""
        return (f"Run(scenario={m.get('scenario_name')!r}, policy={m.get('policy')!r}, "
                f"seed={m.get('seed')}, hours={len(self.result.ledger['hour'].unique())}, "
                f"benefit={format_value('total_benefit_usd', k.get('total_benefit_usd'))} USD, "
                f"emissions={format_value('emissions_t', k.get('emissions_t'))} tCO2{where})")


def build_traces(scenario: Scenario, data_dir: str | Path | None = None) -> TraceSet:
    """Realized traces for a scenario: synthetic, from a trace folder, or the real 2022 data."""
    traces = finish_traces(scenario, _build_traces(scenario, data_dir), data_dir)
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
        from traces.files import scenario_traceset

        return scenario_traceset(scenario)
    from traces.replay import real_traces

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
    """Simulate one policy on one scenario; ``check`` runs the invariant checker. Bad input
    raises a :class:`~simulator.errors.GridShiftError` subclass naming the field; a run that
    fails for any other reason raises RunFailedError with the original as its cause."""
    scenario = as_scenario(scenario)
    if seed is not None and seed != scenario.seed:
        scenario = scenario.with_updates({"seed": checked_seed(seed)})
    if forecast is not None:
        scenario = scenario.with_updates({"forecast.method": forecast})
    if policy_options is not None and not isinstance(policy_options, dict):
        raise PolicyError(f"policy_options: expected a dict of option -> value, got "
                          f"{type(policy_options).__name__}")
    if isinstance(policy, str):
        policy_name, policy_obj = policy, make_policy(policy, **(policy_options or {}))
    elif callable(getattr(policy, "decide", None)) and isinstance(getattr(policy, "name", None),
                                                                  str):
        policy_name, policy_obj = policy.name, policy
        policy_options = {**_public_settings(policy), **(policy_options or {})}
    else:
        raise PolicyError(f"policy: expected a policy name or a policy object, got "
                          f"{type(policy).__name__}")
    tic = time.perf_counter()
    if traces is None:
        traces = build_traces(scenario, data_dir)
    else:
        _check_traces(scenario, traces)
    own_traces = traces.notes.get("scenario_digest") == _scenario_digest(scenario)
    system = build_system(scenario)
    foresight = needs_perfect_foresight(policy_name) or \
        bool(getattr(policy_obj, "perfect_foresight", False))
    provider, methods = scenario_forecasts(scenario, traces, foresight)
    try:
        result = Simulation(system, traces, policy_obj, provider, progress=progress,
                            foresee_jobs=foresight).run()
    except GridShiftError:
        raise
    except Exception as err:  # a bug or a policy's own failure: one line, cause kept
        raise RunFailedError(f"scenario '{scenario.name}', policy '{policy_name}': the run "
                             f"failed: {type(err).__name__}: {err}".splitlines()[0]) from err
    if check:
        assert_invariants(result)
    kpis = {**compute_kpis(result),
            **site_kpis(result, {s.name: s.zone for s in scenario.sites})}
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



def as_scenario(scenario: Any) -> Scenario:
    """A Scenario from a Scenario, a built-in name or a file path (ScenarioError otherwise)."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | Path):
        return load_scenario(scenario)
    raise ScenarioError(f"scenario: expected a Scenario, a built-in name or a file path, got "
                        f"{type(scenario).__name__}")


def checked_seed(seed: Any) -> int:
    """``seed`` if it is a whole number >= 0 (ScenarioError otherwise)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ScenarioError(f"seed: expected a whole number >= 0, got {seed!r}")
    return seed


def _check_traces(scenario: Scenario, traces: Any) -> None:
    """Given traces must be a TraceSet for this scenario's sites, regions, classes and hours."""
    if not isinstance(traces, TraceSet):
        raise ScenarioError(f"traces: expected a TraceSet, got {type(traces).__name__}")
    for what, ours, theirs in (("sites", [s.name for s in scenario.sites], traces.sites),
                               ("regions", [r.name for r in scenario.regions], traces.regions),
                               ("classes", [c.name for c in scenario.classes], traces.classes)):
        if list(theirs) != ours:
            raise ScenarioError(f"traces: {what} {list(theirs)} differ from the scenario's "
                                f"{ours}")
    if traces.run_hours < scenario.hours:
        raise ScenarioError(f"traces: {traces.run_hours} run hours, the scenario needs "
                            f"{scenario.hours}")
