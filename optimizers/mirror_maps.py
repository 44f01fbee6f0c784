"""Mirror maps (Legendre functions) of the stochastic Bregman iteration and simplex projection.

Each :class:`MirrorMap` gives ``phi``, ``grad_phi``, ``grad_phi*``, the Bregman divergence
``D_phi(x, y) = phi(x) - phi(y) - <grad_phi(y), x - y>`` and the Bregman projection onto its
feasible set ``C``. The production geometries: :class:`Euclidean` (``R^d``),
:class:`EuclideanSimplex` (projected SGD on the simplex) and :class:`EntropicSimplex`
(exponentiated gradient / Hedge). All act on the last axis. See ``docs/bregman.md``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

_TINY = np.finfo(np.float64).tiny  # floor before taking logs of probabilities
_FEAS_TOL = 1e-9  # absolute tolerance of feasibility checks (sums, bounds)


def _as_float_array(x: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array with at least one axis, got a scalar")
    if arr.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one coordinate, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got non-finite entries")
    return arr


def _positive(value: float, name: str) -> float:
    v = float(value)
    if not (math.isfinite(v) and v > 0.0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def _xlogy(x: FloatArray, y: FloatArray) -> FloatArray:
    """``x * log(y)`` with the convention ``0 * log(0) = 0``."""
    safe = np.where(x > 0.0, y, 1.0)
    return np.where(x > 0.0, x * np.log(np.maximum(safe, _TINY)), 0.0)


def _logsumexp(y: FloatArray) -> FloatArray:
    m = np.max(y, axis=-1, keepdims=True)
    return m + np.log(np.sum(np.exp(y - m), axis=-1, keepdims=True))


def project_simplex(v: ArrayLike, radius: float = 1.0) -> FloatArray:
    """Euclidean projection onto ``{x >= 0, sum(x) = radius}`` along the last axis.

    Sort-based O(d log d) algorithm (Held et al. 1974; Duchi et al. 2008): the projection is
    ``max(v - theta, 0)`` with the threshold ``theta`` chosen so that the result sums to radius.
    """
    r = _positive(radius, "radius")
    v = _as_float_array(v, "v")
    d = v.shape[-1]
    u = -np.sort(-v, axis=-1)  # descending
    css = np.cumsum(u, axis=-1) - r
    k = np.arange(1, d + 1, dtype=np.float64)
    active = u - css / k > 0.0  # true on a prefix; always true at k = 1
    rho = d - 1 - np.argmax(active[..., ::-1], axis=-1)
    theta = np.take_along_axis(css, rho[..., None], axis=-1) / (rho[..., None] + 1.0)
    return np.maximum(v - theta, 0.0)


# --------------------------------------------------------------------------------------------
# Mirror maps
# --------------------------------------------------------------------------------------------


class MirrorMap(ABC):
    """A Legendre function ``phi`` with its gradient maps and Bregman projection onto ``C``.

    ``grad`` maps primal points to dual points, ``grad_conjugate`` (``= grad_phi*``) maps back,
    ``project`` is the Bregman projection onto the feasible set ``C`` (a subset of the closure
    of ``dom phi``) and ``divergence`` is ``D_phi(x, y) >= 0``. All act on the last axis.
    """

    kind: ClassVar[str]

    @abstractmethod
    def phi(self, x: ArrayLike) -> FloatArray:
        """Value of ``phi`` (summed over the last axis)."""

    @abstractmethod
    def grad(self, x: ArrayLike) -> FloatArray:
        """``grad_phi(x)``: primal point to dual point."""

    @abstractmethod
    def grad_conjugate(self, y: ArrayLike) -> FloatArray:
        """``grad_phi*(y)``: dual point to primal point in ``dom phi``."""

    @abstractmethod
    def project(self, x: ArrayLike) -> FloatArray:
        """Bregman projection ``argmin_{u in C} D_phi(u, x)`` of ``x in dom phi``."""

    @abstractmethod
    def feasibility_problem(self, x: FloatArray) -> str | None:
        """Why ``x`` is not a valid iterate (in ``C`` and where ``grad`` is finite), or None."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Plain-Python description; inverse of :func:`mirror_map_from_dict`."""

    def divergence(self, x: ArrayLike, y: ArrayLike) -> FloatArray:
        """``D_phi(x, y) = phi(x) - phi(y) - <grad_phi(y), x - y> >= 0`` (0 iff ``x == y``)."""
        xa = np.asarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
        d = self.phi(xa) - self.phi(ya) - np.sum(self.grad(ya) * (xa - ya), axis=-1)
        return np.maximum(d, 0.0)

    def project_from_dual(self, y: ArrayLike) -> FloatArray:
        """``P_C(grad_phi*(y))``: the primal iterate represented by dual point ``y``."""
        return self.project(self.grad_conjugate(y))

    def validate(self, x: ArrayLike, name: str = "x") -> FloatArray:
        """Return ``x`` as a float array, or raise ValueError if it is not a valid iterate."""
        arr = _as_float_array(x, name)
        problem = self.feasibility_problem(arr)
        if problem is not None:
            raise ValueError(f"{name} is not a valid iterate for {type(self).__name__}: {problem}")
        return arr


@dataclass(frozen=True)
class Euclidean(MirrorMap):
    """``phi(x) = ||x||^2 / 2`` on ``R^d``: ``grad = grad* = identity``, ``D = ||x - y||^2 / 2``.

    Unconstrained (``C = R^d``); the iteration is plain SGD.
    """

    kind: ClassVar[str] = "euclidean"

    def phi(self, x: ArrayLike) -> FloatArray:
        xa = np.asarray(x, dtype=np.float64)
        return 0.5 * np.sum(xa * xa, axis=-1)

    def grad(self, x: ArrayLike) -> FloatArray:
        return np.array(x, dtype=np.float64)

    def grad_conjugate(self, y: ArrayLike) -> FloatArray:
        return np.array(y, dtype=np.float64)

    def divergence(self, x: ArrayLike, y: ArrayLike) -> FloatArray:
        diff = np.asarray(x, dtype=np.float64) - np.asarray(y, dtype=np.float64)
        return 0.5 * np.sum(diff * diff, axis=-1)

    def project(self, x: ArrayLike) -> FloatArray:
        return np.array(x, dtype=np.float64)

    def feasibility_problem(self, x: FloatArray) -> str | None:
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind}


@dataclass(frozen=True)
class EuclideanSimplex(Euclidean):
    """Euclidean geometry on the simplex ``{x >= 0, sum(x) = radius}``: projected SGD."""

    radius: float = 1.0
    kind: ClassVar[str] = "euclidean_simplex"

    def __post_init__(self) -> None:
        _positive(self.radius, "radius")

    def project(self, x: ArrayLike) -> FloatArray:
        return project_simplex(x, self.radius)

    def feasibility_problem(self, x: FloatArray) -> str | None:
        return _simplex_problem(x, self.radius, strict=False)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "radius": self.radius}


def _simplex_problem(x: FloatArray, radius: float, strict: bool) -> str | None:
    total = np.sum(x, axis=-1)
    if np.any(np.abs(total - radius) > _FEAS_TOL * max(1.0, radius)):
        return f"entries must sum to {radius}, got sum(s) {np.ravel(total)[:3].tolist()}"
    if strict and np.min(x) <= 0.0:
        return f"entries must be > 0 (relative interior of the simplex), got min {np.min(x)}"
    if np.min(x) < -_FEAS_TOL:
        return f"entries must be >= 0, got min {np.min(x)}"
    return None


@dataclass(frozen=True)
class EntropicSimplex(MirrorMap):
    """Negative entropy ``phi(x) = sum(x log x - x)`` restricted to the probability simplex.

    ``grad = log x`` (floored at the smallest positive float), ``grad* = exp``,
    ``D_phi = KL(x || y) = sum(x log(x / y) - x + y)``. The Bregman (KL) projection of a positive
    vector onto the simplex is normalisation, so ``P_C(grad*(y)) = softmax(y)`` (computed with
    log-sum-exp): mirror descent here is exponentiated gradient / Hedge.
    """

    kind: ClassVar[str] = "entropic_simplex"

    def phi(self, x: ArrayLike) -> FloatArray:
        xa = np.asarray(x, dtype=np.float64)
        return np.sum(_xlogy(xa, xa) - xa, axis=-1)

    def grad(self, x: ArrayLike) -> FloatArray:
        return np.log(np.maximum(np.asarray(x, dtype=np.float64), _TINY))

    def grad_conjugate(self, y: ArrayLike) -> FloatArray:
        return np.exp(np.minimum(np.asarray(y, dtype=np.float64), 700.0))

    def divergence(self, x: ArrayLike, y: ArrayLike) -> FloatArray:
        xa = np.asarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
        d = np.sum(_xlogy(xa, xa) - _xlogy(xa, ya) - xa + ya, axis=-1)
        return np.maximum(d, 0.0)

    def project(self, x: ArrayLike) -> FloatArray:
        xa = np.asarray(x, dtype=np.float64)
        if np.any(xa < 0.0) or np.any(np.sum(xa, axis=-1) <= 0.0):
            raise ValueError("entropic projection needs nonnegative x with a positive sum")
        return np.maximum(xa / np.sum(xa, axis=-1, keepdims=True), _TINY)

    def project_from_dual(self, y: ArrayLike) -> FloatArray:
        ya = np.asarray(y, dtype=np.float64)
        return np.maximum(np.exp(ya - _logsumexp(ya)), _TINY)

    def feasibility_problem(self, x: FloatArray) -> str | None:
        return _simplex_problem(x, 1.0, strict=True)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind}
