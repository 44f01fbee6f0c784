"""A new user's study: two grid zones the bundled data lacks, for 2023, written from the bundled
2022 files in the public formats (Electricity Maps export, long files), a request trace of one's
own and a job file, one scenario file with relative paths, two weeks replayed, no glue code."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.results import read_run
from gridshift.api import build_traces, run
from simulator.errors import ScenarioError
from simulator.scenario import load_scenario
from traces.real import ENV_VAR, FILES

DATA = Path(os.environ.get(ENV_VAR)
            or Path(__file__).resolve().parents[1].parent / "shared" / "data")
pytestmark = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"real data directory {DATA} is absent (see docs/real-data.md)")
YEAR = pd.DateOffset(years=1)


def _bundled(key: str) -> pd.DataFrame:
    frame = pd.read_csv(DATA / FILES[key])
    frame["datetime_utc"] = pd.to_datetime(frame["datetime_utc"]) + YEAR  # 2022 -> 2023
    return frame


def _write_export(folder: Path, zone: str, source: str) -> None:
    """``zone`` in the Electricity Maps hourly export format, values of bundled zone ``source``."""
    lca, direct = _bundled("carbon_lca"), _bundled("carbon_direct")
    share = _bundled("renewable_share")
    pd.DataFrame({
        "Datetime (UTC)": lca["datetime_utc"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        "Country": "Norway", "Zone Name": zone, "Zone Id": zone,
        "Carbon Intensity gCO₂eq/kWh (direct)": direct[source],
        "Carbon Intensity gCO₂eq/kWh (LCA)": lca[source],
        "Low Carbon Percentage": share[source], "Renewable Percentage": share[source],
        "Data Source": "test", "Data Estimated": False, "Data Estimation Method": "",
    }).to_csv(folder / f"{zone}_2023_hourly.csv", index=False)


def _write_long(folder: Path, zone: str, source: str, currency: str, rate: float,
                carbon: bool, cloud: bool = True) -> None:
    """Prices (in ``currency`` at ``rate`` USD per unit), weather and optionally carbon of
    ``zone`` as one long file, values of bundled zone ``source``."""
    prices = _bundled("prices")
    column = next(c for c in prices.columns if c.startswith(f"{source}_"))
    in_usd = prices[column] * {"eur": 1.05, "usd": 1.0}[column.split("_")[1]]
    parts = [pd.DataFrame({"timestamp": prices["datetime_utc"], "signal": "price",
                           "value": in_usd / rate, "unit": f"{currency}/MWh"})]
    weather = _bundled("weather")
    weather = weather[weather["zone_id"] == source]
    for name, unit in (("temperature_2m", "degC"), ("cloudcover", "%"),
                       ("windspeed_10m", "km/h")):
        if name == "cloudcover" and not cloud:
            continue
        parts.append(pd.DataFrame({"timestamp": weather["datetime_utc"], "signal": name,
                                   "value": weather[name], "unit": unit}))
    if carbon:
        lca = _bundled("carbon_lca")
        parts.append(pd.DataFrame({"timestamp": lca["datetime_utc"], "signal": "carbon_lca",
                                   "value": lca[source], "unit": "gCO2eq/kWh"}))
    frame = pd.concat(parts, ignore_index=True).dropna(subset=["value"])
    frame.insert(1, "zone", zone)
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame.to_csv(folder / f"{zone.lower()}_long.csv", index=False)


def _write_requests(path: Path) -> np.ndarray:
    """Two weeks and a day of requests (one row each) in local time UTC+1; hourly totals."""
    rng = np.random.default_rng(5)
    hours = pd.date_range("2023-02-28 01:00", periods=15 * 24, freq="h")  # local = UTC+1
    shape = 40 + 30 * np.sin(2 * np.pi * (hours.hour.to_numpy() - 9) / 24)
    counts = rng.poisson(shape)
    stamps = np.repeat(hours.to_numpy(), counts) + pd.to_timedelta(
        rng.integers(0, 3600, counts.sum()), unit="s")
    regions = rng.choice(["oslo", "warsaw"], counts.sum())
    pd.DataFrame({"when": pd.DatetimeIndex(stamps).strftime("%Y-%m-%d %H:%M:%S"),
                  "user_region": regions}).to_csv(path, index=False)
    return counts


SCENARIO = """
name = "my-nordics"
start = 2023-03-01T00:00:00Z
hours = 336
seed = 3

[[sites]]
name = "oslo-dc"
zone = "NO-NO1"
latitude = 59.9
longitude = 10.7
gpus = 512
pv_mw = 0.1
import_cap_mw = 1.0
buy_adder_usd_per_mwh = 15.0

[[sites]]
name = "warsaw-dc"
zone = "PL"
latitude = 52.2
longitude = 21.0
gpus = 512
wind_mw = 0.2
import_cap_mw = 1.0
export_cap_mw = 0.2
sell_rule = "fraction"
sell_fraction = 0.8

[[regions]]
name = "oslo"
latitude = 59.9
longitude = 10.7
requests_per_hour = 20000

[[regions]]
name = "warsaw"
latitude = 52.2
longitude = 21.0
requests_per_hour = 30000

[[classes]]
name = "chat"
slo_ms = 60
gpu_seconds_per_request = 1.0
revenue_usd_per_request = 0.002
share = 1.0

[economics]
currency_usd = { PLN = 0.224 }

[traces]
kind = "real"
history_hours = 24

[inputs]
data_dirs = ["mydata"]

[inputs.arrivals]
path = "requests.csv"
time_column = "when"
region_column = "user_region"
utc_offset_h = 1

[[inputs.jobs]]
kind = "csv"
path = "jobs.csv"
extend = "repeat"
"""


def test_two_new_zones_for_2023_with_own_arrivals_and_jobs(tmp_path: Path, monkeypatch) -> None:
    study = tmp_path / "study"
    (study / "mydata").mkdir(parents=True)
    _write_export(study / "mydata", "NO-NO1", "DE-LU")
    _write_long(study / "mydata", "NO-NO1", "DE-LU", "NOK", 0.104, carbon=False)
    _write_long(study / "mydata", "PL", "US-MIDA-PJM", "PLN", 0.224, carbon=True, cloud=False)
    counts = _write_requests(study / "requests.csv")
    pd.DataFrame({"submit_time": ["2023-03-01 09:30:00", "2023-03-03 14:00:00"],
                  "gpus": [64, 256], "duration_h": [6, 12], "home_site": ["", "warsaw-dc"]}
                 ).to_csv(study / "jobs.csv", index=False)
    (study / "scenario.toml").write_text(SCENARIO)
    monkeypatch.chdir(tmp_path)  # paths resolve against the scenario file, not the cwd

    done = run(study / "scenario.toml", "greedy", out_dir=tmp_path / "runs")

    books = read_run(done.folder)
    notes = books["meta"]["traces"]
    assert notes["zones"] == {"oslo-dc": "NO-NO1", "warsaw-dc": "PL"}
    assert notes["data_folders"][0] == str(study / "mydata")
    assert notes["currency_usd"] == {"NOK": 0.104, "PLN": 0.224}
    assert notes["carbon_files"]["NO-NO1"] == [str(study / "mydata" / "NO-NO1_2023_hourly.csv")]
    assert notes["pv_model"]["oslo-dc"].startswith("clear sky")
    # PL has no cloud cover, and needs none: warsaw-dc has no PV
    assert notes["pv_model"]["warsaw-dc"].startswith("none (pv_mw = 0")
    # carbon of the new zone equals the written export (DE-LU's 2022 values, a year later)
    lca = pd.read_csv(DATA / FILES["carbon_lca"], index_col="datetime_utc")["DE-LU"]
    ledger = books["ledger"]
    oslo = ledger[ledger["site"] == "oslo-dc"].reset_index(drop=True)
    assert np.allclose(oslo["carbon_g_per_kwh"], lca.loc["2022-03-01 00:00:00":].iloc[:336])
    # the tariff is applied on top of the market price that came in NOK
    prices = pd.read_csv(DATA / FILES["prices"], index_col="datetime_utc")["DE-LU_eur_per_mwh"]
    market = prices.loc["2022-03-01 00:00:00":].iloc[:336].to_numpy() * 1.05
    assert np.allclose(oslo["buy_price_usd_per_mwh"], market / 0.104 * 0.104 + 15.0)
    # arrivals: the written trace, moved from UTC+1 to UTC, scaled to each region's mean
    arrivals = notes["arrivals"]
    assert arrivals["rows"] == counts.sum() and set(arrivals["scale_factor"]) == {"oslo",
                                                                                  "warsaw"}
    served = books["inference"].groupby("region")["arrived"].sum() / 336
    assert served["oslo"] == pytest.approx(20000, rel=0.05)
    # jobs: two from the file, repeated weekly over the two weeks, site names in jobs.parquet
    jobs = books["jobs"]
    assert sorted(jobs["release_hour"]) == [10, 62, 178, 230]
    assert set(jobs["site"].dropna()) <= {"oslo-dc", "warsaw-dc"}
    assert notes["jobs"]["sources"][0]["period_h"] == 168
    assert set(books["kpis"]["by_zone"]) == {"NO-NO1", "PL"}
    assert books["kpis"]["by_site"]["warsaw-dc"]["import_mwh"] > 0
    # a PV plant in Warsaw would need the cloud cover the folder lacks: named, one line
    with pytest.raises(ScenarioError, match=r"sites.1.zone: site 'warsaw-dc' zone 'PL' has no "
                       r"cloudcover in the data folders .*mydata"):
        build_traces(load_scenario(study / "scenario.toml").with_updates({"sites.1.pv_mw": 0.1}))
