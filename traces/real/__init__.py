"""Loaders for real public data and the modelling steps that turn it into simulator signals.

Every hourly result has a tz-aware UTC ``timestamp`` index of hour starts. Units: carbon
intensity gCO2/kWh, renewable share %, prices USD/MWh, temperature °C, cloud cover %, wind km/h
(10 m) or m/s (hub), capacity factors 0-1, tokens, GPU-seconds, hours, USD. See docs/real-data.md.
"""

from traces.real.datadir import ENV_VAR, FILES, data_dir, data_file
from traces.real.diurnal import diurnal_weight, inference_requests_per_hour, weekly_factor
from traces.real.gaps import GAP_METHODS, GapMethod, GapPolicy, GapReport, fill_gaps
from traces.real.generation import BA_ZONES, capacity_factor_shape, load_generation_shapes
from traces.real.grid import (
    USD_PER_UNIT_2022,
    load_carbon_intensity,
    load_prices,
    load_renewable_share,
    parse_price_column,
    to_usd_per_mwh,
)
from traces.real.inference import (
    InferenceSummary,
    ThroughputModel,
    burstiness,
    gpu_seconds_per_request,
    load_azure_llm_trace,
    summarize_trace,
)
from traces.real.jobs import JOB_COLUMNS, gpus_from_cpus, load_gaia_jobs, training_jobs
from traces.real.sites import SITES, ZONE_TIMEZONES, Site
from traces.real.tables import Loaded
from traces.real.weather import (
    WEATHER_VARIABLES,
    load_weather,
    pv_capacity_factor,
    pv_capacity_factors,
)
from traces.real.wind import hub_wind_m_per_s, power_curve, wind_capacity_factor

__all__ = [
    "BA_ZONES",
    "ENV_VAR",
    "FILES",
    "GAP_METHODS",
    "JOB_COLUMNS",
    "SITES",
    "USD_PER_UNIT_2022",
    "WEATHER_VARIABLES",
    "ZONE_TIMEZONES",
    "GapMethod",
    "GapPolicy",
    "GapReport",
    "InferenceSummary",
    "Loaded",
    "Site",
    "ThroughputModel",
    "burstiness",
    "capacity_factor_shape",
    "data_dir",
    "data_file",
    "diurnal_weight",
    "fill_gaps",
    "gpu_seconds_per_request",
    "gpus_from_cpus",
    "hub_wind_m_per_s",
    "inference_requests_per_hour",
    "load_azure_llm_trace",
    "load_carbon_intensity",
    "load_gaia_jobs",
    "load_generation_shapes",
    "load_prices",
    "load_renewable_share",
    "load_weather",
    "parse_price_column",
    "power_curve",
    "pv_capacity_factor",
    "pv_capacity_factors",
    "summarize_trace",
    "to_usd_per_mwh",
    "training_jobs",
    "weekly_factor",
    "wind_capacity_factor",
]
