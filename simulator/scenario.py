"""Scenario: the typed, validated description of one study (sites, users, workload, economics).

A scenario loads from TOML, YAML or JSON, or is built in Python. Validation errors become one
:class:`~simulator.errors.ScenarioError` line naming the file and the field, e.g.
``scenario 'x.toml': sites.0.gpus: Input should be greater than 0``; an unknown key is named
with a suggestion (``sites.0.gpu: unknown field (did you mean 'gpus'?)``). The parts of a
scenario are in :mod:`simulator.scenario_models`; reading files in :mod:`simulator.scenario_files`.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StrictBool, ValidationError, model_validator

from simulator.bursts import Bursts
from simulator.errors import ScenarioError
from simulator.inputs import Inputs, resolve_paths
from simulator.scenario_files import load_mapping
from simulator.scenario_models import (
    Battery,
    Economics,
    ForecastConfig,
    Genset,
    InferenceClass,
    Job,
    JobStream,
    NonNegative,
    PUEModel,
    Region,
    Site,
    TraceSource,
    Whole,
    _Model,
)

BUILTIN_DIR = Path(__file__).parent / "scenarios"
MAX_HOURS = 87_600  # 10 years; longer runs need allow_long_run = true (CLI: --allow-long-run)
MAX_SEED = 2**63 - 1
MAX_JOBS = 1_000_000  # expected Poisson jobs over a run


class Scenario(_Model):
    """One complete study: system, users, workload, economics, traces and time span."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    start: datetime = datetime(2022, 6, 1, tzinfo=UTC)
    hours: Annotated[Whole, Field(gt=0)]
    allow_long_run: StrictBool = Field(
        default=False, description=f"allow hours beyond {MAX_HOURS:,} (10 years)")
    seed: Annotated[Whole, Field(ge=0, le=MAX_SEED)] = 0
    sites: Annotated[list[Site], Field(min_length=1)]
    regions: Annotated[list[Region], Field(min_length=1)]
    classes: Annotated[list[InferenceClass], Field(min_length=1)]
    latency_ms: dict[str, dict[str, NonNegative]] | None = Field(
        default=None, description="explicit round-trip latency [region][site]; default: geography"
    )
    jobs: JobStream = JobStream()
    economics: Economics = Economics()
    traces: TraceSource = TraceSource()
    forecast: ForecastConfig = ForecastConfig()
    inputs: Inputs = Inputs()
    bursts: Bursts | None = None  # bursty demand (simulator.bursts)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.start.utcoffset() != timedelta(0):
            raise ValueError("start: must be a UTC timestamp (e.g. 2022-06-01T00:00:00Z)")
        if self.start.minute or self.start.second or self.start.microsecond:
            raise ValueError("start: must be an hour start")
        if self.hours > MAX_HOURS and not self.allow_long_run:
            raise ValueError(f"hours: {self.hours:,} is more than 10 years ({MAX_HOURS:,} h); "
                             "set allow_long_run = true (CLI: --allow-long-run) if you mean it")
        expected_jobs = self.jobs.arrivals_per_hour * self.hours
        if expected_jobs > MAX_JOBS:
            raise ValueError(f"jobs.arrivals_per_hour: {self.jobs.arrivals_per_hour:g} per hour "
                             f"over {self.hours:,} h is about {expected_jobs:,.0f} jobs "
                             f"(at most {MAX_JOBS:,})")
        for what, items in (("sites", self.sites), ("regions", self.regions),
                            ("classes", self.classes)):
            names = [x.name for x in items]
            dup = {n for n in names if names.count(n) > 1}
            if dup:
                raise ValueError(f"{what}: duplicate names {sorted(dup)}")
        shares = sum(c.share for c in self.classes)
        if abs(shares - 1.0) > 1e-6:
            raise ValueError(f"classes: shares must sum to 1, got {shares:.6g}")
        site_names = {s.name for s in self.sites}
        for job in self.jobs.jobs:
            if job.home_site is not None and job.home_site not in site_names:
                raise ValueError(f"jobs: job {job.job_id} home_site '{job.home_site}' is no site")
        if self.latency_ms is not None:
            _check_latency_names(self.latency_ms, [r.name for r in self.regions], site_names)
            for r in self.regions:
                row = self.latency_ms.get(r.name)
                if row is None:
                    raise ValueError(f"latency_ms: missing region '{r.name}'")
                missing = site_names - row.keys()
                if missing:
                    raise ValueError(f"latency_ms.{r.name}: missing sites {sorted(missing)}")
        if self.traces.kind == "files" and (self.jobs.jobs or self.jobs.arrivals_per_hour > 0):
            raise ValueError("jobs: with traces.kind = 'files' the jobs come from the trace "
                             "folder's jobs table; remove jobs.jobs and set "
                             "jobs.arrivals_per_hour = 0 (or put the jobs in the table)")
        max_gpus = max(s.gpus for s in self.sites)
        too_big = [j.job_id for j in self.jobs.jobs if j.gpus > max_gpus]
        if too_big:
            raise ValueError(f"jobs: jobs {too_big} need more GPUs than any site has ({max_gpus})")
        if any(g > max_gpus for g in self.jobs.gpu_choices) and self.jobs.arrivals_per_hour > 0:
            raise ValueError(f"jobs.gpu_choices: a choice exceeds the largest site ({max_gpus})")
        return self

    def with_updates(self, updates: dict[str, Any]) -> Scenario:
        """Copy with fields replaced by dotted path (``sites.0.pv_mw``), re-validated."""
        data = self.model_dump(mode="python")
        for path, value in updates.items():
            _set_dotted(data, path, value)
        return parse_scenario(data, source=self.name)


def _check_latency_names(latency: dict[str, dict[str, float]], regions: list[str],
                         sites: set[str]) -> None:
    """Every row and column of an explicit latency table must name a region and a site."""
    for region, row in latency.items():
        if region not in regions:
            raise ValueError(f"latency_ms.{region}: no such region{_suggest(region, regions)}")
        for site in row:
            if site not in sites:
                raise ValueError(f"latency_ms.{region}.{site}: no such site"
                                 f"{_suggest(site, sorted(sites))}")


def _suggest(word: str, choices: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or `` (known: ...)``."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (known: {', '.join(choices)})" if choices else ""


# The model of a table, by the last named key on the way to it (lists are skipped).
_TABLES: dict[str, type[_Model]] = {
    "sites": Site, "battery": Battery, "genset": Genset, "pue": PUEModel, "regions": Region,
    "classes": InferenceClass, "jobs": JobStream, "economics": Economics,
    "traces": TraceSource, "forecast": ForecastConfig,
}


def _table_model(loc: tuple[Any, ...]) -> type[_Model]:
    names = [p for p in loc if isinstance(p, str)]
    if not names:
        return Scenario
    if names[-2:] == ["jobs", "jobs"]:
        return Job
    return _TABLES.get(names[-1], Scenario)


def _set_dotted(data: Any, path: str, value: Any) -> None:
    keys = path.split(".")
    node = data
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise ScenarioError(f"scenario field '{path}': no list item '{key}'")
            if last:
                node[int(key)] = value
            else:
                node = node[int(key)]
        elif isinstance(node, dict):
            if key not in node:
                raise ScenarioError(f"scenario field '{path}': no field '{key}'"
                                    f"{_suggest(key, list(node))}")
            if last:
                node[key] = value
            else:
                if node[key] is None:
                    raise ScenarioError(f"scenario field '{path}': '{key}' is not set")
                node = node[key]
        else:
            raise ScenarioError(f"scenario field '{path}': '{key}' is not a table")


def _format_validation_error(err: ValidationError, source: str) -> str:
    """One line: an unknown key (with a suggestion) before anything it may have caused."""
    errors = err.errors()
    unknown = [e for e in errors if e["type"] == "extra_forbidden"]
    first = unknown[0] if unknown else errors[0]
    loc = ".".join(str(p) for p in first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    if unknown:
        fields = list(_table_model(first["loc"][:-1]).model_fields)
        msg = f"unknown field{_suggest(str(first['loc'][-1]), fields)}"
    elif first["type"] == "missing":
        parent = first["loc"][:-1]
        names = [str(e["loc"][-1]) for e in errors
                 if e["type"] == "missing" and e["loc"][:-1] == parent]
        loc = ".".join(str(p) for p in parent)
        msg = f"missing required field(s) {', '.join(names)}"
        more_count = err.error_count() - len(names)
        return f"scenario '{source}': {loc + ': ' if loc else ''}{msg}" + (
            f" (+{more_count} more)" if more_count else "")
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"scenario '{source}': {loc + ': ' if loc else ''}{msg}{more}"


def parse_scenario(data: dict[str, Any], source: str = "<dict>") -> Scenario:
    """Validate a plain mapping into a Scenario; errors become one ScenarioError line."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_validation_error(err, source)) from None


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with GridShift."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by name, or a TOML, YAML or JSON scenario file by path."""
    path = Path(name_or_path)
    if not path.exists():
        builtin = BUILTIN_DIR / f"{name_or_path}.toml"
        if not builtin.exists():
            raise ScenarioError(
                f"scenario '{name_or_path}': no such file and no built-in of that name "
                f"(built-ins: {', '.join(builtin_names())})"
            )
        path = builtin
    data = load_mapping(path, "scenario", ScenarioError)
    return parse_scenario(resolve_paths(data, path.parent), source=str(path))
