"""A trained agent (any callable obs -> action) runs as a policy: ``rl:module:callable`` or
``rl:path/file.py:callable`` in ``run``, ``compare`` and sweeps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analysis.sweep_expand import check_policies
from analysis.sweep_spec import parse_spec
from gridshift.api import simulate
from policies.registry import is_policy, make_policy
from simulator.errors import SweepSpecError

AGENT = """import numpy as np

def act(x):
    a = np.zeros(19)
    a[-1] = 1.0  # admit every pending job
    a[:3] = -0.5  # discharge the batteries
    return a
"""


@pytest.fixture
def agent_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_agent.py"
    path.write_text(AGENT)
    return path


def gridshift(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gridshift", *args], capture_output=True,
                          text=True, timeout=300, check=False)


def test_module_and_file_specs_build_the_same_policy(agent_file: Path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(agent_file.parent))
    by_module = simulate("paper-3site", "rl:my_agent:act")
    by_file = simulate("paper-3site", f"rl:{agent_file}:act")
    assert by_module.result.ledger.equals(by_file.result.ledger)
    assert by_module.meta["policy"] == "rl:my_agent:act"
    fifo = simulate("paper-3site", "fifo")
    assert by_module.kpis["total_benefit_usd"] != fifo.kpis["total_benefit_usd"]
    assert (by_module.result.ledger["discharge_mw"] > 0).any()


@pytest.mark.parametrize(("spec", "message"), [
    ("rl:no_such_module_xyz:act", "cannot import no_such_module_xyz"),
    ("rl:/no/such/file.py:act", "no file"),
    ("rl:math:no_such_callable", "has no callable 'no_such_callable'"),
    ("rl:act", "expected rl:module:callable"),
])
def test_bad_specs_say_what_is_wrong(spec: str, message: str) -> None:
    assert is_policy(spec)
    with pytest.raises(ValueError, match=message):
        make_policy(spec)


def test_cli_run_and_compare_score_the_agent(agent_file: Path, tmp_path: Path) -> None:
    spec = f"rl:{agent_file}:act"
    done = gridshift("run", "paper-3site", "--policy", spec, "--out", str(tmp_path / "runs"))
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "runs").iterdir())) == 1
    done = gridshift("compare", "paper-3site", "--policies", f"fifo,{spec}", "--seeds", "0,1",
                     "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert spec in done.stdout
    bad = gridshift("run", "paper-3site", "--policy", "rl:no_such_module_xyz:act")
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error: ")


def test_sweeps_accept_rl_names(agent_file: Path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(agent_file.parent))

    def spec(*policies: str):
        return parse_spec({"name": "s", "scenario": "paper-3site", "policies": list(policies)})

    check_policies(spec("greedy", "rl:my_agent:act"), "spec.toml")
    with pytest.raises(SweepSpecError, match="unknown policy 'nope'"):
        check_policies(spec("nope"), "spec.toml")
    with pytest.raises(SweepSpecError, match="cannot import no_such_module_xyz"):
        check_policies(spec("rl:no_such_module_xyz:act"), "spec.toml")


def test_the_shipped_trained_example_beats_fifo() -> None:
    """examples/rl_linear_policy.npz, scored through the adapter on the scenario's own seed
    (the example trained on seeds 100-115)."""
    agent = Path(__file__).resolve().parents[1] / "examples" / "linear_agent.py"
    trained = simulate("paper-3site", f"rl:{agent}:act")
    fifo = simulate("paper-3site", "fifo")
    assert trained.kpis["total_benefit_usd"] > fifo.kpis["total_benefit_usd"]
