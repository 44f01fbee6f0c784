"""The trace-folder format: round trip, and one asserted message per class of bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.errors import TraceError
from tests.conftest import constant_traces, one_site
from traces.files import load_traceset, write_traceset
from traces.synthetic import generate


@pytest.fixture
def folder(tiny, tmp_path):
    traces = generate(tiny)
    return traces, write_traceset(traces, tmp_path / "t")


def _load(traces, folder, **kwargs):
    return load_traceset(folder, traces.sites, traces.regions, traces.classes,
                         traces.history_hours, **kwargs)


def test_round_trip_csv_and_parquet(folder, tmp_path) -> None:
    traces, path = folder
    assert _load(traces, path).digest() == traces.digest()
    parquet = write_traceset(traces, tmp_path / "p", fmt="parquet")
    assert _load(traces, parquet).digest() == traces.digest()


def _edit(path, stem, change):
    frame = pd.read_csv(path / f"{stem}.csv", dtype=str, keep_default_na=False)
    frame = change(frame)
    frame.to_csv(path / f"{stem}.csv", index=False)


def _message(traces, path, **kwargs) -> str:
    with pytest.raises(TraceError) as info:
        _load(traces, path, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_missing_column(folder) -> None:
    traces, path = folder
    _edit(path, "sites", lambda f: f.drop(columns=["carbon_g_per_kwh"]))
    assert _message(traces, path).startswith("sites.csv: missing column(s) ['carbon_g_per_kwh']")


def test_text_in_number_column(folder) -> None:
    traces, path = folder
    def change(f):
        f.loc[5, "buy_price_usd_per_mwh"] = "abc"
        return f
    _edit(path, "sites", change)
    assert _message(traces, path) == (
        "sites.csv: column 'buy_price_usd_per_mwh': row 6: not a number ('abc')")


def test_duplicate_and_unsorted_hours(folder) -> None:
    traces, path = folder
    original = pd.read_csv(path / "sites.csv", dtype=str, keep_default_na=False)
    dup = original.copy()
    dup.loc[4, "timestamp"] = dup.loc[2, "timestamp"]  # site a rows are 0, 2, 4, ...
    dup.to_csv(path / "sites.csv", index=False)
    assert _message(traces, path) == "sites.csv: column 'timestamp': row 5: duplicate hour for 'a'"
    swap = original.copy()
    swap.loc[[2, 4], "timestamp"] = swap.loc[[4, 2], "timestamp"].to_numpy()
    swap.to_csv(path / "sites.csv", index=False)
    assert _message(traces, path) == (
        "sites.csv: column 'timestamp': row 5: stamps not sorted for 'a'")


def test_gap_refused_then_filled(folder) -> None:
    traces, path = folder
    def change(f):
        f.loc[10, "carbon_g_per_kwh"] = ""
        return f
    _edit(path, "sites", change)
    message = _message(traces, path)
    assert message == ("sites.csv: column 'carbon_g_per_kwh': row 11: missing value (1 in all; "
                       "choose a fill policy to accept gaps)")
    filled = _load(traces, path, fill="interpolate")
    assert filled.notes["filled_hours"] == {"a.carbon_g_per_kwh": 1}
    carbon = traces.site_signals["carbon"][:, 0]
    assert filled.site_signals["carbon"][5, 0] == pytest.approx((carbon[4] + carbon[6]) / 2)
    seasonal = _load(traces, path, fill="seasonal")
    assert seasonal.site_signals["carbon"][5, 0] == pytest.approx(carbon[5 + 24])


def test_naive_timestamps_and_wrong_units(folder) -> None:
    traces, path = folder
    original = pd.read_csv(path / "sites.csv", dtype=str, keep_default_na=False)
    naive = original.copy()
    naive["timestamp"] = naive["timestamp"].str.rstrip("Z")
    naive.to_csv(path / "sites.csv", index=False)
    assert "row 1: timestamp '2022-05-30T00:00:00' has no UTC offset" in _message(traces, path)
    percent = original.copy()
    percent["pv_capacity_factor"] = (percent["pv_capacity_factor"].astype(float) * 100).astype(str)
    percent.to_csv(path / "sites.csv", index=False)
    message = _message(traces, path)
    assert "column 'pv_capacity_factor'" in message
    assert "outside [0.0, 1.0] (check the unit)" in message


def test_missing_hours_and_series(folder) -> None:
    traces, path = folder
    _edit(path, "sites", lambda f: f.drop(index=[6, 7]).reset_index(drop=True))
    assert _message(traces, path) == (
        "sites.csv: column 'timestamp': row 7: hours missing before this row for 'a'")


def test_demand_and_jobs_errors(folder) -> None:
    traces, path = folder
    demand = pd.read_csv(path / "demand.csv", dtype=str, keep_default_na=False)
    demand[demand["class"] != "batch"].to_csv(path / "demand.csv", index=False)
    assert _message(traces, path) == "demand.csv: no rows for region 'west', class 'batch'"
    write_traceset(traces, path)
    def late(f):
        f.loc[0, "deadline_hour"] = "0"
        return f
    _edit(path, "jobs", late)
    assert _message(traces, path) == (
        "jobs.csv: column 'deadline_hour': row 1: deadline_hour before release_hour + duration_h")


def test_missing_folder_and_table(tmp_path, tiny) -> None:
    traces = generate(tiny)
    with pytest.raises(TraceError, match="trace folder does not exist"):
        _load(traces, tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TraceError, match=r"no sites.csv or sites.parquet in this trace folder"):
        _load(traces, tmp_path / "empty")


def test_files_scenario_runs(folder, tiny) -> None:
    from gridshift.api import simulate

    traces, path = folder
    # the folder's jobs table is the only job source with file traces
    scenario = tiny.with_updates({"traces": {"kind": "files", "path": str(path),
                                             "history_hours": 48}, "jobs": {}})
    run = simulate(scenario, "greedy")
    np.testing.assert_allclose(run.result.ledger["carbon_g_per_kwh"].to_numpy(),
                               traces.site_signals["carbon"][48:].reshape(-1))


# ---- the jobs and sites tables refuse what the scenario model refuses -----------------------
@pytest.fixture
def one_job_folder(tmp_path):
    jobs = [{"job_id": 0, "release_hour": 1, "gpus": 4, "duration_h": 2, "deadline_hour": 7,
             "value_usd": 100.0}]
    traces = constant_traces(one_site(hours=8, jobs=jobs))
    return traces, write_traceset(traces, tmp_path / "traces")


@pytest.mark.parametrize("column,value", [
    ("value_usd", ""),         # NaN value: the hour's whole benefit vanishes from the KPIs
    ("value_usd", "-100"),     # Scenario.Job refuses negative values; the loader does not
    ("duration_h", "0"),       # zero-length job: value booked at ledger row end-1 = -1
    ("gpus", "0"),
    ("gpus", "-4"),            # negative GPUs hand out more free GPUs than the site has
])
def test_jobs_file_refuses_values_the_scenario_model_refuses(one_job_folder, column, value) -> None:
    traces, folder = one_job_folder
    jobs = pd.read_csv(folder / "jobs.csv", dtype=str, keep_default_na=False)
    jobs.loc[0, column] = value
    jobs.to_csv(folder / "jobs.csv", index=False)
    with pytest.raises(TraceError):
        _load(traces, folder)


def test_sites_file_refuses_temperature_in_kelvin(one_job_folder) -> None:
    traces, folder = one_job_folder
    sites = pd.read_csv(folder / "sites.csv", dtype=str, keep_default_na=False)
    sites["temperature_c"] = "288.15"  # 15 degC written in kelvin: PUE silently at its max
    sites.to_csv(folder / "sites.csv", index=False)
    with pytest.raises(TraceError, match="temperature_c"):
        _load(traces, folder)


def test_bad_number_error_names_the_file_row_when_other_sites_precede(one_job_folder) -> None:
    traces, folder = one_job_folder
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
