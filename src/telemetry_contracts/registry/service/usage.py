"""Usage reports from the runtime guard and the deprecation report built on them."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from functools import cache
from typing import Any

from pydantic_core import to_json
from sqlalchemy import (
    JSON,
    BigInteger,
    Insert,
    String,
    bindparam,
    case,
    cast,
    func,
    select,
    text,
    true,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from telemetry_contracts.registry.service.auth import Principal
from telemetry_contracts.registry.service.errors import Forbidden, Invalid
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
from telemetry_contracts.registry.store.tables import UsageRow, UtcDateTime
from telemetry_contracts.schemas.model import Attribute, Metric
from telemetry_contracts.schemas.usage import UsageReport


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


MAX_COUNT = 2**62
"""Stored counters saturate here instead of overflowing the 64-bit column."""
MAX_REPORTED = 10**12
"""The largest count one report may carry for one name, action and rule."""
CLOCK_SKEW = dt.timedelta(minutes=5)
"""How far past the server's clock a report's window may end; later ends are clamped."""
RULE_LENGTH = 16
COLUMNS = ("signal", "name", "metric", "action", "rule", "count")
"""The columns of a usage row that a report's counters fill, in the order they travel in."""


def _refusal(report: UsageReport) -> str | None:
    """Why ``report`` cannot be stored, or None."""
    texts = [report.service, report.instance or ""]
    for count in report.counts:
        if count.count > MAX_REPORTED:
            return f"a count is over {MAX_REPORTED}: `{count.name}` {count.count}"
        if len(count.rule or "") > RULE_LENGTH:
            return f"`rule` is longer than {RULE_LENGTH} characters"
        texts += (count.name, count.metric or "", count.rule or "", count.renamed_to or "")
    if "\x00" in "".join(texts):
        return "names, services and rules must not contain NUL characters"
    return None


def ingest(versions: VersionStore, principal: Principal, report: UsageReport,
           now: dt.datetime | None = None) -> UsageAccepted:
    """Add a report's counts to the per-service totals (one row per name, action and rule).

    A window that ends in the future is taken to end now (plus :data:`CLOCK_SKEW`).
    """
    if not principal.reports_for(report.service):
        raise Forbidden(f"this token reports usage for {', '.join(principal.services)} only, "
                        f"not `{report.service}`")
    refusal = _refusal(report)
    if refusal is not None:
        raise Invalid(refusal)
    totals: dict[tuple[str, str, str, str, str], int] = defaultdict(int)
    for count in report.counts:
        key = (count.signal, count.name, count.metric or "", count.action, count.rule or "")
        totals[key] = min(totals[key] + count.count, MAX_COUNT)
    if not totals:
        return UsageAccepted(service=report.service, counts=0)
    seen = min(as_utc(report.window_end), (now or dt.datetime.now(dt.UTC)) + CLOCK_SKEW)
    # Rows as JSON arrays, in the order of `COLUMNS`.
    rows = to_json([(*key, count) for key, count in sorted(totals.items())]).decode()

    def work(session: Session) -> None:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            # Counters may lose the last moments of reports to a crash, never consistency: the
            # commit does not wait for the disk, which would otherwise bound the report rate.
            session.execute(_ASYNC_COMMIT)
        session.connection().execute(_upsert(dialect), {"service": report.service, "seen": seen,
                                                         "rows": rows})

    versions.database.write(work)
    return UsageAccepted(service=report.service, counts=len(totals))


_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")


@cache
def _upsert(dialect: str) -> Insert:
    """One statement adding a report's counts to the totals, built once per database.

    The counts travel as one JSON array that the database unpacks (``json_each`` on SQLite,
    ``json_array_elements`` on PostgreSQL): usage reports are the server's busiest write, and
    a parameter set per counter cost SQLAlchemy and the driver about 25 µs each.
    """
    documents = bindparam("rows", type_=String())
    elements = (func.json_array_elements(cast(documents, JSON)) if dialect == "postgresql"
                else func.json_each(documents)).table_valued("value")
    value = type_coerce(elements.c.value, JSON)
    seen = bindparam("seen", type_=UtcDateTime())
    texts = [value[index].as_string() for index in range(len(COLUMNS) - 1)]
    source = select(bindparam("service", type_=String()), *texts,
                    cast(value[len(COLUMNS) - 1].as_string(), BigInteger), seen, seen
                    ).where(true())
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(UsageRow).from_select(
        ["service", *COLUMNS, "first_seen", "last_seen"], source)
    new = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=["service", "signal", "name", "metric", "action", "rule"],
        set_={"count": case((UsageRow.count > MAX_COUNT - new.count, MAX_COUNT),
                            else_=UsageRow.count + new.count),
              "last_seen": case((new.last_seen > UsageRow.last_seen, new.last_seen),
                                else_=UsageRow.last_seen),
              "first_seen": case((new.first_seen < UsageRow.first_seen, new.first_seen),
                                 else_=UsageRow.first_seen)})


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
    # Summed here, saturating: a sum in SQL overflows SQLite's 64-bit integers.
    counts: dict[tuple[str, str], int] = defaultdict(int)
    last: dict[tuple[str, str], dt.datetime] = {}
    with versions.database.read() as session:
        rows: Any = session.execute(
            select(UsageRow.name, UsageRow.service, UsageRow.count, UsageRow.last_seen)
            .where(UsageRow.name.in_(names)))
        for row in rows:
            key = (row.name, row.service)
            counts[key] = min(counts[key] + row.count, MAX_COUNT)
            seen = as_utc(row.last_seen)
            last[key] = max(last.get(key, seen), seen)
    found: dict[str, list[Emitter]] = defaultdict(list)
    for name, service in sorted(counts):
        found[name].append(Emitter(service=service, count=counts[name, service],
                                   last_seen=last[name, service]))
    return found
