"""Published versions: content-addressed storage, the latest-version cache, seeding, storing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from telemetry_contracts.registry.service.audit import record
from telemetry_contracts.registry.service.errors import NotFound
from telemetry_contracts.registry.service.index import ContractIndex
from telemetry_contracts.registry.service.settings import Settings
from telemetry_contracts.registry.store.database import Database
from telemetry_contracts.registry.store.tables import Blob, Head, Version
from telemetry_contracts.schemas.snapshot import Snapshot

HEAD_ID = 1
LATEST = (select(Version.id, Version.number, Version.content_hash)
          .join(Head, Head.version_id == Version.id).where(Head.id == HEAD_ID))
"""The latest version's key, number and hash (:func:`latest_of`)."""


@dataclass(frozen=True)
class Latest:
    """The newest version's number and content hash, as last read from the database."""

    version_id: int
    number: str
    content_hash: str


def latest_of(rows: Sequence[Sequence[Any]]) -> Latest:
    """The :class:`Latest` in the rows of :data:`LATEST`."""
    if not rows:
        raise NotFound("the registry has no published version")
    version_id, number, content_hash = rows[0]
    return Latest(version_id, number, content_hash)


@dataclass(frozen=True)
class Encoded:
    """A snapshot ready to store: its canonical body (without version) and hashes."""

    content_hash: str
    body_hash: str
    body: bytes


def encode(snapshot: Snapshot) -> Encoded:
    """Hash ``snapshot`` (:meth:`Snapshot.compute_hash`) and its body: the same content with
    the version number blanked, so republished content shares its blob."""
    body = snapshot.model_copy(update={"version": ""}).model_dump_json(
        exclude_defaults=True, exclude={"content_hash"}).encode()
    return Encoded(snapshot.compute_hash(), "sha256:" + hashlib.sha256(body).hexdigest(), body)


class VersionStore:
    """Reads and writes versions; keeps parsed snapshots of recent versions in memory.

    Versions are immutable, so a cached snapshot is never stale; only which version is the
    latest can change, and that is re-read after ``snapshot_revalidate_seconds``.
    """

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self._snapshots: OrderedDict[str, tuple[Snapshot, bytes | None]] = OrderedDict()
        self._indexes: OrderedDict[str, ContractIndex] = OrderedDict()
        self._lock = threading.Lock()
        self._loading = threading.Lock()
        self._latest: Latest | None = None
        self._latest_checked = 0.0
        self._reread_claimed = -math.inf

    # -- latest --------------------------------------------------------------------------
    def latest(self, *, fresh: bool = False) -> Latest:
        """The newest version (cached for a short while unless ``fresh``)."""
        now = time.monotonic()
        cached = self._latest
        if (cached is not None and not fresh
                and now - self._latest_checked < self.settings.snapshot_revalidate_seconds):
            return cached
        with self.database.read() as session:
            latest = self.read_latest(session)
        self.remember_latest(latest)
        return latest

    def cached_latest(self) -> Latest | None:
        """The latest version without database access, or None: then read it with
        :meth:`latest`.

        Past the revalidation interval, one caller gets None and reads it again; until that read
        lands (or, if it never does, for one more interval) the others get the version read
        before. A herd of callers each reading it in a worker thread of its own stalled every
        request in flight for tens of milliseconds, once per interval.
        """
        now = time.monotonic()
        interval = self.settings.snapshot_revalidate_seconds
        if now - self._latest_checked < interval:
            return self._latest
        with self._lock:
            if self._latest is None or now - self._reread_claimed >= interval:
                self._reread_claimed = now
                return None
        return self._latest

    def last_known(self) -> Latest | None:
        """The latest version as last read, however long ago (no database access)."""
        return self._latest

    def remember_latest(self, latest: Latest) -> None:
        """Trust ``latest`` for the revalidation interval."""
        self._latest = latest
        self._latest_checked = time.monotonic()

    @staticmethod
    def read_latest(session: Session) -> Latest:
        """The latest version as the head row points at it."""
        return latest_of(session.connection().execute(LATEST).all())

    # -- snapshots -----------------------------------------------------------------------
    def snapshot(self, number: str, session: Session | None = None) -> Snapshot:
        """The snapshot of version ``number``."""
        return self._entry(number, session)[0]

    def index(self, number: str, session: Session | None = None) -> ContractIndex:
        """The look-up index of version ``number``'s snapshot, built once per cached snapshot."""
        snapshot = self.snapshot(number, session)
        with self._lock:
            index = self._indexes.get(number)
        if index is None or index.snapshot is not snapshot:
            index = ContractIndex.of(snapshot)
            with self._lock:
                self._indexes[number] = index
                while len(self._indexes) > 4:
                    self._indexes.popitem(last=False)
        return index

    def cached_index(self, number: str) -> ContractIndex | None:
        """The index of version ``number`` if it is in memory, else None (no database access)."""
        with self._lock:
            return self._indexes.get(number)

    def snapshot_bytes(self, number: str) -> bytes:
        """The snapshot file bytes of version ``number`` (as ``resolve -o`` writes them)."""
        snapshot, data = self._entry(number, None)
        if data is None:
            data = snapshot.to_json_bytes()
            with self._lock:
                self._snapshots[number] = (snapshot, data)
        return data

    def _entry(self, number: str, session: Session | None) -> tuple[Snapshot, bytes | None]:
        with self._lock:
            entry = self._snapshots.get(number)
            if entry is not None:
                self._snapshots.move_to_end(number)
                return entry
        with self._loading:  # callers wanting the same version wait for one load
            with self._lock:
                entry = self._snapshots.get(number)
            if entry is not None:
                return entry
            if session is None:
                with self.database.read() as own:
                    snapshot = self._load(own, number)
            else:
                snapshot = self._load(session, number)
            self._remember(snapshot)
        return snapshot, None

    def _remember(self, snapshot: Snapshot) -> None:
        with self._lock:
            self._snapshots[snapshot.version] = (snapshot, None)
            while len(self._snapshots) > 4:
                self._snapshots.popitem(last=False)

    @staticmethod
    def _load(session: Session, number: str) -> Snapshot:
        row = session.execute(
            select(Version.content_hash, Blob.data).join(Blob, Blob.body_hash == Version.body_hash)
            .where(Version.number == number)
        ).first()
        if row is None:
            raise NotFound(f"no version {number}")
        document = json.loads(zlib.decompress(row.data))
        document["version"] = number
        document["content_hash"] = row.content_hash
        return Snapshot.model_validate(document)

    # -- writing -------------------------------------------------------------------------
    def store(self, session: Session, snapshot: Snapshot, *, bump: str, note: str,
              actor: str) -> Version:
        """Insert ``snapshot`` as a new version and point the head at it (caller's transaction)."""
        encoded = encode(snapshot)
        if session.get(Blob, encoded.body_hash) is None:
            session.add(Blob(body_hash=encoded.body_hash, size=len(encoded.body),
                             data=zlib.compress(encoded.body, 1)))
        major, minor, patch = (int(part) for part in snapshot.version.split("."))
        version = Version(
            number=snapshot.version, major=major, minor=minor, patch=patch, bump=bump,
            content_hash=encoded.content_hash, body_hash=encoded.body_hash,
            attributes=len(snapshot.attributes), metrics=len(snapshot.metrics), note=note,
            published_by=actor, published_at=dt.datetime.now(dt.timezone.utc),
        )
        session.add(version)
        session.flush()
        head = session.get(Head, HEAD_ID)
        if head is None:
            session.add(Head(id=HEAD_ID, version_id=version.id,
                             registry_name=snapshot.registry))
        else:
            head.version_id = version.id
        record(session, actor, "version.publish", f"version:{snapshot.version}",
               {"bump": bump, "content_hash": encoded.content_hash})
        session.flush()
        return version

    def publish_done(self, snapshot: Snapshot, version: Version) -> None:
        """After commit: cache the new snapshot and its index, then make it the latest."""
        self._remember(snapshot.model_copy(update={"content_hash": version.content_hash}))
        self.index(version.number)
        self.remember_latest(Latest(version.id, version.number, version.content_hash))

    def seed(self, baseline: Callable[[], Snapshot]) -> None:
        """Publish the ``baseline()`` snapshot as the first version when the registry is empty."""
        with self.database.read() as session:
            if session.get(Head, HEAD_ID) is not None:
                return
        first = baseline()

        def work(session: Session) -> tuple[Snapshot, Version] | None:
            if session.get(Head, HEAD_ID, with_for_update=True) is not None:
                return None
            # The registry builds on the conventions; it is not OpenTelemetry's own release.
            snapshot = first.model_copy(update={
                "registry": self.settings.registry_name, "version": self.settings.seed_version,
                "schema_url": self.settings.schema_url})
            version = self.store(session, snapshot, bump="none",
                                 note=f"seeded from the semantic-convention baseline "
                                      f"{first.version}", actor="system")
            return snapshot, version

        seeded = self.database.write(work)
        if seeded is not None:
            self.publish_done(*seeded)
