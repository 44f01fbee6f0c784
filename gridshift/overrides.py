"""CLI options that override scenario fields (shared by every command that runs scenarios)."""

from __future__ import annotations

import math
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from simulator.errors import PolicyError, ScenarioError
from simulator.scenario import MAX_HOURS, Scenario, load_scenario

StartOpt = Annotated[str | None, typer.Option(
    help="first simulated hour, UTC: a date (2022-06-01) or ISO time (2022-06-01T06:00Z)")]
DaysOpt = Annotated[float | None, typer.Option(help="run length in days (hours = 24 x days)")]
FillOpt = Annotated[str | None, typer.Option(
    help="gap policy for real or file traces: refuse, ffill, interpolate, seasonal")]
LongRunOpt = Annotated[bool, typer.Option(
    "--allow-long-run", help=f"allow runs longer than 10 years ({MAX_HOURS:,} h)")]
PolicyOptionOpt = Annotated[list[str] | None, typer.Option(
    "--policy-option", "-o", metavar="[POLICY.]KEY=VALUE",
    help="an option of a policy's constructor, e.g. oracle.method=relaxed or "
    "milp.horizon_h=12 (the value is read as TOML: 12, 0.5, true, or text); repeatable")]
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


def _option_value(text: str) -> Any:
    """A TOML literal (number, boolean, quoted string, array) or, failing that, the text."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def policy_options(texts: list[str] | None, policies: list[str]) -> dict[str, dict[str, Any]]:
    """``--policy-option`` texts ``[POLICY.]KEY=VALUE`` as options per policy name.

    The key is the part after the last dot before ``=`` (policy names such as
    ``mypkg.mod:Class`` may contain dots); without a policy the option goes to the only policy
    given. Each mistake raises PolicyError naming the flag and the text."""
    out: dict[str, dict[str, Any]] = {}
    for text in texts or []:
        target, sep, value = text.partition("=")
        policy, dot, key = target.rpartition(".")
        if not sep or not key.isidentifier():
            raise PolicyError(f"--policy-option: '{text}' is not [POLICY.]KEY=VALUE with KEY a "
                              "name such as horizon_h")
        if not dot:
            if len(policies) != 1:
                raise PolicyError(f"--policy-option: '{text}' names no policy; with several "
                                  f"policies write POLICY.{key}=VALUE")
            policy = policies[0]
        if policy not in policies:
            raise PolicyError(f"--policy-option: '{text}': policy '{policy}' is not among "
                              f"the policies run ({', '.join(policies)})")
        if key in out.get(policy, {}):
            raise PolicyError(f"--policy-option: '{policy}.{key}' is given twice")
        out.setdefault(policy, {})[key] = _option_value(value)
    return out
