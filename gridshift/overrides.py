"""CLI options that override scenario fields (shared by every command that runs scenarios)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from simulator.errors import ScenarioError
from simulator.scenario import MAX_HOURS, Scenario, load_scenario

StartOpt = Annotated[str | None, typer.Option(
    help="first simulated hour, UTC: a date (2022-06-01) or ISO time (2022-06-01T06:00Z)")]
DaysOpt = Annotated[float | None, typer.Option(help="run length in days (hours = 24 x days)")]
FillOpt = Annotated[str | None, typer.Option(
    help="gap policy for real or file traces: refuse, ffill, interpolate, seasonal")]
LongRunOpt = Annotated[bool, typer.Option(
    "--allow-long-run", help=f"allow runs longer than 10 years ({MAX_HOURS:,} h)")]
DataOpt = Annotated[Path | None, typer.Option(
    "--data-dir", help="folder with the real 2022 data (default: $GRIDSHIFT_DATA_DIR, then "
    "../shared/data)")]


def _utc_start(text: str) -> str:
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ScenarioError(f"--start: '{text}' is not a date or ISO time") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).isoformat()


def _hours(days: float, allow_long_run: bool) -> int:
    if not math.isfinite(days) or days <= 0:
        raise ScenarioError(f"--days: {days} is not a positive number of days")
    if days * 24 > MAX_HOURS and not allow_long_run:
        raise ScenarioError(f"--days: {days:g} days is more than 10 years; add "
                            "--allow-long-run if you mean it")
    hours = round(days * 24)
    if hours <= 0 or abs(hours - days * 24) > 1e-9:
        raise ScenarioError(f"--days: {days} is not a positive whole number of hours")
    return hours


def scenario_overrides(start: str | None = None, days: float | None = None,
                       fill: str | None = None, allow_long_run: bool = False) -> dict[str, Any]:
    """Dotted-path updates for Scenario.with_updates from the common CLI options."""
    updates: dict[str, Any] = {}
    if start is not None:
        updates["start"] = _utc_start(start)
    if days is not None:
        updates["hours"] = _hours(days, allow_long_run)
    if fill is not None:
        updates["traces.fill"] = fill
    if allow_long_run:
        updates["allow_long_run"] = True
    return updates


def resolve_scenario(name_or_path: str, start: str | None = None, days: float | None = None,
                     fill: str | None = None, allow_long_run: bool = False) -> Scenario:
    """Load a scenario and apply the common CLI overrides (re-validated)."""
    scenario = load_scenario(name_or_path)
    updates = scenario_overrides(start, days, fill, allow_long_run)
    return scenario.with_updates(updates) if updates else scenario
