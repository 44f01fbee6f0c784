"""Real 2022 traces for a scenario (``traces.kind = "real-2022"``): the public data as a TraceSet.

Per site, from its zone's columns in the real-data directory (see docs/real-data.md):

* carbon: grid carbon intensity, gCO2/kWh, basis ``scenario.traces.carbon_basis`` (lca/direct);
* buy_price / sell_price: wholesale price converted to USD/MWh with
  ``scenario.economics.currency_usd``, plus ``buy_adder_usd_per_mwh`` on the buy side and the
  site's ``sell_rule`` on the sell side, exactly as :mod:`traces.synthetic` applies them;
* temperature: Open-Meteo ``temperature_2m`` of the zone's weather site, °C;
* pv_cf: the EIA-930 SUN shape of the zone's balancing authority where it reports solar, else
  the cloud-cover model (clear sky at the site's own coordinates × the zone's cloud cover);
* wind_cf: the EIA-930 WND shape for US zones, else the 10 m wind + power-curve model (city
  weather sites have weak wind, so fleet output is the better shape wherever EIA-930 has it).

Demand [rows, regions, classes] = the diurnal/weekly shape in the region's local standard time
(``Region.offset_h``) × ``requests_per_hour`` × class share. Jobs: the scenario's explicit jobs plus
the GAIA sample mapped by :func:`traces.real.jobs.training_jobs`, released from the run start;
jobs released at or after the run end are dropped.

Gaps: only the hours the run uses (history + run) count. A column without a missing hour there
is taken as is; otherwise ``scenario.traces.fill`` decides: "refuse" raises a TraceError naming
the first missing hour, "interpolate" sees the window widened to the observed hours around its
gaps, "seasonal" and "ffill" may draw on the whole year. Filled hours inside the window are
recorded in ``TraceSet.notes["gaps"]`` and so in the run metadata.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

from simulator.errors import ScenarioError, TraceError
from simulator.scenario import Scenario
from traces.real.datadir import FILES, data_file
from traces.real.datadir import data_dir as resolve_data_dir
from traces.real.diurnal import inference_requests_per_hour
from traces.real.gaps import GapMethod, fill_gaps
from traces.real.generation import BA_ZONES, capacity_factor_shape
from traces.real.grid import USD_PER_UNIT_2022, parse_price_column, to_usd_per_mwh
from traces.real.jobs import load_gaia_jobs, training_jobs
from traces.real.sites import ZONE_TIMEZONES, Site
from traces.real.solar import pv_capacity_factor
from traces.real.tables import Bounds, HourlyTable, read_long_hourly, read_wide_hourly
from traces.real.weather import WEATHER_VARIABLES
from traces.real.wind import wind_capacity_factor
from traces.traceset import JOB_COLUMNS, SITE_SIGNALS, TraceSet

YEAR_START = pd.Timestamp("2022-01-01", tz="UTC")
YEAR_END = pd.Timestamp("2023-01-01", tz="UTC")
"""The real data covers [YEAR_START, YEAR_END): calendar 2022, UTC hour starts."""

CARBON_BOUNDS = Bounds(0, 5000, "gCO2/kWh")
WEATHER_USED = ("temperature_2m", "cloudcover", "windspeed_10m")
_STAMP = "%Y-%m-%d %H:%M"


def run_index(scenario: Scenario) -> pd.DatetimeIndex:
    """UTC hour starts of the history block and the run; ScenarioError if they leave 2022."""
    hist, hours = scenario.traces.history_hours, scenario.hours
    start = pd.Timestamp(scenario.start).tz_convert("UTC")
    first, end = start - pd.Timedelta(hours=hist), start + pd.Timedelta(hours=hours)
    where = f"scenario '{scenario.name}': start {start:{_STAMP}} UTC"
    if first < YEAR_START:
        earliest = YEAR_START + pd.Timedelta(hours=hist)
        raise ScenarioError(
            f"{where} with history_hours {hist} needs data from {first:{_STAMP}} UTC, but the "
            f"real-2022 data begins 2022-01-01 00:00 UTC: start at or after "
            f"{earliest:{_STAMP}} UTC or shorten the history"
        )
    if end > YEAR_END:
        latest = YEAR_END - pd.Timedelta(hours=hours)
        raise ScenarioError(
            f"{where} with hours {hours} runs to {end:{_STAMP}} UTC, but the real-2022 data ends "
            f"2022-12-31 23:00 UTC: start at or before {latest:{_STAMP}} UTC or shorten the run"
        )
    return pd.date_range(first, periods=hist + hours, freq="h", name="timestamp")


def _context(column: pd.DataFrame, index: pd.DatetimeIndex, method: GapMethod) -> pd.DataFrame:
    """Rows of a one-column frame the gap policy may look at (see the module docstring)."""
    if method in ("seasonal", "ffill"):
        return column
    lo = column.index.get_loc(index[0])
    hi = column.index.get_loc(index[-1]) + 1
    if method == "interpolate":
        missing = column.iloc[:, 0].isna().to_numpy()
        while lo > 0 and missing[lo]:
            lo -= 1
        while hi < len(missing) and missing[hi - 1]:
            hi += 1
    return column.iloc[lo:hi]


def fill_window(
    table: HourlyTable,
    index: pd.DatetimeIndex,
    method: GapMethod,
    columns: list[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """``columns`` of ``table`` (default all; whole file) with the gaps inside ``index`` filled.

    Returns the frame, units unchanged, and column -> hours filled inside ``index`` by
    ``method``. Raises TraceError if the file does not cover ``index`` or the policy refuses a gap.
    """
    values = table.values if columns is None else table.values[columns]
    if index[0] < values.index[0] or index[-1] > values.index[-1]:
        raise TraceError(
            table.source,
            f"data covers {values.index[0]:{_STAMP}} to {values.index[-1]:{_STAMP}} UTC, the run "
            f"needs {index[0]:{_STAMP}} to {index[-1]:{_STAMP}} UTC",
        )
    missing = values.loc[index].isna().sum()
    counts = {str(c): int(n) for c, n in missing.items() if n > 0}
    out = values.copy()
    for column in counts:
        context = _context(values[[column]], index, method)
        rows = table.rows.loc[context.index]
        filled, _ = fill_gaps(context, method, source=table.source, rows=rows)
        out.loc[context.index, column] = filled[column]
    return out, counts


def _zone_error(
    scenario: Scenario, s: int, what: str, file: str, present: list[str]
) -> NoReturn:
    """Raise the one-line ScenarioError for site ``s`` whose zone has no ``what`` in ``file``."""
    site = scenario.sites[s]
    raise ScenarioError(
        f"scenario '{scenario.name}': sites.{s}.zone: site '{site.name}' zone '{site.zone}' has "
        f"no {what} in {file} (zones there: {', '.join(present)})"
    )


def _carbon(
    scenario: Scenario, directory: Path, index: pd.DatetimeIndex, gaps: dict
) -> np.ndarray:
    """Carbon intensity [rows, sites], gCO2/kWh."""
    path = data_file(FILES[f"carbon_{scenario.traces.carbon_basis}"], directory)
    table = read_wide_hourly(path, bounds=CARBON_BOUNDS)
    for s, site in enumerate(scenario.sites):
        if site.zone not in table.values.columns:
            _zone_error(scenario, s, "carbon intensity column", path.name, list(table.values))
    zones = list(dict.fromkeys(site.zone for site in scenario.sites))
    frame, gaps[path.name] = fill_window(table, index, scenario.traces.fill, zones)
    return np.column_stack([frame.loc[index, site.zone] for site in scenario.sites])




def _prices(
    scenario: Scenario, directory: Path, index: pd.DatetimeIndex, gaps: dict
) -> tuple[np.ndarray, np.ndarray]:
    """Buy and sell prices [rows, sites], USD/MWh, converted by economics.currency_usd."""
    path = data_file(FILES["prices"], directory)
    table = read_wide_hourly(path)
    rates = {ccy.lower(): usd for ccy, usd in scenario.economics.currency_usd.items()}
    known = {**USD_PER_UNIT_2022, **rates}
    parsed = {c: parse_price_column(c, table.source, known) for c in table.values}
    by_zone = {zone: (column, ccy) for column, (zone, ccy) in parsed.items()}
    for s, site in enumerate(scenario.sites):
        if site.zone not in by_zone:
            _zone_error(scenario, s, "price column", path.name, list(by_zone))
        if by_zone[site.zone][1] not in rates:
            raise ScenarioError(
                f"scenario '{scenario.name}': economics.currency_usd: no rate for "
                f"{by_zone[site.zone][1].upper()} (prices of site '{site.name}', zone "
                f"'{site.zone}', in {path.name})"
            )
    columns = list(dict.fromkeys(by_zone[site.zone][0] for site in scenario.sites))
    frame, gaps[path.name] = fill_window(table, index, scenario.traces.fill, columns)
    buy, sell = [], []
    for site in scenario.sites:
        column, ccy = by_zone[site.zone]
        usd = to_usd_per_mwh(frame.loc[index, column], ccy, rates).to_numpy()
        site_buy, site_sell = site.tariff_usd_per_mwh(usd)
        buy.append(site_buy)
        sell.append(site_sell)
    return np.column_stack(buy), np.column_stack(sell)


def _weather(
    scenario: Scenario, directory: Path, index: pd.DatetimeIndex, gaps: dict
) -> dict[str, pd.DataFrame]:
    """Weather on ``index`` per zone: {zone: frame with temperature_2m °C, cloudcover %,
    windspeed_10m km/h}."""
    path = data_file(FILES["weather"], directory)
    bounds = {name: WEATHER_VARIABLES[name] for name in WEATHER_USED}
    tables = read_long_hourly(path, "zone_id", WEATHER_USED, bounds=bounds)
    for s, site in enumerate(scenario.sites):
        if site.zone not in tables:
            _zone_error(scenario, s, "weather site", path.name, list(tables))
    out, filled = {}, {}
    for zone in dict.fromkeys(site.zone for site in scenario.sites):
        frame, counts = fill_window(tables[zone], index, scenario.traces.fill)
        out[zone] = frame.loc[index]
        filled.update({f"{zone}/{column}": n for column, n in counts.items()})
    gaps[path.name] = filled
    return out


def _eia_shapes(
    scenario: Scenario, directory: Path, index: pd.DatetimeIndex, gaps: dict
) -> dict[tuple[str, str], pd.Series]:
    """EIA-930 SUN/WND shapes (0-1, peak of the year = 1) on ``index``, keyed (fuel, zone).

    Only zones of the scenario's sites that map to a balancing authority; a fuel the authority
    never reports (NYIS SUN) has no shape. The file is read only if some site needs it.
    """
    zone_ba = {zone: ba for ba, zone in BA_ZONES.items()}
    bas = list(dict.fromkeys(zone_ba[s.zone] for s in scenario.sites if s.zone in zone_ba))
    if not bas:
        return {}
    path = data_file(FILES["eia930"], directory)
    tables = read_long_hourly(path, "balancing_authority", ("SUN", "WND"))
    shapes, filled = {}, {}
    for ba in bas:
        if ba not in tables:
            continue
        frame, counts = fill_window(tables[ba], index, scenario.traces.fill)
        filled.update({f"{ba}/{fuel}": n for fuel, n in counts.items()})
        for fuel in ("SUN", "WND"):
            if frame[fuel].max() > 0:
                shapes[(fuel, BA_ZONES[ba])] = capacity_factor_shape(frame[fuel]).loc[index]
    gaps[path.name] = filled
    return shapes


def _renewables(
    scenario: Scenario,
    index: pd.DatetimeIndex,
    weather: dict[str, pd.DataFrame],
    shapes: dict[tuple[str, str], pd.Series],
) -> tuple[np.ndarray, np.ndarray, dict[str, str], dict[str, str]]:
    """PV and wind capacity factors [rows, sites] (0-1) and the model used per site."""
    pv, wind, pv_model, wind_model = [], [], {}, {}
    for site in scenario.sites:
        if ("SUN", site.zone) in shapes:
            pv.append(shapes[("SUN", site.zone)].to_numpy())
            pv_model[site.name] = f"EIA-930 SUN shape of {site.zone}"
        else:
            where = Site(site.name, site.latitude, site.longitude,
                         ZONE_TIMEZONES.get(site.zone, "UTC"))
            pv.append(pv_capacity_factor(weather[site.zone]["cloudcover"], where).to_numpy())
            pv_model[site.name] = f"clear sky at the site x cloud cover of {site.zone}"
        if ("WND", site.zone) in shapes:
            wind.append(shapes[("WND", site.zone)].to_numpy())
            wind_model[site.name] = f"EIA-930 WND shape of {site.zone}"
        else:
            wind.append(wind_capacity_factor(weather[site.zone]["windspeed_10m"]).to_numpy())
            wind_model[site.name] = f"10 m wind of {site.zone} at 100 m hub, power curve"
    return np.column_stack(pv), np.column_stack(wind), pv_model, wind_model


def _demand(scenario: Scenario, index: pd.DatetimeIndex) -> np.ndarray:
    """Inference arrivals [rows, regions, classes], requests/h, in each region's local time."""
    shares = np.array([c.share for c in scenario.classes])
    per_region = [
        inference_requests_per_hour(index, r.requests_per_hour, r.offset_h).to_numpy()
        for r in scenario.regions
    ]
    return np.stack(per_region, axis=1)[:, :, None] * shares[None, None, :]


def _jobs(scenario: Scenario, directory: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Explicit jobs plus GAIA jobs (job_id = offset + GAIA row − 1) released before the end."""
    stream = scenario.jobs
    if stream.arrivals_per_hour > 0:
        raise ScenarioError(
            f"scenario '{scenario.name}': jobs.arrivals_per_hour: real-2022 traces take training "
            f"jobs from the GAIA sample (plus jobs.jobs); set it to 0"
        )
    max_gpus = min(1024, max(s.gpus for s in scenario.sites))
    gaia = training_jobs(
        load_gaia_jobs(directory=directory),
        min_gpus=min(8, max_gpus),
        max_gpus=max_gpus,
        usd_per_gpu_hour=stream.value_usd_per_gpu_hour,
    )
    offset = max((j.job_id for j in stream.jobs), default=-1) + 1
    gaia["job_id"] = offset + gaia["job_id"].str.removeprefix("gaia-").astype("int64") - 1
    gaia["home_site"] = None
    explicit = pd.DataFrame(
        [[getattr(j, c) for c in JOB_COLUMNS] for j in stream.jobs], columns=list(JOB_COLUMNS)
    )
    frames = [f for f in (explicit, gaia[list(JOB_COLUMNS)]) if len(f)]
    jobs = pd.concat(frames, ignore_index=True)
    kept = jobs[jobs["release_hour"] < scenario.hours]
    kept = kept.astype({"job_id": "int64", "release_hour": "int64", "gpus": "int64",
                        "duration_h": "int64", "deadline_hour": "int64", "value_usd": "float64",
                        "home_site": "object"})
    kept = kept.sort_values(["release_hour", "job_id"], kind="stable").reset_index(drop=True)
    counts = {"explicit": len(explicit), "gaia": len(gaia), "gaia_job_id_offset": offset,
              "dropped_after_run_end": len(jobs) - len(kept)}
    return kept, counts


def real_traces(scenario: Scenario, data_dir: str | Path | None = None) -> TraceSet:
    """The TraceSet of a real-2022 scenario, read from the real-data directory.

    The directory is ``data_dir``, else ``scenario.traces.path``, else ``$GRIDSHIFT_DATA_DIR``,
    else ``../shared/data``. Raises ScenarioError if the run (with its history) leaves 2022, a
    site's zone lacks carbon, price or weather data, or a price currency has no rate; TraceError
    for a missing directory or file, malformed data, or a gap refused by ``traces.fill``.
    """
    index = run_index(scenario)
    directory = resolve_data_dir(data_dir if data_dir is not None else scenario.traces.path)
    gaps: dict[str, dict[str, int]] = {}
    carbon = _carbon(scenario, directory, index, gaps)
    buy, sell = _prices(scenario, directory, index, gaps)
    weather = _weather(scenario, directory, index, gaps)
    shapes = _eia_shapes(scenario, directory, index, gaps)
    pv, wind, pv_model, wind_model = _renewables(scenario, index, weather, shapes)
    temperature = np.column_stack([weather[s.zone]["temperature_2m"] for s in scenario.sites])
    jobs, job_counts = _jobs(scenario, directory)
    signals = dict(zip(SITE_SIGNALS, (buy, sell, carbon, pv, wind, temperature), strict=True))
    return TraceSet(
        index=index,
        history_hours=scenario.traces.history_hours,
        sites=tuple(s.name for s in scenario.sites),
        regions=tuple(r.name for r in scenario.regions),
        classes=tuple(c.name for c in scenario.classes),
        site_signals=signals,
        demand=_demand(scenario, index),
        jobs=jobs,
        notes={
            "source": "real-2022",
            "data_dir": str(directory),
            "fill": scenario.traces.fill,
            "gaps_filled_hours": gaps,
            "carbon_basis": scenario.traces.carbon_basis,
            "currency_usd": dict(scenario.economics.currency_usd),
            "zones": {s.name: s.zone for s in scenario.sites},
            "pv_model": pv_model,
            "wind_model": wind_model,
            "jobs": job_counts,
        },
    )
