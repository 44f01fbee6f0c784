"""The invariant checker: it passes honest books and flags broken ones."""

from __future__ import annotations

import numpy as np

from gridshift.api import simulate
from simulator.invariants import check_invariants
from tests.conftest import constant_traces, one_site


def test_invariants_flag_nan_in_the_books() -> None:
    scenario = one_site(hours=6)
    result = simulate(scenario, "fifo", traces=constant_traces(scenario)).result
    assert check_invariants(result) == []
    result.ledger.loc[0, "import_mw"] = np.nan  # energy balance can no longer close
    assert check_invariants(result) != []
