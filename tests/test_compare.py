"""Policy comparison: intervals, paired changes, regret, the one-call API and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.compare import (
    REGRET,
    compare_policies,
    summarize,
    t_quantile,
)
from analysis.tables import format_comparison
from gridshift import api
from simulator.errors import SweepSpecError
from tests.test_sweep import run_cli


@pytest.mark.parametrize(("p", "df", "expected"), [
    (0.975, 1, 12.706204736), (0.975, 4, 2.776445105), (0.975, 30, 2.042272456),
    (0.95, 2, 2.919985580), (0.995, 9, 3.249835541), (0.5, 5, 0.0),
])
def test_t_quantile_matches_tables(p: float, df: int, expected: float) -> None:
    assert t_quantile(p, df) == pytest.approx(expected, abs=1e-8)


def _table() -> pd.DataFrame:
    """Three policies x three seeds with known numbers; one failed run."""
    rows = []
    benefit = {"base": [10.0, 12.0, 14.0], "better": [13.0, 16.0, 19.0],
               "oracle": [20.0, 20.0, 20.0]}
    for policy, values in benefit.items():
        for seed, value in enumerate(values):
            rows.append({"key": f"{policy}{seed}", "point": 0, "policy": policy, "seed": seed,
                         "scenario": "s", "status": "ok", "error": None, "wall_s": 0.1,
                         "total_benefit_usd": value, "emissions_t": 2.0 * value})
    rows.append({"key": "fail", "point": 0, "policy": "better", "seed": 3, "scenario": "s",
                 "status": "failed", "error": "ScenarioError: x", "wall_s": 0.1,
                 "total_benefit_usd": np.nan, "emissions_t": np.nan})
    return pd.DataFrame(rows)


def test_summary_means_intervals_paired_changes_and_regret() -> None:
    out = summarize(_table(), baseline="base", policies=["base", "better", "oracle"])
    row = out.set_index(["policy", "kpi"])
    better = row.loc[("better", "total_benefit_usd")]
    assert (better["n"], better["n_failed"]) == (3, 1)
    assert better["mean"] == pytest.approx(16.0)
    half = t_quantile(0.975, 2) * 3.0 / np.sqrt(3)  # std of 13, 16, 19 is 3
    assert (better["ci_low"], better["ci_high"]) == pytest.approx((16 - half, 16 + half))
    # Paired by seed: differences 3, 4, 5.
    assert better["delta"] == pytest.approx(4.0)
    dhalf = t_quantile(0.975, 2) * 1.0 / np.sqrt(3)
    assert (better["delta_ci_low"], better["delta_ci_high"]) == pytest.approx(
        (4 - dhalf, 4 + dhalf))
    assert better["delta_pct"] == pytest.approx(4.0 / 12.0 * 100)
    assert row.loc[("base", "total_benefit_usd"), "delta"] == 0
    # Regret = oracle - policy per seed: base 10, 8, 6; better 7, 4, 1; oracle 0.
    assert row.loc[("base", REGRET), "mean"] == pytest.approx(8.0)
    assert row.loc[("better", REGRET), "mean"] == pytest.approx(4.0)
    assert row.loc[("oracle", REGRET), "mean"] == pytest.approx(0.0)
    assert list(dict.fromkeys(out["policy"])) == ["base", "better", "oracle"]


def test_summary_errors_name_the_option() -> None:
    with pytest.raises(SweepSpecError, match="baseline: 'nope' is not among the policies"):
        summarize(_table(), baseline="nope")
    with pytest.raises(SweepSpecError, match="kpis: no column 'nope'"):
        summarize(_table(), kpis=["nope"])
    without_oracle = summarize(_table()[lambda t: t["policy"] != "oracle"])
    assert REGRET not in set(without_oracle["kpi"])


def test_compare_policies_is_one_call() -> None:
    out = compare_policies("paper-3site", ["fifo", "greedy"], seeds=[0, 1],
                           kpis=["total_benefit_usd", "emissions_t"])
    assert set(out["policy"]) == {"fifo", "greedy"} and (out["n"] == 2).all()
    row = out.set_index(["policy", "kpi"])
    fifo, greedy = (row.loc[(p, "total_benefit_usd")] for p in ("fifo", "greedy"))
    assert greedy["delta"] == pytest.approx(greedy["mean"] - fifo["mean"])
    # The same numbers as simulating each run directly.
    direct = np.mean([api.simulate("paper-3site", "greedy", seed=s).kpis["total_benefit_usd"]
                      for s in (0, 1)])
    assert greedy["mean"] == pytest.approx(direct)
    text = format_comparison(out)
    assert "mean over 2 seeds ± 95% CI" in text and "change against fifo" in text


def test_single_seed_has_no_interval_and_api_compare_still_works() -> None:
    out = compare_policies("paper-3site", ["fifo"], kpis=["total_benefit_usd"])
    assert out["ci_low"].isna().all()
    assert "no CI (1 seed)" in format_comparison(out)
    table = api.compare("paper-3site", ["fifo", "greedy"])  # the demo's call
    assert list(table.index) == ["fifo", "greedy"] and "total_benefit_usd" in table


def test_cli_compare(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    code, stdout, stderr = run_cli(["compare", "paper-3site", "--policies", "fifo,greedy",
                                    "--seeds", "0-1", "--workers", "1", "--out", str(out),
                                    "--table", str(tmp_path / "summary.csv")])
    assert code == 0, stderr
    assert "benefit USD" in stdout and "change against fifo (paired by seed)" in stdout
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert {"policy", "kpi", "mean", "ci_low", "ci_high", "delta"} <= set(summary.columns)
    assert len(list((out / "runs").glob("*.json"))) == 4
    assert len(list((out / "books").iterdir())) == 4
    code, _, stderr = run_cli(["compare", "paper-3site", "--seeds", "3-1"])
    assert code == 2 and stderr == "error: --seeds: '3-1' is not a seed or a range like 0-4\n"
