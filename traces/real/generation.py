"""EIA-930 net generation by fuel (MWh per hour) → capacity-factor-like shapes (0-1).

A shape is the fuel's hourly generation divided by its largest hourly value of the loaded period:
its maximum is 1 and it follows real fleet output, but its mean is not the fleet's capacity factor
(installed capacity grew during the year and the peak hour never reaches nameplate). Negative net
generation (plants drawing power at night) counts as 0. Balancing authorities map to zone ids:
CISO → US-CAL-CISO, ERCO → US-TEX-ERCO, PJM → US-MIDA-PJM, NYIS → US-NY-NYIS.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from simulator.errors import TraceError
from traces.real.datadir import FILES, data_file
from traces.real.gaps import GapMethod, GapPolicy
from traces.real.tables import Loaded, fill_keyed, read_long_hourly

BA_ZONES: MappingProxyType[str, str] = MappingProxyType(
    {"CISO": "US-CAL-CISO", "ERCO": "US-TEX-ERCO", "PJM": "US-MIDA-PJM", "NYIS": "US-NY-NYIS"}
)
"""Zone id of each EIA-930 balancing authority code."""


def capacity_factor_shape(generation_mwh: pd.Series) -> pd.Series:
    """Hourly generation (MWh per hour) divided by its maximum: a 0-1 shape with maximum 1.

    Negative values count as 0. Raises ValueError if no hour has positive generation.
    """
    positive = generation_mwh.clip(lower=0.0)
    peak = positive.max()
    if not peak > 0:
        raise ValueError(f"{generation_mwh.name}: no positive generation, shape undefined")
    return positive / peak


def load_generation_shapes(
    *,
    fuels: Sequence[str] = ("SUN", "WND"),
    zones: Sequence[str] | None = None,
    gap_policy: GapMethod | GapPolicy = "refuse",
    directory: str | Path | None = None,
) -> Loaded:
    """Capacity-factor-like shapes (0-1) with columns (fuel, zone_id), e.g. ``frame["SUN"]``.

    ``zones`` selects zone ids (or balancing-authority codes); default: all in the file.

    Gaps (empty cells: CISO 3 hours, PJM 23 hours in 2022) follow ``gap_policy``; the GapReport
    keys read ``<BA>/<fuel>``. A fuel a balancing authority never reports (NYIS has no SUN: all
    zeros) has no shape: its column is left out and a note says so (TraceError if none is left).
    """
    path = data_file(FILES["eia930"], directory)
    zone_bas = {zone: ba for ba, zone in BA_ZONES.items()}
    bas = [zone_bas.get(zone, zone) for zone in zones] if zones is not None else None
    tables = read_long_hourly(path, "balancing_authority", list(fuels), bas)
    mwh, report = fill_keyed(tables, gap_policy, path.name, ("fuel", "balancing_authority"))
    shapes, notes = {}, []
    for fuel, ba in mwh.columns:
        zone = BA_ZONES.get(ba, ba)
        if mwh[(fuel, ba)].max() > 0:
            shapes[(fuel, zone)] = capacity_factor_shape(mwh[(fuel, ba)])
        else:
            notes.append(f"{ba} reports no {fuel} generation (all hours <= 0): no {fuel} shape")
    if not shapes:
        raise TraceError(path.name, "; ".join(notes), column=", ".join(fuels))
    frame = pd.concat(shapes, axis=1, names=["fuel", "zone_id"])
    return Loaded(frame, report, tuple(notes))
