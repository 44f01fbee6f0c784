"""Scenario loading and validation: every bad field gets one line naming it."""

from __future__ import annotations

import pytest

from simulator.errors import ScenarioError
from simulator.scenario import builtin_names, load_scenario, parse_scenario
from tests.conftest import tiny_dict


def test_builtins_load() -> None:
    assert {"default", "paper-3site"} <= set(builtin_names())
    paper = load_scenario("paper-3site")
    assert (len(paper.sites), paper.hours, len(paper.jobs.jobs), len(paper.classes)) == (
        3, 24, 6, 3)
    default = load_scenario("default")
    assert len(default.sites) == 5 and default.hours == 168
    assert len({s.zone for s in default.sites}) == 5


def _error(data: dict) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, source="t")
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["sites"][0].update(gpus=-1), "sites.0.gpus: Input should be greater than 0"),
        (lambda d: d["sites"][1].update(busy_kw_per_gpu=0.1, idle_kw_per_gpu=0.3),
         "sites.1: busy_kw_per_gpu (0.1) must be >= idle_kw_per_gpu (0.3)"),
        (lambda d: d["sites"][0]["battery"].update(soc_initial_fraction=0.95),
         "sites.0.battery: need soc_min_fraction <= soc_initial_fraction"),
        (lambda d: d["classes"][0].update(share=0.9), "classes: shares must sum to 1"),
        (lambda d: d["sites"][1].update(name="a"), "sites: duplicate names ['a']"),
        (lambda d: d.update(start="2022-06-01T00:30:00Z"), "start: must be an hour start"),
        (lambda d: d.update(start="2022-06-01T00:00:00+02:00"), "start: must be a UTC"),
        (lambda d: d["sites"][0].update(colour="red"),
         "sites.0.colour: unknown field (known: name, zone"),
        (lambda d: d.update(latency_ms={"west": {"a": 5, "b": 9}}),
         "latency_ms: missing region 'south'"),
        (lambda d: d["jobs"].update(jobs=[{"job_id": 1, "release_hour": 5, "gpus": 8,
                                           "duration_h": 4, "deadline_hour": 6,
                                           "value_usd": 1}]),
         "deadline_hour 6 < release_hour + duration_h = 9"),
        (lambda d: d["jobs"].update(jobs=[{"job_id": 1, "release_hour": 0, "gpus": 8,
                                           "duration_h": 1, "deadline_hour": 6, "value_usd": 1,
                                           "home_site": "zz"}]),
         "home_site 'zz' is no site"),
        (lambda d: d["jobs"].update(gpu_choices=[8, 4096]), "jobs.gpu_choices: a choice exceeds"),
        (lambda d: d.update(hours=0), "hours: Input should be greater than 0"),
    ],
)
def test_bad_field_message(mutate, expected: str) -> None:
    data = tiny_dict()
    mutate(data)
    assert expected in _error(data)


def test_bad_files(tmp_path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("name = [unclosed")
    with pytest.raises(ScenarioError, match=r"broken.toml': not valid TOML: .*line 1, column 9"):
        load_scenario(broken)
    with pytest.raises(ScenarioError, match=r"no such file and no built-in .*paper-3site"):
        load_scenario("does-not-exist")
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(ScenarioError, match="top level must be a table"):
        load_scenario(listy)


def test_yaml_and_toml_agree(tmp_path) -> None:
    import yaml

    data = tiny_dict()
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    assert load_scenario(path) == parse_scenario(data)


def test_with_updates_dotted_paths(tiny) -> None:
    changed = tiny.with_updates({"sites.0.pv_mw": 0.5, "economics.carbon_price_usd_per_t": 80})
    assert changed.sites[0].pv_mw == 0.5 and changed.economics.carbon_price_usd_per_t == 80
    assert tiny.sites[0].pv_mw == 0.05
    with pytest.raises(ScenarioError, match="scenario field 'sites.7.pv_mw': no list item '7'"):
        tiny.with_updates({"sites.7.pv_mw": 1})
    with pytest.raises(ScenarioError, match="no field 'pv'"):
        tiny.with_updates({"sites.0.pv": 1})
    with pytest.raises(ScenarioError, match=r"sites.0.pv_mw: Input should be greater than or"):
        tiny.with_updates({"sites.0.pv_mw": -1})
