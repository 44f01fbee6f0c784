"""Real-data traces for a scenario (``traces.kind = "real"``, alias ``"real-2022"``), any year.

Per site, from its zone's signals in the data folders (``inputs.data_dirs`` in order, then the
bundled real-data directory; formats in :mod:`traces.real.library`, docs/real-data.md):

* carbon: grid carbon intensity, gCO2/kWh, basis ``scenario.traces.carbon_basis`` (lca/direct);
* market_price (and buy_price = sell_price until the tariff step): the market price converted to
  USD/MWh by :func:`traces.currency.currency_table` (``economics.currency_usd`` merged over the
  2022 defaults); the site tariff is applied later by :mod:`simulator.tariff`;
* temperature: Open-Meteo ``temperature_2m`` of the zone's weather site, °C;
* pv_cf: the EIA-930 SUN shape of the zone's balancing authority where it reports solar, else
  the cloud-cover model (clear sky at the site's own coordinates × the zone's cloud cover);
* wind_cf: the EIA-930 WND shape for US zones, else the 10 m wind + power-curve model (city
  weather sites have weak wind, so fleet output is the better shape wherever EIA-930 has it).

Demand [rows, regions, classes] = the diurnal/weekly shape in the region's local standard time
(``Region.offset_h``) × ``requests_per_hour`` × class share (``inputs.arrivals`` replaces it).
Jobs: the scenario's explicit jobs plus the GAIA sample mapped by
:func:`traces.real.jobs.training_jobs`, released from the run start;
jobs released at or after the run end are dropped. The default job source is the GAIA sample
repeated every week (``extend = "repeat"``, see :mod:`traces.jobsources`).

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
from simulator.inputs import JobSource
from simulator.scenario import Scenario
from simulator.scenario_models import Site as SiteSpec
from simulator.traceset import SITE_SIGNALS, TraceSet
from traces.currency import currency_table
from traces.jobsources import scenario_jobs
from traces.real.datadir import FILES, data_folders
from traces.real.diurnal import inference_requests_per_hour
from traces.real.gaps import GapMethod, fill_gaps
from traces.real.generation import BA_ZONES, capacity_factor_shape
from traces.real.library import DataLibrary, Series
from traces.real.sites import ZONE_TIMEZONES, Site
from traces.real.tables import HourlyTable, read_long_hourly
from traces.real.weather import pv_capacity_factor
from traces.real.wind import wind_capacity_factor

YEAR_START = pd.Timestamp("2022-01-01", tz="UTC")
YEAR_END = pd.Timestamp("2023-01-01", tz="UTC")
"""The bundled data covers [YEAR_START, YEAR_END): calendar 2022, UTC hour starts."""

WEATHER_USED = ("temperature_2m", "cloudcover", "windspeed_10m")
DEFAULT_JOBS = (JobSource(kind="gaia", extend="repeat"),)
"""Job source of the real-data route when ``inputs.jobs`` is not set: GAIA, repeated weekly."""
_STAMP = "%Y-%m-%d %H:%M"


def run_index(scenario: Scenario) -> pd.DatetimeIndex:
    """UTC hour starts of the history block and the run (the data must cover them)."""
    hist, hours = scenario.traces.history_hours, scenario.hours
    start = pd.Timestamp(scenario.start).tz_convert("UTC")
    return pd.date_range(start - pd.Timedelta(hours=hist), periods=hist + hours, freq="h",
                         name="timestamp")


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


def _zone_error(scenario: Scenario, s: int, what: str, library: DataLibrary) -> NoReturn:
    """Raise the one-line ScenarioError for site ``s`` whose zone has no ``what`` signal."""
    site = scenario.sites[s]
    raise ScenarioError(
        f"scenario '{scenario.name}': sites.{s}.zone: site '{site.name}' zone '{site.zone}' has "
        f"no {what} in the data folders {library.where()} (zones with it: "
        f"{', '.join(library.zones(what)) or 'none'}; add a file, see docs/real-data.md)"
    )


def _signal(
    scenario: Scenario,
    library: DataLibrary,
    signal: str,
    index: pd.DatetimeIndex,
    gaps: dict,
    needed: frozenset[str] | None = None,
) -> tuple[dict[str, pd.Series], dict[str, Series]]:
    """``signal`` of every site's zone on ``index``, gaps filled by ``traces.fill``. A zone
    without it is an error if ``needed`` (site names; None = all) holds one of its sites,
    else it is left out."""
    values: dict[str, pd.Series] = {}
    found: dict[str, Series | None] = {}
    for site in scenario.sites:
        if site.zone in found:
            continue
        series = library.find(site.zone, signal)
        if series is None:
            users = [i for i, x in enumerate(scenario.sites) if x.zone == site.zone
                     and (needed is None or x.name in needed)]
            if users:
                _zone_error(scenario, users[0], signal, library)
            found[site.zone] = None
            continue
        frame, counts = fill_window(series.table, index, scenario.traces.fill)
        column = frame.columns[0]
        if counts:
            gaps.setdefault(series.table.source, {})[f"{site.zone}/{signal}"] = counts[column]
        values[site.zone], found[site.zone] = frame.loc[index, column], series
    return values, {zone: series for zone, series in found.items() if series is not None}


def _market_prices(
    scenario: Scenario, library: DataLibrary, index: pd.DatetimeIndex, gaps: dict
) -> tuple[np.ndarray, dict[str, float]]:
    """Market prices [rows, sites], USD/MWh, and the rates used (USD per unit)."""
    prices, found = _signal(scenario, library, "price", index, gaps)
    table = currency_table(scenario.economics.currency_usd)
    used = {}
    for site in scenario.sites:
        currency = found[site.zone].unit
        if currency not in table:
            raise ScenarioError(
                f"scenario '{scenario.name}': economics.currency_usd: no rate for "
                f"{currency.upper()} (prices of site '{site.name}', zone '{site.zone}', in "
                f"{found[site.zone].table.source})"
            )
        used[currency.upper()] = table[currency]
    market = [prices[s.zone].to_numpy() * table[found[s.zone].unit] for s in scenario.sites]
    return np.column_stack(market), used


def _eia_shapes(
    scenario: Scenario, library: DataLibrary, index: pd.DatetimeIndex, gaps: dict
) -> dict[tuple[str, str], pd.Series]:
    """EIA-930 SUN/WND shapes (0-1, peak of the year = 1) on ``index``, keyed (fuel, zone).

    Only zones of the scenario's sites that map to a balancing authority, and only if a data
    folder holds the EIA-930 file (else those sites use the weather models); a fuel the
    authority never reports (NYIS SUN) has no shape.
    """
    zone_ba = {zone: ba for ba, zone in BA_ZONES.items()}
    bas = list(dict.fromkeys(zone_ba[s.zone] for s in scenario.sites if s.zone in zone_ba))
    path = library.file(FILES["eia930"])
    if not bas or path is None:
        return {}
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


def _capacity_factor(site: SiteSpec, n_rows: int, weather: pd.DataFrame,
                     shapes: dict[tuple[str, str], pd.Series], kind: str) -> tuple[np.ndarray, str]:
    """One site's PV (``kind="pv"``) or wind capacity factor per row (0-1) and how it was made:
    the zone's EIA-930 shape, else a model of the zone's weather, else zeros."""
    code, column, device = ("SUN", "cloudcover", "pv") if kind == "pv" else \
        ("WND", "windspeed_10m", "wind")
    if (code, site.zone) in shapes:
        return shapes[(code, site.zone)].to_numpy(), f"EIA-930 {code} shape of {site.zone}"
    if column not in weather:
        what = "cloud cover" if kind == "pv" else "10 m wind"
        return np.zeros(n_rows), f"none ({device}_mw = 0, no {what} for {site.zone})"
    if kind == "pv":
        where = Site(site.name, site.latitude, site.longitude,
                     ZONE_TIMEZONES.get(site.zone, "UTC"))
        return (pv_capacity_factor(weather[column], where).to_numpy(),
                f"clear sky at the site x cloud cover of {site.zone}")
    return (wind_capacity_factor(weather[column]).to_numpy(),
            f"10 m wind of {site.zone} at 100 m hub, power curve")


def _renewables(
    scenario: Scenario,
    index: pd.DatetimeIndex,
    weather: dict[str, pd.DataFrame],
    shapes: dict[tuple[str, str], pd.Series],
) -> tuple[np.ndarray, np.ndarray, dict[str, str], dict[str, str]]:
    """PV and wind capacity factors [rows, sites] (0-1) and the model used per site."""
    out = {kind: [_capacity_factor(site, len(index), weather[site.zone], shapes, kind)
                  for site in scenario.sites] for kind in ("pv", "wind")}
    names = [site.name for site in scenario.sites]
    return (np.column_stack([cf for cf, _ in out["pv"]]),
            np.column_stack([cf for cf, _ in out["wind"]]),
            dict(zip(names, [m for _, m in out["pv"]], strict=True)),
            dict(zip(names, [m for _, m in out["wind"]], strict=True)))


def _demand(scenario: Scenario, index: pd.DatetimeIndex) -> np.ndarray:
    """Inference arrivals [rows, regions, classes], requests/h, in each region's local time."""
    shares = np.array([c.share for c in scenario.classes])
    per_region = [
        inference_requests_per_hour(index, r.requests_per_hour, r.offset_h).to_numpy()
        for r in scenario.regions
    ]
    return np.stack(per_region, axis=1)[:, :, None] * shares[None, None, :]


def real_traces(scenario: Scenario, data_dir: str | Path | None = None) -> TraceSet:
    """The TraceSet of a real-data scenario, read from the data folders.

    Folders: ``inputs.data_dirs`` in order, then ``data_dir``, else ``scenario.traces.path``,
    else ``$GRIDSHIFT_DATA_DIR``, else ``../shared/data`` (see
    :func:`traces.real.datadir.data_folders`). Raises ScenarioError if a site's zone lacks a
    signal or a price currency has no rate; TraceError for a missing directory, malformed data,
    data that does not cover the run (with its history), or a gap refused by ``traces.fill``.
    """
    if scenario.inputs.jobs is None and scenario.jobs.arrivals_per_hour > 0:
        raise ScenarioError(
            f"scenario '{scenario.name}': jobs.arrivals_per_hour: the real-data route takes "
            f"training jobs from GAIA (plus jobs.jobs); set it to 0 or list the sources, e.g. "
            f"[[inputs.jobs]] kind = \"synthetic\""
        )
    index = run_index(scenario)
    folders = data_folders(scenario.inputs.data_dirs, data_dir, scenario.traces.path)
    library = DataLibrary(folders)
    gaps: dict[str, dict[str, int]] = {}
    carbon, carbon_src = _signal(scenario, library, f"carbon_{scenario.traces.carbon_basis}",
                                 index, gaps)
    market, rates = _market_prices(scenario, library, index, gaps)
    shapes = _eia_shapes(scenario, library, index, gaps)
    needed = {  # cloud cover and wind are needed only where a site has PV / wind but no shape
        "temperature_2m": None,
        "cloudcover": frozenset(s.name for s in scenario.sites
                                if s.pv_mw > 0 and ("SUN", s.zone) not in shapes),
        "windspeed_10m": frozenset(s.name for s in scenario.sites
                                   if s.wind_mw > 0 and ("WND", s.zone) not in shapes),
    }
    columns: dict[str, dict[str, pd.Series]] = {s.zone: {} for s in scenario.sites}
    for name in WEATHER_USED:
        values, _ = _signal(scenario, library, name, index, gaps, needed[name])
        for zone, series in values.items():
            columns[zone][name] = series
    weather = {zone: pd.DataFrame(cols, index=index) for zone, cols in columns.items()}
    pv, wind, pv_model, wind_model = _renewables(scenario, index, weather, shapes)
    temperature = np.column_stack([weather[s.zone]["temperature_2m"] for s in scenario.sites])
    carbon_arr = np.column_stack([carbon[s.zone].to_numpy() for s in scenario.sites])
    jobs, job_notes = scenario_jobs(scenario, index, folders, DEFAULT_JOBS)
    signals = dict(zip(SITE_SIGNALS, (market, market, carbon_arr, pv, wind, temperature),
                       strict=True))
    signals["market_price"] = market
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
            "source": scenario.traces.kind,
            "data_dir": str(folders[-1]),
            "data_folders": [str(f) for f in folders],
            "fill": scenario.traces.fill,
            "gaps_filled_hours": gaps,
            "carbon_basis": scenario.traces.carbon_basis,
            "currency_usd": rates,
            "zones": {s.name: s.zone for s in scenario.sites},
            "carbon_files": {z: [str(p) for p in v.files] for z, v in carbon_src.items()},
            "pv_model": pv_model,
            "wind_model": wind_model,
            "jobs": job_notes,
        },
    )
