"""Policy comparison: policies x seeds in parallel, summarised with confidence intervals.

``compare_policies`` is the one Python call: it runs every policy on every seed (a sweep with
no axes, so it resumes from ``out_dir`` the same way) and returns the tidy summary of
:func:`summarize`. One row per (sweep parameters, policy, KPI) with

- ``n`` runs that finished (``n_failed`` did not), ``mean``, ``std`` and the Student-t
  ``ci_low``/``ci_high`` of the mean across seeds;
- ``delta`` = policy - baseline, paired by seed (same traces), with its own interval, and
  ``delta_pct`` = delta / |baseline mean| x 100;
- KPI rows ``regret_usd`` = oracle benefit - policy benefit and ``regret_bound_usd`` = the
  oracle's bound (KPI ``oracle_bound_usd``) - policy benefit (paired by seed) wherever the
  ``oracle`` policy ran at the same point. The bound is what no policy can beat, so
  ``regret_bound_usd`` >= 0 always; ``regret_usd`` can dip below 0 only inside the oracle's
  MIP gap (1e-4 on the loss) or where the oracle's own plan was clipped. On runs too long for
  the exact MILP the oracle's bound is the whole-run LP relaxation and its plan a feasible
  sub-MIP (KPI ``oracle_bound_exact`` = 0, see :mod:`policies.oracle_bound`): ``regret_usd``
  is then against a good plan, not the optimum, and ``regret_bound_usd`` is the one to quote.

Units are those of the KPIs (USD, tCO2, MWh, shares 0..1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from analysis.executors import Executor
from analysis.sweep import SweepResult, run_sweep
from analysis.sweep_spec import SweepSpec, parse_spec
from analysis.sweep_store import param_columns
from simulator.errors import SweepSpecError

REGRET = "regret_usd"
REGRET_BOUND = "regret_bound_usd"
BOUND = "oracle_bound_usd"
BENEFIT = "total_benefit_usd"
META_COLUMNS = ("key", "point", "policy", "seed", "scenario", "status", "error", "wall_s")
SUMMARY_COLUMNS = ("policy", "kpi", "n", "n_failed", "mean", "std", "ci_low", "ci_high",
                   "baseline", "delta", "delta_ci_low", "delta_ci_high", "delta_pct")


# ---- statistics ------------------------------------------------------------------------------
def t_quantile(p: float, df: float) -> float:
    """Quantile of Student's t with ``df`` degrees of freedom (``scipy.stats.t``)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"t quantile: p must be in (0, 1), got {p}")
    return float(student_t.ppf(p, df))


def _half_width(std: pd.Series, n: pd.Series, confidence: float) -> pd.Series:
    """Half-width of the t interval of a mean; NaN where n < 2."""
    q = {int(k): t_quantile(0.5 + confidence / 2.0, k - 1) for k in n.unique() if k >= 2}
    factor = n.map(lambda k: q.get(int(k), math.nan)).astype(float)
    return factor * std / np.sqrt(n.astype(float))


# ---- summaries -------------------------------------------------------------------------------
def kpi_columns(table: pd.DataFrame) -> list[str]:
    """Numeric KPI columns of a results table (not parameters, metadata or timings)."""
    skip = set(META_COLUMNS) | set(param_columns(table))
    return [c for c in table.columns if c not in skip and pd.api.types.is_numeric_dtype(
        table[c]) and not pd.api.types.is_bool_dtype(table[c]) and table[c].notna().any()]


def policy_regret(table: pd.DataFrame, oracle: str = "oracle") -> pd.DataFrame:
    """``table`` (one row per policy, indexed by name, one scenario and seed) with
    ``regret_usd`` = oracle benefit - benefit and ``regret_bound_usd`` = oracle bound -
    benefit (USD), where the oracle ran; the per-point, per-seed form is :func:`add_regret`."""
    if oracle in table.index:
        table[REGRET] = table.loc[oracle, BENEFIT] - table[BENEFIT]
        if BOUND in table:
            table[REGRET_BOUND] = table.loc[oracle, BOUND] - table[BENEFIT]
    return table


def add_regret(table: pd.DataFrame, oracle: str = "oracle") -> pd.DataFrame:
    """Copy with ``regret_usd`` = oracle benefit - benefit and ``regret_bound_usd`` = oracle
    bound - benefit at the same point and seed (USD)."""
    out = table.copy()
    if REGRET in out or oracle not in set(out["policy"]) or BENEFIT not in out:
        return out
    ok = out[out["status"] == "ok"]
    index = pd.MultiIndex.from_frame(out[["point", "seed"]])
    for name, column in ((REGRET, BENEFIT), (REGRET_BOUND, BOUND)):
        if column not in ok:
            continue
        best = ok[ok["policy"] == oracle].set_index(["point", "seed"])[column]
        out[name] = best.reindex(index).to_numpy() - out[BENEFIT].to_numpy()
        out.loc[out["status"] != "ok", name] = np.nan
    return out


def summarize(table: pd.DataFrame, *, baseline: str | None = None, oracle: str = "oracle",
              confidence: float = 0.95, kpis: Sequence[str] | None = None,
              policies: Sequence[str] | None = None) -> pd.DataFrame:
    """Tidy summary of a results table, per sweep point (its parameters) and policy.

    ``baseline`` (default: the first policy) is the policy deltas are taken against;
    ``policies`` fixes the row order (default: sorted).
    """
    if not 0.0 < confidence < 1.0:
        raise SweepSpecError(f"confidence: must be in (0, 1), got {confidence}")
    order = list(policies) if policies is not None else sorted(set(table["policy"]))
    baseline = baseline if baseline is not None else order[0]
    if baseline not in order:
        raise SweepSpecError(f"baseline: '{baseline}' is not among the policies "
                         f"({', '.join(order)})")
    by = param_columns(table)
    table = add_regret(table, oracle)
    names = list(kpis) if kpis is not None else kpi_columns(table)
    missing = [k for k in names if k not in table]
    if missing:
        raise SweepSpecError(f"kpis: no column {', '.join(map(repr, missing))} in the results")
    groups = table[[*by, "point"]].drop_duplicates("point").set_index("point")
    ok = table[table["status"] == "ok"]
    long = ok.melt(id_vars=["point", "policy", "seed"], value_vars=names, var_name="kpi",
                   value_name="value").dropna(subset=["value"])
    keys = ["point", "policy", "kpi"]
    stats = long.groupby(keys, sort=False)["value"].agg(["count", "mean", "std"])
    half = _half_width(stats["std"], stats["count"], confidence)
    stats["ci_low"], stats["ci_high"] = stats["mean"] - half, stats["mean"] + half
    base = long[long["policy"] == baseline].drop(columns="policy")
    pairs = long.merge(base, on=["point", "seed", "kpi"], suffixes=("", "_base"))
    pairs["delta"] = pairs["value"] - pairs["value_base"]
    dstats = pairs.groupby(keys, sort=False)["delta"].agg(["count", "mean", "std"])
    dhalf = _half_width(dstats["std"], dstats["count"], confidence)
    stats["delta"] = dstats["mean"]
    stats["delta_ci_low"] = dstats["mean"] - dhalf
    stats["delta_ci_high"] = dstats["mean"] + dhalf
    base_mean = stats.xs(baseline, level="policy")["mean"]
    stats = stats.reset_index()
    bm = stats.merge(base_mean.rename("base_mean").reset_index(), on=["point", "kpi"],
                     how="left")["base_mean"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        stats["delta_pct"] = np.where(np.abs(bm) > 0, stats["delta"] / np.abs(bm) * 100,
                                      np.nan)
    failed = table[table["status"] != "ok"].groupby(["point", "policy"]).size()
    stats["n_failed"] = [int(failed.get((p, q), 0)) for p, q in
                         zip(stats["point"], stats["policy"], strict=True)]
    stats["n"] = stats.pop("count").astype(int)
    stats["baseline"] = baseline
    stats = stats.join(groups, on="point")
    stats["policy"] = pd.Categorical(stats["policy"], categories=order, ordered=True)
    stats["kpi"] = pd.Categorical(stats["kpi"], categories=list(dict.fromkeys(
        [*names, REGRET, REGRET_BOUND])), ordered=True)
    stats = stats.sort_values(["point", "policy", "kpi"], kind="stable")
    stats["policy"] = stats["policy"].astype(str)
    stats["kpi"] = stats["kpi"].astype(str)
    return stats[[*by, "point", *SUMMARY_COLUMNS]].reset_index(drop=True)


# ---- running ---------------------------------------------------------------------------------
def comparison_spec(scenario: str | Path, policies: Sequence[str],
                    seeds: Sequence[int] | None = None, *, forecast: str | None = None,
                    check: bool = True, save_runs: bool = False,
                    policy_options: dict[str, dict[str, Any]] | None = None,
                    updates: dict[str, Any] | None = None) -> SweepSpec:
    """The sweep (no axes) that a comparison runs; ``updates`` are fixed dotted-path changes
    of the scenario (e.g. ``{"hours": 48}``)."""
    return parse_spec(dict(name=f"compare-{Path(str(scenario)).stem}", scenario=str(scenario),
                           policies=list(policies), seeds=None if seeds is None else list(seeds),
                           forecast=forecast, check=check, save_runs=save_runs,
                           policy_options=policy_options or {}, set=updates or {}),
                      source=f"compare {scenario}")


def run_comparison(scenario: str | Path, policies: Sequence[str],
                   seeds: Sequence[int] | None = None, *, executor: Executor | None = None,
                   out_dir: str | Path | None = None, forecast: str | None = None,
                   check: bool = True, save_runs: bool = False,
                   policy_options: dict[str, dict[str, Any]] | None = None,
                   data_dir: str | Path | None = None, retry_failed: bool = False,
                   progress: bool = False) -> SweepResult:
    """Run policies x seeds (resuming from ``out_dir`` if given); the raw per-run table."""
    spec = comparison_spec(scenario, policies, seeds, forecast=forecast, check=check,
                           save_runs=save_runs, policy_options=policy_options)
    return run_sweep(spec, out_dir, executor, retry_failed=retry_failed, data_dir=data_dir,
                     progress=progress)


def compare_policies(scenario: str | Path, policies: Sequence[str],
                     seeds: Sequence[int] | None = None, *, baseline: str | None = None,
                     oracle: str = "oracle", confidence: float = 0.95,
                     kpis: Sequence[str] | None = None, executor: Executor | None = None,
                     out_dir: str | Path | None = None, **kwargs: Any) -> pd.DataFrame:
    """Run ``policies`` on ``seeds`` of a scenario; the tidy summary (see module docstring).

    ``seeds`` None runs the scenario's own seed; ``baseline`` defaults to the first policy;
    other keyword arguments go to :func:`run_comparison`.
    """
    done = run_comparison(scenario, policies, seeds, executor=executor, out_dir=out_dir,
                          **kwargs)
    return summarize(done.table, baseline=baseline, oracle=oracle, confidence=confidence,
                     kpis=kpis, policies=policies)
