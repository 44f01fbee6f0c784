"""A linear policy, action = tanh(W @ observation + b), as an ``rl:`` agent.

``act`` loads the weights that examples/train_rl_policy.py wrote next to this file, so the
trained policy runs like any other:
``gridshift run paper-3site --policy rl:examples/linear_agent.py:act``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).with_name("rl_linear_policy.npz")


class LinearAgent:
    """action = tanh(W @ x + b); ``theta`` is W (row-major) followed by b."""

    def __init__(self, theta: np.ndarray, n_obs: int, n_act: int) -> None:
        self.w = np.asarray(theta[:n_act * n_obs], dtype=float).reshape(n_act, n_obs)
        self.b = np.asarray(theta[n_act * n_obs:], dtype=float)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(self.w @ x + self.b)

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> LinearAgent:
        """The agent saved at ``path`` (an .npz with theta, n_obs, n_act)."""
        data = np.load(path)
        return cls(data["theta"], int(data["n_obs"]), int(data["n_act"]))


_agent: LinearAgent | None = None


def act(x: np.ndarray) -> np.ndarray:
    """The trained policy (weights loaded on first use)."""
    global _agent
    if _agent is None:
        _agent = LinearAgent.load()
    return _agent(x)
