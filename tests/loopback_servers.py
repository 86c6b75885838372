"""Real HTTP servers on loopback for the network tests: one that records what it is sent and
answers from a table, and one that drips its answer a byte at a time."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    """One request a server received."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Recording:
    url: str
    seen: list[Seen] = field(default_factory=list)

    def authorizations(self) -> list[str | None]:
        return [request.headers.get("authorization") for request in self.seen]


Answer = tuple[int, dict[str, str], bytes]


@contextmanager
def recording_server(answer: Callable[[Seen], Answer]) -> Iterator[Recording]:
    """A threaded server; ``answer`` gives (status, headers, body) for each request it sees."""
    recording = Recording("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
            recording.seen.append(seen)
            status, headers, body = answer(seen)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _handle

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recording.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield recording
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def dripping_server(
    interval: float = 1.0, drips: int | None = None, then: bytes = b""
) -> Iterator[tuple[str, list[float]]]:
    """A server that answers connections with an endless HTTP response, one byte per
    ``interval`` seconds; after ``drips`` such connections (when given) it answers 200 with
    ``then`` at once. Yields its URL and the times at which connections were accepted."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    accepted: list[float] = []
    stop = threading.Event()

    def drip(connection: socket.socket, slow: bool) -> None:
        payload = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1_000_000
        with connection:
            connection.settimeout(1.0)
            try:
                connection.recv(65536)
                if not slow:
                    connection.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                        % len(then) + then
                    )
                    return
                for index in range(len(payload)):
                    if stop.is_set():
                        return
                    connection.sendall(payload[index : index + 1])
                    stop.wait(interval)
            except OSError:
                return

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except socket.timeout:  # TimeoutError from Python 3.10 on
                continue
            except OSError:
                return
            accepted.append(time.monotonic())
            slow = drips is None or len(accepted) <= drips
            threading.Thread(target=drip, args=(connection, slow), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join()
        listener.close()
