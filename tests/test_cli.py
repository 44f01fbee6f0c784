"""The command line: results land in a run folder; errors are one line, exit 2, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from analysis.results import read_run


def gridshift(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gridshift", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300, check=False)


def test_run_writes_a_complete_run_folder(tmp_path) -> None:
    done = gridshift("run", "paper-3site", "--policy", "greedy", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "benefit USD" in done.stdout and "run folder:" in done.stdout
    folders = list(tmp_path.iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("paper-3site-greedy-s7-")
    run = read_run(folders[0])
    assert len(run["ledger"]) == 24 * 3 and len(run["jobs"]) == 6
    assert run["meta"]["policy"] == "greedy" and run["meta"]["seed"] == 7
    assert run["meta"]["invariants_checked"] is True
    assert {"simpy", "pyomo", "highspy"} <= set(run["meta"]["versions"])
    assert run["kpis"]["total_benefit_usd"] == pytest.approx(
        run["ledger"]["benefit_usd"].sum() - run["inference"]["penalty_usd"].sum())
    assert isinstance(run["ledger"]["timestamp"].dtype, pd.DatetimeTZDtype)
    assert json.loads((folders[0] / "kpis.json").read_text())["jobs_total"] == 6


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "paper-3site", "--policy", "nope"], "error: unknown policy 'nope' (known:"),
        (["run", "no-such-scenario"], "error: scenario 'no-such-scenario': no such file"),
        (["scenario", "validate", "{bad}"], "error: scenario '{bad}': sites.0.gpus: Input should"),
    ],
)
def test_errors_are_one_line(tmp_path, args, expected) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nhours = 2\n[[sites]]\nname = "a"\nzone = "GB"\nlatitude = 1\n'
                   'longitude = 1\ngpus = 0\nimport_cap_mw = 1\n[[regions]]\nname = "r"\n'
                   'latitude = 1\nlongitude = 1\nrequests_per_hour = 1\n[[classes]]\n'
                   'name = "c"\nslo_ms = 9\ngpu_seconds_per_request = 1\n'
                   'revenue_usd_per_request = 0\nshare = 1\n')
    args = [str(bad) if a == "{bad}" else a for a in args]
    expected = expected.replace("{bad}", str(bad))
    done = gridshift(*args, "--out", str(tmp_path)) if args[0] == "run" else gridshift(*args)
    assert done.returncode == 2
    assert done.stderr.strip().startswith(expected), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_scenario_commands() -> None:
    listed = gridshift("scenario", "list")
    assert {"default", "paper-3site"} <= set(listed.stdout.split())
    shown = gridshift("scenario", "show", "paper-3site")
    assert json.loads(shown.stdout)["hours"] == 24
    valid = gridshift("scenario", "validate", "default", "--traces")
    assert valid.returncode == 0 and valid.stdout.splitlines()[-1].startswith("ok: default")


def test_start_and_days_override_the_scenario(tmp_path) -> None:
    done = gridshift("run", "paper-3site", "--policy", "fifo", "--start", "2022-07-01",
                     "--days", "0.5", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    run = read_run(next(tmp_path.iterdir()))
    assert run["ledger"]["hour"].max() == 11
    assert run["ledger"]["timestamp"].iloc[0] == pd.Timestamp("2022-07-01T00:00:00Z")
    bad = gridshift("compare", "paper-3site", "--policies", "fifo", "--days", "0.3")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: --days: 0.3 is not a positive whole number of hours"
