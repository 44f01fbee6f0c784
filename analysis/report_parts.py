"""Pieces of the HTML report: sections, tables, embedded figures, the jinja2 page."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from analysis.catalogue import describe, direction_note, format_value, header_of
from analysis.figures import figure_png

Progress = Callable[[str], None]


@dataclass
class Section:
    """One heading of the report and what goes under it (all plain text; the template
    escapes it)."""

    heading: str
    level: int = 2
    paragraphs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    figures: list[dict[str, str]] = field(default_factory=list)
    details: dict[str, str] | None = None
    pre: str | None = None


class Figures:
    """Draws figures into sections, telling ``progress`` about each one."""

    def __init__(self, dpi: int, progress: Progress | None = None) -> None:
        self.dpi, self.progress, self.count = dpi, progress, 0

    def add(self, section: Section, make: Callable[[], Any], caption: str) -> None:
        """Append a figure (or a note saying why it could not be drawn) to ``section``."""
        self.count += 1
        if self.progress is not None:
            self.progress(f"figure {self.count}: {caption}")
        try:
            data = base64.b64encode(figure_png(make(), self.dpi)).decode("ascii")
        except (ValueError, KeyError) as err:
            section.figures.append({"caption": caption, "error": str(err)})
            return
        section.figures.append({"caption": caption, "src": f"data:image/png;base64,{data}"})


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], caption: str = "",
          row_headers: bool = True) -> dict[str, Any]:
    """A table for the template: cells as given (already formatted)."""
    return {"columns": [str(c) for c in columns], "caption": caption,
            "rows": [["" if c is None else str(c) for c in row] for row in rows],
            "row_headers": row_headers}


def frame_table(frame: pd.DataFrame, caption: str = "") -> dict[str, Any]:
    """A data frame as a table, numbers formatted by the catalogue per column name."""
    rows = []
    for rec in frame.itertuples(index=False):
        rows.append([format_value(c, v) if isinstance(v, int | float) and not isinstance(
            v, bool) else v for c, v in zip(frame.columns, rec, strict=True)])
    return table([header_of(c) if c in frame.select_dtypes("number") else c
                  for c in frame.columns], rows, caption, row_headers=False)


def kpi_rows(kpis: Mapping[str, Any] | pd.DataFrame, names: Sequence[str] | None = None,
             caption: str = "") -> dict[str, Any]:
    """KPIs as rows (label, unit, better direction), one value column per run."""
    frame = kpis if isinstance(kpis, pd.DataFrame) else pd.DataFrame([kpis], index=["value"])
    names = [n for n in (names or frame.columns) if n in frame and frame[n].notna().any()]
    arrows = {1: "↑ higher", -1: "↓ lower", 0: ""}
    rows = [[describe(n).label, *(format_value(n, v) for v in frame[n]),
             describe(n).unit, arrows[describe(n).direction]] for n in names]
    return table(["KPI", *map(str, frame.index), "unit", "better"], rows,
                 caption or direction_note())


def key_values(pairs: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """A two-column table of the pairs whose value is set."""
    return table([], [(k, v) for k, v in pairs if v is not None and v != ""])


_ENV = Environment(loader=PackageLoader("analysis", "templates"),
                   autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                   lstrip_blocks=True)


def render_page(title: str, sections: Sequence[Section], legend: str = "") -> str:
    """The whole self-contained HTML page."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _ENV.get_template("report.html.j2").render(title=title, stamp=stamp,
                                                      sections=sections, legend=legend)
