"""Stepped runs: the engine's clock with each hour's Decision supplied by a caller (the
Gymnasium env) instead of the policy. Same clock, same execution, same books as ``run``.

In a stepped run the clock asks for each decision through ``_decide``: an event that ``step``
answers with the caller's Decision (otherwise the clock asks the policy directly).
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

import simpy

from simulator.contracts import Decision, Observation


class SteppedClock:
    """Mixin of :class:`simulator.engine.Simulation`: ``start`` and ``step``."""

    _stepped = False
    _awaiting: simpy.Event | None = None
    _clock_process: simpy.Process | None = None
    observation: Observation | None = None  # the open hour's, in a stepped run
    # Provided by the engine that mixes this in:
    env: simpy.Environment

    def _clock(self) -> Generator[simpy.Event, Any, None]:
        raise NotImplementedError

    def _decide(self, obs: Observation) -> simpy.Event:
        """The caller's decision for ``obs`` as an event: its next ``step`` argument."""
        event = self.env.event()
        self.observation, self._awaiting = obs, event
        return event

    def start(self) -> Observation:
        """Begin a stepped run: the same clock and books as ``run``, but each hour's Decision
        comes from the caller's ``step`` instead of the policy. Returns hour 0's Observation."""
        self._stepped = True
        self._wall = time.perf_counter()
        self._clock_process = self.env.process(self._clock())
        first = self._run_to_next_decision()
        if first is None:
            raise RuntimeError("the run has no hours")
        return first

    def step(self, decision: Decision) -> Observation | None:
        """Execute ``decision`` for the open hour, then run the clock to the next decision
        epoch (jobs ending there credit their value first). Returns that hour's Observation,
        or None when the run is over (``result()`` then gives the books)."""
        if self._awaiting is None:
            raise RuntimeError("no hour is open: call start() first, or the run is over")
        event, self._awaiting = self._awaiting, None
        event.succeed(decision)
        return self._run_to_next_decision()

    def _run_to_next_decision(self) -> Observation | None:
        process = self._clock_process
        while self._awaiting is None and process is not None and process.is_alive:
            self.env.step()
        return self.observation if self._awaiting is not None else None
