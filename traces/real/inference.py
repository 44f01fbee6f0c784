"""Azure LLM inference traces (Splitwise, 2023): request sizes → GPU-seconds, and burstiness.

Each trace is about one hour of request arrivals with prompt (context) and generated token counts.
It gives the size mix and the intra-hour burstiness of inference load, not its daily shape (see
:mod:`traces.real.diurnal` for that assumption). Timestamps carry no zone; they are taken as UTC.

Throughput model (an assumption, not a measurement): a request occupies
``context_tokens / prefill_tokens_per_s + generated_tokens / decode_tokens_per_s`` GPU-seconds,
the rates being per GPU with batching. The defaults are order-of-magnitude estimates for a
70B-parameter model in 16-bit precision on 8 H100-class GPUs, replace them with measurements:

* prefill is compute-bound: 50 % of 989 TFLOP/s dense BF16 / (2 × 70e9 FLOP per token)
  ≈ 3,500 tokens/s per GPU;
* decode is memory-bound: about 100 batched steps/s × a batch of 32 sequences / 8 GPUs
  ≈ 400 tokens/s per GPU.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from traces.real.datadir import FILES, data_file
from traces.real.tables import Bounds, check_order, parse_numbers, parse_times, read_raw

TraceKind = Literal["code", "conv"]


@dataclass(frozen=True)
class ThroughputModel:
    """Per-GPU serving rates in tokens/s: prompt processing (prefill) and generation (decode)."""

    prefill_tokens_per_s: float = 3500.0
    decode_tokens_per_s: float = 400.0


@dataclass(frozen=True)
class InferenceSummary:
    """Per-trace summary: request count and rate, GPU-seconds per request, burstiness (unitless)."""

    requests: int
    duration_s: float
    requests_per_hour: float
    mean_context_tokens: float
    mean_generated_tokens: float
    gpu_s_per_request_mean: float
    gpu_s_per_request_p50: float
    gpu_s_per_request_p90: float
    gpu_s_per_request_p99: float
    per_minute_cv: float
    per_minute_peak_to_mean: float

    def to_dict(self) -> dict[str, float]:
        """Plain-data form for run metadata."""
        return asdict(self)


def load_azure_llm_trace(
    kind: TraceKind = "conv", *, directory: str | Path | None = None
) -> pd.DataFrame:
    """Requests of Azure trace ``kind`` ("code" or "conv"), one row each, in arrival order.

    Index: tz-aware UTC arrival times named ``timestamp`` (not hourly; ties allowed). Columns:
    ``context_tokens`` and ``generated_tokens`` (whole tokens >= 0). Arrivals going back in time
    raise TraceError.
    """
    if kind not in ("code", "conv"):
        raise ValueError(f"Azure trace kind must be 'code' or 'conv', got {kind!r}")
    path = data_file(FILES[f"azure_{kind}"], directory)
    raw = read_raw(path, ["TIMESTAMP", "ContextTokens", "GeneratedTokens"])
    stamps = parse_times(raw, "TIMESTAMP", path.name)
    check_order(stamps, np.arange(1, len(raw) + 1), path.name, "TIMESTAMP", strict=False)
    tokens = Bounds(0, np.inf, "tokens")
    columns = {"context_tokens": "ContextTokens", "generated_tokens": "GeneratedTokens"}
    frame = pd.DataFrame(
        {
            name: parse_numbers(raw, col, path.name, tokens, whole=True, required=True)
            for name, col in columns.items()
        }
    )
    return frame.astype("int64").set_axis(pd.DatetimeIndex(stamps, name="timestamp"), axis=0)


def gpu_seconds_per_request(
    context_tokens: pd.Series | np.ndarray,
    generated_tokens: pd.Series | np.ndarray,
    model: ThroughputModel = ThroughputModel(),
) -> np.ndarray:
    """GPU-seconds each request occupies: context / prefill rate + generated / decode rate."""
    context = np.asarray(context_tokens, dtype=float)
    generated = np.asarray(generated_tokens, dtype=float)
    return context / model.prefill_tokens_per_s + generated / model.decode_tokens_per_s


def burstiness(arrivals: pd.DatetimeIndex, bin_s: float = 60.0) -> tuple[float, float]:
    """(coefficient of variation, peak-to-mean ratio) of arrival counts per ``bin_s`` seconds.

    Bins start at the first arrival; only complete bins count, and empty bins count as 0.
    """
    offset_s = (arrivals - arrivals[0]).total_seconds().to_numpy()
    n_bins = int(offset_s[-1] // bin_s)
    if n_bins < 2:
        raise ValueError(f"need at least two complete {bin_s:g} s bins of arrivals")
    bins = (offset_s // bin_s).astype(int)
    counts = np.bincount(bins[bins < n_bins], minlength=n_bins).astype(float)
    mean = counts.mean()
    return float(counts.std() / mean), float(counts.max() / mean)


def summarize_trace(
    trace: pd.DataFrame, model: ThroughputModel = ThroughputModel(), bin_s: float = 60.0
) -> InferenceSummary:
    """Summary of a request trace (as from :func:`load_azure_llm_trace`) under ``model``."""
    gpu_s = gpu_seconds_per_request(trace["context_tokens"], trace["generated_tokens"], model)
    duration_s = float((trace.index[-1] - trace.index[0]).total_seconds())
    cv, peak = burstiness(trace.index, bin_s)
    p50, p90, p99 = np.percentile(gpu_s, [50, 90, 99])
    return InferenceSummary(
        requests=len(trace),
        duration_s=duration_s,
        requests_per_hour=len(trace) / duration_s * 3600.0,
        mean_context_tokens=float(trace["context_tokens"].mean()),
        mean_generated_tokens=float(trace["generated_tokens"].mean()),
        gpu_s_per_request_mean=float(gpu_s.mean()),
        gpu_s_per_request_p50=float(p50),
        gpu_s_per_request_p90=float(p90),
        gpu_s_per_request_p99=float(p99),
        per_minute_cv=cv,
        per_minute_peak_to_mean=peak,
    )
