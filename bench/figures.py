"""Percentiles and the one-line report the latency benchmarks print."""

from __future__ import annotations

import statistics


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: percentile(v, 0.95) is the p95."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(name: str, values: list[float], width: int = 44) -> None:
    """Print p50, p95 and max of durations given in seconds, in milliseconds."""
    ms = [value * 1000 for value in values]
    print(
        f"{name:<{width}} p50 {statistics.median(ms):7.2f} ms   p95 {percentile(ms, 0.95):7.2f} ms"
        f"   max {max(ms):7.2f} ms   (n={len(ms)})"
    )
