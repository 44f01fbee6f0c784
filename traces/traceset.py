"""TraceSet: the realized hourly signals of one run, aligned on one UTC hour-start index.

Rows ``[0, history_hours)`` are history before the run start (forecasters need it); run hour t
is row ``history_hours + t``. Arrays are read-only.

Site signals, shape [rows, sites]:
    buy_price     USD/MWh the site pays for grid import (wholesale + adder)
    sell_price    USD/MWh the site earns for export (can be negative)
    carbon        gCO2/kWh of grid power (= kg/MWh)
    pv_cf         PV capacity factor, 0..1
    wind_cf       wind capacity factor, 0..1
    temperature   outdoor temperature, °C
Demand, shape [rows, regions, classes]: inference arrivals, requests per hour.
Jobs: a DataFrame with job_id, release_hour, gpus, duration_h, deadline_hour, value_usd,
home_site (hours count from the run start).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulator.errors import TraceError

SITE_SIGNALS: tuple[str, ...] = (
    "buy_price",
    "sell_price",
    "carbon",
    "pv_cf",
    "wind_cf",
    "temperature",
)
SIGNALS: tuple[str, ...] = (*SITE_SIGNALS, "demand")
SIGNAL_UNITS: dict[str, str] = {
    "buy_price": "USD/MWh",
    "sell_price": "USD/MWh",
    "carbon": "gCO2/kWh",
    "pv_cf": "fraction",
    "wind_cf": "fraction",
    "temperature": "degC",
    "demand": "requests/h",
}
JOB_COLUMNS: tuple[str, ...] = (
    "job_id",
    "release_hour",
    "gpus",
    "duration_h",
    "deadline_hour",
    "value_usd",
    "home_site",
)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=float)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class TraceSet:
    """Aligned realized signals; see the module docstring for shapes and units."""

    index: pd.DatetimeIndex
    history_hours: int
    sites: tuple[str, ...]
    regions: tuple[str, ...]
    classes: tuple[str, ...]
    site_signals: dict[str, np.ndarray]
    demand: np.ndarray
    jobs: pd.DataFrame
    notes: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.index)
        if isinstance(self.index, pd.DatetimeIndex):
            object.__setattr__(self, "index", self.index.as_unit("ns"))
        index = self.index
        if not isinstance(index, pd.DatetimeIndex) or index.tz is None or str(index.tz) != "UTC":
            raise TraceError("traces", "index must be tz-aware UTC")
        if n > 1 and not (np.diff(self.index.asi8) == 3_600_000_000_000).all():
            raise TraceError("traces", "index must be hourly and continuous")
        if not 0 <= self.history_hours < n:
            raise TraceError("traces", f"history_hours {self.history_hours} outside 0..{n - 1}")
        for name in SITE_SIGNALS:
            if name not in self.site_signals:
                raise TraceError("traces", f"missing site signal '{name}'")
            arr = self.site_signals[name]
            if arr.shape != (n, len(self.sites)):
                raise TraceError("traces", f"signal '{name}' has shape {arr.shape}, "
                                 f"expected {(n, len(self.sites))}")
            if not np.isfinite(arr).all():
                row = int(np.argwhere(~np.isfinite(arr))[0][0])
                raise TraceError("traces", "missing or non-finite value", column=name, row=row)
            self.site_signals[name] = _frozen(arr)
        expected = (n, len(self.regions), len(self.classes))
        if self.demand.shape != expected:
            raise TraceError("traces", f"demand has shape {self.demand.shape}, expected {expected}")
        if not np.isfinite(self.demand).all() or (self.demand < 0).any():
            raise TraceError("traces", "demand must be finite and >= 0", column="demand")
        object.__setattr__(self, "demand", _frozen(self.demand))
        missing = [c for c in JOB_COLUMNS if c not in self.jobs.columns]
        if missing:
            raise TraceError("jobs", f"missing columns {missing}")

    @property
    def run_hours(self) -> int:
        """Hours after the history block."""
        return len(self.index) - self.history_hours

    def signal(self, name: str) -> np.ndarray:
        """Full array (history + run) of one signal, read-only."""
        if name == "demand":
            return self.demand
        try:
            return self.site_signals[name]
        except KeyError:
            raise KeyError(f"unknown signal '{name}' (known: {', '.join(SIGNALS)})") from None

    def truncated(self, run_hours: int) -> TraceSet:
        """The same traces with the run cut to ``run_hours`` hours."""
        if not 0 < run_hours <= self.run_hours:
            raise TraceError("traces", f"cannot cut run to {run_hours} h (have {self.run_hours})")
        end = self.history_hours + run_hours
        jobs = self.jobs[self.jobs["release_hour"] < run_hours].reset_index(drop=True)
        return TraceSet(
            index=self.index[:end],
            history_hours=self.history_hours,
            sites=self.sites,
            regions=self.regions,
            classes=self.classes,
            site_signals={k: v[:end].copy() for k, v in self.site_signals.items()},
            demand=self.demand[:end].copy(),
            jobs=jobs,
            notes=dict(self.notes),
        )

    def digest(self) -> str:
        """SHA-256 of every value, for run keys and determinism checks."""
        h = hashlib.sha256()
        h.update(self.index.asi8.tobytes())
        h.update(str((self.history_hours, self.sites, self.regions, self.classes)).encode())
        for name in SITE_SIGNALS:
            h.update(self.site_signals[name].tobytes())
        h.update(self.demand.tobytes())
        h.update(pd.util.hash_pandas_object(self.jobs, index=False).values.tobytes())
        return h.hexdigest()
