"""The Python API: run keys and run folders."""

from __future__ import annotations

from gridshift.api import run
from policies.greedy import GreedyPolicy
from tests.conftest import constant_traces, one_site


def test_differently_configured_policy_objects_get_different_run_folders(tmp_path) -> None:
    scenario = one_site(hours=4)
    traces = constant_traces(scenario)
    a = run(scenario, GreedyPolicy(shadow_carbon_usd_per_t=0.0), traces=traces, out_dir=tmp_path)
    b = run(scenario, GreedyPolicy(shadow_carbon_usd_per_t=1000.0, start_tolerance=0.5),
            traces=traces, out_dir=tmp_path)
    assert a.folder != b.folder, "second run silently replaced the first run's folder"
