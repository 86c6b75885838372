"""The service's own metrics in the Prometheus text exposition format (0.0.4)."""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class ServiceMetrics:
    """Request counts and a latency histogram per method, route and status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self._buckets: dict[tuple[str, str], list[int]] = {}
        self._sums: dict[tuple[str, str], float] = defaultdict(float)
        self._counts: dict[tuple[str, str], int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        key = (method, route)
        with self._lock:
            self._requests[(method, route, status)] += 1
            buckets = self._buckets.setdefault(key, [0] * len(BUCKETS))
            index = bisect.bisect_left(BUCKETS, seconds)
            if index < len(BUCKETS):
                buckets[index] += 1
            self._sums[key] += seconds
            self._counts[key] += 1

    def render(self, gauges: dict[str, tuple[str, float]] | None = None) -> str:
        """The exposition text; ``gauges`` maps a name to (help, value)."""
        lines = ["# HELP telemetry_contracts_http_requests_total HTTP requests answered.",
                 "# TYPE telemetry_contracts_http_requests_total counter"]
        with self._lock:
            for (method, route, status), count in sorted(self._requests.items()):
                lines.append(f'telemetry_contracts_http_requests_total{{method="{method}",'
                             f'route="{_escape(route)}",status="{status}"}} {count}')
            lines += ["# HELP telemetry_contracts_http_request_duration_seconds Time to answer.",
                      "# TYPE telemetry_contracts_http_request_duration_seconds histogram"]
            name = "telemetry_contracts_http_request_duration_seconds"
            for (method, route), buckets in sorted(self._buckets.items()):
                labels = f'method="{method}",route="{_escape(route)}"'
                cumulative = 0
                for bound, count in zip(BUCKETS, buckets, strict=True):
                    cumulative += count
                    lines.append(f'{name}_bucket{{{labels},le="{bound}"}} {cumulative}')
                total = self._counts[(method, route)]
                lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {total}')
                lines.append(f"{name}_sum{{{labels}}} {self._sums[(method, route)]:.6f}")
                lines.append(f"{name}_count{{{labels}}} {total}")
        for gauge, (help_text, value) in sorted((gauges or {}).items()):
            lines += [f"# HELP {gauge} {help_text}", f"# TYPE {gauge} gauge", f"{gauge} {value}"]
        return "\n".join(lines) + "\n"
