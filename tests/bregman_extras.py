"""Geometries, schedules and a stateful learner of the Bregman template that only the tests use.

Moved out of :mod:`optimizers.bregman` (production uses the simplex geometries and constant
steps); kept here so the tests still check the general template on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from optimizers.bregman import (
    ConstantStep,
    InverseSqrtStep,
    RelaxationForm,
    StepSchedule,
    _check_form,
    as_schedule,
    relaxed_step,
)
from optimizers.mirror_maps import (
    _FEAS_TOL,
    _TINY,
    EntropicSimplex,
    Euclidean,
    EuclideanSimplex,
    FloatArray,
    MirrorMap,
    _positive,
    _xlogy,
)


@dataclass(frozen=True)
class EuclideanBox(Euclidean):
    """Euclidean geometry on the box ``[lo, hi]^d``: projection is clipping (projected SGD)."""

    lo: float = 0.0
    hi: float = 1.0
    kind: ClassVar[str] = "euclidean_box"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo < self.hi):
            raise ValueError(f"box needs finite lo < hi, got lo={self.lo!r}, hi={self.hi!r}")

    def project(self, x: ArrayLike) -> FloatArray:
        return np.clip(np.asarray(x, dtype=np.float64), self.lo, self.hi)

    def feasibility_problem(self, x: FloatArray) -> str | None:
        if np.min(x) < self.lo - _FEAS_TOL or np.max(x) > self.hi + _FEAS_TOL:
            return f"entries must lie in [{self.lo}, {self.hi}], got [{np.min(x)}, {np.max(x)}]"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "lo": self.lo, "hi": self.hi}


@dataclass(frozen=True)
class FermiDiracBox(MirrorMap):
    """Box entropy ``phi(x) = sum((x - lo) log(x - lo) + (hi - x) log(hi - x))`` on ``[lo, hi]^d``.

    ``grad = log((x - lo) / (hi - x))``, ``grad*(y) = lo + (hi - lo) * sigmoid(y)``, and
    ``D_phi(x, y) = sum(u log(u / v) + (L - u) log((L - u) / (L - v)))`` with ``u = x - lo``,
    ``v = y - lo``, ``L = hi - lo``. ``C = dom phi`` is the box, so the mirror step is always
    feasible and the projection is the identity (it only clips round-off).
    """

    lo: float = 0.0
    hi: float = 1.0
    kind: ClassVar[str] = "fermi_dirac_box"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo < self.hi):
            raise ValueError(f"box needs finite lo < hi, got lo={self.lo!r}, hi={self.hi!r}")

    def _split(self, x: ArrayLike) -> tuple[FloatArray, FloatArray]:
        xa = np.asarray(x, dtype=np.float64)
        return xa - self.lo, self.hi - xa

    def phi(self, x: ArrayLike) -> FloatArray:
        u, w = self._split(x)
        return np.sum(_xlogy(u, u) + _xlogy(w, w), axis=-1)

    def grad(self, x: ArrayLike) -> FloatArray:
        u, w = self._split(x)
        return np.log(np.maximum(u, _TINY)) - np.log(np.maximum(w, _TINY))

    def grad_conjugate(self, y: ArrayLike) -> FloatArray:
        ya = np.asarray(y, dtype=np.float64)
        e = np.exp(-np.abs(ya))
        sigmoid = np.where(ya >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self.lo + (self.hi - self.lo) * sigmoid

    def divergence(self, x: ArrayLike, y: ArrayLike) -> FloatArray:
        u, w = self._split(x)
        v, z = self._split(y)
        d = np.sum(_xlogy(u, u) - _xlogy(u, v) + _xlogy(w, w) - _xlogy(w, z), axis=-1)
        return np.maximum(d, 0.0)

    def project(self, x: ArrayLike) -> FloatArray:
        return np.clip(np.asarray(x, dtype=np.float64), self.lo, self.hi)

    def feasibility_problem(self, x: FloatArray) -> str | None:
        if np.min(x) <= self.lo or np.max(x) >= self.hi:
            return f"entries must lie strictly inside ({self.lo}, {self.hi})"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "lo": self.lo, "hi": self.hi}


@dataclass(frozen=True)
class PNorm(MirrorMap):
    """``phi(x) = ||x||_p^2 / 2`` on ``R^d`` (unconstrained), ``1 < p < inf``.

    ``grad(x) = sign(x) |x|^(p-1) / ||x||_p^(p-2)`` and ``grad*`` is the same map with the dual
    exponent ``q = p / (p - 1)``. ``p = 2`` is Euclidean; ``p = 1 + 1/ln(d)`` is the classical
    choice for sparse problems (strongly convex w.r.t. ``||.||_p`` with modulus ``p - 1``).
    """

    p: float = 2.0
    kind: ClassVar[str] = "p_norm"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.p) and self.p > 1.0):
            raise ValueError(f"p must be a finite number > 1, got {self.p!r}")

    @property
    def q(self) -> float:
        """Dual exponent ``p / (p - 1)``."""
        return self.p / (self.p - 1.0)

    @staticmethod
    def _norm(x: FloatArray, p: float) -> FloatArray:
        scale = np.max(np.abs(x), axis=-1, keepdims=True)
        safe = np.where(scale > 0.0, scale, 1.0)
        return scale * np.sum((np.abs(x) / safe) ** p, axis=-1, keepdims=True) ** (1.0 / p)

    @classmethod
    def _link(cls, x: ArrayLike, p: float) -> FloatArray:
        xa = np.asarray(x, dtype=np.float64)
        norm = cls._norm(xa, p)
        safe = np.where(norm > 0.0, norm, 1.0)
        return np.sign(xa) * norm * (np.abs(xa) / safe) ** (p - 1.0)

    def phi(self, x: ArrayLike) -> FloatArray:
        return 0.5 * self._norm(np.asarray(x, dtype=np.float64), self.p)[..., 0] ** 2

    def grad(self, x: ArrayLike) -> FloatArray:
        return self._link(x, self.p)

    def grad_conjugate(self, y: ArrayLike) -> FloatArray:
        return self._link(y, self.q)

    def project(self, x: ArrayLike) -> FloatArray:
        return np.array(x, dtype=np.float64)

    def feasibility_problem(self, x: FloatArray) -> str | None:
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "p": self.p}


_MIRROR_MAPS: dict[str, type[MirrorMap]] = {
    cls.kind: cls
    for cls in (Euclidean, EuclideanBox, EuclideanSimplex, EntropicSimplex, FermiDiracBox, PNorm)
}


def mirror_map_from_dict(data: dict[str, Any]) -> MirrorMap:
    """Rebuild a mirror map from :meth:`MirrorMap.to_dict` output."""
    params = dict(data)
    kind = params.pop("kind", None)
    if kind not in _MIRROR_MAPS:
        raise ValueError(f"unknown mirror map kind {kind!r}; known: {sorted(_MIRROR_MAPS)}")
    return _MIRROR_MAPS[kind](**{k: float(v) for k, v in params.items()})


@dataclass(frozen=True)
class RobbinsMonroStep(StepSchedule):
    """``gamma_n = c / (n + n0)^a`` with ``1/2 < a <= 1`` (sum gamma = inf, sum gamma^2 < inf)."""

    c: float
    a: float = 1.0
    n0: float = 0.0
    kind: ClassVar[str] = "robbins_monro"

    def __post_init__(self) -> None:
        _positive(self.c, "step constant c")
        if not (0.5 < self.a <= 1.0):
            raise ValueError(f"Robbins-Monro exponent a must satisfy 1/2 < a <= 1, got {self.a!r}")
        if not (math.isfinite(self.n0) and self.n0 >= 0.0):
            raise ValueError(f"Robbins-Monro offset n0 must be finite and >= 0, got {self.n0!r}")

    def value(self, n: int) -> float:
        return self.c / (n + self.n0) ** self.a

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "c": self.c, "a": self.a, "n0": self.n0}


_SCHEDULES: dict[str, type[StepSchedule]] = {
    cls.kind: cls for cls in (ConstantStep, InverseSqrtStep, RobbinsMonroStep)
}


def schedule_from_dict(data: dict[str, Any]) -> StepSchedule:
    """Rebuild a schedule from :meth:`StepSchedule.to_dict` output."""
    params = dict(data)
    kind = params.pop("kind", None)
    if kind not in _SCHEDULES:
        raise ValueError(f"unknown schedule kind {kind!r}; known: {sorted(_SCHEDULES)}")
    return _SCHEDULES[kind](**{k: float(v) for k, v in params.items()})


class BregmanLearner:
    """Stateful online learner: one relaxed stochastic Bregman update per :meth:`update` call.

    ``x0`` must be a valid iterate (1-D, in ``C``; strictly inside for entropic maps). ``step``
    and ``relaxation`` are positive numbers (constant) or :class:`StepSchedule` objects; the
    ``n``-th call uses ``step(n)`` and ``relaxation(n)``. Deterministic: no randomness inside.
    """

    def __init__(
        self,
        mirror_map: MirrorMap,
        step: StepSchedule | float,
        x0: ArrayLike,
        relaxation: StepSchedule | float = 1.0,
        *,
        form: RelaxationForm = "dual",
    ) -> None:
        if not isinstance(mirror_map, MirrorMap):
            raise ValueError(f"mirror_map must be a MirrorMap, got {type(mirror_map).__name__}")
        _check_form(form)
        x = mirror_map.validate(x0, "x0")
        if x.ndim != 1:
            raise ValueError(f"x0 must be 1-D, got shape {x.shape}")
        self._map = mirror_map
        self._step = as_schedule(step, "step")
        self._relaxation = as_schedule(relaxation, "relaxation")
        self._form: RelaxationForm = form
        self._x = x.copy()
        self._n = 0

    @property
    def x(self) -> FloatArray:
        """Current iterate (a copy)."""
        return self._x.copy()

    @property
    def n(self) -> int:
        """Number of updates made so far."""
        return self._n

    @property
    def mirror_map(self) -> MirrorMap:
        """The geometry of the iteration."""
        return self._map

    def update(self, grad: ArrayLike) -> FloatArray:
        """Apply update ``n + 1`` with stochastic gradient ``grad`` at :attr:`x`; return new x."""
        n = self._n + 1
        self._x = relaxed_step(
            self._map, self._x, grad, self._step(n), self._relaxation(n), self._form
        )
        self._n = n
        return self._x.copy()

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state (plain Python types); inverse of :meth:`from_state`."""
        return {
            "mirror_map": self._map.to_dict(),
            "step": self._step.to_dict(),
            "relaxation": self._relaxation.to_dict(),
            "form": self._form,
            "n": self._n,
            "x": self._x.tolist(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> BregmanLearner:
        """Rebuild a learner from :meth:`state_dict` output (e.g. after a JSON round trip)."""
        missing = {"mirror_map", "step", "relaxation", "form", "n", "x"} - set(state)
        if missing:
            raise ValueError(f"learner state is missing keys {sorted(missing)}")
        n = state["n"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"learner state 'n' must be an integer >= 0, got {n!r}")
        learner = cls(
            mirror_map_from_dict(state["mirror_map"]),
            schedule_from_dict(state["step"]),
            state["x"],
            schedule_from_dict(state["relaxation"]),
            form=state["form"],
        )
        learner._n = n
        return learner
