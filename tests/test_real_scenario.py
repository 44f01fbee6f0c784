"""The real-2022 scenario: real_traces against the shared 2022 files, gaps, errors, short runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridshift import compare
from gridshift.api import build_traces, simulate
from simulator.errors import ScenarioError, TraceError
from simulator.scenario import Scenario, load_scenario
from traces.real import ENV_VAR, FILES
from traces.real.scenario import real_traces
from traces.traceset import TraceSet

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
pytestmark = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"real data directory {DATA} is absent (see docs/real-data.md)"
)
SITES = ("sanjose", "dallas", "ashburn", "frankfurt", "singapore")


def csv(key: str) -> pd.DataFrame:
    """A real-data file as pandas reads it, indexed by UTC hour start."""
    frame = pd.read_csv(DATA / FILES[key])
    frame.index = pd.to_datetime(frame.pop("datetime_utc"), utc=True)
    return frame


def scenario(**updates: object) -> Scenario:
    """real-2022 with dotted-path updates."""
    return load_scenario("real-2022").with_updates(dict(updates))


@pytest.fixture(scope="module")
def june() -> TraceSet:
    """48 run hours from 2022-06-01 with 24 h of history."""
    return real_traces(scenario(hours=48, **{"traces.history_hours": 24}))


def at(traces: TraceSet, stamp: str) -> int:
    return int(traces.index.get_loc(pd.Timestamp(stamp, tz="UTC")))


def test_shapes_and_alignment(june: TraceSet) -> None:
    assert june.sites == SITES and june.regions == ("us-west", "us-east", "europe", "asia")
    assert june.classes == ("chat", "code", "batch")
    assert len(june.index) == 72 and june.history_hours == 24 and june.run_hours == 48
    assert june.index[0] == pd.Timestamp("2022-05-31 00:00", tz="UTC")
    assert june.index[24] == pd.Timestamp("2022-06-01 00:00", tz="UTC")
    for name in ("pv_cf", "wind_cf"):
        values = june.site_signals[name]
        assert values.shape == (72, 5) and values.min() >= 0 and values.max() <= 1
    assert june.demand.shape == (72, 4, 3)


def test_carbon_and_temperature_equal_the_files(june: TraceSet) -> None:
    row = at(june, "2022-06-01 13:00")
    lca = csv("carbon_lca").loc["2022-06-01 13:00+00:00"]
    assert june.site_signals["carbon"][row, 0] == lca["US-CAL-CISO"]
    assert june.site_signals["carbon"][row, 3] == lca["DE-LU"]
    weather = pd.read_csv(DATA / FILES["weather"])
    sg = weather[(weather.zone_id == "SG") & (weather.datetime_utc == "2022-06-01 13:00:00")]
    assert june.site_signals["temperature"][row, 4] == sg["temperature_2m"].item()
    direct = real_traces(scenario(hours=48, **{"traces.carbon_basis": "direct"}))
    assert direct.site_signals["carbon"][at(direct, "2022-06-01 13:00"), 0] == csv(
        "carbon_direct"
    ).loc["2022-06-01 13:00+00:00", "US-CAL-CISO"]


def test_prices_converted_with_the_scenario_currency_table(june: TraceSet) -> None:
    row = at(june, "2022-06-01 13:00")
    prices = csv("prices").loc["2022-06-01 13:00+00:00"]
    buy, sell = june.site_signals["buy_price"][row], june.site_signals["sell_price"][row]
    assert buy[3] == pytest.approx(prices["DE-LU_eur_per_mwh"] * 1.05 + 30.0)
    assert sell[3] == pytest.approx(prices["DE-LU_eur_per_mwh"] * 1.05)
    assert buy[4] == pytest.approx(prices["SG_sgd_per_mwh"] * 0.725 + 25.0)
    assert buy[0] == pytest.approx(prices["US-CAL-CISO_usd_per_mwh"] + 20.0)
    other = real_traces(scenario(hours=48, **{
        "economics.currency_usd": {"USD": 1.0, "EUR": 1.10, "SGD": 0.7},
        "sites.3.sell_rule": "fixed", "sites.3.sell_fixed_usd_per_mwh": 12.0,
    }))
    row = at(other, "2022-06-01 13:00")
    assert other.site_signals["buy_price"][row, 3] == pytest.approx(
        prices["DE-LU_eur_per_mwh"] * 1.10 + 30.0
    )
    assert (other.site_signals["sell_price"][:, 3] == 12.0).all()


def test_currency_without_rate_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match=r"economics.currency_usd: no rate for EUR \(prices "
                       r"of site 'frankfurt', zone 'DE-LU'"):
        real_traces(scenario(hours=24, **{"economics.currency_usd": {"USD": 1.0, "SGD": 0.7}}))


def test_renewable_models(june: TraceSet) -> None:
    assert june.notes["pv_model"]["sanjose"] == "EIA-930 SUN shape of US-CAL-CISO"
    assert june.notes["pv_model"]["frankfurt"].startswith("clear sky at the site")
    assert june.notes["wind_model"]["singapore"].startswith("10 m wind of SG")
    # Frankfurt: PV from cloud cover is zero at local midnight (22:00 UTC) and up at noon.
    pv = june.site_signals["pv_cf"][:, 3]
    assert pv[at(june, "2022-06-01 22:00")] == 0 and pv[at(june, "2022-06-01 11:00")] > 0.1


def test_demand_in_local_time_with_class_shares(june: TraceSet) -> None:
    share = june.demand[:, :, 1] / june.demand.sum(axis=2)
    np.testing.assert_allclose(share, 0.3)
    west = june.demand[24:48, 0, :].sum(axis=1)
    # Peak at 14:00 local standard time (UTC-8) = 22:00 UTC, between the mid-hours of 21:00 and
    # 22:00 UTC, which tie; the night trough 12 h later.
    assert west[21] == pytest.approx(west[22]) == west.max()
    assert west[9] == pytest.approx(west[10]) == west.min()
    assert west.sum() == pytest.approx(24 * 3e6 * 7 / 6.6)


def test_jobs_from_gaia_plus_explicit_and_cut_at_run_end() -> None:
    explicit = {"job_id": 7, "release_hour": 3, "gpus": 64, "duration_h": 4,
                "deadline_hour": 20, "value_usd": 500.0}
    traces = real_traces(scenario(hours=48, **{"jobs.jobs": [explicit]}))
    jobs = traces.jobs
    assert (jobs["release_hour"] < 48).all() and jobs["job_id"].is_unique
    assert jobs.loc[jobs.job_id == 7, "gpus"].item() == 64
    assert jobs["job_id"].drop(jobs.index[jobs.job_id == 7]).min() >= 8
    notes = traces.notes["jobs"]
    assert notes["gaia"] == 1000 and notes["explicit"] == 1 and notes["gaia_job_id_offset"] == 8
    assert notes["dropped_after_run_end"] == 1001 - len(jobs) > 0
    with pytest.raises(ScenarioError, match="jobs.arrivals_per_hour: real-2022 traces take"):
        real_traces(scenario(hours=48, **{"jobs.arrivals_per_hour": 0.5}))


# The DE-LU price gap: 2022-09-02 22:00 to 09-03 21:00 UTC (24 h).
GAP = {"start": "2022-09-03T00:00:00Z", "hours": 24, "traces.history_hours": 48}


def test_gap_filled_seasonally_and_recorded() -> None:
    traces = real_traces(scenario(**GAP))
    gaps = traces.notes["gaps_filled_hours"]["electricity_price_2022_hourly.csv"]
    assert traces.notes["fill"] == "seasonal" and gaps == {"DE-LU_eur_per_mwh": 24}
    week_before = csv("prices").loc["2022-08-27 05:00+00:00", "DE-LU_eur_per_mwh"]
    assert traces.site_signals["buy_price"][at(traces, "2022-09-03 05:00"), 3] == pytest.approx(
        week_before * 1.05 + 30.0
    )


def test_gap_refused_or_too_long_to_interpolate() -> None:
    with pytest.raises(TraceError, match=r"^electricity_price_2022_hourly.csv: column "
                       r"'DE-LU_eur_per_mwh': row 5879: 24 missing hours, first 2022-09-02 "
                       r"22:00 UTC: gap policy 'refuse'"):
        real_traces(scenario(**GAP, **{"traces.fill": "refuse"}))
    with pytest.raises(TraceError, match="a 24 h gap exceeds max_gap_h=6"):
        real_traces(scenario(**GAP, **{"traces.fill": "interpolate"}))


def test_interpolation_inside_the_window() -> None:
    # EIA-930 CISO misses 2022-06-13 18:00 UTC (and single hours in January and May).
    window = {"start": "2022-06-13T00:00:00Z", "hours": 24, "traces.history_hours": 24}
    traces = real_traces(scenario(**window, **{"traces.fill": "interpolate"}))
    eia = traces.notes["gaps_filled_hours"]["eia930_generation_by_fuel_mwh_2022_hourly.csv"]
    assert eia == {"CISO/SUN": 1, "CISO/WND": 1}
    wind = traces.site_signals["wind_cf"][:, 0]
    row = at(traces, "2022-06-13 18:00")
    assert wind[row] == pytest.approx((wind[row - 1] + wind[row + 1]) / 2)


def test_refuse_only_looks_at_the_hours_and_zones_used() -> None:
    # GB prices (no site here) miss 1-20 January, PJM prices the first 5 h of 2022, EIA-930 CISO
    # an hour on 5 January: none of them is in 2022-01-11 00:00 to 01-12 23:00 for these sites.
    january = {"start": "2022-01-12T00:00:00Z", "hours": 24, "traces.history_hours": 24}
    traces = real_traces(scenario(**january, **{"traces.fill": "refuse"}))
    assert not any(traces.notes["gaps_filled_hours"].values())


def test_run_outside_2022_is_one_line_scenario_error() -> None:
    with pytest.raises(ScenarioError, match=r"^scenario 'real-2022': start 2022-01-05 00:00 UTC "
                       r"with history_hours 168 needs data from 2021-12-29 00:00 UTC, .* start "
                       r"at or after 2022-01-08 00:00 UTC or shorten the history$"):
        real_traces(scenario(start="2022-01-05T00:00:00Z"))
    with pytest.raises(ScenarioError, match=r"runs to 2023-01-16 00:00 UTC, .* start at or "
                       r"before 2022-12-04 00:00 UTC or shorten the run$"):
        real_traces(scenario(start="2022-12-19T00:00:00Z"))


def test_zone_without_data_names_site_and_zone(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"sites.1.zone: site 'dallas' zone 'BR-SP' has no "
                       r"price column in electricity_price_2022_hourly.csv"):
        real_traces(scenario(hours=24, **{"sites.1.zone": "BR-SP"}))
    for key in ("carbon_lca", "prices", "eia930", "gaia"):
        (tmp_path / FILES[key]).symlink_to(DATA / FILES[key])
    weather = pd.read_csv(DATA / FILES["weather"], dtype=str)
    weather[weather.zone_id != "SG"].to_csv(tmp_path / FILES["weather"], index=False)
    with pytest.raises(ScenarioError, match=r"sites.4.zone: site 'singapore' zone 'SG' has no "
                       r"weather site in weather_openmeteo_2022_hourly.csv \(zones there: "):
        real_traces(scenario(hours=24), tmp_path)


def test_missing_data_is_one_line_naming_where_and_what(tmp_path: Path, monkeypatch) -> None:
    nowhere = tmp_path / "nowhere"
    with pytest.raises(TraceError) as err:
        real_traces(scenario(hours=24), nowhere)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{nowhere}: real-data directory not found")
    assert FILES["carbon_lca"] in message and FILES["gaia"] in message
    monkeypatch.setenv(ENV_VAR, str(nowhere))
    with pytest.raises(TraceError, match=f"real-data directory not found \\({ENV_VAR}\\)"):
        build_traces(scenario(hours=24))
    with pytest.raises(TraceError, match=rf"{FILES['carbon_lca']}: file not found; the real-data"):
        real_traces(scenario(hours=24, **{"traces.path": str(tmp_path)}))


def test_short_replay_under_fifo_and_greedy_passes_the_invariants() -> None:
    short = scenario(hours=48)
    kpis = compare(short, ["fifo", "greedy"])  # runs the invariant checker
    assert list(kpis.index) == ["fifo", "greedy"]
    assert (kpis["served_share"] > 0.9).all() and (kpis["jobs_total"] > 0).all()
    meta = simulate(short, "greedy").meta
    assert meta["invariants_checked"] and meta["traces"]["source"] == "real-2022"
    assert meta["traces"]["fill"] == "seasonal" and "gaps_filled_hours" in meta["traces"]
