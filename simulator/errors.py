"""Error types for trace and scenario input: each message is one line naming the place."""

from __future__ import annotations


class GridShiftError(Exception):
    """Base class of every error GridShift reports to a user as one clear line."""


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


class ScenarioError(GridShiftError, ValueError):
    """A scenario is invalid or impossible; the message names the field."""
