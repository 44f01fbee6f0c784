"""HTML reports: self-contained, with the figures and tables of a run or a sweep."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.report import ReportError, write_report
from analysis.sweep import run_sweep
from analysis.sweep_spec import parse_spec
from gridshift import api
from tests.test_sweep import run_cli


def _images(text: str) -> int:
    return len(re.findall(r'<img [^>]*src="data:image/png;base64,[A-Za-z0-9+/=]{500,}"', text))


def _scientific(text: str) -> list[str]:
    """Numbers in scientific notation outside the embedded images."""
    return re.findall(r"\b\d+(?:\.\d+)?e[+-]\d+", re.sub(r'src="data:[^"]*"', "", text))


def _self_contained(text: str) -> None:
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r'(src|href)="(?!data:)', text), "the report links something outside"
    assert "<script" not in text


def test_sweep_report_with_failures_and_single_runs(tmp_path: Path) -> None:
    spec = parse_spec({"name": "rep", "scenario": "paper-3site", "policies": ["fifo", "greedy"],
                       "save_runs": True,
                       "axes": {"forecast.method": ["persistence", "no-such-forecaster"],
                                "economics.carbon_price_usd_per_t": [0, 100]}})
    out = tmp_path / "sweep"
    done = run_sweep(spec, out, progress=False)
    assert done.failed == 4
    target = write_report(out, max_runs=1, dpi=40)
    assert target == out / "report.html"
    text = target.read_text()
    _self_contained(text)
    for heading in ("GridShift sweep: rep", "<h2>Summary</h2>", "<h2>Failed runs</h2>",
                    "<h2>Across runs</h2>", "<h2>Single runs</h2>", "<h2>Spec</h2>"):
        assert heading in text
    assert "ScenarioError: " in text  # each failure with its one-line error
    assert "No oracle runs: no regret." in text
    # paired differences + benefit-emissions + Pareto (a carbon-price axis)
    # + 3 KPIs x 2 parameters + 5 figures of one single run
    assert _images(text) == 3 + 3 * 2 + 5
    assert not _scientific(text)
    assert "total benefit (USD)" in text and "(× base value)" not in text


def test_run_report_from_a_run_folder(tmp_path: Path) -> None:
    done = api.run("paper-3site", "greedy", out_dir=tmp_path)
    target = tmp_path / "r" / "run.html"
    code, stdout, stderr = run_cli(["report", str(done.folder), "--out", str(target), "--dpi",
                                    "40"])
    assert code == 0 and stdout == f"report: {target}\n", stderr
    text = target.read_text()
    _self_contained(text)
    assert "GridShift run: paper-3site · greedy · seed 7" in text
    assert "total benefit" in text and "<td>USD</td>" in text and "↑ higher" in text
    assert "total_benefit_usd" not in text and not _scientific(text)
    # `gridshift run` folders have no routing table (yet): that figure is a note, not a crash.
    routing = (done.folder / "routing.parquet").exists()
    assert _images(text) == (5 if routing else 4)
    assert routing or "not drawn (run has no routing table" in text


def test_report_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no such folder"):
        write_report(tmp_path / "missing")
    with pytest.raises(ReportError, match="neither a run folder .* nor a sweep folder"):
        write_report(tmp_path)
    code, _, stderr = run_cli(["report", str(tmp_path)])
    assert code == 2 and stderr.count("\n") == 1 and stderr.startswith("error: ")


def test_comparison_folder_report_is_titled_and_drawn(tmp_path: Path) -> None:
    """``api.compare`` (the demo's call) writes a comparison folder that ``report`` reads."""
    table = api.compare("paper-3site", ["fifo", "greedy"], out_dir=tmp_path / "cmp")
    assert (tmp_path / "cmp" / "comparison.json").is_file()
    code, stdout, stderr = run_cli(["report", str(tmp_path / "cmp"), "--dpi", "40",
                                    "--max-runs", "1"])
    assert code == 0, stderr
    assert "figure 1:" in stderr  # progress on stderr
    text = (tmp_path / "cmp" / "report.html").read_text()
    _self_contained(text)
    assert "GridShift comparison: paper-3site · fifo, greedy" in text
    assert "greedy (highest benefit)" in text or "fifo (highest benefit)" in text
    # hourly emissions and cost, per site, then 5 figures of the best run
    assert _images(text) == 2 + 5
    benefit = f"{table.loc['greedy', 'total_benefit_usd']:,.0f}"
    assert benefit in text


def test_tables_folder_report(tmp_path: Path) -> None:
    from analysis.collection import write_manifest

    folder = tmp_path / "fe"
    write_manifest(folder, "forecast-eval", "forecast evaluation", scenario="x")
    (folder / "errors.csv").write_text("signal,mae_usd_per_mwh\nprice,12345.678\n")
    target = write_report(folder)
    text = target.read_text()
    assert "GridShift forecast evaluation" in text and "12,345.7" in text
