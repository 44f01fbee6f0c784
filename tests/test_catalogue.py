"""The KPI catalogue: labels, units, direction and readable numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.catalogue import (
    describe,
    format_change,
    format_number,
    format_value,
    header_of,
    label_of,
)
from analysis.tables import kpi_table


@pytest.mark.parametrize(("value", "decimals", "signed", "text"), [
    (7157227.4, 0, False, "7,157,227"), (1.245644e-11, 0, False, "0"), (-0.0001, 1, False, "0.0"),
    (-1234.56, 1, True, "-1,234.6"), (0.4, 0, True, "0"), (2.56e3, 0, False, "2,560"),
    (float("nan"), 2, False, ""), (None, 0, False, ""),
    (1e20, 0, False, "100,000,000,000,000,000,000"),
])
def test_numbers_are_readable(value, decimals, signed, text) -> None:
    assert format_number(value, decimals, signed) == text


def test_known_and_unknown_kpis() -> None:
    assert describe("emissions_t").direction == -1 and describe("total_benefit_usd").direction == 1
    assert header_of("emissions_t") == "emissions tCO2 ↓"
    assert label_of("served_share") == "inference served (0–1)"
    for key in ("carbon_overshoot_t", "carbon_overshoot_cost_usd", "oracle_bound_usd",
                "regret_bound_usd"):
        assert describe(key).unit in ("tCO2", "USD") and "_" not in describe(key).label
    new = describe("peak_import_mw")  # a KPI the catalogue does not list
    assert (new.label, new.unit) == ("peak import", "MW")
    assert format_value("served_share_chat", 0.98765) == "0.988"


def test_percent_change_only_where_it_means_something() -> None:
    assert format_change("total_benefit_usd", 20824.0, 300805.0) == "+20,824 (+6.9%)"
    assert format_change("decide_s_median", 1.7, 0.0001) == "+1.7000"  # no "+1700249.8%"
    assert format_change("unserved_penalty_usd", -3.0, 1e-11) == "-3"
    assert format_change("emissions_t", -3.66, 26.1, 5.1) == "-3.7 ± 5.1 (-14.0%)"


def test_kpi_table_is_a_readable_rich_table() -> None:
    table = pd.DataFrame({"total_benefit_usd": [7157227.4, 6714201.0],
                          "unserved_penalty_usd": [1.2e-11, 44798.2],
                          "emissions_t": [587.33, 600.3]}, index=["milp", "fifo"])
    text = kpi_table(table)
    assert "total benefit USD ↑" in text and "7,157,227" in text and "587.3" in text
    assert "e-11" not in text and "-0" not in text.replace("-0.", "")
