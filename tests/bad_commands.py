"""Bad flags, sweep specs and report folders for the corpus."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.bad_inputs import OUT, Build, Case, _dump, scenario_cases
from tests.bad_traces import TRACE_CASES


def _args(*args: str) -> Build:
    return lambda tmp: list(args)


def _with_file(name: str, *args: str) -> Build:
    def build(tmp: Path) -> list[str]:
        (tmp / name).write_text("x")
        return [a.replace("@", str(tmp / name)) for a in args]
    return build


FLAG_CASES: list[Case] = [
    ("no-such-command", _args("bogus"), 2, "No such command 'bogus'"),
    ("no-such-option", _args("run", "paper-3site", "--frob"), 2, "No such option: --frob"),
    ("missing-argument", _args("run"), 2, "Missing argument"),
    ("days-text", _args("run", "paper-3site", "--days", "x", "--out", OUT), 2, "'--days'"),
    ("days-negative", _args("run", "paper-3site", "--days", "-1", "--out", OUT), 2, "--days"),
    ("days-nan", _args("run", "paper-3site", "--days", "nan", "--out", OUT), 2,
     "--days: nan is not a positive number"),
    ("days-inf", _args("run", "paper-3site", "--days", "inf", "--out", OUT), 2, "--days: inf"),
    ("days-absurd", _args("run", "paper-3site", "--days", "1e9", "--out", OUT), 2,
     "--days: 1e+09 days is more than 10 years; add --allow-long-run"),
    ("days-partial-hour", _args("run", "paper-3site", "--days", "0.01", "--out", OUT), 2,
     "--days: 0.01 is not a positive whole number of hours"),
    ("seed-negative", _args("run", "paper-3site", "--seed", "-1", "--out", OUT), 2,
     "seed: expected a whole number >= 0, got -1"),
    ("seed-float", _args("run", "paper-3site", "--seed", "1.5", "--out", OUT), 2, "'--seed'"),
    ("start-garbage", _args("run", "paper-3site", "--start", "soon", "--out", OUT), 2,
     "--start: 'soon' is not a date"),
    ("start-half-hour", _args("run", "paper-3site", "--start", "2022-06-01T00:30Z", "--out",
                              OUT), 2, "start: must be an hour start"),
    ("fill-bogus", _args("run", "paper-3site", "--fill", "guess", "--out", OUT), 2,
     "traces.fill"),
    ("policy-unknown", _args("run", "paper-3site", "--policy", "nope", "--out", OUT), 2,
     "unknown policy 'nope'"),
    ("policy-spec-module", _args("run", "paper-3site", "--policy", "no_such_mod:P", "--out",
                                 OUT), 2, "policy 'no_such_mod:P': cannot import module"),
    ("policy-spec-attr", _args("run", "paper-3site", "--policy", "json:NoSuch", "--out", OUT), 2,
     "policy 'json:NoSuch': module 'json' has no 'NoSuch'"),
    ("policy-spec-not-policy", _args("run", "paper-3site", "--policy", "json:JSONDecoder",
                                     "--out", OUT), 2, "JSONDecoder is not a policy"),
    ("policy-spec-empty", _args("run", "paper-3site", "--policy", ":P", "--out", OUT), 2,
     "a custom policy is 'module:Class'"),
    ("forecast-bogus", _args("run", "paper-3site", "--forecast", "crystal-ball", "--out", OUT), 2,
     "forecast"),
    ("out-is-file", _with_file("f.txt", "run", "paper-3site", "--out", "@"), 2,
     "is a file, not a folder"),
    ("out-below-file", _with_file("f.txt", "run", "paper-3site", "--out", "@/sub"), 2,
     "is a file, not a folder"),
    ("cmp-confidence", _args("compare", "paper-3site", "--confidence", "95"), 2,
     "--confidence: must be in (0, 1)"),
    ("cmp-confidence-0", _args("compare", "paper-3site", "--confidence", "0"), 2, "--confidence"),
    ("cmp-dup-policy", _args("compare", "paper-3site", "--policies", "fifo,fifo"), 2,
     "--policies: 'fifo' listed twice"),
    ("cmp-no-policy", _args("compare", "paper-3site", "--policies", ","), 2,
     "--policies: no policy given"),
    ("cmp-unknown-policy", _args("compare", "paper-3site", "--policies", "fifo,nope"), 2,
     "unknown policy 'nope'"),
    ("cmp-seed-negative", _args("compare", "paper-3site", "--seeds", "-1"), 2,
     "--seeds: '-1': seeds are whole numbers >= 0"),
    ("cmp-seed-range", _args("compare", "paper-3site", "--seeds", "5-2"), 2,
     "--seeds: '5-2' is not a seed or a range"),
    ("cmp-seed-text", _args("compare", "paper-3site", "--seeds", "a,b"), 2, "--seeds: 'a'"),
    ("cmp-seed-absurd", _args("compare", "paper-3site", "--seeds", "0-99999999999"), 2,
     "--seeds: '0-99999999999' gives more than 10,000 seeds"),
    ("cmp-baseline", _args("compare", "paper-3site", "--baseline", "nope"), 2,
     "--baseline: 'nope' is not among --policies"),
    ("cmp-table-suffix", _args("compare", "paper-3site", "--table", "t.txt"), 2,
     "--table t.txt: use a .csv or .parquet file name"),
    ("cmp-table-folder", lambda tmp: ((tmp / "t.csv").mkdir(), ["compare", "paper-3site",
                                      "--table", str(tmp / "t.csv")])[1], 2, "is a folder"),
    ("cmp-workers-0", _args("compare", "paper-3site", "--workers", "0"), 2,
     "--workers: need at least 1"),
    ("cmp-start-method", _args("compare", "paper-3site", "--workers", "2", "--start-method",
                               "fork"), 2, "start method 'fork'"),
    ("cmp-dask-both", _args("compare", "paper-3site", "--dask", "tcp://x:1", "--dask-local",
                            "2"), 2, "--dask and --dask-local: give one, not both"),
    ("cmp-out-file", _with_file("f.txt", "compare", "paper-3site", "--out", "@"), 2,
     "--out"),
    ("cmp-days", _args("compare", "paper-3site", "--days", "nan"), 2, "--days"),
    ("cmp-scenario", _args("compare", "no-such-scenario"), 2, "no such file and no built-in"),
    ("cmp-option-policy-spec", _args("compare", "paper-3site", "--policies", "fifo,json:loads"),
     2, "policy 'json:loads'"),
    ("exp-seed", _args("experiment", "paper", "--seed", "x"), 2, "'--seed'"),
    ("exp-scenario", _args("experiment", "paper", "--scenario", "nope"), 2,
     "no such file and no built-in"),
    ("rob-seeds", _args("experiment", "robustness", "--seeds", "a", "--out", OUT), 2,
     "--seeds"),
    ("rob-scenario", _args("experiment", "robustness", "--scenario", "bursty", "--scenario",
                           "nope", "--out", OUT), 2, "no such file and no built-in"),
    ("rob-days", _args("experiment", "robustness", "--days", "nan", "--out", OUT), 2,
     "--days: nan"),
    ("fe-seeds", _args("forecast-eval", "--seeds", "a,b", "--out", OUT), 2, "--seeds"),
    ("fe-hours", _args("forecast-eval", "--synthetic-hours", "3", "--out", OUT), 2,
     "--synthetic-hours"),
    ("exp-scale-negative", _args("experiment", "paper", "--generation-scale", "-1"), 2,
     "--generation-scale"),
    ("exp-scale-nan", _args("experiment", "paper", "--generation-scale", "nan"), 2,
     "--generation-scale"),
    ("exp-out-file", _with_file("f.txt", "experiment", "paper", "--out", "@"), 2,
     "is a file, not a folder"),
    ("fe-huber-nan", _args("forecast-eval", "--huber-delta", "nan", "--out", OUT), 2,
     "huber_delta must be > 0"),
    ("fe-policy", _args("forecast-eval", "--policy", "nope", "--out", OUT), 2,
     "unknown policy 'nope'"),
    ("fe-scenario", _args("forecast-eval", "--scenario", "nope", "--out", OUT), 2,
     "no such file and no built-in"),
    ("fe-out-file", _with_file("f.txt", "forecast-eval", "--out", "@"), 2,
     "is a file, not a folder"),
    ("fe-signals", _args("forecast-eval", "--signals", "carbon,price", "--out", OUT), 2,
     "unknown signals ['price']"),
    ("fe-scenario-list", _args("forecast-eval", "--scenario", "default,nope", "--out", OUT),
     2, "scenario 'nope': no such file"),
    ("validate-missing", _args("scenario", "validate", "nope.toml"), 2, "nope.toml"),
    ("show-missing", _args("scenario", "show", "nope"), 2, "no such file and no built-in"),
    ("scenario-unknown-sub", _args("scenario", "frob"), 2, "No such command 'frob'"),
]


# ---- sweep specs -----------------------------------------------------------------------------
SPEC = {"name": "s", "scenario": "paper-3site", "policies": ["fifo"], "set": {"hours": 4}}


def _spec(change: Callable[[dict], Any] | None = None, suffix: str = ".toml",
          text: str | bytes | None = None) -> Build:
    def build(tmp: Path) -> list[str]:
        path = tmp / f"spec{suffix}"
        if text is not None:
            path.write_bytes(text if isinstance(text, bytes) else text.encode())
        else:
            data = copy.deepcopy(SPEC)
            if change is not None:
                change(data)
            _dump(data, path)
        return ["sweep", str(path), "--out", OUT]
    return build


SWEEP_CASES: list[Case] = [
    ("sw-syntax", _spec(text="name = "), 2, "not valid TOML"),
    ("sw-yaml-dup", _spec(suffix=".yaml", text="name: a\nname: b\n"), 2,
     "key 'name' given twice"),
    ("sw-json-syntax", _spec(suffix=".json", text="{"), 2, "not valid JSON at line 1"),
    ("sw-binary", _spec(text=b"\xff\xfe\x00"), 2, "not UTF-8 text"),
    ("sw-folder", lambda tmp: ((tmp / "d.toml").mkdir(), ["sweep", str(tmp / "d.toml")])[1], 2,
     "is a folder, not a sweep file"),
    ("sw-missing", _args("sweep", "no-such-spec.toml"), 2, "no-such-spec.toml"),
    ("sw-unknown-key", _spec(lambda d: d.update(polices=["fifo"])), 2, "polices"),
    ("sw-dup-policy", _spec(lambda d: d.update(policies=["fifo", "fifo"])), 2,
     "policies: listed twice"),
    ("sw-unknown-policy", _spec(lambda d: d.update(policies=["nope"])), 2,
     "unknown policy 'nope'"),
    ("sw-policy-option", _spec(lambda d: d.update(policies=["greedy"],
                                                  policy_options={"greedy": {"bogus": 1}})), 2,
     "policy 'greedy': options ['bogus']"),
    ("sw-option-other-policy", _spec(lambda d: d.update(policy_options={"greedy": {}})), 2,
     "policy_options: ['greedy'] not among the policies"),
    ("sw-axis-path", _spec(lambda d: d.update(axes={"sites.0.nope": [1, 2]})), 2,
     "axes.sites.0.nope=1: scenario field 'sites.0.nope': no field 'nope'"),
    ("sw-axis-value", _spec(lambda d: d.update(axes={"sites.0.gpus": [-1]})), 2,
     "sites.0.gpus"),
    ("sw-axis-range", _spec(lambda d: d.update(axes={"hours": {"start": 5, "stop": 1,
                                                                "step": 1}})), 2,
     "stop (1.0) must be >= start (5.0)"),
    ("sw-n-sites", _spec(lambda d: d.update(axes={"n_sites": [0]})), 2, "n_sites must be"),
    ("sw-points-in-grid", _spec(lambda d: d.update(points=[{"hours": 3}])), 2,
     "points: only with mode = 'points'"),
    ("sw-seeds-negative", _spec(lambda d: d.update(seeds=[-1])), 2, "seeds"),
    ("sw-scenario", _spec(lambda d: d.update(scenario="nope")), 2, "scenario: scenario 'nope'"),
    ("sw-set-inf", _spec(lambda d: d.update(set={"sites.0.import_cap_mw": float("inf")})), 2,
     "finite"),
    ("sw-set-hours", _spec(lambda d: d.update(set={"hours": 10**9})), 2, "more than 10 years"),
    ("sw-out-file", lambda tmp: ((tmp / "f").write_text("x"),
                                 _spec()(tmp)[:-1] + [str(tmp / "f")])[1], 2, "is a file"),
    ("sw-cli-seeds", lambda tmp: _spec()(tmp) + ["--seeds", "-3"], 2, "--seeds"),
]


# ---- report folders --------------------------------------------------------------------------
def _report(make: Callable[[Path], Path]) -> Build:
    return lambda tmp: ["report", str(make(tmp)), "--out", str(tmp / OUT / "r.html")]


def _bad_run_folder(tmp: Path) -> Path:
    folder = tmp / "run"
    folder.mkdir()
    (folder / "meta.json").write_text("{not json")
    (folder / "ledger.parquet").write_text("not parquet")
    return folder


def _bad_sweep_folder(tmp: Path) -> Path:
    folder = tmp / "sweep"
    (folder / "runs").mkdir(parents=True)
    (folder / "sweep.json").write_text("{}")
    (folder / "runs" / "abc.json").write_text("{broken")
    return folder


def _run_folder(tmp: Path) -> Path:
    """A folder that looks like a run folder (the option checks come before reading it)."""
    folder = tmp / "run"
    folder.mkdir()
    (folder / "meta.json").write_text("{}")
    return folder


REPORT_CASES: list[Case] = [
    ("rp-dpi", lambda tmp: ["report", str(_run_folder(tmp)), "--dpi", "0"], 2, "--dpi"),
    ("rp-max-runs", lambda tmp: ["report", str(_run_folder(tmp)), "--max-runs", "-1"], 2,
     "--max-runs"),
    ("rp-confidence", lambda tmp: ["report", str(_run_folder(tmp)), "--confidence", "2"], 2,
     "--confidence"),
    ("rp-out-suffix", lambda tmp: ["report", str(_run_folder(tmp)), "--out", "r.pdf"], 2,
     "--out r.pdf: use a .html or .htm file name"),
    ("rp-out-below-file", lambda tmp: ((tmp / "f").write_text("x"), [
        "report", str(_run_folder(tmp)), "--out", str(tmp / "f" / "r.html")])[1], 2,
     "is a file, not a folder"),
    ("rp-missing", _report(lambda tmp: tmp / "nope"), 2, "no such folder"),
    ("rp-file", _report(lambda tmp: (tmp / "f").write_text("x") and tmp / "f"), 2, "f"),
    ("rp-empty", _report(lambda tmp: (tmp / "e").mkdir() or tmp / "e"), 2,
     "neither a run folder"),
    ("rp-bad-run", _report(_bad_run_folder), 2, "cannot read ledger.parquet"),
    ("rp-bad-sweep", _report(_bad_sweep_folder), 2, "abc.json: unreadable run record"),
]


def all_cases() -> list[Case]:
    """Every CLI case of the corpus."""
    return [*scenario_cases(), *TRACE_CASES, *FLAG_CASES, *SWEEP_CASES, *REPORT_CASES]
