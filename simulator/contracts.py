"""The contract between the simulator and whatever drives it: the types they exchange.

At decision epoch t (run hour t, deciding hour [t, t+1)) the simulator hands a policy an
:class:`Observation`: the static system, the state, the jobs released so far, realized history
before t and forecasts for t onward. The policy returns a :class:`Decision`. The simulator then
executes it against the realized hour, clipping what is physically impossible and recording
every clip. A policy never sees simulator internals, and the simulator never knows which policy
runs. Forecasts come from a :class:`ForecastSource` (``traces.forecast.ForecastProvider`` is
the one the project builds); the simulator knows only this protocol.

These types live in the bottom layer so that the engine, the policies and the optimizers all
import them downwards (see the "Layers" section of the README).

Sign conventions: battery setpoint + charge / - discharge (MW); genset output >= 0 MW; routing
fractions a[r, k, s] of the region's actual arrivals, sum over s <= 1 (the rest is dropped).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from simulator.system import SystemModel


@dataclass(frozen=True, slots=True)
class PendingJob:
    """A released training job not yet started. Hours count from the run start."""

    job_id: int
    release_hour: int
    gpus: int
    duration_h: int
    deadline_hour: int
    value_usd: float
    home_site: int  # site index, or -1 for none

    @property
    def latest_start(self) -> int:
        """Last start hour that still finishes by the deadline."""
        return self.deadline_hour - self.duration_h


@dataclass(frozen=True, slots=True)
class RunningJob:
    """A started job: it holds ``gpus`` GPUs at ``site`` for hours start..end-1."""

    job_id: int
    site: int
    start: int
    end: int
    gpus: int


@dataclass(frozen=True)
class JobArrivalForecast:
    """Expected training-job releases in run hours ``hours`` (t+1..t+horizon-1).

    ``arrivals_per_h`` jobs/h and ``gpu_hours_per_h`` GPU-hours of work released per hour, per
    forecast hour; the means describe the size mix of the jobs in the window (NaN if none):
    GPUs per job, duration h, slack h (deadline - release - duration), value USD.
    """

    hours: np.ndarray
    arrivals_per_h: np.ndarray
    gpu_hours_per_h: np.ndarray
    jobs_seen: int
    mean_gpus: float
    mean_duration_h: float
    mean_slack_h: float
    mean_value_usd: float


class ForecastSource(Protocol):
    """What the engine asks of a run's forecasts (hours count from the run start)."""

    def forecast(self, signal: str, t: int, horizon: int) -> np.ndarray:
        """Forecast of ``signal`` for run hours t..t+horizon-1 from history before t."""

    def quantile(self, signal: str, t: int, horizon: int, level: float) -> np.ndarray:
        """The ``level`` quantile (0..1) of ``signal`` for run hours t..t+horizon-1."""

    def job_arrivals(self, t: int, horizon: int) -> JobArrivalForecast:
        """Expected training-job releases in run hours t+1..t+horizon-1 (jobs up to t only)."""

    def artifacts(self) -> dict[str, pd.DataFrame]:
        """Tables about the forecasts served, for the run's ``RunResult.extras``."""


@dataclass(frozen=True)
class Observation:
    """What a policy may know at epoch t: no realized value at or after t."""

    t: int
    timestamp: pd.Timestamp
    hours_total: int
    system: SystemModel
    soc_mwh: np.ndarray
    gpus_training: np.ndarray
    running: tuple[RunningJob, ...]
    pending: tuple[PendingJob, ...]
    carbon_used_t: float
    _history: Callable[[str], np.ndarray] = field(repr=False)
    _forecast: Callable[[str, int], np.ndarray] = field(repr=False)
    _expected_jobs: Callable[[int], tuple[PendingJob, ...]] = field(repr=False,
                                                                     default=lambda h: ())
    _job_arrivals: Callable[[int], JobArrivalForecast] | None = field(repr=False, default=None)
    _forecast_quantile: Callable[[str, float, int], np.ndarray] | None = field(repr=False,
                                                                               default=None)

    @property
    def gpus_free(self) -> np.ndarray:
        """GPUs not held by training jobs this hour, per site."""
        return self.system.gpus - self.gpus_training

    @property
    def hours_left(self) -> int:
        """Run hours from t to the end, t included."""
        return self.hours_total - self.t

    def history(self, signal: str) -> np.ndarray:
        """Realized values of ``signal`` for hours before t (history block included)."""
        return self._history(signal)

    def forecast(self, signal: str, horizon: int = 1) -> np.ndarray:
        """Forecast of ``signal`` for hours t..t+horizon-1 (cut at the end of the traces)."""
        return self._forecast(signal, horizon)

    def forecast_quantile(self, signal: str, level: float, horizon: int = 1) -> np.ndarray:
        """Quantile ``level`` (0.1, 0.2, ..., 0.9) of ``signal`` for hours t..t+horizon-1;
        published day-ahead prices are exact (docs/forecasting.md, "Quantiles")."""
        if self._forecast_quantile is None:
            raise RuntimeError("this observation carries no quantile forecasts")
        return self._forecast_quantile(signal, level, horizon)

    def expected_jobs(self, horizon: int) -> tuple[PendingJob, ...]:
        """Jobs expected to be released in hours t+1..t+horizon-1.

        Only a run with perfect foresight (the oracle) knows them; otherwise this is empty.
        """
        return self._expected_jobs(horizon)

    def job_arrivals(self, horizon: int) -> JobArrivalForecast:
        """Forecast of training-job releases in hours t+1..t+horizon-1 (rate and size mix),
        from the jobs released up to t only."""
        if self._job_arrivals is None:
            raise RuntimeError("this observation carries no job-arrival forecast")
        return self._job_arrivals(horizon)


@dataclass
class Decision:
    """A policy's choice for one hour. ``None`` fields mean: no routing of the policy's own
    (the simulator's default split, :func:`simulator.hour.default_split`, routes every request)
    / battery idle / genset off."""

    starts: Sequence[tuple[int, int]] = ()
    routing: np.ndarray | None = None
    battery_mw: np.ndarray | None = None
    genset_mw: np.ndarray | None = None
    diagnostics: Mapping[str, float | int | str] = field(default_factory=dict)


@runtime_checkable
class Policy(Protocol):
    """Anything with a name, ``reset`` and ``decide`` is a policy."""

    name: str

    def reset(self, system: SystemModel, hours_total: int) -> None:
        """Forget all state before a new run."""

    def decide(self, observation: Observation) -> Decision:
        """Choose job starts, routing and dispatch for hour ``observation.t``."""
