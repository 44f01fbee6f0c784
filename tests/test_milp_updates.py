"""The persistent model's hourly data path: numpy writes (AffineUpdates) and the numpy job block
leave HiGHS with the same model as Pyomo's own parameter walk and a fresh build."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from gridshift.api import build_traces
from optimizers.milp import JointModel, from_traces
from simulator.scenario import parse_scenario
from simulator.system import build_system
from tests.conftest import tiny_dict


def _lp(model: JointModel) -> dict[str, np.ndarray]:
    lp = model.solver.highs.getLp()
    a = lp.a_matrix_
    matrix = sparse.csc_matrix((np.array(a.value_), np.array(a.index_), np.array(a.start_)),
                               shape=(lp.num_row_, lp.num_col_)).toarray()
    return {"cost": np.array(lp.col_cost_), "col_lower": np.array(lp.col_lower_),
            "col_upper": np.array(lp.col_upper_), "row_lower": np.array(lp.row_lower_),
            "row_upper": np.array(lp.row_upper_), "matrix": matrix,
            "offset": np.array([lp.offset_]),
            "integer": np.array([int(kind) for kind in lp.integrality_])}


def _data(system, traces, t0: int):
    return from_traces(system, traces, t0=t0, horizon=8)


def test_hourly_updates_match_pyomo_and_a_fresh_build() -> None:
    scenario = parse_scenario(tiny_dict(hours=16, seed=5), source="tiny16")
    system, traces = build_system(scenario), build_traces(scenario)
    rolled = JointModel(system, horizon=8)
    for t0 in (0, 3, 5):  # the job set and every Param change between these hours
        rolled.update(_data(system, traces, t0))
    fresh = JointModel(system, horizon=8)
    fresh.update(_data(system, traces, 5))
    ours = _lp(rolled)
    assert len(rolled._y_columns) > 0
    for name, expected in _lp(fresh).items():
        np.testing.assert_allclose(ours[name], expected, err_msg=name)
    for (_name, group) in rolled._params.items():  # Pyomo's own walk from the same values
        for position, item in zip(group.positions, _param_items(rolled, _name), strict=True):
            item.value = float(rolled.solver.updates.values[position])
    rolled.solver._opt.update_parameters()
    walked = _lp(rolled)
    for name in ours:
        np.testing.assert_allclose(walked[name], ours[name], err_msg=name)
    assert rolled.solve().benefit_usd == fresh.solve().benefit_usd


def _param_items(model: JointModel, name: str) -> list:
    param = getattr(model.m, name)
    return [param[k] for k in param]
