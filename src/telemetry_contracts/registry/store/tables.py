"""The registry's tables: content-addressed snapshot blobs, versions, proposals, reviews, tokens,
usage counts and the audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect
                           ) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("datetimes stored in the registry must be timezone-aware")
        return value.astimezone(dt.timezone.utc) if value is not None else None

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect
                             ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Blob(Base):
    """A snapshot body without its version number, stored once per distinct content."""

    __tablename__ = "content_blobs"
    body_hash: Mapped[str] = mapped_column(String(80), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    """zlib-compressed canonical JSON of the body."""


class Version(Base):
    """One published, immutable version of the registry."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("number"), UniqueConstraint("major", "minor", "patch"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32))
    major: Mapped[int] = mapped_column(Integer)
    minor: Mapped[int] = mapped_column(Integer)
    patch: Mapped[int] = mapped_column(Integer)
    bump: Mapped[str] = mapped_column(String(8))
    content_hash: Mapped[str] = mapped_column(String(80))
    body_hash: Mapped[str] = mapped_column(ForeignKey("content_blobs.body_hash"))
    attributes: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    published_by: Mapped[str] = mapped_column(String(255))
    published_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class Head(Base):
    """The single row that points at the latest version; locked by every publish."""

    __tablename__ = "registry_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"), nullable=True)
    registry_name: Mapped[str] = mapped_column(String(255))


class Proposal(Base):
    """A proposed change to one contract, reviewed before it is published."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_status_id", "status", "id"),
                      Index("ix_proposals_author_status", "author", "status"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(24))
    revision: Mapped[int] = mapped_column(Integer)
    """Raised by every change; the proposal's ETag."""
    content_revision: Mapped[int] = mapped_column(Integer)
    """The revision of the last change to the proposed contract; approvals count from it."""
    author: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    """The proposed fragment as JSON."""
    findings: Mapped[str] = mapped_column(Text, default="[]")
    base_version: Mapped[str] = mapped_column(String(32))
    published_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class Review(Base):
    """A reviewer's decision on one revision of a proposal."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(String(255))
    decision: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class Token(Base):
    """A bearer token: only its SHA-256 is stored."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    namespaces: Mapped[str] = mapped_column(Text, default="[]")
    services: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    """The services it may report usage for (JSON list); empty: any."""
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class UsageRow(Base):
    """Accumulated counts of one name seen by one service's guard, per action and rule."""

    __tablename__ = "usage_counts"
    service: Mapped[str] = mapped_column(String(255), primary_key=True)
    signal: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    metric: Mapped[str] = mapped_column(String(255), primary_key=True)
    action: Mapped[str] = mapped_column(String(16), primary_key=True)
    rule: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    first_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime())


Index("ix_usage_counts_name", UsageRow.name)


class UsageEmitter(Base):
    """One service's use of one name, summed over signals, actions and rules: the rows of the
    deprecation report, one a name and service so that the report reads each emitter once."""

    __tablename__ = "usage_emitters"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    service: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    """Every time it was seen, over all time (saturating)."""
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    days: Mapped[str] = mapped_column(Text)
    """Counts per day (UTC) as a JSON object, ``{"<days since 1970-01-01>": count}``; days
    before the usage window are dropped when the row is written."""


class ReportingService(Base):
    """A service that posts usage reports: the span its reports covered and what it enforces."""

    __tablename__ = "reporting_services"
    service: Mapped[str] = mapped_column(String(255), primary_key=True)
    first_start: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    """The earliest ``window_start`` of its reports."""
    last_end: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    """The latest ``window_end`` of its reports (clamped to the server's clock)."""
    last_report: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    """When the server received its latest report."""
    snapshot_hash: Mapped[str] = mapped_column(String(80), default="")
    """The content hash of the snapshot its guard enforced in its latest report."""
    instance: Mapped[str] = mapped_column(String(255), default="")
    reports: Mapped[int] = mapped_column(BigInteger)


class AuditEntry(Base):
    """Who changed what, when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    detail: Mapped[str] = mapped_column(Text, default="{}")


class RetiredName(Base):
    """A contract name removed by a publish; the lifecycle never lets it come back."""

    __tablename__ = "retired_names"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
