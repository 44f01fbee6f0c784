"""Error paths beyond the one-line corpus: the Python API's error classes, safe run folders,
meta.json round trips, custom policies in workers, failing batches and scale-aware checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.results import read_run
from gridshift import api
from policies.registry import register
from simulator.errors import (
    GridShiftError,
    InvariantError,
    OutputError,
    PolicyError,
    RunFailedError,
    ScenarioError,
    TraceError,
)
from simulator.scenario import builtin_names, load_scenario, parse_scenario
from tests.conftest import TINY, one_site, tiny_dict
from tests.test_bad_inputs import run_cli

CUSTOM = '''
from policies.fifo import FifoPolicy


class Mine(FifoPolicy):
    """FIFO under another name: a custom policy given as module:Class."""

    name = "mine"


class Broken(FifoPolicy):
    name = "broken"

    def decide(self, obs):
        return 1 / 0
'''


@pytest.fixture
def custom_module(tmp_path, monkeypatch) -> str:
    """A module ``custom_policies`` on sys.path (and PYTHONPATH, for worker processes)."""
    folder = tmp_path / "mods"
    folder.mkdir()
    (folder / "custom_policies.py").write_text(textwrap.dedent(CUSTOM))
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(folder), str(Path.cwd())]))
    return "custom_policies"


@pytest.fixture
def tiny_small():
    return parse_scenario(tiny_dict(hours=4), source="tiny")


# ---- the Python API raises documented GridShiftError subclasses ----------------------------------
API_CASES = [
    ("scenario-type", lambda sc: api.simulate(123), ScenarioError, "scenario: expected"),
    ("scenario-name", lambda sc: api.simulate("nope"), ScenarioError, "no built-in"),
    ("policy-name", lambda sc: api.simulate(sc, "nope"), PolicyError, "unknown policy 'nope'"),
    ("policy-type", lambda sc: api.simulate(sc, 42), PolicyError, "policy: expected"),
    ("policy-option", lambda sc: api.simulate(sc, "greedy", policy_options={"bogus": 1}),
     PolicyError, "policy 'greedy': options ['bogus']"),
    ("policy-options-type", lambda sc: api.simulate(sc, "fifo", policy_options="x"),
     PolicyError, "policy_options: expected a dict"),
    ("seed-negative", lambda sc: api.simulate(sc, seed=-1), ScenarioError, "seed"),
    ("seed-bool", lambda sc: api.simulate(sc, seed=True), ScenarioError, "seed"),
    ("seed-float", lambda sc: api.simulate(sc, seed=1.5), ScenarioError, "seed"),
    ("traces-type", lambda sc: api.simulate(sc, traces="x"), ScenarioError, "traces: expected"),
    ("traces-sites", lambda sc: api.simulate(sc, traces=api.build_traces(
        one_site(hours=4))), ScenarioError, "traces: sites ['a'] differ"),
    ("forecast", lambda sc: api.simulate(sc, forecast="crystal-ball"), ScenarioError,
     "forecast"),
    ("compare-policies-str", lambda sc: api.compare(sc, "fifo"), PolicyError, "policies"),
    ("compare-unknown", lambda sc: api.compare(sc, ["fifo", "nope"]), PolicyError, "nope"),
    ("with-updates-path", lambda sc: sc.with_updates({"sites.9.gpus": 1}), ScenarioError,
     "no list item '9'"),
    ("with-updates-value", lambda sc: sc.with_updates({"hours": float("inf")}), ScenarioError,
     "hours"),
    ("parse-bad", lambda sc: parse_scenario({"name": "x"}), ScenarioError,
     "missing required field(s) hours, sites, regions, classes"),
    ("load-folder", lambda sc: load_scenario(Path(__file__).parent), ScenarioError,
     "is a folder"),
    ("files-missing", lambda sc: api.build_traces(parse_scenario(tiny_dict(
        jobs={}, traces={"kind": "files", "path": "/no/such"}))), TraceError, "/no/such"),
    ("policy-raises", lambda sc: api.simulate(sc, "custom_policies:Broken"), RunFailedError,
     "policy 'custom_policies:Broken': the run failed: ZeroDivisionError"),
]


@pytest.mark.parametrize(("name", "call", "error", "expected"), API_CASES,
                         ids=[c[0] for c in API_CASES])
def test_api_raises_documented_errors(name, call, error, expected, tiny_small,
                                      custom_module) -> None:
    with pytest.raises(error) as info:
        call(tiny_small)
    assert isinstance(info.value, GridShiftError)
    message = str(info.value)
    assert expected in message and "\n" not in message


def test_run_failure_keeps_its_cause_and_exit_code(tiny_small, custom_module) -> None:
    with pytest.raises(RunFailedError) as info:
        api.simulate(tiny_small, "custom_policies:Broken")
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert info.value.exit_code == 1 and InvariantError.exit_code == 1
    assert ScenarioError("x").exit_code == 2 and OutputError("x").exit_code == 2


# ---- safe outputs ----------------------------------------------------------------------------
def test_run_folder_name_cannot_leave_out(tmp_path) -> None:
    scenario = parse_scenario(tiny_dict(name="../../evil/x", hours=3))
    out = tmp_path / "out"
    done = api.run(scenario, "fifo", out_dir=out)
    assert done.folder.parent == out
    assert done.folder.name.startswith("evil_x-fifo-s3-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_out_is_checked_before_the_run(tmp_path, monkeypatch) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    calls = []
    monkeypatch.setattr(api, "simulate", lambda *a, **k: calls.append(a))
    with pytest.raises(OutputError, match="is a file, not a folder"):
        api.run("paper-3site", "fifo", out_dir=target)
    assert calls == []


def test_failed_run_leaves_no_folder(tmp_path, custom_module, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["run", "paper-3site", "--policy", "custom_policies:Broken",
                            "--out", "out", "--days", "0.25"])
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith("error: scenario 'paper-3site', policy 'custom_policies:Broken': the "
                          "run failed: ZeroDivisionError")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_debug_shows_the_traceback(tmp_path, custom_module, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["--debug", "run", "paper-3site", "--policy",
                            "custom_policies:Broken", "--out", "out", "--days", "0.25"])
    assert code == 1
    assert "Traceback" in err and "ZeroDivisionError" in err
    assert err.strip().splitlines()[-1].startswith("error: ")


SCENARIOS = [*builtin_names(), "tiny", "one-site", "one-site-jobs"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_recorded_scenario_loads_again(name) -> None:
    """meta.json records scenario.model_dump(mode="json"); it must parse to the same scenario."""
    from analysis.results import to_jsonable

    job = {"job_id": 0, "release_hour": 1, "gpus": 4, "duration_h": 2, "deadline_hour": 6,
           "value_usd": 5.0}
    made = {"tiny": lambda: parse_scenario(TINY), "one-site": one_site,
            "one-site-jobs": lambda: one_site(jobs=[job])}
    scenario = made.get(name, lambda: load_scenario(name))()
    recorded = json.loads(json.dumps(to_jsonable(scenario.model_dump(mode="json")),
                                     allow_nan=False))
    assert parse_scenario(recorded, source="meta.json") == scenario


def test_meta_json_of_a_run_loads_again(tmp_path) -> None:
    done = api.run(parse_scenario(tiny_dict(hours=3)), "fifo", out_dir=tmp_path)
    meta = read_run(done.folder)["meta"]
    again = parse_scenario(meta["scenario"], source="meta.json")
    assert again == parse_scenario(tiny_dict(hours=3))


# ---- batches ---------------------------------------------------------------------------------
def test_custom_policy_runs_in_spawn_workers(tmp_path, custom_module) -> None:
    code, out, err = run_cli(["compare", "paper-3site", "--policies", "fifo,custom_policies:Mine",
                              "--seeds", "0-1", "--workers", "2", "--days", "0.25"])
    assert code == 0, err
    assert "custom_policies:Mine" in out


def test_documented_custom_policy_example_runs(tmp_path, monkeypatch) -> None:
    """The ``my_policies.py`` example of docs/batch.md, as written there."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "batch.md").read_text()
    code = doc.split("# my_policies.py, somewhere on PYTHONPATH\n", 1)[1].split("```", 1)[0]
    (tmp_path / "my_policies.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    run = api.simulate(parse_scenario(tiny_dict(hours=30)), "my_policies:NightShift")
    started = run.result.jobs.query("start_hour >= 0")
    hours = (pd.Timestamp("2022-06-01", tz="UTC") + pd.to_timedelta(started["start_hour"], "h"))
    assert len(started) and ((hours.dt.hour >= 22) | (hours.dt.hour < 6)).all()


def test_all_runs_failed_is_one_line_and_exit_1(tmp_path, custom_module, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["compare", "paper-3site", "--policies", "custom_policies:Broken",
                              "--seeds", "0-1", "--workers", "1", "--days", "0.25"])
    assert code == 1
    assert err.strip().splitlines()[-1] == ("error: all 2 runs failed; first: RunFailedError: "
                                            "scenario 'paper-3site', policy "
                                            "'custom_policies:Broken': the run failed: "
                                            "ZeroDivisionError: division by zero")
    assert "Traceback" not in err and out == ""


def test_locally_registered_policy_is_refused_for_workers(tmp_path) -> None:
    from analysis.executors import ProcessExecutor
    from analysis.sweep import run_sweep
    from analysis.sweep_spec import parse_spec
    from policies.fifo import FifoPolicy

    register("only-here", FifoPolicy)
    spec = parse_spec({"name": "x", "scenario": "paper-3site", "policies": ["only-here"],
                       "set": {"hours": 2}})
    with ProcessExecutor(2) as executor, pytest.raises(PolicyError, match="registered in this "
                                                       "process only"):
        run_sweep(spec, executor=executor, progress=False)
    done = run_sweep(spec, progress=False)  # in process it works
    assert done.failed == 0


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_spawn_workers_exit_when_the_parent_is_killed(tmp_path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text('name = "k"\nscenario = "paper-3site"\npolicies = ["fifo", "greedy"]\n'
                    'seeds = [0, 1, 2, 3, 4, 5, 6, 7]\n')
    proc = subprocess.Popen([sys.executable, "-m", "gridshift", "sweep", str(spec), "--out",
                             str(tmp_path / "o"), "--workers", "2"], cwd=Path.cwd(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2:
            workers = [p for p in _children(proc.pid)
                       if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()]
            time.sleep(0.1)
        assert len(workers) >= 2, "the workers did not start"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        assert not any(_alive(p) for p in workers), "orphaned workers still running"
    finally:
        for pid in _children(proc.pid):
            os.kill(pid, signal.SIGKILL)


# ---- numerics --------------------------------------------------------------------------------
def test_invariants_hold_at_1e11_requests_per_hour() -> None:
    scenario = load_scenario("paper-3site")
    scenario = scenario.with_updates({
        **{f"regions.{i}.requests_per_hour": 1e11 for i in range(len(scenario.regions))},
        "hours": 6})
    run = api.simulate(scenario, "greedy")  # check=True: raises InvariantError on a failure
    assert run.kpis["requests_arrived"] > 1e11


def test_invariants_hold_at_a_million_times_the_sizes() -> None:
    """GPUs, MW, MWh and requests all x 1e6: the relative tolerances still close the books."""
    base = load_scenario("paper-3site")
    updates: dict = {"hours": 6}
    for i, site in enumerate(base.sites):
        updates[f"sites.{i}.gpus"] = site.gpus * 10**6
        for field in ("import_cap_mw", "export_cap_mw", "pv_mw", "wind_mw"):
            updates[f"sites.{i}.{field}"] = getattr(site, field) * 1e6
        if site.battery is not None:
            updates[f"sites.{i}.battery.energy_mwh"] = site.battery.energy_mwh * 1e6
            updates[f"sites.{i}.battery.power_mw"] = site.battery.power_mw * 1e6
    for i, region in enumerate(base.regions):
        updates[f"regions.{i}.requests_per_hour"] = region.requests_per_hour * 1e6
    run = api.simulate(base.with_updates(updates), "greedy")
    assert run.kpis["load_mwh"] > 1e6



def test_json_yaml_and_toml_scenarios_load_alike(tmp_path) -> None:
    from tests.bad_inputs import _dump

    loaded = [load_scenario(_dump(TINY, tmp_path / f"tiny{suffix}"))
              for suffix in (".toml", ".yaml", ".json")]
    assert loaded[0] == loaded[1] == loaded[2] == parse_scenario(TINY)
    code, out, err = run_cli(["scenario", "validate", str(tmp_path / "tiny.json")])
    assert code == 0 and out.startswith("ok: tiny"), err
