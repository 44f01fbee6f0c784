"""Your own data without the bundled files: tariffs on every route, arrivals and jobs from traces,
currencies, paths relative to the scenario file, per-site KPIs and ``compare --by site``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import tiny_dict

from analysis.results import read_run
from gridshift.api import build_traces, run
from simulator.errors import ScenarioError, TraceError
from simulator.scenario import load_scenario, parse_scenario
from traces.currency import currency_table
from traces.files import write_traceset


def _scenario(**updates: object):
    return parse_scenario(tiny_dict(**updates))


def test_synthetic_traces_carry_market_prices_and_the_tariff_is_applied() -> None:
    plain = build_traces(_scenario())
    data = tiny_dict()
    data["sites"][0].update(buy_adder_usd_per_mwh=12.5, sell_rule="fraction", sell_fraction=0.5)
    tariffed = build_traces(parse_scenario(data))
    market = plain.site_signals["market_price"]
    assert np.array_equal(market, tariffed.site_signals["market_price"])
    assert np.array_equal(plain.site_signals["buy_price"], market)
    assert np.allclose(tariffed.site_signals["buy_price"][:, 0], market[:, 0] + 12.5)
    sell = tariffed.site_signals["sell_price"][:, 0]
    assert np.allclose(sell, np.where(market[:, 0] > 0, market[:, 0] * 0.5, market[:, 0]))
    assert np.array_equal(tariffed.site_signals["sell_price"][:, 1], market[:, 1])
    assert tariffed.notes["tariffs"]["a"]["buy_adder_usd_per_mwh"] == 12.5


def _folder_scenario(tmp_path: Path, folder: str, **site: object) -> Path:
    data = tiny_dict(traces={"kind": "files", "path": folder, "history_hours": 48})
    data["jobs"] = {"arrivals_per_hour": 0}  # a trace folder's jobs come from its jobs table
    data["sites"][0].update(site)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(json.loads(json.dumps(data))))
    return path


def test_trace_folder_applies_or_refuses_the_tariff_and_keeps_provenance(tmp_path: Path) -> None:
    write_traceset(build_traces(_scenario()), tmp_path / "traces")
    # traces.path is relative to the scenario file, not to the working directory
    adder = load_scenario(_folder_scenario(tmp_path, "traces", buy_adder_usd_per_mwh=7.0))
    replay = build_traces(adder)
    market = replay.site_signals["market_price"]
    assert np.allclose(replay.site_signals["buy_price"][:, 0], market[:, 0] + 7.0)
    assert replay.notes["provenance"]["source"] == "synthetic"
    assert replay.notes["provenance"]["tariffs"]["a"]["buy_adder_usd_per_mwh"] == 0.0
    sites = pd.read_csv(tmp_path / "traces" / "sites.csv")
    (tmp_path / "fixed").mkdir()
    sites.drop(columns="market_price_usd_per_mwh").to_csv(tmp_path / "fixed" / "sites.csv",
                                                          index=False)
    for stem in ("demand", "jobs"):
        (tmp_path / "fixed" / f"{stem}.csv").write_bytes(
            (tmp_path / "traces" / f"{stem}.csv").read_bytes())
    with pytest.raises(ScenarioError, match=r"^scenario '.*': sites.0: site 'a' sets a tariff "
                       r".* fixes buy and sell prices .*: remove the tariff or give market "
                       r"prices$"):
        build_traces(load_scenario(_folder_scenario(tmp_path, "fixed", sell_rule="fixed")))
    fixed = build_traces(load_scenario(_folder_scenario(tmp_path, "fixed")))
    assert np.allclose(fixed.site_signals["buy_price"], sites["buy_price_usd_per_mwh"]
                       .to_numpy().reshape(-1, 2)[-fixed.site_signals["buy_price"].shape[0]:])


def test_currency_table_merges_user_entries_over_the_defaults() -> None:
    table = currency_table({"EUR": 1.1, "PLN": 0.22})
    assert table["eur"] == 1.1 and table["pln"] == 0.22 and table["jpy"] == 0.0076
    for code in ("usd", "gbp", "sgd", "cad", "aud", "chf", "sek", "nok", "dkk", "inr", "brl"):
        assert 0 < currency_table()[code] < 2


def _requests(path: Path, start: str, hours: int, per_hour: list[int], offset: str) -> None:
    """One row per request, naive local stamps (``offset`` documents the local time)."""
    del offset
    rows = []
    for h in range(hours):
        stamp = pd.Timestamp(start) + pd.Timedelta(hours=h)
        for i in range(per_hour[h % len(per_hour)]):
            rows.append({"timestamp": (stamp + pd.Timedelta(seconds=7 * i + 1)).isoformat(),
                         "region": "west" if i % 3 else "south"})
    pd.DataFrame(rows).to_csv(path, index=False)


def test_arrivals_from_a_request_trace_in_local_time(tmp_path: Path) -> None:
    pattern = [30, 60, 90, 120]
    # local time UTC+2: the first hour of the window (2022-05-30 00:00 UTC) is 02:00 local
    _requests(tmp_path / "req.csv", "2022-05-30T02:00:00", 72, pattern, "+02:00")
    data = tiny_dict(inputs={"arrivals": {"path": str(tmp_path / "req.csv"),
                                          "region_column": "region", "utc_offset_h": 2,
                                          "scale": "none"}})
    traces = build_traces(parse_scenario(data))
    west = np.array([sum(1 for i in range(n) if i % 3) for n in pattern])
    south = np.array([sum(1 for i in range(n) if not i % 3) for n in pattern])
    demand = traces.demand
    assert np.allclose(demand[:4, 0, :].sum(axis=1), west)
    assert np.allclose(demand[:4, 1, :].sum(axis=1), south)
    assert np.allclose(demand[:, 0, 0] / demand[:, 0, :].sum(axis=1), 0.6)  # class shares
    scaled = build_traces(parse_scenario(tiny_dict(inputs={"arrivals": {
        "path": str(tmp_path / "req.csv"), "region_column": "region", "utc_offset_h": 2}})))
    assert scaled.demand[:, 0, :].sum(axis=1).mean() == pytest.approx(60000)
    assert scaled.notes["arrivals"]["scale_factor"]["west"] > 1


def test_short_counts_trace_is_refused_or_repeated(tmp_path: Path) -> None:
    hours = pd.date_range("2023-01-02", periods=48, freq="h", tz="UTC")
    counts = pd.DataFrame({"hour": hours.strftime("%Y-%m-%dT%H:%M:%SZ"),
                           "n": np.tile(np.arange(24) + 1, 2)})
    counts.to_csv(tmp_path / "counts.csv", index=False)
    arrivals = {"path": str(tmp_path / "counts.csv"), "time_column": "hour",
                "count_column": "n", "scale": "none"}
    with pytest.raises(TraceError, match=r"^counts.csv: covers 2023-01-02 00:00 to 2023-01-03 "
                       r"23:00 UTC, the window needs 2022-05-30 00:00 to 2022-06-01 23:00 UTC"):
        build_traces(parse_scenario(tiny_dict(inputs={"arrivals": arrivals})))
    tiled = build_traces(parse_scenario(tiny_dict(inputs={"arrivals": {
        **arrivals, "align": "window", "extend": "repeat"}})))
    total = tiled.demand[:, 0, :].sum(axis=1)
    assert np.array_equal(total, np.tile(np.arange(24) + 1.0, 3))
    assert tiled.notes["arrivals"]["period_h"] == 48


def test_jobs_from_a_csv_with_repeat_and_none(tmp_path: Path) -> None:
    pd.DataFrame({"submit_time": ["2022-06-01T00:20:00Z", "2022-06-01T05:00:00Z"],
                  "gpus": [8, 16], "duration_h": [2, 3], "value_usd": [100.0, ""]}).to_csv(
        tmp_path / "jobs.csv", index=False)
    base = tiny_dict(hours=400, jobs={"jobs": []})
    once = build_traces(parse_scenario({**base, "inputs": {"jobs": [
        {"kind": "csv", "path": str(tmp_path / "jobs.csv")}]}}))
    assert once.jobs["release_hour"].tolist() == [1, 5]
    assert once.jobs["value_usd"].tolist() == [100.0, 2.0 * 16 * 3]
    assert once.notes["jobs"]["sources"][0]["uncovered_after_hour"] == 5
    weekly = build_traces(parse_scenario({**base, "inputs": {"jobs": [
        {"kind": "csv", "path": str(tmp_path / "jobs.csv"), "extend": "repeat"}]}}))
    assert weekly.jobs["release_hour"].tolist() == [1, 5, 169, 173, 337, 341]
    none = build_traces(parse_scenario({**base, "inputs": {"jobs": []}}))
    assert none.jobs.empty
    both = build_traces(parse_scenario({**tiny_dict(hours=400), "inputs": {"jobs": [
        {"kind": "synthetic"}, {"kind": "csv", "path": str(tmp_path / "jobs.csv")}]}}))
    assert both.jobs["job_id"].is_unique and len(both.jobs) > 2
    pd.DataFrame({"release_hour": [0], "gpus": [4096], "duration_h": [1]}).to_csv(
        tmp_path / "big.csv", index=False)
    with pytest.raises(TraceError, match=r"^big.csv: column 'gpus': row 1: value 4096 outside"):
        build_traces(parse_scenario({**base, "inputs": {"jobs": [
            {"kind": "csv", "path": str(tmp_path / "big.csv")}]}}))


def test_per_site_kpis_site_names_and_compare_by_site(tmp_path: Path) -> None:
    data = tiny_dict()
    scenario_file = tmp_path / "tiny.yaml"
    scenario_file.write_text(yaml.safe_dump(data))
    done = run(scenario_file, "greedy", out_dir=tmp_path / "runs")
    books = read_run(done.folder)
    by_site = books["kpis"]["by_site"]
    assert set(by_site) == {"a", "b"}
    assert sum(v["benefit_usd"] for v in by_site.values()) == pytest.approx(
        done.kpis["total_benefit_usd"] + done.kpis["unserved_penalty_usd"])
    assert sum(v["emissions_t"] for v in by_site.values()) == pytest.approx(
        done.kpis["emissions_t"])
    assert set(books["kpis"]["by_zone"]) == {"US-CAL-CISO", "US-TEX-ERCO"}
    started = books["jobs"]["site"].dropna()
    assert len(started) and set(started) <= {"a", "b"}
    out = subprocess.run([sys.executable, "-m", "gridshift", "compare", str(scenario_file),
                          "--policies", "fifo,greedy", "--by", "site"], capture_output=True,
                         text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    assert "site=a" in out.stdout and "site=b" in out.stdout


def test_resample_fills_later_weeks_with_whole_weeks_of_the_trace(tmp_path: Path) -> None:
    pd.DataFrame({"release_hour": [2, 170, 171], "gpus": [8, 16, 32], "duration_h": [1, 1, 1]}
                 ).to_csv(tmp_path / "two_weeks.csv", index=False)
    data = {**tiny_dict(hours=5 * 168, jobs={"jobs": []}), "inputs": {"jobs": [
        {"kind": "csv", "path": str(tmp_path / "two_weeks.csv"), "extend": "resample"}]}}
    jobs = build_traces(parse_scenario(data)).jobs
    assert jobs.loc[jobs.release_hour < 336, "gpus"].tolist() == [8, 16, 32]
    later = jobs[jobs.release_hour >= 336]
    for week in (2, 3, 4):  # each later week is week 0 ({8 at +2}) or week 1 ({16, 32 at +2, +3})
        part = later[later.release_hour // 168 == week]
        offsets = sorted(zip(part.release_hour % 168, part.gpus, strict=True))
        assert offsets in ([(2, 8)], [(2, 16), (3, 32)])
    assert jobs["job_id"].is_unique
    again = build_traces(parse_scenario(data)).jobs
    assert again.equals(jobs)


def test_timezone_option_follows_daylight_saving(tmp_path: Path) -> None:
    stamps = pd.date_range("2022-05-30 00:00", periods=72, freq="h")  # naive Berlin time
    pd.DataFrame({"t": np.repeat(stamps.strftime("%Y-%m-%d %H:%M"), 2)}).to_csv(
        tmp_path / "r.csv", index=False)
    arrivals = {"path": str(tmp_path / "r.csv"), "time_column": "t", "timezone": "Europe/Berlin",
                "scale": "none", "extend": "repeat"}
    demand = build_traces(parse_scenario(tiny_dict(inputs={"arrivals": arrivals}))).demand
    total = demand[:, 0, :].sum(axis=1)
    # summer time is UTC+2: the trace starts at 2022-05-29 22:00 UTC, so the window's hours
    # (from 2022-05-30 00:00 UTC) are all covered except the last two, which the repeat fills
    assert np.allclose(total, 2.0)
