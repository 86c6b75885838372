"""HTTP requests with a total deadline, a size bound and a token that never leaves its origin;
downloads kept on disk and revalidated, so that an unchanged one is not fetched again.

Standard library only, so the CLI and the runtime guard share it without pulling anything in.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import http.client

MAX_REDIRECTS = 5
CACHE_DIR_VARIABLE = "TELEMETRY_CONTRACTS_CACHE_DIR"
OFFLINE_VARIABLE = "TELEMETRY_CONTRACTS_OFFLINE"
"""Set (``1``, ``true``, ``yes``), kept downloads are read as they are and nothing is fetched."""
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024


class RequestFailed(OSError):
    """The request did not produce an answer: connection refused, deadline passed, too big..."""


class HttpStatusError(RequestFailed):
    """The server answered with a status the caller did not accept (4xx, 5xx, 304)."""

    def __init__(self, url: str, status: int, reason: str, headers: Mapping[str, str]) -> None:
        super().__init__(f"HTTP {status} {reason}".rstrip())
        self.url = url
        self.status = status
        self.headers = dict(headers)


@dataclass
class Response:
    """A complete answer: status 2xx, headers (lower-case names) and the whole body."""

    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def origin(url: str) -> str:
    """``scheme://host:port`` of an http(s) URL, with the default port made explicit."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise RequestFailed(f"not an http(s) URL: {url!r}")
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{parts.hostname.lower()}:{port}"


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def request(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    token: str | None = None,
    deadline: float = 10.0,
    max_bytes: int = 64 * 1024 * 1024,
) -> Response:
    """One HTTP exchange that ends within ``deadline`` seconds whatever the server does.

    ``token`` goes as ``Authorization: Bearer`` to ``url``'s origin only: once a redirect leads
    to any other origin, the rest of the exchange goes without it (even back to the first).
    Bodies over ``max_bytes`` are refused. Raises :class:`HttpStatusError` for non-2xx answers
    and :class:`RequestFailed` for the rest.
    """
    ends = time.monotonic() + deadline
    token_origin = origin(url)
    current, verb, payload = url, method, body
    for _ in range(MAX_REDIRECTS + 1):
        sent = dict(headers or {})
        if origin(current) != token_origin:
            token = None
        if token:
            sent["Authorization"] = f"Bearer {token}"
        status, reason, answer, data = _exchange(current, verb, payload, sent, ends, max_bytes)
        location = answer.get("location")
        if status in _REDIRECTS and location:
            current = urllib.parse.urljoin(current, location)
            origin(current)  # refuses non-http(s) targets
            if status == 303 or (status in (301, 302) and verb == "POST"):
                verb, payload = "GET", None
            continue
        if not 200 <= status < 300:
            raise HttpStatusError(current, status, reason, answer)
        return Response(current, status, answer, data)
    raise RequestFailed(f"more than {MAX_REDIRECTS} redirects from {url}")


def default_cache_dir() -> Path:
    """``$TELEMETRY_CONTRACTS_CACHE_DIR``, else ``$XDG_CACHE_HOME/telemetry-contracts``."""
    explicit = os.environ.get(CACHE_DIR_VARIABLE)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "telemetry-contracts"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (readable by its owner alone) so that readers see either the
    old or the new file, never half."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def offline() -> bool:
    """Whether :data:`OFFLINE_VARIABLE` asks for kept downloads alone."""
    return os.environ.get(OFFLINE_VARIABLE, "").strip().lower() in ("1", "true", "yes")


def cached_get(url: str, *, token: str | None = None, deadline: float = 10.0,
               max_bytes: int = 64 * 1024 * 1024, cache_dir: Path | None = None) -> bytes:
    """The body of ``GET url`` (as :func:`request` gets it), kept under ``cache_dir`` (default
    :func:`default_cache_dir`) when the answer has an ``ETag`` or ``Last-Modified`` and allows
    storing; the next call sends them back, and a ``304 Not Modified`` reads the kept copy
    instead of downloading it again. A copy that does not match its recorded digest is
    ignored, and a cache that cannot be written costs only the saving. When :func:`offline`,
    the kept copy is read without asking the server, and having none is an error; online, a
    failure that leaves a kept copy unread says how to read it."""
    folder = (cache_dir or default_cache_dir()) / "downloads"
    stem = hashlib.sha256(url.encode()).hexdigest()[:32]
    body_file, about_file = folder / f"{stem}.body", folder / f"{stem}.json"
    copy, about = _kept_copy(body_file, about_file, url)
    if offline():
        if copy is None:
            raise RequestFailed(f"{OFFLINE_VARIABLE} is set and no copy is kept: run once with "
                                "the network to keep one")
        return copy
    conditions = {}
    if copy is not None:
        if about.get("etag"):
            conditions["If-None-Match"] = about["etag"]
        if about.get("last_modified"):
            conditions["If-Modified-Since"] = about["last_modified"]
    try:
        response = request(url, headers=conditions, token=token, deadline=deadline,
                           max_bytes=max_bytes)
    except RequestFailed as error:
        if isinstance(error, HttpStatusError) and error.status == 304 and copy is not None:
            return copy
        if copy is not None:
            kept = f" on {about['kept']}" if isinstance(about.get("kept"), str) else ""
            raise RequestFailed(
                f"{error}; a copy kept{kept} is read with {OFFLINE_VARIABLE}=1") from error
        raise
    validators = {"etag": response.headers.get("etag"),
                  "last_modified": response.headers.get("last-modified")}
    if any(validators.values()) and "no-store" not in response.headers.get(
            "cache-control", "").lower():
        about = {"url": url, **validators, "sha256": hashlib.sha256(response.body).hexdigest(),
                 "kept": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        with contextlib.suppress(OSError):
            atomic_write(body_file, response.body)
            atomic_write(about_file, json.dumps(about).encode())
    return response.body


def _kept_copy(body_file: Path, about_file: Path, url: str) -> tuple[bytes | None, dict[str, Any]]:
    """The kept body of ``url`` and what was recorded of it; (None, {}) when there is none or
    it does not match its record."""
    try:
        about = json.loads(about_file.read_bytes())
        body = body_file.read_bytes()
    except (OSError, ValueError):
        return None, {}
    if not isinstance(about, dict) or about.get("url") != url or \
            about.get("sha256") != hashlib.sha256(body).hexdigest():
        return None, {}
    return body, about


def _exchange(
    url: str,
    method: str,
    body: bytes | None,
    headers: dict[str, str],
    ends: float,
    max_bytes: int,
) -> tuple[int, str, dict[str, str], bytes]:
    import http.client  # here, not at the top: most runs of the CLI never fetch anything
    import ssl

    parts = urllib.parse.urlsplit(url)
    remaining = _remaining(ends, url)
    host, port = parts.hostname or "", parts.port
    proxy = _proxy(parts.scheme.lower(), host)
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    connection: http.client.HTTPConnection
    if parts.scheme.lower() == "https":
        connection = http.client.HTTPSConnection(
            *(proxy or (host, port)), timeout=remaining, context=ssl.create_default_context()
        )
        if proxy:
            connection.set_tunnel(host, port)
    else:
        connection = http.client.HTTPConnection(*(proxy or (host, port)), timeout=remaining)
        if proxy:
            target = urllib.parse.urlunsplit(("http", parts.netloc, target, "", ""))
    watchdog = _Watchdog(connection)
    try:
        addresses = _addresses(connection.host, connection.port, ends, url)
        connection._create_connection = (  # type: ignore[attr-defined]
            lambda _address, timeout, source: _connect(addresses, timeout, source)
        )
        watchdog.arm(_remaining(ends, url))
        connection.connect()
        connection.request(method, target, body=body, headers={"Connection": "close", **headers})
        response = connection.getresponse()
        answer = {name.lower(): value for name, value in response.getheaders()}
        if response.status in _REDIRECTS or not 200 <= response.status < 300:
            return response.status, response.reason, answer, b""
        declared = answer.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise RequestFailed(f"answer of {int(declared):,} bytes is over {max_bytes:,}")
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read1(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise RequestFailed(f"answer is over {max_bytes:,} bytes")
            chunks.append(chunk)
            _remaining(ends, url)
        return response.status, response.reason, answer, b"".join(chunks)
    except RequestFailed:
        raise
    except (OSError, http.client.HTTPException, ValueError) as error:
        if watchdog.fired or time.monotonic() >= ends:
            raise RequestFailed(f"no complete answer from {url} within the deadline") from None
        raise RequestFailed(f"{url}: {error or type(error).__name__}") from None
    finally:
        watchdog.disarm()
        connection.close()


def _proxy(scheme: str, host: str) -> tuple[str, int | None] | None:
    """The proxy that ``$http_proxy``/``$https_proxy`` name for ``host`` (``$no_proxy`` kept)."""
    import urllib.request

    configured = urllib.request.getproxies_environment().get(scheme)
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if not configured or bypass(host):
        return None
    parts = urllib.parse.urlsplit(configured if "://" in configured else f"http://{configured}")
    return parts.hostname or "", parts.port


def _addresses(host: str, port: int, ends: float, url: str) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` within the deadline: a resolver that hangs would otherwise outlast it
    (no socket timeout applies to it), so it runs in a thread that is abandoned if late."""
    answer: list[list[tuple[Any, ...]] | BaseException] = []
    done = threading.Event()

    def resolve() -> None:
        try:
            answer.append([info[4] for info in socket.getaddrinfo(host, port, 0,
                                                                  socket.SOCK_STREAM)])
        except OSError as error:
            answer.append(error)
        done.set()

    threading.Thread(target=resolve, name="telemetry-contracts-resolve", daemon=True).start()
    if not done.wait(_remaining(ends, url)):
        raise RequestFailed(f"no complete answer from {url} within the deadline")
    result = answer[0]
    if isinstance(result, BaseException):
        raise RequestFailed(f"{url}: cannot resolve {host}: {result}")
    return result


def _connect(
    addresses: list[tuple[Any, ...]], timeout: float | None, source: tuple[str, int] | None
) -> socket.socket:
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection(address[:2], timeout, source)
        except OSError as failure:
            error = failure
    raise error or OSError("no address")


def _remaining(ends: float, url: str) -> float:
    left = ends - time.monotonic()
    if left <= 0:
        raise RequestFailed(f"no complete answer from {url} within the deadline")
    return left


class _Watchdog:
    """Shuts the connection's socket when the deadline passes, so a read blocked on a server
    that sends one byte at a time returns at once (per-read timeouts alone never fire)."""

    def __init__(self, connection: http.client.HTTPConnection) -> None:
        self.connection = connection
        self.fired = False
        self._timer: threading.Timer | None = None

    def arm(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self.connection.sock
        if sock is not None:
            # The plain socket's shutdown: an SSL socket's would race the reading thread.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
