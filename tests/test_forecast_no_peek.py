"""No forecaster can read a value at or after its issue time: poisoning the future of a trace
leaves every forecast unchanged (except those handed the truth, perfect and noisy-perfect,
which must change), and no history array handed to a forecaster or a policy is a view of the
whole series."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gridshift.api import simulate
from simulator.contracts import Decision
from simulator.traceset import SIGNALS
from tests.conftest import constant_traces, one_site
from tests.helpers import ScriptedPolicy
from traces import forecast as fc
from traces.forecast import FORECASTERS, ForecastProvider
from traces.synthetic import generate


def _poisoned(traces, from_row: int):
    signals = {k: v.copy() for k, v in traces.site_signals.items()}
    for v in signals.values():
        v[from_row:] = 1e6
    demand = traces.demand.copy()
    demand[from_row:] = 1e6
    return dataclasses.replace(traces, site_signals=signals, demand=demand)


@pytest.mark.parametrize("method", sorted(FORECASTERS))
def test_future_poison_changes_nothing(tiny, method: str) -> None:
    traces = generate(tiny)
    t = 10
    row = traces.history_hours + t
    clean = ForecastProvider(traces, {"*": method})
    dirty = ForecastProvider(_poisoned(traces, row), {"*": method})
    for signal in SIGNALS:
        a, b = clean.forecast(signal, t, 24), dirty.forecast(signal, t, 24)
        if clean.forecaster(signal).needs_truth:
            assert not np.array_equal(a, b)
        else:
            np.testing.assert_array_equal(a, b)


def test_seasonal_naive_repeats_yesterday(tiny) -> None:
    traces = generate(tiny.with_updates({"hours": 48}))
    provider = ForecastProvider(traces, {"*": "seasonal-naive-24"})
    out = provider.forecast("carbon", 5, 30)
    row = traces.history_hours + 5
    truth = traces.signal("carbon")
    np.testing.assert_array_equal(out[:24], truth[row - 24:row])
    np.testing.assert_array_equal(out[24:], truth[row - 24:row - 18])


def test_horizon_is_cut_at_the_end_of_the_traces(tiny) -> None:
    traces = generate(tiny)
    provider = ForecastProvider(traces, {"*": "persistence"})
    assert provider.forecast("buy_price", tiny.hours - 3, 24).shape == (3, 2)


def test_unknown_method_or_signal() -> None:
    from traces.forecast import make_forecaster, methods_from_config

    with pytest.raises(ValueError, match="unknown forecaster 'psychic' \\(known: .*perfect"):
        make_forecaster("psychic", np.zeros((3, 1)))
    with pytest.raises(ValueError, match="unknown signals \\['price'\\]"):
        methods_from_config("perfect", {"price": "perfect"})


# ---- no array handed out is a view that reaches the future --------------------------------
def _reaches_rows(array: np.ndarray, rows: int) -> bool:
    """True if ``array`` or any array it is a view of has more than ``rows`` rows."""
    a = array
    while isinstance(a, np.ndarray):
        if a.ndim and a.shape[0] > rows:
            return True
        a = a.base
    return False


def test_observation_history_does_not_expose_the_future() -> None:
    scenario = one_site(hours=4)
    traces = constant_traces(scenario)
    leaks = []

    def script(obs):
        h = obs.history("carbon")
        leaks.append(_reaches_rows(h, len(h)))
        return Decision()

    simulate(scenario, ScriptedPolicy(script), traces=traces)
    assert not any(leaks), "obs.history(...).base is the full trace, future rows included"


def test_forecaster_history_does_not_expose_the_future(monkeypatch) -> None:
    seen = []

    class Spy(fc.Forecaster):
        name = "spy"

        def issue(self, history, row, horizon):
            seen.append(_reaches_rows(history, row))
            return np.repeat(history[-1:], horizon, axis=0)

    monkeypatch.setitem(fc.FORECASTERS, "persistence", lambda *args, **kwargs: Spy())
    traces = constant_traces(one_site(hours=4))
    provider = fc.ForecastProvider(traces, {"*": "persistence"})
    provider.forecast("carbon", 2, 3)
    assert seen and not any(seen), "a forecaster's history.base holds rows at/after its issue"
