"""Online Bregman correction of forecasts: a learned ensemble of base forecasters plus a bias.

An :class:`OnlineCorrector` wraps E base forecasters of one signal. For every series m of the
signal (a site, or a region/class pair) and every lead bucket b it keeps ensemble weights
``w[b, m]`` on the probability simplex and a bias ``beta[b, m]``; the corrected forecast at lead
l (0-based hours after the issue hour) is

    y_hat[l, m] = sum_e w[b(l), m, e] f_e[l, m] + sigma_m beta[b(l), m]

with ``sigma_m`` the series' scale: the RMS day-on-day change over the last four weeks of
history at the first issue (the typical error of a seasonal-naive forecast; signal units), so
that steps are comparable across signals.

Delayed feedback: a forecast issued at row t for lead l targets row t + l, whose truth is first
in the history at issue row t + l + 1. So at every issue row s the corrector first scores all
pending forecasts that target row s - 1 (one per lead), updates, and only then issues for row
s. The only truth it ever reads is ``history`` (rows < s): it is no-peek by construction. If
rows are skipped between calls it catches up hour by hour (its learning does not depend on how
often a policy asks), as far as the history it is given reaches. It can warm up on up to
``warmup_h`` hours of history before the first issue row.

Update (per bucket, once per revealed row, averaged over the leads of the bucket that were
scored): with ``z = clip((y_hat - y) / sigma, -delta, delta)`` (the Huber loss
``rho(z) = z^2`` for ``|z| <= delta``, linear beyond), the gradients are
``g_w[e] = 2 z (f_e - w.f) / sigma`` and ``g_beta = 2 z``; the weights take one relaxed
stochastic Bregman step (``optimizers.bregman.relaxed_step``) with the entropic mirror map
(exponentiated gradient, ``bregman-entropy``) or the Euclidean simplex map (projected gradient,
``bregman-euclidean``); the bias takes a Euclidean step. Centering ``f_e`` at ``w.f`` changes
neither update (both simplex projections ignore shifts along the all-ones vector).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizers.bregman import ConstantStep, StepSchedule, as_schedule, relaxed_step
from optimizers.mirror_maps import EntropicSimplex, Euclidean, EuclideanSimplex, MirrorMap
from traces.forecast_online import check_issue_row, series_scale
from traces.forecasters import Forecaster

MIRROR_MAPS: dict[str, MirrorMap] = {
    "bregman-euclidean": EuclideanSimplex(),
    "bregman-entropy": EntropicSimplex(),
}
DEFAULT_STEP: dict[str, float] = {"bregman-euclidean": 0.003, "bregman-entropy": 0.03}
"""Weight step per geometry (dimensionless: gradients are in units of the series' scale)."""
DEFAULT_BASE: tuple[str, ...] = (
    "persistence", "seasonal-naive-24", "seasonal-naive-168", "seasonal-mean-24x7",
    "moving-average-24",
)
_EUCLIDEAN = Euclidean()
_SCALE_WINDOW_H = 28 * 24


@dataclass(frozen=True)
class CorrectionSettings:
    """Parameters of the online corrector (see the module docstring for the update).

    ``step`` (None = the geometry's default) and ``relaxation`` are numbers or
    :class:`~optimizers.bregman.StepSchedule` objects indexed by the bucket's update count.
    ``lead_buckets_h``: bucket edges in hours ahead; ``(1, 3, 6, 12)`` makes buckets 1 h,
    2-3 h, 4-6 h, 7-12 h and 13 h to the horizon. ``huber_delta``: residual clip in units of sigma.
    ``record_every_h``: how often the weights are snapshot for the run folder.
    """

    base: tuple[str, ...] = DEFAULT_BASE
    step: float | StepSchedule | None = None
    relaxation: float | StepSchedule = 1.0
    bias: bool = False
    bias_step: float | StepSchedule = 0.001
    lead_buckets_h: tuple[int, ...] = (1, 3, 6, 12)
    huber_delta: float = 1.0
    warmup_h: int = 168
    record_every_h: int = 1

    def __post_init__(self) -> None:
        if not self.base:
            raise ValueError("correction needs at least one base forecaster")
        if len(set(self.base)) != len(self.base):
            raise ValueError(f"base forecasters must be distinct, got {list(self.base)}")
        edges = list(self.lead_buckets_h)
        if any(e < 1 for e in edges) or edges != sorted(set(edges)):
            raise ValueError(f"lead_buckets_h must be increasing hours >= 1, got {edges}")
        if not self.huber_delta > 0:
            raise ValueError(f"huber_delta must be > 0, got {self.huber_delta!r}")
        if self.warmup_h < 0 or self.record_every_h < 1:
            raise ValueError("warmup_h must be >= 0 and record_every_h >= 1")


def lead_buckets(edges_h: Sequence[int], horizon_h: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """Bucket index of each lead 0..horizon_h-1 and the buckets' labels in hours ahead."""
    inner = [e for e in edges_h if e < horizon_h]
    ahead = np.arange(1, horizon_h + 1)
    index = np.searchsorted(np.asarray(inner, dtype=int), ahead, side="left")
    bounds = [0, *inner, horizon_h]
    labels = tuple(f"{lo + 1} h" if hi == lo + 1 else f"{lo + 1}-{hi} h"
                   for lo, hi in zip(bounds[:-1], bounds[1:], strict=True))
    return index, labels


@dataclass(frozen=True)
class ScoreEvent:
    """Forecasts scored when row ``row`` is revealed: one per lead still pending.

    ``issue_rows``/``leads`` [L]; ``base`` [L, M, E] base forecasts; ``issued`` [L, M] the
    corrected forecasts as served; ``truth`` [M]; ``scale`` [M] (signal units).
    """

    row: int
    issue_rows: np.ndarray
    leads: np.ndarray
    base: np.ndarray
    issued: np.ndarray
    truth: np.ndarray
    scale: np.ndarray


class OnlineCorrector(Forecaster):
    """Ensemble weights and bias learned online per series and lead bucket (module docstring).

    Observers in :attr:`observers` receive a :class:`ScoreEvent` for every revealed row whose
    pending forecasts were issued at or after the first issue row (warm-up is not reported).
    """

    def __init__(self, kind: str, bases: Sequence[Forecaster], settings: CorrectionSettings,
                 horizon_h: int = 24) -> None:
        if kind not in MIRROR_MAPS:
            raise ValueError(f"unknown correction '{kind}' (known: {', '.join(MIRROR_MAPS)})")
        if horizon_h < 1:
            raise ValueError(f"horizon_h must be >= 1, got {horizon_h}")
        self.name = kind
        self.bases = tuple(bases)
        self.experts = tuple(b.name for b in self.bases)
        self.needs_truth = any(b.needs_truth for b in self.bases)
        self.lookback_h = max(1, *(b.lookback_h for b in self.bases))
        self.settings = settings
        self.horizon_h = horizon_h
        self._bucket, self.bucket_labels = lead_buckets(settings.lead_buckets_h, horizon_h)
        self._map = MIRROR_MAPS[kind]
        self._step = as_schedule(DEFAULT_STEP[kind] if settings.step is None else settings.step,
                                 "step")
        self._relaxation = as_schedule(settings.relaxation, "relaxation")
        self._bias_step = as_schedule(settings.bias_step, "bias_step")
        self.observers: list[Callable[[ScoreEvent], None]] = []
        self._next_row: int | None = None
        self._records: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._runs: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    # ---- public state ------------------------------------------------------------------------
    @property
    def history_h(self) -> int:
        """History it reads: the scale window or warm-up plus look-back, and a day of slack for
        catching up after skipped hours."""
        return max(_SCALE_WINDOW_H, self.settings.warmup_h + self.lookback_h) + 24

    @property
    def started(self) -> bool:
        """True once the first forecast was issued."""
        return self._next_row is not None

    @property
    def start_row(self) -> int:
        """First issue row served (learning may have started earlier on history)."""
        self._require_started()
        return self._start_row

    @property
    def weights(self) -> np.ndarray:
        """Current ensemble weights [buckets, series, experts] (a copy)."""
        self._require_started()
        return self._w.copy()

    @property
    def bias(self) -> np.ndarray:
        """Current bias [buckets, series], signal units."""
        self._require_started()
        return self._beta * self._scale * self.settings.bias

    @property
    def scale(self) -> np.ndarray:
        """Scale sigma of each series, signal units."""
        self._require_started()
        return self._scale.copy()

    @property
    def updates(self) -> np.ndarray:
        """Number of updates made per bucket."""
        self._require_started()
        return self._n.copy()

    def bucket_of(self, lead_h: np.ndarray) -> np.ndarray:
        """Bucket index of leads in hours ahead (1, 2, ...); leads past the horizon: the last."""
        return self._bucket[np.clip(np.asarray(lead_h) - 1, 0, self.horizon_h - 1)]

    def history(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Snapshots (issue rows [T], weights [T, B, M, E], bias [T, B, M] signal units)."""
        if not self._records:
            return np.zeros(0, int), np.zeros((0, 0, 0, len(self.experts))), np.zeros((0, 0, 0))
        rows, w, b = zip(*self._records, strict=True)
        return np.array(rows), np.stack(w), np.stack(b)

    def state_dict(self) -> dict[str, Any]:
        """Plain-Python state: geometry, schedules, counters, scale, weights and bias."""
        self._require_started()
        return {
            "kind": self.name,
            "experts": list(self.experts),
            "buckets": list(self.bucket_labels),
            "mirror_map": self._map.to_dict(),
            "step": self._step.to_dict(),
            "relaxation": self._relaxation.to_dict(),
            "bias_step": self._bias_step.to_dict() if self.settings.bias else None,
            "huber_delta": self.settings.huber_delta,
            "start_row": self._start_row,
            "next_row": self._next_row,
            "updates": self._n.tolist(),
            "scale": self._scale.tolist(),
            "weights": self._w.tolist(),
            "bias": self.bias.tolist(),
        }

    # ---- forecasting -------------------------------------------------------------------------
    def issue(self, history: np.ndarray, row: int, horizon: int) -> np.ndarray:
        offset = row - len(history)  # history[i] is row offset + i
        if self._next_row is None:
            self._begin(history, row)
        else:
            check_issue_row(f"online corrector '{self.name}'", self._next_row, self.lookback_h,
                            row, offset)
        for s in range(self._next_row, row + 1):
            self._advance(history, s, offset)
        self._next_row = max(self._next_row, row + 1)
        if horizon <= self.horizon_h:  # issued by _advance with the current weights
            slot = row % self.horizon_h
            out = self._Y[slot, : min(horizon, int(self._valid[slot]))].copy()
        else:
            base, valid = self._issue_bases(history, row, horizon)
            out = self._combine(base[:valid], np.arange(valid))
        return out.reshape(len(out), *history.shape[1:])

    def _begin(self, history: np.ndarray, row: int) -> None:
        if len(history) < 1:
            raise ValueError(f"forecaster '{self.name}' needs at least 1 h of history before "
                             f"the run start; give the traces history_hours >= 1")
        flat = history.reshape(len(history), -1)
        m, e, h = flat.shape[1], len(self.bases), self.horizon_h
        self._scale = series_scale(flat[-_SCALE_WINDOW_H:])
        self._w = np.full((len(self.bucket_labels), m, e), 1.0 / e)
        self._beta = np.zeros((len(self.bucket_labels), m))
        self._n = np.zeros(len(self.bucket_labels), dtype=int)
        self._F = np.full((h, h, m, e), np.nan)
        self._Y = np.full((h, h, m), np.nan)
        self._valid = np.zeros(h, dtype=int)
        self._start_row = row
        first = max(row - self.settings.warmup_h, row - len(history) + self.lookback_h)
        self._first_row = min(first, row)
        self._next_row = self._first_row

    def _advance(self, history: np.ndarray, s: int, offset: int) -> None:
        """Reveal row s-1 (score and learn), then issue the base forecasts for row s
        (``history[i]`` is row ``offset + i``)."""
        if s - 1 >= self._first_row:
            self._reveal(s - 1, history[s - 1 - offset].reshape(-1))
        slot = s % self.horizon_h
        self._F[slot], self._valid[slot] = self._issue_bases(history[: s - offset], s,
                                                             self.horizon_h)
        self._Y[slot] = self._combine(self._F[slot], np.arange(self.horizon_h))
        every = self.settings.record_every_h
        if s >= self._start_row and (s - self._start_row) % every == 0:
            self._records.append((s, self._w.copy(), self.bias))

    def _issue_bases(self, history: np.ndarray, row: int, horizon: int
                     ) -> tuple[np.ndarray, int]:
        """Base forecasts [horizon, M, E] (NaN past the shortest one) and that length."""
        m = self._w.shape[1]
        out = np.full((horizon, m, len(self.bases)), np.nan)
        valid = horizon
        for e, base in enumerate(self.bases):
            f = base.issue(history, row, horizon).reshape(-1, m)
            out[: len(f), :, e] = f
            valid = min(valid, len(f))
        return out, valid

    def _combine(self, base: np.ndarray, leads: np.ndarray) -> np.ndarray:
        """Corrected forecast [L, M] from base forecasts [L, M, E] at leads [L]."""
        b = self.bucket_of(leads + 1)
        out = np.einsum("lme,lme->lm", base, self._w[b])
        if self.settings.bias:
            out += self._beta[b] * self._scale
        return out

    def _reveal(self, row: int, truth: np.ndarray) -> None:
        """Score the pending forecasts that target ``row`` (one per lead) and learn from them."""
        n_leads = min(self.horizon_h, row - self._first_row + 1)
        leads = np.arange(n_leads)
        slots = (row - leads) % self.horizon_h
        base = self._F[slots, leads]
        served = min(n_leads, row - self._start_row + 1)  # leads issued in the run
        if self.observers and served > 0:
            event = ScoreEvent(row, row - leads[:served], leads[:served], base[:served],
                               self._Y[slots[:served], leads[:served]], truth, self._scale)
            for observer in self.observers:
                observer(event)
        self._learn(n_leads, base, truth)

    def _learn(self, n_leads: int, base: np.ndarray, truth: np.ndarray) -> None:
        """One relaxed Bregman step per bucket of leads 0..n_leads-1 from their base forecasts
        [L, M, E] of the revealed truth [M]; gradients averaged over the bucket's leads."""
        scale, delta, bias = self._scale, self.settings.huber_delta, self.settings.bias
        buckets = self._bucket[:n_leads]
        present, first, count = self._bucket_runs(n_leads)
        mix = np.einsum("lme,lme->lm", base, self._w[buckets])
        pred = mix + self._beta[buckets] * scale if bias else mix
        z = np.clip((pred - truth) / scale, -delta, delta)
        grad_w = np.add.reduceat(z[..., None] * (base - mix[..., None]), first, axis=0)
        grad_w *= (2.0 / count)[:, None, None] / scale[:, None]
        grad_b = np.add.reduceat(z, first, axis=0) * (2.0 / count)[:, None]
        self._n[present] += 1
        n = self._n[present]
        steps = _schedule_values(self._step, n)
        bias_steps = _schedule_values(self._bias_step, n)
        lams = _schedule_values(self._relaxation, n)
        # The steps are folded into the gradients (exact: the updates depend on step x gradient
        # only), so the buckets that share a relaxation take one batched step.
        same = bool((lams == lams[0]).all())
        groups = [slice(None)] if same else [lams == v for v in dict.fromkeys(lams.tolist())]
        for rows in groups:
            lam, sel = float(lams[rows][0]), present[rows]
            self._w[sel] = relaxed_step(self._map, self._w[sel],
                                        grad_w[rows] * steps[rows, None, None], 1.0, lam)
            if bias:
                self._beta[sel] = relaxed_step(_EUCLIDEAN, self._beta[sel],
                                               grad_b[rows] * bias_steps[rows, None], 1.0, lam)

    def _bucket_runs(self, n_leads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Buckets of leads 0..n_leads-1: their indices, first lead and lead count (cached)."""
        runs = self._runs.get(n_leads)
        if runs is None:
            runs = np.unique(self._bucket[:n_leads], return_index=True, return_counts=True)
            self._runs[n_leads] = runs
        return runs

    def _require_started(self) -> None:
        if self._next_row is None:
            raise RuntimeError(f"corrector '{self.name}' has not issued a forecast yet")


def _schedule_values(schedule: StepSchedule, n: np.ndarray) -> np.ndarray:
    """``schedule(k)`` for every update count k in ``n``."""
    if isinstance(schedule, ConstantStep):
        return np.full(len(n), schedule.c)
    return np.array([schedule(int(k)) for k in n])
