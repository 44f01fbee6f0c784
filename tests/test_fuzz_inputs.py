"""Property: a mutated scenario or trace folder gives a clean error or a clean run.

"Clean error" = a GridShiftError with a one-line message; "clean run" = the simulation runs
and its books pass the invariant checker. Anything else (a KeyError, a RuntimeWarning turned
error, an InvariantError after a run that should have been refused) fails the test.
A few examples by default; ``GRIDSHIFT_FUZZ_EXAMPLES=500`` for a longer hunt.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gridshift.api import simulate
from simulator.errors import GridShiftError, InvariantError
from simulator.scenario import parse_scenario
from tests.conftest import TINY
from traces.files import write_traceset
from traces.synthetic import generate

EXAMPLES = int(os.environ.get("GRIDSHIFT_FUZZ_EXAMPLES", "12"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
VALUES = st.sampled_from([None, True, False, -1, 0, 1, 2.5, -1e-9, 1e12, 10**9, float("nan"),
                          float("inf"), -float("inf"), "x", "", [], {}, [1, 2], {"a": 1},
                          "2022-06-01T00:00:00Z"])
CELLS = st.sampled_from(["", "nan", "inf", "-inf", "-1", "abc", "1e300", "0", "2.5",
                         "2022-13-01T00:00:00Z", "2022-05-30T00:00:00", "a", "zz", " "])


def _base() -> dict[str, Any]:
    data = copy.deepcopy(TINY)
    data["hours"] = 4
    data["traces"] = {"history_hours": 24}
    return data


def _leaves(node: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        out = [path] if path else []
        for key, value in node.items():
            out += _leaves(value, (*path, key))
        return out
    if isinstance(node, list):
        out = [path]
        for i, value in enumerate(node):
            out += _leaves(value, (*path, i))
        return out
    return [path]


def _set(data: Any, path: tuple, value: Any, delete: bool) -> None:
    for key in path[:-1]:
        data = data[key]
    if delete and isinstance(data, dict):
        data.pop(path[-1])
    else:
        data[path[-1]] = value


def _clean_error_or_clean_run(make) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a NaN computed inside = a lie
        try:
            scenario = make()
        except GridShiftError as err:
            assert "\n" not in str(err) and str(err)
            return
        assume(scenario.hours <= 48 and scenario.traces.history_hours <= 1000
               and scenario.jobs.arrivals_per_hour * scenario.hours <= 200
               and sum(s.gpus for s in scenario.sites) <= 100_000)
        try:
            simulate(scenario, "greedy", check=True)
        except InvariantError as err:
            raise AssertionError(f"accepted input broke the books: {err}") from None
        except GridShiftError as err:
            assert "\n" not in str(err) and str(err)


@FUZZ
@given(data=st.data())
def test_mutated_scenario_fails_cleanly_or_runs_cleanly(data) -> None:
    scenario = _base()
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(_leaves(scenario)), label="path")
        _set(scenario, path, data.draw(VALUES, label="value"),
             data.draw(st.booleans(), label="delete"))
    _clean_error_or_clean_run(lambda: parse_scenario(scenario, source="fuzz"))


_FOLDER: dict[str, Path] = {}


def _valid_folder() -> Path:
    """One valid trace folder for the tiny scenario, written once per session."""
    if "ok" not in _FOLDER:
        root = Path(tempfile.mkdtemp(prefix="gridshift-fuzz-"))
        data = _base()
        data["jobs"] = {"jobs": [{"job_id": 1, "release_hour": 0, "gpus": 8, "duration_h": 2,
                                  "deadline_hour": 4, "value_usd": 10.0, "home_site": "a"}]}
        write_traceset(generate(parse_scenario(data)), root / "ok")
        _FOLDER["ok"] = root / "ok"
    return _FOLDER["ok"]


@FUZZ
@given(data=st.data())
def test_mutated_trace_folder_fails_cleanly_or_runs_cleanly(data) -> None:
    work = Path(tempfile.mkdtemp(prefix="gridshift-fuzz-case-"))
    try:
        folder = work / "traces"
        shutil.copytree(_valid_folder(), folder)
        for _ in range(data.draw(st.integers(1, 3), label="mutations")):
            stem = data.draw(st.sampled_from(["sites", "demand", "jobs"]), label="file")
            frame = pd.read_csv(folder / f"{stem}.csv", dtype=str, keep_default_na=False)
            row = data.draw(st.integers(0, len(frame) - 1), label="row")
            column = data.draw(st.sampled_from(list(frame.columns)), label="column")
            frame.loc[row, column] = data.draw(CELLS, label="cell")
            frame.to_csv(folder / f"{stem}.csv", index=False)
        scenario = _base()
        scenario["jobs"] = {}
        scenario["traces"] = {"kind": "files", "path": str(folder), "history_hours": 24}
        _clean_error_or_clean_run(lambda: parse_scenario(scenario, source="fuzz"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
