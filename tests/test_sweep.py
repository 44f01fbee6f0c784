"""Sweeps: spec files, expansion, run keys, failures, resume after a kill, Dask."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest

from analysis.compare import kpi_columns
from analysis.executors import (
    DaskExecutor,
    ExecutorError,
    ProcessExecutor,
    SerialExecutor,
    make_executor,
)
from analysis.sweep import run_sweep
from analysis.sweep_expand import expand
from analysis.sweep_spec import Range, load_spec, parse_spec
from analysis.sweep_store import load_table, read_records
from gridshift.api import scenario_key, simulate
from gridshift.cli import main
from simulator.errors import SweepSpecError
from simulator.scenario import parse_scenario

TIMING_SUFFIXES = ("wall_s", "_s_median", "_s_p95")  # columns that differ between repeats
GRIDSHIFT = Path(sys.executable).with_name("gridshift")

SMALL = """
name = "small"
scenario = "paper-3site"
policies = ["fifo", "greedy"]
seeds = [0, 1]
[axes]
"economics.carbon_price_usd_per_t" = [0, 100]
"""


def _spec(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _stable(table: pd.DataFrame) -> pd.DataFrame:
    """The table without wall-time columns (the only ones that differ between repeats)."""
    return table.drop(columns=[c for c in table if c.endswith(TIMING_SUFFIXES)])


# ---- spec and expansion ----------------------------------------------------------------------
def test_range_values() -> None:
    assert Range(start=0, stop=4, step=1).values() == [0, 1, 2, 3, 4]
    assert Range(start=0.1, stop=0.3, step=0.1).values() == [0.1, 0.2, 0.3]
    assert Range(start=0, stop=1, num=3).values() == [0, 0.5, 1]


@pytest.mark.parametrize(("data", "message"), [
    ({"policies": ["fifo"]}, "sweep 's': scenario: Field required"),
    ({"scenario": "paper-3site", "policies": []}, "policies: List should have at least 1"),
    ({"scenario": "paper-3site", "policies": ["fifo"], "axes": {"x": {"start": 1, "stop": 0,
                                                                     "step": 1}}},
     "axes.x."),
    ({"scenario": "paper-3site", "policies": ["fifo"],
      "axes": {"b": {"paths": ["sites.0.pv_mw"], "values": [1], "scale": [2]}}},
     "give exactly one of values or scale"),
    ({"scenario": "paper-3site", "policies": ["fifo"], "mode": "points"},
     "mode 'points' needs a non-empty points list"),
    ({"scenario": "paper-3site", "policies": ["fifo"], "policy_options": {"greedy": {}}},
     "policy_options: ['greedy'] not among the policies"),
])
def test_spec_errors_are_one_line_naming_the_field(data: dict, message: str) -> None:
    with pytest.raises(SweepSpecError) as info:
        parse_spec({"name": "s", **data}, source="s")
    text = str(info.value)
    assert "\n" not in text and message in text, text


def test_toml_and_yaml_specs_agree(tmp_path: Path) -> None:
    toml = load_spec(_spec(tmp_path, SMALL))
    yaml_path = _spec(tmp_path, "name: small\nscenario: paper-3site\npolicies: [fifo, greedy]\n"
                      "seeds: [0, 1]\naxes:\n  economics.carbon_price_usd_per_t: [0, 100]\n",
                      "spec.yaml")
    assert load_spec(yaml_path) == toml
    bad = _spec(tmp_path, "name = [", "bad.toml")
    with pytest.raises(SweepSpecError, match=r"bad.toml': not valid TOML"):
        load_spec(bad)


def test_expansion_order_keys_and_scenarios(tmp_path: Path) -> None:
    tasks = expand(load_spec(_spec(tmp_path, SMALL)))
    assert len(tasks) == 2 * 2 * 2
    assert [(t.point, t.policy, t.seed) for t in tasks[:4]] == [
        (0, "fifo", 0), (0, "fifo", 1), (0, "greedy", 0), (0, "greedy", 1)]
    assert len({t.key for t in tasks}) == len(tasks)
    assert [t.key for t in expand(load_spec(_spec(tmp_path, SMALL)))] == [t.key for t in tasks]
    task = tasks[-1]
    assert task.params == {"economics.carbon_price_usd_per_t": 100}
    scenario = parse_scenario(task.scenario)
    assert scenario.economics.carbon_price_usd_per_t == 100 and scenario.seed == 1
    # The key is the same one `gridshift run` gives the same configuration.
    assert task.key == scenario_key(scenario, "greedy", {})
    assert simulate(scenario, "greedy", check=False).meta["key"] == task.key


def test_wildcard_scale_and_n_sites() -> None:
    spec = parse_spec({
        "name": "w", "scenario": "default", "policies": ["fifo"],
        "axes": {"battery": {"paths": ["sites.*.battery.energy_mwh"], "scale": [0.5]},
                 "n_sites": [2]}})
    (task,) = expand(spec)
    sites = task.scenario["sites"]
    assert len(sites) == 2
    assert [s["battery"]["energy_mwh"] for s in sites] == [4.0, 4.0]  # 8 MWh each, halved
    full = parse_spec({"name": "w", "scenario": "default", "policies": ["fifo"],
                       "axes": {"sites.*.battery.energy_mwh": [3.0]}})
    batteries = [s["battery"] for s in expand(full)[0].scenario["sites"]]
    # Sites without a battery are skipped by '*', not given one.
    assert [b and b["energy_mwh"] for b in batteries] == [3.0, 3.0, None, 3.0, None]


@pytest.mark.parametrize(("axes", "message"), [
    ({"sites.0.batery.energy_mwh": [1]}, "axes.sites.0.batery.energy_mwh=1: scenario field "
                                         "'sites.0.batery.energy_mwh': no field 'batery'"),
    ({"sites.0.gpus": [-5]}, "sites.0.gpus: Input should be greater than 0"),
    ({"sites.*.nothing": [1]}, "'sites.*.nothing' matches no field"),
    ({"n_sites": [9]}, "n_sites must be a whole number from 1 to 3"),
    ({"economics.carbon_price_usd_per_t": [10, 10]}, "is the same run as"),
])
def test_bad_points_fail_fast_in_one_line(axes: dict, message: str) -> None:
    spec = parse_spec({"name": "b", "scenario": "paper-3site", "policies": ["fifo"],
                       "axes": axes})
    with pytest.raises(SweepSpecError) as info:
        expand(spec)
    assert "\n" not in str(info.value) and message in str(info.value), str(info.value)


def test_unknown_policy_fails_fast() -> None:
    spec = parse_spec({"name": "p", "scenario": "paper-3site",
                       "policies": ["fifo", "no-such-policy"]})
    with pytest.raises(SweepSpecError,
                       match=r"policies: unknown policy 'no-such-policy' \(known: .*fifo"):
        expand(spec)


# ---- running, failures, resume ---------------------------------------------------------------
FAILING = """
name = "failing"
scenario = "paper-3site"
policies = ["fifo"]
[axes]
"forecast.method" = ["persistence", "no-such-forecaster"]
"""


def test_failed_run_is_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_sweep(_spec(tmp_path, FAILING), out, progress=False)
    assert (done.total, done.ran, done.failed) == (2, 2, 1)
    table = done.table
    bad = table[table["status"] == "failed"]
    assert len(bad) == 1 and bad["forecast.method"].item() == "no-such-forecaster"
    error = bad["error"].item()
    assert error.startswith("ScenarioError: ") and "forecast" in error and "\n" not in error
    assert table.loc[table["status"] == "ok", "total_benefit_usd"].notna().all()
    record = read_records(out)[bad["key"].item()]
    assert record["status"] == "failed" and record["error"] == error
    assert "traceback" not in record  # an input error, not a bug
    # Started again: nothing runs (the failure is recorded), unless failures are retried.
    again = run_sweep(_spec(tmp_path, FAILING), out, progress=False)
    assert (again.ran, again.skipped, again.failed) == (0, 2, 1)
    retried = run_sweep(_spec(tmp_path, FAILING), out, progress=False, retry_failed=True)
    assert (retried.ran, retried.failed) == (1, 1)


def test_same_spec_same_table_sorted_by_key(tmp_path: Path) -> None:
    spec = _spec(tmp_path, SMALL)
    first = run_sweep(spec, tmp_path / "a", progress=False).table
    second = run_sweep(spec, tmp_path / "b", SerialExecutor(), progress=False).table
    assert list(first["key"]) == sorted(first["key"])
    pd.testing.assert_frame_equal(_stable(first), _stable(second))
    on_disk = pd.read_parquet(tmp_path / "a" / "results.parquet")
    pd.testing.assert_frame_equal(_stable(on_disk), _stable(first))
    assert {"economics.carbon_price_usd_per_t", "policy", "seed", "total_benefit_usd",
            "emissions_t"} <= set(first.columns)


KILL = """
name = "kill"
scenario = "default"
policies = ["fifo", "greedy"]
seeds = { start = 0, stop = 7, step = 1 }
"""


def test_killed_sweep_restarts_without_losing_or_duplicating_runs(tmp_path: Path) -> None:
    spec, out = _spec(tmp_path, KILL), tmp_path / "out"
    command = [str(GRIDSHIFT), "sweep", str(spec), "--out", str(out)]
    proc = subprocess.Popen([*command, "--workers", "2", "--start-method", "forkserver"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    runs = out / "runs"
    deadline = time.monotonic() + 60
    while len(list(runs.glob("*.json"))) < 3 and time.monotonic() < deadline:
        assert proc.poll() is None, "the sweep ended before it could be killed"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the command and its workers, mid-sweep
    proc.wait()
    before = {p.name: (p.stat().st_mtime_ns, p.read_text()) for p in runs.glob("*.json")}
    assert 3 <= len(before) < 16, "the kill did not land midway"
    assert not (out / "results.parquet").exists()

    code, stdout, stderr = run_cli([*command[1:], "--workers", "1"])  # resumed in process
    assert code == 0, stderr
    assert f"{16 - len(before)} run now, {len(before)} recorded before" in stdout
    after = {p.name: (p.stat().st_mtime_ns, p.read_text()) for p in runs.glob("*.json")}
    assert len(after) == 16 and not list(runs.glob(".*"))
    assert all(after[name] == seen for name, seen in before.items())  # kept, not re-run
    table = load_table(out)
    keys = [t.key for t in expand(load_spec(spec))]
    assert sorted(table["key"]) == sorted(keys) and table["key"].is_unique
    assert (table["status"] == "ok").all()


# ---- executors -------------------------------------------------------------------------------
def test_executor_options_are_checked() -> None:
    with pytest.raises(ExecutorError, match="fork can hang"):
        ProcessExecutor(2, "fork")
    with pytest.raises(ExecutorError, match="--dask and --dask-local"):
        make_executor(dask="tcp://localhost:1", dask_local=2)
    with pytest.raises(ExecutorError, match="--workers: need at least 1"):
        make_executor(0)
    assert isinstance(make_executor(1), SerialExecutor)


def test_dask_local_cluster_runs_a_sweep(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    spec = _spec(tmp_path, SMALL)
    serial = run_sweep(spec, None, progress=False, policies=["greedy"]).table
    with DaskExecutor(n_workers=2) as executor:
        assert executor.workers == 2
        done = run_sweep(spec, tmp_path / "dask", executor, progress=False, policies=["greedy"])
    assert (done.total, done.failed) == (4, 0)
    pd.testing.assert_frame_equal(_stable(done.table), _stable(serial))
    assert set(kpi_columns(done.table)) >= {"total_benefit_usd", "emissions_t"}
    hosts = {json.loads(p.read_text())["pid"] for p in (tmp_path / "dask" / "runs").glob("*")}
    assert os.getpid() not in hosts  # ran in the cluster's worker processes


# ---- command line ----------------------------------------------------------------------------
def run_cli(args: list[str]) -> tuple[int, str, str]:
    """Run ``gridshift ARGS`` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.object(sys, "argv", ["gridshift", *args]), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_cli_dry_run_and_one_line_errors(tmp_path: Path) -> None:
    spec = _spec(tmp_path, SMALL)
    code, out, err = run_cli(["sweep", str(spec), "--dry-run", "--seeds", "0-2",
                           "--out", str(tmp_path / "o")])
    assert code == 0, err
    assert "12 runs (2 points x 2 policies x 3 seeds); 0 already recorded" in out
    code, out, err = run_cli(["sweep", str(spec), "--policies", "fifo,nope", "--out",
                           str(tmp_path / "o")])
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("error: sweep") and "unknown policy 'nope'" in err
