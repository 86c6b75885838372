"""Bearer tokens, roles and namespace ownership."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from telemetry_contracts.registry.service.audit import record
from telemetry_contracts.registry.service.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthenticated,
)
from telemetry_contracts.registry.store.database import Database
from telemetry_contracts.registry.store.tables import Token

Role = Literal["viewer", "contributor", "reviewer", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "contributor", "reviewer", "admin")
RANK = {role: rank for rank, role in enumerate(ROLES)}
TOKEN_PREFIX = "tc_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's name, role and the namespaces it owns."""

    name: str
    role: Role
    namespaces: tuple[str, ...] = ()
    token_id: int | None = None
    services: tuple[str, ...] = ()
    """The services it may report usage for; empty: any."""

    def at_least(self, role: Role) -> bool:
        """True when this principal's role is ``role`` or above."""
        return RANK[self.role] >= RANK[role]

    def owns(self, subject: str) -> bool:
        """True for admins and for owners of a namespace that contains ``subject``."""
        if self.role == "admin":
            return True
        return any(subject == ns or subject.startswith(ns + ".") for ns in self.namespaces)

    def reports_for(self, service: str) -> bool:
        """True when this principal may post usage for ``service``."""
        return not self.services or service in self.services


ANONYMOUS = Principal(name="anonymous", role="viewer")


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_namespace(namespace: str) -> str:
    """``payments.`` and ``payments`` name the same namespace."""
    return namespace.strip().rstrip(".")


def create_token(database: Database, *, role: Role, name: str, namespaces: list[str],
                 actor: str, services: list[str] | None = None) -> tuple[int, str]:
    """A new token: its id and the secret (shown once; only its hash is stored)."""
    if role not in RANK:
        raise ValueError(f"unknown role `{role}` (one of {', '.join(ROLES)})")
    for label in (name, *namespaces, *(services or [])):
        if len(label) > 255 or "\x00" in label:
            raise ValueError(f"`{label[:60]}`: names, namespaces and services are at most 255 "
                             f"characters, without NUL")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    cleaned = sorted({normalize_namespace(ns) for ns in namespaces if normalize_namespace(ns)})
    bound = sorted({service.strip() for service in services or [] if service.strip()})

    def work(session: Session) -> int:
        row = Token(name=name, role=role, token_hash=hash_token(secret),
                    namespaces=json.dumps(cleaned), services=json.dumps(bound),
                    created_at=dt.datetime.now(dt.timezone.utc))
        session.add(row)
        session.flush()
        record(session, actor, "token.create", f"token:{row.id}",
               {"name": name, "role": role, "namespaces": cleaned, "services": bound})
        return row.id

    return database.write(work), secret


def revoke_token(database: Database, token_id: int, actor: Principal) -> None:
    """Revoke a token; it stops working at once. A token cannot revoke itself."""
    if token_id == actor.token_id:
        raise Conflict("a token cannot revoke itself; use another admin token")

    def work(session: Session) -> None:
        row = session.get(Token, token_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no token {token_id}")
        if row.revoked_at is None:
            row.revoked_at = dt.datetime.now(dt.timezone.utc)
            record(session, actor.name, "token.revoke", f"token:{token_id}", {"name": row.name})

    database.write(work)


class Authenticator:
    """Checks bearer tokens; remembers valid ones for ``ttl`` seconds to spare the database.

    A revocation through this process takes effect at once; through another replica, within
    ``ttl``.
    """

    def __init__(self, database: Database, *, open_reads: bool, ttl: float = 5.0) -> None:
        self.database = database
        self.open_reads = open_reads
        self.ttl = ttl
        self._known: dict[str, tuple[float, Principal]] = {}

    def authenticate(self, authorization: str | None, needed: Role) -> Principal:
        """The principal of an ``Authorization: Bearer`` header, checked against ``needed``.

        Without a header, reads are allowed when ``open_reads``; writes never are.
        """
        principal = self.from_memory(authorization, needed)
        if principal is not None:
            return principal
        token_hash = self._token_hash(authorization)
        with self.database.read() as session:
            row = session.scalars(select(Token).where(Token.token_hash == token_hash)).first()
        if row is None or row.revoked_at is not None:
            raise Unauthenticated("unknown or revoked token")
        principal = Principal(name=row.name, role=row.role,  # type: ignore[arg-type]
                              namespaces=tuple(json.loads(row.namespaces)), token_id=row.id,
                              services=tuple(json.loads(row.services)))
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[token_hash] = (time.monotonic() + self.ttl, principal)
        return _checked(principal, needed)

    def from_memory(self, authorization: str | None, needed: Role) -> Principal | None:
        """The principal without touching the database, or None when that is needed."""
        if not authorization:
            if self.open_reads and needed == "viewer":
                return ANONYMOUS
            raise Unauthenticated("a bearer token is required")
        known = self._known.get(self._token_hash(authorization))
        if known is None or known[0] < time.monotonic():
            return None
        return _checked(known[1], needed)

    def forget(self) -> None:
        """Drop every remembered token (after a revocation)."""
        self._known.clear()

    @staticmethod
    def _token_hash(authorization: str | None) -> str:
        scheme, _, secret = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("the Authorization header must be `Bearer <token>`")
        return hash_token(secret.strip())


def _checked(principal: Principal, needed: Role) -> Principal:
    if not principal.at_least(needed):
        raise Forbidden(f"this needs the {needed} role; the token has {principal.role}")
    return principal
