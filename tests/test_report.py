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
    assert "No <code>oracle</code> runs: no regret." in text
    # benefit-emissions + 3 KPIs x 2 parameters + 5 figures of one single run
    assert _images(text) == 1 + 3 * 2 + 5
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
    assert "total_benefit_usd" in text and "<td>USD</td>" in text
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
