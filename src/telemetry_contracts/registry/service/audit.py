"""The audit log: every change, who made it and when."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from telemetry_contracts.registry.store.bulk import insert_rows
from telemetry_contracts.registry.store.tables import AuditEntry

AUDIT = cast(Table, AuditEntry.__table__)


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
    """Add the :func:`entry` rows inside the caller's transaction, in one go
    (:func:`~telemetry_contracts.registry.store.bulk.insert_rows`), outside the ORM."""
    insert_rows(session.connection(), AUDIT, entries)
