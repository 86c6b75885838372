"""Registry snapshots fetched over HTTP, and which URLs the command line may fetch at all.

``TELEMETRY_CONTRACTS_TOKEN`` goes only to origins the user named: a URL given on the command
line, ``--allow-url``, or ``TELEMETRY_CONTRACTS_ALLOW_URLS``. A URL that a checked file names (a
manifest dependency, ``registry`` or ``baseline`` in ``pyproject.toml``) is fetched only when its
origin is allowed that way; otherwise it is refused with TC110.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass

from pydantic import ValidationError

from telemetry_contracts import net
from telemetry_contracts.schemas.findings import ContractError
from telemetry_contracts.schemas.snapshot import Snapshot

ENV_TOKEN = "TELEMETRY_CONTRACTS_TOKEN"
ENV_ALLOW_URLS = "TELEMETRY_CONTRACTS_ALLOW_URLS"
DEADLINE_SECONDS = 10.0
"""The whole of one fetch, connection to last byte, whatever the server does."""
MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024
URL_REFUSED = "TC110"


@dataclass(frozen=True)
class UrlTrust:
    """The origins the user named, and the token that may go to them."""

    origins: frozenset[str] = frozenset()
    token: str | None = None

    @classmethod
    def from_env(
        cls, allow: Iterable[str] = (), environ: Mapping[str, str] | None = None
    ) -> UrlTrust:
        env = os.environ if environ is None else environ
        listed = re.split(r"[\s,]+", env.get(ENV_ALLOW_URLS, "").strip())
        return cls(frozenset(), env.get(ENV_TOKEN) or None).allowing(*listed, *allow)

    def allowing(self, *urls: str) -> UrlTrust:
        """This trust with the origins of ``urls`` added (anything not http(s) is skipped)."""
        added = {net.origin(url) for url in urls if net.is_url(url)}
        return UrlTrust(self.origins | added, self.token)

    def allows(self, url: str) -> bool:
        try:
            return net.origin(url) in self.origins
        except net.RequestFailed:
            return False


_TRUST: ContextVar[UrlTrust | None] = ContextVar("telemetry_contracts_url_trust", default=None)


@contextlib.contextmanager
def trusting(trust: UrlTrust) -> Iterator[UrlTrust]:
    """Make ``trust`` the one :func:`current_trust` answers within the block."""
    reset = _TRUST.set(trust)
    try:
        yield trust
    finally:
        _TRUST.reset(reset)


def current_trust() -> UrlTrust:
    """The trust set by :func:`trusting`, else the environment's."""
    return _TRUST.get() or UrlTrust.from_env()


def require_allowed(url: str, named_in: str, line: int = 0) -> None:
    """Refuse (TC110) a URL that a checked file names unless the user allowed its origin."""
    if not current_trust().allows(url):
        origin = net.origin(url) if net.is_url(url) else url
        raise ContractError(
            URL_REFUSED,
            f"will not fetch `{url}`: a checked file names it and its origin is not allowed",
            named_in, line,
            hint=f"if you trust it, pass --allow-url {origin} or set {ENV_ALLOW_URLS}",
        )


_SNAPSHOT_PATH = re.compile(r"/v1/(?:versions/[^/?#]+/)?snapshot$")


def snapshot_endpoint(url: str) -> str:
    """The snapshot URL of a registry server's base URL; a URL of the latest snapshot
    (``/v1/snapshot``) or of one version's (``/v1/versions/N/snapshot``) is taken as it is."""
    target = url.rstrip("/")
    return target if _SNAPSHOT_PATH.search(target) else target + "/v1/snapshot"


def fetch_snapshot(url: str, trust: UrlTrust | None = None) -> Snapshot:
    """GET ``/v1/snapshot`` from a registry server within :data:`DEADLINE_SECONDS`; the token
    goes along only when ``trust`` (default: the current one) allows the URL's origin."""
    trust = trust or current_trust()
    target = snapshot_endpoint(url)
    try:
        response = net.request(
            target, headers={"Accept": "application/json"},
            token=trust.token if trust.allows(target) else None,
            deadline=DEADLINE_SECONDS, max_bytes=MAX_SNAPSHOT_BYTES,
        )
    except net.RequestFailed as error:
        raise ContractError("TC100", f"cannot fetch snapshot: {error}", target) from None
    return parse_snapshot(response.body, target)


def parse_snapshot(data: bytes, display: str) -> Snapshot:
    """Snapshot JSON bytes as a model; TC102 naming ``display`` when they are not one."""
    try:
        return Snapshot.from_json_bytes(data)
    except ValidationError as error:
        details = error.errors()[0]
        where = ".".join(str(part) for part in details["loc"])
        raise ContractError(
            "TC102", f"not a snapshot: `{where}`: {details['msg']}", display
        ) from None
    except json.JSONDecodeError as error:
        raise ContractError("TC102", f"not JSON: {error.msg}", display, error.lineno) from None
