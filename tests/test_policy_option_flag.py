"""``--policy-option``: options reach the policy's constructor; mistakes are one line, exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analysis.results import read_run
from gridshift.overrides import policy_options
from simulator.errors import PolicyError


def gridshift(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gridshift", *args], capture_output=True,
                          text=True, timeout=300, check=False)


def test_values_are_read_as_toml_and_keys_split_at_the_last_dot() -> None:
    got = policy_options(["oracle.method=relaxed", "milp.horizon_h=12", "milp.threads=1",
                          "pkg.mod:Cls.alpha=0.5", "pkg.mod:Cls.flag=true",
                          'pkg.mod:Cls.name="x=y"'],
                         ["oracle", "milp", "pkg.mod:Cls"])
    assert got == {"oracle": {"method": "relaxed"}, "milp": {"horizon_h": 12, "threads": 1},
                   "pkg.mod:Cls": {"alpha": 0.5, "flag": True, "name": "x=y"}}
    assert policy_options(["horizon_h=6"], ["milp"]) == {"milp": {"horizon_h": 6}}
    assert policy_options(None, ["milp"]) == {}


@pytest.mark.parametrize(("text", "message"), [
    ("horizon_h", "is not [POLICY.]KEY=VALUE"),
    ("milp.=3", "is not [POLICY.]KEY=VALUE"),
    ("horizon_h=6", "names no policy"),
    ("greedy.horizon_h=6", "policy 'greedy' is not among the policies run"),
])
def test_mistakes_name_the_flag(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=r"^--policy-option: .*" + message.replace(
            "[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        policy_options([text], ["milp", "oracle"])


def test_twice_is_refused() -> None:
    with pytest.raises(PolicyError, match="given twice"):
        policy_options(["milp.horizon_h=6", "milp.horizon_h=7"], ["milp"])


def test_run_passes_the_option_to_the_policy(tmp_path) -> None:
    # paper-3site's oracle is exact by default; the option makes it use the LP bound
    done = gridshift("run", "paper-3site", "--policy", "oracle", "--days", "0.25",
                     "--policy-option", "method=relaxed", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    kpis = read_run(next(tmp_path.iterdir()))["kpis"]
    assert kpis["oracle_bound_exact"] == 0 and kpis["oracle_bound_method"] == "lp-relaxation"


def test_compare_refuses_an_option_the_policy_does_not_take() -> None:
    done = gridshift("compare", "paper-3site", "--policies", "greedy,oracle", "--days", "0.25",
                     "--workers", "1", "-o", "oracle.no_such_option=1")
    assert done.returncode == 2
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert "no_such_option" in line and "--policies" not in line, line
