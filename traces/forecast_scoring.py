"""Scoring of forecasts: running error sums per method, lead and series, and metrics from them.

:class:`ErrorAccumulator` sums absolute, squared and signed errors (signal units) of forecasts
scored when their truth is revealed; :func:`error_metrics` turns the sums into MAE, RMSE, WAPE,
bias and MAPE per group. A ``mask`` leaves out forecasts that are not forecasts (e.g. prices
already published when the forecast was issued, see :mod:`traces.forecast_info`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from traces.correction import ScoreEvent

ERROR_FIELDS: tuple[str, ...] = (
    "n", "sum_abs_err", "sum_sq_err", "sum_err", "sum_abs_truth", "sum_ape", "n_ape",
)


@dataclass
class ErrorAccumulator:
    """Running error sums per (method, lead, series) in the signal's units.

    ``add_event`` takes a corrector's :class:`ScoreEvent` (methods = its experts, then itself).
    """

    methods: tuple[str, ...]
    horizon_h: int
    n_series: int
    sums: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.sums = np.zeros((len(ERROR_FIELDS), len(self.methods), self.horizon_h,
                              self.n_series))

    def add(self, leads: np.ndarray, forecasts: np.ndarray, truth: np.ndarray,
            mask: np.ndarray | None = None) -> None:
        """Score forecasts [L, M, K] (K = methods) at consecutive leads [L] against truth [M];
        ``mask`` [L, M] (True = score) leaves the others out."""
        err = np.moveaxis(forecasts, -1, 0) - truth  # [K, L, M]
        abs_err = np.abs(err)
        abs_truth = np.broadcast_to(np.abs(truth), err.shape)
        nonzero = abs_truth > 0
        ape = abs_err / np.where(nonzero, abs_truth, np.inf)
        parts = np.stack((np.ones_like(err), abs_err, err * err, err, abs_truth, ape, nonzero))
        if mask is not None:
            parts = parts * mask
        self.sums[:, :, leads[0] : leads[0] + len(leads)] += parts

    def add_event(self, event: ScoreEvent) -> None:
        """Score a corrector's event: its base forecasts and its served forecast."""
        self.add(event.leads, np.concatenate([event.base, event.issued[..., None]], axis=-1),
                 event.truth)

    def frame(self, series: Sequence[str]) -> pd.DataFrame:
        """Long table: method, lead_h (hours ahead), series and the sums of ERROR_FIELDS."""
        k, h, m = self.sums.shape[1:]
        idx = pd.MultiIndex.from_product(
            [list(self.methods), np.arange(1, h + 1), list(series)],
            names=["method", "lead_h", "series"])
        data = {name: self.sums[i].reshape(-1) for i, name in enumerate(ERROR_FIELDS)}
        return pd.DataFrame(data, index=idx).reset_index()


def error_metrics(sums: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """MAE, RMSE, WAPE, mean error (bias) and MAPE per group of an ErrorAccumulator frame.

    MAE/RMSE/bias in the signal's units; WAPE = sum|e| / sum|y|; MAPE = mean |e|/|y| over
    nonzero truths (only meaningful where values are far from zero).
    """
    g = sums.groupby(list(by), sort=False)[list(ERROR_FIELDS)].sum()
    n = g["n"].where(g["n"] > 0)
    out = pd.DataFrame({
        "n": g["n"].astype(int),
        "mae": g["sum_abs_err"] / n,
        "rmse": np.sqrt(g["sum_sq_err"] / n),
        "wape": g["sum_abs_err"] / g["sum_abs_truth"].where(g["sum_abs_truth"] > 0),
        "bias": g["sum_err"] / n,
        "mape": g["sum_ape"] / g["n_ape"].where(g["n_ape"] > 0),
    })
    return out.reset_index()
