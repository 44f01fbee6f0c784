"""Every figure renders a non-empty image with its title, axis labels (units) and legend."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from analysis import figures as F
from analysis.sweep import run_sweep
from analysis.sweep_spec import parse_spec
from gridshift.api import simulate
from simulator.invariants import check_invariants
from simulator.scenario import parse_scenario
from tests.conftest import tiny_dict


@pytest.fixture(scope="module")
def run():
    return simulate(parse_scenario(tiny_dict(), source="tiny"), "greedy")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    spec = parse_spec({"name": "fig", "scenario": "paper-3site", "policies": ["fifo", "greedy"],
                       "seeds": [0, 1], "axes": {"battery": {
                           "paths": ["sites.*.battery.energy_mwh"], "scale": [0, 2]}}})
    return run_sweep(spec, None, progress=False).table


def _texts(fig: Figure) -> set[str]:
    """Every title, axis label and legend entry of a figure (colour bars included)."""
    out = {fig.get_suptitle()}
    legends = list(fig.legends)
    for ax in fig.axes:
        out |= {ax.get_title(), ax.get_title("left"), ax.get_xlabel(), ax.get_ylabel()}
        legends += [ax.get_legend()] if ax.get_legend() is not None else []
    for legend in legends:
        out |= {t.get_text() for t in legend.get_texts()}
        out.add(legend.get_title().get_text())
    return {t for t in out if t}


def _assert_image(fig: Figure) -> None:
    png = F.figure_png(fig, dpi=60)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(io.BytesIO(png))[..., :3]
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    drawn = (pixels < 0.9).any(axis=2).mean()
    assert drawn > 0.04, f"only {drawn:.1%} of the image is drawn on"


def _has(texts: set[str], *needles: str) -> None:
    for needle in needles:
        assert any(needle in t for t in texts), f"'{needle}' not in {sorted(texts)}"


def test_dispatch(run) -> None:
    fig = F.plot_dispatch(run)
    _assert_image(fig)
    texts = _texts(fig)
    _has(texts, "Dispatch per site — tiny · greedy · seed 3", "site a", "site b", "power (MW)",
         "time (UTC)")
    assert {"PV", "wind", "battery discharge", "battery charge", "grid import", "grid export",
            "curtailment", "facility load"} <= texts
    # Genset and shortfall are drawn only when they happen.
    led = run.result.ledger
    assert ("genset" in texts) == bool((led["genset_mw"] > 0).any())
    assert ("shortfall" in texts) == bool((led["shortfall_mw"] > 0).any())


def test_state_of_charge(run) -> None:
    fig = F.plot_soc(run)
    _assert_image(fig)
    texts = _texts(fig)
    _has(texts, "Battery state of charge", "state of charge (MWh)", "time (UTC)")
    assert "a" in texts and "b" not in texts  # only site a has a battery


def test_routing_heatmap(run) -> None:
    fig = F.plot_routing(run)
    _assert_image(fig)
    texts = _texts(fig)
    _has(texts, "Inference routing", "user region → site", "time (UTC)",
         "requests served (thousand per hour)", "share of the region's served requests")
    labels = {t.get_text() for t in fig.axes[0].get_yticklabels()}
    assert {"west → a", "west → b", "south → a", "south → b"} == labels


def test_routing_table_adds_up_and_is_checked(run) -> None:
    routing, result = run.result.routing, run.result
    assert len(routing) == 24 * 2 * 2
    served = routing.groupby("hour")["served"].sum().to_numpy()
    assert np.allclose(served, result.inference.groupby("hour")["served"].sum().to_numpy())
    assert check_invariants(result) == []
    broken = routing.copy()
    broken.loc[5, "served"] += 10.0
    result.routing = broken
    try:
        problems = check_invariants(result)
    finally:
        result.routing = routing
    assert any("routing served per hour x region" in p for p in problems)


def test_routing_needs_the_table(run) -> None:
    tables = F.run_tables(run)
    with pytest.raises(ValueError, match="no routing table"):
        F.plot_routing({**tables, "routing": None})


def test_jobs_gantt(run) -> None:
    fig = F.plot_jobs(run)
    _assert_image(fig)
    texts = _texts(fig)
    _has(texts, "Training jobs", "time (UTC)", "training job (by release)",
         "release → deadline window", "running at")


def test_signals(run) -> None:
    fig = F.plot_signals(run)
    _assert_image(fig)
    _has(_texts(fig), "Grid carbon intensity and price", "carbon intensity (gCO2/kWh)",
         "buy price (USD/MWh)", "site")


def test_run_figures_from_a_saved_run_folder(run, tmp_path: Path) -> None:
    from analysis.sweep_store import save_books

    folder = save_books(run, tmp_path / "books" / "r")
    tables = F.run_tables(folder)
    assert len(tables["routing"]) == len(run.result.routing)
    assert F.plot_routing(folder).get_suptitle().startswith("Inference routing")


def test_benefit_against_emissions(table: pd.DataFrame) -> None:
    fig = F.plot_benefit_emissions(table)
    _assert_image(fig)
    _has(_texts(fig), "Benefit against emissions per policy", "emissions (tCO2)",
         "total benefit (USD)", "fifo", "greedy")
    one_point = table[table["point"] == 0]
    _has(_texts(F.plot_benefit_emissions(one_point)), "mean ± 95% CI")


def test_sensitivity_with_bands(table: pd.DataFrame) -> None:
    fig = F.plot_sensitivity(table, "battery", "emissions_t", xlabel="battery (× base value)")
    _assert_image(fig)
    _has(_texts(fig), "Sensitivity of emissions (tCO2) to\nbattery (× base value)",
         "battery (× base value)", "emissions (tCO2)", "fifo", "greedy", "95% CI of the mean")
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and len(ax.collections) == 2  # a line and a band per policy
    with pytest.raises(ValueError, match="'nope' is not a sweep parameter"):
        F.plot_sensitivity(table, "nope")


def test_regret(table: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="no 'oracle' runs"):
        F.plot_regret(table)
    as_oracle = table.assign(policy=table["policy"].replace({"greedy": "oracle"}))
    fig = F.plot_regret(as_oracle)
    _assert_image(fig)
    _has(_texts(fig), "Regret against the oracle", "regret against the oracle (USD)", "fifo",
         "policy")
    by_param = F.plot_regret(as_oracle, "battery")
    _assert_image(by_param)
    _has(_texts(by_param), "regret against the oracle (USD)", "battery", "fifo")


def test_labels_carry_units() -> None:
    assert F.label_of("economics.carbon_price_usd_per_t") == \
        "economics.carbon_price_usd_per_t (USD/tCO2)"
    assert F.label_of("energy_cost_usd") == "energy cost (USD)"
    assert F.label_of("sites.*.battery.energy_mwh") == "sites.*.battery.energy_mwh (MWh)"
