"""Stochastic Bregman iteration: stochastic mirror descent, Bregman projections and relaxation.

One template (after arXiv:2509.14216, "A Universal Banach-Bregman Framework for Stochastic
Iterations") covers projected SGD, exponentiated gradient / Hedge and other mirror-descent
methods. With a Legendre function ``phi`` (the *mirror map*), feasible set ``C``, step
``gamma_n > 0``, relaxation ``lambda_n > 0`` and stochastic gradient ``g_n`` at ``x_n``::

    T_n(x)  = P_C( grad_phi*( grad_phi(x) - gamma_n * g_n ) )           mirror step + projection
    dual    : x_{n+1} = P_C( grad_phi*( grad_phi(x_n)
                                        + lambda_n * (grad_phi(T_n x_n) - grad_phi(x_n)) ) )
    gradient: x_{n+1} = P_C( grad_phi*( grad_phi(x_n) - lambda_n * gamma_n * g_n ) )

where ``P_C(z) = argmin_{u in C} D_phi(u, z)`` is the Bregman projection and
``D_phi(u, z) = phi(u) - phi(z) - <grad_phi(z), u - z>``. ``form="dual"`` (the default) is the
relaxation of the move from ``grad_phi(x_n)`` towards ``grad_phi(T_n x_n)`` in the dual space;
``form="gradient"`` scales the gradient step. Both equal ``T_n x_n`` (plain stochastic mirror
descent) at ``lambda_n = 1``, and both coincide for every ``lambda_n`` when the projection's
correction is absorbed (``C = dom phi``, or entropy on the simplex). See ``docs/bregman.md``.

Conventions: minimisation, so the iterate moves *against* ``g`` (for experts, ``g`` is the loss
vector). Points have shape ``(..., d)``; maps act on the last axis. Schedules are indexed by the
update number ``n = 1, 2, ...``. Nothing here draws random numbers unless a
``numpy.random.Generator`` is passed in explicitly.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
RelaxationForm = Literal["dual", "gradient"]
GradientOracle = Callable[[FloatArray, int, np.random.Generator], ArrayLike]
"""``oracle(x, n, rng) -> g``: stochastic gradient at ``x`` for update ``n`` (1-based)."""

_TINY = np.finfo(np.float64).tiny  # floor before taking logs of probabilities
_FEAS_TOL = 1e-9  # absolute tolerance of feasibility checks (sums, bounds)
_FORMS: tuple[str, ...] = ("dual", "gradient")


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


# --------------------------------------------------------------------------------------------
# Step-size (and relaxation) schedules
# --------------------------------------------------------------------------------------------


class StepSchedule(ABC):
    """A positive sequence ``n -> value`` for ``n = 1, 2, ...`` (steps gamma_n or relaxations)."""

    kind: ClassVar[str]

    @abstractmethod
    def value(self, n: int) -> float:
        """Value at update ``n >= 1`` (no argument checks)."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Plain-Python description; inverse of :func:`schedule_from_dict`."""

    def __call__(self, n: int) -> float:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"schedule index n must be an integer >= 1, got {n!r}")
        return self.value(int(n))


@dataclass(frozen=True)
class ConstantStep(StepSchedule):
    """``gamma_n = c``."""

    c: float
    kind: ClassVar[str] = "constant"

    def __post_init__(self) -> None:
        _positive(self.c, "step constant c")

    def value(self, n: int) -> float:
        return self.c

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "c": self.c}


@dataclass(frozen=True)
class InverseSqrtStep(StepSchedule):
    """``gamma_n = c / sqrt(n)`` (anytime rate for convex Lipschitz losses)."""

    c: float
    kind: ClassVar[str] = "inverse_sqrt"

    def __post_init__(self) -> None:
        _positive(self.c, "step constant c")

    def value(self, n: int) -> float:
        return self.c / math.sqrt(n)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "c": self.c}


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


def as_schedule(value: StepSchedule | float, name: str) -> StepSchedule:
    """A schedule as is, or a positive number as a :class:`ConstantStep`."""
    if isinstance(value, StepSchedule):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ValueError(f"{name} must be a positive number or a StepSchedule, got {value!r}")
    return ConstantStep(_positive(value, name))


# --------------------------------------------------------------------------------------------
# The iteration
# --------------------------------------------------------------------------------------------


def _check_form(form: str) -> None:
    if form not in _FORMS:
        raise ValueError(f"form must be one of {_FORMS}, got {form!r}")


def _check_grad(grad: ArrayLike, x: FloatArray) -> FloatArray:
    g = _as_float_array(grad, "grad")
    if g.shape != x.shape:
        raise ValueError(f"grad must have the shape of x {x.shape}, got {g.shape}")
    return g


def mirror_step(mirror_map: MirrorMap, x: ArrayLike, grad: ArrayLike, step: float) -> FloatArray:
    """``T(x) = P_C(grad_phi*(grad_phi(x) - step * grad))``: one projected mirror-descent step.

    ``step > 0``; ``grad`` has the shape of ``x``. This is the unrelaxed update (``lambda = 1``).
    """
    xa = _as_float_array(x, "x")
    g = _check_grad(grad, xa)
    gamma = _positive(step, "step")
    return mirror_map.project_from_dual(mirror_map.grad(xa) - gamma * g)


def relaxed_step(
    mirror_map: MirrorMap,
    x: ArrayLike,
    grad: ArrayLike,
    step: float,
    relaxation: float = 1.0,
    form: RelaxationForm = "dual",
) -> FloatArray:
    """One relaxed stochastic Bregman update ``x -> x_next`` (see the module docstring).

    ``form="dual"``: ``P_C(grad_phi*(y + relaxation * (grad_phi(T x) - y)))`` with
    ``y = grad_phi(x)``; ``form="gradient"``: ``T`` with step ``relaxation * step``.
    ``relaxation = 1`` returns ``T(x)`` exactly in both forms.
    """
    _check_form(form)
    lam = _positive(relaxation, "relaxation")
    if form == "gradient":
        return mirror_step(mirror_map, x, grad, lam * _positive(step, "step"))
    t_x = mirror_step(mirror_map, x, grad, step)
    if lam == 1.0:
        return t_x
    y = mirror_map.grad(np.asarray(x, dtype=np.float64))
    return mirror_map.project_from_dual(y + lam * (mirror_map.grad(t_x) - y))


def stochastic_bregman_iteration(
    mirror_map: MirrorMap,
    oracle: GradientOracle,
    x0: ArrayLike,
    n_steps: int,
    step: StepSchedule | float,
    relaxation: StepSchedule | float = 1.0,
    *,
    rng: np.random.Generator,
    form: RelaxationForm = "dual",
) -> FloatArray:
    """Run ``n_steps`` updates from ``x0``; return all iterates, shape ``(n_steps + 1, *x0.shape)``.

    ``oracle(x, n, rng)`` returns the stochastic gradient at ``x_{n-1}`` for update ``n``; the
    only randomness is what the oracle draws from ``rng``. ``x0`` may carry leading batch axes
    (independent runs advanced together, e.g. one per seed).
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, int | np.integer) or n_steps < 0:
        raise ValueError(f"n_steps must be an integer >= 0, got {n_steps!r}")
    _check_form(form)
    gamma = as_schedule(step, "step")
    lam = as_schedule(relaxation, "relaxation")
    x = mirror_map.validate(x0, "x0")
    path = np.empty((int(n_steps) + 1, *x.shape))
    path[0] = x
    for n in range(1, int(n_steps) + 1):
        g = oracle(x, n, rng)
        x = relaxed_step(mirror_map, x, g, gamma(n), lam(n), form)
        path[n] = x
    return path


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
