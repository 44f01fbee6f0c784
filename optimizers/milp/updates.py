"""Hourly parameter updates of the persistent model as numpy arithmetic (no expression walk).

Pyomo's persistent HiGHS interface keeps one helper per mutable coefficient, bound, right-hand
side and cost and re-evaluates each helper's Pyomo expression on every update (~0.1 s per hour at
5 sites, ~1 s at 20). Every such expression in the joint model is affine in the mutable Params
(a coefficient ``-pue_dp[l, s]``, a bound ``imp_ub[l, s]``, a right-hand side ``load0[l, s]``,
the objective constant ``-offset``...), so :class:`AffineUpdates` compiles each one once, at
build, to ``a + B @ p`` (``p``: the vector of all Param values; probed numerically and checked
at a random point) and each hour pushes the results with HiGHS's vectorised calls. The
formulation stays in Pyomo (constraints.py, variables.py, objective.py); only the data path
changes. Uses the interface's helper tables (pyomo.contrib.solver.solvers.highs, private).
"""

from __future__ import annotations

import math
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.numeric_types import value
from pyomo.core.base.param import ParamData
from pyomo.core.expr.visitor import identify_mutable_parameters
from scipy import sparse

_PROBE_TOL = 1e-9


class _Affine:
    """Collects affine expressions as rows of ``a + B @ p``."""

    def __init__(self, position: dict[int, int]) -> None:
        self.position = position
        self.constant: list[float] = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.coefs: list[float] = []

    def add(self, expr: object) -> None:
        row = len(self.constant)
        if isinstance(expr, ParamData):  # a bare Param (most bounds and right-hand sides)
            self.constant.append(0.0)
            self.rows.append(row)
            self.cols.append(self.position[id(expr)])
            self.coefs.append(1.0)
            return
        params = list(identify_mutable_parameters(expr))
        if not params:
            self.constant.append(float(value(expr)))
            return
        # Probe by writing the Params' stored values directly: set_value's validation
        # dominated the build of a whole-year model, and every value is restored below.
        saved = [p._value for p in params]
        for p in params:
            p._value = 0.0
        a = float(value(expr))
        slopes = []
        for p in params:
            p._value = 1.0
            slopes.append(float(value(expr)) - a)
            p._value = 0.0
        probe = [0.37 + 0.11 * i for i in range(len(params))]
        for p, v in zip(params, probe, strict=True):
            p._value = v
        expected = a + sum(b * v for b, v in zip(slopes, probe, strict=True))
        actual = float(value(expr))
        for p, v in zip(params, saved, strict=True):
            p._value = v
        if not math.isclose(actual, expected, rel_tol=_PROBE_TOL, abs_tol=1e-9):
            raise ValueError(f"mutable expression is not affine in its Params: {expr}")
        self.constant.append(a)
        for p, b in zip(params, slopes, strict=True):
            if b != 0.0:
                self.rows.append(row)
                self.cols.append(self.position[id(p)])
                self.coefs.append(b)

    def compile(self, order: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix]:
        """``a`` and ``B`` with their rows in ``order`` (HiGHS wants ascending indices)."""
        n = len(self.constant)
        matrix = sparse.csr_matrix((self.coefs, (self.rows, self.cols)),
                                   shape=(n, len(self.position)))
        return np.array(self.constant, dtype=float)[order], matrix[order]


def _ascending(at: list) -> tuple[np.ndarray, np.ndarray]:
    """Sort order of the HiGHS indices ``at`` and the sorted indices."""
    index = np.array(at, dtype=np.int32).reshape(len(at), -1)
    order = np.lexsort(index.T[::-1]) if len(at) else np.zeros(0, dtype=int)
    return order, index[order].squeeze(axis=1) if index.shape[1] == 1 else index[order]


def replace_coefficients(highs: highspy.Highs, at: np.ndarray, values: np.ndarray) -> None:
    """Set the matrix coefficients at (row, col) ``at`` to ``values`` in one pass: read the
    matrix out of HiGHS, patch it with scipy and pass the model back (``passModel`` keeps
    costs, bounds, integrality and offset; it drops any basis). One ``changeCoeff`` per
    coefficient grows super-linearly with the model when the entries are absent from the
    matrix (every mutable coefficient is 0 at build): the first push of a whole-year model had
    not finished after 30 minutes (docs/milp.md, "Oracle for any horizon")."""
    lp = highs.getLp()
    a = lp.a_matrix_
    shape = (lp.num_row_, lp.num_col_)
    arrays = (np.asarray(a.value_, dtype=float), np.asarray(a.index_, dtype=np.int32),
              np.asarray(a.start_, dtype=np.int32))
    if a.format_ == highspy.MatrixFormat.kRowwise:
        matrix = sparse.csr_matrix(arrays, shape=shape).tocsc()
    else:
        matrix = sparse.csc_matrix(arrays, shape=shape)
    rows, cols = at[:, 0], at[:, 1]
    hit = sparse.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
    matrix = matrix - matrix.multiply(hit) + \
        sparse.csc_matrix((values, (rows, cols)), shape=shape)
    matrix = sparse.csc_matrix(matrix)
    matrix.eliminate_zeros()
    matrix.sort_indices()
    a.format_ = highspy.MatrixFormat.kColwise
    a.start_, a.index_, a.value_ = matrix.indptr, matrix.indices, matrix.data
    a.num_row_, a.num_col_ = shape
    lp.a_matrix_ = a
    status = highs.passModel(lp)
    if status == highspy.HighsStatus.kError:
        raise RuntimeError(f"HiGHS passModel failed ({status})")


class AffineUpdates:
    """Every mutable coefficient, bound, right-hand side and cost of a persistent Pyomo HiGHS
    instance as ``a + B @ p``; :meth:`push` writes them all from the current Param values."""

    def __init__(self, model: pyo.ConcreteModel, interface: Any) -> None:
        params = [p for p in model.component_data_objects(pyo.Param, descend_into=True)
                  if p.parent_component().mutable]
        position = {id(p): i for i, p in enumerate(params)}
        self._position = position
        self.values = np.array([float(p.value) for p in params])  # the Params' current values
        var_map = interface._pyomo_var_to_solver_var_map
        con_map = interface._pyomo_con_to_solver_con_map
        coef, coef_at = _Affine(position), []
        row_lb, row_ub, row_at = _Affine(position), _Affine(position), []
        for con, helpers in interface._mutable_helpers.items():
            for h in helpers:
                if hasattr(h, "pyomo_var_id"):
                    coef.add(h.expr)
                    coef_at.append((con_map[con], var_map[h.pyomo_var_id]))
                else:
                    row_lb.add(h.lower_expr)
                    row_ub.add(h.upper_expr)
                    row_at.append(con_map[con])
        col_lb, col_ub, col_at = _Affine(position), _Affine(position), []
        for v_id, (_var, h) in interface._mutable_bounds.items():
            col_lb.add(h.lower_expr)
            col_ub.add(h.upper_expr)
            col_at.append(var_map[v_id])
        objective = interface._mutable_objective
        cost, cost_at = _Affine(position), []
        for h in objective.linear_coefs:
            cost.add(h.expr)
            cost_at.append(var_map[h.pyomo_var_id])
        offset = _Affine(position)
        offset.add(objective.constant.expr)
        order, at = _ascending(coef_at)
        self._coef = (*coef.compile(order), at)
        order, at = _ascending(row_at)
        self._rows = (*row_lb.compile(order), *row_ub.compile(order), at)
        order, at = _ascending(col_at)
        self._cols = (*col_lb.compile(order), *col_ub.compile(order), at)
        order, at = _ascending(cost_at)
        self._cost = (*cost.compile(order), at)
        self._offset = offset.compile(np.zeros(1, dtype=int))
        self._pushed_coef: np.ndarray | None = None

    def position(self, param: object) -> int:
        """Index of a ParamData in :attr:`values` (the hourly data path writes there, not into
        the Pyomo Params)."""
        return self._position[id(param)]

    def push(self, highs: highspy.Highs) -> None:
        """Evaluate every affine map at :attr:`values` and write the results."""
        p = self.values
        a, b, at = self._coef
        coef = a + b @ p
        if self._pushed_coef is None:  # first push: every coefficient, one matrix pass
            if len(at):
                replace_coefficients(highs, at, coef)
        else:
            changed = coef != self._pushed_coef
            for (row, col), v in zip(at[changed].tolist(), coef[changed].tolist(),
                                     strict=True):
                highs.changeCoeff(row, col, v)
        self._pushed_coef = coef
        solver: Any = highs  # highspy's stubs lack changeRowsBounds
        for (lo_a, lo_b, up_a, up_b, at), change in ((self._rows, solver.changeRowsBounds),
                                                      (self._cols, solver.changeColsBounds)):
            if len(at):
                change(len(at), at, lo_a + lo_b @ p, up_a + up_b @ p)
        a, b, at = self._cost
        if len(at):
            highs.changeColsCost(len(at), at, a + b @ p)
        a, b = self._offset
        highs.changeObjectiveOffset(float((a + b @ p)[0]))
