"""OTLP receivers: HTTP (``/v1/traces|metrics|logs``, protobuf or JSON, in every compression
exporters send: :mod:`~telemetry_contracts.live.encodings`) on the standard library's threaded
server, gRPC on ``grpcio``, and OTLP JSON files; all feed one :class:`Judge`.

Bodies are bounded before they are read and after they are inflated; a refused request never
stops the receiver. ``GET /health`` and ``POST /stop`` share the HTTP port.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from telemetry_contracts.live.encodings import Oversized, Undecodable, Unsupported, inflate
from telemetry_contracts.live.judge import Judge
from telemetry_contracts.live.wire import keep_event_names, lean, reader, status_message

MAX_BODY = 16 * 1024 * 1024
"""The largest request body read (compressed, as sent)."""
MAX_DECODED = 32 * 1024 * 1024
"""The largest request after its Content-Encoding is undone: a decompression bomb stops here."""
MAX_INPUT = 1024 * 1024 * 1024
"""The largest ``--input`` file."""
READ_TIMEOUT = 60.0
"""Seconds a connection may stay silent (mid-request or idle between requests) before it is
closed, so that stalled senders do not hold the receiver's threads and sockets for ever."""
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
SIGNAL_PATHS = {"/v1/traces": "traces", "/v1/metrics": "metrics", "/v1/logs": "logs"}
GRPC_CODES = {400: 3, 404: 5, 413: 8, 415: 3, 500: 13, 503: 14}
"""The gRPC status code a refused OTLP/HTTP request's ``Status`` carries, by HTTP status
(OTLP clients decide on the HTTP status; the code is for their logs)."""
_JSON_KEYS = {"resourceSpans": "traces", "resource_spans": "traces",
              "resourceMetrics": "metrics", "resource_metrics": "metrics",
              "resourceLogs": "logs", "resource_logs": "logs"}


class Refused(Exception):
    """A request that is not judged: its HTTP status and a one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def request_class(signal: str) -> type[Any]:
    """The OTLP export request message of ``signal`` (traces, metrics, logs)."""
    if signal == "traces":
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

        return trace_service_pb2.ExportTraceServiceRequest
    if signal == "metrics":
        from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2

        return metrics_service_pb2.ExportMetricsServiceRequest
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2

    return logs_service_pb2.ExportLogsServiceRequest


def decode(signal: str, body: bytes, content_type: str = "", encoding: str = "") -> Any:
    """The export request in ``body``; raises :class:`Refused` for what cannot be one."""
    try:
        body = inflate(body, encoding, MAX_DECODED)
    except Unsupported as error:
        raise Refused(415, str(error)) from None
    except Oversized as error:
        raise Refused(413, str(error)) from None
    except Undecodable as error:
        raise Refused(400, str(error)) from None
    media = _media(content_type)
    if media == "application/json":
        from google.protobuf import json_format

        message = request_class(signal)()
        try:
            json_format.Parse(body.decode("utf-8"), message, ignore_unknown_fields=True)
        except (ValueError, json_format.ParseError) as error:
            raise Refused(400, f"not an OTLP JSON {signal} request: {str(error)[:200]}") from None
        if not message.ListFields():
            _refuse_other_signal(signal, body)
        if signal == "logs":
            keep_event_names(message, body)
        return lean(signal, message)
    if media in ("application/x-protobuf", "application/protobuf", ""):
        from google.protobuf.message import DecodeError

        try:
            return judged_reader(signal)(body)
        except (DecodeError, ValueError, RuntimeError) as error:
            raise Refused(400, f"not an OTLP protobuf {signal} request: {error}") from None
    raise Refused(415, f"unsupported Content-Type `{media[:60]}`")


def _media(content_type: str) -> str:
    """The media type of a ``Content-Type`` header, without parameters, in lower case."""
    return content_type.split(";", 1)[0].strip().lower()


def _refuse_other_signal(signal: str, body: bytes) -> None:
    """Refuse an empty-looking JSON request that is another signal's (metrics posted to
    ``/v1/traces``): parsing ignores unknown fields, so it would pass as an empty request."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return
    if not isinstance(document, dict):
        return
    others = sorted({_JSON_KEYS[key] for key in document if _JSON_KEYS.get(key, signal) != signal})
    if others:
        raise Refused(400, f"a {others[0]} request, not a {signal} one: post it to "
                      f"/v1/{others[0]}")


def judged_reader(signal: str) -> Callable[[bytes], Any]:
    """What the judge reads a protobuf body of ``signal`` with: the views of
    :class:`~telemetry_contracts.live.wire.Request` for traces and logs, the full metrics
    request."""
    return reader(signal) if signal in ("traces", "logs") else request_class(signal).FromString


def judge_request(judge: Judge, signal: str, message: Any) -> None:
    getattr(judge, signal)(message)


class _Server(ThreadingHTTPServer):
    request_queue_size = 128
    """The listen backlog: the standard library's 5 resets connections when a few dozen
    exporters or a Collector's parallel senders connect at once."""


class _Server6(_Server):
    address_family = socket.AF_INET6


def host_port(host: str, port: int) -> str:
    """``host:port``, an IPv6 address in brackets (``[::1]:4318``)."""
    host = host.strip("[]")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


STOP_GRACE = 10.0
"""Seconds a stopping receiver waits for the requests it is still reading or judging."""


class InFlight:
    """The requests being served, so that stopping waits for them: a request answered before
    the verdict is read is in it, one that arrives while stopping is turned away."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._count = 0
        self._stopping = False

    def enter(self) -> bool:
        """Count a request in; False once stopping (then it must not be served)."""
        with self._changed:
            if self._stopping:
                return False
            self._count += 1
            return True

    @property
    def count(self) -> int:
        return self._count

    @property
    def stopping(self) -> bool:
        return self._stopping

    def leave(self) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    def drain(self, timeout: float) -> bool:
        """Turn new requests away and wait up to ``timeout`` seconds for those in flight;
        whether they all finished."""
        with self._changed:
            self._stopping = True
            return self._changed.wait_for(lambda: self._count == 0, timeout)


class HttpReceiver:
    """OTLP/HTTP plus ``GET /health`` and ``POST /stop`` on one port, served by threads."""

    def __init__(self, judge: Judge, host: str, port: int, on_stop: Callable[[], None]) -> None:
        self.judge = judge
        self.in_flight = InFlight()
        handler = _handler(judge, on_stop, self.in_flight)
        host = host.strip("[]")
        server = _Server6 if ":" in host else _Server
        try:
            self.server = server((host, port), handler)
        except OSError as error:
            raise OSError(f"cannot listen on {host_port(host, port)} for OTLP/HTTP: "
                          f"{error.strerror or error}") from None
        self.server.daemon_threads = True
        self.port: int = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name="live-check-http")

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Turn new requests away (503), wait for those in flight (not for idle keep-alive
        connections), stop accepting, close."""
        if not self.in_flight.drain(STOP_GRACE):
            print(f"live-check: requests still in flight after {STOP_GRACE:g} s are left out "
                  "of the verdict", file=sys.stderr, flush=True)
        if self.thread.is_alive():  # shutdown() waits for a serve_forever that never ran
            self.server.shutdown()
        self.server.server_close()


def _handler(judge: Judge, on_stop: Callable[[], None],
             in_flight: InFlight) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "telemetry-contracts-live-check"
        timeout = READ_TIMEOUT

        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: bytes, content_type: str,
                    headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, document: dict[str, Any],
                  headers: dict[str, str] | None = None) -> None:
            self._answer(status, json.dumps(document).encode(), "application/json", headers)

        def _refuse(self, status: int, reason: str) -> None:
            """Answer an OTLP request with ``status`` and, as OTLP/HTTP asks, a
            ``google.rpc.Status`` in the request's own encoding (JSON or protobuf)."""
            code = GRPC_CODES.get(status, GRPC_CODES[400])
            if _media(self.headers.get("Content-Type", "")) == "application/json":
                self._json(status, {"code": code, "message": reason})
            else:
                self._answer(status, status_message(code, reason), "application/x-protobuf")

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] == "/health":
                with judge.lock:
                    items = dict(judge.items)
                self._json(200, {"status": "ok", "judged": items})
                return
            if self.path.split("?", 1)[0] in (*SIGNAL_PATHS, "/stop"):
                self._json(405, {"error": "this endpoint takes POST"}, {"Allow": "POST"})
                return
            self._json(404, {"error": "not found"})

        def do_POST(self) -> None:
            if not in_flight.enter():
                self.close_connection = True
                self._refuse(503, "live-check is stopping")
                return
            try:
                self._post()
            finally:
                in_flight.leave()

        def _post(self) -> None:
            path = self.path.split("?", 1)[0]
            try:
                body = self._body()
            except Refused as refused:
                judge.refused += 1
                self.close_connection = True
                self._refuse(refused.status, refused.reason)
                return
            if path == "/stop":
                self._json(200, {"status": "stopping"})
                on_stop()
                return
            signal = SIGNAL_PATHS.get(path)
            if signal is None:
                self._json(404, {"error": f"no OTLP endpoint at {path[:100]}"})
                return
            content_type = self.headers.get("Content-Type", "")
            try:
                message = decode(signal, body, content_type,
                                 self.headers.get("Content-Encoding", ""))
            except Refused as refused:
                judge.refused += 1
                self._refuse(refused.status, refused.reason)
                return
            try:
                judge_request(judge, signal, message)
            except Exception as error:  # a bug must not stop the receiver: say so, go on
                judge.refused += 1
                self._refuse(500, f"could not judge the request: {error!r}"[:300])
                return
            if _media(content_type) == "application/json":
                self._answer(200, b"{}", "application/json")
            else:
                self._answer(200, b"", "application/x-protobuf")

        def _body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self._chunked()
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                raise Refused(400, "invalid Content-Length") from None
            if length > MAX_BODY:
                raise Refused(413, f"body of {length} bytes is over {MAX_BODY}")
            if length < 0:
                raise Refused(400, "invalid Content-Length")
            return self.rfile.read(length)

        def _chunked(self) -> bytes:
            parts: list[bytes] = []
            total = 0
            while True:
                line = self.rfile.readline(1024).split(b";", 1)[0].strip()
                if not _CHUNK_SIZE.fullmatch(line):  # no sign, no 0x, no _: a negative size
                    raise Refused(400, "invalid chunk size")  # would read to end of stream
                size = int(line, 16)
                if size == 0:
                    while self.rfile.readline(1024).strip():
                        pass
                    return b"".join(parts)
                total += size
                if total > MAX_BODY:
                    raise Refused(413, f"chunked body over {MAX_BODY} bytes")
                parts.append(self.rfile.read(size))
                self.rfile.readline(1024)

    return Handler


class GrpcReceiver:
    """OTLP/gRPC: the three collector services of ``opentelemetry-proto`` on ``grpcio``."""

    def __init__(self, judge: Judge, host: str, port: int) -> None:
        import grpc
        from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
        from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="live-check-grpc"),
            options=[("grpc.max_receive_message_length", MAX_DECODED)],
            maximum_concurrent_rpcs=64,
        )
        services = (
            ("trace.v1.TraceService", "traces", trace_service_pb2.ExportTraceServiceResponse),
            ("metrics.v1.MetricsService", "metrics",
             metrics_service_pb2.ExportMetricsServiceResponse),
            ("logs.v1.LogsService", "logs", logs_service_pb2.ExportLogsServiceResponse),
        )
        for service, signal, response in services:
            self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
                f"opentelemetry.proto.collector.{service}",
                {"Export": grpc.unary_unary_rpc_method_handler(
                    _export(judge, signal, response),
                    request_deserializer=judged_reader(signal),
                    response_serializer=response.SerializeToString)}),))
        try:  # older grpcio answers 0 for a port it cannot bind, newer raises RuntimeError
            self.port: int = self.server.add_insecure_port(host_port(host, port))
        except RuntimeError:
            self.port = 0
        if not self.port:
            raise OSError(f"cannot listen on {host_port(host, port)} for OTLP/gRPC")

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop(grace=2).wait(5)


def _export(judge: Judge, signal: str, response: type[Any]) -> Callable[[Any, Any], Any]:
    def export(request: Any, context: Any) -> Any:
        judge_request(judge, signal, request)
        return response()

    return export


def read_input(path: Path) -> Iterator[tuple[str, Any]]:
    """The export requests of an OTLP JSON file: one document (or a list of them), or one per
    line (JSON Lines, as the OpenTelemetry file exporters write); each holds spans, metrics or
    logs. Raises :class:`Refused` naming the file and line of what is not one."""
    if path.stat().st_size > MAX_INPUT:
        raise Refused(413, f"{path}: over {MAX_INPUT} bytes")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise Refused(400, f"{path}: not UTF-8 text: {error}") from None
    try:
        whole = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can read
        whole = None
    if whole is not None:
        yield from _documents(path, whole, 1)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except (ValueError, RecursionError) as error:
            raise Refused(400, f"{path}:{number}: not JSON: {error}") from None
        yield from _documents(path, document, number)


def _documents(path: Path, document: Any, line: int) -> Iterator[tuple[str, Any]]:
    for item in document if isinstance(document, list) else [document]:
        if not isinstance(item, dict):
            raise Refused(400, f"{path}:{line}: not an OTLP JSON object")
        signals = [signal for key, signal in _JSON_KEYS.items() if key in item]
        if not signals:
            raise Refused(400, f"{path}:{line}: no resourceSpans, resourceMetrics or "
                          "resourceLogs")
        for signal in dict.fromkeys(signals):
            keys = [k for k, s in _JSON_KEYS.items() if s == signal and k in item]
            yield signal, _from_dict(signal, {keys[0]: item[keys[0]]}, f"{path}:{line}")


def _from_dict(signal: str, document: dict[str, Any], where: str) -> Any:
    from google.protobuf import json_format

    message = request_class(signal)()
    try:
        json_format.ParseDict(document, message, ignore_unknown_fields=True)
    except (ValueError, json_format.ParseError) as error:
        raise Refused(400, f"{where}: not an OTLP JSON {signal} request: "
                      f"{str(error)[:200]}") from None
    if signal == "logs":
        keep_event_names(message, document)
    return lean(signal, message)
