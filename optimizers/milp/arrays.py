"""Dense numpy views of Pyomo components: read variable families into [H, S]-shaped arrays
and write arrays into mutable Param values (the persistent model's hourly data path)."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.core.base.var import VarData

from optimizers.milp.sets import ModelSets
from optimizers.milp.solve import PersistentHighs
from optimizers.milp.updates import AffineUpdates


class Group:
    """A family of variables mapped onto a dense array of shape ``shape``."""

    def __init__(self, variables: list[VarData], positions: tuple[np.ndarray, ...],
                 shape: tuple[int, ...]) -> None:
        self.variables = variables
        self.positions = positions
        self.shape = shape
        self.columns = np.zeros(0, dtype=np.int32)

    def read(self, solver: PersistentHighs) -> np.ndarray:
        out = np.zeros(self.shape)
        if self.variables:
            out[self.positions] = solver.values(self.columns)
        return out


def site_group(var: pyo.Var, horizon: int, n_sites: int) -> Group:
    keys = list(var.keys())
    rows = np.array([t for t, _ in keys], dtype=int)
    cols = np.array([s for _, s in keys], dtype=int)
    return Group([var[k] for k in keys], (rows, cols), (horizon, n_sites))


def route_group(x: pyo.Var, sets: ModelSets, shape: tuple[int, ...]) -> Group:
    """Routing variables x[a, t] onto [H, R, K, S]."""
    keys = list(x.keys())
    index = np.array([(t, *sets.routes[a]) for a, t in keys], dtype=int).reshape(-1, 4)
    return Group([x[k] for k in keys], tuple(index.T), shape)


class ParamArray:
    """Writes an array into a mutable Param's values in :class:`AffineUpdates` (an indexed
    Param's key (a, b, ...) takes ``values[a, b, ...]``; a scalar Param takes ``values``)."""

    def __init__(self, param: pyo.Param, updates: AffineUpdates) -> None:
        keys = list(param.keys())
        self.positions = np.array([updates.position(param[k]) for k in keys], dtype=int)
        self.updates = updates
        tuples = [k if isinstance(k, tuple) else (k,) for k in keys]
        self.index = () if keys == [None] else tuple(np.array(c, dtype=int)
                                                     for c in zip(*tuples, strict=True))

    def set(self, values: np.ndarray | float) -> None:
        if len(self.positions):  # an indexed Param over an empty set has nothing to write
            self.updates.values[self.positions] = np.asarray(values, dtype=float)[self.index]


def gap_scale(arrays: dict[str, np.ndarray]) -> float:
    """The horizon's baseline energy bill (USD): idle load at the effective import price. The
    relative MIP gap is measured against max(|loss|, this), so it stays meaningful when exports
    and stored energy bring the loss near zero."""
    return float((arrays["load0"] * np.maximum(arrays["c_imp"], 0.0)).sum())
