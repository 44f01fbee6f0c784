"""Each report kind rendered in headless Chromium: no console error, no broken image, not
empty, and a screenshot that is drawn on. Skipped where no Chromium is installed (.ci/run
installs it from the Debian packages)."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import pytest

from analysis.collection import write_manifest
from analysis.figures import figure_png, plot_dispatch
from analysis.report import write_report
from analysis.sweep import run_sweep
from analysis.sweep_spec import parse_spec
from gridshift import api
from simulator.scenario import parse_scenario
from tests.conftest import tiny_dict

BROWSER = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser",
                                                       "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium installed")

# Runs first in the page: records script and resource errors and console.error calls, then
# on load writes what it found into <body data-check="...">.
_PROBE = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(
  e.message || ('failed to load ' + (e.target && (e.target.src || e.target.href)))), true);
const _err = console.error;
console.error = (...a) => { window.__errors.push(a.join(' ')); _err(...a); };
window.addEventListener('load', () => {
  const imgs = [...document.images];
  document.body.dataset.check = JSON.stringify({
    errors: window.__errors,
    images: imgs.length,
    broken: imgs.filter(i => !i.complete || i.naturalWidth === 0).length,
    text: document.body.innerText.trim().length,
    title: document.title});
});
</script>"""


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--virtual-time-budget=10000", *args],
                          capture_output=True, text=True, timeout=120)


def _check_in_browser(report: Path, tmp_path: Path) -> dict:
    probed = tmp_path / f"probed-{report.parent.name}.html"
    probed.write_text(report.read_text().replace("<head>", "<head>" + _PROBE, 1))
    dom = _chromium("--dump-dom", probed.as_uri()).stdout
    found = re.search(r'data-check="([^"]*)"', dom)
    assert found, f"the page did not load: {dom[:300]}"
    check = json.loads(html.unescape(found[1]))
    shot = tmp_path / f"{report.parent.name}.png"
    _chromium("--window-size=1280,2000", f"--screenshot={shot}", report.as_uri())
    pixels = matplotlib.image.imread(io.BytesIO(shot.read_bytes()))[..., :3]
    check["drawn"] = float((pixels < 0.9).any(axis=2).mean())
    return check


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("kinds")
    tiny = parse_scenario(tiny_dict(hours=12), source="tiny")
    run = api.run(tiny, "greedy", out_dir=root / "runs")
    api.compare(tiny, ["fifo", "greedy"], out_dir=root / "comparison")
    spec = parse_spec({"name": "b", "scenario": "paper-3site", "policies": ["fifo", "greedy"],
                       "seeds": [0, 1], "save_runs": True, "set": {"hours": 12},
                       "axes": {"economics.carbon_price_usd_per_t": [0, 200]}})
    run_sweep(spec, root / "sweep", progress=False)
    tables = root / "tables"
    write_manifest(tables, "forecast-eval", "forecast evaluation")
    (tables / "errors.csv").write_text("signal,mae_usd_per_mwh\nprice,12.5\n")
    (tables / "dispatch.png").write_bytes(figure_png(plot_dispatch(run), 40))
    return {"run": run.folder, "comparison": root / "comparison", "sweep": root / "sweep",
            "tables": tables}


@pytest.mark.parametrize("kind", ["run", "comparison", "sweep", "tables"])
def test_report_renders_in_chromium(kind: str, folders: dict[str, Path], tmp_path: Path) -> None:
    report = write_report(folders[kind], max_runs=1, dpi=40)
    check = _check_in_browser(report, tmp_path)
    assert check["errors"] == []
    assert check["images"] >= 1 and check["broken"] == 0
    assert check["text"] > 200 and check["title"].startswith("GridShift")
    assert check["drawn"] > 0.02, "the screenshot is blank"


def test_the_probe_sees_broken_images_and_console_errors(tmp_path: Path) -> None:
    page = tmp_path / "bad" / "report.html"
    page.parent.mkdir()
    page.write_text("<!DOCTYPE html><html><head><title>GridShift bad</title></head><body>"
                    "<p>" + "text " * 60 + "</p><img src='data:image/png;base64,AAAA'>"
                    "<script>console.error('boom')</script></body></html>")
    check = _check_in_browser(page, tmp_path)
    assert check["broken"] == 1 and any("boom" in e for e in check["errors"])
