"""Hostile input to the receivers: refused or capped with bounded memory, and the receiver keeps
serving the requests that follow."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from telemetry_contracts.live.judge import MAX_FINDINGS
from telemetry_contracts.live.receiver import MAX_BODY, MAX_DECODED
from tests.live.compressors import COMPRESSORS, encoding_of

pytestmark = pytest.mark.slow
PROTOBUF = {"Content-Type": "application/x-protobuf"}
HIGH_WATER_LIMIT_KB = 256 * 1024
"""The receiver's peak resident memory after all of it: far under the 50 MB body, the 200 MB
bomb and the findings of every key held at once."""


def _request(spans: list[dict[str, str]], service: str = "hostile") -> bytes:
    resource = ResourceSpans()
    resource.resource.attributes.append(
        KeyValue(key="service.name", value=AnyValue(string_value=service)))
    scope = ScopeSpans()
    for attributes in spans:
        span = Span(name="s", trace_id=b"\x01" * 16, span_id=b"\x02" * 8)
        for key, value in attributes.items():
            span.attributes.append(KeyValue(key=key, value=AnyValue(string_value=value)))
        scope.spans.append(span)
    resource.scope_spans.append(scope)
    return ExportTraceServiceRequest(resource_spans=[resource]).SerializeToString()


def _raw_post(port: int, path: str, headers: dict[str, str]) -> bytes:
    """Send only a request head (no body) and read the answer's status line."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode())
        return sock.recv(4096).split(b"\r\n", 1)[0]


def _chunked_post(port: int, path: str, size: int) -> tuple[int, bytes]:
    """Stream ``size`` bytes as 1 MiB chunks until the server stops reading; the bytes it took
    and the answer's status line (empty when the connection was reset before it was read)."""
    chunk = b"\0" * (1024 * 1024)
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     "application/x-protobuf\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        try:
            while sent < size:
                sock.sendall(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        try:
            return sent, sock.recv(4096).split(b"\r\n", 1)[0]
        except OSError:
            return sent, b""


def _peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    pytest.skip("no /proc/PID/status VmHWM on this system")


def test_hostile_bodies_are_refused_and_the_receiver_keeps_serving(live_check: Any) -> None:
    check = live_check()
    port = check.http_port

    # 50 MB announced: refused from the head, the body is never read
    assert b" 413 " in _raw_post(port, "/v1/traces", {
        **PROTOBUF, "Content-Length": str(50 * 1024 * 1024)})
    # 50 MB sent chunked: reading stops past MAX_BODY and the connection is closed
    sent, answer = _chunked_post(port, "/v1/traces", 50 * 1024 * 1024)
    assert sent < 50 * 1024 * 1024
    assert answer == b"" or answer.startswith(b"HTTP/1.1 413 ")  # its phrase varies by Python
    # a malformed protobuf
    status, body = check.post("/v1/traces", b"\x0a\xff\xff\xff\xff\x0f", PROTOBUF)
    assert status == 400 and b"not an OTLP protobuf traces request" in body
    # a bomb in every encoding: 200 MB of zeros in a few hundred KB (snappy: a few MB)
    zeros = b"\0" * (200 * 1024 * 1024)
    for sender, compress in COMPRESSORS.items():
        bomb = compress(zeros)
        assert len(bomb) < MAX_BODY < len(zeros)
        status, body = check.post("/v1/traces", bomb, {
            **PROTOBUF, "Content-Encoding": encoding_of(sender)})
        assert status == 413 and f"more than {MAX_DECODED}".encode() in body, sender
    del zeros
    # malformed JSON, an unknown encoding
    status, _ = check.post("/v1/logs", b"{not json", {"Content-Type": "application/json"})
    assert status == 400
    status, _ = check.post("/v1/logs", b"", {**PROTOBUF, "Content-Encoding": "br"})
    assert status == 415
    # a malformed protobuf over gRPC
    with grpc.insecure_channel(f"127.0.0.1:{check.grpc_port}") as channel:
        export = channel.unary_unary(
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError):
            export(b"\x0a\xff\xff\xff\xff\x0f", timeout=10)

    # 12,000 distinct attribute keys: judged, findings capped at MAX_FINDINGS, the rest counted
    keys = 12_000
    for first in range(0, keys, 1_000):
        spans = [{f"x.key{n}": "v"} for n in range(first, first + 1_000)]
        status, _ = check.post("/v1/traces", _request(spans), PROTOBUF)
        assert status == 200
    # and a well-formed request after all that is judged
    status, _ = check.post("/v1/traces", _request([{"http.request.method": "GET"}], "ok"),
                           PROTOBUF)
    assert status == 200
    assert check.get("/health")[1]["judged"]["span"] == keys + 1
    peak = _peak_kb(check.process.pid)

    code, verdict = check.stop()
    assert code == 1
    assert len(verdict["findings"]) == MAX_FINDINGS
    assert verdict["findings_over_limit"] == {"TC802": keys - MAX_FINDINGS}
    assert verdict["refused_requests"] >= 5 + len(COMPRESSORS)
    assert peak < HIGH_WATER_LIMIT_KB, f"peak resident memory {peak} KiB"
