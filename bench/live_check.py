"""Benchmark: live-check's judging of OTLP spans against the semconv baseline, next to only
decoding the same protobuf requests into the official ``opentelemetry-proto`` messages, measured
interleaved in one run; prints spans per second and the ratios (medians). "decode + judge" is
what the receiver does with a body: it reads the request's views (``live/wire.py``) and judges
them; "decode + membership" reads the views and tests every attribute once for membership in
a set that holds them all, the floor of any judge that looks at each attribute in Python
(one bytes object and one hash each, nothing counted); "decode + read" is the official messages
plus reading every attribute once.

Run: ``python bench/live_check.py [--rounds N] [--requests N] [--spans N] [--fresh]``.
Goal: decoding plus judging costs at most 1.5x decoding alone.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from telemetry_contracts.live.judge import Judge
from telemetry_contracts.live.receiver import judged_reader
from telemetry_contracts.resolution.baseline import baseline_snapshot

ROUTES = ["/api/cart", "/api/checkout", "/api/items/{id}", "/health"]


def _value(value: object) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    return AnyValue(string_value=str(value))


def _span(n: int) -> Span:
    """An HTTP server span as instrumentations make them; one in 16 uses a deprecated key."""
    attributes: dict[str, object] = {
        "http.request.method": ["GET", "POST", "PUT", "DELETE"][n % 4],
        "url.path": f"/api/items/{n}",
        "url.scheme": "https",
        "http.route": ROUTES[n % len(ROUTES)],
        "http.response.status_code": [200, 201, 404, 500][n % 4],
        "server.address": "shop.example.com",
        "server.port": 443,
        "network.protocol.version": "1.1",
        "user_agent.original": f"client/{n % 7}",
    }
    if n % 16 == 0:
        attributes["http.method"] = "GET"
    span = Span(name="GET /api/items/{id}", trace_id=n.to_bytes(16, "big"),
                span_id=n.to_bytes(8, "big"), start_time_unix_nano=n, end_time_unix_nano=n + 1)
    span.attributes.extend(KeyValue(key=k, value=_value(v)) for k, v in attributes.items())
    return span


def requests(count: int, spans: int, first: int = 0) -> list[bytes]:
    """``count`` requests of ``spans`` spans each, numbered from ``first`` (their ``url.path``
    is unique to the number)."""
    bodies = []
    for r in range(count):
        resource = ResourceSpans()
        resource.resource.attributes.extend([
            KeyValue(key="service.name", value=_value(f"service-{r % 4}")),
            KeyValue(key="telemetry.sdk.language", value=_value("go")),
        ])
        resource.scope_spans.append(ScopeSpans(spans=[_span(first + r * spans + i)
                                                      for i in range(spans)]))
        bodies.append(ExportTraceServiceRequest(resource_spans=[resource]).SerializeToString())
    return bodies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--spans", type=int, default=512, help="spans per request")
    parser.add_argument("--fresh", action="store_true",
                        help="new url.path values every round, as live traffic has them (by "
                        "default each round sends the same requests, so the judge has seen "
                        "every value before)")
    arguments = parser.parse_args()
    per_round = arguments.requests * arguments.spans
    bodies = requests(arguments.requests, arguments.spans)
    judge = Judge(baseline_snapshot())
    read = judged_reader("traces")

    def attributes_of(bodies: list[bytes]) -> frozenset[bytes]:
        return frozenset(pair for body in bodies for resource in read(body).resources
                         for pair in resource.scope_spans.spans.attributes)

    known = attributes_of(bodies)

    def decode(bodies: list[bytes]) -> None:
        for body in bodies:
            ExportTraceServiceRequest.FromString(body)

    def decode_views(bodies: list[bytes]) -> None:
        for body in bodies:
            read(body)

    def decode_and_membership(bodies: list[bytes]) -> None:
        """The floor of any judge that looks at each attribute: its views, one membership test
        each (in C) in a set that holds every attribute of the round."""
        for body in bodies:
            for resource in read(body).resources:
                known.issuperset(resource.scope_spans.spans.attributes)

    def decode_and_judge(bodies: list[bytes]) -> None:
        """What the receiver does with a protobuf body: read its views, judge them."""
        for body in bodies:
            judge.traces(read(body))

    def decode_and_read(bodies: list[bytes]) -> None:
        """The least any Python judge does: read every attribute's key and value once."""
        for body in bodies:
            for resource in ExportTraceServiceRequest.FromString(body).resource_spans:
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        for pair in span.attributes:
                            pair.value.WhichOneof("value")

    cases: dict[str, Callable[[list[bytes]], None]] = {
        "decode": decode, "decode views": decode_views,
        "decode + membership": decode_and_membership, "decode + judge": decode_and_judge,
        "decode + read": decode_and_read}
    for case in cases.values():
        case(bodies)
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for number in range(1, arguments.rounds + 1):
        if arguments.fresh:
            bodies = requests(arguments.requests, arguments.spans, number * per_round)
            known = attributes_of(bodies)  # so that the floor tests every attribute of the round
        for name, case in cases.items():
            gc.collect()  # as timeit does: no collection of another case's garbage inside
            gc.disable()
            start = time.perf_counter()
            case(bodies)
            timings[name].append(time.perf_counter() - start)
            gc.enable()
    medians = {name: statistics.median(values) for name, values in timings.items()}
    print(f"{per_round} spans in {arguments.requests} requests, 9-10 attributes each, one with a "
          f"value unique to the span{', new every round' if arguments.fresh else ''} "
          f"({arguments.rounds} interleaved rounds, medians)")
    for name, median in medians.items():
        print(f"{name:<19} {per_round / median:12,.0f} spans/s   "
              f"{median / medians['decode']:5.2f}x decode")
    ratio = medians["decode + judge"] / medians["decode"]
    print(f"judge: {judge.items['span']} spans judged, {len(judge.findings())} findings")
    print(f"decode + judge / decode = {ratio:.2f} "
          f"({'within' if ratio <= 1.5 else 'OVER'} the 1.5x goal); "
          f"/ decode + read = {medians['decode + judge'] / medians['decode + read']:.2f}")


if __name__ == "__main__":
    main()
