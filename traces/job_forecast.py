"""Expected arrivals of training jobs from the jobs released so far (no foresight).

At run hour t a :class:`JobArrivalForecaster` sees only jobs with ``release_hour <= t`` and
forecasts hours t+1..t+horizon-1 (the hours :meth:`simulator.contracts.Observation.expected_jobs`
covers for the oracle) with the historical arrival rate and size mix of the last
``window_h`` hours: a flat rate, since a release stream has no reliable daily shape at a few
jobs per hour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.contracts import JobArrivalForecast


class JobArrivalForecaster:
    """Historical arrival rate and size mix over the last ``window_h`` hours (window ending t)."""

    name = "historical-rate"

    def __init__(self, window_h: int = 168) -> None:
        if window_h < 1:
            raise ValueError(f"window_h must be >= 1, got {window_h}")
        self.window_h = window_h

    def issue(self, released: pd.DataFrame, t: int, horizon: int) -> JobArrivalForecast:
        """Forecast from ``released`` (jobs table, release_hour <= t only) for hours after t."""
        if len(released) and int(released["release_hour"].max()) > t:
            raise ValueError(f"job arrival forecast at hour {t} was given jobs released later")
        observed_h = min(self.window_h, t + 1)
        recent = released[released["release_hour"] > t - observed_h]
        hours = np.arange(t + 1, t + max(horizon, 1))
        rate = len(recent) / observed_h
        gpu_h = float((recent["gpus"] * recent["duration_h"]).sum()) / observed_h
        slack = recent["deadline_hour"] - recent["release_hour"] - recent["duration_h"]

        def mean(values: pd.Series) -> float:
            return float(values.mean()) if len(values) else float("nan")

        return JobArrivalForecast(
            hours=hours,
            arrivals_per_h=np.full(len(hours), rate),
            gpu_hours_per_h=np.full(len(hours), gpu_h),
            jobs_seen=len(recent),
            mean_gpus=mean(recent["gpus"]),
            mean_duration_h=mean(recent["duration_h"]),
            mean_slack_h=mean(slack),
            mean_value_usd=mean(recent["value_usd"]),
        )
