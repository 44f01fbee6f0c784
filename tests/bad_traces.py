"""Bad trace folders for the corpus: a valid folder, copied and edited one way per case."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from tests.bad_inputs import OUT, Build, Case, _dump, _run, _top
from tests.conftest import TINY


def trace_case(edit: Callable[[Path], Any], scenario: Callable[[dict], Any] | None = None
               ) -> Build:
    """A copy of the valid folder at ``tmp/../traces-ok`` edited in place, and its scenario."""
    def build(tmp: Path) -> list[str]:
        folder = tmp / "traces"
        for src in (tmp.parent / "traces-ok").iterdir():
            folder.mkdir(exist_ok=True)
            (folder / src.name).write_bytes(src.read_bytes())
        edit(folder)
        data = copy.deepcopy(TINY)
        data["jobs"] = {}
        data["traces"] = {"kind": "files", "path": str(folder), "history_hours": 48}
        if scenario is not None:
            scenario(data)
        return _run(_dump(data, tmp / "scenario.toml"))
    return build


def _sweep_over(run_args: list[str]) -> list[str]:
    """A sweep spec over the scenario file a trace case wrote (run_args[1])."""
    spec = Path(run_args[1]).with_name("spec.toml")
    spec.write_text(f'name = "t"\nscenario = "{run_args[1]}"\npolicies = ["fifo"]\n')
    return ["sweep", str(spec), "--out", OUT]


def _csv(stem: str, change: Callable[[pd.DataFrame], pd.DataFrame | None]) -> Callable:
    def edit(folder: Path) -> None:
        path = folder / f"{stem}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        out = change(frame)
        (frame if out is None else out).to_csv(path, index=False)
    return edit


def _cell(stem: str, row: int, column: str, value: str) -> Callable:
    def change(frame: pd.DataFrame) -> None:
        frame.loc[row, column] = value
    return _csv(stem, change)


def _stamps(shift: str) -> Callable[[pd.DataFrame], None]:
    def change(frame: pd.DataFrame) -> None:
        stamps = pd.to_datetime(frame["timestamp"], utc=True) + pd.Timedelta(shift)
        frame["timestamp"] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return change


def _in_offset(frame: pd.DataFrame) -> None:
    """Every stamp the same wall time in +02:00 (so two hours earlier in UTC)."""
    frame["timestamp"] = frame["timestamp"].str.replace("Z", "+02:00")


TRACE_CASES: list[Case] = [
    ("tr-no-sites", trace_case(lambda f: (f / "sites.csv").unlink()), 2,
     "no sites.csv or sites.parquet"),
    ("tr-no-jobs", trace_case(lambda f: (f / "jobs.csv").unlink()), 2, "no jobs.csv"),
    ("tr-sites-folder", trace_case(lambda f: ((f / "sites.csv").unlink(),
                                              (f / "sites.csv").mkdir())), 2, "sites.csv"),
    ("tr-sites-binary", trace_case(lambda f: (f / "sites.csv").write_bytes(b"\xff\xfe\x00\x01")),
     2, "sites.csv"),
    ("tr-missing-column", trace_case(_csv("sites", lambda fr: fr.drop(columns="carbon_g_per_kwh"))),
     2, "sites.csv: missing column(s) ['carbon_g_per_kwh']"),
    ("tr-not-number", trace_case(_cell("sites", 7, "buy_price_usd_per_mwh", "abc")), 2,
     "sites.csv: column 'buy_price_usd_per_mwh': row 8: not a number ('abc')"),
    ("tr-inf", trace_case(_cell("sites", 9, "carbon_g_per_kwh", "inf")), 2,
     "sites.csv: column 'carbon_g_per_kwh': row 10: not a finite number"),
    ("tr-minus-inf", trace_case(_cell("sites", 3, "buy_price_usd_per_mwh", "-inf")), 2,
     "sites.csv: column 'buy_price_usd_per_mwh': row 4: not a finite number"),
    ("tr-gap", trace_case(_cell("sites", 10, "temperature_c", "")), 2,
     "sites.csv: column 'temperature_c': row 11: missing value"),
    ("tr-pv-above-1", trace_case(_cell("sites", 12, "pv_capacity_factor", "1.5")), 2,
     "sites.csv: column 'pv_capacity_factor': row 13: value 1.5 outside"),
    ("tr-temperature", trace_case(_cell("sites", 2, "temperature_c", "200")), 2,
     "column 'temperature_c': row 3"),
    ("tr-naive", trace_case(_cell("sites", 5, "timestamp", "2022-05-30T02:00:00")), 2,
     "sites.csv: column 'timestamp': row 6: timestamp '2022-05-30T02:00:00' has no UTC offset"),
    ("tr-not-hour", trace_case(_cell("sites", 4, "timestamp", "2022-05-30T02:30:00Z")), 2,
     "sites.csv: column 'timestamp': row 5: timestamp is not an hour start"),
    ("tr-garbage-stamp", trace_case(_cell("sites", 4, "timestamp", "soon+00:00")), 2,
     "sites.csv: column 'timestamp': row 5: not a timestamp"),
    ("tr-duplicate-hour", trace_case(_csv("sites", lambda fr: pd.concat(
        [fr.iloc[:4], fr.iloc[2:3], fr.iloc[4:]], ignore_index=True))), 2,
     "sites.csv: column 'timestamp': row 5: duplicate hour for 'a'"),
    ("tr-missing-hour", trace_case(_csv("sites", lambda fr: fr.drop(index=[4, 5]).reset_index(
        drop=True))), 2, "hours missing before this row"),
    ("tr-other-year", trace_case(_csv("sites", _stamps("365D"))), 2,
     "covers 72 hours from 2022-05-30 00:00:00+00:00, expected 72 from 2023-05-30"),
    ("tr-all-other-year", trace_case(lambda f: (_csv("sites", _stamps("-365D"))(f),
                                                _csv("demand", _stamps("-365D"))(f))), 2,
     "the scenario's start is 2022-06-01T00:00:00+00:00"),
    ("tr-other-offset", trace_case(lambda f: (_csv("sites", _in_offset)(f),
                                              _csv("demand", _in_offset)(f))), 2,
     "the run would start at 2022-05-31T22:00:00+00:00"),
    ("tr-too-short", trace_case(lambda f: None, _top(hours=500)), 2,
     "covers 24 run hours from 2022-06-01T00:00:00+00:00; the scenario needs hours = 500"),
    ("tr-history-too-long", trace_case(lambda f: None,
                                       lambda d: d["traces"].update(history_hours=100)), 2,
     "history_hours 100 leaves no run hours"),
    ("tr-no-site-rows", trace_case(_csv("sites", lambda fr: fr[fr["site"] != "b"])), 2,
     "sites.csv: column 'site': no rows for site(s) ['b']"),
    ("tr-no-demand-rows", trace_case(_csv("demand", lambda fr: fr[fr["class"] != "batch"])), 2,
     "demand.csv: no rows for region 'west', class 'batch'"),
    ("tr-negative-demand", trace_case(_cell("demand", 6, "requests_per_hour", "-5")), 2,
     "demand.csv: column 'requests_per_hour': row 7"),
    ("tr-demand-inf", trace_case(_cell("demand", 6, "requests_per_hour", "inf")), 2,
     "demand.csv: column 'requests_per_hour': row 7: not a finite number"),
    ("tr-job-too-big", trace_case(_cell("jobs", 0, "gpus", "4096")), 2,
     "jobs.csv: column 'gpus': row 1: 4096 GPUs: more than"),
    ("tr-job-bigger-than-home", trace_case(lambda f: (_cell("jobs", 0, "gpus", "48")(f),
                                                      _cell("jobs", 0, "home_site", "b")(f))), 2,
     "jobs.csv: column 'gpus': row 1: 48 GPUs: more than its home site has (32)"),
    ("tr-job-fraction", trace_case(_cell("jobs", 0, "gpus", "1.5")), 2,
     "jobs.csv: column 'gpus': row 1: not a whole number"),
    ("tr-job-duration-0", trace_case(_cell("jobs", 0, "duration_h", "0")), 2,
     "jobs.csv: column 'duration_h': row 1: must be >= 1"),
    ("tr-job-deadline", trace_case(_cell("jobs", 0, "deadline_hour", "0")), 2,
     "jobs.csv: column 'deadline_hour'"),
    ("tr-job-home", trace_case(_cell("jobs", 0, "home_site", "zz")), 2,
     "jobs.csv: column 'home_site': row 1: unknown site 'zz'"),
    ("tr-job-value", trace_case(_cell("jobs", 0, "value_usd", "-1")), 2,
     "jobs.csv: column 'value_usd': row 1"),
    ("tr-job-duplicate", trace_case(_csv("jobs", lambda fr: pd.concat([fr, fr.iloc[:1]],
                                                                      ignore_index=True))), 2,
     "jobs.csv: column 'job_id'"),
    ("tr-scenario-jobs", trace_case(lambda f: None,
                                    lambda d: d["jobs"].update(arrivals_per_hour=0.5)), 2,
     "the jobs come from the trace folder's jobs table"),
    ("tr-sweep-inf", lambda tmp: _sweep_over(trace_case(_cell("sites", 9, "carbon_g_per_kwh",
                                                             "inf"))(tmp)), 2,
     "scenario traces: sites.csv: column 'carbon_g_per_kwh': row 10: not a finite number"),
    ("tr-folder-missing", trace_case(lambda f: None,
                                     lambda d: d["traces"].update(path="/no/such/folder")), 2,
     "/no/such/folder: trace folder does not exist"),
]
