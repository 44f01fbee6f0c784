"""The site tariff: the one rule that turns a market price into what a site pays and earns.

Traces carry market (wholesale) prices in USD/MWh; the site's ``buy_adder_usd_per_mwh`` and
``sell_rule`` are applied here, on every route (synthetic, real data, trace folder).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simulator.scenario import Site

TARIFF_FIELDS: tuple[str, ...] = (
    "buy_adder_usd_per_mwh", "sell_rule", "sell_fraction", "sell_fixed_usd_per_mwh")
"""The Site fields that make up its tariff."""


def site_tariff(site: Site, market_usd_per_mwh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The site's (buy, sell) prices, USD/MWh, from the market price: buy adds the network
    adder; sell follows ``sell_rule`` ("wholesale": the market price; "fraction": positive prices
    times ``sell_fraction``, negative ones unscaled; "fixed": ``sell_fixed_usd_per_mwh``)."""
    market = np.asarray(market_usd_per_mwh, dtype=float)
    buy = market + site.buy_adder_usd_per_mwh
    if site.sell_rule == "wholesale":
        sell = market.copy()
    elif site.sell_rule == "fraction":
        sell = np.where(market > 0, market * site.sell_fraction, market)
    else:
        sell = np.full(market.shape, site.sell_fixed_usd_per_mwh)
    return buy, sell


def apply_tariffs(sites: Sequence[Site], market: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(buy, sell) [rows, sites], USD/MWh, from market prices [rows, sites]: column s by the
    tariff of ``sites[s]``."""
    pairs = [site_tariff(site, market[:, s]) for s, site in enumerate(sites)]
    return np.column_stack([b for b, _ in pairs]), np.column_stack([s for _, s in pairs])


def tariff_of(site: Site) -> dict[str, object]:
    """The site's tariff fields (for provenance and for comparing with a trace folder)."""
    return {name: getattr(site, name) for name in TARIFF_FIELDS}


def is_default_tariff(site: Site) -> bool:
    """True if the site pays and earns the market price (no adder, sell rule "wholesale")."""
    return site.buy_adder_usd_per_mwh == 0 and site.sell_rule == "wholesale"
