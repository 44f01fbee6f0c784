"""Bursty inference demand (the scenario's ``[bursts]`` table): a Markov-modulated process.

Each region's hourly arrivals are multiplied by a seeded modulation with three states: off
(no requests at all), base and burst (``burst_factor`` times base); state dwell times are
geometric, with means ``off_dwell_h`` / ``burst_dwell_h``, and the base state's exits are set so
the long-run shares of off and burst hours are ``off_share`` / ``burst_share``. Within a state
the level carries lognormal noise (``noise_sigma``, log-space standard deviation), and the
modulation is scaled so its long-run mean is 1 (the region's ``requests_per_hour`` stands).
The defaults are calibrated against the Azure LLM code trace's per-minute arrivals, one
minute of the trace standing for one simulated hour (docs/robustness.md, "Calibration").
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Share = Annotated[float, Field(ge=0.0, lt=1.0)]
Dwell = Annotated[float, Field(ge=1.0)]


class Bursts(BaseModel):
    """Parameters of the bursty demand modulation (unitless shares, hours, factors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    off_share: Share = 0.21
    burst_share: Share = 0.1
    burst_factor: Annotated[float, Field(ge=1.0)] = 4.0
    off_dwell_h: Dwell = 2.0
    burst_dwell_h: Dwell = 2.0
    noise_sigma: Annotated[float, Field(ge=0.0, le=2.0)] = 0.1

    @model_validator(mode="after")
    def _shares(self) -> Bursts:
        base = 1.0 - self.off_share - self.burst_share
        if base <= 0:
            raise ValueError("off_share + burst_share must be below 1")
        if self.off_share / (base * self.off_dwell_h) + \
                self.burst_share / (base * self.burst_dwell_h) > 1.0:
            raise ValueError("off_share / burst_share too large for their dwell times "
                             "(the base state would have to leave more than every hour)")
        return self
