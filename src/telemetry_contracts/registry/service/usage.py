"""Usage reports from the runtime guard and the deprecation report built on them."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from typing import Any

from pydantic_core import to_json
from sqlalchemy import (
    JSON,
    BigInteger,
    Insert,
    Integer,
    Select,
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
    UsageDay,
    UsageRow,
    UtcDateTime,
    Version,
)
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
    received = now or dt.datetime.now(dt.UTC)
    seen = min(as_utc(report.window_end), received + CLOCK_SKEW)
    # Rows as JSON arrays, in the order of `COLUMNS`.
    rows = to_json([(*key, count) for key, count in sorted(totals.items())]).decode()
    per_name: dict[str, int] = defaultdict(int)
    for names, total in totals.items():
        per_name[names[1]] = min(per_name[names[1]] + total, MAX_COUNT)
    days = to_json(sorted(per_name.items())).decode()
    service = {"service": report.service, "first_start": min(as_utc(report.window_start), seen),
               "last_end": seen, "last_report": received,
               "snapshot_hash": (report.snapshot_hash or "")[:80],
               "instance": report.instance or "", "reports": 1}

    def work(session: Session) -> None:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            # Counters may lose the last moments of reports to a crash, never consistency: the
            # commit does not wait for the disk, which would otherwise bound the report rate.
            session.execute(_ASYNC_COMMIT)
        connection = session.connection()
        connection.execute(_upsert(dialect), {"service": report.service, "seen": seen,
                                              "rows": rows})
        connection.execute(_upsert_days(dialect), {"service": report.service,
                                                   "day": day_number(seen.date()), "rows": days})
        connection.execute(_upsert_service(dialect), service)

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
    seen = bindparam("seen", type_=UtcDateTime())
    source = _unpacked(dialect, len(COLUMNS) - 1, seen, seen)
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


def _unpacked(dialect: str, texts: int, *more: Any) -> Select[Any]:
    """The rows of the JSON array parameter ``rows`` as a select: the ``service`` parameter,
    ``texts`` strings, an integer, then ``more``."""
    documents = bindparam("rows", type_=String())
    elements = (func.json_array_elements(cast(documents, JSON)) if dialect == "postgresql"
                else func.json_each(documents)).table_valued("value")
    value = type_coerce(elements.c.value, JSON)
    return select(bindparam("service", type_=String()),
                  *[value[index].as_string() for index in range(texts)],
                  cast(value[texts].as_string(), BigInteger), *more).where(true())


@cache
def _upsert_days(dialect: str) -> Insert:
    """One statement adding a report's counts per name to the day it ends on."""
    source = _unpacked(dialect, 1, bindparam("day", type_=Integer()))
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(UsageDay).from_select(
        ["service", "name", "count", "day"], source)
    new = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=["name", "service", "day"],
        set_={"count": case((UsageDay.count > MAX_COUNT - new.count, MAX_COUNT),
                            else_=UsageDay.count + new.count)})


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
              "last_end": case((new.last_end > old.last_end, new.last_end), else_=old.last_end),
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
    now = now or dt.datetime.now(dt.UTC)
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
        connection = session.connection()
        reporting, covering = _coverage(session, now, cutoff)
        if safe_to_remove is not None:
            recent = _seen_since(session, [name for name, _ in deprecated], cutoff)
            deprecated = [item for item in deprecated
                          if _safety(item[0] in recent, reporting, covering) == safe_to_remove]
        names = [name for name, _ in deprecated]
        after = decode_cursor(cursor)
        start = bisect.bisect_right(names, after) if after is not None else 0
        page = deprecated[start:start + limit]
        page_names = [name for name, _ in page]
        daily = _daily(connection, page_names, days)
        # The page is often the whole report (the web UI asks for 1,000): sum what is read.
        burn_down = (_summed(daily.values(), len(days)) if len(page) == len(deprecated)
                     else _burn_down(connection, names, days))
        emitters = _emitters(connection, page_names, daily, len(days))
    entries = []
    for name, contract in page:
        who = emitters.get(name, [])
        last_seen = max((e["last_seen"] for e in who), default=None)
        totals = _summed((e["daily"] for e in who), len(days))
        assert contract.deprecated is not None
        entries.append({
            "name": name, "kind": "attribute" if isinstance(contract, Attribute) else "metric",
            "state": state_of(contract, now.date(), ever_published=True),
            "reason": contract.deprecated.reason, "renamed_to": contract.deprecated.renamed_to,
            "note": contract.deprecated.note, "sunset": contract.governance.sunset,
            "owner": contract.governance.owner, "emitters": who, "last_seen": last_seen,
            "window_count": min(sum(totals), MAX_COUNT), "daily": totals,
            "safe_to_remove": _safety(last_seen is not None and last_seen >= cutoff, reporting,
                                      covering)})
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
    totals = [0] * width
    for row in rows:
        totals = [min(a + b, MAX_COUNT) for a, b in zip(totals, row, strict=True)]
    return totals


NAMES_PER_QUERY = 5000
"""Names bound into one ``IN`` list (SQLite takes at most 32,766 parameters)."""


def _burn_down(connection: Connection, names: list[str], days: list[dt.date]) -> list[int]:
    """Usage of ``names`` per day of ``days``, all services together."""
    totals = [0] * len(days)
    dialect = connection.dialect.name
    start = day_number(days[0])
    # SQLite's total() sums as a float and never overflows; PostgreSQL sums bigints exactly.
    summed = func.sum(UsageDay.count) if dialect == "postgresql" else func.total(UsageDay.count)
    for first in range(0, len(names), NAMES_PER_QUERY):
        rows = connection.execute(
            select(UsageDay.day, summed)
            .where(UsageDay.name.in_(names[first:first + NAMES_PER_QUERY]),
                   UsageDay.day >= start).group_by(UsageDay.day))
        for day, total in rows:
            index = day - start
            if 0 <= index < len(totals):
                totals[index] = min(totals[index] + int(total), MAX_COUNT)
    return totals


def _daily(connection: Connection, names: list[str], days: list[dt.date]
           ) -> dict[tuple[str, str], list[int]]:
    """Counts per day of the window of each (name, service) of ``names``: one row per pair,
    its days packed as ``offset:count,...`` by the database."""
    dialect = connection.dialect.name
    start = day_number(days[0])
    pair = cast(UsageDay.day - start, String).concat(":").concat(cast(UsageDay.count, String))
    packed = (func.string_agg(pair, ",") if dialect == "postgresql"
              else func.group_concat(pair, ","))
    daily: dict[tuple[str, str], list[int]] = {}
    width = len(days)
    for first in range(0, len(names), NAMES_PER_QUERY):
        rows = connection.execute(
            select(UsageDay.name, UsageDay.service, packed)
            .where(UsageDay.name.in_(names[first:first + NAMES_PER_QUERY]),
                   UsageDay.day >= start).group_by(UsageDay.name, UsageDay.service))
        for name, service, text_ in rows:
            bucket = [0] * width
            for item in text_.split(","):
                index, _, count = item.partition(":")
                position = int(index)
                if 0 <= position < width:
                    bucket[position] = int(count)
            daily[name, service] = bucket
    return daily


def _seen_since(session: Session, names: list[str], cutoff: dt.datetime) -> set[str]:
    """The names some service reported at or after ``cutoff``."""
    if not names:
        return set()
    rows = session.execute(
        select(UsageRow.name).where(UsageRow.name.in_(names))
        .group_by(UsageRow.name).having(func.max(UsageRow.last_seen) >= cutoff))
    return {row.name for row in rows}


def _emitters(connection: Connection, names: list[str], daily: dict[tuple[str, str], list[int]],
              width: int) -> dict[str, list[dict[str, Any]]]:
    """Each service that emitted one of ``names``: its count over all time, when it was last
    seen and its counts per day of the window (an :class:`Emitter` as data)."""
    # Summed here, saturating: a sum in SQL overflows SQLite's 64-bit integers.
    counts: dict[tuple[str, str], int] = defaultdict(int)
    last: dict[tuple[str, str], dt.datetime] = {}
    for first in range(0, len(names), NAMES_PER_QUERY):
        rows: Any = connection.execute(
            select(UsageRow.name, UsageRow.service, UsageRow.count, UsageRow.last_seen)
            .where(UsageRow.name.in_(names[first:first + NAMES_PER_QUERY])))
        for name, service, count, seen in rows:
            key = (name, service)
            counts[key] = min(counts[key] + count, MAX_COUNT)
            held = last.get(key)
            if held is None or seen > held:
                last[key] = seen
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name, service in sorted(counts):
        found[name].append({"service": service, "count": counts[name, service],
                            "last_seen": last[name, service],
                            "daily": daily.get((name, service)) or [0] * width})
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
