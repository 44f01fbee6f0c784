"""Relaxation experiment for the stochastic Bregman iteration (:mod:`optimizers.bregman`).

Relaxations ``lambda`` (default 0.5 ... 4, i.e. including super-relaxation ``lambda > 2``) x two
geometries on the probability simplex (Euclidean = projected SGD, entropic = exponentiated
gradient / Hedge) x independent runs, on three problems:

* ``least_squares``: stochastic least squares ``f(x) = mean((A x - b)^2) / 2`` over the simplex
  with a *sparse* minimiser ``x*`` known by construction (KKT conditions hold with strict
  complementarity); one sampled row per update; metric ``f(x_n) - f(x*)``.
* ``experts_stochastic``: prediction with expert advice, i.i.d. Bernoulli losses (one expert
  has mean 0.40, the others uniform in [0.45, 0.60]); metric: regret against the best fixed
  expert in hindsight after ``n`` rounds.
* ``experts_alternating``: two leading experts whose losses alternate 0/1 (the classical
  follow-the-leader trap) among experts with Bernoulli(0.75) losses; same regret metric.

Every run uses ``form="dual"`` relaxation with step constants from textbook rules (see
``docs/bregman.md``), so ``lambda = 1`` is the tuned baseline. Runs are seeded with
``numpy.random.default_rng([seed, stream, run])``: the problem instance is fixed per ``seed``
and the runs differ in their sampling noise only; all ``lambda`` see the same noise.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from optimizers.bregman import (
    ConstantStep,
    InverseSqrtStep,
    StepSchedule,
    stochastic_bregman_iteration,
)
from optimizers.mirror_maps import EntropicSimplex, EuclideanSimplex, MirrorMap

RELAXATIONS: tuple[float, ...] = (0.5, 1.0, 1.5, 1.9, 2.5, 3.0, 4.0)
GEOMETRIES: dict[str, MirrorMap] = {"euclidean": EuclideanSimplex(), "entropic": EntropicSimplex()}
PROBLEMS: tuple[str, ...] = ("least_squares", "experts_stochastic", "experts_alternating")
_METRIC = {
    "least_squares": "suboptimality f(x_n) - f(x*)",
    "experts_stochastic": "regret vs best expert",
    "experts_alternating": "regret vs best expert",
}


def sparse_simplex_least_squares(
    rng: np.random.Generator, dim: int = 20, rows: int = 200, support: int = 3, noise: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(A, b, x*)``: ``x*`` minimises ``mean((A x - b)^2) / 2`` over the simplex.

    ``x*`` has ``support`` positive entries. ``b`` is chosen so that the gradient at ``x*`` is
    ``c`` with ``c_i = 0`` on the support and ``c_i > 0`` off it (KKT with strict
    complementarity), plus residual noise orthogonal to the columns of ``A`` (std ``noise``),
    which leaves the full gradient unchanged but makes single-row gradients noisy at ``x*``.
    """
    a = rng.normal(size=(rows, dim))
    x_star = np.zeros(dim)
    x_star[:support] = rng.dirichlet(np.ones(support))
    c = np.zeros(dim)
    c[support:] = rng.uniform(0.05, 0.2, dim - support)
    q, _ = np.linalg.qr(a)
    eta = rng.normal(size=rows)
    eps = eta - q @ (q.T @ eta)
    eps *= noise / np.std(eps)
    residual = rows * a @ np.linalg.solve(a.T @ a, c) + eps  # A^T residual / rows = c
    return a, a @ x_star - residual, x_star


def _checkpoints(n_iter: int, count: int = 30) -> np.ndarray:
    return np.unique(np.geomspace(1, n_iter, count).round().astype(int))


def _robust_sa_constant(geometry: str, grads: np.ndarray) -> float:
    """``c = sqrt(2) * D / M`` of robust stochastic approximation (Nemirovski et al. 2009).

    ``D^2 = max phi - min phi`` on the simplex (Euclidean ``(1 - 1/d) / 2``, entropic
    ``ln d``) and ``M^2`` the mean squared dual norm of the sampled gradients (``l2`` resp.
    ``l_inf``), evaluated at the start point over all rows.
    """
    d = grads.shape[-1]
    if geometry == "euclidean":
        spread, dual_norms = (1.0 - 1.0 / d) / 2.0, np.linalg.norm(grads, axis=-1)
    else:
        spread, dual_norms = math.log(d), np.max(np.abs(grads), axis=-1)
    return math.sqrt(2.0 * spread) / math.sqrt(float(np.mean(dual_norms**2)))


def _least_squares_runs(
    seed: int, runs: int, n_iter: int, relaxations: Sequence[float]
) -> list[pd.DataFrame]:
    a, b, x_star = sparse_simplex_least_squares(np.random.default_rng([seed, 0]))
    m, d = a.shape
    rows = np.stack(
        [np.random.default_rng([seed, 1, r]).integers(m, size=n_iter) for r in range(runs)]
    )
    x0 = np.full((runs, d), 1.0 / d)
    f_star = 0.5 * np.mean((a @ x_star - b) ** 2)
    keep = _checkpoints(n_iter)

    def oracle(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        idx = rows[:, n - 1]
        return a[idx] * (np.sum(a[idx] * x, axis=-1) - b[idx])[:, None]

    row_grads = a * (a @ x0[0] - b)[:, None]
    frames = []
    for geometry, mirror_map in GEOMETRIES.items():
        step = InverseSqrtStep(_robust_sa_constant(geometry, row_grads))
        for lam in relaxations:
            path = stochastic_bregman_iteration(
                mirror_map, oracle, x0, n_iter, step, lam, rng=np.random.default_rng(seed)
            )[keep]
            gap = 0.5 * np.mean((path @ a.T - b) ** 2, axis=-1) - f_star
            frames.append(_frame("least_squares", geometry, lam, keep, gap))
    return frames


def _expert_losses(problem: str, seed: int, run: int, n_iter: int, n_experts: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 2, run])
    if problem == "experts_stochastic":
        means = np.concatenate([[0.40], rng.uniform(0.45, 0.60, n_experts - 1)])
        return (rng.random((n_iter, n_experts)) < means).astype(float)
    losses = (rng.random((n_iter, n_experts)) < 0.75).astype(float)
    losses[:, :2] = 0.0
    losses[0, 0] = 0.5
    losses[1::2, 1] = 1.0
    losses[2::2, 0] = 1.0
    return losses


def _experts_runs(
    problem: str, seed: int, runs: int, n_iter: int, n_experts: int, relaxations: Sequence[float]
) -> list[pd.DataFrame]:
    losses = np.stack([_expert_losses(problem, seed, r, n_iter, n_experts) for r in range(runs)])
    best = np.min(np.cumsum(losses, axis=1), axis=-1)  # (runs, n_iter): best expert so far
    x0 = np.full((runs, n_experts), 1.0 / n_experts)
    keep = _checkpoints(n_iter)
    steps: dict[str, StepSchedule] = {
        "euclidean": ConstantStep(math.sqrt(2.0 / (n_experts * n_iter))),  # D / (G sqrt(T))
        "entropic": ConstantStep(math.sqrt(8.0 * math.log(n_experts) / n_iter)),
    }

    def oracle(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        return losses[:, n - 1]

    frames = []
    for geometry, mirror_map in GEOMETRIES.items():
        for lam in relaxations:
            path = stochastic_bregman_iteration(
                mirror_map,
                oracle,
                x0,
                n_iter,
                steps[geometry],
                lam,
                rng=np.random.default_rng(seed),
            )
            played = np.cumsum(np.sum(path[:-1].transpose(1, 0, 2) * losses, axis=-1), axis=1)
            regret = (played - best)[:, keep - 1]
            frames.append(_frame(problem, geometry, lam, keep, regret.T))
    return frames


def _frame(
    problem: str, geometry: str, lam: float, iterations: np.ndarray, values: np.ndarray
) -> pd.DataFrame:
    """Long table from ``values`` of shape ``(len(iterations), runs)``."""
    runs = values.shape[1]
    return pd.DataFrame(
        {
            "problem": problem,
            "geometry": geometry,
            "relaxation": lam,
            "seed": np.tile(np.arange(runs), len(iterations)),
            "iteration": np.repeat(iterations, runs),
            "value": values.ravel(),
        }
    )


def summarize_relaxation(curves: pd.DataFrame) -> pd.DataFrame:
    """Per problem, geometry and relaxation: metric early (n = T/10) and at the end (n = T).

    Columns ``early_mean``, ``final_mean``, ``final_std`` (across runs), ``final_median``,
    ``final_q25``, ``final_q75`` and ``final_vs_lambda1`` (``final_mean`` divided by the
    ``lambda = 1`` value of the same problem and geometry; < 1 means better than plain mirror
    descent).
    """
    n_iter = int(curves["iteration"].max())
    iters = np.sort(curves["iteration"].unique())
    early_iter = int(iters[np.argmin(np.abs(iters - n_iter / 10))])
    keys = ["problem", "geometry", "relaxation"]
    final = curves[curves["iteration"] == n_iter].groupby(keys)["value"]
    early = curves[curves["iteration"] == early_iter].groupby(keys)["value"]
    table = pd.DataFrame(
        {
            "early_iteration": early_iter,
            "early_mean": early.mean(),
            "final_mean": final.mean(),
            "final_std": final.std(ddof=1),
            "final_median": final.median(),
            "final_q25": final.quantile(0.25),
            "final_q75": final.quantile(0.75),
        }
    ).reset_index()
    baseline = table[table["relaxation"] == 1.0].set_index(["problem", "geometry"])["final_mean"]
    ref = table.set_index(["problem", "geometry"]).index.map(baseline)
    table["final_vs_lambda1"] = table["final_mean"].to_numpy() / np.asarray(ref, dtype=float)
    return table


def _plot(curves: pd.DataFrame, summary: pd.DataFrame, path: Path, n_experts: int) -> None:
    plt.switch_backend("Agg")
    sns.set_theme(style="whitegrid", context="paper")
    palette = dict(
        zip(
            sorted(curves["relaxation"].unique()),
            sns.color_palette("viridis", curves["relaxation"].nunique()),
            strict=True,
        )
    )
    fig, axes = plt.subplots(
        len(PROBLEMS), 4, figsize=(20, 4.2 * len(PROBLEMS)), layout="constrained"
    )
    n_iter = int(curves["iteration"].max())
    for row, problem in enumerate(PROBLEMS):
        sub = curves[curves["problem"] == problem]
        for col, geometry in enumerate(GEOMETRIES):
            ax = axes[row, col]
            bands = (
                sub[sub["geometry"] == geometry]
                .groupby(["relaxation", "iteration"])["value"]
                .quantile([0.25, 0.5, 0.75])
                .unstack()
            )
            for lam, band in bands.groupby(level="relaxation"):
                it = band.index.get_level_values("iteration")
                ax.plot(it, band[0.5], color=palette[lam], lw=1.3, label=f"{lam:g}")
                ax.fill_between(it, band[0.25], band[0.75], color=palette[lam], alpha=0.15, lw=0)
            if problem == "least_squares":
                ax.set_yscale("log")
            elif geometry == "entropic":
                eta = math.sqrt(8.0 * math.log(n_experts) / n_iter)
                t = np.linspace(1, n_iter, 200)
                ax.plot(
                    t, math.log(n_experts) / eta + eta * t / 8.0, "k--", lw=1, label="bound λ=1"
                )
            ax.set_xscale("log")
            ax.set_title(f"{problem}: {geometry} geometry (median, IQR band)")
            ax.set_xlabel("iteration n")
            ax.set_ylabel(_METRIC[problem])
            ax.legend(title="relaxation λ", fontsize=7, ncols=2)
        rows = summary[summary["problem"] == problem]
        for geometry, color in zip(GEOMETRIES, sns.color_palette("deep", 2), strict=True):
            g = rows[rows["geometry"] == geometry]
            lam = g["relaxation"].to_numpy()
            median = g["final_median"].to_numpy()
            spread = [median - g["final_q25"].to_numpy(), g["final_q75"].to_numpy() - median]
            axes[row, 2].errorbar(
                lam, median, yerr=spread, marker="o", capsize=3, color=color, label=geometry
            )
            axes[row, 3].plot(lam, g["final_std"], marker="o", color=color, label=geometry)
        axes[row, 2].set_title(f"{problem}: value at n = {n_iter} (median, IQR)")
        axes[row, 2].set_ylabel(_METRIC[problem])
        axes[row, 3].set_title(f"{problem}: std across runs at n = {n_iter}")
        axes[row, 3].set_ylabel(f"std of {_METRIC[problem].split(' f(')[0]}")
        for ax in axes[row, 2:]:
            if problem == "least_squares":
                ax.set_yscale("log")
            ax.axvline(1.0, color="grey", lw=0.8)
            ax.axvspan(2.0, max(summary["relaxation"]), color="grey", alpha=0.1, lw=0)
            ax.set_xlabel("relaxation λ (shaded: λ > 2)")
            ax.legend(title="geometry")
    fig.suptitle("Stochastic Bregman iteration: effect of the relaxation λ (dual form)")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run_relaxation_experiment(
    out_dir: Path,
    seeds: int = 10,
    n_iter: int = 2000,
    relaxations: Sequence[float] = RELAXATIONS,
    *,
    n_experts: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """Run the experiment; write ``relaxation_curves.csv``, ``relaxation_summary.csv`` and
    ``relaxation_experiment.png`` into ``out_dir``; return the long curves table.

    ``seeds`` independent runs per configuration, ``n_iter`` updates (rounds) each; ``seed``
    fixes the problem instances. Columns: problem, geometry, relaxation, seed (run index),
    iteration, value (suboptimality for least squares, regret for the expert problems).
    """
    if seeds < 2:
        raise ValueError(f"seeds must be >= 2 to measure variance across runs, got {seeds}")
    if n_iter < 10:
        raise ValueError(f"n_iter must be >= 10, got {n_iter}")
    if 1.0 not in relaxations:
        raise ValueError(f"relaxations must include the baseline 1.0, got {list(relaxations)}")
    if n_experts < 3:
        raise ValueError(f"n_experts must be >= 3, got {n_experts}")
    frames = _least_squares_runs(seed, seeds, n_iter, relaxations)
    for problem in PROBLEMS[1:]:
        frames += _experts_runs(problem, seed, seeds, n_iter, n_experts, relaxations)
    curves = pd.concat(frames, ignore_index=True)
    summary = summarize_relaxation(curves)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    curves.to_csv(out_dir / "relaxation_curves.csv", index=False)
    summary.to_csv(out_dir / "relaxation_summary.csv", index=False, float_format="%.6g")
    _plot(curves, summary, out_dir / "relaxation_experiment.png", n_experts)
    return curves


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry: ``python -m analysis.relaxation_experiment [--out-dir DIR] ...``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path("results/relaxation"))
    parser.add_argument("--seeds", type=int, default=10, help="independent runs per setting")
    parser.add_argument("--n-iter", type=int, default=2000, help="updates (rounds) per run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the problem instances")
    args = parser.parse_args(argv)
    curves = run_relaxation_experiment(args.out_dir, args.seeds, args.n_iter, seed=args.seed)
    with pd.option_context("display.width", 140, "display.max_rows", 100):
        print(summarize_relaxation(curves).to_string(index=False, float_format="%.4g"))
    print(f"wrote {args.out_dir}/relaxation_summary.csv, relaxation_curves.csv, .png")


if __name__ == "__main__":
    main()
