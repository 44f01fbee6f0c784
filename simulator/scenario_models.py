"""The parts of a scenario: sites with their microgrids, user regions, inference classes, jobs,
economics, trace source and forecasts (typed, validated pydantic models).

Units: power MW (per-GPU power in kW, as datasheets give it), energy MWh, money USD,
latency ms, carbon intensity gCO2/kWh (= kg/MWh), emissions tCO2, time in UTC hours.
Numbers must be finite and must be numbers (``true`` or ``"5"`` are refused, not converted);
switches must be ``true``/``false``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, model_validator


def _plain_number(value: Any) -> Any:
    """Refuse booleans and text where a number belongs (pydantic would convert them)."""
    if isinstance(value, bool | str):
        raise ValueError(f"expected a number, got {value!r}")
    return value


Number = Annotated[float, BeforeValidator(_plain_number)]
Whole = Annotated[int, BeforeValidator(_plain_number)]
Positive = Annotated[Number, Field(gt=0)]
NonNegative = Annotated[Number, Field(ge=0)]
Fraction = Annotated[Number, Field(ge=0, le=1)]
Efficiency = Annotated[Number, Field(gt=0, le=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class PUEModel(_Model):
    """Linear cooling model: PUE = min(max, base + slope_per_c * max(0, T_out - threshold_c))."""

    base: Annotated[Number, Field(ge=1.0)] = 1.15
    threshold_c: Number = 18.0
    slope_per_c: NonNegative = 0.012
    max: Annotated[Number, Field(ge=1.0)] = 1.6

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
    latitude: Annotated[Number, Field(ge=-90, le=90)]
    longitude: Annotated[Number, Field(ge=-180, le=180)]
    utc_offset_h: Annotated[Number, Field(ge=-12, le=14)] | None = Field(
        default=None, description="local standard time offset; default round(longitude / 15)"
    )
    gpus: Annotated[Whole, Field(gt=0)]
    idle_kw_per_gpu: NonNegative = 0.2
    busy_kw_per_gpu: Positive = 0.8
    pue: PUEModel = PUEModel()
    pv_mw: NonNegative = 0.0
    wind_mw: NonNegative = 0.0
    battery: Battery | None = None
    genset: Genset | None = None
    import_cap_mw: Positive
    export_cap_mw: NonNegative = 0.0
    buy_adder_usd_per_mwh: Number = 0.0
    sell_rule: Literal["wholesale", "fraction", "fixed"] = "wholesale"
    sell_fraction: Fraction = 1.0
    sell_fixed_usd_per_mwh: Number = 0.0

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


class Region(_Model):
    """A user region that sends inference requests."""

    name: Annotated[str, Field(min_length=1)]
    latitude: Annotated[Number, Field(ge=-90, le=90)]
    longitude: Annotated[Number, Field(ge=-180, le=180)]
    utc_offset_h: Annotated[Number, Field(ge=-12, le=14)] | None = None
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

    job_id: Annotated[Whole, Field(ge=0)]
    release_hour: Annotated[Whole, Field(ge=0)]
    gpus: Annotated[Whole, Field(gt=0)]
    duration_h: Annotated[Whole, Field(gt=0)]
    deadline_hour: Whole
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
    gpu_choices: list[Annotated[Whole, Field(gt=0)]] = [64, 128, 256, 512]
    duration_h: tuple[Whole, Whole] = (2, 24)
    slack_h: tuple[Whole, Whole] = (4, 48)
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
    """Prices that are not traces. Carbon budget: whole run, tCO2 (overshoot: docs/scenarios)."""

    carbon_price_usd_per_t: NonNegative = 0.0
    carbon_budget_t: NonNegative | None = None
    carbon_budget_penalty_usd_per_t: NonNegative = 100_000.0
    export_carbon_credit: StrictBool = False
    shortfall_penalty_usd_per_mwh: NonNegative = 10_000.0
    currency_usd: dict[str, Positive] = {}  # USD per unit, merged over traces.currency


class TraceSource(_Model):
    """Where the realized hourly signals come from."""

    kind: Literal["synthetic", "files", "real", "real-2022"] = "synthetic"
    path: str | None = None
    history_hours: Annotated[Whole, Field(ge=0, le=87_600)] = 168
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

    prices_known_day_ahead: StrictBool = True

    method: str = "seasonal-naive-24"
    per_signal: dict[str, str] = {}
    horizon_h: Annotated[Whole, Field(gt=0)] = 24
    base: Annotated[list[str], Field(min_length=1)] = [
        "persistence", "seasonal-naive-24", "seasonal-naive-168", "seasonal-mean-24x7",
        "moving-average-24"]
    correction: Literal["none", "bregman-euclidean", "bregman-entropy"] = "none"
    step: Positive | None = None
    relaxation: Positive = 1.0
    bias: StrictBool = False
    bias_step: Positive = 0.001
    lead_buckets_h: list[Annotated[Whole, Field(gt=0)]] = [1, 3, 6, 12]
    huber_delta: Positive = 1.0
    warmup_h: Annotated[Whole, Field(ge=0)] = 168
    record_every_h: Annotated[Whole, Field(gt=0)] = 1
    noise: Literal["multiplicative", "additive"] = "multiplicative"
    noise_sigma: NonNegative = 0.03
    noise_phi: Fraction = 0.95

    @model_validator(mode="after")
    def _buckets_increase(self) -> ForecastConfig:
        edges = self.lead_buckets_h
        if edges != sorted(set(edges)):
            raise ValueError(f"lead_buckets_h must be strictly increasing, got {edges}")
        return self
