"""A tiny registry on loopback (``http.server`` in a thread): serves a snapshot with an ETag
and records usage reports, for the guard's source and reporter tests."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RegistryServer:
    """``GET /v1/snapshot`` (304 on a matching ``If-None-Match``), ``POST /v1/usage``."""

    def __init__(self, snapshot: bytes, etag: str = '"v1"') -> None:
        self.snapshot = snapshot
        self.etag = etag
        self.status: int | None = None
        """When set, every request is answered with this status and no body."""
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.usage: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _record(self) -> None:
                server.requests.append((self.command, self.path, dict(self.headers)))

            def do_GET(self) -> None:
                self._record()
                if server.status is not None:
                    self.send_response(server.status)
                    self.end_headers()
                    return
                if self.path != "/v1/snapshot":
                    self.send_response(404)
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == server.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("ETag", server.etag)
                self.send_header("Content-Length", str(len(server.snapshot)))
                self.end_headers()
                self.wfile.write(server.snapshot)

            def do_POST(self) -> None:
                self._record()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if server.status is not None:
                    self.send_response(server.status)
                    self.end_headers()
                    return
                server.usage.append(json.loads(body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
