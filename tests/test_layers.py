"""Imports point down: the import-linter contracts of pyproject.toml hold on the code.

The same contracts run in ``make lint`` (``lint-imports``). The second test proves that they
would catch an upward import and an import circle, so a kept contract means something.
"""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path

import grimp
import pytest
from importlinter import api
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parents[1]
CONTRACT_TYPES = {"layers": LayersContract, "acyclic_siblings": AcyclicSiblingsContract}


@pytest.fixture(scope="module")
def config() -> dict:
    return api.read_configuration(str(ROOT / "pyproject.toml"))


@pytest.fixture(scope="module")
def graph(config: dict) -> grimp.ImportGraph:
    return grimp.build_graph(*config["session_options"]["root_packages"], cache_dir=None)


def _broken(config: dict, graph: grimp.ImportGraph) -> list[str]:
    """Names of the contracts that ``graph`` breaks."""
    broken = []
    for options in config["contracts_options"]:
        contract = CONTRACT_TYPES[options["type"]](
            name=options["name"], session_options=config["session_options"],
            contract_options=options)
        if not contract.check(deepcopy(graph), verbose=False).kept:
            broken.append(options["name"])
    return broken


def test_contracts_cover_the_six_packages_in_order(config: dict) -> None:
    contracts = {c["id"]: c for c in config["contracts_options"]}
    assert contracts["layers"]["layers"] == [
        "gridshift", "analysis", "policies", "traces", "optimizers", "simulator"]
    assert set(contracts["acyclic"]["ancestors"]) == set(contracts["layers"]["layers"])


def test_the_code_keeps_every_contract(config: dict, graph: grimp.ImportGraph) -> None:
    assert _broken(config, graph) == []


@pytest.mark.parametrize("importer,imported", [
    ("simulator.engine", "policies.greedy"),         # a lower layer reaching up
    ("traces.forecast", "analysis.kpis"),
    ("policies.fifo", "policies.registry"),          # closes a circle with the registry
])
def test_the_contracts_catch_a_bad_import(config: dict, graph: grimp.ImportGraph,
                                          importer: str, imported: str) -> None:
    bad = deepcopy(graph)
    bad.add_import(importer=importer, imported=imported)
    assert _broken(config, bad), f"{importer} -> {imported} passed every contract"
