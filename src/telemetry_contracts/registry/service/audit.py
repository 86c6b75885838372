"""The audit log: every change, who made it and when."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session

from telemetry_contracts.registry.store.tables import AuditEntry


def record(session: Session, actor: str, action: str, target: str,
           detail: dict[str, Any] | None = None) -> None:
    """Add an audit entry inside the caller's transaction (so it commits with the change)."""
    session.add(AuditEntry(at=dt.datetime.now(dt.timezone.utc), actor=actor, action=action,
                           target=target,
                           detail=json.dumps(detail or {}, sort_keys=True, default=str)))
