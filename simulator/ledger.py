"""The hourly books of a run: preallocated arrays while it runs, pandas tables after.

Site ledger (one row per hour x site); power columns are MW held for the hour, so they equal
MWh. Inference ledger (one row per hour x region x class), requests per hour. Routing ledger
(one row per hour x region x site), requests per hour summed over classes. Money in USD
(+ is income), emissions in tCO2.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

SITE_COLUMNS: tuple[str, ...] = (
    "gpus_training",
    "gpus_inference",
    "requests_served",
    "pue",
    "it_mw",
    "load_mw",
    "pv_available_mw",
    "wind_available_mw",
    "renewable_used_mw",
    "curtailed_mw",
    "genset_mw",
    "charge_mw",
    "discharge_mw",
    "soc_start_mwh",
    "soc_end_mwh",
    "import_mw",
    "export_mw",
    "shortfall_mw",
    "buy_price_usd_per_mwh",
    "sell_price_usd_per_mwh",
    "carbon_g_per_kwh",
    "temperature_c",
    "emissions_t",
    "energy_cost_usd",
    "export_revenue_usd",
    "genset_cost_usd",
    "degradation_cost_usd",
    "carbon_cost_usd",
    "shortfall_cost_usd",
    "inference_revenue_usd",
    "training_value_usd",
    "benefit_usd",
    "clips",
)
BENEFIT_PARTS: dict[str, int] = {
    "inference_revenue_usd": 1,
    "training_value_usd": 1,
    "export_revenue_usd": 1,
    "energy_cost_usd": -1,
    "genset_cost_usd": -1,
    "degradation_cost_usd": -1,
    "carbon_cost_usd": -1,
    "shortfall_cost_usd": -1,
}


def benefit_usd(parts: dict[str, np.ndarray]) -> np.ndarray:
    """Benefit (USD) of the money ``parts`` (a subset of :data:`BENEFIT_PARTS`), summed in
    their order: what ``sum(BENEFIT_PARTS[n] * v ...)`` gives, bit for bit, in half the ops."""
    total: Any = 0
    for name, value in parts.items():
        total = total + value if BENEFIT_PARTS[name] > 0 else total - value
    return total


INFERENCE_COLUMNS: tuple[str, ...] = (
    "arrived",
    "routed",
    "served",
    "dropped_unrouted",
    "dropped_capacity",
    "dropped_grid",
    "penalty_usd",
)
# Requests per hour from a region to a site, all classes: sent there, and served there.
ROUTING_COLUMNS: tuple[str, ...] = ("routed", "served")


class LedgerBuffer:
    """Preallocated arrays: ``site[name][t, s]``, ``inference[name][t, r, k]`` and
    ``routing[name][t, r, s]``. Each table's columns are views of one block, so its frame is
    built without copying them."""

    def __init__(self, hours: int, sites: int, regions: int, classes: int) -> None:
        self._site = np.zeros((len(SITE_COLUMNS), hours, sites))
        self._inference = np.zeros((len(INFERENCE_COLUMNS), hours, regions, classes))
        self._routing = np.zeros((len(ROUTING_COLUMNS), hours, regions, sites))
        self.site = dict(zip(SITE_COLUMNS, self._site, strict=True))
        self.inference = dict(zip(INFERENCE_COLUMNS, self._inference, strict=True))
        self.routing = dict(zip(ROUTING_COLUMNS, self._routing, strict=True))

    def site_frame(self, index: pd.DatetimeIndex, site_names: tuple[str, ...]) -> pd.DataFrame:
        """Long table: hour, timestamp, site, then every site column (``clips`` last, int)."""
        hours, sites = len(index), len(site_names)
        frame = _frame({
            "hour": np.repeat(np.arange(hours), sites),
            "timestamp": _utc(index).repeat(sites),
            "site": _labels(site_names, np.tile(np.arange(sites), hours)),
        }, self._site[:-1], SITE_COLUMNS[:-1])
        frame.insert(len(frame.columns), "clips", self._site[-1].reshape(-1).astype("int64"))
        return frame

    def inference_frame(self, index: pd.DatetimeIndex, regions: tuple[str, ...],
                        classes: tuple[str, ...]) -> pd.DataFrame:
        """Long table: hour, timestamp, region, class, then every inference column."""
        return _hourly_by_pair(index, ("region", regions), ("class", classes),
                               self._inference, INFERENCE_COLUMNS)

    def routing_frame(self, index: pd.DatetimeIndex, regions: tuple[str, ...],
                      sites: tuple[str, ...]) -> pd.DataFrame:
        """Long table: hour, timestamp, region, site, then every routing column."""
        return _hourly_by_pair(index, ("region", regions), ("site", sites), self._routing,
                               ROUTING_COLUMNS)


def _hourly_by_pair(index: pd.DatetimeIndex, first: tuple[str, tuple[str, ...]],
                    second: tuple[str, tuple[str, ...]], block: np.ndarray,
                    names: tuple[str, ...]) -> pd.DataFrame:
    """Long table of a [columns, hours, len(first), len(second)] block: one row per hour and
    pair."""
    (name_a, labels_a), (name_b, labels_b) = first, second
    hours, na, nb = len(index), len(labels_a), len(labels_b)
    return _frame({
        "hour": np.repeat(np.arange(hours), na * nb),
        "timestamp": _utc(index).repeat(na * nb),
        name_a: _labels(labels_a, np.tile(np.repeat(np.arange(na), nb), hours)),
        name_b: _labels(labels_b, np.tile(np.arange(nb), hours * na)),
    }, block, names)


def _frame(keys: dict[str, object], block: np.ndarray, names: tuple[str, ...]) -> pd.DataFrame:
    """The ``keys`` columns, then one float column per leading slice of ``block`` (a view of
    it: pandas keeps a C-ordered [columns, rows] block as it is)."""
    frame = pd.DataFrame(block.reshape(len(names), -1).T, columns=list(names), copy=False)
    for i, (name, values) in enumerate(keys.items()):
        frame.insert(i, name, values)
    return frame


def _utc(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """``index`` as UTC timestamps (naive stamps are taken as UTC)."""
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


def _labels(names: tuple[str, ...], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The string column ``names[codes]`` in the dtype pandas gives ``names``, built without
    one Python object per row (by Arrow's dictionary decoding when that dtype is Arrow's)."""
    labels = pd.Series(np.array(names, dtype=object)).array
    if getattr(labels.dtype, "storage", None) != "pyarrow":
        return labels.take(codes)
    decoded = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()),
                                             pa.array(names, pa.large_string()))
    return pd.array(decoded.dictionary_decode(), dtype=labels.dtype)


def frame_digest(*frames: pd.DataFrame) -> str:
    """SHA-256 over the values of tables (for bit-for-bit determinism checks)."""
    h = hashlib.sha256()
    for frame in frames:
        h.update(",".join(map(str, frame.columns)).encode())
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()
