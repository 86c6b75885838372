"""Loopback load on a real registry server process, on SQLite and on PostgreSQL.

Run: ``python bench/service.py [--rounds N] [--backends sqlite,postgres] [--workers 1,2]``. This
process is the load generator (asyncio, raw HTTP/1.1 keep-alive connections, one thread); the
server is a separate uvicorn process started by ``telemetry-contracts serve [--workers N]``. Rounds
interleave ``/healthz`` (the baseline) with each measured request; medians over rounds are printed
with their ratio to ``/healthz``, the server's CPU time per request (all its processes) and the
load generator's own CPU use (100% is one core: on a 2-core machine it competes with the server).

Goals: the 304 snapshot read within 1.5x of ``/healthz`` (p50); proposals p99 under 100 ms with
8 concurrent clients; usage ingestion (``POST /v1/usage``, 200 counters a report) sustained at p99
under 100 ms, at least 200 reports/s; a registry of 10,000 metrics and 50,000 attributes publishes
in under 2 s; the deprecation report of 1,000 deprecated names emitted by 200 services answers in
under 200 ms (p50, the whole report in one page, as the web UI reads it). Each client connects
and sends one unmeasured request before the clients start together. ``/healthz`` is also timed
from one client while 8 others post valid 950 kB proposals.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
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

from telemetry_contracts.registry.service.auth import Principal, create_token  # noqa: E402
from telemetry_contracts.registry.service.registry import RegistryService  # noqa: E402
from telemetry_contracts.registry.service.settings import Settings  # noqa: E402
from telemetry_contracts.registry.service.usage import ingest  # noqa: E402
from telemetry_contracts.schemas.model import (  # noqa: E402
    Attribute,
    AttributeRef,
    Deprecation,
    Governance,
    Metric,
)
from telemetry_contracts.schemas.snapshot import Snapshot  # noqa: E402
from telemetry_contracts.schemas.usage import UsageReport  # noqa: E402

CONCURRENCY = 32
PROPOSAL_CLIENTS = 8
USAGE_CLIENTS = (2, 4, 8)
"""Usage is measured at each of these concurrencies; the fastest with p99 under 100 ms counts."""
AUTHORS = 40
"""Proposals rotate over this many author tokens: each author may hold 200 open proposals."""
Request = Callable[[], bytes]


@dataclass
class Figures:
    """Requests per second, latency percentiles and CPU use of one batch."""

    rps: float
    p50: float
    p99: float
    server_cpu: float = 0.0
    """Server CPU seconds per request (all its processes)."""
    client_cpu: float = 0.0
    """This load generator's CPU use during the batch, in cores (1.0: one core busy)."""


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` and its child processes (Linux ``/proc``)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


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


async def _load(pid: int, port: int, make: Request, total: int, concurrency: int,
                expect: int) -> Figures:
    latencies: list[float] = []
    remaining = itertools.count()
    ready = asyncio.Barrier(concurrency)
    started: list[float] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**26)
        try:
            # Connect and send one unmeasured request, then start together: the figures are
            # the steady state of `concurrency` clients, not that many connections opening.
            status, body = await _exchange(reader, writer, make())
            if status != expect:
                raise RuntimeError(f"expected {expect}, got {status}: {body[:300]!r}")
            if await ready.wait() == 0:
                started.extend((time.perf_counter(), tree_cpu_seconds(pid), time.process_time()))
            while next(remaining) < total:
                request = make()
                start = time.perf_counter()
                status, body = await _exchange(reader, writer, request)
                latencies.append(time.perf_counter() - start)
                if status != expect:
                    raise RuntimeError(f"expected {expect}, got {status}: {body[:300]!r}")
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started[0]
    client_cpu = (time.process_time() - started[2]) / elapsed
    server_cpu = (tree_cpu_seconds(pid) - started[1]) / len(latencies)
    latencies.sort()
    return Figures(len(latencies) / elapsed, latencies[len(latencies) // 2],
                   latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], server_cpu,
                   client_cpu)


def load(server: ServerProcess, make: Request, total: int, concurrency: int,
         expect: int) -> Figures:
    """``total`` requests from ``concurrency`` closed-loop clients; latency, rate and CPU."""
    return asyncio.run(_load(server.process.pid, server.port, make, total, concurrency, expect))


def call(server: ServerProcess, request: bytes) -> tuple[int, bytes]:
    async def once() -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port, limit=2**26)
        try:
            return await _exchange(reader, writer, request)
        finally:
            writer.close()

    return asyncio.run(once())


def _tokens(service: RegistryService) -> dict[str, str]:
    tokens = {}
    principals = [("author", "contributor", []), ("owner", "reviewer", ["bench"]),
                  ("root", "admin", []),
                  *((f"author{index}", "contributor", []) for index in range(AUTHORS))]
    for name, role, namespaces in principals:
        tokens[name] = create_token(service.database, role=role, name=name,  # type: ignore[arg-type]
                                    namespaces=namespaces, actor="bench")[1]
    return tokens


def _usage_body(number: int) -> dict[str, object]:
    """A guard's report: 200 counters of one of 20 services, over names they share."""
    now = time.time()
    counts = [{"signal": "metric", "name": f"bench.usage.metric{(number * 7 + i) % 2000}",
               "action": "pass", "count": 1 + i} for i in range(200)]
    return {"service": f"bench-service-{number % 20}",
            "window_start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60)),
            "window_end": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "counts": counts}


def _attribute_body(key: str) -> dict[str, object]:
    return {"change": {"kind": "attribute", "attribute": {
        "key": key, "type": "string", "brief": "Bench attribute.", "stability": "development"}}}


def _approved(server: ServerProcess, tokens: dict[str, str], key: str,
              author: str = "author") -> int:
    status, body = call(server, _request("POST", "/v1/proposals", tokens[author],
                                       _attribute_body(key)))
    assert status == 201, body
    proposal_id = json.loads(body)["id"]
    status, body = call(server, _request("POST", f"/v1/proposals/{proposal_id}/reviews",
                                       tokens["owner"], {"decision": "approve"}))
    assert status == 201, body
    return int(proposal_id)


def _median(values: list[float]) -> float:
    return statistics.median(values)


def measure_backend(label: str, url: str, rounds: int, log: Path,
                    workers: int = 1, usage_only: bool = False) -> dict[str, dict[str, float]]:
    """Interleaved rounds of /healthz, snapshot 304, snapshot 200, proposals and publishes
    (``usage_only``: of /healthz and usage ingestion alone)."""
    service = RegistryService(Settings(database_url=url))
    tokens = _tokens(service)
    service.close()
    server = ServerProcess(url, log, "--workers", str(workers))
    try:
        etag = {"current": ""}
        counter = itertools.count()

        def author() -> str:
            return tokens[f"author{next(counter) % AUTHORS}"]

        scenarios: dict[str, tuple[Request, int, int, int]] = {
            "healthz": (lambda: _request("GET", "/healthz", tokens["author"]), 2000,
                        CONCURRENCY, 200),
            "snapshot 304": (lambda: _request("GET", "/v1/snapshot", tokens["author"],
                                              If_None_Match=etag["current"]), 2000,
                             CONCURRENCY, 304),
            "snapshot 200": (lambda: _request("GET", "/v1/snapshot", tokens["author"]), 200,
                             CONCURRENCY, 200),
            "proposal": (lambda: _request("POST", "/v1/proposals", author(),
                                          _attribute_body(f"bench.{label}.a{next(counter)}")),
                         400, PROPOSAL_CLIENTS, 201),
            "proposal, 1": (lambda: _request("POST", "/v1/proposals", author(),
                                             _attribute_body(f"bench.{label}.s{next(counter)}")),
                            100, 1, 201),
            **{f"usage, {clients}": (lambda: _request("POST", "/v1/usage", tokens["author"],
                                                      _usage_body(next(counter))),
                                     600, clients, 202)
               for clients in USAGE_CLIENTS},
        }
        if usage_only:
            scenarios = {name: scenario for name, scenario in scenarios.items()
                         if name == "healthz" or name.startswith("usage")}
        results: dict[str, list[Figures]] = {
            name: [] for name in [*scenarios, *([] if usage_only else ["publish"])]}
        ratios: dict[str, list[float]] = {name: [] for name in [*scenarios, "publish"]}
        for round_index in range(rounds):
            if workers > 1:  # each process re-reads the latest version within a second
                time.sleep(Settings().snapshot_revalidate_seconds + 0.1)
            status, body = call(server, _request("GET", "/v1/snapshot", tokens["author"]))
            etag["current"] = '"' + json.loads(body)["content_hash"] + '"'
            baseline = None
            for name, (make, total, concurrency, expect) in scenarios.items():
                figures = load(server, make, total, concurrency, expect)
                results[name].append(figures)
                if name == "healthz":
                    baseline = figures
                if concurrency == 1:  # compare with /healthz from one client, too
                    baseline = load(server, scenarios["healthz"][0], 200, 1, 200)
                assert baseline is not None
                ratios[name].append(figures.p50 / baseline.p50)
            if usage_only:
                continue
            # Publishes run one at a time: each publishes one freshly approved proposal.
            publish_latencies = []
            for index in range(5):
                proposal_id = _approved(server, tokens, f"bench.{label}.p{round_index}x{index}")
                request = _request("POST", "/v1/versions", tokens["root"],
                                   {"proposals": [proposal_id]})
                start = time.perf_counter()
                status, body = call(server, request)
                publish_latencies.append(time.perf_counter() - start)
                assert status == 201, body
            single = load(server, lambda: _request("GET", "/healthz", tokens["author"]), 50, 1, 200)
            publish_latencies.sort()
            results["publish"].append(Figures(1 / _median(publish_latencies),
                                              _median(publish_latencies), publish_latencies[-1]))
            ratios["publish"].append(_median(publish_latencies) / single.p50)
        return {name: {"rps": _median([f.rps for f in figures]),
                       "p50_ms": _median([f.p50 for f in figures]) * 1000,
                       "p99_ms": _median([f.p99 for f in figures]) * 1000,
                       "p50_vs_healthz": _median(ratios[name]),
                       "server_cpu_ms": _median([f.server_cpu for f in figures]) * 1000,
                       "client_cpu": _median([f.client_cpu for f in figures])}
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
    try:
        status, _ = call(server, _request("GET", "/v1/snapshot", tokens["author"]))  # warm cache
        assert status == 200
        times, baselines = [], []
        for index in range(repeats):
            proposal_id = _approved(server, tokens, f"bench.large.a{index}")
            baselines.append(load(server, lambda: _request("GET", "/healthz", tokens["author"]),
                                  20, 1, 200).p50)
            start = time.perf_counter()
            status, body = call(server, _request("POST", "/v1/versions", tokens["root"],
                                               {"proposals": [proposal_id]}))
            times.append(time.perf_counter() - start)
            assert status == 201, body
        return {"publish_s": _median(times), "max_s": max(times),
                "vs_healthz": _median(times) / _median(baselines)}
    finally:
        server.stop()


DEPRECATED = 1000
SERVICES = 200
NAMES_PER_SERVICE = 50
REPORT_DAYS = 8
"""Each service reports on this many days spread over the 30-day window."""


def deprecated_snapshot() -> Snapshot:
    """The semconv-free registry of :data:`DEPRECATED` deprecated metrics and their successors."""
    metrics = []
    for index in range(DEPRECATED):
        metrics.append(Metric(
            name=f"old.ns{index // 50}.metric{index}", instrument="counter", unit="1",
            brief="Synthetic.", stability="development",
            deprecated=Deprecation(reason="renamed", renamed_to=f"new.ns{index // 50}.m{index}"),
            governance=Governance(owner=f"team-{index % 12}")))
        metrics.append(Metric(name=f"new.ns{index // 50}.m{index}", instrument="counter",
                              unit="1", brief="Synthetic.", stability="development"))
    return Snapshot.build(registry="registry", version="1.0.0", attributes=[], metrics=metrics)


def measure_deprecation_report(url: str, log: Path, rounds: int) -> dict[str, float]:
    """The deprecation report of 1,000 deprecated names, each service of 200 having reported 50
    of them on 8 days of the window, timed next to ``/healthz``."""
    service = RegistryService(Settings(database_url=url), seed=deprecated_snapshot())
    tokens = _tokens(service)
    guard = Principal(name="bench", role="contributor")
    now = dt.datetime.now(dt.timezone.utc)
    for number in range(SERVICES):
        names = [f"old.ns{((number * 13 + i) % DEPRECATED) // 50}.metric"
                 f"{(number * 13 + i) % DEPRECATED}" for i in range(NAMES_PER_SERVICE)]
        for day in range(REPORT_DAYS):
            end = now - dt.timedelta(days=day * 4)
            ingest(service.versions, guard, UsageReport.model_validate({
                "service": f"bench-service-{number}", "window_start": end - dt.timedelta(hours=1),
                "window_end": end, "counts": [
                    {"signal": "metric", "name": name, "action": "rename", "rule": "TC803",
                     "count": 1 + (number + i + day) % 97} for i, name in enumerate(names)]}),
                now=now)
    service.close()
    server = ServerProcess(url, log)
    try:
        whole = _request("GET", "/v1/reports/deprecations?limit=1000", tokens["author"])
        page = _request("GET", "/v1/reports/deprecations?limit=100", tokens["author"])
        status, body = call(server, whole)
        document = json.loads(body)
        assert status == 200 and len(document["items"]) == DEPRECATED, body[:300]
        figures: dict[str, list[float]] = {"whole": [], "page": [], "healthz": []}
        for _ in range(rounds):
            figures["healthz"].append(load(server, lambda: _request(
                "GET", "/healthz", tokens["author"]), 20, 1, 200).p50)
            figures["whole"].append(load(server, lambda: whole, 20, 1, 200).p50)
            figures["page"].append(load(server, lambda: page, 20, 1, 200).p50)
        emitters = sum(len(entry["emitters"]) for entry in document["items"])
        return {"whole_ms": _median(figures["whole"]) * 1000,
                "page_ms": _median(figures["page"]) * 1000,
                "healthz_ms": _median(figures["healthz"]) * 1000,
                "emitters": emitters, "bytes": len(body)}
    finally:
        server.stop()


def _big_proposal(key: str) -> dict[str, object]:
    """A valid proposal of about 950 kB: an enum attribute of 1,990 members."""
    members = [{"id": f"member_{i}", "value": f"member_{i}", "brief": "A member. " + "b" * 390,
                "stability": "development"} for i in range(1990)]
    return {"change": {"kind": "attribute", "attribute": {
        "key": key, "type": {"members": members}, "brief": "A mode.",
        "stability": "development"}}}


async def _probe_during(port: int, probe: bytes, probes: int, background: Request | None,
                        clients: int) -> list[float]:
    """Latencies of ``probes`` requests from one client, a few milliseconds apart, while
    ``clients`` others send ``background`` requests without pause."""
    done = asyncio.Event()

    async def busy() -> None:
        assert background is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**26)
        try:
            while not done.is_set():
                status, body = await _exchange(reader, writer, background())
                if status != 201:
                    raise RuntimeError(f"expected 201, got {status}: {body[:300]!r}")
        finally:
            writer.close()

    async def prober() -> list[float]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        latencies = []
        try:
            await asyncio.sleep(0.5 if background else 0)  # the others are under way
            for _ in range(probes):
                start = time.perf_counter()
                await _exchange(reader, writer, probe)
                latencies.append(time.perf_counter() - start)
                await asyncio.sleep(0.005)
        finally:
            done.set()
            writer.close()
        return sorted(latencies)

    others = [busy() for _ in range(clients if background else 0)]
    latencies, *_ = await asyncio.gather(prober(), *others)
    return latencies


def measure_stall(url: str, log: Path, clients: int = 8) -> tuple[list[float], list[float]]:
    """``/healthz`` latencies from one client alone, then while ``clients`` others post large
    valid proposals: the event loop must keep answering while they are parsed and validated."""
    service = RegistryService(Settings(database_url=url))
    tokens = _tokens(service)
    service.close()
    server = ServerProcess(url, log)
    counter = itertools.count()

    def big() -> bytes:
        number = next(counter)
        return _request("POST", "/v1/proposals", tokens[f"author{number % AUTHORS}"],
                        _big_proposal(f"bench.big.k{number}"))

    probe = _request("GET", "/healthz", tokens["author"])
    try:
        alone = asyncio.run(_probe_during(server.port, probe, 200, None, 0))
        busy = asyncio.run(_probe_during(server.port, probe, 200, big, clients))
        return alone, busy
    finally:
        server.stop()


def rss_mib(pid: int) -> float:
    """The resident memory of process ``pid`` in MiB (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def _all_at_once(port: int, requests: list[bytes]) -> list[int]:
    """Send each request on a connection of its own, all at once; their statuses."""
    async def one(request: bytes) -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**26)
        try:
            return (await _exchange(reader, writer, request))[0]
        finally:
            writer.close()

    return list(await asyncio.gather(*(one(request) for request in requests)))


def measure_memory(url: str, log: Path, rounds: int, publishes: int) -> list[float]:
    """The server's resident memory before and after each round of ``publishes`` concurrent
    publishes (one client each) racing for freshly approved proposals."""
    service = RegistryService(Settings(database_url=url))
    tokens = _tokens(service)
    service.close()
    server = ServerProcess(url, log)
    try:
        sizes = [rss_mib(server.process.pid)]
        for round_index in range(rounds):
            waiting = [_approved(server, tokens, f"bench.memory.r{round_index}x{index}",
                                 f"author{index % AUTHORS}") for index in range(publishes)]
            # Every publish asks for its own proposal and, every other one, for all approved
            # ones: those race, and the losers are refused with 409.
            requests = [_request("POST", "/v1/versions", tokens["root"],
                                 {"proposals": [key]} if index % 2 else {})
                        for index, key in enumerate(waiting)]
            statuses = asyncio.run(_all_at_once(server.port, requests))
            assert set(statuses) <= {201, 409}, statuses
            sizes.append(rss_mib(server.process.pid))
        return sizes
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
            server = start_postgres(durable=True)  # fsync and synchronous commit on
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
    parser.add_argument("--workers", default="1",
                        help="Server processes, comma-separated to compare (`1,2`).")
    parser.add_argument("--only-deprecations", action="store_true",
                        help="Only measure the deprecation report.")
    parser.add_argument("--only-usage", action="store_true",
                        help="Only measure usage ingestion (and /healthz, its baseline).")
    parser.add_argument("--memory", type=int, metavar="N", default=0,
                        help="Only measure the server's memory over two rounds of N concurrent "
                             "publishes.")
    arguments = parser.parse_args()
    backends = arguments.backends.split(",")
    with tempfile.TemporaryDirectory(prefix="tc-bench-") as temporary, \
            backend_urls(backends, Path(temporary)) as makers:
        log = Path(arguments.log) if arguments.log else Path(temporary) / "server.log"
        for backend, make_url in makers.items():
            if arguments.memory:
                sizes = measure_memory(make_url("memory"), log, 2, arguments.memory)
                print(f"{backend}: server resident memory over two rounds of {arguments.memory} "
                      f"concurrent publishes: " + " -> ".join(f"{size:.0f}" for size in sizes)
                      + " MiB")
                continue
            if arguments.only_usage:
                report(backend, make_url, arguments.rounds, log, 1, usage_only=True)
                continue
            deprecations = measure_deprecation_report(make_url("deprecations"), log,
                                                      arguments.rounds)
            print(f"{backend}: deprecation report of {DEPRECATED:,} deprecated names, "
                  f"{SERVICES} services ({deprecations['emitters']:,} emitters with daily counts, "
                  f"{deprecations['bytes'] / 1e6:.1f} MB): p50 {deprecations['whole_ms']:.1f} ms "
                  f"({deprecations['whole_ms'] / deprecations['healthz_ms']:.0f}x a /healthz "
                  f"of {deprecations['healthz_ms']:.2f} ms); a page of 100: "
                  f"{deprecations['page_ms']:.1f} ms; goal < 200 ms: "
                  f"{'met' if deprecations['whole_ms'] < 200 else 'MISSED'}")
            if arguments.only_deprecations:
                continue
            for workers in (int(w) for w in arguments.workers.split(",")):
                report(backend, make_url, arguments.rounds, log, workers)
            alone, busy = measure_stall(make_url("stall"), log)
            print(f"  /healthz from one client, alone: p50 {_median(alone) * 1000:.1f} ms, p99 "
                  f"{alone[int(len(alone) * 0.99)] * 1000:.1f} ms; while 8 clients post 950 kB "
                  f"proposals: p50 {_median(busy) * 1000:.1f} ms, p99 "
                  f"{busy[int(len(busy) * 0.99)] * 1000:.1f} ms")
            large = measure_large_publish(make_url("large"), log, arguments.large_repeats)
            print(f"  publish onto 10,000 metrics + 50,000 attributes: {large['publish_s']:.2f} s "
                  f"median, {large['max_s']:.2f} s max ({large['vs_healthz']:.0f}x a /healthz); "
                  f"goal < 2 s: {'met' if large['publish_s'] < 2 else 'MISSED'}")


def report(backend: str, make_url: Callable[[str], str], rounds: int, log: Path,
           workers: int, usage_only: bool = False) -> None:
    """Measure one backend with ``workers`` server processes and print the table and goals."""
    figures = measure_backend(backend, make_url(f"load{workers}"), rounds, log, workers,
                              usage_only)
    print(f"\n{backend}, {workers} server process{'es' if workers > 1 else ''}: "
          f"{CONCURRENCY} concurrent clients (`proposal`: {PROPOSAL_CLIENTS}, `usage, N`: N, "
          f"`proposal, 1` and publish: one), "
          f"medians of {rounds} interleaved rounds")
    print(f"  {'request':<14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'p50/healthz':>13}"
          f"{'server CPU ms/req':>19}{'load generator CPU':>20}")
    for name, row in figures.items():
        print(f"  {name:<14}{row['rps']:>9.0f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
              f"{row['p50_vs_healthz']:>12.2f}x" + (
                  f"{row['server_cpu_ms']:>19.2f}{row['client_cpu']:>19.0%}"
                  if name != "publish" else ""))
    usage = [figures[f"usage, {clients}"] for clients in USAGE_CLIENTS]
    sustained = max((row["rps"] for row in usage if row["p99_ms"] < 100), default=0.0)
    print(f"  usage ingestion at p99 < 100 ms: {sustained:.0f} reports/s of 200 counters "
          f"({sustained * 200:.0f} counters/s)")
    goals = {"usage >= 200 reports/s at p99 < 100 ms": sustained >= 200}
    if not usage_only:
        goals = {
            "304 within 1.5x of /healthz": figures["snapshot 304"]["p50_vs_healthz"] <= 1.5,
            f"proposal p99 < 100 ms with {PROPOSAL_CLIENTS} clients":
                figures["proposal"]["p99_ms"] < 100,
            **goals}
    for goal, met in goals.items():
        print(f"  goal {goal}: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
