"""Every request the load clients make, and the figures drawn from them.

A sample is (seconds since the start, endpoint label, status, latency in seconds), status
0 for a transport error (refused connection, reset, timeout). Samples are kept in plain
lists: at a few thousand requests a second for minutes that is a few million tuples, and
appending costs the generator less CPU than any aggregation on the hot path.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

SAMPLES_MAX: Final = 5_000_000
TRANSPORT_ERROR: Final = 0


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class Recorder:
    started: float = field(default_factory=time.monotonic)
    samples: list[tuple[float, str, int, float]] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.started

    def record(self, endpoint: str, status: int, began: float, latency: float) -> None:
        if len(self.samples) < SAMPLES_MAX:
            self.samples.append((began, endpoint, status, latency))

    def mark(self, what: str) -> None:
        """An event worth a line on the plot (a fault injected, a server restarted)."""
        self.events.append((self.now(), what))

    # ------------------------------------------------------------------------- figures

    def summary(self, *, window: tuple[float, float] | None = None) -> dict[str, Any]:
        """Per endpoint and overall: count, rate, statuses, errors, p50/p95/p99 (ms).

        `window` (start, end) in seconds since the start restricts the figures to it.
        """
        chosen = [s for s in self.samples if window is None or window[0] <= s[0] < window[1]]
        if window is not None:
            seconds = window[1] - window[0]
        else:
            seconds = max((s[0] + s[3] for s in chosen), default=0.0) - min(
                (s[0] for s in chosen), default=0.0
            )
        seconds = max(seconds, 1e-9)
        by_endpoint: dict[str, list[tuple[float, str, int, float]]] = defaultdict(list)
        for sample in chosen:
            by_endpoint[sample[1]].append(sample)
        endpoints = {name: _figures(rows, seconds) for name, rows in sorted(by_endpoint.items())}
        return {
            "seconds": round(seconds, 2),
            "overall": _figures(chosen, seconds),
            "endpoints": endpoints,
        }

    def timeline(self, bucket_s: float = 1.0) -> list[dict[str, Any]]:
        """Per bucket of wall time: requests/s, errors/s and latency percentiles (ms)."""
        buckets: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for began, _, status, latency in self.samples:
            buckets[int((began + latency) // bucket_s)].append((status, latency))
        rows = []
        for index in sorted(buckets):
            rows_in = buckets[index]
            latencies = sorted(lat for _, lat in rows_in)
            rows.append(
                {
                    "t": round(index * bucket_s, 3),
                    "rps": round(len(rows_in) / bucket_s, 1),
                    "errors_per_s": round(
                        sum(1 for st, _ in rows_in if _is_error(st)) / bucket_s, 1
                    ),
                    "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
                    "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
                    "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
                }
            )
        return rows

    def plot(self, path: Path, *, title: str) -> bool:
        """Throughput and latency over time as a PNG; False when matplotlib is missing."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return False
        rows = self.timeline()
        t = [r["t"] for r in rows]
        figure, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
        top.plot(t, [r["rps"] for r in rows], label="requests/s", color="tab:blue")
        top.plot(
            t, [r["errors_per_s"] for r in rows], label="errors/s (5xx, transport)", color="tab:red"
        )
        top.set_ylabel("per second")
        top.legend(loc="upper right")
        top.grid(alpha=0.3)
        for key, colour in (
            ("p50_ms", "tab:green"),
            ("p95_ms", "tab:orange"),
            ("p99_ms", "tab:red"),
        ):
            bottom.plot(t, [r[key] for r in rows], label=key.removesuffix("_ms"), color=colour)
        bottom.set_yscale("log")
        bottom.set_ylabel("latency (ms, log)")
        bottom.set_xlabel("seconds since start")
        bottom.legend(loc="upper right")
        bottom.grid(alpha=0.3, which="both")
        for at, what in self.events:
            for axis in (top, bottom):
                axis.axvline(at, color="grey", linestyle="--", linewidth=1)
            top.annotate(what, (at, top.get_ylim()[1] * 0.95), fontsize=8, rotation=90, va="top")
        figure.suptitle(title)
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=100)
        plt.close(figure)
        return True


def _is_error(status: int) -> bool:
    return status == TRANSPORT_ERROR or status >= 500


def _figures(rows: list[tuple[float, str, int, float]], seconds: float) -> dict[str, Any]:
    latencies = sorted(row[3] for row in rows)
    statuses = Counter(row[2] for row in rows)
    return {
        "requests": len(rows),
        "per_s": round(len(rows) / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round((latencies[-1] if latencies else 0.0) * 1000, 2),
        "errors": sum(n for status, n in statuses.items() if _is_error(status)),
        "statuses": {str(status): n for status, n in sorted(statuses.items())},
    }
