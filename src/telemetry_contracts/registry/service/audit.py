"""The audit log: every change, who made it and when."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from telemetry_contracts.registry.store.tables import AuditEntry

_INSERT = insert(cast(Table, AuditEntry.__table__))
"""Built once: the values travel as parameters, so the compiled statement is cached."""


def record(session: Session, actor: str, action: str, target: str,
           detail: dict[str, Any] | None = None) -> None:
    """Add an audit entry inside the caller's transaction (so it commits with the change).

    One plain INSERT on the transaction's connection, outside the ORM's unit of work.
    """
    session.connection().execute(_INSERT, {
        "at": dt.datetime.now(dt.UTC), "actor": actor, "action": action, "target": target,
        "detail": json.dumps(detail or {}, sort_keys=True, default=str)})
