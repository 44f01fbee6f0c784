"""Policies by name, for the CLI, sweeps and the Python API.

A policy is named in one of four ways:

- a shipped name (``fifo``, ``greedy``, ``milp``, ... see ``gridshift policies``);
- an importable ``module:Class`` spec (``my_policies:CheapestFirst``): the module is imported
  in every worker process, so custom policies work in ``compare`` and ``sweep`` too;
- a name published by an installed package under the entry-point group ``gridshift.policies``;
- ``rl:module:callable`` (or ``rl:path/file.py:callable``): a trained agent wrapped by
  :mod:`policies.learned`.

:func:`register` adds a name in this process only: fine for in-process runs, but worker
processes never see it, so batch runs on workers refuse such a name before they start.

The registry imports the policies it names; no policy module imports the registry.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from functools import partial
from importlib import metadata
from typing import Any

from policies.fifo import FifoPolicy
from policies.greedy import GreedyPolicy
from simulator.contracts import Policy
from simulator.errors import PolicyError

ENTRY_POINT_GROUP = "gridshift.policies"
PolicyFactory = Callable[..., Policy]
_REGISTRY: dict[str, PolicyFactory] = {
    "fifo": FifoPolicy,
    "greedy": GreedyPolicy,
}
# Names registered by modules other than GridShift's own policies (this process only).
_LOCAL: set[str] = set()
# Policies that must see the realized future (they override the scenario's forecasts).
PERFECT_FORESIGHT: set[str] = set()
LEARNED_PREFIX = "rl:"


def register(name: str, factory: PolicyFactory, perfect_foresight: bool = False) -> None:
    """Make a policy available by name in this process (later registrations replace earlier)."""
    _REGISTRY[name] = factory
    caller = sys._getframe(1).f_globals.get("__name__", "")
    if not caller.startswith("policies."):
        _LOCAL.add(name)
    if perfect_foresight:
        PERFECT_FORESIGHT.add(name)


def policy_names() -> list[str]:
    """Every registered policy name (shipped, entry points and this process's own)."""
    _load_optional()
    return sorted({*_REGISTRY, *(ep.name for ep in _entry_points())})


def _entry_points() -> list[metadata.EntryPoint]:
    return list(metadata.entry_points(group=ENTRY_POINT_GROUP))


def _from_spec(spec: str) -> PolicyFactory:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise PolicyError(f"policy '{spec}': a custom policy is 'module:Class'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise PolicyError(f"policy '{spec}': cannot import module '{module_name}' "
                          f"({err}); is it on PYTHONPATH?") from None
    except Exception as err:  # noqa: BLE001 - the user's module failed while importing
        raise PolicyError(f"policy '{spec}': importing '{module_name}' failed: "
                          f"{type(err).__name__}: {err}".splitlines()[0]) from None
    factory: Any = module
    for part in attr.split("."):
        factory = getattr(factory, part, None)
        if factory is None:
            raise PolicyError(f"policy '{spec}': module '{module_name}' has no '{attr}'")
    if not callable(factory):
        raise PolicyError(f"policy '{spec}': '{attr}' is not a class or factory")
    return factory


def policy_factory(name: str) -> PolicyFactory:
    """The factory behind a policy name, spec or entry point; PolicyError when unknown."""
    if name not in _REGISTRY:  # the MILP family is imported (Pyomo) only when needed
        _load_optional()
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name.startswith(LEARNED_PREFIX):
        from policies.learned import learned_policy

        return partial(learned_policy, name.removeprefix(LEARNED_PREFIX))
    if ":" in name:
        return _from_spec(name)
    for ep in _entry_points():
        if ep.name == name:
            try:
                return ep.load()
            except Exception as err:  # noqa: BLE001 - a broken plug-in package
                raise PolicyError(f"policy '{name}': entry point {ep.value} failed to load: "
                                  f"{type(err).__name__}: {err}".splitlines()[0]) from None
    raise PolicyError(f"unknown policy '{name}' (known: {', '.join(policy_names())}; or give "
                      "a custom policy as module:Class)")


def is_policy(name: str) -> bool:
    """True when ``name`` resolves to a policy factory (a registered name, an ``rl:`` spec, a
    ``module:Class`` spec or an entry point)."""
    try:
        policy_factory(name)
    except PolicyError:
        return False
    return True


def make_policy(name: str, **options: Any) -> Policy:
    """A fresh policy instance; unknown names and refused options raise PolicyError."""
    factory = policy_factory(name)
    try:
        policy = factory(**options)
    except TypeError as err:
        raise PolicyError(f"policy '{name}': options {sorted(options)}: {err}") from None
    except ValueError as err:
        raise PolicyError(f"policy '{name}': {err}".splitlines()[0]) from None
    if not callable(getattr(policy, "decide", None)) or not isinstance(
            getattr(policy, "name", None), str):
        raise PolicyError(f"policy '{name}': {type(policy).__name__} is not a policy (needs "
                          "a name and decide(); see simulator.contracts.Policy)")
    return policy


def check_policy(name: str, options: dict[str, Any], *, workers: bool = False) -> None:
    """Build the policy once with its options (so bad ones fail before any run); with
    ``workers``, also refuse a name worker processes cannot resolve."""
    make_policy(name, **options)
    if workers and name in _LOCAL:
        raise PolicyError(f"policy '{name}' was registered in this process only and worker "
                          "processes cannot see it: give it as 'module:Class', publish it as a "
                          f"'{ENTRY_POINT_GROUP}' entry point, or use one worker")


def needs_perfect_foresight(name: str) -> bool:
    """True for policies (the oracle) that are defined by seeing the future."""
    if name not in _REGISTRY:  # as in policy_factory: Pyomo is imported only when needed
        _load_optional()
    return name in PERFECT_FORESIGHT


def _load_optional() -> None:
    """Register the MILP family on first use (Pyomo takes most of a second to import)."""
    if "oracle" in _REGISTRY:
        return
    from policies.milp import SWITCHES, MilpPolicy, OraclePolicy

    for name, switches in SWITCHES.items():
        register(name, partial(MilpPolicy, name=name, switches=switches))
    register("milp-robust", partial(MilpPolicy, name="milp-robust", demand_quantile=0.9))
    register("oracle", OraclePolicy, perfect_foresight=True)
