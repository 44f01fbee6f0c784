"""Warm start of the hourly LP relaxation from the previous hour's basis, shifted in time.

Hour t's LP differs from hour t-1's mostly by a one-slot shift: slot l now is slot l+1 then.
So the basis status of every core column and row (routing, GPUs, power, battery, ...) is taken
from the previous basis at the same index one slot later (the last slot repeats its own), the
status of a start column from the same (job, site, start hour) in the previous job block (a new
one at its lower bound), and of a one-start row from the same job (a new one basic). The result
need not have exactly one basic variable per row: HiGHS accepts it as an *alien* basis and
repairs it (``HighsBasis.alien``). It is only a starting point: the LP is solved to optimality
from it, so it changes iterations, never the optimum's value (a degenerate LP may end at another
optimal vertex, chosen deterministically from the same inputs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import highspy
import numpy as np
import pyomo.environ as pyo

_STATUS = {int(status): status for status in highspy.HighsBasisStatus.__members__.values()}
_LOWER = int(highspy.HighsBasisStatus.kLower)
_BASIC = int(highspy.HighsBasisStatus.kBasic)


_Table = tuple[np.ndarray, np.ndarray, np.ndarray]  # slot, family, index per family and slot


def _shift_table(components: Iterable[pyo.Component], slots: pyo.Set, index_of: dict[int, int],
                 size: int, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For core columns (or rows) 0..size-1: their slot (-1 if none), their family (same
    component and index apart from the slot) and, per family, the index of each slot
    ([families, horizon]; a slot the family lacks takes its last)."""
    slot = np.full(size, -1, dtype=np.int64)
    family = np.zeros(size, dtype=np.int64)
    families: dict[tuple, dict[int, int]] = {}
    for comp in components:
        subsets = list(comp.index_set().subsets()) if comp.is_indexed() else []
        where = next((i for i, sub in enumerate(subsets) if sub is slots), None)
        for key, data in comp.items():
            own = index_of.get(id(data))
            if own is None or where is None:
                continue
            key = key if isinstance(key, tuple) else (key,)
            slot[own] = key[where]
            families.setdefault((comp.name, key[:where] + key[where + 1:]), {})[key[where]] = own
    table = np.zeros((len(families), horizon), dtype=np.int64)
    for f, members in enumerate(families.values()):
        last = members[max(members)]
        table[f] = [members.get(s, last) for s in range(horizon)]
        family[list(members.values())] = f
    return slot, family, table


class ShiftedBasis:
    """Keeps the last LP basis and offers it, shifted to the current hour, to HiGHS. The shift
    tables are built at the first offer (a single solve, like the oracle's, never needs them);
    ``index_maps`` gives the HiGHS column of each variable and row of each constraint (by id)."""

    def __init__(self, model: pyo.ConcreteModel,
                 index_maps: Callable[[], tuple[dict[int, int], dict[int, int]]],
                 n_cols: int, n_rows: int, horizon: int) -> None:
        self.horizon = horizon
        self.n_cols, self.n_rows = n_cols, n_rows
        self._model, self._index_maps = model, index_maps
        self._tables: tuple[_Table, _Table] | None = None
        self._saved: tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def _shift_tables(self) -> tuple[_Table, _Table]:
        if self._tables is None:
            var_index, con_index = self._index_maps()
            m = self._model
            self._tables = (
                _shift_table(m.component_objects(pyo.Var), m.L, var_index, self.n_cols,
                             self.horizon),
                _shift_table(m.component_objects(pyo.Constraint), m.L, con_index, self.n_rows,
                             self.horizon))
        return self._tables

    def save(self, highs: highspy.Highs, t0: int, start_keys: np.ndarray,
             job_ids: np.ndarray) -> None:
        """Remember the basis HiGHS holds (after an LP solve at hour ``t0``) with the encoded
        (job id, site, start hour) of each start column (:func:`encode_keys`, in column order)
        and the job id of each one-start row."""
        basis = highs.getBasis()
        if not basis.valid:
            self._saved = None
            return
        cols = np.fromiter(map(int, basis.col_status), dtype=np.int64)
        rows = np.fromiter(map(int, basis.row_status), dtype=np.int64)
        self._saved = (t0, cols, rows, start_keys, np.asarray(job_ids, dtype=np.int64))

    def offer(self, highs: highspy.Highs, t0: int, start_keys: np.ndarray,
              job_ids: np.ndarray) -> bool:
        """Set the saved basis, shifted to hour ``t0``, as HiGHS's starting basis (keys as in
        :meth:`save`); False when there is none to offer."""
        if self._saved is None:
            return False
        before, cols, rows, keys, jobs = self._saved
        shift = t0 - before
        if not 0 <= shift < self.horizon:
            return False
        col_table, row_table = self._shift_tables()
        col_status = np.concatenate([
            cols[_shifted(*col_table, shift)],
            _matched(start_keys, keys, cols[self.n_cols:], _LOWER)])
        row_status = np.concatenate([
            rows[_shifted(*row_table, shift)],
            _matched(np.asarray(job_ids, dtype=np.int64), jobs, rows[self.n_rows:], _BASIC)])
        basis = highspy.HighsBasis()
        basis.col_status = [_STATUS[c] for c in col_status.tolist()]
        basis.row_status = [_STATUS[r] for r in row_status.tolist()]
        basis.valid = True
        basis.alien = True
        return highs.setBasis(basis) == highspy.HighsStatus.kOk


def _shifted(slot: np.ndarray, family: np.ndarray, table: np.ndarray, shift: int) -> np.ndarray:
    """Index, in the previous hour, of each core column/row of this hour."""
    source = np.minimum(np.maximum(slot, 0) + shift, table.shape[1] - 1)
    return np.where(slot >= 0, table[family, source], np.arange(len(slot)))


def encode_keys(keys: np.ndarray) -> np.ndarray:
    """(job id, site, start hour) rows as one sortable int64 each."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    keys = np.asarray(keys, dtype=np.int64)
    return (keys[:, 0] << 40) | (keys[:, 1] << 24) | keys[:, 2]


def _matched(now: np.ndarray, before: np.ndarray, status: np.ndarray, default: int) -> np.ndarray:
    """Status of each ``now`` key from the same key ``before`` (``default`` when absent)."""
    out = np.full(len(now), default, dtype=np.int64)
    if len(before) and len(now):
        order = np.argsort(before, kind="stable")
        pos = np.clip(np.searchsorted(before[order], now), 0, len(before) - 1)
        hit = before[order][pos] == now
        out[hit] = status[order][pos][hit]
    return out
