"""Usage reports from the runtime guard and the deprecation report built on them."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from telemetry_contracts.registry.service.lifecycle import state_of
from telemetry_contracts.registry.service.models import (
    DeprecationEntry,
    DeprecationReport,
    Emitter,
    UsageAccepted,
    decode_cursor,
    encode_cursor,
)
from telemetry_contracts.registry.service.versions import VersionStore
from telemetry_contracts.registry.store.tables import UsageRow
from telemetry_contracts.schemas.model import Attribute, Metric
from telemetry_contracts.schemas.usage import UsageReport


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


MAX_COUNT = 2**62
"""Counters saturate here instead of overflowing the 64-bit column."""


def ingest(versions: VersionStore, report: UsageReport) -> UsageAccepted:
    """Add a report's counts to the per-service totals (one upsert per name, action and rule)."""
    totals: dict[tuple[str, str, str, str, str], int] = defaultdict(int)
    for count in report.counts:
        key = (count.signal, count.name, count.metric or "", count.action, count.rule or "")
        totals[key] = min(totals[key] + count.count, MAX_COUNT)
    if not totals:
        return UsageAccepted(service=report.service, counts=0)
    seen = as_utc(report.window_end)
    rows = [{"service": report.service, "signal": signal, "name": name, "metric": metric,
             "action": action, "rule": rule, "count": count, "first_seen": seen,
             "last_seen": seen}
            for (signal, name, metric, action, rule), count in sorted(totals.items())]

    def work(session: Session) -> None:
        on_postgres = session.get_bind().dialect.name == "postgresql"
        insert = (postgresql if on_postgres else sqlite).insert(UsageRow)
        new = insert.excluded
        least, greatest = (func.least, func.greatest) if on_postgres else (func.min, func.max)
        session.execute(insert.on_conflict_do_update(
            index_elements=["service", "signal", "name", "metric", "action", "rule"],
            set_={"count": least(UsageRow.count, MAX_COUNT - new.count) + new.count,
                  "last_seen": greatest(UsageRow.last_seen, new.last_seen),
                  "first_seen": least(UsageRow.first_seen, new.first_seen)},
        ), rows)

    versions.database.write(work)
    return UsageAccepted(service=report.service, counts=len(rows))


def deprecation_report(versions: VersionStore, *, window_days: int, limit: int,
                       cursor: str | None, now: dt.datetime | None = None,
                       prefix: str | None = None,
                       safe_to_remove: bool | None = None) -> DeprecationReport:
    """Every deprecated contract of the latest version, who still emits it and since when.

    ``prefix`` keeps the names that start with it; ``safe_to_remove`` keeps the contracts that
    are (True) or are not (False) safe to remove, i.e. nobody was seen in the window.
    """
    now = now or dt.datetime.now(dt.UTC)
    cutoff = now - dt.timedelta(days=window_days)
    latest = versions.latest()
    snapshot = versions.snapshot(latest.number)
    deprecated: list[tuple[str, Attribute | Metric]] = sorted(
        [(a.key, a) for a in snapshot.attributes if a.deprecated]
        + [(m.name, m) for m in snapshot.metrics if m.deprecated], key=lambda item: item[0])
    if prefix:
        deprecated = [item for item in deprecated if item[0].startswith(prefix)]
    if safe_to_remove is not None:
        recent = _seen_since(versions, [name for name, _ in deprecated], cutoff)
        deprecated = [item for item in deprecated if (item[0] not in recent) == safe_to_remove]
    names = [name for name, _ in deprecated]
    after = decode_cursor(cursor)
    start = bisect.bisect_right(names, after) if after is not None else 0
    page = deprecated[start:start + limit]
    emitters = _emitters(versions, [name for name, _ in page])
    entries = []
    for name, contract in page:
        who = emitters.get(name, [])
        last_seen = max((e.last_seen for e in who), default=None)
        assert contract.deprecated is not None
        entries.append(DeprecationEntry(
            name=name, kind="attribute" if isinstance(contract, Attribute) else "metric",
            state=state_of(contract, now.date(), ever_published=True),
            reason=contract.deprecated.reason, renamed_to=contract.deprecated.renamed_to,
            note=contract.deprecated.note, sunset=contract.governance.sunset, emitters=who,
            last_seen=last_seen, safe_to_remove=last_seen is None or last_seen < cutoff))
    more = start + limit < len(deprecated)
    return DeprecationReport(items=entries, version=latest.number, window_days=window_days,
                             next_cursor=encode_cursor(page[-1][0]) if more and page else None)


def _seen_since(versions: VersionStore, names: list[str], cutoff: dt.datetime) -> set[str]:
    """The names some service reported at or after ``cutoff``."""
    if not names:
        return set()
    with versions.database.read() as session:
        rows = session.execute(
            select(UsageRow.name).where(UsageRow.name.in_(names))
            .group_by(UsageRow.name).having(func.max(UsageRow.last_seen) >= cutoff))
        return {row.name for row in rows}


def _emitters(versions: VersionStore, names: list[str]) -> dict[str, list[Emitter]]:
    if not names:
        return {}
    found: dict[str, list[Emitter]] = defaultdict(list)
    with versions.database.read() as session:
        rows: Any = session.execute(
            select(UsageRow.name, UsageRow.service, func.sum(UsageRow.count).label("count"),
                   func.max(UsageRow.last_seen).label("last_seen"))
            .where(UsageRow.name.in_(names)).group_by(UsageRow.name, UsageRow.service)
            .order_by(UsageRow.name, UsageRow.service))
        for row in rows:
            found[row.name].append(Emitter(service=row.service, count=int(row.count),
                                           last_seen=as_utc(row.last_seen)))
    return found
