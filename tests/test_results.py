"""Run folders: written atomically, with normal permissions and every table."""

from __future__ import annotations

import os
import stat

import pytest

import analysis.results as results
from gridshift.api import simulate
from tests.conftest import constant_traces, one_site


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
