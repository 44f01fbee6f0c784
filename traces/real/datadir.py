"""Where the real public data lives and which files it must contain.

The directory is resolved in this order: an explicit argument, the environment variable
``GRIDSHIFT_DATA_DIR``, then ``../shared/data`` relative to the repository root and relative to
the current working directory. The files are read in place and never copied into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import MappingProxyType

from simulator.errors import TraceError

ENV_VAR = "GRIDSHIFT_DATA_DIR"

FILES: MappingProxyType[str, str] = MappingProxyType(
    {
        "carbon_lca": "carbon_intensity_lca_gco2eq_per_kwh_2022_hourly.csv",
        "carbon_direct": "carbon_intensity_direct_gco2eq_per_kwh_2022_hourly.csv",
        "renewable_share": "renewable_share_pct_2022_hourly.csv",
        "prices": "electricity_price_2022_hourly.csv",
        "eia930": "eia930_generation_by_fuel_mwh_2022_hourly.csv",
        "weather": "weather_openmeteo_2022_hourly.csv",
        "azure_code": "azure_llm_inference_2023_code.csv",
        "azure_conv": "azure_llm_inference_2023_conv.csv",
        "gaia": "gaia_pai_1k_jobs.csv",
    }
)
"""File name of each real-data table (the format contract documented in docs/real-data.md)."""

_REPO_ROOT = Path(__file__).resolve().parents[2]


def _default_candidates() -> list[Path]:
    """``../shared/data`` relative to the repository root, then to the working directory."""
    candidates = [_REPO_ROOT.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    return list(dict.fromkeys(path.resolve() for path in candidates))


def _must_contain() -> str:
    return "must contain " + ", ".join(FILES.values())


def data_dir(explicit: str | Path | None = None) -> Path:
    """Return the real-data directory: ``explicit``, else ``$GRIDSHIFT_DATA_DIR``, else the default.

    Raises TraceError (one line: where the data is expected and which files it must hold) if the
    chosen directory does not exist. An explicit or environment choice never falls back further.
    """
    if explicit is not None:
        chosen, how = Path(explicit), "directory given"
    elif os.environ.get(ENV_VAR):
        chosen, how = Path(os.environ[ENV_VAR]), f"{ENV_VAR}"
    else:
        candidates = _default_candidates()
        for path in candidates:
            if path.is_dir():
                return path
        tried = " or ".join(str(path) for path in candidates)
        raise TraceError(
            tried,
            f"real-data directory not found (set {ENV_VAR} or pass a directory); "
            f"it {_must_contain()}",
        )
    if not chosen.is_dir():
        raise TraceError(
            str(chosen), f"real-data directory not found ({how}); it {_must_contain()}"
        )
    return chosen


def data_file(name: str, directory: str | Path | None = None) -> Path:
    """Return the path of file ``name`` inside :func:`data_dir` (``directory`` as its argument).

    Raises TraceError naming the expected path if the file is missing.
    """
    path = data_dir(directory) / name
    if not path.is_file():
        raise TraceError(str(path), f"file not found; the real-data directory {_must_contain()}")
    return path
