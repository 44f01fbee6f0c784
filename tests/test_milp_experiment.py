"""``gridshift experiment paper`` prints one comparison table (run here on a tiny scenario)."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from gridshift.cli import app
from gridshift.commands.experiments import PAPER_POLICIES, scaled_generation
from simulator.scenario import parse_scenario
from tests.conftest import tiny_dict


def test_experiment_paper_prints_the_table(tmp_path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_dict(hours=8)))
    out = tmp_path / "paper"
    result = CliRunner().invoke(app, ["experiment", "paper", "--scenario", str(path), "--out",
                                      str(out)])
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if line.strip().startswith("KPI"))
    assert header.split()[-len(PAPER_POLICIES):] == list(PAPER_POLICIES)
    assert "regret against the oracle USD" in result.output
    assert "total benefit USD" in result.output
    assert (out / "comparison.json").is_file() and f"comparison folder: {out}" in result.output


def test_generation_scale() -> None:
    scenario = parse_scenario(tiny_dict())
    doubled = scaled_generation(scenario, 2.0)
    assert [s.pv_mw for s in doubled.sites] == [2 * s.pv_mw for s in scenario.sites]
    assert [s.wind_mw for s in doubled.sites] == [2 * s.wind_mw for s in scenario.sites]
