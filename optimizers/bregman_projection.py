"""Relaxed Bregman projections onto half-spaces and hyperslabs (the projection form).

Each observation defines a convex set C of consistent parameters: a half-space
``H = {w : <w, a> <= b}`` or a hyperslab ``S = {w : |<w, f> - y| <= eps}`` (the intersection
of two half-spaces, of which at most one is violated). The iteration takes a relaxed
stochastic Bregman projection onto it::

    x+ = grad_phi*( grad_phi(x) + lam * (grad_phi(P_C x) - grad_phi(x)) )

in two geometries, batched over leading axes:

* **Euclidean** on the affine plane ``{sum w = 1}`` (combination weights that may be
  negative): ``P_H x = x - t a_c`` with ``a_c = a - mean(a)`` and
  ``t = max(0, <x, a> - b) / ||a_c||^2``; ``x+ = x - lam t a_c``.
* **Entropic** on the probability simplex (``phi = sum w log w``; the simplex constraint is
  absorbed by normalisation, as in exponentiated gradient): ``P_H x ∝ x exp(-theta a)`` with
  ``theta >= 0`` solving ``<P_H x, a> = b``; ``x+ ∝ x exp(-lam theta a)``.

Bregman-Fejer monotonicity (``D(z, x+) <= D(z, x)`` for every z in C) holds exactly for
``0 <= lam <= lam_max``:

* Euclidean: ``||z - x+||^2 - ||z - x||^2 = 2 lam t (<z, a> - <x, a>) + lam^2 t^2 ||a_c||^2
  <= -lam (2 - lam) t^2 ||a_c||^2`` for ``<z, a> <= b`` (z and x both sum to 1):
  ``lam_max = 2``.
* Entropic: ``D(z, x+) - D(z, x) = s <z, a> + log Z(s)`` with ``s = lam theta`` and
  ``Z(s) = sum x_i exp(-s a_i)``. Over z in H this is at most ``g(s) = s b + log Z(s)``, a
  convex function with ``g(0) = 0`` and ``g'(theta) = 0`` (that is how theta is defined), and
  the bound is attained by points of C on the hyperplane. So ``lam_max = s* / theta`` with
  ``s* > theta`` the second root of g. ``log Z`` is the cumulant generating function of
  ``-a`` under x; if it were quadratic ``s* = 2 theta`` (``lam_max = 2``); its skewness makes
  ``lam_max`` above or below 2 (:func:`entropic_lambda_max`). Derivation in docs/bregman.md.
"""

from __future__ import annotations

import numpy as np

from optimizers.mirror_maps import FloatArray

_BISECT = 60


def _log_partition(x: FloatArray, a: FloatArray, s: FloatArray) -> FloatArray:
    """``log sum_i x_i exp(-s a_i)`` over the last axis (stable), s broadcast per row."""
    z = -s[..., None] * a
    m = z.max(axis=-1, keepdims=True)
    return m[..., 0] + np.log(np.sum(x * np.exp(z - m), axis=-1))


def _tilted_mean(x: FloatArray, a: FloatArray, s: FloatArray) -> FloatArray:
    """``<x exp(-s a) / Z, a>``: decreasing in s."""
    z = -s[..., None] * a
    w = x * np.exp(z - z.max(axis=-1, keepdims=True))
    return np.sum(w * a, axis=-1) / np.sum(w, axis=-1)


def entropic_theta(x: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    """theta >= 0 with ``<P_H x, a> = b`` (0 where x is in H; capped where H misses the
    simplex's relative interior, i.e. ``min(a) >= b``)."""
    hi = np.full(b.shape, 1.0)
    for _ in range(60):  # grow the bracket until the tilted mean is <= b
        need = _tilted_mean(x, a, hi) > b
        if not need.any():
            break
        hi = np.where(need, 2.0 * hi, hi)
    lo = np.zeros(b.shape)
    for _ in range(_BISECT):
        mid = 0.5 * (lo + hi)
        above = _tilted_mean(x, a, mid) > b
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    violated = np.sum(x * a, axis=-1) > b
    return np.where(violated, hi, 0.0)


def entropic_lambda_max(x: FloatArray, a: FloatArray, b: FloatArray,
                        theta: FloatArray | None = None) -> FloatArray:
    """Largest relaxation keeping Bregman-Fejer monotonicity for the entropic projection onto
    ``{<w, a> <= b}``: ``s*/theta`` with s* the second root of ``g(s) = s b + log Z(s)``
    (inf where the half-space is not violated or g stays negative)."""
    theta = entropic_theta(x, a, b) if theta is None else theta
    pos = theta > 0
    t = np.where(pos, theta, 1.0)

    def g(s: FloatArray) -> FloatArray:
        return s * b + _log_partition(x, a, s)

    hi = 2.0 * t
    for _ in range(60):
        need = g(hi) < 0
        if not need.any():
            break
        hi = np.where(need, 2.0 * hi, hi)
    lo = t.copy()
    for _ in range(_BISECT):
        mid = 0.5 * (lo + hi)
        neg = g(mid) < 0
        lo, hi = np.where(neg, mid, lo), np.where(neg, hi, mid)
    return np.where(pos & (g(hi) >= 0), lo / t, np.inf)


def project_halfspace(geometry: str, x: FloatArray, a: FloatArray, b: FloatArray,
                      relaxation: float | FloatArray = 1.0) -> FloatArray:
    """Relaxed Bregman projection of ``x`` [..., d] onto ``{<w, a> <= b}`` (a [..., d],
    b [...]) in the ``"euclidean"`` (affine plane) or ``"entropic"`` (simplex) geometry."""
    lam = np.asarray(relaxation, dtype=float)
    if geometry == "euclidean":
        ac = a - a.mean(axis=-1, keepdims=True)
        norm = np.sum(ac * ac, axis=-1)
        t = np.maximum(np.sum(x * a, axis=-1) - b, 0.0) / np.where(norm > 0, norm, np.inf)
        return x - (lam * t)[..., None] * ac
    if geometry == "entropic":
        theta = entropic_theta(x, a, b)
        logits = np.log(np.maximum(x, 1e-300)) - (lam * theta)[..., None] * a
        w = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return np.maximum(w / w.sum(axis=-1, keepdims=True), 1e-300)
    raise ValueError(f"geometry must be 'euclidean' or 'entropic', got {geometry!r}")


def slab_halfspace(x: FloatArray, f: FloatArray, y: FloatArray, eps: FloatArray
                   ) -> tuple[FloatArray, FloatArray]:
    """The half-space ``(a, b)`` of the hyperslab ``|<w, f> - y| <= eps`` that x violates
    (the upper one where neither is violated: then the projection does nothing)."""
    low = np.sum(x * f, axis=-1) < y - eps
    a = np.where(low[..., None], -f, f)
    b = np.where(low, eps - y, y + eps)
    return a, b


def project_slab(geometry: str, x: FloatArray, f: FloatArray, y: FloatArray, eps: FloatArray,
                 relaxation: float | FloatArray = 1.0) -> FloatArray:
    """Relaxed Bregman projection of ``x`` onto the hyperslab ``|<w, f> - y| <= eps``."""
    a, b = slab_halfspace(x, f, y, eps)
    return project_halfspace(geometry, x, a, b, relaxation)


def lambda_max(geometry: str, x: FloatArray, f: FloatArray, y: FloatArray, eps: FloatArray
               ) -> FloatArray:
    """Largest Fejer-monotone relaxation for the slab projection (2 in the Euclidean case)."""
    if geometry == "euclidean":
        return np.full(np.shape(y), 2.0)
    a, b = slab_halfspace(x, f, y, eps)
    return entropic_lambda_max(x, a, b)
