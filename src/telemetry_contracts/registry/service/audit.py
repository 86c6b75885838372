"""The audit log: every change, who made it and when."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from telemetry_contracts.registry.store.tables import AuditEntry

_INSERT = insert(cast(Table, AuditEntry.__table__))
"""Built once: the values travel as parameters, so the compiled statement is cached."""


def entry(actor: str, action: str, target: str, detail: dict[str, Any] | None = None
          ) -> dict[str, Any]:
    """One audit row, stamped now."""
    return {"at": dt.datetime.now(dt.UTC), "actor": actor, "action": action, "target": target,
            "detail": json.dumps(detail or {}, sort_keys=True, default=str)}


def record(session: Session, actor: str, action: str, target: str,
           detail: dict[str, Any] | None = None) -> None:
    """Add an audit entry inside the caller's transaction (so it commits with the change)."""
    record_all(session, [entry(actor, action, target, detail)])


def record_all(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """Add the :func:`entry` rows inside the caller's transaction, in one statement.

    Plain INSERTs on the transaction's connection, outside the ORM's unit of work.
    """
    if entries:
        session.connection().execute(_INSERT, list(entries))
