"""Sweep specs: the TOML/YAML file format, its typed model and its loader.

A spec names a base scenario, axes over any scenario field by its dotted path, policies and
seeds, as a grid (every combination of the axes) or a list of points; see
:mod:`analysis.sweep` for an example and docs/batch.md for every field.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from simulator.errors import SweepSpecError
from simulator.scenario_files import load_mapping


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Model):
    """Evenly spaced values from ``start`` to ``stop`` inclusive: by ``step`` or ``num`` values."""

    start: float
    stop: float
    step: Annotated[float, Field(gt=0)] | None = None
    num: Annotated[int, Field(ge=2)] | None = None

    @model_validator(mode="after")
    def _one_spacing(self) -> Range:
        if (self.step is None) == (self.num is None):
            raise ValueError("give exactly one of step or num")
        if self.stop < self.start:
            raise ValueError(f"stop ({self.stop}) must be >= start ({self.start})")
        return self

    def values(self) -> list[float | int]:
        """The values, ints when start and step are whole numbers, floats rounded to 12 digits."""
        if self.num is not None:
            raw = np.linspace(self.start, self.stop, self.num)
        else:
            count = int(math.floor((self.stop - self.start) / self.step + 1e-9)) + 1
            raw = self.start + self.step * np.arange(count)
        whole = all(float(v).is_integer() for v in raw)
        return [int(round(v)) if whole else round(float(v), 12) for v in raw]


def _list_or_range(value: Any) -> str:
    return "range" if isinstance(value, dict | Range) else "list"


# A list of values or a Range table; the discriminator keeps validation errors to one branch.
Values = Annotated[Annotated[list[Any], Tag("list")] | Annotated[Range, Tag("range")],
                   Discriminator(_list_or_range)]


class Axis(_Model):
    """One sweep axis: ``values`` set, or ``scale`` multiplies, every field in ``paths``."""

    paths: Annotated[list[str], Field(min_length=1)] | None = None
    values: Values | None = None
    scale: Values | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Axis:
        if (self.values is None) == (self.scale is None):
            raise ValueError("give exactly one of values or scale")
        if not self.levels():
            raise ValueError("needs at least one value")
        return self

    def levels(self) -> list[Any]:
        """The axis values (set values, or scale factors)."""
        raw = self.values if self.values is not None else self.scale
        return raw.values() if isinstance(raw, Range) else list(raw)


class SweepSpec(_Model):
    """A sweep: base scenario, axes (grid) or points, policies and seeds."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    scenario: str = Field(description="built-in name, or a path relative to the spec file")
    policies: Annotated[list[str], Field(min_length=1)]
    seeds: Annotated[Annotated[list[int], Tag("list")] | Annotated[Range, Tag("range")],
                     Discriminator(_list_or_range)] | None = Field(
        default=None, description="scenario seeds; default: the scenario's own seed")
    mode: Literal["grid", "points"] = "grid"
    set: dict[str, Any] = Field(default={}, description="fixed dotted-path updates of the base")
    axes: dict[str, Axis] = Field(
        default={}, description="axis name or dotted path -> values list, range or Axis table")
    points: list[dict[str, Any]] = []
    policy_options: dict[str, dict[str, Any]] = {}
    forecast: str | None = Field(default=None, description="forecaster for every signal")
    check: bool = Field(default=True, description="run the invariant checker in every run")
    save_runs: bool = Field(default=False, description="also write each run's books")

    @field_validator("axes", mode="before")
    @classmethod
    def _short_axes(cls, axes: Any) -> Any:
        """``name = [values]`` and ``name = {start, stop, ...}`` are short for ``values = ``."""
        if not isinstance(axes, dict):
            return axes
        return {name: {"values": v} if isinstance(v, list | Range) or (
            isinstance(v, dict) and not {"paths", "values", "scale"} & set(v)) else v
            for name, v in axes.items()}

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        if self.mode == "grid" and self.points:
            raise ValueError("points: only with mode = 'points' (a grid uses axes)")
        if self.mode == "points" and (self.axes or not self.points):
            raise ValueError("mode 'points' needs a non-empty points list and no axes")
        if len(set(self.policies)) != len(self.policies):
            raise ValueError("policies: listed twice")
        extra = sorted(set(self.policy_options) - set(self.policies))
        if extra:
            raise ValueError(f"policy_options: {extra} not among the policies")
        return self

    def axis(self, name: str) -> Axis:
        """The axis ``name``."""
        return self.axes[name]

    def seed_list(self, default: int) -> list[int]:
        """The seeds to run; ``default`` (the scenario's seed) when none are given."""
        if self.seeds is None:
            return [default]
        seeds = self.seeds.values() if isinstance(self.seeds, Range) else list(self.seeds)
        return [int(s) for s in seeds]


# ---- spec files ------------------------------------------------------------------------------
def _where(source: str) -> str:
    return f"sweep '{source}'"


def parse_spec(data: dict[str, Any], source: str = "<dict>") -> SweepSpec:
    """Validate a mapping into a SweepSpec; errors become one line naming the field."""
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        msg = first["msg"].removeprefix("Value error, ")
        more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise SweepSpecError(f"{_where(source)}: {loc}: {msg}{more}") from None


def load_spec(path: str | Path) -> SweepSpec:
    """Read a TOML, YAML or JSON sweep spec file."""
    path = Path(path)
    return parse_spec(load_mapping(path, "sweep", SweepSpecError), source=str(path))
