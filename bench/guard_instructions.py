"""The guard's cost in CPU instructions, counted by valgrind's callgrind: noise-free.

Run: ``python bench/guard_instructions.py [--operations N] [--sdk-path auto|public]``;
``--sdk-path public`` forces the guard onto the SDK's public API (what it falls back to when a
start-up check of the SDK's private details fails), ``auto`` takes what the checks allow.
Timing ratios on a shared 2-core machine move by several percent between runs (see
``bench/guard.py``); instruction counts do not. Each case runs the same pipeline under
callgrind twice, with 0 and with N operations after the same warm-up, and the difference
divided by N is the instructions one operation costs. The ratio guarded / unguarded is
printed next to the goal ``bench/guard.py`` measures in time.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "semconv" / "v1.44.0" / "model"
CONFORMING = {"http.request.method": "GET", "url.path": "/items/1",
              "http.response.status_code": 200, "server.address": "shop.example",
              "server.port": 443}
RENAMES = {"http.method": "GET", "http.status_code": 200, "url.path": "/items/1",
           "server.address": "shop.example", "server.port": 443}
COUNTER_CONFORMING = {"messaging.system": "kafka", "messaging.operation.name": "send",
                      "messaging.destination.name": "orders", "server.address": "broker",
                      "server.port": 9092}
COUNTER_RENAMES = {"messaging.system": "kafka", "messaging.operation.name": "send",
                   "messaging.destination.name": "orders", "net.host.name": "broker",
                   "net.host.port": 9092}
HISTOGRAM_CONFORMING = {"http.request.method": "GET", "http.response.status_code": 200,
                        "http.route": "/items/{id}", "url.scheme": "https",
                        "server.address": "shop.example"}
HISTOGRAM_RENAMES = {"http.method": "GET", "http.status_code": 200, "http.route": "/items/{id}",
                     "url.scheme": "https", "server.address": "shop.example"}
CASES = {
    "span, 5 conforming attributes": ("span", CONFORMING, "<= +3%"),
    "span, 2 renames + 3 conforming": ("span", RENAMES, "<= +10%"),
    "counter.add, 5 conforming attributes": ("counter", COUNTER_CONFORMING, "<= +5%"),
    "counter.add, 2 renames + 3 conforming": ("counter", COUNTER_RENAMES, "<= +10%"),
    "histogram.record, 5 conforming attributes": ("histogram", HISTOGRAM_CONFORMING, "<= +5%"),
    "histogram.record, 2 renames + 3 conforming": ("histogram", HISTOGRAM_RENAMES, "<= +10%"),
}
WARM_UP = 50


def workload(guarded: bool, signal: str, attributes: dict[str, object], count: int,
             snapshot: str) -> None:
    """The measured program: one pipeline, warmed up, then ``count`` operations."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    from telemetry_contracts.sdk_guard import Guard

    class NullExporter(SpanExporter):
        def export(self, spans: object) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    guard = Guard.from_file(snapshot, environ={})  # loaded in both runs: same set-up work
    if signal == "span":
        # The exporting thread's work is counted too (callgrind counts every thread); the
        # final shutdown flushes the queue, so every run exports all of its spans.
        processor = BatchSpanProcessor(NullExporter(), max_queue_size=100_000)
        provider = TracerProvider()
        provider.add_span_processor(guard.span_processor(processor) if guarded else processor)
        tracer = provider.get_tracer("bench")

        def operation() -> None:
            tracer.start_span("op", attributes=attributes).end()
    else:
        meters = MeterProvider(metric_readers=[InMemoryMetricReader()])
        meter = (guard.meter_provider(meters) if guarded else meters).get_meter("bench")
        if signal == "counter":
            counter = meter.create_counter("messaging.client.sent.messages", unit="{message}")

            def operation() -> None:
                counter.add(1, attributes)
        else:
            histogram = meter.create_histogram("http.server.request.duration", unit="s")

            def operation() -> None:
                histogram.record(0.25, attributes)
    for _ in range(WARM_UP):
        operation()
    for _ in range(count):
        operation()
    if signal == "span":
        provider.shutdown()


def instructions(
    guarded: bool, case: str, count: int, snapshot: Path, out: Path, sdk_path: str
) -> int:
    """Instructions callgrind counts for the whole workload process."""
    target = out / f"{'guard' if guarded else 'plain'}-{abs(hash(case))}-{count}.out"
    # a fixed hash seed: the same dict and set layouts in every run, so counts repeat exactly
    env = {**os.environ, "TELEMETRY_CONTRACTS_SDK_PATH": sdk_path, "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={target}", sys.executable,
         __file__, "--worker", "guard" if guarded else "plain", case, str(count), str(snapshot)],
        capture_output=True, text=True, check=True, cwd=ROOT, env=env,
    )
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise SystemExit(f"no callgrind total in:\n{result.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--sdk-path", choices=("auto", "public"), default="auto")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        mode, case, count, snapshot = arguments.worker
        signal, attributes, _ = CASES[case]
        workload(mode == "guard", signal, attributes, int(count), snapshot)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    from telemetry_contracts.resolution.loader import load_registry

    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory)
        snapshot = out / "v1.44.0.json"
        snapshot.write_bytes(load_registry(CORPUS).snapshot.to_json_bytes())
        jobs = [(guarded, case, count) for case in CASES for guarded in (False, True)
                for count in (0, arguments.operations)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            counted = dict(zip(jobs, pool.map(
                lambda job: instructions(*job, snapshot, out, arguments.sdk_path), jobs),
                strict=True))
    from telemetry_contracts.sdk_guard.compat import select

    chosen = select(force_public=arguments.sdk_path == "public")
    print(f"OpenTelemetry SDK {importlib.metadata.version('opentelemetry-sdk')}, guard on the "
          f"{chosen.summary()}")
    print(f"instructions per operation (callgrind; {arguments.operations} operations after "
          f"{WARM_UP} warm-up, minus the same run with none); BatchSpanProcessor, null exporter")
    n = arguments.operations
    for case, (_, _, goal) in CASES.items():
        plain = (counted[(False, case, n)] - counted[(False, case, 0)]) / n
        guarded = (counted[(True, case, n)] - counted[(True, case, 0)]) / n
        ratio = guarded / plain
        print(f"{case:<44} base {plain:9.0f}  guard {guarded:9.0f}  ratio {ratio:6.3f} "
              f"({(ratio - 1) * 100:+5.1f}%)  goal {goal}")


if __name__ == "__main__":
    main()
