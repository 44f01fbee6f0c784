"""The job block of the joint MILP, assembled with numpy and passed to HiGHS directly.

Start binaries y[j, s, l] (1 = job j starts at site s in slot l; only slots of the job's
current window exist) and the rows that depend on which jobs exist:

- training (a core row, built once): train[l, s] - sum_{j, tau in (l - D_j, l]} G_j y[j, s, tau]
  = 0, i.e. a job runs D_j contiguous slots at one site with G_j GPUs;
- one start per job (a job row): sum_{s, l} y[j, s, l] <= 1;
- training value (a core row, built once): tv - sum v_{j, l} y[j, s, l] = 0, where v is the
  on-time or late value of a start in slot l, minus the tail charge of the slots the job runs
  beyond the horizon's active slots.

The block is replaced as a whole every hour (one ``deleteCols``/``deleteRows`` and one
``addRows`` of numpy arrays, then ``addCols`` of the start columns the solve asks for), so the
pending-job set may change at any hour at a cost of milliseconds. Its columns and rows always
come after the core's, whose indices never move.
"""

from __future__ import annotations

import highspy
import numpy as np

from optimizers.milp.data import JobSpec, start_value_usd


def start_keys(jobs: tuple[JobSpec, ...], horizon: int) -> np.ndarray:
    """(job position, site, slot) of every start binary, int [N, 3], job by job."""
    keys = [(n, s, t) for n, job in enumerate(jobs) for s in job.sites
            for t in range(job.first, min(job.last, horizon - 1) + 1)]
    return np.array(keys, dtype=np.int64).reshape(-1, 3)


def start_values(jobs: tuple[JobSpec, ...], keys: np.ndarray, active: int,
                 tail_usd_per_gpu_h: np.ndarray) -> np.ndarray:
    """Training value (USD) credited for each start of ``keys``: on-time or late value minus
    the tail charge of the GPU-hours run beyond the active slots."""
    if not len(keys):
        return np.zeros(0)
    n, s, t = keys.T
    value = start_value_usd(t, np.array([job.on_time_last for job in jobs])[n],
                            np.array([job.value_usd for job in jobs], dtype=float)[n],
                            np.array([job.late_value_usd for job in jobs], dtype=float)[n])
    gpus = np.array([job.gpus for job in jobs], dtype=float)[n]
    duration = np.array([job.duration_h for job in jobs])[n]
    beyond = np.maximum(0, t + duration - active)
    return value - gpus * beyond * tail_usd_per_gpu_h[s]


class JobBlock:
    """The start columns and one-start rows of the current hour in a HiGHS instance.

    Every candidate start (``keys``) has its column entries assembled in numpy, but a column
    is written into HiGHS only when :meth:`add` asks for it (column generation: the LP starts
    from a few columns per job and prices the others with :meth:`reduced_costs`).
    ``columns[k]`` is key k's HiGHS column, -1 while it is not in the model. Columns are
    continuous; the solve pipeline makes them integer for its MIP phases.
    """

    def __init__(self, highs: highspy.Highs, training_rows: np.ndarray, value_row: int) -> None:
        self.highs = highs
        self.training_rows = training_rows  # int [H, S]: row of training[l, s]
        self.value_row = value_row
        self.first_column = highs.getNumCol()
        self.first_row = highs.getNumRow()
        self.keys = np.zeros((0, 3), dtype=np.int64)
        self.columns = np.zeros(0, dtype=np.int32)
        self._starts = np.zeros(1, dtype=np.int64)
        self._index = np.zeros(0, dtype=np.int32)
        self._value = np.zeros(0)

    @property
    def present(self) -> np.ndarray:
        """Per key: is its column in the model."""
        return self.columns >= 0

    def replace(self, jobs: tuple[JobSpec, ...], active: int,
                tail_usd_per_gpu_h: np.ndarray) -> None:
        """Swap the block for the one-start rows of ``jobs`` and their candidate starts
        (windows in slots of this hour); no start column is in the model until :meth:`add`."""
        highs = self.highs
        n_cols, n_rows = highs.getNumCol() - self.first_column, highs.getNumRow() - self.first_row
        if n_cols:
            highs.deleteCols(n_cols, np.arange(self.first_column, self.first_column + n_cols,
                                               dtype=np.int32))
        if n_rows:
            highs.deleteRows(n_rows, np.arange(self.first_row, self.first_row + n_rows,
                                               dtype=np.int32))
        self.keys = start_keys(jobs, self.training_rows.shape[0])
        self.columns = np.full(len(self.keys), -1, dtype=np.int32)
        if len(jobs):
            highs.addRows(len(jobs), np.full(len(jobs), -highspy.kHighsInf),
                          np.ones(len(jobs)), 0, np.zeros(0, dtype=np.int32),
                          np.zeros(0, dtype=np.int32), np.zeros(0))
        counts, self._index, self._value = self._entries(jobs, self.keys, active,
                                                         tail_usd_per_gpu_h)
        self._starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    def add(self, wanted: np.ndarray) -> int:
        """Write the columns of the ``wanted`` keys (bool per key) not yet in the model, in key
        order; returns how many were added."""
        new = np.flatnonzero(wanted & (self.columns < 0))
        if not len(new):
            return 0
        counts = self._starts[new + 1] - self._starts[new]
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        entries = np.repeat(self._starts[new] - offsets, counts) + np.arange(counts.sum())
        first = self.highs.getNumCol()
        self.highs.addCols(len(new), np.zeros(len(new)), np.zeros(len(new)), np.ones(len(new)),
                           len(entries), offsets.astype(np.int32), self._index[entries],
                           self._value[entries])
        self.columns[new] = np.arange(first, first + len(new), dtype=np.int32)
        return len(new)

    def reduced_costs(self, row_dual: np.ndarray) -> np.ndarray:
        """Reduced cost of every key's column (its cost 0 minus its entries times the row
        duals ``row_dual``), whether or not it is in the model."""
        if not len(self.keys):
            return np.zeros(0)
        return -np.add.reduceat(self._value * row_dual[self._index], self._starts[:-1])

    def _entries(self, jobs: tuple[JobSpec, ...], keys: np.ndarray, active: int,
                 tail: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Column-wise entries per key: one-start row, value row, the training rows it
        occupies; as (entries per key, row index, value)."""
        if not len(keys):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0)
        horizon = self.training_rows.shape[0]
        n, s, t = keys.T
        duration = np.array([job.duration_h for job in jobs])[n]
        gpus = np.array([job.gpus for job in jobs], dtype=float)[n]
        length = np.minimum(t + duration, horizon) - t  # slots occupied inside the horizon
        counts = 2 + length
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        column = np.repeat(np.arange(len(keys)), counts)
        within = np.arange(counts.sum()) - np.repeat(starts, counts)  # 0, 1, 2.. per column
        slot = t[column] + within - 2
        index = np.where(within == 0, self.first_row + n[column],
                         np.where(within == 1, self.value_row,
                                  self.training_rows[np.clip(slot, 0, horizon - 1), s[column]]))
        value = np.where(within == 0, 1.0,
                         np.where(within == 1, -start_values(jobs, keys, active, tail)[column],
                                  -gpus[column]))
        return counts, index.astype(np.int32), value.astype(np.float64)
