"""Online correction in the projection form: relaxed Bregman projections onto hyperslabs.

Like :class:`~traces.correction.OnlineCorrector` (same buckets, delayed feedback, warm-up and
scoring), but each revealed row defines, per lead bucket and series, the hyperslab of
combination weights consistent with it, ``{w : |<w, f> - y| <= eps}`` with f the bucket's mean
base forecasts and y the truth, both in units of the series' scale sigma; the weights take a
relaxed Bregman projection onto it (:mod:`optimizers.bregman_projection`): Euclidean on the
affine plane ``sum w = 1`` or entropic on the simplex. ``relaxation`` is either a fixed lambda
(``fraction=None``) or, with ``fraction`` mu in (0, 1], ``mu x lambda_max`` of each projection
(the largest Fejer-monotone value: 2 for Euclidean, computed per projection for entropic).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optimizers.bregman_projection import lambda_max, project_slab
from traces.correction import CorrectionSettings, OnlineCorrector
from traces.forecasters import Forecaster

PROJECTION_GEOMETRIES: dict[str, str] = {
    "projection-euclidean": "euclidean", "projection-entropy": "entropic"}


class ProjectionCorrector(OnlineCorrector):
    """Ensemble weights learned by relaxed Bregman projections onto hyperslabs (module doc)."""

    def __init__(self, kind: str, bases: Sequence[Forecaster], settings: CorrectionSettings,
                 horizon_h: int = 24, eps: float = 0.25, relaxation: float = 1.0,
                 fraction: float | None = None) -> None:
        if kind not in PROJECTION_GEOMETRIES:
            raise ValueError(f"unknown projection corrector '{kind}' "
                             f"(known: {', '.join(PROJECTION_GEOMETRIES)})")
        mirror = "bregman-euclidean" if kind == "projection-euclidean" else "bregman-entropy"
        super().__init__(mirror, bases, settings, horizon_h)
        self.name = kind
        self.geometry = PROJECTION_GEOMETRIES[kind]
        if not eps > 0 or not relaxation > 0 or (fraction is not None and not 0 < fraction <= 1):
            raise ValueError("projection corrector needs eps > 0, relaxation > 0 and "
                             "0 < fraction <= 1")
        self.eps, self.lam, self.fraction = eps, relaxation, fraction
        self.lambda_used: list[float] = []

    def _learn(self, n_leads: int, base: np.ndarray, truth: np.ndarray) -> None:
        present, first, count = self._bucket_runs(n_leads)
        f = np.add.reduceat(base, first, axis=0) / count[:, None, None] / self._scale[:, None]
        y = np.broadcast_to(truth / self._scale, f.shape[:2])
        eps = np.full(f.shape[:2], self.eps)
        x = self._w[present]
        lam: float | np.ndarray = self.lam
        if self.fraction is not None:
            lam_max = lambda_max(self.geometry, x, f, y, eps)
            lam = np.where(np.isfinite(lam_max), self.fraction * lam_max, 1.0)
            self.lambda_used.append(float(np.mean(lam)))
        self._n[present] += 1
        self._w[present] = project_slab(self.geometry, x, f, y, eps, lam)
