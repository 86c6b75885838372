"""Opens a registry wherever it lives: a directory, ``git:REV[:SUBDIR]``, a snapshot file, a URL,
an archive (``PATH.zip[SUBDIR]``, local or at a URL), or the built-in ``semconv`` baseline, and
resolves it with its dependencies."""

from __future__ import annotations

import contextlib
import gc
import os
import posixpath
import re
import subprocess
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from telemetry_contracts import net
from telemetry_contracts.resolution.archive import (
    MAX_ARCHIVE_BYTES,
    ArchivePath,
    archive_path,
    read_members,
)
from telemetry_contracts.resolution.published import (
    is_published_manifest,
    read_resolved,
    resolved_file,
)
from telemetry_contracts.resolution.remote import (
    UrlTrust,
    current_trust,
    fetch_snapshot,
    parse_snapshot,
    require_allowed,
)
from telemetry_contracts.resolution.resolver import (
    ContractDocument,
    Resolver,
    parse_document,
    validation_error,
)
from telemetry_contracts.resolution.yaml_source import (
    MAX_FILE_BYTES,
    YAML_SUFFIXES,
    YamlMap,
    parse_yaml,
    read_yaml_file,
)
from telemetry_contracts.schemas.files import ManifestSpec
from telemetry_contracts.schemas.findings import ContractError
from telemetry_contracts.schemas.snapshot import Snapshot

BUILTIN_SEMCONV = "semconv"
MANIFEST = "manifest.yaml"
LEGACY_MANIFEST = "registry_manifest.yaml"
"""The manifest's name before Weaver renamed it ``manifest.yaml``; read where that is absent."""
MANIFESTS = (MANIFEST, LEGACY_MANIFEST)
_OFFICIAL_MODEL = re.compile(
    r"https://(?:opentelemetry\.io/schemas/[^/\s]+/?"
    r"|github\.com/open-telemetry/semantic-conventions/archive/\S+\.(?:zip|tar\.gz)"
    r"(?:\[[^\]]*\])?)"
)
"""A ``registry_path`` naming an official semantic-convention release, by its schema URL or by
the release archive Weaver downloads: read as the built-in baseline."""
_GIT_URL = re.compile(r"^https?://\S+\.git(?:@[^\[]+)?(?:\[[^\]]*\])?$")
"""A ``registry_path`` Weaver clones: ``URL.git[@REF][SUBDIR]``."""
ARCHIVE_DOWNLOAD_SECONDS = 60.0
_Item = TypeVar("_Item")  # what a tree entry carries: a blob id, or bytes
SiblingLoader = Callable[[str, int], "LoadedRegistry"]
"""Loads a dependency's relative ``registry_path`` (at a dependency depth) from where the
depending registry came from: its git tree or its archive."""
MAX_DEPENDENCY_DEPTH = 8
_SEMVER = re.compile(r"(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)")


@dataclass
class LoadedRegistry:
    """A resolved registry and, when it came from files, the documents it was read from."""

    snapshot: Snapshot
    origin: str
    documents: list[ContractDocument] = field(default_factory=list)
    manifest: ManifestSpec | None = None


def load_registry(reference: str | os.PathLike[str], *, cwd: str | None = None) -> LoadedRegistry:
    """Open and resolve the registry named by ``reference`` (see the module docstring)."""
    with cyclic_gc_paused():
        return _load(os.fspath(reference), cwd)


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a registry is read.

    Reading builds tens of thousands of YAML nodes and models that stay alive until resolution
    ends, so the collector would walk that growing graph again and again (it more than doubled
    composing time). None of them form reference cycles, so reference counting alone frees them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load(text: str, cwd: str | None) -> LoadedRegistry:
    archive = archive_path(text)
    if archive is not None:  # named by the caller: its token may go there
        data = _archive_bytes(archive.source, Path(cwd or "."), current_trust().allowing(text))
        return _load_archive_tree(read_members(data, archive.source), archive, 0)
    if text.startswith(("http://", "https://")):  # named by the caller: its token may go there
        return LoadedRegistry(fetch_snapshot(text, current_trust().allowing(text)), text)
    if text.startswith("git:"):
        return _load_git(text, cwd or os.getcwd(), depth=0)
    path = Path(cwd or ".") / text
    if text == BUILTIN_SEMCONV and not path.exists():
        from telemetry_contracts.resolution.baseline import baseline_snapshot

        return LoadedRegistry(baseline_snapshot(), BUILTIN_SEMCONV)
    if path.is_file() and path.suffix == ".json":
        return LoadedRegistry(read_snapshot_file(path), text)
    if path.is_dir():
        return _load_directory(path, text, depth=0)
    if path.is_file() and path.suffix in YAML_SUFFIXES:
        return _resolve_files([(path.name, _read_file(path, text))], text, None, path.parent, 0,
                              folder=os.path.dirname(text))
    raise ContractError(
        "TC100",
        "no registry here: expected a directory, a snapshot .json file, "
        "git:REV[:SUBDIR], a registry URL, an archive (PATH.zip[SUBDIR]) or `semconv`",
        text,
    )


def read_snapshot_file(path: str | os.PathLike[str]) -> Snapshot:
    """Read a resolved snapshot JSON file."""
    display = os.fspath(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ContractError("TC100", f"cannot read file: {error.strerror}", display) from None
    return parse_snapshot(data, display)


def _read_file(path: Path, display: str) -> object:
    return read_yaml_file(path, display)


def _load_directory(root: Path, display: str, depth: int) -> LoadedRegistry:
    files: list[tuple[str, object]] = []
    for path in sorted(_contract_files(root)):
        relative = path.relative_to(root).as_posix()
        files.append((relative, read_yaml_file(path, _join(display, relative))))
    manifest_path = manifest_in(root)
    if manifest_path is None:
        return _resolve_files(files, display, None, root, depth)
    manifest_display = _join(display, manifest_path.name)
    return _resolve_files(files, display, read_yaml_file(manifest_path, manifest_display), root,
                          depth, manifest_display=manifest_display)


def manifest_in(directory: Path) -> Path | None:
    """The manifest of a registry directory: ``manifest.yaml``, else ``registry_manifest.yaml``."""
    for name in MANIFESTS:
        if (directory / name).is_file():
            return directory / name
    return None


def _contract_files(root: Path) -> Iterator[Path]:
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in names:
            if name.endswith(YAML_SUFFIXES) and name not in MANIFESTS and not name.startswith("."):
                yield Path(directory) / name


def _join(display: str, relative: str) -> str:
    return f"{display.rstrip('/')}/{relative}" if display else relative


def _resolve_files(
    files: list[tuple[str, object]],
    display: str,
    manifest_raw: object,
    base: Path | None,
    depth: int,
    siblings: SiblingLoader | None = None,
    folder: str | None = None,
    manifest_display: str | None = None,
) -> LoadedRegistry:
    """Resolve ``files`` (paths relative to ``folder``, by default ``display``) with the
    manifest read from ``manifest_display`` (by default ``display``'s ``manifest.yaml``)."""
    manifest_display = manifest_display or _join(display, MANIFEST)
    manifest = _parse_manifest(manifest_raw, manifest_display)
    dependencies = []
    for dependency in manifest.dependencies if manifest else ():
        registry_path = dependency.registry_path or BUILTIN_SEMCONV  # the official model
        loaded = _load_dependency(registry_path, base, manifest_display, depth, siblings)
        dependencies.append((dependency.label, loaded.snapshot))
    resolver = Resolver(dependencies)
    documents = []
    for relative, raw in files:
        if raw is None:
            continue
        document = parse_document(_join(display if folder is None else folder, relative), raw)
        resolver.add(document)
        documents.append(document)
    name = (manifest.name if manifest and manifest.name else None) or _registry_name(display)
    schema_url = manifest.registry_schema_url if manifest else None
    snapshot = resolver.resolve(name, _registry_version(manifest, display), schema_url)
    return LoadedRegistry(snapshot, display, documents, manifest)


def _parse_manifest(raw: object, display: str) -> ManifestSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, YamlMap):
        raise ContractError("TC108", "a manifest must be a mapping", display, 1, 1)
    try:
        return ManifestSpec.model_validate(raw)
    except ValidationError as error:
        finding = validation_error(error, raw, display).finding
        raise ContractError(
            "TC108", finding.message, display, finding.location.line, finding.location.column
        ) from None


def _load_dependency(
    registry_path: str,
    base: Path | None,
    display: str,
    depth: int,
    siblings: SiblingLoader | None,
) -> LoadedRegistry:
    """The registry a dependency of the manifest ``display`` names. A relative path is one of
    ``siblings``' folders when the registry came from a git tree or an archive; on disk it is
    relative to the manifest's folder, else (as Weaver reads it) to the working directory."""
    if depth >= MAX_DEPENDENCY_DEPTH:
        raise ContractError(
            "TC108",
            f"dependencies nest deeper than {MAX_DEPENDENCY_DEPTH} levels (a cycle?)",
            display,
        )
    if registry_path == BUILTIN_SEMCONV or _OFFICIAL_MODEL.fullmatch(registry_path):
        from telemetry_contracts.resolution.baseline import baseline_snapshot

        return LoadedRegistry(baseline_snapshot(), BUILTIN_SEMCONV)
    if _GIT_URL.match(registry_path):
        raise ContractError(
            "TC108",
            f"dependency `{registry_path}` is a git repository to clone, which is not done",
            display,
            hint="clone it and point registry_path at the registry's folder in the clone",
        )
    archive = archive_path(registry_path)
    if archive is not None:
        if net.is_url(archive.source):
            require_allowed(archive.source, display)
        elif siblings is not None:
            raise ContractError(
                "TC108", f"dependency `{registry_path}`: an archive inside a git tree or an "
                "archive is not read", display)
        data = _archive_bytes(archive.source, base or Path("."), current_trust())
        return _load_archive_tree(read_members(data, archive.source), archive, depth + 1)
    if registry_path.startswith("git:"):
        return _load_git(registry_path, str(base or "."), depth + 1)
    if registry_path.startswith(("http://", "https://")):
        require_allowed(registry_path, display)
        return LoadedRegistry(fetch_snapshot(registry_path), registry_path)
    if siblings is not None:
        return siblings(registry_path, depth + 1)
    target = (base or Path(".")) / registry_path
    if not target.exists() and Path(registry_path).exists():
        target = Path(registry_path)  # relative to the working directory, as Weaver reads it
    if target.is_file() and target.suffix == ".json":
        return LoadedRegistry(read_snapshot_file(target), str(target))
    manifest = manifest_in(target) if target.is_dir() else None
    if manifest is not None:
        target = manifest  # a published package is read through its manifest
    if target.is_file() and target.suffix in YAML_SUFFIXES:
        return _load_published(target, depth + 1)
    if not target.is_dir():
        raise ContractError(
            "TC108",
            f"dependency `{registry_path}` is not a directory, git:REV[:SUBDIR], URL, archive "
            "or `semconv`",
            display,
        )
    return _load_directory(target, os.path.relpath(target), depth + 1)


def _load_published(path: Path, depth: int) -> LoadedRegistry:
    """A registry Weaver published (its ``manifest/2.0.0`` manifest or its resolved file), or
    the directory of an ordinary manifest."""
    display = os.path.relpath(path)
    raw = read_yaml_file(path, display)
    if path.name in MANIFESTS and not is_published_manifest(raw):
        return _load_directory(path.parent, os.path.relpath(path.parent), depth)
    if is_published_manifest(raw):
        resolved = resolved_file(raw, path, display)
        files = [(resolved.name, read_resolved(resolved, os.path.relpath(resolved)))]
        return _resolve_files(files, os.path.relpath(resolved.parent), raw, path.parent, depth)
    return _resolve_files([(path.name, raw)], display, None, path.parent, depth,
                          folder=os.path.dirname(display))


def _load_git(reference: str, cwd: str, depth: int) -> LoadedRegistry:
    """``git:REV[:SUBDIR]`` read straight from the object store, with no checkout."""
    _, _, rest = reference.partition(":")
    revision, _, subdir = rest.partition(":")
    if not revision:
        raise ContractError("TC100", "expected git:REV[:SUBDIR]", reference)
    repository = _git(["rev-parse", "--show-toplevel"], cwd, reference).decode().strip()
    prefix = _git(["rev-parse", "--show-prefix"], cwd, reference).decode().strip()
    subdir = os.path.normpath(os.path.join(prefix, subdir)) if subdir else prefix.rstrip("/")
    return _load_git_tree(repository, revision, subdir if subdir != "." else "", depth)


def _load_git_tree(repository: str, revision: str, subdir: str, depth: int) -> LoadedRegistry:
    display = f"git:{revision}:{subdir}" if subdir else f"git:{revision}"
    listing = _git(
        ["ls-tree", "-r", "-z", "--long", revision, "--", subdir or "."], repository, display
    )
    blobs: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.decode().partition("\t")
        _, kind, sha, size = meta.split()
        relative = os.path.relpath(name, subdir) if subdir else name
        if kind != "blob" or not name.endswith(YAML_SUFFIXES):
            continue
        if int(size) > MAX_FILE_BYTES:
            raise ContractError(
                "TC105",
                f"file is {int(size):,} bytes, over the {MAX_FILE_BYTES:,}-byte limit",
                _join(display, relative),
            )
        blobs.append((relative, sha))
    files, manifest = _registry_entries(blobs)
    contents = _git_blobs(
        repository, [sha for _, sha in files] + ([manifest[1]] if manifest else []), display
    )

    def in_tree(path: str, depth: int) -> LoadedRegistry:
        return _load_git_tree(
            repository, revision, os.path.normpath(os.path.join(subdir, path)), depth
        )

    return _resolve_tree(
        [(relative, contents[sha]) for relative, sha in files],
        (manifest[0], contents[manifest[1]]) if manifest else None, display, depth, in_tree,
    )


def _load_archive_tree(members: dict[str, bytes], archive: ArchivePath, depth: int
                       ) -> LoadedRegistry:
    """The registry in ``archive.subdir`` of an archive's YAML ``members``; a relative dependency
    is another folder of the same archive."""
    display = archive.display
    if archive.subdir == ".." or archive.subdir.startswith("../"):
        raise ContractError("TC108", "the folder is outside the archive", display)
    prefix = f"{archive.subdir}/" if archive.subdir else ""
    files, manifest = _registry_entries(
        (path[len(prefix):], body) for path, body in members.items() if path.startswith(prefix)
    )
    if not files and manifest is None:
        raise ContractError("TC100", "no YAML files in that folder of the archive", display)

    def in_archive(path: str, depth: int) -> LoadedRegistry:
        folder = posixpath.normpath(posixpath.join(archive.subdir or ".", path))
        return _load_archive_tree(
            members, ArchivePath(archive.source, "" if folder == "." else folder), depth
        )

    return _resolve_tree(files, manifest, display, depth, in_archive)


def _archive_bytes(source: str, base: Path, trust: UrlTrust) -> bytes:
    """An archive's bytes: downloaded within bounds (the token only where ``trust`` allows) and
    kept in the cache, so that an unchanged one is not downloaded again; or read from disk
    relative to ``base``."""
    if net.is_url(source):
        try:
            return net.cached_get(
                source, token=trust.token if trust.allows(source) else None,
                deadline=ARCHIVE_DOWNLOAD_SECONDS, max_bytes=MAX_ARCHIVE_BYTES)
        except net.RequestFailed as error:
            raise ContractError("TC100", f"cannot fetch the archive: {error}", source) from None
    path = base / source
    try:
        if path.stat().st_size > MAX_ARCHIVE_BYTES:
            raise ContractError("TC105", f"archive is over {MAX_ARCHIVE_BYTES:,} bytes", source)
        return path.read_bytes()
    except OSError as error:
        raise ContractError("TC100", f"cannot read the archive: {error.strerror}",
                            source) from None


def _registry_entries(entries: Iterable[tuple[str, _Item]]
                      ) -> tuple[list[tuple[str, _Item]], tuple[str, _Item] | None]:
    """A registry folder's contract files, sorted (none hidden, none named as a manifest is),
    and its manifest: ``manifest.yaml``, else ``registry_manifest.yaml``."""
    files: list[tuple[str, _Item]] = []
    manifests: dict[str, _Item] = {}
    for relative, item in entries:
        parts = relative.split("/")
        if relative in MANIFESTS:
            manifests[relative] = item
        elif parts[-1] not in MANIFESTS and not any(part.startswith(".") for part in parts):
            files.append((relative, item))
    manifest = next(((name, manifests[name]) for name in MANIFESTS if name in manifests), None)
    return sorted(files, key=lambda entry: entry[0]), manifest


def _resolve_tree(files: list[tuple[str, bytes]], manifest: tuple[str, bytes] | None,
                  display: str, depth: int, siblings: SiblingLoader) -> LoadedRegistry:
    """Resolve a registry read from a git tree or an archive: its files' and manifest's bytes."""
    parsed: list[tuple[str, object]] = [
        (relative, parse_yaml(body, _join(display, relative))) for relative, body in files
    ]
    if manifest is None:
        return _resolve_files(parsed, display, None, None, depth, siblings=siblings)
    manifest_display = _join(display, manifest[0])
    return _resolve_files(parsed, display, parse_yaml(manifest[1], manifest_display), None,
                          depth, siblings=siblings, manifest_display=manifest_display)


def _git(arguments: list[str], cwd: str, display: str) -> bytes:
    try:
        result = subprocess.run(
            ["git", *arguments], cwd=cwd, capture_output=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ContractError("TC100", f"git failed: {error}", display) from None
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise ContractError("TC100", f"git: {message[0] if message else 'failed'}", display)
    return result.stdout


def _git_blobs(repository: str, shas: list[str], display: str) -> dict[str, bytes]:
    """Read many blobs with one ``git cat-file --batch``."""
    if not shas:
        return {}
    output = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repository,
        check=False,
        input="\n".join(shas).encode() + b"\n",
        capture_output=True,
        timeout=60,
    ).stdout
    contents: dict[str, bytes] = {}
    position = 0
    for _ in shas:
        header_end = output.index(b"\n", position)
        sha, _, size = output[position:header_end].decode().split()
        start = header_end + 1
        contents[sha] = output[start : start + int(size)]
        position = start + int(size) + 1
    if len(contents) != len(set(shas)):
        raise ContractError("TC100", "git cat-file returned fewer blobs than asked for", display)
    return contents


def _registry_name(display: str) -> str:
    """The last meaningful part of where a registry came from (an archive's name without its
    suffix and folder)."""
    archive = archive_path(display)
    if archive is not None:
        display = archive.name
    parts = [p for p in re.split(r"[/:]", display) if p and p not in (".", "..", "model", "git")]
    return parts[-1] if parts else "registry"


def _registry_version(manifest: ManifestSpec | None, display: str) -> str:
    """manifest ``version``, else ``semconv_version``, else ``schema_url``'s, else the path's."""
    candidates = (
        [manifest.version, manifest.semconv_version, manifest.schema_url] if manifest else []
    )
    if net.is_url(display):  # its path: a host's address is no version
        candidates.append(urllib.parse.urlsplit(display).path)
    else:
        candidates.append(os.path.abspath(display) if not display.startswith("git:") else display)
    for candidate in candidates:
        match = _SEMVER.search(candidate or "")
        if match:
            return match.group(1)
    return "0.0.0"
