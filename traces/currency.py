"""Currency conversion for market prices: USD per unit, 2022 annual averages, user entries merged.

The defaults are 2022 annual average exchange rates (US Federal Reserve G.5A release, rounded;
EUR, GBP, SGD and JPY keep the project's earlier rounding). ``economics.currency_usd`` entries
of a scenario are merged over them (a user entry wins; codes are case-insensitive). Source and
table: docs/real-data.md, "Currencies".
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

USD_PER_UNIT_2022: MappingProxyType[str, float] = MappingProxyType(
    {
        "usd": 1.0,
        "eur": 1.05,
        "gbp": 1.24,
        "sgd": 0.725,
        "jpy": 0.0076,
        "cad": 0.768,
        "aud": 0.695,
        "nzd": 0.636,
        "chf": 1.047,
        "sek": 0.0988,
        "nok": 0.104,
        "dkk": 0.141,
        "inr": 0.0127,
        "brl": 0.194,
        "cny": 0.149,
        "krw": 0.000774,
        "hkd": 0.128,
        "twd": 0.0336,
        "mxn": 0.0497,
        "zar": 0.0611,
        "thb": 0.0285,
        "myr": 0.227,
    }
)
"""USD per unit of each currency (lower-case ISO 4217 code), 2022 annual averages."""


def currency_table(user: Mapping[str, float] | None = None) -> dict[str, float]:
    """The conversion table: the 2022 defaults with ``user`` entries (any case) merged over."""
    return {**USD_PER_UNIT_2022, **{code.lower(): float(v) for code, v in (user or {}).items()}}
