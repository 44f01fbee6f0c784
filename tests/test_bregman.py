"""Known-answer tests of the stochastic Bregman iteration (optimizers.bregman)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from optimizers.bregman import (
    ConstantStep,
    InverseSqrtStep,
    mirror_step,
    relaxed_step,
    stochastic_bregman_iteration,
)
from optimizers.mirror_maps import (
    EntropicSimplex,
    Euclidean,
    EuclideanSimplex,
    MirrorMap,
    project_simplex,
)
from tests.bregman_extras import (
    BregmanLearner,
    EuclideanBox,
    FermiDiracBox,
    PNorm,
    RobbinsMonroStep,
    mirror_map_from_dict,
    schedule_from_dict,
)

ALL_MAPS: list[MirrorMap] = [
    Euclidean(),
    EuclideanBox(-1.0, 2.0),
    EuclideanSimplex(),
    EntropicSimplex(),
    FermiDiracBox(-1.0, 2.0),
    PNorm(1.5),
    PNorm(3.0),
]


def _interior_point(mirror_map: MirrorMap, rng: np.random.Generator, d: int) -> np.ndarray:
    """A random valid iterate strictly inside the feasible set of ``mirror_map``."""
    if isinstance(mirror_map, EuclideanSimplex | EntropicSimplex):
        return rng.dirichlet(np.ones(d))
    if isinstance(mirror_map, EuclideanBox | FermiDiracBox):
        return rng.uniform(mirror_map.lo + 0.1, mirror_map.hi - 0.1, d)
    return rng.normal(size=d)


def _simplex_projection_bisection(v: np.ndarray, radius: float = 1.0) -> np.ndarray:
    """Reference: find theta with sum(max(v - theta, 0)) = radius by bisection (no sorting)."""
    lo, hi = np.min(v) - radius, np.max(v)
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if np.sum(np.maximum(v - mid, 0.0)) > radius:
            lo = mid
        else:
            hi = mid
    return np.maximum(v - 0.5 * (lo + hi), 0.0)


# ----------------------------------------------------------------------------- (a) convergence


def _simplex_least_squares(seed: int = 1, d: int = 5, m: int = 60, noise: float = 0.2):
    """Least squares min_x mean((A x - b)^2) / 2 over the simplex with a known interior optimum.

    ``b = A x* + eps`` with ``eps`` orthogonal to the columns of ``A``: the full gradient
    vanishes at ``x*`` (an interior point of the simplex), so ``x*`` is the constrained
    minimiser, while single-row gradients stay noisy there.
    """
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(m, d))
    x_star = np.array([0.10, 0.15, 0.20, 0.25, 0.30])
    q, _ = np.linalg.qr(a)
    eta = rng.normal(size=m)
    eps = eta - q @ (q.T @ eta)
    eps *= noise / np.std(eps)
    return a, a @ x_star + eps, x_star


def test_least_squares_construction_has_known_minimiser() -> None:
    a, b, x_star = _simplex_least_squares()
    np.testing.assert_allclose(a.T @ (a @ x_star - b), 0.0, atol=1e-10)
    # independent check: full-gradient projected descent with a sort-free projection
    x = np.full(5, 0.2)
    lipschitz = np.linalg.eigvalsh(a.T @ a / len(b))[-1]
    for _ in range(400):
        x = _simplex_projection_bisection(x - a.T @ (a @ x - b) / len(b) / lipschitz)
    np.testing.assert_allclose(x, x_star, atol=1e-8)


@pytest.mark.parametrize(
    "mirror_map, step",
    [
        (EuclideanSimplex(), RobbinsMonroStep(1.0, a=0.75, n0=10.0)),
        (EntropicSimplex(), RobbinsMonroStep(2.0, a=0.75, n0=10.0)),
    ],
)
def test_stochastic_simplex_least_squares_converges(
    mirror_map: MirrorMap, step: RobbinsMonroStep
) -> None:
    a, b, x_star = _simplex_least_squares()
    m, d = a.shape

    def oracle(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        rows = rng.integers(m, size=x.shape[0])  # one sampled row per independent run
        residual = np.sum(a[rows] * x, axis=-1) - b[rows]
        return a[rows] * residual[:, None]

    def objective(x: np.ndarray) -> np.ndarray:
        return 0.5 * np.mean((x @ a.T - b) ** 2, axis=-1)

    x0 = np.full((8, d), 1.0 / d)  # 8 independent runs advanced together
    path = stochastic_bregman_iteration(
        mirror_map, oracle, x0, 4000, step, rng=np.random.default_rng(0)
    )
    err0 = np.max(np.abs(x0 - x_star), axis=-1)
    err = np.max(np.abs(path[-1] - x_star), axis=-1)
    assert np.all(err0 > 0.09)
    assert np.mean(err) < 0.012, err
    gap0 = objective(x0[0]) - objective(x_star)
    assert np.all(objective(path[-1]) - objective(x_star) < 0.05 * gap0)
    assert np.allclose(path.sum(axis=-1), 1.0) and path.min() >= 0.0


# ----------------------------------------------------------------------------- (b) Hedge regret


def _hedge_regret(losses: np.ndarray, relaxation: float = 1.0) -> tuple[float, float]:
    """Regret of Hedge (entropic learner, eta = sqrt(8 ln N / T)) and the bound sqrt(T ln N/2)."""
    t_rounds, n_experts = losses.shape
    eta = math.sqrt(8.0 * math.log(n_experts) / t_rounds)
    learner = BregmanLearner(
        EntropicSimplex(), eta, np.full(n_experts, 1.0 / n_experts), relaxation
    )
    total = 0.0
    for loss in losses:
        total += float(learner.x @ loss)  # play x_t, then observe the loss vector
        learner.update(loss)
    regret = total - float(losses.sum(axis=0).min())
    return regret, math.sqrt(t_rounds * math.log(n_experts) / 2.0)


def _loss_sequences(t_rounds: int = 2000) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    alternating = np.zeros((t_rounds, 2))
    alternating[0] = [0.5, 0.0]
    alternating[1::2] = [0.0, 1.0]
    alternating[2::2] = [1.0, 0.0]
    switching = np.zeros((t_rounds, 3))
    switching[: t_rounds // 2, 0] = 1.0
    switching[t_rounds // 2 :, 1] = 1.0
    switching[:, 2] = 0.55
    return {
        "alternating": alternating,
        "bernoulli": (rng.random((t_rounds, 10)) < np.linspace(0.3, 0.7, 10)).astype(float),
        "uniform": rng.random((t_rounds, 10)),
        "switching": switching,
    }


@pytest.mark.parametrize("name", ["alternating", "bernoulli", "uniform", "switching"])
def test_hedge_regret_within_textbook_bound(name: str) -> None:
    regret, bound = _hedge_regret(_loss_sequences()[name])
    assert regret <= bound, f"{name}: regret {regret:.2f} > bound {bound:.2f}"


@pytest.mark.parametrize("relaxation", [0.5, 2.5, 4.0])
@pytest.mark.parametrize("name", ["alternating", "bernoulli", "switching"])
def test_relaxed_hedge_obeys_bound_for_step_relaxation_times_eta(
    name: str, relaxation: float
) -> None:
    # entropic relaxation = step multiplier: regret <= ln N/(lam eta) + lam eta T/8
    #                                                = (1/lam + lam)/2 * sqrt(T ln N / 2)
    regret, bound = _hedge_regret(_loss_sequences()[name], relaxation)
    assert regret <= (1.0 / relaxation + relaxation) / 2.0 * bound


def test_hedge_regret_check_has_power() -> None:
    # far too aggressive (relaxation 20 = step 20 eta) on the alternating sequence breaks it
    regret, bound = _hedge_regret(_loss_sequences()["alternating"], relaxation=20.0)
    assert regret > 5 * bound


# ----------------------------------------------------------------------------- (c) projected SGD


@pytest.mark.parametrize("relaxation", [1.0, 1.7, 3.0])
def test_euclidean_box_is_relaxed_projected_sgd(relaxation: float) -> None:
    rng = np.random.default_rng(5)
    grads = rng.normal(scale=2.0, size=(300, 6))
    learner = BregmanLearner(EuclideanBox(0.0, 1.0), InverseSqrtStep(0.5), np.full(6, 0.5))
    relaxed = BregmanLearner(
        EuclideanBox(0.0, 1.0), InverseSqrtStep(0.5), np.full(6, 0.5), relaxation
    )
    x = np.full(6, 0.5)
    xr = np.full(6, 0.5)
    for n, g in enumerate(grads, start=1):
        gamma = 0.5 / math.sqrt(n)
        x = np.clip(x - gamma * g, 0.0, 1.0)
        xr = np.clip(xr + relaxation * (np.clip(xr - gamma * g, 0.0, 1.0) - xr), 0.0, 1.0)
        np.testing.assert_allclose(learner.update(g), x, rtol=0, atol=1e-14)
        np.testing.assert_allclose(relaxed.update(g), xr, rtol=0, atol=1e-14)


def test_euclidean_simplex_is_projected_sgd() -> None:
    rng = np.random.default_rng(6)
    grads = rng.normal(size=(300, 7))
    step = RobbinsMonroStep(0.8, a=0.6, n0=2.0)
    learner = BregmanLearner(EuclideanSimplex(), step, np.full(7, 1.0 / 7))
    x = np.full(7, 1.0 / 7)
    for n, g in enumerate(grads, start=1):
        x = _simplex_projection_bisection(x - 0.8 / (n + 2.0) ** 0.6 * g)
        np.testing.assert_allclose(learner.update(g), x, rtol=0, atol=1e-12)


def test_unconstrained_euclidean_is_sgd() -> None:
    rng = np.random.default_rng(7)
    x0 = rng.normal(size=4)
    grads = rng.normal(size=(50, 4))
    path = stochastic_bregman_iteration(
        Euclidean(), lambda x, n, r: grads[n - 1], x0, 50, 0.1, rng=np.random.default_rng(0)
    )
    np.testing.assert_allclose(path[-1], x0 - 0.1 * grads.sum(axis=0), rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------- (d) projections


@pytest.mark.parametrize("radius", [1.0, 2.5])
def test_simplex_projection_matches_reference_and_optimality(radius: float) -> None:
    rng = np.random.default_rng(8)
    v = rng.normal(scale=3.0, size=(40, 9))
    p = project_simplex(v, radius)
    for vi, pi in zip(v, p, strict=True):
        np.testing.assert_allclose(pi, _simplex_projection_bisection(vi, radius), atol=1e-12)
    assert p.min() >= 0.0
    np.testing.assert_allclose(p.sum(axis=-1), radius, rtol=1e-12)
    # variational inequality <v - p, z - p> <= 0 for every z in the simplex (test on vertices)
    vertices = radius * np.eye(9)
    vi_terms = np.einsum("bi,bki->bk", v - p, vertices[None] - p[:, None])
    assert vi_terms.max() <= 1e-9


def test_entropic_projection_is_normalisation_and_kl_optimal() -> None:
    rng = np.random.default_rng(9)
    entropic = EntropicSimplex()
    v = rng.uniform(0.01, 3.0, size=6)
    p = entropic.project(v)
    np.testing.assert_allclose(p, v / v.sum(), rtol=1e-14)
    np.testing.assert_allclose(entropic.project_from_dual(np.log(v)), p, rtol=1e-12)
    candidates = rng.dirichlet(np.ones(6), size=500)
    assert np.all(entropic.divergence(candidates, v) >= entropic.divergence(p, v))
    # Bregman Pythagoras: D(z, p) + D(p, v) = D(z, v) for z in the simplex (equality here)
    np.testing.assert_allclose(
        entropic.divergence(candidates, p) + entropic.divergence(p, v),
        entropic.divergence(candidates, v),
        rtol=1e-10,
    )


def test_softmax_projection_is_stable_for_huge_dual_values() -> None:
    p = EntropicSimplex().project_from_dual(np.array([1e4, 1e4 - 1.0, -1e4]))
    assert np.all(np.isfinite(p)) and p.min() > 0.0
    np.testing.assert_allclose(p[:2], [1 / (1 + math.e**-1), 1 / (1 + math.e)], rtol=1e-12)


@pytest.mark.parametrize("mirror_map", [EuclideanBox(-1.0, 2.0), EuclideanSimplex()])
def test_euclidean_bregman_pythagoras_inequality(mirror_map: MirrorMap) -> None:
    rng = np.random.default_rng(10)
    v = rng.normal(scale=3.0, size=5)
    p = mirror_map.project(v)
    assert mirror_map.feasibility_problem(p) is None
    for _ in range(200):
        z = _interior_point(mirror_map, rng, 5)
        lhs = mirror_map.divergence(z, p) + mirror_map.divergence(p, v)
        assert lhs <= mirror_map.divergence(z, v) + 1e-12


@pytest.mark.parametrize("mirror_map", ALL_MAPS, ids=lambda m: repr(m))
def test_divergence_nonnegative_zero_on_diagonal_and_matches_definition(
    mirror_map: MirrorMap,
) -> None:
    rng = np.random.default_rng(11)
    x = np.array([_interior_point(mirror_map, rng, 6) for _ in range(50)])
    y = np.array([_interior_point(mirror_map, rng, 6) for _ in range(50)])
    d = mirror_map.divergence(x, y)
    assert d.shape == (50,) and np.all(d > 0.0)
    np.testing.assert_allclose(mirror_map.divergence(x, x), 0.0, atol=1e-12)
    np.testing.assert_allclose(MirrorMap.divergence(mirror_map, x, y), d, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("mirror_map", ALL_MAPS, ids=lambda m: repr(m))
def test_gradient_maps_are_inverse_and_grad_is_derivative_of_phi(mirror_map: MirrorMap) -> None:
    rng = np.random.default_rng(12)
    x = _interior_point(mirror_map, rng, 5)
    np.testing.assert_allclose(mirror_map.grad_conjugate(mirror_map.grad(x)), x, atol=1e-12)
    h = 1e-6
    numeric = [(mirror_map.phi(x + h * e) - mirror_map.phi(x - h * e)) / (2 * h) for e in np.eye(5)]
    np.testing.assert_allclose(mirror_map.grad(x), numeric, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- (e) relaxation


@pytest.mark.parametrize("mirror_map", ALL_MAPS, ids=lambda m: repr(m))
@pytest.mark.parametrize("form", ["dual", "gradient"])
def test_relaxation_one_is_plain_mirror_descent(mirror_map: MirrorMap, form: str) -> None:
    rng = np.random.default_rng(13)
    x0 = _interior_point(mirror_map, rng, 5)
    grads = rng.normal(size=(100, 5))
    learner = BregmanLearner(mirror_map, InverseSqrtStep(0.3), x0, ConstantStep(1.0), form=form)
    x = x0
    for n, g in enumerate(grads, start=1):
        x = mirror_step(mirror_map, x, g, 0.3 / math.sqrt(n))
        np.testing.assert_array_equal(learner.update(g), x)
    assert learner.n == 100


@pytest.mark.parametrize(
    "mirror_map",
    [Euclidean(), EntropicSimplex(), FermiDiracBox(-1.0, 2.0), PNorm(1.5)],
    ids=lambda m: repr(m),
)
def test_dual_relaxation_is_step_scaling_when_projection_absorbs_overshoot(
    mirror_map: MirrorMap,
) -> None:
    rng = np.random.default_rng(14)
    x = _interior_point(mirror_map, rng, 5)
    for _ in range(30):
        g = rng.normal(size=5)
        dual = relaxed_step(mirror_map, x, g, 0.05, 3.0, form="dual")
        grad_form = relaxed_step(mirror_map, x, g, 0.05, 3.0, form="gradient")
        np.testing.assert_allclose(dual, grad_form, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(dual, mirror_step(mirror_map, x, g, 0.15), rtol=1e-9)
        x = dual


@pytest.mark.parametrize("mirror_map", [EuclideanBox(0.0, 1.0), EuclideanSimplex()], ids=repr)
def test_euclidean_over_relaxation_equals_step_scaling_on_box_and_simplex(
    mirror_map: MirrorMap,
) -> None:
    # for these polyhedra the outer projection undoes the normal-cone overshoot when lambda >= 1
    rng = np.random.default_rng(16)
    for _ in range(200):
        x = _interior_point(mirror_map, rng, 4)
        g = rng.normal(size=4)
        lam = rng.uniform(1.0, 5.0)
        np.testing.assert_allclose(
            relaxed_step(mirror_map, x, g, 0.2, lam, form="dual"),
            relaxed_step(mirror_map, x, g, 0.2, lam, form="gradient"),
            atol=1e-12,
        )


def test_dual_and_gradient_forms_differ_for_euclidean_under_relaxation() -> None:
    x = np.array([0.05, 0.5, 0.95])
    g = np.array([1.0, 0.0, -1.0])
    box = EuclideanBox(0.0, 1.0)
    np.testing.assert_allclose(relaxed_step(box, x, g, 0.1, 1.0), [0.0, 0.5, 1.0])  # T x
    np.testing.assert_allclose(relaxed_step(box, x, g, 0.1, 0.5, "dual"), [0.025, 0.5, 0.975])
    np.testing.assert_allclose(relaxed_step(box, x, g, 0.1, 0.5, "gradient"), [0.0, 0.5, 1.0])


# ----------------------------------------------------------------------------- learner state


def test_state_dict_json_round_trip_continues_identically() -> None:
    rng = np.random.default_rng(15)
    learner = BregmanLearner(
        FermiDiracBox(0.0, 2.0), RobbinsMonroStep(0.5, a=0.8, n0=3.0), np.full(4, 1.0), 2.5
    )
    for g in rng.normal(size=(10, 4)):
        learner.update(g)
    clone = BregmanLearner.from_state(json.loads(json.dumps(learner.state_dict())))
    assert clone.n == 10 and clone.mirror_map == learner.mirror_map
    for g in rng.normal(size=(10, 4)):
        np.testing.assert_array_equal(clone.update(g), learner.update(g))


def test_x_is_a_read_only_copy() -> None:
    learner = BregmanLearner(EntropicSimplex(), 0.1, np.full(3, 1.0 / 3))
    learner.x[0] = 5.0
    np.testing.assert_array_equal(learner.x, np.full(3, 1.0 / 3))


@pytest.mark.parametrize("mirror_map", ALL_MAPS, ids=lambda m: repr(m))
def test_serialisation_of_maps(mirror_map: MirrorMap) -> None:
    assert mirror_map_from_dict(json.loads(json.dumps(mirror_map.to_dict()))) == mirror_map


def test_schedules_values_and_serialisation() -> None:
    schedules = [ConstantStep(0.3), InverseSqrtStep(2.0), RobbinsMonroStep(1.0, 0.75, 4.0)]
    assert [s(4) for s in schedules] == [0.3, 1.0, 1.0 / 8.0**0.75]
    for s in schedules:
        assert schedule_from_dict(json.loads(json.dumps(s.to_dict()))) == s


# ----------------------------------------------------------------------------- (f) bad arguments


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: ConstantStep(-0.1), "step constant c must be a finite number > 0"),
        (lambda: InverseSqrtStep(0.0), "step constant c must be a finite number > 0"),
        (lambda: RobbinsMonroStep(1.0, a=0.5), "1/2 < a <= 1"),
        (lambda: RobbinsMonroStep(1.0, a=1.0, n0=-1.0), "n0 must be finite and >= 0"),
        (lambda: ConstantStep(1.0)(0), "integer >= 1"),
        (lambda: PNorm(1.0), "p must be a finite number > 1"),
        (lambda: EuclideanBox(1.0, 1.0), "finite lo < hi"),
        (lambda: EuclideanSimplex(radius=0.0), "radius must be"),
        (lambda: BregmanLearner(Euclidean(), -1.0, np.zeros(3)), "step must be"),
        (lambda: BregmanLearner(Euclidean(), 0.1, np.zeros(3), 0.0), "relaxation must be"),
        (lambda: BregmanLearner(Euclidean(), 0.1, np.zeros(3), -2.0), "relaxation must be"),
        (lambda: BregmanLearner(Euclidean(), 0.1, np.zeros((2, 3))), "x0 must be 1-D"),
        (lambda: BregmanLearner(Euclidean(), 0.1, 1.0), "x0 must be an array"),
        (lambda: BregmanLearner(Euclidean(), 0.1, [np.nan, 1.0]), "x0 must be finite"),
        (lambda: BregmanLearner(EntropicSimplex(), 0.1, [0.5, 0.6]), "must sum to 1"),
        (lambda: BregmanLearner(EntropicSimplex(), 0.1, [1.0, 0.0]), "must be > 0"),
        (lambda: BregmanLearner(FermiDiracBox(), 0.1, [0.5, 1.0]), "strictly inside"),
        (lambda: BregmanLearner(Euclidean(), 0.1, [0.0], form="primal"), "form must be"),
        (lambda: BregmanLearner(Euclidean(), 0.1, [0.0]).update([1.0, 2.0]), "shape of x"),
        (lambda: BregmanLearner(Euclidean(), 0.1, [0.0]).update([np.inf]), "grad must be"),
        (lambda: mirror_step(Euclidean(), [0.0], [1.0], -0.5), "step must be"),
        (lambda: relaxed_step(Euclidean(), [0.0], [1.0], 0.5, 0.0), "relaxation must be"),
        (lambda: mirror_map_from_dict({"kind": "hyperbolic"}), "unknown mirror map kind"),
        (lambda: BregmanLearner.from_state({"n": 0}), "missing keys"),
    ],
)
def test_bad_arguments_raise_value_error(make, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make()


def test_iteration_is_deterministic_given_generator() -> None:
    def oracle(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(size=x.shape)

    runs = [
        stochastic_bregman_iteration(
            EntropicSimplex(), oracle, np.full(4, 0.25), 50, 0.1, 2.5, rng=np.random.default_rng(7)
        )
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])


# ----------------------------------------------------------------------------- experiment


def test_experiment_least_squares_instance_satisfies_kkt() -> None:
    from analysis.relaxation_experiment import sparse_simplex_least_squares

    a, b, x_star = sparse_simplex_least_squares(np.random.default_rng(0), dim=8, support=3)
    grad = a.T @ (a @ x_star - b) / len(b)
    assert x_star.min() >= 0.0 and math.isclose(x_star.sum(), 1.0)
    np.testing.assert_allclose(grad[x_star > 0], 0.0, atol=1e-12)
    assert np.all(grad[x_star == 0] > 0.0)


def test_experiment_smoke(tmp_path) -> None:
    from analysis.relaxation_experiment import run_relaxation_experiment

    curves = run_relaxation_experiment(tmp_path, seeds=2, n_iter=20, relaxations=(1.0, 3.0))
    for name in ("relaxation_curves.csv", "relaxation_summary.csv", "relaxation_experiment.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert set(curves["problem"]) == {"least_squares", "experts_stochastic", "experts_alternating"}
    assert np.all(np.isfinite(curves["value"]))
    assert curves.loc[curves["problem"] == "least_squares", "value"].min() >= -1e-12
    with pytest.raises(ValueError, match="must include the baseline 1.0"):
        run_relaxation_experiment(tmp_path, seeds=2, n_iter=20, relaxations=(2.0,))
