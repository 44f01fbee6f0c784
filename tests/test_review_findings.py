"""Regression tests for bugs found in review. Each test fails on the code as reviewed and
passes once the bug it names is fixed."""

from __future__ import annotations

import os
import stat

import numpy as np
import pandas as pd
import pytest

import analysis.results as results
from gridshift.api import run as api_run
from gridshift.api import simulate
from policies.base import Decision
from policies.greedy import GreedyPolicy
from simulator.errors import TraceError
from simulator.invariants import check_invariants
from simulator.scenario import parse_scenario
from tests.conftest import constant_traces, one_site, tiny_dict
from tests.helpers import ScriptedPolicy
from traces.files import load_traceset, write_traceset
from traces.synthetic import generate
from traces.traceset import TraceSet


# ---- small builders ------------------------------------------------------------------------
def _trace_folder(tmp_path):
    jobs = [{"job_id": 0, "release_hour": 1, "gpus": 4, "duration_h": 2, "deadline_hour": 7,
             "value_usd": 100.0}]
    scenario = one_site(hours=8, jobs=jobs)
    traces = constant_traces(scenario)
    folder = write_traceset(traces, tmp_path / "traces")
    return scenario, traces, folder


def _load(traces, folder):
    return load_traceset(folder, traces.sites, traces.regions, traces.classes,
                         traces.history_hours)


def _reaches_rows(array: np.ndarray, rows: int) -> bool:
    """True if ``array`` or any array it is a view of has more than ``rows`` rows."""
    a = array
    while isinstance(a, np.ndarray):
        if a.ndim and a.shape[0] > rows:
            return True
        a = a.base
    return False


# ---- traces/files.py: a malformed jobs table loads silently wrong ---------------------------
@pytest.mark.parametrize("column,value", [
    ("value_usd", ""),         # NaN value: the hour's whole benefit vanishes from the KPIs
    ("value_usd", "-100"),     # Scenario.Job refuses negative values; the loader does not
    ("duration_h", "0"),       # zero-length job: value booked at ledger row end-1 = -1
    ("gpus", "0"),
    ("gpus", "-4"),            # negative GPUs hand out more free GPUs than the site has
])
def test_jobs_file_refuses_values_the_scenario_model_refuses(tmp_path, column, value) -> None:
    _, traces, folder = _trace_folder(tmp_path)
    jobs = pd.read_csv(folder / "jobs.csv", dtype=str, keep_default_na=False)
    jobs.loc[0, column] = value
    jobs.to_csv(folder / "jobs.csv", index=False)
    with pytest.raises(TraceError):
        _load(traces, folder)


def test_sites_file_refuses_temperature_in_kelvin(tmp_path) -> None:
    _, traces, folder = _trace_folder(tmp_path)
    sites = pd.read_csv(folder / "sites.csv", dtype=str, keep_default_na=False)
    sites["temperature_c"] = "288.15"  # 15 degC written in kelvin: PUE silently at its max
    sites.to_csv(folder / "sites.csv", index=False)
    with pytest.raises(TraceError, match="temperature_c"):
        _load(traces, folder)


def test_bad_number_error_names_the_file_row_when_other_sites_precede(tmp_path) -> None:
    _, traces, folder = _trace_folder(tmp_path)
    sites = pd.read_csv(folder / "sites.csv", dtype=str, keep_default_na=False)
    other = sites.copy()
    other["site"] = "ignored"
    bad = sites.copy()
    bad.loc[2, "buy_price_usd_per_mwh"] = "oops"
    pd.concat([other, bad]).to_csv(folder / "sites.csv", index=False)
    with pytest.raises(TraceError) as err:
        _load(traces, folder)
    file_row = len(other) + 3  # 1-based data row, header not counted
    assert f"row {file_row}" in str(err.value), str(err.value)


# ---- simulator/invariants.py: NaN passes every check ----------------------------------------
def test_invariants_flag_nan_in_the_books() -> None:
    scenario = one_site(hours=6)
    result = simulate(scenario, "fifo", traces=constant_traces(scenario)).result
    assert check_invariants(result) == []
    result.ledger.loc[0, "import_mw"] = np.nan  # energy balance can no longer close
    assert check_invariants(result) != []


# ---- no-peek: a history view carries the whole realized series -----------------------------
def test_observation_history_does_not_expose_the_future() -> None:
    scenario = one_site(hours=4)
    traces = constant_traces(scenario)
    leaks = []

    def script(obs):
        h = obs.history("carbon")
        leaks.append(_reaches_rows(h, len(h)))
        return Decision()

    simulate(scenario, ScriptedPolicy(script), traces=traces)
    assert not any(leaks), "obs.history(...).base is the full trace, future rows included"


def test_forecaster_history_does_not_expose_the_future(monkeypatch) -> None:
    from traces import forecast as fc

    seen = []

    class Spy(fc.Forecaster):
        name = "spy"

        def issue(self, history, row, horizon):
            seen.append(_reaches_rows(history, row))
            return np.repeat(history[-1:], horizon, axis=0)

    monkeypatch.setitem(fc.FORECASTERS, "persistence", lambda *args, **kwargs: Spy())
    traces = constant_traces(one_site(hours=4))
    provider = fc.ForecastProvider(traces, {"*": "persistence"})
    provider.forecast("carbon", 2, 3)
    assert seen and not any(seen), "a forecaster's history.base holds rows at/after its issue"


# ---- policies/greedy.py: start tolerance has the wrong sign for negative costs -------------
def test_greedy_starts_now_when_now_is_cheapest_at_negative_prices() -> None:
    jobs = [{"job_id": 0, "release_hour": 0, "gpus": 4, "duration_h": 2, "deadline_hour": 10,
             "value_usd": 10.0}]
    scenario = one_site(hours=12, jobs=jobs)
    flat_negative = constant_traces(scenario, buy_price=-100.0, sell_price=-100.0, carbon=0.0)
    jobs_out = simulate(scenario, GreedyPolicy(), traces=flat_negative).result.jobs
    # Every start is equally cheap, so "now is within 3 % of the cheapest" holds at hour 0.
    assert jobs_out.loc[0, "start_hour"] == 0


# ---- simulator/engine.py: job whose deadline is the run end is not expired -----------------
def test_job_with_deadline_at_run_end_is_expired_not_pending() -> None:
    jobs = [{"job_id": 0, "release_hour": 0, "gpus": 4, "duration_h": 2, "deadline_hour": 6,
             "value_usd": 10.0}]
    scenario = one_site(hours=6, jobs=jobs)
    out = simulate(scenario, ScriptedPolicy(lambda obs: Decision()),
                   traces=constant_traces(scenario)).result.jobs
    # Same rule the engine applies every hour: deadline_hour <= t -> expired (here t = 6).
    assert out.loc[0, "status"] == "expired"


# ---- analysis/results.py: the "atomic" write -------------------------------------------------
@pytest.fixture
def finished_run():
    scenario = one_site(hours=3)
    return simulate(scenario, "fifo", traces=constant_traces(scenario))


def test_write_run_keeps_the_previous_run_if_the_rename_fails(tmp_path, monkeypatch,
                                                               finished_run) -> None:
    done = finished_run
    folder = results.write_run(done.result, tmp_path / "run", done.kpis, done.meta)
    real_replace = os.replace
    calls = {"n": 0}

    def failing_replace(src, dst):
        if os.fspath(dst) == os.fspath(folder) and calls["n"] == 0:
            calls["n"] += 1
            raise OSError("simulated crash at the rename")
        return real_replace(src, dst)

    monkeypatch.setattr(results.os, "replace", failing_replace)
    with pytest.raises(OSError):
        results.write_run(done.result, folder, done.kpis, done.meta)
    assert (folder / "kpis.json").exists(), "the finished run was deleted before the rename"


def test_write_run_folder_has_normal_permissions(tmp_path, finished_run) -> None:
    done = finished_run
    folder = results.write_run(done.result, tmp_path / "run", done.kpis, done.meta)
    plain = tmp_path / "plain"
    plain.mkdir()
    assert stat.S_IMODE(folder.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


def test_write_run_keeps_the_routing_table(tmp_path, finished_run) -> None:
    done = finished_run
    folder = results.write_run(done.result, tmp_path / "run", done.kpis, done.meta)
    back = results.read_run(folder)
    assert "routing" in back, "run folders drop RunResult.routing; reloaded books skip checks"


# ---- gridshift/api.py: run key ignores a policy object's configuration -----------------------
def test_differently_configured_policy_objects_get_different_run_folders(tmp_path) -> None:
    scenario = one_site(hours=4)
    traces = constant_traces(scenario)
    a = api_run(scenario, GreedyPolicy(shadow_carbon_usd_per_t=0.0), traces=traces,
                out_dir=tmp_path)
    b = api_run(scenario, GreedyPolicy(shadow_carbon_usd_per_t=1000.0, start_tolerance=0.5),
                traces=traces, out_dir=tmp_path)
    assert a.folder != b.folder, "second run silently replaced the first run's folder"


def test_greedy_does_not_wait_for_a_site_too_small_to_ever_host_the_job() -> None:
    jobs = [{"job_id": 0, "release_hour": 0, "gpus": 16, "duration_h": 2, "deadline_hour": 10,
             "value_usd": 10.0}]
    data = tiny_dict(hours=12)
    site = {"zone": "GB", "latitude": 51.5, "longitude": 0.0, "idle_kw_per_gpu": 0.2,
            "busy_kw_per_gpu": 1.0, "pue": {"base": 1.2, "slope_per_c": 0.0, "max": 1.2},
            "import_cap_mw": 1.0}
    data["sites"] = [{"name": "big", "gpus": 64, **site}, {"name": "small", "gpus": 8, **site}]
    data["regions"] = [{"name": "r", "latitude": 51.5, "longitude": 0.0,
                        "requests_per_hour": 3600}]
    data["classes"] = [{"name": "c", "slo_ms": 50, "gpu_seconds_per_request": 1.0,
                        "revenue_usd_per_request": 0.01, "share": 1.0}]
    data["jobs"] = {"jobs": jobs}
    data["traces"] = {"history_hours": 24}
    scenario = parse_scenario(data)
    base = generate(scenario)
    n = len(base.index)
    signals = {"buy_price": [100.0, 50.0], "sell_price": [40.0, 40.0], "carbon": [0.0, 0.0],
               "pv_cf": [0.0, 0.0], "wind_cf": [0.0, 0.0], "temperature": [15.0, 15.0]}
    traces = TraceSet(index=base.index, history_hours=base.history_hours, sites=base.sites,
                      regions=base.regions, classes=base.classes,
                      site_signals={k: np.tile(v, (n, 1)) for k, v in signals.items()},
                      demand=np.full((n, 1, 1), 3600.0), jobs=base.jobs, notes={})
    out = simulate(scenario, GreedyPolicy(), traces=traces).result.jobs
    # Prices are flat: only "small" (8 GPUs < 16) is cheaper, and it can never host the job,
    # so nothing better is coming; greedy should start at hour 0, not at its latest start (8).
    assert out.loc[0, "start_hour"] == 0
