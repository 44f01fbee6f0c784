"""The KPI catalogue: how every KPI and scenario field is labelled, united and formatted.

One entry per KPI: a short ``label`` (no unit), its ``unit``, the ``decimals`` a table shows
and its ``direction`` (+1 higher is better, -1 lower is better, 0 neither). Terminal tables,
the HTML report, ``compare`` and the figures all read it; names it does not know (new KPIs,
dotted scenario fields) are described from their unit suffix (``_usd``, ``_t``, ``_mwh`` ...).

Numbers are written with thousands separators, no scientific notation and never ``-0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Kpi:
    """How one KPI reads: label (no unit), unit, decimals shown, direction (+1 higher is
    better, -1 lower is better, 0 neither) and whether a percent change means anything."""

    label: str
    unit: str = ""
    decimals: int = 0
    direction: int = 0
    relative: bool = True


_M, _C = "USD", "tCO2"
CATALOGUE: dict[str, Kpi] = {
    "total_benefit_usd": Kpi("total benefit", _M, 0, +1),
    "inference_revenue_usd": Kpi("inference revenue", _M, 0, +1),
    "training_value_usd": Kpi("training value", _M, 0, +1),
    "export_revenue_usd": Kpi("export revenue", _M, 0, +1),
    "energy_cost_usd": Kpi("energy cost", _M, 0, -1),
    "carbon_cost_usd": Kpi("carbon cost", _M, 0, -1),
    "genset_cost_usd": Kpi("genset cost", _M, 0, -1),
    "degradation_cost_usd": Kpi("battery wear", _M, 0, -1),
    "unserved_penalty_usd": Kpi("unserved penalty", _M, 0, -1),
    "shortfall_cost_usd": Kpi("shortfall cost", _M, 0, -1),
    "emissions_t": Kpi("emissions", _C, 1, -1),
    "carbon_budget_t": Kpi("carbon budget", _C, 1, 0),
    "carbon_budget_slack_t": Kpi("carbon budget slack", _C, 1, +1),
    "carbon_overshoot_t": Kpi("carbon budget overshoot", _C, 1, -1),
    "carbon_overshoot_cost_usd": Kpi("overshoot cost", _M, 0, -1),
    "oracle_bound_usd": Kpi("oracle bound", _M, 0, +1),
    "oracle_bound_exact": Kpi("oracle bound from exact MILP (1) or LP relaxation (0)", "",
                              0, 0, relative=False),
    "regret_usd": Kpi("regret against the oracle", _M, 0, -1),
    "regret_bound_usd": Kpi("regret against the oracle bound", _M, 0, -1),
    "requests_arrived": Kpi("requests arrived", "requests", 0, 0),
    "served_share": Kpi("inference served", "share", 3, +1),
    "jobs_on_time": Kpi("jobs on time", "jobs", 0, +1),
    "jobs_late": Kpi("jobs late", "jobs", 0, -1),
    "jobs_expired": Kpi("jobs expired", "jobs", 0, -1),
    "jobs_unfinished": Kpi("jobs unfinished", "jobs", 0, -1),
    "jobs_pending": Kpi("jobs pending", "jobs", 0, 0),
    "jobs_unreleased": Kpi("jobs unreleased", "jobs", 0, 0),
    "jobs_total": Kpi("jobs", "jobs", 0, 0, relative=False),
    "gpu_utilisation": Kpi("GPU utilisation", "share", 3, +1),
    "load_mwh": Kpi("facility load", "MWh", 0, 0),
    "import_mwh": Kpi("grid import", "MWh", 0, -1),
    "export_mwh": Kpi("grid export", "MWh", 0, 0),
    "curtailed_mwh": Kpi("curtailment", "MWh", 0, -1),
    "genset_mwh": Kpi("genset energy", "MWh", 0, -1),
    "shortfall_mwh": Kpi("shortfall", "MWh", 1, -1),
    "renewable_used_mwh": Kpi("renewables used", "MWh", 0, +1),
    "renewable_self_consumption": Kpi("renewable self-consumption", "share", 3, +1),
    "battery_cycles": Kpi("battery cycles", "full cycles", 2, 0),
    "clips": Kpi("clipped decisions", "count", 0, -1),
    "fallbacks": Kpi("solver fallbacks", "count", 0, -1),
    "mip_gap_max": Kpi("MIP gap (max)", "share", 4, -1, relative=False),
    "decide_s_total": Kpi("decide time (total)", "s", 2, -1, relative=False),
}
for _stat, _what in (("median", "median"), ("p95", "p95")):
    for _col, _name in (("decide_s", "decide"), ("solve_s", "solve"), ("build_s", "build")):
        CATALOGUE[f"{_col}_{_stat}"] = Kpi(f"{_name} time ({_what})", "s", 4, -1, relative=False)

# Unit suffixes of names the catalogue does not list, longest first.
_SUFFIXES: tuple[tuple[str, str, int], ...] = (
    ("_usd_per_t", "USD/tCO2", 1), ("_usd_per_mwh", "USD/MWh", 1),
    ("_usd_per_request", "USD/request", 4), ("_kw_per_gpu", "kW/GPU", 2),
    ("_g_per_kwh", "gCO2/kWh", 0), ("_per_hour", "1/h", 2), ("_usd", "USD", 0),
    ("_mwh", "MWh", 1), ("_mw", "MW", 1), ("_ms", "ms", 1), ("_t", "tCO2", 1), ("_h", "h", 0),
    ("_c", "°C", 1), ("_s", "s", 3),
)


def _suffix(name: str) -> tuple[str, str, int] | None:
    last = name.split(".")[-1]
    return next((s for s in _SUFFIXES if last.endswith(s[0])), None)


def describe(name: str) -> Kpi:
    """The catalogue entry of ``name``, or one read from its unit suffix (``served_share_x``
    is a share, ``*_usd`` money, a dotted scenario field keeps its path as its label)."""
    if name in CATALOGUE:
        return CATALOGUE[name]
    if name.startswith("served_share_"):
        return Kpi(f"served ({name.removeprefix('served_share_')})", "share", 3, +1)
    found = _suffix(name)
    if found is None:
        return Kpi(name if "." in name else name.replace("_", " "), "", 2)
    text = name if "." in name else name[: -len(found[0])].replace("_", " ")
    return Kpi(text, found[1], found[2])


def unit_of(name: str) -> str | None:
    """The unit of a KPI or dotted field (``carbon_price_usd_per_t`` -> USD/tCO2), or None."""
    return describe(name).unit or None


def label_of(name: str) -> str:
    """Axis label with the unit: ``energy cost (USD)``, ``served share (0–1)``."""
    kpi = describe(name)
    unit = "0–1" if kpi.unit == "share" else kpi.unit
    return f"{kpi.label} ({unit})" if unit else kpi.label


def header_of(name: str) -> str:
    """Table column/row header: label, unit and the better direction (``emissions tCO2 ↓``)."""
    kpi = describe(name)
    unit = "" if kpi.unit in ("", "share", "jobs", "count", "requests") else f" {kpi.unit}"
    arrow = {1: " ↑", -1: " ↓"}.get(kpi.direction, "")
    return f"{kpi.label}{unit}{arrow}"


def direction_note() -> str:
    """The legend of the arrows :func:`header_of` adds."""
    return "↑ higher is better, ↓ lower is better"


def format_number(value: Any, decimals: int = 0, signed: bool = False) -> str:
    """``1234567.8`` -> ``1,234,568``: thousands separators, fixed decimals, no ``-0``, no
    scientific notation; '' for None/NaN."""
    if value is None:
        return ""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return "" if math.isnan(x) else ("∞" if x > 0 else "-∞")
    if round(x, decimals) == 0:
        x = 0.0  # no "-0" and no "+0.0" noise from 1e-11
    text = f"{abs(x):,.{decimals}f}"
    sign = "-" if x < 0 else ("+" if signed and x > 0 else "")
    return sign + text


def format_value(name: str, value: Any, signed: bool = False) -> str:
    """A KPI value as the catalogue formats it (no unit)."""
    return format_number(value, describe(name).decimals, signed)


def format_change(name: str, delta: Any, base: Any, half: float | None = None) -> str:
    """A signed change (± ``half``, its interval's half-width) with its percent of ``|base|``
    where a percent means something (not for timings, all-jobs counts or a base near 0)."""
    text = format_value(name, delta, signed=True)
    if not text:
        return ""
    if half is not None:
        text += f" ± {format_value(name, half)}"
    kpi = describe(name)
    try:
        b = float(base)
    except (TypeError, ValueError):
        return text
    scale = 10.0 ** -kpi.decimals
    if kpi.relative and math.isfinite(b) and abs(b) >= 100 * scale and round(float(delta),
                                                                             kpi.decimals):
        text += f" ({float(delta) / abs(b) * 100:+.1f}%)"
    return text
