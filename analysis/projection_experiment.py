"""Does relaxation lambda > 2 accelerate relaxed Bregman projections? Two measurements.

* **Synthetic feasibility** (known solution): weights ``w*`` in the simplex's interior, slabs
  ``|<w, f_i> - y_i| <= eps`` with ``y_i = <w*, f_i>`` (so w* is feasible); each step projects
  onto one slab drawn at random (the same draws for every lambda). Metric: the Bregman
  divergence ``D(w*, x_n)`` (Fejer quantity) and the worst slab violation after n steps, for
  fixed lambdas and for ``mu x lambda_max`` (per projection; entropic lambda_max may exceed 2).
* **Corrector on real traces**: :class:`~traces.correction_projection.ProjectionCorrector`
  on real 2022 carbon intensity (8 zones), day-ahead MAE per lambda.

``python -m analysis.projection_experiment --out DIR [--real]`` writes CSVs and prints tables.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from optimizers.bregman_projection import lambda_max, project_slab
from simulator.traceset import TraceSet
from traces.correction import DEFAULT_BASE, CorrectionSettings
from traces.correction_projection import PROJECTION_GEOMETRIES, ProjectionCorrector
from traces.forecast import make_forecaster
from traces.forecast_scoring import ErrorAccumulator, error_metrics

RELAXATIONS: tuple[float, ...] = (0.5, 1.0, 1.5, 1.9, 2.5, 3.0)
FRACTIONS: tuple[float, ...] = (0.5, 0.9, 0.99)


def divergence(geometry: str, z: np.ndarray, x: np.ndarray) -> float:
    """``D(z, x)``: KL for entropic, half squared distance for Euclidean."""
    if geometry == "entropic":
        return float(np.sum(z * np.log(z / x)))
    return float(0.5 * np.sum((z - x) ** 2))


def synthetic_feasibility(geometry: str, dim: int = 10, sets: int = 200, eps: float = 0.002,
                          steps: int = 2000, runs: int = 5, seed: int = 0,
                          relaxations: Sequence[float] = RELAXATIONS,
                          fractions: Sequence[float] = FRACTIONS, every: int = 50
                          ) -> pd.DataFrame:
    """Divergence to the known solution and worst violation every ``every`` steps, per
    relaxation (``lambda=v``) and fraction of lambda_max (``mu=v``), per run."""
    rows = []
    for run in range(runs):
        rng = np.random.default_rng([seed, run])
        w_star = rng.dirichlet(np.full(dim, 2.0))
        f = rng.uniform(0.0, 1.0, (sets, dim))
        y = f @ w_star
        order = rng.integers(0, sets, steps)
        variants = [(f"lambda={v:g}", v, None) for v in relaxations] + \
                   [(f"mu={v:g}", None, v) for v in fractions]
        for label, lam, mu in variants:
            x = np.full(dim, 1.0 / dim)
            used = []
            for n, i in enumerate(order, start=1):
                e = np.asarray(eps)
                step_lam = lam
                if mu is not None:
                    lm = float(lambda_max(geometry, x, f[i], np.asarray(y[i]), e))
                    step_lam = mu * lm if np.isfinite(lm) else 1.0
                    if np.isfinite(lm):
                        used.append(step_lam)
                x = project_slab(geometry, x, f[i], np.asarray(y[i]), e, step_lam)
                if n % every == 0:
                    viol = np.maximum(np.abs(f @ x - y) - eps, 0.0).max()
                    rows.append({"geometry": geometry, "variant": label, "run": run,
                                 "step": n, "divergence": divergence(geometry, w_star, x),
                                 "max_violation": viol,
                                 "mean_lambda": float(np.mean(used)) if used else lam})
    return pd.DataFrame(rows)


def real_corrector(traces: TraceSet, signal: str = "carbon", eps: float = 0.25,
                   relaxations: Sequence[float] = RELAXATIONS,
                   fractions: Sequence[float] = FRACTIONS) -> pd.DataFrame:
    """Day-ahead MAE (signal units) of the projection correctors per relaxation variant (inf
    where the weights diverged)."""
    truth = traces.signal(signal)
    settings = CorrectionSettings()
    rows = []
    for kind in PROJECTION_GEOMETRIES:
        variants = [(f"lambda={v:g}", v, None) for v in relaxations] + \
                   [(f"mu={v:g}", 1.0, v) for v in fractions]
        for label, lam, mu in variants:
            bases = [make_forecaster(b, truth, signal=signal) for b in DEFAULT_BASE]
            corr = ProjectionCorrector(kind, bases, settings, 24, eps, lam, mu)
            acc = ErrorAccumulator((*corr.experts, kind), 24, truth.shape[1])
            corr.observers.append(acc.add_event)
            for row in range(traces.history_hours, len(truth)):
                corr.issue(truth[:row], row, 24)
            sums = acc.frame(traces.sites)
            mae = error_metrics(sums[sums["method"] == kind], ["method"])["mae"].iloc[0]
            if not np.isfinite(corr.weights).all():
                mae = float("inf")  # the weights diverged
            used = float(np.mean(corr.lambda_used)) if corr.lambda_used else lam
            rows.append({"signal": signal, "corrector": kind, "variant": label,
                         "mean_lambda": used, "mae_1_24h": mae})
    return pd.DataFrame(rows)


def summarize(curves: pd.DataFrame, at: Sequence[int] = (200, 2000), tol: float = 1e-6
              ) -> pd.DataFrame:
    """Per geometry and variant (means over runs): the relaxation used, the divergence to the
    known solution and the worst violation at selected steps, and the first recorded step
    with every slab satisfied to ``tol`` (NaN: never)."""
    keys = ["geometry", "variant"]
    hit = curves[curves["max_violation"] <= tol].groupby([*keys, "run"], sort=False)["step"].min()
    runs = curves.groupby(keys, sort=False)["run"].nunique()
    solved = hit.groupby(level=keys, sort=False).agg(["mean", "count"])
    out = curves.groupby(keys, sort=False)["mean_lambda"].last().to_frame()
    for n in at:
        at_n = curves[curves["step"] == n].groupby(keys, sort=False)[
            ["divergence", "max_violation"]].mean()
        out[f"divergence@{n}"] = at_n["divergence"]
        out[f"violation@{n}"] = at_n["max_violation"]
    out["steps_to_feasible"] = solved["mean"]
    out["runs_feasible"] = solved["count"].reindex(out.index).fillna(0).astype(int)
    out["runs"] = runs
    return out.reset_index()


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``--out DIR`` and ``--real`` (needs GRIDSHIFT_DATA_DIR)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("results/projection-experiment"))
    parser.add_argument("--real", action="store_true")
    parser.add_argument("--relaxations", default=",".join(map(str, RELAXATIONS)))
    parser.add_argument("--fractions", default=",".join(map(str, FRACTIONS)))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args(argv)
    lams = [float(v) for v in args.relaxations.split(",")]
    mus = [float(v) for v in args.fractions.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    curves = pd.concat([synthetic_feasibility(g, steps=args.steps, runs=args.runs,
                                              relaxations=lams, fractions=mus)
                        for g in ("euclidean", "entropic")])
    curves.to_csv(args.out / "synthetic_curves.csv", index=False)
    print(summarize(curves, at=(200, args.steps)).to_string(index=False), flush=True)
    if args.real:
        from analysis.forecast_tables import real_eval_traces

        table = real_corrector(real_eval_traces(), relaxations=lams, fractions=mus)
        table.to_csv(args.out / "real_corrector.csv", index=False)
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
