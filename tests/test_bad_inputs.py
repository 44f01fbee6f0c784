"""Bad input never crashes, never lies: a corpus of malformed scenarios, trace folders, flags,
sweep specs and report folders (tests/bad_inputs.py, bad_traces.py, bad_commands.py), each
run through the CLI in process.

Each must print exactly one line ``error: ...`` naming the thing (after at most the indented
progress lines of ``report``), exit with the right status,
and leave no output behind (no ``out/`` and no ``results/`` folder).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.scenario import parse_scenario
from tests.bad_commands import all_cases
from tests.bad_inputs import OUT
from tests.conftest import tiny_dict
from tests.test_sweep import run_cli
from traces.files import write_traceset
from traces.synthetic import generate

CASES = all_cases()


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    """A folder with a valid trace folder (``traces-ok``) for the trace-folder cases."""
    root = tmp_path_factory.mktemp("corpus")
    data = tiny_dict(jobs={"arrivals_per_hour": 0.3, "gpu_choices": [8, 16, 32],
                           "duration_h": [1, 6], "slack_h": [0, 8]})
    write_traceset(generate(parse_scenario(data)), root / "traces-ok")
    return root


def test_the_corpus_is_large_and_ids_are_unique() -> None:
    ids = [case[0] for case in CASES]
    assert len(ids) >= 150
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(("name", "build", "code", "expected"), CASES,
                         ids=[case[0] for case in CASES])
def test_bad_input_gives_one_line(name, build, code, expected, corpus_dir, monkeypatch) -> None:
    case_dir = corpus_dir / name
    case_dir.mkdir()
    monkeypatch.chdir(case_dir)
    args = build(case_dir)
    status, _, err = run_cli(args)
    # `report` may print indented progress lines before it finds the problem; nothing else.
    lines = [line for line in err.splitlines() if not line.startswith("  ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert err.splitlines()[-1] == lines[0], err
    assert status == code, err
    assert expected in lines[0], lines[0]
    assert "Traceback" not in err
    assert not (case_dir / OUT).exists(), "output left behind"
    assert not (case_dir / "results").exists(), "output left behind"
