"""Reinforcement learning on GridShift: a Gymnasium env over the engine and its books
(:class:`GridShiftEnv`, needs the ``rl`` extra). Trained agents run as ``rl:module:callable``
policies (policies/learned.py, no extra needed). See docs/rl.md."""

from __future__ import annotations

from typing import Any

__all__ = ["GridShiftEnv"]


def __getattr__(name: str) -> Any:
    if name == "GridShiftEnv":  # imported lazily: gymnasium is an optional extra
        from gridshift.rl.env import GridShiftEnv

        return GridShiftEnv
    raise AttributeError(name)
