"""Every example in examples/ runs as a plain script on small settings (so none rots)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED_DATA

EXAMPLES = sorted((REPO / "examples").glob("[0-9][0-9]_*.py"))


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg",
           "GRIDSHIFT_EXAMPLE_HOURS": "24", "GRIDSHIFT_EXAMPLE_OUT": str(tmp_path / "out"),
           "GRIDSHIFT_DATA_DIR": str(SHARED_DATA)}
    done = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), "the example printed nothing"
    assert "Traceback" not in done.stderr
