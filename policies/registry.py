"""Policies by name, for the CLI, sweeps and the Python API.

The registry imports the policies it names; no policy module imports the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from policies.fifo import FifoPolicy
from policies.greedy import GreedyPolicy
from simulator.contracts import Policy

PolicyFactory = Callable[..., Policy]
_REGISTRY: dict[str, PolicyFactory] = {
    "fifo": FifoPolicy,
    "greedy": GreedyPolicy,
}
# Policies that must see the realized future (they override the scenario's forecasts).
PERFECT_FORESIGHT: set[str] = set()
LEARNED_PREFIX = "rl:"


def register(name: str, factory: PolicyFactory, perfect_foresight: bool = False) -> None:
    """Make a policy available by name (later registrations replace earlier ones)."""
    _REGISTRY[name] = factory
    if perfect_foresight:
        PERFECT_FORESIGHT.add(name)


def policy_names() -> list[str]:
    """Every registered policy name."""
    _load_optional()
    return sorted(_REGISTRY)


def is_policy(name: str) -> bool:
    """True for a registered name or an ``rl:<module>:<callable>`` spec (the spec itself is
    checked when the policy is made)."""
    _load_optional()
    return name in _REGISTRY or name.startswith(LEARNED_PREFIX)


def make_policy(name: str, **options: Any) -> Policy:
    """A fresh policy instance; unknown names raise ValueError listing the known ones.
    ``rl:module:callable`` wraps a trained agent (policies/learned.py)."""
    _load_optional()
    if name.startswith(LEARNED_PREFIX):
        from policies.learned import learned_policy

        return learned_policy(name.removeprefix(LEARNED_PREFIX), **options)
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown policy '{name}' (known: {', '.join(sorted(_REGISTRY))})"
        ) from None
    return factory(**options)


def needs_perfect_foresight(name: str) -> bool:
    """True for policies (the oracle) that are defined by seeing the future."""
    _load_optional()
    return name in PERFECT_FORESIGHT


def _load_optional() -> None:
    """Register the MILP family on first use (Pyomo takes most of a second to import)."""
    if "oracle" in _REGISTRY:
        return
    from policies.milp import SWITCHES, MilpPolicy, OraclePolicy

    for name, switches in SWITCHES.items():
        register(name, partial(MilpPolicy, name=name, switches=switches))
    register("oracle", OraclePolicy, perfect_foresight=True)
