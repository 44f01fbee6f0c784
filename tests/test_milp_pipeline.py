"""The solve pipeline's shortcuts against the plain relaxation: column generation must reach the
LP bound of every start column, the shifted warm basis must not change any LP optimum, and a
round-and-fix plan must be certified by that bound and fit the GPUs."""

from __future__ import annotations

import numpy as np
import pytest

from gridshift.api import build_traces
from gridshift.overrides import resolve_scenario
from optimizers.milp import JointModel, from_traces
from optimizers.milp.solve import relative_gap
from simulator.system import build_system

HOURS = (30, 31, 32, 33, 34, 35)  # a busy stretch of the `default` week, re-planned hourly


def _full_lp(model: JointModel) -> float:
    """The LP relaxation with every candidate start column, solved cold in a fresh HiGHS."""
    block = model._job_block
    block.add(np.ones(len(block.keys), dtype=bool))
    with model.solver.relaxed(model._binary_columns()):
        model.solver.highs.clearSolver()
        model.solver.begin(model._gap_scale)
        return model.solver.run(lp=True).incumbent


@pytest.fixture(scope="module")
def rolled() -> list[tuple[JointModel, object, object]]:
    scenario = resolve_scenario("default", days=3.0)
    system, traces = build_system(scenario), build_traces(scenario)
    model = JointModel(system, horizon=24)
    out = []
    for t0 in HOURS:
        data = from_traces(system, traces, t0=t0, horizon=24)
        model.update(data)
        out.append((t0, data, model.solve()))
    return [(model, system, traces), *out]


def test_column_generation_reaches_the_full_lp_bound(rolled) -> None:
    (model, system, traces), *steps = rolled
    phases = [plan.stats.phase for _t0, _data, plan in steps]
    assert "round" in phases  # the LP was fractional somewhere, and rounding certified it
    fresh = JointModel(system, horizon=24)
    for _t0, data, plan in steps:
        fresh.update(data)
        full = _full_lp(fresh)
        assert plan.stats.bound >= full - 1e-6 * max(1.0, abs(full))  # a valid bound ...
        if plan.stats.phase in ("lp", "round"):  # ... and, priced out, the LP bound itself
            assert plan.stats.bound == pytest.approx(full, rel=1e-7, abs=1e-4)
        assert len(plan.starts) <= len(data.jobs)
    assert model._job_block.present.sum() < len(model._job_block.keys)  # columns were left out


def test_rounded_plans_are_certified_and_fit_the_gpus(rolled) -> None:
    (model, system, _traces), *steps = rolled
    for _t0, data, plan in steps:
        stats = plan.stats
        assert relative_gap(stats.bound, stats.incumbent, model._gap_scale) <= 0.01
        held = data.fixed_gpus.copy()
        jobs = {job.job_id: job for job in data.jobs}
        for job_id, site, hour in plan.starts:
            slot = hour - data.t0
            held[slot:slot + jobs[job_id].duration_h, site] += jobs[job_id].gpus
        assert np.all(held <= system.gpus + 1e-9)
        assert np.all(plan.busy <= system.gpus + 1e-6)
