"""The corpus of bad inputs: each case writes its input and names what the error must name.

A case is ``(id, build, code, expected)``: ``build(tmp)`` writes whatever the case needs into
the folder ``tmp`` and returns the ``gridshift`` arguments; the command must exit with
``code`` after printing exactly one line ``error: ...`` on stderr that contains ``expected``,
and leave no output behind. Used by tests/test_bad_inputs.py.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from tests.conftest import TINY

Build = Callable[[Path], list[str]]
Case = tuple[str, Build, int, str]
OUT = "out"  # every case that could write is pointed here; it must not exist afterwards


def _run(path: Path) -> list[str]:
    return ["run", str(path), "--policy", "fifo", "--out", OUT]


def _toml_value(value: Any) -> str:
    """A value as TOML (tables inline, so any nesting fits on one line)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()
                           if v is not None) + "}"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _dump(data: dict[str, Any], path: Path) -> Path:
    if path.suffix == ".toml":
        path.write_text("".join(f"{_toml_key(k)} = {_toml_value(v)}\n" for k, v in data.items()
                                if v is not None))
    elif path.suffix == ".json":
        path.write_text(json.dumps(data))
    else:
        path.write_text(yaml.safe_dump(data))
    return path


def _text(name: str, text: str | bytes) -> Build:
    def build(tmp: Path) -> list[str]:
        path = tmp / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return _run(path)
    return build


def _mutated(mutate: Callable[[dict], Any], suffix: str) -> Build:
    def build(tmp: Path) -> list[str]:
        data = copy.deepcopy(TINY)
        mutate(data)
        return _run(_dump(data, tmp / f"scenario{suffix}"))
    return build


def _site(**fields: Any) -> Callable[[dict], None]:
    return lambda d: d["sites"][0].update(fields)


def _top(**fields: Any) -> Callable[[dict], None]:
    return lambda d: d.update(fields)


def _job(**fields: Any) -> Callable[[dict], None]:
    job = {"job_id": 1, "release_hour": 0, "gpus": 8, "duration_h": 2, "deadline_hour": 6,
           "value_usd": 10.0, **fields}
    return lambda d: d["jobs"].update(jobs=[job])


# (id, mutation, expected text); each runs as TOML, YAML and JSON where the format can say it.
FIELD_CASES: list[tuple[str, Callable[[dict], Any], str]] = [
    ("gpus-true", _site(gpus=True), "sites.0.gpus: expected a number, got True"),
    ("gpus-text", _site(gpus="5"), "sites.0.gpus"),
    ("gpus-fraction", _site(gpus=2.5), "sites.0.gpus"),
    ("gpus-zero", _site(gpus=0), "sites.0.gpus: Input should be greater than 0"),
    ("gpus-negative", _site(gpus=-3), "sites.0.gpus"),
    ("typo-site-key", lambda d: d["sites"][0].update(gpu=d["sites"][0].pop("gpus")),
     "sites.0.gpu: unknown field (did you mean 'gpus'?)"),
    ("typo-top-key", lambda d: d.update(hour=d.pop("hours")),
     "hour: unknown field (did you mean 'hours'?)"),
    ("typo-battery-key", lambda d: d["sites"][0]["battery"].update(energy_mw=1),
     "sites.0.battery.energy_mw: unknown field (did you mean 'energy_mwh'?)"),
    ("typo-economics", lambda d: d["economics"].update(carbon_price=5),
     "economics.carbon_price: unknown field (did you mean 'carbon_price_usd_per_t'?)"),
    ("hours-absurd", _top(hours=10**12), "hours: 1,000,000,000,000 is more than 10 years"),
    ("hours-11-years", _top(hours=96_400), "allow_long_run"),
    ("hours-zero", _top(hours=0), "hours: Input should be greater than 0"),
    ("hours-negative", _top(hours=-5), "hours"),
    ("seed-negative", _top(seed=-1), "seed: Input should be greater than or equal to 0"),
    ("seed-huge", _top(seed=2**70), "seed"),
    ("seed-text", _top(seed="three"), "seed"),
    ("start-naive", _top(start="2022-06-01T00:00:00"), "start: must be a UTC timestamp"),
    ("start-half-hour", _top(start="2022-06-01T00:30:00Z"), "start: must be an hour start"),
    ("start-offset", _top(start="2022-06-01T00:00:00+02:00"), "start: must be a UTC"),
    ("start-garbage", _top(start="yesterday"), "start"),
    ("pv-negative", _site(pv_mw=-1.0), "sites.0.pv_mw"),
    ("latitude-91", _site(latitude=91.0), "sites.0.latitude"),
    ("offset-99", _site(utc_offset_h=99.0), "sites.0.utc_offset_h"),
    ("busy-below-idle", _site(busy_kw_per_gpu=0.1), "busy_kw_per_gpu (0.1) must be >="),
    ("sell-rule", _site(sell_rule="barter"), "sites.0.sell_rule"),
    ("credit-text", lambda d: d["economics"].update(export_carbon_credit="yes"),
     "economics.export_carbon_credit"),
    ("shares", lambda d: d["classes"][0].update(share=0.9), "classes: shares must sum to 1"),
    ("dup-sites", lambda d: d["sites"][1].update(name="a"), "sites: duplicate names ['a']"),
    ("latency-unknown-region",
     _top(latency_ms={"west": {"a": 5, "b": 9}, "south": {"a": 5, "b": 9},
                      "north": {"a": 1, "b": 1}}), "latency_ms.north: no such region"),
    ("latency-unknown-site",
     _top(latency_ms={"west": {"a": 5, "b": 9, "c": 1}, "south": {"a": 5, "b": 9}}),
     "latency_ms.west.c: no such site"),
    ("latency-missing-region", _top(latency_ms={"west": {"a": 5, "b": 9}}),
     "latency_ms: missing region 'south'"),
    ("job-too-big", _job(gpus=4096), "jobs: jobs [1] need more GPUs than any site has (64)"),
    ("job-home", _job(home_site="zz"), "home_site 'zz' is no site"),
    ("job-deadline", _job(deadline_hour=1), "deadline_hour 1 < release_hour + duration_h"),
    ("job-gpus-true", _job(gpus=True), "jobs.jobs.0.gpus"),
    ("gpu-choice", lambda d: d["jobs"].update(gpu_choices=[8, 4096]),
     "jobs.gpu_choices: a choice exceeds"),
    ("arrivals-absurd", lambda d: d["jobs"].update(arrivals_per_hour=1e6),
     "jobs.arrivals_per_hour"),
    ("duration-range", lambda d: d["jobs"].update(duration_h=[6, 1]), "duration_h: need"),
    ("soc-order", lambda d: d["sites"][0]["battery"].update(soc_initial_fraction=0.95),
     "soc_min_fraction <= soc_initial_fraction"),
    ("pue-order", _site(pue={"base": 1.5, "max": 1.2}), "max (1.2) must be >= base (1.5)"),
    ("trace-kind", lambda d: d["traces"].update(kind="magic"), "traces.kind"),
    ("files-no-path", lambda d: d["traces"].update(kind="files"), "kind 'files' needs path"),
    ("files-and-jobs", lambda d: d["traces"].update(kind="files", path="x"),
     "jobs: with traces.kind = 'files' the jobs come from the trace folder"),
    ("history-absurd", lambda d: d["traces"].update(history_hours=10**9),
     "traces.history_hours"),
    ("correction", lambda d: d.update(forecast={"correction": "magic"}), "forecast.correction"),
    ("buckets", lambda d: d.update(forecast={"lead_buckets_h": [6, 3]}),
     "lead_buckets_h must be strictly increasing"),
    ("no-sites", _top(sites=[]), "sites: List should have at least 1 item"),
    ("no-classes", _top(classes=[]), "classes"),
    ("name-empty", _top(name=""), "name"),
    ("class-slo-zero", lambda d: d["classes"][0].update(slo_ms=0), "classes.0.slo_ms"),
]
# Non-finite numbers: TOML and YAML can write them, JSON cannot (json.dumps writes Infinity).
NONFINITE_CASES: list[tuple[str, Callable[[dict], Any], str]] = [
    ("import-cap-inf", _site(import_cap_mw=float("inf")), "sites.0.import_cap_mw: Input should "
     "be a finite number"),
    ("pv-nan", _site(pv_mw=float("nan")), "sites.0.pv_mw"),
    ("carbon-price-inf", lambda d: d["economics"].update(carbon_price_usd_per_t=float("inf")),
     "economics.carbon_price_usd_per_t"),
    ("requests-inf", lambda d: d["regions"][0].update(requests_per_hour=float("inf")),
     "regions.0.requests_per_hour"),
]

TEXT_CASES: list[Case] = [
    ("toml-syntax", _text("s.toml", "name = [unclosed"), 2, "not valid TOML: Invalid value (at "
     "line 1, column 9)"),
    ("toml-duplicate", _text("s.toml", 'name = "a"\nname = "b"\n'), 2, "not valid TOML"),
    ("yaml-syntax", _text("s.yaml", "name: a\nsites: [\n  - b\n hours: 3\n"), 2,
     "not valid YAML at line"),
    ("yaml-duplicate", _text("s.yaml", "name: a\nhours: 3\nhours: 4\n"), 2,
     "not valid YAML at line 3, column 1: key 'hours' given twice"),
    ("yaml-tab", _text("s.yml", "name: a\n\thours: 3\n"), 2, "not valid YAML at line 2"),
    ("yaml-list", _text("s.yaml", "- 1\n- 2\n"), 2, "top level must be a table"),
    ("yaml-scalar", _text("s.yaml", "just text\n"), 2, "top level must be a table"),
    ("json-syntax", _text("s.json", '{"name": "a",\n "hours": }'), 2,
     "not valid JSON at line 2, column 11"),
    ("json-duplicate", _text("s.json", '{"name": "a", "name": "b"}'), 2, "key 'name' given twice"),
    ("json-list", _text("s.json", "[1, 2]"), 2, "top level must be a table"),
    ("json-infinity", _text("s.json", '{"name": "a", "hours": Infinity}'), 2, "hours"),
    ("binary", _text("s.toml", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe"), 2, "not UTF-8 text"),
    ("nul-bytes", _text("s.toml", b"name = 1\x00\x00"), 2, "contains NUL bytes"),
    ("latin1", _text("s.yaml", "name: caf\xe9\n".encode("latin-1")), 2, "not UTF-8 text"),
    ("empty-toml", _text("s.toml", ""), 2, "missing required field(s) name, hours, sites"),
    ("empty-yaml", _text("s.yaml", ""), 2, "top level must be a table"),
    ("unknown-suffix-json", _text("s.cfg", '{"name": 1,}'), 2, "not valid JSON"),
    ("folder", lambda tmp: (tmp / "d.toml").mkdir() or _run(tmp / "d.toml"), 2,
     "is a folder, not a scenario file"),
    ("missing", lambda tmp: _run(tmp / "nope.toml"), 2, "no such file and no built-in"),
]


def scenario_cases() -> list[Case]:
    cases = list(TEXT_CASES)
    for suffix in (".toml", ".yaml", ".json"):
        for name, mutate, expected in FIELD_CASES:
            cases.append((f"{name}{suffix}", _mutated(mutate, suffix), 2, expected))
    for suffix in (".toml", ".yaml"):
        for name, mutate, expected in NONFINITE_CASES:
            cases.append((f"{name}{suffix}", _mutated(mutate, suffix), 2, expected))
    return cases


# ---- trace folders -------------------------------------------------------------------------
def trace_case(edit: Callable[[Path], Any], scenario: Callable[[dict], Any] | None = None
               ) -> Build:
    """A copy of the valid folder at ``tmp/../traces-ok`` edited in place, and its scenario."""
    def build(tmp: Path) -> list[str]:
        folder = tmp / "traces"
        for src in (tmp.parent / "traces-ok").iterdir():
            folder.mkdir(exist_ok=True)
            (folder / src.name).write_bytes(src.read_bytes())
        edit(folder)
        data = copy.deepcopy(TINY)
        data["jobs"] = {}
        data["traces"] = {"kind": "files", "path": str(folder), "history_hours": 48}
        if scenario is not None:
            scenario(data)
        return _run(_dump(data, tmp / "scenario.toml"))
    return build


def _sweep_over(run_args: list[str]) -> list[str]:
    """A sweep spec over the scenario file a trace case wrote (run_args[1])."""
    spec = Path(run_args[1]).with_name("spec.toml")
    spec.write_text(f'name = "t"\nscenario = "{run_args[1]}"\npolicies = ["fifo"]\n')
    return ["sweep", str(spec), "--out", OUT]


def _csv(stem: str, change: Callable[[pd.DataFrame], pd.DataFrame | None]) -> Callable:
    def edit(folder: Path) -> None:
        path = folder / f"{stem}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        out = change(frame)
        (frame if out is None else out).to_csv(path, index=False)
    return edit


def _cell(stem: str, row: int, column: str, value: str) -> Callable:
    def change(frame: pd.DataFrame) -> None:
        frame.loc[row, column] = value
    return _csv(stem, change)


def _stamps(shift: str) -> Callable[[pd.DataFrame], None]:
    def change(frame: pd.DataFrame) -> None:
        stamps = pd.to_datetime(frame["timestamp"], utc=True) + pd.Timedelta(shift)
        frame["timestamp"] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return change


def _in_offset(frame: pd.DataFrame) -> None:
    """Every stamp the same wall time in +02:00 (so two hours earlier in UTC)."""
    frame["timestamp"] = frame["timestamp"].str.replace("Z", "+02:00")


TRACE_CASES: list[Case] = [
    ("tr-no-sites", trace_case(lambda f: (f / "sites.csv").unlink()), 2,
     "no sites.csv or sites.parquet"),
    ("tr-no-jobs", trace_case(lambda f: (f / "jobs.csv").unlink()), 2, "no jobs.csv"),
    ("tr-sites-folder", trace_case(lambda f: ((f / "sites.csv").unlink(),
                                              (f / "sites.csv").mkdir())), 2, "sites.csv"),
    ("tr-sites-binary", trace_case(lambda f: (f / "sites.csv").write_bytes(b"\xff\xfe\x00\x01")),
     2, "sites.csv"),
    ("tr-missing-column", trace_case(_csv("sites", lambda fr: fr.drop(columns="carbon_g_per_kwh"))),
     2, "sites.csv: missing column(s) ['carbon_g_per_kwh']"),
    ("tr-not-number", trace_case(_cell("sites", 7, "buy_price_usd_per_mwh", "abc")), 2,
     "sites.csv: column 'buy_price_usd_per_mwh': row 8: not a number ('abc')"),
    ("tr-inf", trace_case(_cell("sites", 9, "carbon_g_per_kwh", "inf")), 2,
     "sites.csv: column 'carbon_g_per_kwh': row 10: not a finite number"),
    ("tr-minus-inf", trace_case(_cell("sites", 3, "buy_price_usd_per_mwh", "-inf")), 2,
     "sites.csv: column 'buy_price_usd_per_mwh': row 4: not a finite number"),
    ("tr-gap", trace_case(_cell("sites", 10, "temperature_c", "")), 2,
     "sites.csv: column 'temperature_c': row 11: missing value"),
    ("tr-pv-above-1", trace_case(_cell("sites", 12, "pv_capacity_factor", "1.5")), 2,
     "sites.csv: column 'pv_capacity_factor': row 13: value 1.5 outside"),
    ("tr-temperature", trace_case(_cell("sites", 2, "temperature_c", "200")), 2,
     "column 'temperature_c': row 3"),
    ("tr-naive", trace_case(_cell("sites", 5, "timestamp", "2022-05-30T02:00:00")), 2,
     "sites.csv: column 'timestamp': row 6: timestamp '2022-05-30T02:00:00' has no UTC offset"),
    ("tr-not-hour", trace_case(_cell("sites", 4, "timestamp", "2022-05-30T02:30:00Z")), 2,
     "sites.csv: column 'timestamp': row 5: timestamp is not an hour start"),
    ("tr-garbage-stamp", trace_case(_cell("sites", 4, "timestamp", "soon+00:00")), 2,
     "sites.csv: column 'timestamp': row 5: not a timestamp"),
    ("tr-duplicate-hour", trace_case(_csv("sites", lambda fr: pd.concat(
        [fr.iloc[:4], fr.iloc[2:3], fr.iloc[4:]], ignore_index=True))), 2,
     "sites.csv: column 'timestamp': row 5: duplicate hour for 'a'"),
    ("tr-missing-hour", trace_case(_csv("sites", lambda fr: fr.drop(index=[4, 5]).reset_index(
        drop=True))), 2, "hours missing before this row"),
    ("tr-other-year", trace_case(_csv("sites", _stamps("365D"))), 2,
     "covers 72 hours from 2022-05-30 00:00:00+00:00, expected 72 from 2023-05-30"),
    ("tr-all-other-year", trace_case(lambda f: (_csv("sites", _stamps("-365D"))(f),
                                                _csv("demand", _stamps("-365D"))(f))), 2,
     "the scenario's start is 2022-06-01T00:00:00+00:00"),
    ("tr-other-offset", trace_case(lambda f: (_csv("sites", _in_offset)(f),
                                              _csv("demand", _in_offset)(f))), 2,
     "the run would start at 2022-05-31T22:00:00+00:00"),
    ("tr-too-short", trace_case(lambda f: None, _top(hours=500)), 2,
     "covers 24 run hours from 2022-06-01T00:00:00+00:00; the scenario needs hours = 500"),
    ("tr-history-too-long", trace_case(lambda f: None,
                                       lambda d: d["traces"].update(history_hours=100)), 2,
     "history_hours 100 leaves no run hours"),
    ("tr-no-site-rows", trace_case(_csv("sites", lambda fr: fr[fr["site"] != "b"])), 2,
     "sites.csv: column 'site': no rows for site(s) ['b']"),
    ("tr-no-demand-rows", trace_case(_csv("demand", lambda fr: fr[fr["class"] != "batch"])), 2,
     "demand.csv: no rows for region 'west', class 'batch'"),
    ("tr-negative-demand", trace_case(_cell("demand", 6, "requests_per_hour", "-5")), 2,
     "demand.csv: column 'requests_per_hour': row 7"),
    ("tr-demand-inf", trace_case(_cell("demand", 6, "requests_per_hour", "inf")), 2,
     "demand.csv: column 'requests_per_hour': row 7: not a finite number"),
    ("tr-job-too-big", trace_case(_cell("jobs", 0, "gpus", "4096")), 2,
     "jobs.csv: column 'gpus': row 1: 4096 GPUs: more than"),
    ("tr-job-bigger-than-home", trace_case(lambda f: (_cell("jobs", 0, "gpus", "48")(f),
                                                      _cell("jobs", 0, "home_site", "b")(f))), 2,
     "jobs.csv: column 'gpus': row 1: 48 GPUs: more than its home site has (32)"),
    ("tr-job-fraction", trace_case(_cell("jobs", 0, "gpus", "1.5")), 2,
     "jobs.csv: column 'gpus': row 1: not a whole number"),
    ("tr-job-duration-0", trace_case(_cell("jobs", 0, "duration_h", "0")), 2,
     "jobs.csv: column 'duration_h': row 1: must be >= 1"),
    ("tr-job-deadline", trace_case(_cell("jobs", 0, "deadline_hour", "0")), 2,
     "jobs.csv: column 'deadline_hour'"),
    ("tr-job-home", trace_case(_cell("jobs", 0, "home_site", "zz")), 2,
     "jobs.csv: column 'home_site': row 1: unknown site 'zz'"),
    ("tr-job-value", trace_case(_cell("jobs", 0, "value_usd", "-1")), 2,
     "jobs.csv: column 'value_usd': row 1"),
    ("tr-job-duplicate", trace_case(_csv("jobs", lambda fr: pd.concat([fr, fr.iloc[:1]],
                                                                      ignore_index=True))), 2,
     "jobs.csv: column 'job_id'"),
    ("tr-scenario-jobs", trace_case(lambda f: None,
                                    lambda d: d["jobs"].update(arrivals_per_hour=0.5)), 2,
     "the jobs come from the trace folder's jobs table"),
    ("tr-sweep-inf", lambda tmp: _sweep_over(trace_case(_cell("sites", 9, "carbon_g_per_kwh",
                                                             "inf"))(tmp)), 2,
     "scenario traces: sites.csv: column 'carbon_g_per_kwh': row 10: not a finite number"),
    ("tr-folder-missing", trace_case(lambda f: None,
                                     lambda d: d["traces"].update(path="/no/such/folder")), 2,
     "/no/such/folder: trace folder does not exist"),
]


# ---- flags -----------------------------------------------------------------------------------
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


REPORT_CASES: list[Case] = [
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
