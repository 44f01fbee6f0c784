"""Policies by name, for the CLI, sweeps and the Python API.

The registry imports the policies it names; no policy module knows the registry. The MILP
family is imported on first use, since Pyomo takes most of a second to import.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any

from policies.fifo import FifoPolicy
from policies.greedy import GreedyPolicy
from simulator.contracts import Policy

PolicyFactory = Callable[..., Policy]


@cache
def _registry() -> dict[str, PolicyFactory]:
    from policies.milp import SWITCHES, MilpPolicy, OraclePolicy

    factories: dict[str, PolicyFactory] = {"fifo": FifoPolicy, "greedy": GreedyPolicy}
    for name, switches in SWITCHES.items():
        factories[name] = partial(MilpPolicy, name=name, switches=switches)
    factories["oracle"] = OraclePolicy
    return factories


def policy_names() -> list[str]:
    """Every registered policy name."""
    return sorted(_registry())


def make_policy(name: str, **options: Any) -> Policy:
    """A fresh policy instance; unknown names raise ValueError listing the known ones."""
    try:
        factory = _registry()[name]
    except KeyError:
        raise ValueError(
            f"unknown policy '{name}' (known: {', '.join(policy_names())})"
        ) from None
    return factory(**options)


def needs_perfect_foresight(name: str) -> bool:
    """True for policies (the oracle) that are defined by seeing the future: their class says
    ``perfect_foresight = True`` (they override the scenario's forecasts)."""
    return bool(getattr(_registry().get(name), "perfect_foresight", False))
