"""usage per name and service, its days packed in one row (replaces usage_days)

The deprecation report read a row per name, service and day (80,000 for 1,000 names emitted by
200 services on 8 days); it now reads a row per name and service.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MAX_COUNT = 2**62
"""Stored counters saturate here (as ``registry.service.usage.MAX_COUNT`` at this revision)."""
BATCH = 5000

usage_counts = sa.table("usage_counts", sa.column("name", sa.String),
                        sa.column("service", sa.String), sa.column("count", sa.BigInteger),
                        sa.column("last_seen", sa.DateTime(timezone=True)))
usage_days = sa.table("usage_days", sa.column("name", sa.String), sa.column("service", sa.String),
                      sa.column("day", sa.Integer), sa.column("count", sa.BigInteger))
usage_emitters = sa.table("usage_emitters", sa.column("name", sa.String),
                          sa.column("service", sa.String), sa.column("count", sa.BigInteger),
                          sa.column("last_seen", sa.DateTime(timezone=True)),
                          sa.column("days", sa.Text))


def _insert(table: Any, rows: list[dict[str, Any]]) -> None:
    for first in range(0, len(rows), BATCH):
        op.get_bind().execute(sa.insert(table), rows[first:first + BATCH])


def upgrade() -> None:
    op.create_table(
        "usage_emitters",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("service", sa.String(length=255), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("days", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", "service", name=op.f("pk_usage_emitters")),
    )
    bind = op.get_bind()
    # Summed here, saturating: a sum in SQL overflows SQLite's 64-bit integers.
    emitters: dict[tuple[str, str], dict[str, Any]] = {}
    for name, service, count, seen in bind.execute(sa.select(
            usage_counts.c.name, usage_counts.c.service, usage_counts.c.count,
            usage_counts.c.last_seen)):
        held = emitters.setdefault((name, service), {"name": name, "service": service,
                                                     "count": 0, "last_seen": seen})
        held["count"] = min(held["count"] + count, MAX_COUNT)
        held["last_seen"] = max(held["last_seen"], seen)
    days: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for name, service, day, count in bind.execute(sa.select(
            usage_days.c.name, usage_days.c.service, usage_days.c.day, usage_days.c.count)):
        days[name, service][str(day)] = count
    _insert(usage_emitters, [{**row, "days": json.dumps(days.get(key, {}), separators=(",", ":"))}
                             for key, row in emitters.items()])
    op.drop_table("usage_days")


def downgrade() -> None:
    op.create_table(
        "usage_days",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("service", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", "service", "day", name=op.f("pk_usage_days")),
    )
    rows = op.get_bind().execute(sa.select(usage_emitters.c.name, usage_emitters.c.service,
                                           usage_emitters.c.days))
    _insert(usage_days, [{"name": name, "service": service, "day": int(day), "count": count}
                         for name, service, packed in rows
                         for day, count in json.loads(packed).items()])
    op.drop_table("usage_emitters")
