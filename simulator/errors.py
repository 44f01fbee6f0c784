"""Every error GridShift reports to a user: one home, one line each, naming the place.

The Python API raises only these (subclasses of :class:`GridShiftError`); the CLI prints
``error: <message>`` and exits with the class's ``exit_code``: 2 for bad input or usage
(the run never started), 1 for a run that started and failed.

======================  =========================================================  ====
class                   raised when                                                exit
======================  =========================================================  ====
``ScenarioError``       a scenario file, field or override is invalid              2
``TraceError``          a trace file/table is malformed or does not fit the        2
                        scenario (names file, column, file row)
``PolicyError``         an unknown policy, policy spec or policy option            2
``SweepSpecError``      a sweep spec, compare/sweep argument or results folder     2
``ExecutorError``       workers cannot be started as asked                         2
``ReportError``         a run, compare or sweep folder cannot be read              2
``OutputError``         an output path cannot be written (``--out``, ``--table``)  2
``RunFailedError``      a run started and failed (every batch run failed)          1
``InvariantError``      a run's books do not close                                 1
======================  =========================================================  ====
"""

from __future__ import annotations


class GridShiftError(Exception):
    """Base class of every error GridShift reports to a user as one clear line."""

    exit_code: int = 2


class ScenarioError(GridShiftError, ValueError):
    """A scenario is invalid or impossible; the message names the file and field."""


class TraceError(GridShiftError, ValueError):
    """A trace file or trace table is malformed.

    The message names the file (or table), the column and the first bad row where known, e.g.
    ``prices.csv: column 'buy_price_usd_per_mwh': row 17: not a number ('abc')``.
    """

    def __init__(
        self,
        source: str,
        problem: str,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        parts = [str(source)]
        if column is not None:
            parts.append(f"column '{column}'")
        if row is not None:
            parts.append(f"row {row}")
        parts.append(problem)
        super().__init__(": ".join(parts))
        self.source = source
        self.column = column
        self.row = row
        self.problem = problem

    def __reduce__(self) -> tuple:
        return (type(self), (self.source, self.problem, self.column, self.row))


class PolicyError(GridShiftError, ValueError):
    """An unknown policy name or ``module:Class`` spec, or an option the policy refuses."""


class SweepSpecError(GridShiftError, ValueError):
    """A sweep spec or a compare/sweep argument is invalid; the message names file and field."""


class ExecutorError(GridShiftError, ValueError):
    """An executor cannot be built as asked; the message names the option."""


class ReportError(GridShiftError, ValueError):
    """A results folder (run, compare or sweep) cannot be read; the message names the file."""


class OutputError(GridShiftError, OSError):
    """An output path cannot be written; the message names the path and the option."""


class RunFailedError(GridShiftError):
    """A run started and failed (not an input error)."""

    exit_code = 1


class InvariantError(RunFailedError, AssertionError):
    """The books of a run do not close."""
