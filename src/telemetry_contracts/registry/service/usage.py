"""Usage reports from the runtime guard and the deprecation report built on them."""

from __future__ import annotations

import bisect
import datetime as dt
import weakref
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from typing import Any

from pydantic_core import from_json, to_json
from sqlalchemy import (
    JSON,
    BigInteger,
    Insert,
    Select,
    String,
    Text,
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
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from telemetry_contracts.registry.service.auth import Principal
from telemetry_contracts.registry.service.errors import Forbidden, Invalid
from telemetry_contracts.registry.service.lifecycle import state_of
from telemetry_contracts.registry.service.models import (
    Page,
    Safety,
    ServiceState,
    UnknownName,
    UsageAccepted,
    decode_cursor,
    encode_cursor,
)
from telemetry_contracts.registry.service.versions import VersionStore
from telemetry_contracts.registry.store.tables import (
    ReportingService,
    UsageEmitter,
    UsageRow,
    UtcDateTime,
    Version,
)
from telemetry_contracts.schemas.model import Attribute, Metric
from telemetry_contracts.schemas.usage import UsageReport, as_utc

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
    """Why ``report`` cannot be stored, or None (its model has refused NUL characters)."""
    for count in report.counts:
        if count.count > MAX_REPORTED:
            return f"a count is over {MAX_REPORTED}: `{count.name}` {count.count}"
        if len(count.rule or "") > RULE_LENGTH:
            return f"`rule` is longer than {RULE_LENGTH} characters"
    return None


def ingest(versions: VersionStore, principal: Principal, report: UsageReport,
           now: dt.datetime | None = None, *, window_days: int = 30) -> UsageAccepted:
    """Add a report's counts to the per-service totals (one row per name, action and rule) and
    to the day it ends on (one row per name; days before the last ``window_days`` are dropped).

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
    received = now or dt.datetime.now(dt.timezone.utc)
    seen = min(report.window_end, received + CLOCK_SKEW)
    # Rows as JSON arrays, in the order of `COLUMNS`.
    rows = to_json([(*key, count) for key, count in sorted(totals.items())]).decode()
    per_name: dict[str, int] = defaultdict(int)
    for names, total in totals.items():
        per_name[names[1]] = min(per_name[names[1]] + total, MAX_COUNT)
    day = day_number(seen.date())
    first_kept = day_number(received.date()) - window_days
    emitters = {"service": report.service, "seen": seen, "day": str(day), "path": f'$."{day}"',
                "rows": to_json(sorted(per_name.items())).decode()}
    service = {"service": report.service, "first_start": min(report.window_start, seen),
               "last_end": seen, "last_report": received,
               "snapshot_hash": (report.snapshot_hash or "")[:80],
               "instance": report.instance or "", "reports": 1}
    pruned = _pruned.setdefault(versions.database, {})

    def work(session: Session) -> None:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            # Counters may lose the last moments of reports to a crash, never consistency: the
            # commit does not wait for the disk, which would otherwise bound the report rate.
            session.execute(_ASYNC_COMMIT)
        connection = session.connection()
        connection.execute(_upsert(dialect), {"service": report.service, "seen": seen,
                                              "rows": rows})
        connection.execute(_upsert_emitters(dialect), emitters)
        if pruned.get(report.service) != first_kept:
            connection.execute(_PRUNE_DAYS[dialect], {"service": report.service,
                                                      "first_kept": first_kept})
        connection.execute(_upsert_service(dialect), service)

    versions.database.write(work)
    if len(pruned) >= MAX_PRUNED:
        pruned.clear()
    pruned[report.service] = first_kept
    return UsageAccepted(service=report.service, counts=len(totals))


_pruned: weakref.WeakKeyDictionary[Any, dict[str, int]] = weakref.WeakKeyDictionary()
"""Per database, the first day each service's emitter rows kept when this process last pruned
them: rows are pruned by the first report of a service on each day (per server process)."""
MAX_PRUNED = 100_000

_PRUNE_DAYS = {
    "sqlite": text(
        "UPDATE usage_emitters SET days = (SELECT coalesce(json_group_object(key, value), '{}')"
        " FROM json_each(usage_emitters.days) WHERE CAST(key AS INTEGER) >= :first_kept)"
        " WHERE service = :service"),
    "postgresql": text(
        "UPDATE usage_emitters SET days = (SELECT coalesce(jsonb_object_agg(key, value),"
        " '{}'::jsonb)::text FROM jsonb_each(usage_emitters.days::jsonb)"
        " WHERE key::bigint >= :first_kept) WHERE service = :service"),
}
"""Drop the days before ``first_kept`` from every emitter row of ``service``."""


_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")


@cache
def _upsert(dialect: str) -> Insert:
    """One statement adding a report's counts to the totals, built once per database.

    The counts travel as one JSON array that the database unpacks (``json_each`` on SQLite,
    ``json_array_elements`` on PostgreSQL): usage reports are the server's busiest write, and
    a parameter set per counter cost SQLAlchemy and the driver about 25 µs each.
    """
    seen = bindparam("seen", type_=UtcDateTime())
    source = _unpacked(dialect, len(COLUMNS) - 1, seen, seen)
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(UsageRow).from_select(
        ["service", *COLUMNS, "first_seen", "last_seen"], source)
    new = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=["service", "signal", "name", "metric", "action", "rule"],
        set_={"count": _added(UsageRow.count, new.count),
              "last_seen": _later(UsageRow.last_seen, new.last_seen),
              "first_seen": case((new.first_seen < UsageRow.first_seen, new.first_seen),
                                 else_=UsageRow.first_seen)})


def _elements(dialect: str) -> Any:
    """The elements of the JSON array parameter ``rows``, one a row."""
    documents = bindparam("rows", type_=String())
    elements = (func.json_array_elements(cast(documents, JSON)) if dialect == "postgresql"
                else func.json_each(documents)).table_valued("value")
    return type_coerce(elements.c.value, JSON)


def _unpacked(dialect: str, texts: int, *more: Any) -> Select[Any]:
    """The rows of the JSON array parameter ``rows`` as a select: the ``service`` parameter,
    ``texts`` strings, an integer, then ``more``."""
    value = _elements(dialect)
    return select(bindparam("service", type_=String()),
                  *[value[index].as_string() for index in range(texts)],
                  cast(value[texts].as_string(), BigInteger), *more).where(true())


@cache
def _upsert_emitters(dialect: str) -> Insert:
    """One statement adding a report's count per name (the JSON array parameter ``rows`` of
    ``[name, count]``) to ``usage_emitters``: to the total, to the ``day`` key of the row's
    days (JSON, merged by the database, so reports of one service need no lock) and the latest
    time seen."""
    value = _elements(dialect)
    count = cast(value[1].as_string(), BigInteger)
    day = bindparam("day", type_=String())
    fresh = (cast(func.jsonb_build_object(day, count), Text) if dialect == "postgresql"
             else func.json_object(day, count))
    source = select(bindparam("service", type_=String()), value[0].as_string(), fresh, count,
                    bindparam("seen", type_=UtcDateTime())).where(true())
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(UsageEmitter).from_select(
        ["service", "name", "days", "count", "last_seen"], source)
    new = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=["name", "service"],
        set_={"days": _day_added(dialect, UsageEmitter.days, new.count),
              "count": _added(UsageEmitter.count, new.count),
              "last_seen": _later(UsageEmitter.last_seen, new.last_seen)})


def _day_added(dialect: str, days: Any, count: Any) -> Any:
    """The JSON object ``days`` with ``count`` added to its ``day`` key (``path`` on SQLite,
    ``$."<day>"``), saturating."""
    if dialect == "postgresql":
        held = cast(days, JSONB)
        day = bindparam("day", type_=String())
        old = func.coalesce(cast(held.op("->>")(day), BigInteger), 0)
        return cast(func.jsonb_set(held, postgresql.array([day]),
                                   func.to_jsonb(_added(old, count))), Text)
    path = bindparam("path", type_=String())
    old = func.coalesce(func.json_extract(days, path), 0)
    return func.json_set(days, path, _added(old, count))


def _added(old: Any, new: Any) -> Any:
    """``old + new``, saturating at :data:`MAX_COUNT`."""
    return case((old > MAX_COUNT - new, MAX_COUNT), else_=old + new)


def _later(old: Any, new: Any) -> Any:
    """The later of ``old`` and ``new``."""
    return case((new > old, new), else_=old)


@cache
def _upsert_service(dialect: str) -> Insert:
    """One statement recording a report's window and snapshot for its service."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(ReportingService)
    new = insert.excluded
    old = ReportingService
    return insert.on_conflict_do_update(
        index_elements=["service"],
        set_={"first_start": case((new.first_start < old.first_start, new.first_start),
                                  else_=old.first_start),
              "last_end": _later(old.last_end, new.last_end),
              "last_report": new.last_report,
              "snapshot_hash": case((new.snapshot_hash == "", old.snapshot_hash),
                                    else_=new.snapshot_hash),
              "instance": new.instance, "reports": old.reports + 1})


COVERAGE_SLACK = dt.timedelta(days=1)
"""How long before now a service's latest report may end and still count as covering the
window up to now (guards report every minute; this allows for a restart or an outage)."""


def _coverage(session: Session, now: dt.datetime, cutoff: dt.datetime) -> tuple[int, int]:
    """Services that reported within the window, and those whose reports covered all of it."""
    rows = session.execute(select(ReportingService.first_start, ReportingService.last_end)
                           .where(ReportingService.last_end >= cutoff)).all()
    covering = sum(1 for first, last in rows
                   if as_utc(first) <= cutoff and as_utc(last) >= now - COVERAGE_SLACK)
    return len(rows), covering


def _safety(emitted: bool, reporting: int, covering: int) -> Safety:
    if emitted:
        return "no"
    return "yes" if reporting and covering == reporting else "unknown"


def deprecation_report(versions: VersionStore, *, window_days: int, limit: int,
                       cursor: str | None, now: dt.datetime | None = None,
                       prefix: str | None = None,
                       safe_to_remove: Safety | None = None) -> dict[str, Any]:
    """Every deprecated contract of the latest version, who still emits it and since when: a
    :class:`DeprecationReport` as JSON-ready data.

    ``prefix`` keeps the names that start with it; ``safe_to_remove`` keeps the contracts whose
    verdict it is. Plain data rather than models: a report of 1,000 names and 200 services
    holds 10,000 emitters, and building (then validating) a model of each cost more than the
    database reads.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    cutoff = now - dt.timedelta(days=window_days)
    days = [now.date() - dt.timedelta(days=back) for back in range(window_days, -1, -1)]
    latest = versions.latest()
    snapshot = versions.snapshot(latest.number)
    deprecated: list[tuple[str, Attribute | Metric]] = sorted(
        [(a.key, a) for a in snapshot.attributes if a.deprecated]
        + [(m.name, m) for m in snapshot.metrics if m.deprecated], key=lambda item: item[0])
    if prefix:
        deprecated = [item for item in deprecated if item[0].startswith(prefix)]
    with versions.database.read() as session:
        reporting, covering = _coverage(session, now, cutoff)
        # Every deprecated name's emitters: the verdicts and the burn-down need them all.
        emitters = _emitters(session.connection(), [name for name, _ in deprecated], days)
    last_seen = {name: max(e["last_seen"] for e in who) for name, who in emitters.items()}

    def safety(name: str) -> Safety:
        seen = last_seen.get(name)
        return _safety(seen is not None and seen >= cutoff, reporting, covering)

    if safe_to_remove is not None:
        deprecated = [item for item in deprecated if safety(item[0]) == safe_to_remove]
    names = [name for name, _ in deprecated]
    after = decode_cursor(cursor)
    start = bisect.bisect_right(names, after) if after is not None else 0
    page = deprecated[start:start + limit]
    daily = {name: _summed((e["daily"] for e in emitters[name]), len(days))
             for name in names if name in emitters}
    burn_down = _summed(daily.values(), len(days))
    entries = []
    for name, contract in page:
        who = emitters.get(name, [])
        totals = daily.get(name) or [0] * len(days)
        assert contract.deprecated is not None
        entries.append({
            "name": name, "kind": "attribute" if isinstance(contract, Attribute) else "metric",
            "state": state_of(contract, now.date(), ever_published=True),
            "reason": contract.deprecated.reason, "renamed_to": contract.deprecated.renamed_to,
            "note": contract.deprecated.note, "sunset": contract.governance.sunset,
            "owner": contract.governance.owner, "emitters": who,
            "last_seen": last_seen.get(name), "window_count": min(sum(totals), MAX_COUNT),
            "daily": totals, "safe_to_remove": safety(name)})
    more = start + limit < len(deprecated)
    return {"items": entries,
            "next_cursor": encode_cursor(page[-1][0]) if more and page else None,
            "version": latest.number, "window_days": window_days, "days": days,
            "burn_down": burn_down, "reporting_services": reporting,
            "covering_services": covering}


EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    """``day`` as stored in ``usage_days``: days since 1970-01-01."""
    return (day - EPOCH).days


def _summed(rows: Iterable[list[int]], width: int) -> list[int]:
    """Column sums of ``rows`` of ``width`` counts, saturating."""
    # Python's integers do not overflow: summing, then capping once, saturates all the same.
    return [min(sum(column), MAX_COUNT) for column in zip(*rows, strict=True)] or [0] * width


NAMES_PER_QUERY = 5000
"""Names bound into one ``IN`` list (SQLite takes at most 32,766 parameters)."""


def _emitters(connection: Connection, names: list[str], days: list[dt.date]
              ) -> dict[str, list[dict[str, Any]]]:
    """Each service that emitted one of ``names``, by name then service: its count over all
    time, when it was last seen and its counts per day of ``days`` (an :class:`Emitter` as
    data)."""
    positions = {str(day_number(day)): position for position, day in enumerate(days)}
    rows: list[Any] = []
    for first in range(0, len(names), NAMES_PER_QUERY):
        rows += connection.execute(
            select(UsageEmitter.name, UsageEmitter.service, UsageEmitter.count,
                   UsageEmitter.last_seen, UsageEmitter.days)
            .where(UsageEmitter.name.in_(names[first:first + NAMES_PER_QUERY]))).all()
    rows.sort(key=lambda row: row[:2])
    # One JSON document of every row's days: parsed in one call rather than 10,000s.
    packed = from_json("[" + ",".join(row.days for row in rows) + "]")
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (name, service, count, seen, _), held in zip(rows, packed, strict=True):
        daily = [0] * len(days)
        for day, day_count in held.items():
            position = positions.get(day)
            if position is not None:
                daily[position] = day_count
        found[name].append({"service": service, "count": count, "last_seen": seen,
                            "daily": daily})
    return found


UNKNOWN_RULES = ("TC801", "TC802")
"""The guard's codes for a metric name and an attribute key the registry does not define."""


def unknown_report(versions: VersionStore, *, limit: int, cursor: str | None,
                   service: str | None = None) -> Page[UnknownName]:
    """Names the guards saw that the latest version does not define, per service, most seen
    first."""
    index = versions.index(versions.latest().number)
    with versions.database.read() as session:
        query = (select(UsageRow.service, UsageRow.name, UsageRow.signal, UsageRow.rule,
                        UsageRow.count, UsageRow.first_seen, UsageRow.last_seen)
                 .where(UsageRow.rule.in_(UNKNOWN_RULES)))
        if service:
            query = query.where(UsageRow.service == service)
        found: dict[tuple[str, str, str, str], list[Any]] = {}
        for row in session.execute(query):
            if index.contract(row.name) is not None:
                continue  # defined since the guard reported it
            key = (row.service, row.name, row.signal, row.rule)
            first, last = as_utc(row.first_seen), as_utc(row.last_seen)
            held = found.get(key)
            if held is None:
                found[key] = [row.count, first, last]
            else:
                held[0] = min(held[0] + row.count, MAX_COUNT)
                held[1], held[2] = min(held[1], first), max(held[2], last)
    items = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))
    start = _offset(cursor)
    page = items[start:start + limit]
    more = start + limit < len(items)
    return Page[UnknownName](
        items=[UnknownName(service=key[0], name=key[1], signal=key[2], rule=key[3],
                           count=held[0], first_seen=held[1], last_seen=held[2])
               for key, held in page],
        next_cursor=encode_cursor(str(start + limit)) if more else None)


def _offset(cursor: str | None) -> int:
    position = decode_cursor(cursor)
    if position is None:
        return 0
    if not position.isdigit() or len(position) > 9:
        raise Invalid("`cursor` is not a cursor this service returned")
    return int(position)


def services_report(versions: VersionStore, *, limit: int, cursor: str | None
                    ) -> Page[ServiceState]:
    """Each service that reports usage: the version its guard enforces, how far behind the
    latest that is, and when it last reported; by name."""
    latest = versions.latest()
    with versions.database.read() as session:
        published = session.execute(select(Version.id, Version.number, Version.content_hash)
                                    .order_by(Version.id)).all()
        query = select(ReportingService).order_by(ReportingService.service).limit(limit + 1)
        after = decode_cursor(cursor)
        if after is not None:
            query = query.where(ReportingService.service > after)
        rows = list(session.scalars(query))
    order = {row.content_hash: (position, row.number) for position, row in enumerate(published)}
    items = []
    for row in rows[:limit]:
        known = order.get(row.snapshot_hash)
        items.append(ServiceState(
            service=row.service, instance=row.instance or None,
            snapshot_hash=row.snapshot_hash or None,
            version=known[1] if known else None,
            versions_behind=len(published) - 1 - known[0] if known else None,
            latest_version=latest.number, last_report=row.last_report,
            reported_since=row.first_start, reports=row.reports))
    more = len(rows) > limit
    return Page[ServiceState](items=items,
                              next_cursor=encode_cursor(rows[limit - 1].service) if more else None)
