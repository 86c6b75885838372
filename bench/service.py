"""Loopback load on a real registry server process, on SQLite and on PostgreSQL.

Run: ``python bench/service.py [--rounds N] [--backends sqlite,postgres]``. This process is the
load generator (asyncio, raw HTTP/1.1 keep-alive connections); the server is a separate uvicorn
process started by ``telemetry-contracts serve``. Rounds interleave ``/healthz`` (the baseline)
with each measured request; medians over rounds are printed with their ratio to ``/healthz``.

Goals: the 304 snapshot read within 1.5x of ``/healthz``; proposals p99 under 50 ms with 32
concurrent clients; a registry of 10,000 metrics and 50,000 attributes publishes in under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.postgres import (  # noqa: E402
    create_database,
    missing_binaries,
    start_postgres,
    stop_postgres,
)
from tests.registry.server_process import ServerProcess  # noqa: E402

from telemetry_contracts.registry.service.auth import create_token  # noqa: E402
from telemetry_contracts.registry.service.registry import RegistryService  # noqa: E402
from telemetry_contracts.registry.service.settings import Settings  # noqa: E402
from telemetry_contracts.schemas.model import Attribute, AttributeRef, Metric  # noqa: E402
from telemetry_contracts.schemas.snapshot import Snapshot  # noqa: E402

CONCURRENCY = 32
Request = Callable[[], bytes]


@dataclass
class Figures:
    """Requests per second and latency percentiles of one batch."""

    rps: float
    p50: float
    p99: float


def _request(method: str, path: str, token: str, body: object = None, **headers: str) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {token}",
             f"Content-Length: {len(payload)}"]
    if body is not None:
        lines.append("Content-Type: application/json")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _load(port: int, make: Request, total: int, concurrency: int,
                expect: int) -> Figures:
    latencies: list[float] = []
    remaining = itertools.count()

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**26)
        try:
            while next(remaining) < total:
                request = make()
                start = time.perf_counter()
                status, body = await _exchange(reader, writer, request)
                latencies.append(time.perf_counter() - start)
                if status != expect:
                    raise RuntimeError(f"expected {expect}, got {status}: {body[:300]!r}")
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return Figures(len(latencies) / elapsed, latencies[len(latencies) // 2],
                   latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))])


def load(port: int, make: Request, total: int, concurrency: int, expect: int) -> Figures:
    return asyncio.run(_load(port, make, total, concurrency, expect))


def call(port: int, request: bytes) -> tuple[int, bytes]:
    async def once() -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**26)
        try:
            return await _exchange(reader, writer, request)
        finally:
            writer.close()

    return asyncio.run(once())


def _tokens(service: RegistryService) -> dict[str, str]:
    tokens = {}
    for name, role, namespaces in (("author", "contributor", []), ("owner", "reviewer", ["bench"]),
                                   ("root", "admin", [])):
        tokens[name] = create_token(service.database, role=role, name=name,  # type: ignore[arg-type]
                                    namespaces=namespaces, actor="bench")[1]
    return tokens


def _attribute_body(key: str) -> dict[str, object]:
    return {"change": {"kind": "attribute", "attribute": {
        "key": key, "type": "string", "brief": "Bench attribute.", "stability": "development"}}}


def _approved(port: int, tokens: dict[str, str], key: str) -> int:
    status, body = call(port, _request("POST", "/v1/proposals", tokens["author"],
                                       _attribute_body(key)))
    assert status == 201, body
    proposal_id = json.loads(body)["id"]
    status, body = call(port, _request("POST", f"/v1/proposals/{proposal_id}/reviews",
                                       tokens["owner"], {"decision": "approve"}))
    assert status == 201, body
    return int(proposal_id)


def _median(values: list[float]) -> float:
    return statistics.median(values)


def measure_backend(label: str, url: str, rounds: int, log: Path) -> dict[str, dict[str, float]]:
    """Interleaved rounds of /healthz, snapshot 304, snapshot 200, proposals and publishes."""
    service = RegistryService(Settings(database_url=url))
    tokens = _tokens(service)
    service.close()
    server = ServerProcess(url, log)
    port = server.port
    try:
        etag = {"current": ""}
        counter = itertools.count()
        scenarios: dict[str, tuple[Request, int, int, int]] = {
            "healthz": (lambda: _request("GET", "/healthz", tokens["author"]), 2000,
                        CONCURRENCY, 200),
            "snapshot 304": (lambda: _request("GET", "/v1/snapshot", tokens["author"],
                                              If_None_Match=etag["current"]), 2000,
                             CONCURRENCY, 304),
            "snapshot 200": (lambda: _request("GET", "/v1/snapshot", tokens["author"]), 200,
                             CONCURRENCY, 200),
            "proposal": (lambda: _request("POST", "/v1/proposals", tokens["author"],
                                          _attribute_body(f"bench.{label}.a{next(counter)}")),
                         400, CONCURRENCY, 201),
        }
        results: dict[str, list[Figures]] = {name: [] for name in [*scenarios, "publish"]}
        ratios: dict[str, list[float]] = {name: [] for name in [*scenarios, "publish"]}
        for round_index in range(rounds):
            status, body = call(port, _request("GET", "/v1/snapshot", tokens["author"]))
            etag["current"] = '"' + json.loads(body)["content_hash"] + '"'
            baseline = None
            for name, (make, total, concurrency, expect) in scenarios.items():
                figures = load(port, make, total, concurrency, expect)
                results[name].append(figures)
                if name == "healthz":
                    baseline = figures
                assert baseline is not None
                ratios[name].append(figures.p50 / baseline.p50)
            # Publishes run one at a time: each publishes one freshly approved proposal.
            publish_latencies = []
            for index in range(5):
                proposal_id = _approved(port, tokens, f"bench.{label}.p{round_index}x{index}")
                request = _request("POST", "/v1/versions", tokens["root"],
                                   {"proposals": [proposal_id]})
                start = time.perf_counter()
                status, body = call(port, request)
                publish_latencies.append(time.perf_counter() - start)
                assert status == 201, body
            single = load(port, lambda: _request("GET", "/healthz", tokens["author"]), 50, 1, 200)
            publish_latencies.sort()
            results["publish"].append(Figures(1 / _median(publish_latencies),
                                              _median(publish_latencies), publish_latencies[-1]))
            ratios["publish"].append(_median(publish_latencies) / single.p50)
        return {name: {"rps": _median([f.rps for f in figures]),
                       "p50_ms": _median([f.p50 for f in figures]) * 1000,
                       "p99_ms": _median([f.p99 for f in figures]) * 1000,
                       "p50_vs_healthz": _median(ratios[name])}
                for name, figures in results.items()}
    finally:
        server.stop()


def large_snapshot(metrics: int, attributes: int) -> Snapshot:
    """A synthetic registry: ``attributes`` string attributes, ``metrics`` metrics using them."""
    attrs = [Attribute(key=f"big.ns{i // 1000}.attr{i}", type="string", brief="Synthetic.",
                       stability="development") for i in range(attributes)]
    mets = [Metric(name=f"big.ns{i // 100}.metric{i}", instrument="counter", unit="1",
                   brief="Synthetic.", stability="development",
                   attributes=tuple(AttributeRef(key=attrs[(i * 5 + j) % attributes].key)
                                    for j in range(5)))
            for i in range(metrics)]
    return Snapshot.build(registry="registry", version="1.0.0", attributes=attrs, metrics=mets)


def measure_large_publish(url: str, log: Path, repeats: int) -> dict[str, float]:
    """Publish one change on top of 10,000 metrics and 50,000 attributes, next to /healthz."""
    service = RegistryService(Settings(database_url=url), seed=large_snapshot(10_000, 50_000))
    tokens = _tokens(service)
    service.close()
    server = ServerProcess(url, log)
    port = server.port
    try:
        status, _ = call(port, _request("GET", "/v1/snapshot", tokens["author"]))  # warm cache
        assert status == 200
        times, baselines = [], []
        for index in range(repeats):
            proposal_id = _approved(port, tokens, f"bench.large.a{index}")
            baselines.append(load(port, lambda: _request("GET", "/healthz", tokens["author"]),
                                  20, 1, 200).p50)
            start = time.perf_counter()
            status, body = call(port, _request("POST", "/v1/versions", tokens["root"],
                                               {"proposals": [proposal_id]}))
            times.append(time.perf_counter() - start)
            assert status == 201, body
        return {"publish_s": _median(times), "max_s": max(times),
                "vs_healthz": _median(times) / _median(baselines)}
    finally:
        server.stop()


@contextmanager
def backend_urls(backends: list[str], directory: Path) -> Iterator[dict[str, Callable[[str], str]]]:
    """A function per backend that makes a fresh, empty database and returns its URL."""
    makers: dict[str, Callable[[str], str]] = {}
    server = None
    if "sqlite" in backends:
        makers["sqlite"] = lambda name: f"sqlite:///{directory / name}.db"
    if "postgres" in backends:
        reason = missing_binaries()
        if reason:
            print(f"postgres: skipped ({reason})")
        else:
            server = start_postgres()
            makers["postgres"] = lambda name: create_database(server, name)
    try:
        yield makers
    finally:
        if server is not None:
            stop_postgres(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--large-repeats", type=int, default=3)
    parser.add_argument("--log", help="Keep the server's log in this file.")
    arguments = parser.parse_args()
    backends = arguments.backends.split(",")
    with tempfile.TemporaryDirectory(prefix="tc-bench-") as temporary, \
            backend_urls(backends, Path(temporary)) as makers:
        log = Path(arguments.log) if arguments.log else Path(temporary) / "server.log"
        for backend, make_url in makers.items():
            figures = measure_backend(backend, make_url("load"), arguments.rounds, log)
            print(f"\n{backend}: {CONCURRENCY} concurrent clients (publish: one at a time), "
                  f"medians of {arguments.rounds} interleaved rounds")
            print(f"  {'request':<14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'p50/healthz':>13}")
            for name, row in figures.items():
                print(f"  {name:<14}{row['rps']:>9.0f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
                      f"{row['p50_vs_healthz']:>12.2f}x")
            large = measure_large_publish(make_url("large"), log, arguments.large_repeats)
            print(f"  publish onto 10,000 metrics + 50,000 attributes: {large['publish_s']:.2f} s "
                  f"median, {large['max_s']:.2f} s max ({large['vs_healthz']:.0f}x a /healthz)")
            goals = {
                "304 within 1.5x of /healthz": figures["snapshot 304"]["p50_vs_healthz"] <= 1.5,
                "proposal p99 < 50 ms": figures["proposal"]["p99_ms"] < 50,
                "large publish < 2 s": large["publish_s"] < 2,
            }
            for goal, met in goals.items():
                print(f"  goal {goal}: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
