"""Cost of the runtime guard: the same SDK pipeline with and without it, in one run.

Run: ``python bench/guard.py [--quick] [--skip-e2e]``. Every figure is a ratio against the
unguarded pipeline measured in the same run (rounds interleaved, medians), plus the absolute
numbers. The guard enforces the official v1.44.0 model (real attribute types), resolved from
``../shared/corpora/semconv/v1.44.0``; the end-to-end part serves the FastAPI application
instrumented by ``opentelemetry-instrumentation-fastapi`` with uvicorn in subprocesses (with and
without the guard) plus a second unguarded one (the noise floor of the method), and drives all three
from one load process that sends each request to every server in rotating order.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "semconv" / "v1.44.0" / "model"

SPAN_CONFORMING = {
    "http.request.method": "GET",
    "url.path": "/items/1",
    "http.response.status_code": 200,
    "server.address": "shop.example",
    "server.port": 443,
}
SPAN_RENAMES = {  # two deprecated names (renamed by the guard) and three conforming keys
    "http.method": "GET",
    "http.status_code": 200,
    "url.path": "/items/1",
    "server.address": "shop.example",
    "server.port": 443,
}
COUNTER = "messaging.client.sent.messages"
COUNTER_CONFORMING = {
    "messaging.system": "kafka",
    "messaging.operation.name": "send",
    "messaging.destination.name": "orders",
    "server.address": "broker",
    "server.port": 9092,
}
COUNTER_RENAMES = {
    "messaging.system": "kafka",
    "messaging.operation.name": "send",
    "messaging.destination.name": "orders",
    "net.host.name": "broker",
    "net.host.port": 9092,
}
HISTOGRAM = "http.server.request.duration"
HISTOGRAM_CONFORMING = {
    "http.request.method": "GET",
    "http.response.status_code": 200,
    "http.route": "/items/{id}",
    "url.scheme": "https",
    "server.address": "shop.example",
}
HISTOGRAM_RENAMES = {
    "http.method": "GET",
    "http.status_code": 200,
    "http.route": "/items/{id}",
    "url.scheme": "https",
    "server.address": "shop.example",
}


def resolve_snapshot(directory: Path) -> Path:
    from telemetry_contracts.resolution.loader import load_registry

    path = directory / "v1.44.0.json"
    path.write_bytes(load_registry(CORPUS).snapshot.to_json_bytes())
    return path


def interleaved(
    base: Callable[[], None], guarded: Callable[[], None], rounds: int, loops: int
) -> tuple[float, float, float]:
    """Median per-operation seconds of each, and the median of per-round ratios.

    Time is the CPU time of the calling thread (``time.thread_time``): the cost the
    application's own thread pays, undisturbed by other processes on a busy machine (the
    exporting thread of a batch processor does the same work with and without the guard).
    """
    base_times, guarded_times, ratios = [], [], []
    for index in range(rounds):
        order = (base, guarded) if index % 2 == 0 else (guarded, base)
        timings = {}
        for run in order:
            gc.collect()  # both start from the same heap state
            start = time.thread_time()
            for _ in range(loops):
                run()
            timings[run] = (time.thread_time() - start) / loops
        base_times.append(timings[base])
        guarded_times.append(timings[guarded])
        ratios.append(timings[guarded] / timings[base])
    return (
        statistics.median(base_times),
        statistics.median(guarded_times),
        statistics.median(ratios),
    )


def report(label: str, base: float, guarded: float, ratio: float, goal: str) -> None:
    print(
        f"{label:<52} base {base * 1e6:8.2f} us  guard {guarded * 1e6:8.2f} us  "
        f"ratio {ratio:6.3f} ({(ratio - 1) * 100:+5.1f}%)  goal {goal}"
    )


def bench_load(snapshot: Path, repeats: int) -> None:
    from telemetry_contracts.sdk_guard import Guard

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        Guard.from_file(snapshot, environ={})
        times.append(time.perf_counter() - start)
    size = snapshot.stat().st_size / 1e6
    print(
        f"{'snapshot load v1.44.0 (' + f'{size:.2f} MB, parse + compile)':<52} "
        f"median {statistics.median(times) * 1e3:7.1f} ms  (min {min(times) * 1e3:.1f} ms)"
        f"  goal < 200 ms"
    )


class NullSpanExporter:
    """Accepts every batch: the bench measures the application-thread cost."""

    def export(self, spans: Sequence[Any]) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def bench_spans(guard: Any, rounds: int, loops: int) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    def tracer(guarded: bool) -> Any:
        provider = TracerProvider()
        processor = BatchSpanProcessor(
            NullSpanExporter(),
            max_queue_size=1_000_000,  # type: ignore[arg-type]
            max_export_batch_size=4096,
            schedule_delay_millis=50,
        )
        provider.add_span_processor(guard.span_processor(processor) if guarded else processor)
        return provider.get_tracer("bench")

    plain, guarded = tracer(False), tracer(True)
    for label, attributes, goal in (
        ("span, 5 conforming attributes (BatchSpanProcessor)", SPAN_CONFORMING, "<= +3%"),
        ("span, 2 renames + 3 conforming", SPAN_RENAMES, "<= +10%"),
    ):

        def run_plain(attributes: dict[str, Any] = attributes) -> None:
            plain.start_span("op", attributes=attributes).end()

        def run_guarded(attributes: dict[str, Any] = attributes) -> None:
            guarded.start_span("op", attributes=attributes).end()

        report(label, *interleaved(run_plain, run_guarded, rounds, loops), goal)


def bench_metrics(guard: Any, rounds: int, loops: int) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    plain = MeterProvider(metric_readers=[InMemoryMetricReader()]).get_meter("bench")
    guarded_provider = guard.meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
    guarded = guarded_provider.get_meter("bench")
    cases = (
        (
            "counter.add, 5 conforming attributes",
            "counter",
            COUNTER,
            "{message}",
            COUNTER_CONFORMING,
            "<= +5%",
        ),
        (
            "counter.add, 2 renames + 3 conforming",
            "counter",
            COUNTER,
            "{message}",
            COUNTER_RENAMES,
            "<= +10%",
        ),
        (
            "histogram.record, 5 conforming attributes",
            "histogram",
            HISTOGRAM,
            "s",
            HISTOGRAM_CONFORMING,
            "<= +5%",
        ),
        (
            "histogram.record, 2 renames + 3 conforming",
            "histogram",
            HISTOGRAM,
            "s",
            HISTOGRAM_RENAMES,
            "<= +10%",
        ),
    )
    for label, kind, name, unit, attributes, goal in cases:
        create = "create_counter" if kind == "counter" else "create_histogram"
        base = getattr(
            getattr(plain, create)(name, unit=unit), "add" if kind == "counter" else "record"
        )
        mine = getattr(
            getattr(guarded, create)(name, unit=unit), "add" if kind == "counter" else "record"
        )
        report(
            label,
            *interleaved(
                lambda b=base, a=attributes: b(1, a),
                lambda m=mine, a=attributes: m(1, a),
                rounds,
                loops,
            ),
            goal,
        )
    base_counter = plain.create_counter("bench.unregistered")
    dropped_counter = guarded.create_counter("bench.unregistered")
    base_time, guard_time, ratio = interleaved(
        lambda: base_counter.add(1, COUNTER_CONFORMING),
        lambda: dropped_counter.add(1, COUNTER_CONFORMING),
        rounds,
        loops * 4,
    )
    print(
        f"{'unregistered metric under drop vs SDK recording it':<52} base {base_time * 1e6:8.2f} us"
        f"  guard {guard_time * 1e6:8.2f} us  cheaper {1 / ratio:6.1f}x  goal >= 20x"
    )


# --- end to end ---------------------------------------------------------------------------

SERVER = textwrap.dedent("""
    import os, sys
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    import uvicorn
    sys.path.insert(0, os.environ["BENCH_APP_DIR"])
    from e2e_app import app

    class Null(SpanExporter):
        def export(self, spans):
            return SpanExportResult.SUCCESS

    processor = BatchSpanProcessor(Null())
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    if os.environ.get("BENCH_SNAPSHOT"):
        from telemetry_contracts.sdk_guard import Guard
        guard = Guard.from_file(os.environ["BENCH_SNAPSHOT"])
        processor = guard.span_processor(processor)
        meter_provider = guard.meter_provider(meter_provider)
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(processor)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=tracer_provider,
                                       meter_provider=meter_provider)
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["BENCH_PORT"]), log_level="warning",
                access_log=False)
""")

LOAD = textwrap.dedent("""
    import http.client, json, sys, time
    ports, count, warmup = [int(p) for p in sys.argv[1].split(",")], int(sys.argv[2]), 200
    connections = [http.client.HTTPConnection("127.0.0.1", p) for p in ports]
    latencies = [[] for _ in ports]
    for index in range(-warmup, count):  # each request goes to every server, order rotating
        for step in range(len(ports)):
            which = (index + step) % len(ports)
            connection = connections[which]
            start = time.perf_counter()
            connection.request("GET", f"/items/{index % 50}")
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - start
            assert response.status == 200
            if index >= 0:
                latencies[which].append(elapsed)
    print(json.dumps(latencies))
""")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


def bench_e2e(snapshot: Path, requests: int, repeats: int) -> None:
    """Median request latency of the guarded server against an unguarded one, and of a second,
    identical unguarded server against the first: that difference is the noise floor of the
    method (same machine, same load process, same request order), printed alongside."""
    ports = [free_port(), free_port(), free_port()]
    roles = ("base", "base again", "guard")
    servers = []
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    base_env["BENCH_APP_DIR"] = str(ROOT / "tests" / "sdk_guard")
    for port, role in zip(ports, roles, strict=True):
        guarded = role == "guard"
        env = dict(base_env, BENCH_PORT=str(port), BENCH_SNAPSHOT=str(snapshot) if guarded else "")
        servers.append(subprocess.Popen([sys.executable, "-c", SERVER], env=env))
    try:
        for port in ports:
            wait_for(port)
        pooled: list[list[float]] = [[] for _ in ports]
        ratios: dict[str, list[float]] = {"guard": [], "base again": []}
        for _ in range(repeats):
            out = subprocess.run(
                [sys.executable, "-c", LOAD, ",".join(map(str, ports)), str(requests)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs = json.loads(out.stdout)
            medians = [statistics.median(latencies) for latencies in runs]
            for index, latencies in enumerate(runs):
                pooled[index].extend(latencies)
            ratios["base again"].append(medians[1] / medians[0])
            ratios["guard"].append(medians[2] / medians[0])
        base, again, guarded = (statistics.median(latencies) for latencies in pooled)
        shown = f"[{repeats} x {requests} requests per server, each request to all three in turn]"
        for label, value, key in (
            ("e2e FastAPI+uvicorn median latency, guard", guarded, "guard"),
            ("e2e noise floor: 2nd unguarded server", again, "base again"),
        ):
            ratio = value / base  # medians of all requests of all runs
            runs = ", ".join(f"{(r - 1) * 100:+.1f}" for r in ratios[key])
            goal = "goal within 1%" if key == "guard" else "(no guard: the method's noise)"
            print(
                f"{label:<52} base {base * 1e6:8.1f} us  other {value * 1e6:8.1f} us  "
                f"ratio {ratio:6.3f} ({(ratio - 1) * 100:+5.1f}%)  {goal}  [runs: {runs} %]"
            )
        print(f"{'':<52} {shown}")
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument("--skip-e2e", action="store_true")
    options = parser.parse_args()
    rounds, loops = (5, 1000) if options.quick else (31, 2000)
    from telemetry_contracts.sdk_guard import Guard

    with tempfile.TemporaryDirectory() as directory:
        snapshot = resolve_snapshot(Path(directory))
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; rounds {rounds} x {loops}"
            " operations, interleaved, medians"
        )
        bench_load(snapshot, 5 if options.quick else 11)
        guard = Guard.from_file(snapshot, environ={})
        bench_spans(guard, rounds, loops)
        bench_metrics(guard, rounds, loops)
        if not options.skip_e2e:
            bench_e2e(snapshot, 300 if options.quick else 2000, 3 if options.quick else 5)


if __name__ == "__main__":
    main()
