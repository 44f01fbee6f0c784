"""Forecasts for policies: the forecaster registry and the per-run :class:`ForecastProvider`.

At run hour t a forecaster issues values for hours t..t+H-1 from history before t (see
:mod:`traces.forecasters` for the base forecasters and :mod:`traces.correction` for the online
Bregman corrector that learns an ensemble of them). Every name in :data:`FORECASTERS` can serve
any signal; the provider serves ``obs.forecast(signal, horizon)`` during a run. Only
forecasters that declare ``needs_truth`` are handed the realized series, explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulator.contracts import JobArrivalForecast
from simulator.errors import ScenarioError
from simulator.traceset import SIGNALS, TraceSet
from traces.correction import MIRROR_MAPS, CorrectionSettings, OnlineCorrector
from traces.forecast_info import PRICE_SIGNALS, ExogenousInputs, known_through
from traces.forecast_quantiles import QUANTILE_LEVELS, QuantileForecaster
from traces.forecast_regression import RidgeARForecaster, RidgeARXForecaster
from traces.forecast_scoring import ErrorAccumulator, error_metrics
from traces.forecasters import (
    Forecaster,
    MovingAverageForecaster,
    NoiseModel,
    NoisyPerfectForecaster,
    PerfectForecaster,
    PersistenceForecaster,
    SeasonalMeanForecaster,
    SeasonalNaiveForecaster,
)
from traces.job_forecast import JobArrivalForecaster

if TYPE_CHECKING:
    from simulator.scenario import ForecastConfig, Scenario

__all__ = [
    "CORRECTIONS",
    "FORECASTERS",
    "BuildContext",
    "ForecastProvider",
    "ForecastSettings",
    "Forecaster",
    "MovingAverageForecaster",
    "NoiseModel",
    "NoisyPerfectForecaster",
    "PerfectForecaster",
    "PersistenceForecaster",
    "QUANTILE_LEVELS",
    "QuantileForecaster",
    "RidgeARForecaster",
    "RidgeARXForecaster",
    "SeasonalMeanForecaster",
    "SeasonalNaiveForecaster",
    "exogenous_inputs",
    "make_forecaster",
    "methods_from_config",
    "scenario_forecasts",
    "settings_from_config",
]

CORRECTIONS: tuple[str, ...] = tuple(MIRROR_MAPS)
"""Forecaster names that are online correctors over ``settings.correction.base``."""


@dataclass(frozen=True)
class ForecastSettings:
    """Parameters shared by the forecasters of one run: the corrector's learning horizon (h),
    the noisy-perfect error model, the corrector's settings and the information set: with
    ``prices_known_day_ahead`` the published day-ahead prices of the sites' ``zones`` (None:
    the traces' ``notes["zones"]``) are served as known values (:mod:`traces.forecast_info`)."""

    horizon_h: int = 24
    noise: NoiseModel = field(default_factory=NoiseModel)
    correction: CorrectionSettings = field(default_factory=CorrectionSettings)
    prices_known_day_ahead: bool = True
    zones: tuple[str, ...] | None = None


@dataclass(frozen=True)
class BuildContext:
    """What a forecaster factory may use besides the truth: run seed, signal name, settings
    and the exogenous inputs gated by the information set."""

    seed: int = 0
    signal: str = ""
    settings: ForecastSettings = field(default_factory=ForecastSettings)
    inputs: ExogenousInputs = field(default_factory=ExogenousInputs)


ForecasterFactory = Callable[[np.ndarray, BuildContext], Forecaster]


def _corrector(kind: str) -> ForecasterFactory:
    def build(truth: np.ndarray, ctx: BuildContext) -> Forecaster:
        nested = [b for b in ctx.settings.correction.base if b in CORRECTIONS]
        if nested:
            raise ValueError(f"correction base forecasters cannot be correctors: {nested}")
        bases = [make_forecaster(b, truth, ctx.seed, signal=ctx.signal, settings=ctx.settings,
                                 inputs=ctx.inputs) for b in ctx.settings.correction.base]
        return OnlineCorrector(kind, bases, ctx.settings.correction, ctx.settings.horizon_h)

    return build


FORECASTERS: dict[str, ForecasterFactory] = {
    "perfect": lambda truth, ctx: PerfectForecaster(truth),
    "noisy-perfect": lambda truth, ctx: NoisyPerfectForecaster(truth, ctx.settings.noise,
                                                               ctx.seed, ctx.signal),
    "persistence": lambda truth, ctx: PersistenceForecaster(),
    "seasonal-naive-24": lambda truth, ctx: SeasonalNaiveForecaster(24),
    "seasonal-naive-168": lambda truth, ctx: SeasonalNaiveForecaster(168),
    "seasonal-mean-24x7": lambda truth, ctx: SeasonalMeanForecaster(24, 7),
    "moving-average-24": lambda truth, ctx: MovingAverageForecaster(24),
    "moving-average-168": lambda truth, ctx: MovingAverageForecaster(168),
    "ridge-ar": lambda truth, ctx: RidgeARForecaster(ctx.settings.horizon_h),
    "ridge-arx": lambda truth, ctx: RidgeARXForecaster(ctx.inputs, ctx.settings.horizon_h),
    **{kind: _corrector(kind) for kind in CORRECTIONS},
}


def make_forecaster(name: str, truth: np.ndarray, seed: int = 0, *, signal: str = "",
                    settings: ForecastSettings | None = None,
                    inputs: ExogenousInputs | None = None) -> Forecaster:
    """Build a registered forecaster; ``truth`` reaches only those that declare needs_truth,
    ``inputs`` (published prices, calendar) only those that read them (``ridge-arx``)."""
    try:
        factory = FORECASTERS[name]
    except KeyError:
        raise ValueError(
            f"unknown forecaster '{name}' (known: {', '.join(sorted(FORECASTERS))})"
        ) from None
    return factory(truth, BuildContext(seed, signal, settings or ForecastSettings(),
                                       inputs or ExogenousInputs()))


class ForecastProvider:
    """Serves forecasts of every signal to policies during one run, cached per hour.

    ``methods`` maps signal name (or ``*`` for every other signal) to forecaster name; signals
    not named and without ``*`` get ``seasonal-naive-24``. Hour t of the run is trace row
    ``traces.history_hours + t``; the horizon is cut at the end of the traces. Each forecaster
    gets a fresh read-only copy of the last ``history_h`` rows before t (no array it receives
    reaches t or later).
    """

    def __init__(self, traces: TraceSet, methods: dict[str, str], seed: int = 0,
                 settings: ForecastSettings | None = None) -> None:
        unknown = set(methods) - set(SIGNALS) - {"*"}
        if unknown:
            raise ValueError(f"forecast for unknown signals {sorted(unknown)} "
                             f"(known: {', '.join(SIGNALS)})")
        self._traces = traces
        self._seed = seed
        self._settings = settings or ForecastSettings()
        self._known = _known_rows(traces, self._settings)
        self._inputs = exogenous_inputs(traces, self._known)
        self._forecasters = {
            sig: make_forecaster(methods.get(sig, methods.get("*", "seasonal-naive-24")),
                                 traces.signal(sig), seed, signal=sig, settings=self._settings,
                                 inputs=self._inputs)
            for sig in SIGNALS
        }
        self._errors: dict[str, ErrorAccumulator] = {}
        for sig, forecaster in self._forecasters.items():
            if isinstance(forecaster, OnlineCorrector):
                acc = ErrorAccumulator((*forecaster.experts, forecaster.name),
                                       forecaster.horizon_h, len(self.series(sig)))
                forecaster.observers.append(acc.add_event)
                self._errors[sig] = acc
        self._quantiles: dict[str, QuantileForecaster] = {}
        self._jobs = JobArrivalForecaster()
        self._cache: dict[tuple[str, int, int], np.ndarray] = {}
        self._history: dict[str, np.ndarray] = {}
        self._cache_hour = -1

    def forecaster(self, signal: str) -> Forecaster:
        """The forecaster serving ``signal``."""
        return self._forecasters[signal]

    def series(self, signal: str) -> tuple[str, ...]:
        """Names of the series of ``signal``: sites, or ``region/class`` for demand."""
        if signal == "demand":
            return tuple(f"{r}/{k}" for r in self._traces.regions for k in self._traces.classes)
        return self._traces.sites

    def forecast(self, signal: str, t: int, horizon: int) -> np.ndarray:
        """Forecast of ``signal`` for run hours t..t+horizon-1 (shorter at the trace end)."""
        if t != self._cache_hour:
            self._cache.clear()
            self._history.clear()
            self._cache_hour = t
        key = (signal, t, horizon)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        row = self._traces.history_hours + t
        horizon = max(0, min(horizon, len(self._traces.index) - row))
        forecaster = self._forecasters[signal]
        history = self._history.get(signal)
        if history is None:  # a copy: a view would carry the whole series in its .base
            history = self._traces.signal(signal)[max(0, row - forecaster.history_h):row].copy()
            history.setflags(write=False)
            self._history[signal] = history
        out = self._published(signal, row, forecaster.issue(history, row, horizon))
        out.setflags(write=False)
        self._cache[key] = out
        return out

    def known_through(self, signal: str, t: int) -> np.ndarray:
        """Last run hour whose value of ``signal`` is known at run hour t, per series: t - 1,
        or later for published day-ahead prices."""
        row = self._traces.history_hours + t
        if signal not in PRICE_SIGNALS:
            return np.full(len(self.series(signal)), t - 1)
        return self._known[row] - self._traces.history_hours

    def _published(self, signal: str, row: int, out: np.ndarray) -> np.ndarray:
        """``out`` with the leads already published (day-ahead prices) set to their values."""
        if signal not in PRICE_SIGNALS or not len(out):
            return out
        last = self._known[row]
        if (last < row).all():
            return out
        truth = self._traces.signal(signal)
        leads = np.arange(len(out))
        known = leads[:, None] <= (last - row)[None, :]
        return np.where(known, truth[np.minimum(row + leads, len(truth) - 1)],
                        np.asarray(out, dtype=float))

    def quantile(self, signal: str, t: int, horizon: int, level: float) -> np.ndarray:
        """Forecast quantile ``level`` (one of :data:`QUANTILE_LEVELS`) of ``signal`` for run
        hours t..t+horizon-1: the signal's point forecast plus an online-learned offset
        (:class:`~traces.forecast_quantiles.QuantileForecaster`, scaled conformal calibration
        of its residuals); published prices are exact."""
        wrapper = self._quantiles.get(signal)
        if wrapper is None:
            inner = make_forecaster(self._forecasters[signal].name, self._traces.signal(signal),
                                    self._seed, signal=signal, settings=self._settings,
                                    inputs=self._inputs)
            wrapper = QuantileForecaster(inner, self._settings.horizon_h, known=(
                self._known if signal in PRICE_SIGNALS else None))
            self._quantiles[signal] = wrapper
        row = self._traces.history_hours + t
        horizon = max(0, min(horizon, len(self._traces.index) - row))
        history = self._traces.signal(signal)[max(0, row - wrapper.history_h):row].copy()
        history.setflags(write=False)
        out = self._published(signal, row, wrapper.quantile(history, row, horizon, level))
        out.setflags(write=False)
        return out

    def job_arrivals(self, t: int, horizon: int) -> JobArrivalForecast:
        """Expected training-job releases in run hours t+1..t+horizon-1 from jobs released by t."""
        jobs = self._traces.jobs
        return self._jobs.issue(jobs[jobs["release_hour"] <= t], t, horizon)

    def artifacts(self) -> dict[str, pd.DataFrame]:
        """Tables for the run folder about the online correctors that served forecasts.

        ``forecast_weights``: weights (``w_<expert>``) and bias (signal units) per run hour,
        signal, series and lead bucket; ``forecast_state``: the final state with update counts
        and scales; ``forecast_errors``: MAE, RMSE, WAPE, bias of each base forecaster and the
        corrected forecast during the run, per signal, series and lead bucket.
        """
        used = {sig: f for sig, f in self._forecasters.items()
                if isinstance(f, OnlineCorrector) and f.started}
        if not used:
            return {}
        weights, state, errors = [], [], []
        hist = self._traces.history_hours
        for sig, corr in used.items():
            series = self.series(sig)
            rows, w, bias = corr.history()
            weights.append(_cell_table(corr, sig, series, w, bias, hours=rows - hist))
            cell = _cell_table(corr, sig, series, corr.weights[None], corr.bias[None])
            cell.insert(4, "updates", np.repeat(corr.updates, len(series)))
            cell.insert(5, "scale", np.tile(corr.scale, len(corr.bucket_labels)))
            cell.insert(3, "correction", corr.name)
            state.append(cell)
            sums = self._errors[sig].frame(series)
            sums["bucket"] = np.asarray(corr.bucket_labels)[corr.bucket_of(sums["lead_h"])]
            table = error_metrics(sums, ["series", "bucket", "method"])
            table.insert(0, "signal", sig)
            errors.append(table.drop(columns="mape"))
        return {
            "forecast_weights": pd.concat(weights, ignore_index=True),
            "forecast_state": pd.concat(state, ignore_index=True).drop(columns="hour"),
            "forecast_errors": pd.concat(errors, ignore_index=True),
        }


def _known_rows(traces: TraceSet, settings: ForecastSettings) -> np.ndarray:
    """Last known price row [rows, sites] at each row (see :func:`known_through`)."""
    zones = settings.zones
    if zones is None:
        by_site = traces.notes.get("zones", {})
        zones = tuple(by_site.get(s) if isinstance(by_site, dict) else None
                      for s in traces.sites)
    if len(zones) != len(traces.sites):
        raise ValueError(f"forecast zones: expected one per site ({len(traces.sites)}), "
                         f"got {len(zones)}")
    return known_through(traces.index, zones, settings.prices_known_day_ahead)


def exogenous_inputs(traces: TraceSet, known: np.ndarray) -> ExogenousInputs:
    """The calendar and the sites' buy prices of ``traces``, gated by the last known price rows
    ``known`` [rows, sites] (:func:`~traces.forecast_info.known_through`)."""
    hour0 = int(traces.index[0].hour) if len(traces.index) else 0  # the index is UTC
    return ExogenousInputs(hour0, traces.signal("buy_price"), known)


def _cell_table(corr: OnlineCorrector, signal: str, series: tuple[str, ...], w: np.ndarray,
                bias: np.ndarray, hours: np.ndarray | None = None) -> pd.DataFrame:
    """Long-by-cell table of weights [T, B, M, E] and bias [T, B, M] (one row per T, B, M)."""
    t, b, m = bias.shape
    table = pd.DataFrame({
        "hour": np.repeat(np.arange(t) if hours is None else hours, b * m),
        "signal": signal,
        "series": np.tile(np.asarray(series, dtype=object), t * b),
        "bucket": np.tile(np.repeat(np.asarray(corr.bucket_labels, dtype=object), m), t),
        "bias": bias.reshape(-1),
    })
    for e, expert in enumerate(corr.experts):
        table[f"w_{expert}"] = w[..., e].reshape(-1)
    return table


def methods_from_config(method: str, per_signal: dict[str, str],
                        correction: str = "none") -> dict[str, str]:
    """Expand a default method and per-signal overrides into a full signal -> method map.

    With a ``correction`` other than ``"none"``, every signal not in ``per_signal`` is served by
    that online corrector (over the configured base forecasters) instead of ``method``.
    """
    unknown = set(per_signal) - set(SIGNALS)
    if unknown:
        raise ValueError(f"forecast.per_signal: unknown signals {sorted(unknown)}")
    if correction != "none" and correction not in CORRECTIONS:
        raise ValueError(f"unknown correction '{correction}' (known: none, "
                         f"{', '.join(CORRECTIONS)})")
    default = method if correction == "none" else correction
    return {sig: per_signal.get(sig, default) for sig in SIGNALS}


def settings_from_config(config: ForecastConfig,
                         zones: Sequence[str] | None = None) -> ForecastSettings:
    """ForecastSettings from a scenario's ``forecast`` table and its sites' ``zones``."""
    correction = CorrectionSettings(
        base=tuple(config.base),
        step=config.step,
        relaxation=config.relaxation,
        bias=config.bias,
        bias_step=config.bias_step,
        lead_buckets_h=tuple(config.lead_buckets_h),
        huber_delta=config.huber_delta,
        warmup_h=config.warmup_h,
        record_every_h=config.record_every_h,
    )
    noise = NoiseModel(config.noise, config.noise_sigma, config.noise_phi)
    return ForecastSettings(horizon_h=config.horizon_h, noise=noise, correction=correction,
                            prices_known_day_ahead=config.prices_known_day_ahead,
                            zones=None if zones is None else tuple(zones))


def scenario_forecasts(scenario: Scenario, traces: TraceSet,
                       foresight: bool = False) -> tuple[ForecastProvider, dict[str, str]]:
    """The scenario's forecasts over ``traces`` (the truth for a perfect-foresight run) and
    the method per signal; a bad ``forecast`` table raises ScenarioError naming the scenario."""
    try:
        methods = {"*": "perfect"} if foresight else methods_from_config(
            scenario.forecast.method, scenario.forecast.per_signal, scenario.forecast.correction)
        settings = settings_from_config(scenario.forecast, [s.zone for s in scenario.sites])
        return ForecastProvider(traces, methods, seed=scenario.seed, settings=settings), methods
    except ValueError as err:
        raise ScenarioError(f"scenario '{scenario.name}': forecast: {err}") from None
