"""Scenario: the typed, validated description of one study (sites, users, workload, economics).

A scenario loads from TOML or YAML, or is built in Python. Validation errors become one
:class:`~traces.errors.ScenarioError` line naming the field, e.g.
``scenario 'x': sites.0.gpus: Input should be greater than 0``.

Units: power MW (per-GPU power in kW, as datasheets give it), energy MWh, money USD,
latency ms, carbon intensity gCO2/kWh (= kg/MWh), emissions tCO2, time in UTC hours.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from traces.errors import ScenarioError

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Efficiency = Annotated[float, Field(gt=0, le=1)]

BUILTIN_DIR = Path(__file__).parent / "scenarios"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PUEModel(_Model):
    """Linear cooling model: PUE = min(max, base + slope_per_c * max(0, T_out - threshold_c))."""

    base: Annotated[float, Field(ge=1.0)] = 1.15
    threshold_c: float = 18.0
    slope_per_c: NonNegative = 0.012
    max: Annotated[float, Field(ge=1.0)] = 1.6

    @model_validator(mode="after")
    def _max_above_base(self) -> PUEModel:
        if self.max < self.base:
            raise ValueError(f"max ({self.max}) must be >= base ({self.base})")
        return self


class Battery(_Model):
    """Stationary battery. State of charge stays in [soc_min, soc_max] x energy_mwh."""

    energy_mwh: NonNegative
    power_mw: NonNegative
    charge_efficiency: Efficiency = 0.95
    discharge_efficiency: Efficiency = 0.95
    soc_min_fraction: Fraction = 0.1
    soc_max_fraction: Fraction = 0.9
    soc_initial_fraction: Fraction = 0.5
    degradation_usd_per_mwh: NonNegative = 8.0

    @model_validator(mode="after")
    def _soc_order(self) -> Battery:
        lo, hi, init = self.soc_min_fraction, self.soc_max_fraction, self.soc_initial_fraction
        if not lo <= init <= hi:
            raise ValueError(
                f"need soc_min_fraction <= soc_initial_fraction <= soc_max_fraction, "
                f"got {lo} / {init} / {hi}"
            )
        return self


class Genset(_Model):
    """Dispatchable on-site generator (e.g. gas engine)."""

    capacity_mw: NonNegative
    fuel_usd_per_mwh: NonNegative = 180.0
    emission_kg_per_mwh: NonNegative = 550.0


class Site(_Model):
    """One data center with its microgrid. Per-GPU power in kW; everything else in MW/MWh."""

    name: Annotated[str, Field(min_length=1)]
    zone: str = Field(description="grid zone id (Electricity Maps spelling, e.g. US-CAL-CISO)")
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    utc_offset_h: float | None = Field(
        default=None, description="local standard time offset; default round(longitude / 15)"
    )
    gpus: Annotated[int, Field(gt=0)]
    idle_kw_per_gpu: NonNegative = 0.2
    busy_kw_per_gpu: Positive = 0.8
    pue: PUEModel = PUEModel()
    pv_mw: NonNegative = 0.0
    wind_mw: NonNegative = 0.0
    battery: Battery | None = None
    genset: Genset | None = None
    import_cap_mw: Positive
    export_cap_mw: NonNegative = 0.0
    buy_adder_usd_per_mwh: float = 0.0
    sell_rule: Literal["wholesale", "fraction", "fixed"] = "wholesale"
    sell_fraction: Fraction = 1.0
    sell_fixed_usd_per_mwh: float = 0.0

    @model_validator(mode="after")
    def _power_order(self) -> Site:
        if self.busy_kw_per_gpu < self.idle_kw_per_gpu:
            raise ValueError(
                f"busy_kw_per_gpu ({self.busy_kw_per_gpu}) must be >= idle_kw_per_gpu "
                f"({self.idle_kw_per_gpu})"
            )
        return self

    @property
    def offset_h(self) -> float:
        """Local standard time offset from UTC, hours."""
        return round(self.longitude / 15) if self.utc_offset_h is None else self.utc_offset_h

    def tariff_usd_per_mwh(self, wholesale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The site's (buy, sell) prices, USD/MWh, from the wholesale price: buy adds the
        network adder; sell follows ``sell_rule`` (negative wholesale prices pass through
        the ``fraction`` rule unscaled)."""
        buy = wholesale + self.buy_adder_usd_per_mwh
        if self.sell_rule == "wholesale":
            sell = wholesale.copy()
        elif self.sell_rule == "fraction":
            sell = np.where(wholesale > 0, wholesale * self.sell_fraction, wholesale)
        else:
            sell = np.full(len(wholesale), self.sell_fixed_usd_per_mwh)
        return buy, sell


class Region(_Model):
    """A user region that sends inference requests."""

    name: Annotated[str, Field(min_length=1)]
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    utc_offset_h: float | None = None
    requests_per_hour: NonNegative = Field(description="mean inference volume, all classes")

    @property
    def offset_h(self) -> float:
        """Local standard time offset from UTC, hours."""
        return round(self.longitude / 15) if self.utc_offset_h is None else self.utc_offset_h


class InferenceClass(_Model):
    """An inference service class: latency SLO, GPU work per request, revenue and penalty."""

    name: Annotated[str, Field(min_length=1)]
    slo_ms: Positive
    gpu_seconds_per_request: Positive
    revenue_usd_per_request: NonNegative
    unserved_penalty_usd_per_request: NonNegative = 0.0
    share: Fraction = Field(description="share of each region's requests in this class")


class Job(_Model):
    """An explicit rigid training job: g GPUs for duration_h contiguous hours at one site.

    Hours count from the run start. The job must finish by deadline_hour
    (start + duration_h <= deadline_hour) to earn value_usd.
    """

    job_id: Annotated[int, Field(ge=0)]
    release_hour: Annotated[int, Field(ge=0)]
    gpus: Annotated[int, Field(gt=0)]
    duration_h: Annotated[int, Field(gt=0)]
    deadline_hour: int
    value_usd: NonNegative
    home_site: str | None = None

    @model_validator(mode="after")
    def _deadline(self) -> Job:
        if self.deadline_hour < self.release_hour + self.duration_h:
            raise ValueError(
                f"job {self.job_id}: deadline_hour {self.deadline_hour} < release_hour + "
                f"duration_h = {self.release_hour + self.duration_h}"
            )
        return self


class JobStream(_Model):
    """Training jobs: an explicit list and/or a seeded Poisson stream."""

    jobs: list[Job] = []
    arrivals_per_hour: NonNegative = 0.0
    gpu_choices: list[Annotated[int, Field(gt=0)]] = [64, 128, 256, 512]
    duration_h: tuple[int, int] = (2, 24)
    slack_h: tuple[int, int] = (4, 48)
    value_usd_per_gpu_hour: NonNegative = 2.0
    late_value_fraction: Fraction = 0.0

    @model_validator(mode="after")
    def _ranges(self) -> JobStream:
        for field in ("duration_h", "slack_h"):
            lo, hi = getattr(self, field)
            if lo > hi or lo < (1 if field == "duration_h" else 0):
                raise ValueError(f"{field}: need 0 < min <= max, got ({lo}, {hi})")
        ids = [j.job_id for j in self.jobs]
        if len(ids) != len(set(ids)):
            raise ValueError("jobs: job_id values must be unique")
        return self


class Economics(_Model):
    """Prices that are not traces. Carbon budget is over the whole run, tCO2."""

    carbon_price_usd_per_t: NonNegative = 0.0
    carbon_budget_t: NonNegative | None = None
    export_carbon_credit: bool = False
    shortfall_penalty_usd_per_mwh: NonNegative = 10_000.0
    currency_usd: dict[str, Positive] = {
        "USD": 1.0,
        "EUR": 1.05,
        "GBP": 1.24,
        "SGD": 0.725,
        "JPY": 0.0076,
    }


class TraceSource(_Model):
    """Where the realized hourly signals come from."""

    kind: Literal["synthetic", "files", "real-2022"] = "synthetic"
    path: str | None = None
    history_hours: Annotated[int, Field(ge=0)] = 168
    fill: Literal["refuse", "ffill", "interpolate", "seasonal"] = "refuse"
    carbon_basis: Literal["lca", "direct"] = "lca"

    @model_validator(mode="after")
    def _path(self) -> TraceSource:
        if self.kind == "files" and not self.path:
            raise ValueError("kind 'files' needs path (a folder with sites/demand/jobs tables)")
        return self


class ForecastConfig(_Model):
    """Which forecasts the policies see; see docs/forecasting.md.

    ``method`` serves every signal not in ``per_signal`` while ``correction`` is "none";
    otherwise the online corrector ``correction`` over the ``base`` forecasters serves them.
    ``horizon_h``: lead hours the corrector learns. ``step``/``bias_step``/``relaxation``: the
    Bregman steps (dimensionless; ``step`` None = the geometry's default). ``lead_buckets_h``:
    bucket edges in hours ahead. ``huber_delta``: residual clip in units of the series' scale
    (RMS day-on-day change). ``warmup_h``: hours of history the corrector may learn on before
    the run. ``record_every_h``: weight snapshots for the run folder. ``noise*``: the
    noisy-perfect forecaster's AR(1) error over lead time (sigma relative, or in units of the
    series' std for "additive"; phi the AR coefficient). ``prices_known_day_ahead``: serve
    published day-ahead prices as known values (traces/forecast_info.py).
    """

    method: str = "seasonal-naive-24"
    per_signal: dict[str, str] = {}
    horizon_h: Annotated[int, Field(gt=0)] = 24
    base: Annotated[list[str], Field(min_length=1)] = [
        "persistence", "seasonal-naive-24", "seasonal-naive-168", "seasonal-mean-24x7",
        "moving-average-24"]
    correction: Literal["none", "bregman-euclidean", "bregman-entropy"] = "none"
    step: Positive | None = None
    relaxation: Positive = 1.0
    bias: bool = False
    bias_step: Positive = 0.001
    lead_buckets_h: list[Annotated[int, Field(gt=0)]] = [1, 3, 6, 12]
    huber_delta: Positive = 1.0
    warmup_h: Annotated[int, Field(ge=0)] = 168
    record_every_h: Annotated[int, Field(gt=0)] = 1
    noise: Literal["multiplicative", "additive"] = "multiplicative"
    noise_sigma: NonNegative = 0.03
    noise_phi: Fraction = 0.95
    prices_known_day_ahead: bool = True

    @model_validator(mode="after")
    def _buckets_increase(self) -> ForecastConfig:
        edges = self.lead_buckets_h
        if edges != sorted(set(edges)):
            raise ValueError(f"lead_buckets_h must be strictly increasing, got {edges}")
        return self


class Scenario(_Model):
    """One complete study: system, users, workload, economics, traces and time span."""

    name: str
    description: str = ""
    start: datetime = datetime(2022, 6, 1, tzinfo=UTC)
    hours: Annotated[int, Field(gt=0)]
    seed: int = 0
    sites: Annotated[list[Site], Field(min_length=1)]
    regions: Annotated[list[Region], Field(min_length=1)]
    classes: Annotated[list[InferenceClass], Field(min_length=1)]
    latency_ms: dict[str, dict[str, NonNegative]] | None = Field(
        default=None, description="explicit round-trip latency [region][site]; default: geography"
    )
    jobs: JobStream = JobStream()
    economics: Economics = Economics()
    traces: TraceSource = TraceSource()
    forecast: ForecastConfig = ForecastConfig()

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.start.tzinfo is None or self.start.utcoffset().total_seconds() != 0:
            raise ValueError("start: must be a UTC timestamp (e.g. 2022-06-01T00:00:00Z)")
        if self.start.minute or self.start.second or self.start.microsecond:
            raise ValueError("start: must be an hour start")
        for what, items in (("sites", self.sites), ("regions", self.regions),
                            ("classes", self.classes)):
            names = [x.name for x in items]
            dup = {n for n in names if names.count(n) > 1}
            if dup:
                raise ValueError(f"{what}: duplicate names {sorted(dup)}")
        shares = sum(c.share for c in self.classes)
        if abs(shares - 1.0) > 1e-6:
            raise ValueError(f"classes: shares must sum to 1, got {shares:.6g}")
        site_names = {s.name for s in self.sites}
        for job in self.jobs.jobs:
            if job.home_site is not None and job.home_site not in site_names:
                raise ValueError(f"jobs: job {job.job_id} home_site '{job.home_site}' is no site")
        if self.latency_ms is not None:
            for r in self.regions:
                row = self.latency_ms.get(r.name)
                if row is None:
                    raise ValueError(f"latency_ms: missing region '{r.name}'")
                missing = site_names - row.keys()
                if missing:
                    raise ValueError(f"latency_ms.{r.name}: missing sites {sorted(missing)}")
        max_gpus = max(s.gpus for s in self.sites)
        too_big = [j.job_id for j in self.jobs.jobs if j.gpus > max_gpus]
        if too_big:
            raise ValueError(f"jobs: jobs {too_big} need more GPUs than any site has ({max_gpus})")
        if any(g > max_gpus for g in self.jobs.gpu_choices) and self.jobs.arrivals_per_hour > 0:
            raise ValueError(f"jobs.gpu_choices: a choice exceeds the largest site ({max_gpus})")
        return self

    def with_updates(self, updates: dict[str, Any]) -> Scenario:
        """Copy with fields replaced by dotted path (``sites.0.pv_mw``), re-validated."""
        data = self.model_dump(mode="python")
        for path, value in updates.items():
            _set_dotted(data, path, value)
        return parse_scenario(data, source=self.name)


def _set_dotted(data: Any, path: str, value: Any) -> None:
    keys = path.split(".")
    node = data
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise ScenarioError(f"scenario field '{path}': no list item '{key}'")
            if last:
                node[int(key)] = value
            else:
                node = node[int(key)]
        elif isinstance(node, dict):
            if key not in node:
                raise ScenarioError(f"scenario field '{path}': no field '{key}'")
            if last:
                node[key] = value
            else:
                if node[key] is None:
                    raise ScenarioError(f"scenario field '{path}': '{key}' is not set")
                node = node[key]
        else:
            raise ScenarioError(f"scenario field '{path}': '{key}' is not a table")


def _format_validation_error(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"].removeprefix("Value error, ")
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"scenario '{source}': {loc}: {msg}{more}"


def parse_scenario(data: dict[str, Any], source: str = "<dict>") -> Scenario:
    """Validate a plain mapping into a Scenario; errors become one ScenarioError line."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_validation_error(err, source)) from None


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with GridShift."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by name, or a TOML/YAML scenario file by path."""
    path = Path(name_or_path)
    if not path.exists():
        builtin = BUILTIN_DIR / f"{name_or_path}.toml"
        if not builtin.exists():
            raise ScenarioError(
                f"scenario '{name_or_path}': no such file and no built-in of that name "
                f"(built-ins: {', '.join(builtin_names())})"
            )
        path = builtin
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as err:
        raise ScenarioError(f"{path}: not valid {path.suffix[1:].upper()}: {err}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: top level must be a table of scenario fields")
    return parse_scenario(data, source=str(path))
