"""The conformal quantile learner's order statistics (traces/forecast_quantiles.py)."""

from __future__ import annotations

import numpy as np


def test_order_statistics_match_a_full_sort() -> None:
    """The partitioned order statistics equal those of sorting each column's first n values
    (the interpolation the conformal learner uses), for columns of different fill."""
    from traces.forecast_quantiles import _MIN_RESIDUALS, _order_statistics

    rng = np.random.default_rng(3)
    window = np.full((60, 4, 3), np.inf)
    n = rng.integers(0, 61, size=(4, 3))
    n[0, 0], n[1, 1] = 60, _MIN_RESIDUALS
    for t, m in np.ndindex(n.shape):
        window[: n[t, m], t, m] = rng.normal(size=n[t, m])
    levels = np.array([0.1, 0.5, 0.9])
    lower, upper = _order_statistics(window, n, levels)
    for t, m in np.ndindex(n.shape):
        if n[t, m] < _MIN_RESIDUALS:
            assert np.isnan(lower[:, t, m]).all()
            continue
        ranked = np.sort(window[: n[t, m], t, m])
        lo = np.floor(levels * (n[t, m] - 1)).astype(int)
        assert np.array_equal(lower[:, t, m], ranked[lo])
        assert np.array_equal(upper[:, t, m], ranked[np.minimum(lo + 1, n[t, m] - 1)])
        expected = np.quantile(ranked, levels)  # numpy's linear interpolation
        pos = levels * (n[t, m] - 1)
        got = lower[:, t, m] + (pos - np.floor(pos)) * (upper[:, t, m] - lower[:, t, m])
        assert np.allclose(got, expected)
