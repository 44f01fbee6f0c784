"""Any callable ``observation vector -> action vector`` (a trained agent) as a GridShift policy.

``--policy rl:module:callable`` (or ``rl:path/to/file.py:callable``) loads the callable and wraps
it in :class:`CallablePolicy`, which encodes each Observation and decodes each action with
:mod:`policies.rl_codec`, exactly as the Gymnasium env ``gridshift.rl.GridShiftEnv`` does, so a
policy trained in the env scores the same in ``run``, ``compare`` and sweeps. Needs no gymnasium.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from policies.rl_codec import ActionDecoder, ObservationEncoder
from simulator.contracts import Decision, Observation
from simulator.system import SystemModel

Agent = Callable[[np.ndarray], np.ndarray]


class CallablePolicy:
    """A policy that asks ``agent(obs_vector)`` for an action vector each hour."""

    def __init__(self, agent: Agent, name: str = "rl") -> None:
        self.agent = agent
        self.name = name
        self._encoder: ObservationEncoder | None = None
        self._decoder: ActionDecoder | None = None

    def reset(self, system: SystemModel, hours_total: int) -> None:
        self._encoder = ObservationEncoder(system)
        self._decoder = ActionDecoder(system)

    def decide(self, observation: Observation) -> Decision:
        if self._encoder is None or self._decoder is None:
            self.reset(observation.system, observation.hours_total)
        assert self._encoder is not None and self._decoder is not None
        action = self.agent(self._encoder.encode(observation))
        return self._decoder.decode(action, observation)


def load_callable(spec: str) -> Agent:
    """``module:attr`` or ``path/to/file.py:attr`` -> the attribute; ValueError when missing."""
    module_name, _, attr = spec.rpartition(":")
    if not module_name or not attr:
        raise ValueError(f"policy 'rl:{spec}': expected rl:module:callable")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            if not path.is_file():
                raise ValueError(f"policy 'rl:{spec}': no file {path}")
            loader_spec = importlib.util.spec_from_file_location(f"_gridshift_rl_{path.stem}",
                                                                 path)
            if loader_spec is None or loader_spec.loader is None:
                raise ValueError(f"policy 'rl:{spec}': {path} is not a Python module")
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[loader_spec.name] = module
            loader_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise ValueError(f"policy 'rl:{spec}': cannot import {err.name}") from None
    agent = getattr(module, attr, None)
    if not callable(agent):
        raise ValueError(f"policy 'rl:{spec}': {module_name} has no callable '{attr}'")
    return agent


def learned_policy(spec: str) -> CallablePolicy:
    """The policy for the name ``rl:<spec>``."""
    return CallablePolicy(load_callable(spec), name=f"rl:{spec}")
