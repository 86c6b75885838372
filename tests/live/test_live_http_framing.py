"""The OTLP/HTTP receiver's framing under a hostile sender: chunk sizes it cannot trust and
connections that go silent. Runs the receiver in-process on a free loopback port."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from telemetry_contracts.live import receiver as receiver_module
from telemetry_contracts.live.judge import Judge
from telemetry_contracts.live.receiver import (
    GrpcReceiver,
    HttpReceiver,
    Refused,
    host_port,
    read_input,
)
from telemetry_contracts.resolution.loader import load_registry
from tests.live.conftest import REGISTRY, cli, free_port


@pytest.fixture
def http_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setattr(receiver_module, "READ_TIMEOUT", 1.0)
    receiver = HttpReceiver(Judge(load_registry(REGISTRY).snapshot), "127.0.0.1", 0,
                            lambda: None)
    receiver.start()
    try:
        yield receiver.port
    finally:
        receiver.stop()


def _status(sock: socket.socket) -> bytes:
    return sock.recv(4096).split(b"\r\n", 1)[0]


@pytest.mark.parametrize("size", [b"-1", b"-100000", b"+10", b"0x10", b"1_0", b""])
def test_a_chunk_size_that_is_not_plain_hex_is_refused_before_any_body_is_read(
        http_port: int, size: bytes) -> None:
    # ``int(b"-1", 16)`` is -1, and ``read(-1)`` reads to the end of the stream, past MAX_BODY;
    # the answer must come while the sender still holds the connection open
    with socket.create_connection(("127.0.0.1", http_port), timeout=10) as sock:
        sock.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     b"application/x-protobuf\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + size + b"\r\n" + b"\0" * 4096)
        assert _status(sock) == b"HTTP/1.1 400 Bad Request"


def test_a_silent_sender_is_cut_off_and_the_receiver_keeps_serving(http_port: int) -> None:
    with socket.create_connection(("127.0.0.1", http_port), timeout=10) as stalled:
        # announces 1,000 bytes, sends 2, then nothing
        stalled.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: "
                        b"application/json\r\nContent-Length: 1000\r\n\r\n{}")
        with socket.create_connection(("127.0.0.1", http_port), timeout=10) as other:
            other.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _status(other) == b"HTTP/1.1 200 OK"
        started = time.monotonic()
        assert stalled.recv(4096) == b""  # closed by the receiver, not by our 10 s timeout
        assert time.monotonic() - started < 5


def test_a_grpc_port_in_use_exits_2_and_releases_the_http_port(tmp_path: Path) -> None:
    # the HTTP receiver is bound first; when gRPC cannot bind, stopping the never-started HTTP
    # server must not wait for a serve loop that never ran
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = cli("live-check", "--registry", str(REGISTRY), "--otlp-http", str(free_port()),
                     "--otlp-grpc", str(taken.getsockname()[1]), "--duration", "1", timeout=30)
    assert result.returncode == 2
    assert "TC100" in result.stderr and "cannot receive" in result.stderr


def test_an_input_file_that_is_not_utf8_is_an_input_error(tmp_path: Path) -> None:
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe{}")
    with pytest.raises(Refused, match=r"binary.json: not UTF-8"):
        list(read_input(binary))
    result = cli("live-check", "--registry", str(REGISTRY), "--input", str(binary))
    assert result.returncode == 2, result.stderr
    assert "binary.json: not UTF-8" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON",
                                          " application/json ; charset=utf-8"])
def test_a_json_request_gets_a_json_answer_whatever_the_case_of_its_media_type(
        http_port: int, content_type: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    try:
        connection.request("POST", "/v1/traces", b'{"resourceSpans": []}',
                           {"Content-Type": content_type})
        answer = connection.getresponse()
        assert answer.status == 200
        assert answer.getheader("Content-Type") == "application/json" and answer.read() == b"{}"
    finally:
        connection.close()


@pytest.mark.parametrize("report_format", ["sarif", "github", "json"])
def test_a_failed_coverage_gate_is_explained_on_stderr_in_every_format(
        tmp_path: Path, report_format: str) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = cli("live-check", "--registry", str(REGISTRY), "--input", str(empty),
                 "--min-coverage", "50", "--format", report_format)
    assert result.returncode == 1
    assert "failed: coverage 0.0% is under the minimum 50%" in result.stderr
    assert "failed:" not in result.stdout or report_format == "json"


def test_many_senders_connecting_at_once_are_all_served(http_port: int) -> None:
    # a Collector's parallel senders or a fleet of exporters: none may be reset at connect
    errors: list[str] = []

    def send() -> None:
        for _ in range(25):
            connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
            try:
                connection.request("POST", "/v1/traces", b'{"resourceSpans": []}',
                                   {"Content-Type": "application/json", "Connection": "close"})
                connection.getresponse().read()
            except OSError as error:
                errors.append(repr(error))
            finally:
                connection.close()

    senders = [threading.Thread(target=send) for _ in range(48)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert errors == []


def test_host_port_brackets_ipv6() -> None:
    assert host_port("127.0.0.1", 4318) == "127.0.0.1:4318"
    assert host_port("::1", 4318) == host_port("[::1]", 4318) == "[::1]:4318"
    assert host_port("localhost", 4317) == "localhost:4317"


@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_the_receivers_listen_on_an_ipv6_host(host: str) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this system")
    judge = Judge(load_registry(REGISTRY).snapshot)
    http_receiver = HttpReceiver(judge, host, 0, lambda: None)
    grpc_receiver = GrpcReceiver(judge, host, 0)
    http_receiver.start()
    grpc_receiver.start()
    try:
        connection = http.client.HTTPConnection("::1", http_receiver.port, timeout=10)
        connection.request("GET", "/health")
        assert connection.getresponse().status == 200
        connection.close()
        with socket.create_connection(("::1", grpc_receiver.port), timeout=10):
            pass
    finally:
        http_receiver.stop()
        grpc_receiver.stop()


def test_an_input_file_nested_too_deeply_is_an_input_error(tmp_path: Path) -> None:
    depth = 5_000
    value = ('{"kvlistValue": {"values": [{"key": "k", "value": ' * depth
             + '{"stringValue": "x"}' + "}]}}" * depth)
    deep = tmp_path / "deep.json"
    deep.write_text('{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "s", "attributes": '
                    f'[{{"key": "a", "value": {value}}}]}}]}}]}}]}}\n')
    with pytest.raises(Refused, match=r"deep.json:1: not JSON"):
        list(read_input(deep))
    result = cli("live-check", "--registry", str(REGISTRY), "--input", str(deep))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("report_format", ["text", "github"])
def test_names_from_the_sender_cannot_forge_report_lines(
        tmp_path: Path, report_format: str) -> None:
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name",
                                     "value": {"stringValue": "svc\n::error::forged"}}]},
        "scopeSpans": [{"spans": [{"name": "s", "attributes": [
            {"key": "bad\r\n::warning::key\x1b[2J", "value": {"stringValue": "v"}}]}]}]}]}))
    result = cli("live-check", "--registry", str(REGISTRY), "--input", str(hostile),
                 "--format", report_format)
    assert result.returncode == 1
    for line in result.stdout.splitlines():
        assert not line.startswith("::") or line.startswith(("::error file=", "::warning file="))
        assert "forged" not in line or "svc\\n::error::forged" in line or "%" in line
    assert "\x1b" not in result.stdout + result.stderr
    if report_format == "text":
        assert "svc\\n::error::forged: error TC802" in result.stdout
        assert "bad\\r\\n::warning::key\\x1b[2J" in result.stdout


def test_an_http_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("live-check", "--registry", str(REGISTRY), "--otlp-http", str(port),
                     "--duration", "1", timeout=30)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port} for OTLP/HTTP" in result.stderr


@pytest.mark.parametrize("path", ["/v1/traces", "/v1/metrics", "/v1/logs", "/stop"])
def test_get_on_a_post_endpoint_is_405_naming_post(http_port: int, path: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        answer.read()
        assert (answer.status, answer.getheader("Allow")) == (405, "POST")
    finally:
        connection.close()


@pytest.mark.parametrize(("path", "document", "status", "hint"), [
    ("/v1/traces", {"resourceMetrics": [{"scopeMetrics": []}]}, 400, "/v1/metrics"),
    ("/v1/logs", {"resource_spans": []}, 400, "/v1/traces"),
    ("/v1/metrics", {"resourceLogs": [], "other": 1}, 400, "/v1/logs"),
    ("/v1/traces", {}, 200, None),
    ("/v1/traces", {"resourceSpans": []}, 200, None),
])
def test_a_json_request_of_another_signal_is_refused_naming_its_endpoint(
        http_port: int, path: str, document: dict[str, object], status: int,
        hint: str | None) -> None:
    # parsing ignores unknown fields, so metrics posted to /v1/traces would pass as empty
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    try:
        connection.request("POST", path, json.dumps(document).encode(),
                           {"Content-Type": "application/json"})
        answer = connection.getresponse()
        body = answer.read().decode()
        assert answer.status == status
        if hint is not None:
            refusal = json.loads(body)
            assert refusal["code"] == 3  # INVALID_ARGUMENT, in OTLP's JSON-encoded Status
            assert f"post it to {hint}" in refusal["message"]
    finally:
        connection.close()


@pytest.mark.parametrize(("headers", "body", "status", "reason"), [
    ({"Content-Type": "application/x-protobuf"}, b"\x0a\xff\xff", 400,
     "not an OTLP protobuf traces request"),
    ({"Content-Type": "application/x-protobuf", "Content-Encoding": "br"}, b"", 415,
     "unsupported Content-Encoding `br`"),
    ({}, b"\x0a\xff\xff", 400, "not an OTLP protobuf traces request"),
])
def test_a_refused_protobuf_request_gets_a_protobuf_status(
        http_port: int, headers: dict[str, str], body: bytes, status: int, reason: str) -> None:
    """OTLP/HTTP: a 4xx or 5xx answer's body is a ``google.rpc.Status`` in the request's
    encoding, which exporters and Collectors decode to log why."""
    from google.rpc.status_pb2 import Status  # googleapis-common-protos, as exporters have it

    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    try:
        connection.request("POST", "/v1/traces", body, headers)
        answer = connection.getresponse()
        refusal = Status.FromString(answer.read())
        assert answer.status == status
        assert answer.getheader("Content-Type") == "application/x-protobuf"
        assert refusal.code == 3 and refusal.message.startswith(reason)
    finally:
        connection.close()


def test_stopping_waits_for_a_request_in_flight_and_turns_new_ones_away() -> None:
    """A request answered 200 is in the verdict: stop waits for one whose body is still
    arriving; a request that comes on a kept-alive connection once stopping has begun gets
    503, not an answer that the verdict would not reflect."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

    body = ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[
        ScopeSpans(spans=[Span(name="checkout")])])]).SerializeToString()
    head = (b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    judge = Judge(load_registry(REGISTRY).snapshot)
    receiver = HttpReceiver(judge, "127.0.0.1", 0, lambda: None)
    receiver.start()
    stopper = threading.Thread(target=receiver.stop)
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as slow, \
            socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as kept:
        kept.sendall(head + body)
        assert _status(kept) == b"HTTP/1.1 200 OK"
        deadline = time.monotonic() + 10
        # the first request leaves the count just after its answer: wait for that, so that
        # the request counted next is the slow one
        while receiver.in_flight.count > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        slow.sendall(head + body[:3])
        while receiver.in_flight.count < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        stopper.start()
        while not receiver.in_flight.stopping and time.monotonic() < deadline:
            time.sleep(0.01)
        kept.sendall(head + body)
        assert _status(kept) == b"HTTP/1.1 503 Service Unavailable"
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as new:
            new.sendall(head + body)
            assert _status(new) == b"HTTP/1.1 503 Service Unavailable"
        assert stopper.is_alive()  # waiting for the slow request
        slow.sendall(body[3:])
        assert _status(slow) == b"HTTP/1.1 200 OK"
        stopper.join(10)
        assert not stopper.is_alive()
    assert judge.items["span"] == 2
