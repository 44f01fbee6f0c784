"""Regret of an online corrector against the best fixed weights (and bias) in hindsight.

Per (series, lead bucket) cell, in the loss the corrector minimises (Huber of
``(y_hat - y) / sigma``), accumulated over time (:class:`RegretTracker`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizers.mirror_maps import project_simplex
from traces.correction import OnlineCorrector, ScoreEvent


def huber(r: np.ndarray, delta: float) -> np.ndarray:
    """``r^2`` for ``|r| <= delta``, ``2 delta |r| - delta^2`` beyond (``r^2`` if delta = inf)."""
    if math.isinf(delta):
        return r * r
    a = np.abs(r)
    return np.where(a <= delta, r * r, 2.0 * delta * a - delta * delta)


def best_fixed_weights(x: np.ndarray, y: np.ndarray, cell: np.ndarray, n_cells: int,
                       delta: float, bias: bool = False, iters: int = 300) -> np.ndarray:
    """Per cell, the fixed weights on the simplex (plus a free bias, if ``bias``) that minimise
    ``sum_i huber(u.x_i - y_i, delta)`` over the cell's samples.

    ``x`` [N, E], ``y`` [N], ``cell`` [N] in 0..n_cells-1. Accelerated projected gradient
    (FISTA) with step 1/L, L = 2 x the largest eigenvalue of the cell's Gram matrix on the
    simplex's tangent space (the loss's curvature is at most 2). Returns [n_cells, E (+1)].
    """
    e = x.shape[1]
    feats = np.column_stack([x, np.ones(len(x))]) if bias else x
    d = feats.shape[1]
    gram = np.zeros((n_cells, d, d))
    for i in range(d):
        for j in range(i, d):
            gram[:, i, j] = gram[:, j, i] = np.bincount(cell, feats[:, i] * feats[:, j],
                                                        n_cells)
    tangent = np.eye(d)
    tangent[:e, :e] -= 1.0 / e
    lip = 2.0 * np.linalg.eigvalsh(tangent @ gram @ tangent)[:, -1]
    lip = np.where(lip > 0, lip, 1.0)[:, None]

    def project(u: np.ndarray) -> np.ndarray:
        u = u.copy()
        u[:, :e] = project_simplex(u[:, :e])
        return u

    u = np.zeros((n_cells, d))
    u[:, :e] = 1.0 / e
    z, t = u.copy(), 1.0
    for _ in range(iters):
        psi = 2.0 * np.clip(np.einsum("nd,nd->n", feats, z[cell]) - y, -delta, delta)
        grad = np.stack([np.bincount(cell, psi * feats[:, k], n_cells) for k in range(d)], 1)
        u_next = project(z - grad / lip)
        t_next = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        z = u_next + (t - 1.0) / t_next * (u_next - u)
        u, t = u_next, t_next
    return u


class RegretTracker:
    """Regret of a corrector against the best fixed weights (and bias) in hindsight.

    Collects every scored forecast per (lead bucket, series) cell in the corrector's own
    units: features ``f / sigma``, truth ``y / sigma`` and the served forecast. The loss is the
    one the corrector minimises: Huber with its ``huber_delta`` (squared loss if infinite).
    :meth:`curve` solves for the best fixed weights of each cell over the whole period and
    accumulates ``loss(served) - loss(fixed)`` over time.
    """

    def __init__(self, corrector: OnlineCorrector) -> None:
        self._corrector = corrector
        self._parts: list[tuple[np.ndarray, ...]] = []

    def add_event(self, event: ScoreEvent) -> None:
        """Keep one revealed row's forecasts."""
        n_series = len(event.truth)
        buckets = self._corrector.bucket_of(event.leads + 1)
        self._parts.append((
            (event.base / event.scale[:, None]).reshape(-1, event.base.shape[-1]),
            np.broadcast_to(event.truth / event.scale, event.issued.shape).reshape(-1),
            (event.issued / event.scale).reshape(-1),
            (buckets[:, None] * n_series + np.arange(n_series)).reshape(-1),
            np.full(event.issued.size, event.row),
        ))

    def curve(self, every_h: int = 24, iters: int = 300) -> pd.DataFrame:
        """Cumulative forecasts scored, learner loss, fixed-weights loss and regret at every
        ``every_h``-th revealed row and the last (losses dimensionless, summed over cells)."""
        columns = ["row", "forecasts", "learner_loss", "best_fixed_loss", "regret"]
        if not self._parts:
            return pd.DataFrame(columns=columns)
        x, y, served, cell, row = (np.concatenate(v) for v in zip(*self._parts, strict=True))
        delta, bias = self._corrector.settings.huber_delta, self._corrector.settings.bias
        n_cells = int(cell.max()) + 1
        u = best_fixed_weights(x, y, cell, n_cells, delta, bias, iters)
        fixed = np.einsum("ne,ne->n", x, u[cell, : x.shape[1]])
        if bias:
            fixed = fixed + u[cell, -1]
        step = (row - row[0]) // every_h
        n = step[-1] + 1
        cum = [np.cumsum(np.bincount(step, w, n)) for w in
               (None, huber(served - y, delta), huber(fixed - y, delta))]
        ends = np.append(np.flatnonzero(np.diff(step)), len(row) - 1)
        return pd.DataFrame({"row": row[ends], "forecasts": cum[0].astype(int),
                             "learner_loss": cum[1], "best_fixed_loss": cum[2],
                             "regret": cum[1] - cum[2]})
