"""Registries packed in an archive, named as Weaver names them: ``PATH.zip`` or ``PATH.tar.gz``
(also ``.tgz``), local or at an http(s) URL, with an optional ``[SUBDIR]`` inside it.

The archive is read in memory, never unpacked to disk, and within bounds: a hostile archive (a
zip or gzip bomb, a flood of members, a member that lies about its size) is refused with TC105
having decompressed at most :data:`MAX_UNPACKED_BYTES` and kept at most :data:`MAX_YAML_BYTES`.
Only YAML members are kept; when every member lies under one top-level folder (as in GitHub's
release archives), paths start below it, so ``v1.34.0.zip[model]`` names
``semantic-conventions-1.34.0/model``.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import re
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

from telemetry_contracts.resolution.yaml_source import MAX_FILE_BYTES, YAML_SUFFIXES
from telemetry_contracts.schemas.findings import ContractError

_SUFFIX = r"\.(?:zip|tar\.gz|tgz)"
ARCHIVE_PATH = re.compile(rf"^(?P<source>.+?{_SUFFIX})(?:\[(?P<subdir>[^\]]*)\])?$")
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
"""An archive's own size, as downloaded or read from disk."""
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
"""Bytes decompressed from one archive."""
MAX_YAML_BYTES = 64 * 1024 * 1024
"""Bytes of YAML members kept from one archive."""
MAX_MEMBERS = 50_000


@dataclass(frozen=True)
class ArchivePath:
    """An archive and the folder inside it that holds the registry."""

    source: str
    subdir: str

    @property
    def display(self) -> str:
        """How findings name it: ``SOURCE[SUBDIR]``, or the source alone for its root."""
        return f"{self.source}[{self.subdir}]" if self.subdir else self.source

    @property
    def name(self) -> str:
        """The archive's file name without its suffix."""
        return re.sub(rf"{_SUFFIX}$", "", self.source.rpartition("/")[2])


def archive_path(text: str) -> ArchivePath | None:
    """``text`` as an archive path, or None when it names no archive."""
    match = ARCHIVE_PATH.match(text)
    if match is None:
        return None
    subdir = posixpath.normpath(match["subdir"] or ".").strip("/")
    return ArchivePath(match["source"], "" if subdir == "." else subdir)


def read_members(data: bytes, display: str) -> dict[str, bytes]:
    """The YAML members of a zip or gzipped tar archive by relative path, below its one
    top-level folder when it has one."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ContractError("TC105", f"archive is over {MAX_ARCHIVE_BYTES:,} bytes", display)
    budget = _Budget(display)
    if data[:2] == b"PK":
        members = _zip_members(data, budget)
    elif data[:2] == b"\x1f\x8b":
        members = _tar_members(data, budget)
    else:
        raise ContractError("TC102", "not a zip or gzipped tar archive", display)
    tops = {path.partition("/")[0] for path in members}
    if len(tops) == 1 and all("/" in path for path in members):
        cut = len(tops.pop()) + 1
        members = {path[cut:]: body for path, body in members.items()}
    return members


def _zip_members(data: bytes, budget: _Budget) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        budget.count(len(infos))
        members: dict[str, bytes] = {}
        for info in infos:
            path = _yaml_path(info.filename)
            if path is not None and not info.is_dir():
                with archive.open(info) as member:
                    members[path] = budget.keep(member, path)
        return members
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as error:
        raise ContractError("TC102", f"not a readable zip archive: {error}",
                            budget.display) from None


def _tar_members(data: bytes, budget: _Budget) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    try:
        unpacked = _Charged(gzip.GzipFile(fileobj=io.BytesIO(data)), budget)
        # stream mode: one pass over the decompressed bytes, each charged to the budget
        with tarfile.open(fileobj=unpacked, mode="r|") as archive:
            for number, info in enumerate(archive, 1):
                budget.count(number)
                path = _yaml_path(info.name)
                member = archive.extractfile(info) if info.isfile() and path else None
                if path is not None and member is not None:
                    members[path] = budget.keep(member, path)
        return members
    except (tarfile.TarError, zlib.error, OSError, EOFError, ValueError) as error:
        raise ContractError("TC102", f"not a readable tar.gz archive: {error}",
                            budget.display) from None


def _yaml_path(name: str) -> str | None:
    """A YAML member's normalised relative path; None for anything else, or for a path that
    leaves the archive."""
    path = posixpath.normpath(name.replace("\\", "/")).lstrip("/")
    if not path.endswith(YAML_SUFFIXES) or path == ".." or path.startswith("../"):
        return None
    return path


class _Budget:
    """What one archive may cost: members, bytes decompressed, bytes kept."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.unpacked = 0
        self.kept = 0

    def count(self, members: int) -> None:
        if members > MAX_MEMBERS:
            raise ContractError("TC105", f"archive has over {MAX_MEMBERS:,} members",
                                self.display)

    def unpack(self, size: int) -> None:
        self.unpacked += size
        if self.unpacked > MAX_UNPACKED_BYTES:
            raise ContractError("TC105", f"archive unpacks to over {MAX_UNPACKED_BYTES:,} bytes",
                                self.display)

    def keep(self, member: IO[bytes], path: str) -> bytes:
        """A member's bytes, refused past :data:`MAX_FILE_BYTES` whatever it declares."""
        body = member.read(MAX_FILE_BYTES + 1)
        if len(body) > MAX_FILE_BYTES:
            raise ContractError("TC105", f"file is over the {MAX_FILE_BYTES:,}-byte limit",
                                f"{self.display}/{path}")
        self.kept += len(body)
        if self.kept > MAX_YAML_BYTES:
            raise ContractError("TC105", f"archive holds over {MAX_YAML_BYTES:,} bytes of YAML",
                                self.display)
        return body


class _Charged(io.RawIOBase):
    """A decompressing stream whose every byte read is charged to a :class:`_Budget`."""

    def __init__(self, stream: io.BufferedIOBase, budget: _Budget) -> None:
        self.stream = stream
        self.budget = budget

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size if size is not None and size >= 0 else 1 << 20)
        self.budget.unpack(len(chunk))
        return chunk
