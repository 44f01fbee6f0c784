"""Real-data loaders: the shared 2022 data, malformed copies, gap policies and modelling steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.errors import TraceError
from traces.real import (
    ENV_VAR,
    FILES,
    SITES,
    GapPolicy,
    ThroughputModel,
    burstiness,
    capacity_factor_shape,
    clear_sky_ghi_w_per_m2,
    cloud_factor,
    data_dir,
    data_file,
    fill_gaps,
    gpu_seconds_per_request,
    gpus_from_cpus,
    hub_wind_m_per_s,
    inference_requests_per_hour,
    load_azure_llm_trace,
    load_carbon_intensity,
    load_gaia_jobs,
    load_generation_shapes,
    load_prices,
    load_renewable_share,
    load_weather,
    parse_price_column,
    power_curve,
    pv_capacity_factor,
    pv_capacity_factors,
    solar_elevation_sin,
    summarize_trace,
    to_usd_per_mwh,
    training_jobs,
    wind_capacity_factor,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"real data directory {DATA} is absent (see docs/real-data.md)"
)
ZONES_12 = ["US-CAL-CISO", "US-TEX-ERCO", "US-MIDA-PJM", "US-NY-NYIS", "BR-SP", "CL-SIC"]
ZONES_12 += ["GB", "DE-LU", "ZA", "IN-WE", "SG", "JP-TK"]


def hours(n: int, start: str = "2022-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="h", tz="UTC", name="timestamp")


def write(directory: Path, key: str, lines: list[str]) -> Path:
    path = directory / FILES[key]
    path.write_text("\n".join(lines) + "\n")
    return path


def wide_lines(header: str, values: list[str], n: int = 6) -> list[str]:
    """A wide hourly file: header, then n hours of the same ``values`` per row."""
    stamps = [f"2022-01-01 {h:02d}:00:00" for h in range(n)]
    return [header] + [",".join([s, *values]) for s in stamps]


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


# --- the data directory -------------------------------------------------------------------------


def test_data_dir_prefers_explicit_then_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    monkeypatch.setenv(ENV_VAR, str(env_dir))
    assert data_dir(tmp_path) == tmp_path
    assert data_dir() == env_dir


def test_data_dir_missing_names_place_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(TraceError, match=r"nowhere: real-data directory not found.*gaia_pai_1k"):
        data_dir(tmp_path / "nowhere")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "gone"))
    with pytest.raises(TraceError, match=f"gone: real-data directory not found \\({ENV_VAR}\\)"):
        data_dir()
    with pytest.raises(TraceError, match=r"electricity_price_2022_hourly.csv: file not found"):
        data_file(FILES["prices"], tmp_path)


@needs_data
def test_data_dir_default_is_shared_data():
    assert data_dir() == DATA.resolve()


# --- the real 2022 files ------------------------------------------------------------------------


def assert_hourly_2022(frame: pd.DataFrame) -> None:
    assert frame.index.name == "timestamp"
    assert str(frame.index.tz) == "UTC"
    assert frame.index.freq == "h"
    assert len(frame) == 8760
    assert frame.index[0] == pd.Timestamp("2022-01-01", tz="UTC")
    assert not frame.isna().any().any()


@needs_data
def test_carbon_intensity_lca_and_direct():
    lca = load_carbon_intensity("lca")
    direct = load_carbon_intensity("direct", zones=["GB", "SG"])
    assert_hourly_2022(lca.data)
    assert list(lca.data.columns) == ZONES_12
    assert lca.gaps.filled_hours == {}
    assert (lca.data[["GB", "SG"]] >= direct.data).all().all()
    assert lca.data["GB"].iloc[0] == 89.98


@needs_data
def test_renewable_share_is_percent():
    share = load_renewable_share().data
    assert_hourly_2022(share)
    assert share.min().min() >= 0 and share.max().max() <= 100


@needs_data
def test_prices_refuse_names_first_gap():
    with pytest.raises(TraceError) as err:
        load_prices()
    assert str(err.value).startswith(
        "electricity_price_2022_hourly.csv: column 'US-MIDA-PJM_usd_per_mwh': row 1: "
        "24 missing hours, first 2022-01-01 00:00 UTC: gap policy 'refuse'"
    )
    assert "GB_eur_per_mwh" in str(err.value)


@needs_data
def test_prices_seasonal_converts_and_reports():
    prices = load_prices(gap_policy="seasonal")
    assert_hourly_2022(prices.data)
    assert prices.gaps.to_dict() == {
        "source": "electricity_price_2022_hourly.csv",
        "method": "seasonal",
        "filled_hours": {
            "US-MIDA-PJM_usd_per_mwh": 24,
            "GB_eur_per_mwh": 482,
            "DE-LU_eur_per_mwh": 26,
        },
    }
    first = prices.data.iloc[0]
    assert first["DE-LU"] == pytest.approx(41.33 * 1.05)
    assert first["SG"] == pytest.approx(232.72 * 0.725)
    assert first["JP-TK"] == pytest.approx(14330.0 * 0.0076)
    assert first["US-TEX-ERCO"] == pytest.approx(33.69)
    assert prices.data["DE-LU"].min() < 0  # negative prices are kept


@needs_data
def test_prices_interpolate_respects_max_gap():
    with pytest.raises(TraceError, match=r"row 1: 24 missing hours.*5 h gap at the edge"):
        load_prices(gap_policy="interpolate", zones=["US-MIDA-PJM"])
    with pytest.raises(TraceError) as err:
        load_prices(gap_policy="interpolate", zones=["DE-LU"])
    assert str(err.value) == (
        "electricity_price_2022_hourly.csv: column 'DE-LU_eur_per_mwh': row 5879: "
        "26 missing hours, first 2022-09-02 22:00 UTC: a 24 h gap exceeds max_gap_h=6"
    )
    de = load_prices(gap_policy=GapPolicy("interpolate", max_gap_h=24), zones=["DE-LU"])
    assert de.gaps.filled_hours == {"DE-LU_eur_per_mwh": 26}
    assert list(de.data.columns) == ["DE-LU"]


@pytest.fixture(scope="module")
def weather():
    if not DATA.is_dir():
        pytest.skip(f"real data directory {DATA} is absent")
    return load_weather(directory=DATA).data


def test_weather_long_format_to_columns(weather: pd.DataFrame):
    assert_hourly_2022(weather)
    assert list(weather.columns.names) == ["variable", "zone_id"]
    assert list(weather["cloudcover"].columns) == list(SITES)
    assert weather["temperature_2m"]["SG"].min() > 20  # °C, tropical


def test_pv_capacity_factor_from_real_cloud_cover(weather: pd.DataFrame):
    pv = pv_capacity_factors(weather["cloudcover"])
    assert pv.min().min() >= 0 and pv.max().max() <= 1
    annual = pv.mean()
    assert annual.between(0.08, 0.25).all()
    assert annual["US-CAL-CISO"] > annual["GB"]
    ten_utc = pd.Timestamp("2022-06-21 10:00", tz="UTC")
    assert pv.at[ten_utc, "US-CAL-CISO"] == 0  # 03:00 in San Jose
    assert pv.at[ten_utc, "SG"] > 0  # 18:00 in Singapore
    noon = pv["US-CAL-CISO"].groupby(pv.index.hour).mean().idxmax()
    assert noon in (19, 20)  # solar noon in San Jose is about 20:00 UTC


def test_wind_capacity_factor_from_real_wind(weather: pd.DataFrame):
    cf = wind_capacity_factor(weather["windspeed_10m"])
    assert cf.min().min() >= 0 and cf.max().max() <= 1
    assert (cf.mean() > 0.02).all()


@needs_data
def test_generation_shapes_refuse_then_seasonal():
    with pytest.raises(TraceError) as err:
        load_generation_shapes()
    assert str(err.value).startswith(
        "eia930_generation_by_fuel_mwh_2022_hourly.csv [balancing_authority=CISO]: "
        "column 'SUN': row 107: 3 missing hours, first 2022-01-05 10:00 UTC"
    )
    shapes = load_generation_shapes(gap_policy="seasonal")
    assert_hourly_2022(shapes.data)
    assert shapes.gaps.filled_hours == {"CISO/SUN": 3, "CISO/WND": 3, "PJM/SUN": 23, "PJM/WND": 23}
    assert np.allclose(shapes.data.max(), 1.0) and shapes.data.min().min() >= 0
    assert ("SUN", "US-NY-NYIS") not in shapes.data.columns
    assert ("WND", "US-NY-NYIS") in shapes.data.columns
    assert any("NYIS reports no SUN" in note for note in shapes.notes)


@needs_data
def test_azure_traces_summary():
    code, conv = load_azure_llm_trace("code"), load_azure_llm_trace("conv")
    assert (len(code), len(conv)) == (8819, 19366)
    assert code.index.name == "timestamp" and str(code.index.tz) == "UTC"
    assert list(code.columns) == ["context_tokens", "generated_tokens"]
    s_code, s_conv = summarize_trace(code), summarize_trace(conv)
    assert s_code.per_minute_cv > s_conv.per_minute_cv  # code completions come in bursts
    assert s_conv.gpu_s_per_request_p50 <= s_conv.gpu_s_per_request_p99
    assert 5000 < s_code.requests_per_hour < 30000
    assert s_conv.to_dict()["requests"] == 19366


@needs_data
def test_gaia_jobs_map_to_training_jobs():
    raw = load_gaia_jobs()
    assert len(raw) == 1000 and raw["cpus"].between(1, 4).all()
    jobs = training_jobs(raw)
    assert list(jobs.columns) == ["job_id", "release_hour", "gpus", "duration_h"] + [
        "deadline_hour",
        "value_usd",
    ]
    assert (jobs["deadline_hour"] >= jobs["release_hour"] + jobs["duration_h"]).all()
    assert jobs["release_hour"].is_monotonic_increasing
    assert jobs["job_id"].is_unique and jobs["gpus"].between(8, 1024).all()


# --- malformed copies ---------------------------------------------------------------------------

CARBON_HEADER = "datetime_utc,GB,SG"


def test_missing_column(tmp_path: Path):
    write(tmp_path, "carbon_lca", wide_lines("datetime_utc,SG", ["400"]))
    with pytest.raises(TraceError, match=r"^carbon_intensity_lca\S+csv: column 'GB': missing"):
        load_carbon_intensity(zones=["GB"], directory=tmp_path)
    write(tmp_path, "weather", ["datetime_utc,zone_id,temperature_2m,relative_humidity_2m"])
    with pytest.raises(TraceError, match=r"^weather_openmeteo\S+: column 'cloudcover': missing"):
        load_weather(directory=tmp_path)


def test_duplicated_hour(tmp_path: Path):
    lines = wide_lines(CARBON_HEADER, ["50", "400"])
    lines[3] = lines[2]
    write(tmp_path, "carbon_lca", lines)
    with pytest.raises(TraceError) as err:
        load_carbon_intensity(directory=tmp_path)
    assert str(err.value) == (
        "carbon_intensity_lca_gco2eq_per_kwh_2022_hourly.csv: column 'datetime_utc': row 3: "
        "duplicated hour 2022-01-01 01:00 UTC (also row 2)"
    )


def test_unsorted_stamps(tmp_path: Path):
    lines = wide_lines(CARBON_HEADER, ["50", "400"])
    lines[2], lines[4] = lines[4], lines[2]
    write(tmp_path, "carbon_direct", lines)
    with pytest.raises(TraceError) as err:
        load_carbon_intensity("direct", directory=tmp_path)
    assert str(err.value) == (
        "carbon_intensity_direct_gco2eq_per_kwh_2022_hourly.csv: column 'datetime_utc': row 3: "
        "timestamps not sorted: 2022-01-01 02:00 UTC comes after 2022-01-01 03:00 UTC (row 2)"
    )


def test_text_in_number_column(tmp_path: Path):
    lines = wide_lines(CARBON_HEADER, ["50", "400"])
    lines[2] = "2022-01-01 01:00:00,abc,400"
    write(tmp_path, "carbon_lca", lines)
    with pytest.raises(TraceError) as err:
        load_carbon_intensity(directory=tmp_path)
    assert str(err.value) == (
        "carbon_intensity_lca_gco2eq_per_kwh_2022_hourly.csv: column 'GB': row 2: "
        "not a number ('abc')"
    )


def test_value_out_of_range(tmp_path: Path):
    lines = wide_lines(CARBON_HEADER, ["50", "40"])
    lines[6] = "2022-01-01 05:00:00,50,120"
    write(tmp_path, "renewable_share", lines)
    with pytest.raises(TraceError, match=r"column 'SG': row 6: value 120 outside \[0, 100\] %"):
        load_renewable_share(directory=tmp_path)


def test_not_an_hour_start(tmp_path: Path):
    lines = wide_lines(CARBON_HEADER, ["50", "400"])
    lines[3] = "2022-01-01 02:30:00,50,400"
    write(tmp_path, "carbon_lca", lines)
    with pytest.raises(TraceError, match=r"'datetime_utc': row 3: not an hour start"):
        load_carbon_intensity(directory=tmp_path)


@pytest.mark.parametrize(
    ("column", "problem"),
    [
        ("SG_usd_per_kwh", "price column name must end in _<currency>_per_mwh"),
        ("SG_chf_per_mwh", "unknown currency 'chf'"),
        ("SG", "price column name must end in _<currency>_per_mwh"),
    ],
)
def test_wrong_price_unit_suffix(tmp_path: Path, column: str, problem: str):
    write(tmp_path, "prices", wide_lines(f"datetime_utc,GB_eur_per_mwh,{column}", ["80", "90"]))
    with pytest.raises(TraceError) as err:
        load_prices(directory=tmp_path)
    assert str(err.value).startswith(
        f"electricity_price_2022_hourly.csv: column '{column}': {problem}"
    )


def test_gap_refused_names_row_and_count(tmp_path: Path):
    lines = wide_lines(CARBON_HEADER, ["50", "400"])
    lines[5] = "2022-01-01 04:00:00,,400"
    lines[3] = "2022-01-01 02:00:00,,400"
    write(tmp_path, "carbon_lca", lines)
    with pytest.raises(
        TraceError, match=r"column 'GB': row 3: 2 missing hours, first 2022-01-01 02"
    ):
        load_carbon_intensity(directory=tmp_path)
    filled = load_carbon_intensity(directory=tmp_path, gap_policy="interpolate")
    assert filled.gaps.filled_hours == {"GB": 2}
    assert filled.data["GB"].tolist() == [50.0] * 6


def test_absent_hour_is_a_gap(tmp_path: Path):
    lines = wide_lines(CARBON_HEADER, ["50", "400"])
    del lines[3]  # 02:00 absent
    write(tmp_path, "carbon_lca", lines)
    with pytest.raises(TraceError) as err:
        load_carbon_intensity(directory=tmp_path)
    assert str(err.value).startswith(
        "carbon_intensity_lca_gco2eq_per_kwh_2022_hourly.csv: column 'GB': 1 missing hours, "
        "first 2022-01-01 02:00 UTC (hour absent from the file, after row 2)"
    )
    assert load_carbon_intensity(directory=tmp_path, gap_policy="ffill").data.shape == (6, 2)


def test_long_format_errors_name_the_key(tmp_path: Path):
    header = "datetime_utc,balancing_authority,WND,SUN"
    rows = [f"2022-01-01 {h:02d}:00:00,{ba},10,5" for ba in ("CISO", "PJM") for h in range(3)]
    rows[4] = "2022-01-01 00:00:00,PJM,10,5"
    write(tmp_path, "eia930", [header, *rows])
    with pytest.raises(TraceError) as err:
        load_generation_shapes(directory=tmp_path)
    assert str(err.value) == (
        "eia930_generation_by_fuel_mwh_2022_hourly.csv [balancing_authority=PJM]: "
        "column 'datetime_utc': row 5: duplicated hour 2022-01-01 00:00 UTC (also row 4)"
    )
    with pytest.raises(TraceError, match=r"'balancing_authority': no rows for 'ERCO'"):
        load_generation_shapes(zones=["US-TEX-ERCO"], directory=tmp_path)


def test_azure_trace_errors(tmp_path: Path):
    header = "TIMESTAMP,ContextTokens,GeneratedTokens"
    write(tmp_path, "azure_code", [header, "2023-11-16 18:00:01.5,10,2", "2023-11-16 18:00:00,9,x"])
    with pytest.raises(TraceError, match=r"column 'TIMESTAMP': row 2: timestamps not sorted"):
        load_azure_llm_trace("code", directory=tmp_path)
    write(tmp_path, "azure_conv", [header, "2023-11-16 18:00:01,10,2", "2023-11-16 18:00:02,9,"])
    with pytest.raises(TraceError, match=r"_conv.csv: column 'GeneratedTokens': row 2: empty"):
        load_azure_llm_trace("conv", directory=tmp_path)


def test_gaia_errors(tmp_path: Path):
    write(tmp_path, "gaia", ["arrival_time,length,cpus", "0,60,1", "5,60,1.5"])
    with pytest.raises(TraceError, match=r"csv: column 'cpus': row 2: not a whole number"):
        load_gaia_jobs(directory=tmp_path)


# --- gap policies -------------------------------------------------------------------------------


def test_interpolate_is_linear_in_time():
    frame = pd.DataFrame({"x": [1.0, np.nan, np.nan, 4.0]}, index=hours(4))
    filled, report = fill_gaps(frame, "interpolate", source="t.csv")
    assert filled["x"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert report.to_dict() == {
        "source": "t.csv",
        "method": "interpolate",
        "filled_hours": {"x": 2},
    }


def test_interpolate_refuses_long_and_edge_gaps():
    frame = pd.DataFrame({"x": [1.0, np.nan, np.nan, 4.0]}, index=hours(4))
    rows = pd.Series([1, 2, 3, 4], index=frame.index, dtype="Int64")
    with pytest.raises(
        TraceError, match=r"t.csv: column 'x': row 2: .*2 h gap exceeds max_gap_h=1"
    ):
        fill_gaps(frame, GapPolicy("interpolate", max_gap_h=1), source="t.csv", rows=rows)
    edge = pd.DataFrame({"x": [np.nan, 2.0, 3.0]}, index=hours(3))
    with pytest.raises(TraceError, match="at the edge of the data"):
        fill_gaps(edge, "interpolate", source="t.csv")


def test_seasonal_copies_previous_week_then_day():
    n = 24 * 21
    values = np.arange(n, dtype=float)
    frame = pd.DataFrame({"x": values}, index=hours(n))
    frame.iloc[200:210, 0] = np.nan  # previous week exists: t - 168
    frame.iloc[5:8, 0] = np.nan  # first week: next week, t + 168
    filled, report = fill_gaps(frame, "seasonal", source="t.csv")
    assert filled["x"].iloc[200:210].tolist() == (values[200:210] - 168).tolist()
    assert filled["x"].iloc[5:8].tolist() == (values[5:8] + 168).tolist()
    assert report.filled_hours == {"x": 13}
    short = pd.DataFrame({"x": [1.0, np.nan, 3.0]}, index=hours(3))
    with pytest.raises(TraceError, match="no value at lags"):
        fill_gaps(short, "seasonal", source="t.csv")
    daily = GapPolicy("seasonal", seasonal_lags_h=(24, -24))
    filled, _ = fill_gaps(frame, daily, source="t.csv")
    assert filled["x"].iloc[200] == values[200 - 24]


def test_ffill_carries_forward_and_back_at_start():
    frame = pd.DataFrame({"x": [np.nan, 2.0, np.nan, 5.0], "y": 1.0}, index=hours(4))
    filled, report = fill_gaps(frame, "ffill", source="t.csv")
    assert filled["x"].tolist() == [2.0, 2.0, 2.0, 5.0]
    assert report.filled_hours == {"x": 2}


def test_empty_column_refused_under_every_method():
    frame = pd.DataFrame({"x": [np.nan] * 3}, index=hours(3))
    for method in ("interpolate", "seasonal", "ffill"):
        with pytest.raises(TraceError, match="column 'x': 3 missing hours.*no value at all"):
            fill_gaps(frame, method, source="t.csv")
    with pytest.raises(ValueError, match="gap policy 'zero' unknown"):
        GapPolicy("zero")  # type: ignore[arg-type]


# --- modelling functions with known answers -----------------------------------------------------


def test_currency_conversion_arithmetic():
    prices = pd.Series([100.0, -10.0])
    assert to_usd_per_mwh(prices, "eur").tolist() == pytest.approx([105.0, -10.5])
    assert to_usd_per_mwh(prices, "gbp").tolist() == pytest.approx([124.0, -12.4])
    assert to_usd_per_mwh(pd.Series([200.0]), "sgd").item() == pytest.approx(145.0)
    assert to_usd_per_mwh(pd.Series([10000.0]), "jpy").item() == pytest.approx(76.0)
    assert to_usd_per_mwh(prices, "eur", {"eur": 1.1}).tolist() == pytest.approx([110.0, -11.0])
    assert parse_price_column("DE-LU_eur_per_mwh", "p.csv") == ("DE-LU", "eur")
    assert parse_price_column("X_usd_per_mwh", "p.csv", {"usd": 1.0}) == ("X", "usd")


def test_capacity_factor_shape_max_is_one():
    shape = capacity_factor_shape(pd.Series([-2.0, 0.0, 50.0, 200.0], name="SUN"))
    assert shape.tolist() == [0.0, 0.0, 0.25, 1.0]
    with pytest.raises(ValueError, match="SUN: no positive generation"):
        capacity_factor_shape(pd.Series([0.0, 0.0], name="SUN"))


def test_wind_power_curve_at_cut_in_rated_cut_out():
    speeds = pd.Series([0.0, 2.99, 3.0, 12.0, 20.0, 24.99, 25.0, 30.0])
    assert power_curve(speeds).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    half = ((3.0**3 + 12.0**3) / 2) ** (1 / 3)
    assert power_curve(pd.Series([half])).item() == pytest.approx(0.5)
    assert hub_wind_m_per_s(pd.Series([36.0]), hub_height_m=10).item() == pytest.approx(10.0)
    assert hub_wind_m_per_s(pd.Series([36.0])).item() == pytest.approx(10 * 10 ** (1 / 7))
    cf = wind_capacity_factor(pd.Series([36.0 / 10 ** (1 / 7) * 1.2]))  # 12 m/s at 100 m
    assert cf.item() == pytest.approx(1.0)


def test_solar_geometry_and_cloud_factor():
    equinox_noon = pd.DatetimeIndex([pd.Timestamp("2022-03-21 11:30", tz="UTC")])
    assert solar_elevation_sin(equinox_noon, 0.0, 0.0).item() == pytest.approx(1.0, abs=0.01)
    midnight = pd.DatetimeIndex([pd.Timestamp("2022-06-21 23:30", tz="UTC")])
    assert clear_sky_ghi_w_per_m2(midnight, 51.5, 0.0).item() == 0.0
    assert cloud_factor(pd.Series([0.0, 100.0])).tolist() == pytest.approx([1.0, 0.25])
    day = hours(24, "2022-06-21")
    cf = pv_capacity_factor(pd.Series(0.0, index=day), SITES["SG"])
    assert 0 < cf.max() <= 1 and cf.min() == 0
    assert cf.idxmax().hour in (4, 5)  # solar noon in Singapore is about 05:10 UTC


def test_diurnal_profile_sums_to_configured_volume():
    week = hours(24 * 7, "2022-01-03")
    for tz in ("America/Los_Angeles", "Asia/Kolkata", -5.0, 5.5):
        demand = inference_requests_per_hour(week, 1000.0, tz)
        assert demand.sum() == pytest.approx(168 * 1000.0)
        assert demand.index.equals(week)
    flat_week = inference_requests_per_hour(week, 1000.0, -5.0, weekend_ratio=1.0)
    local_days = flat_week.groupby(flat_week.index.tz_convert("Etc/GMT+5").date).sum()
    assert local_days.iloc[1:-1].tolist() == pytest.approx([24000.0] * 6)
    peak = inference_requests_per_hour(hours(24), 10.0, -5.0, peak_hour=14.5)
    assert peak.idxmax().hour == 19  # 14:00-15:00 local at UTC-5
    weekend = inference_requests_per_hour(week, 10.0, 0.0, amplitude=0.0, weekend_ratio=0.5)
    saturday = pd.Timestamp("2022-01-08 12:00", tz="UTC")
    assert weekend[saturday] == pytest.approx(0.5 * weekend.iloc[0])


def test_tokens_to_gpu_seconds():
    assert gpu_seconds_per_request([3500], [400]).tolist() == pytest.approx([2.0])
    model = ThroughputModel(prefill_tokens_per_s=1000.0, decode_tokens_per_s=50.0)
    got = gpu_seconds_per_request(np.array([2000, 0]), np.array([100, 5]), model)
    assert got.tolist() == pytest.approx([4.0, 0.1])


def test_burstiness_of_known_counts():
    start = pd.Timestamp("2023-11-16 18:00", tz="UTC")
    even = pd.DatetimeIndex([start + pd.Timedelta(seconds=s) for s in range(0, 600, 10)])
    assert burstiness(even) == pytest.approx((0.0, 1.0))
    offsets = [0, 1, 2, 3, 60, 180]  # counts per minute 4, 1, 0 (last bin incomplete)
    bursty = pd.DatetimeIndex([start + pd.Timedelta(seconds=s) for s in offsets])
    cv, peak = burstiness(bursty)
    assert peak == pytest.approx(4 / (5 / 3))
    assert cv == pytest.approx(np.std([4, 1, 0]) / (5 / 3))


def test_job_mapping_rules():
    raw = pd.DataFrame(
        {"arrival_s": [0.0, 1.0, 7200.0], "length_s": [0.0, 3601.0, 36000.0], "cpus": [1, 3, 200]},
        index=pd.RangeIndex(1, 4),
    )
    jobs = training_jobs(raw, start_hour=10, min_slack_h=4, slack_factor=1.0)
    assert jobs["job_id"].tolist() == ["gaia-1", "gaia-2", "gaia-3"]
    assert jobs["release_hour"].tolist() == [10, 11, 12]
    assert jobs["duration_h"].tolist() == [1, 2, 10]
    assert jobs["gpus"].tolist() == [8, 24, 1024]
    assert jobs["deadline_hour"].tolist() == [10 + 1 + 4, 11 + 2 + 4, 12 + 10 + 10]
    assert jobs["value_usd"].tolist() == [16.0, 96.0, 20480.0]
    assert (jobs["deadline_hour"] >= jobs["release_hour"] + jobs["duration_h"]).all()
    assert gpus_from_cpus(pd.Series([1, 2]), gpus_per_cpu=4, min_gpus=8).tolist() == [8, 8]


def test_generation_without_any_shape_is_refused(tmp_path: Path):
    header = "datetime_utc,balancing_authority,WND,SUN"
    rows = [f"2022-01-01 {h:02d}:00:00,NYIS,10,0" for h in range(3)]
    write(tmp_path, "eia930", [header, *rows])
    shapes = load_generation_shapes(directory=tmp_path)
    assert list(shapes.data.columns) == [("WND", "US-NY-NYIS")]
    with pytest.raises(TraceError, match=r"column 'SUN': NYIS reports no SUN generation"):
        load_generation_shapes(fuels=["SUN"], directory=tmp_path)
