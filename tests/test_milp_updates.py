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
    return _lp_of(model.solver.highs)


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
    for model in (rolled, fresh):  # every candidate start column, as the full MIP has them
        model._job_block.add(np.ones(len(model._job_block.keys), dtype=bool))
    ours = _lp(rolled)
    assert rolled._job_block.present.any()
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


def _small_highs(rowwise: bool):
    """A 3-column, 2-row MIP with an integer column, costs, bounds and an objective offset."""
    import highspy

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.addVars(3, np.zeros(3), np.array([1.0, 4.0, 2.0]))
    highs.changeColsCost(3, np.arange(3, dtype=np.int32), np.array([1.0, -2.0, 0.5]))
    highs.changeObjectiveOffset(7.0)
    if rowwise:
        highs.addRows(2, np.zeros(2), np.array([3.0, 5.0]), 3, np.array([0, 2], dtype=np.int32),
                      np.array([0, 1, 2], dtype=np.int32), np.array([1.0, 2.0, 0.5]))
    else:
        highs.addRows(2, np.zeros(2), np.array([3.0, 5.0]), 0, np.zeros(0, dtype=np.int32),
                      np.zeros(0, dtype=np.int32), np.zeros(0))
        for col, row, val in ((0, 0, 1.0), (1, 0, 2.0), (2, 1, 0.5)):
            highs.changeCoeff(row, col, val)
    highs.changeColsIntegrality(1, np.array([1], dtype=np.int32),
                                np.array([highspy.HighsVarType.kInteger]))
    return highs


def test_one_pass_coefficient_write_matches_one_call_per_coefficient() -> None:
    """replace_coefficients (the first push) leaves HiGHS with the same model as one
    changeCoeff per coefficient: an existing entry changed, one set to zero, new ones inserted,
    costs, bounds, integrality and offset kept."""
    from optimizers.milp.updates import replace_coefficients

    at = np.array([[0, 1], [1, 2], [1, 0], [0, 2]], dtype=np.int32)
    values = np.array([-3.0, 0.0, 4.5, 1.25])
    for rowwise in (True, False):
        ours, theirs = _small_highs(rowwise), _small_highs(rowwise)
        replace_coefficients(ours, at, values)
        for (row, col), val in zip(at.tolist(), values.tolist(), strict=True):
            theirs.changeCoeff(row, col, val)
        mine, reference = _lp_of(ours), _lp_of(theirs)
        for name, expected in reference.items():
            np.testing.assert_allclose(mine[name], expected, err_msg=name)
        assert mine["integer"].tolist() == [0, 1, 0]
        np.testing.assert_allclose(mine["matrix"], [[1.0, -3.0, 1.25], [4.5, 0.0, 0.0]])
        ours.run()
        theirs.run()
        assert ours.getInfo().objective_function_value == \
            theirs.getInfo().objective_function_value


def _lp_of(highs) -> dict[str, np.ndarray]:
    lp = highs.getLp()
    a = lp.a_matrix_
    arrays = (np.array(a.value_), np.array(a.index_), np.array(a.start_))
    shape = (lp.num_row_, lp.num_col_)
    matrix = (sparse.csr_matrix(arrays, shape=shape) if a.format_.name == "kRowwise"
              else sparse.csc_matrix(arrays, shape=shape)).toarray()
    return {"cost": np.array(lp.col_cost_), "col_lower": np.array(lp.col_lower_),
            "col_upper": np.array(lp.col_upper_), "row_lower": np.array(lp.row_lower_),
            "row_upper": np.array(lp.row_upper_), "matrix": matrix,
            "offset": np.array([lp.offset_]),
            "integer": np.array([int(kind) for kind in lp.integrality_])}
