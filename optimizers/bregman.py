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

Mirror maps live in :mod:`optimizers.mirror_maps`; the relaxed projection form onto
hyperslabs and half-spaces in :mod:`optimizers.bregman_projection`.

Conventions: minimisation, so the iterate moves *against* ``g`` (for experts, ``g`` is the
loss vector). Points have shape ``(..., d)``; maps act on the last axis. Schedules are indexed
by the update number ``n = 1, 2, ...``. Nothing here draws random numbers unless a
``numpy.random.Generator`` is passed in explicitly.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike

from optimizers.mirror_maps import FloatArray, MirrorMap, _as_float_array, _positive

RelaxationForm = Literal["dual", "gradient"]
GradientOracle = Callable[[FloatArray, int, np.random.Generator], ArrayLike]
"""``oracle(x, n, rng) -> g``: stochastic gradient at ``x`` for update ``n`` (1-based)."""

_FORMS: tuple[str, ...] = ("dual", "gradient")


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
