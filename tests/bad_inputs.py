"""The corpus of bad inputs: each case writes its input and names what the error must name.

A case is ``(id, build, code, expected)``: ``build(tmp)`` writes whatever the case needs into
the folder ``tmp`` and returns the ``gridshift`` arguments; the command must exit with
``code`` after printing exactly one line ``error: ...`` on stderr that contains ``expected``,
and leave no output behind. Scenario cases are here; trace folders in bad_traces.py; flags,
sweep specs and report folders in bad_commands.py. Used by tests/test_bad_inputs.py.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
