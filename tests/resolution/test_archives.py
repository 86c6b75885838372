"""Registries in archives, as Weaver names them (``PATH.zip[SUBDIR]``, ``PATH.tar.gz[SUBDIR]``,
local or at a URL): an official release packed as GitHub packs it reads as its ``model/``
folder does, and hostile archives are refused within bounds."""

from __future__ import annotations

import gzip
import io
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from telemetry_contracts.resolution import archive
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.resolution.remote import UrlTrust, trusting
from telemetry_contracts.schemas.findings import ContractError
from tests.conftest import semconv_model
from tests.loopback_servers import recording_server
from tests.resolution.test_resolver import write_files
from tests.resolution.test_weaver_manifests import SIGNALS, metric_refs

RELEASE = "v1.26.0"
TOP = "semantic-conventions-1.26.0"  # the folder GitHub's release archives put everything in


def release_files() -> dict[str, bytes]:
    """The official v1.26.0 model as GitHub's archive of the tag holds it, with a file that is
    not YAML beside it."""
    model = semconv_model(RELEASE)
    files = {f"{TOP}/model/{path.relative_to(model).as_posix()}": path.read_bytes()
             for path in sorted(model.rglob("*")) if path.is_file()}
    files[f"{TOP}/README.md"] = b"# Semantic Conventions\n"
    return files


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as packed:
        for name, body in files.items():
            packed.writestr(name, body)
    return buffer.getvalue()


def tarred(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as packed:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            packed.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def described(items: tuple[Any, ...]) -> list[dict[str, Any]]:
    """What the items say, without where they were read."""
    return [item.model_dump(exclude={"source"}) for item in items]


@pytest.fixture(scope="module")
def from_the_folder() -> object:
    return load_registry(semconv_model(RELEASE)).snapshot


@pytest.mark.parametrize(("suffix", "pack"), [(".zip", zipped), (".tar.gz", tarred)])
def test_an_official_release_archive_reads_as_its_model_folder(
    tmp_path: Path, suffix: str, pack: object, from_the_folder: object
) -> None:
    (tmp_path / f"release{suffix}").write_bytes(pack(release_files()))  # type: ignore[operator]
    loaded = load_registry(f"release{suffix}[model]", cwd=str(tmp_path))
    snapshot = loaded.snapshot
    for kind in ("attributes", "metrics", "spans", "events"):
        assert described(getattr(snapshot, kind)) == described(getattr(from_the_folder, kind))
    assert snapshot.attributes[0].source.file.startswith(f"release{suffix}[model]/registry/")
    assert (snapshot.registry, snapshot.version) == ("release", "0.0.0")


def test_a_registry_depends_on_a_release_archive_beside_it(tmp_path: Path) -> None:
    (tmp_path / "otel.zip").write_bytes(zipped(release_files()))
    write_files(tmp_path / "todo", {
        "registry_manifest.yaml": (
            "name: todo_app\nsemconv_version: 0.1.0\nschema_base_url: https://todo.example/\n"
            "dependencies:\n  - name: otel\n    registry_path: ../otel.zip[model]\n"
        ),
        "signals.yaml": SIGNALS.replace("ref: host.name", "ref: http.method"),
    })
    snapshot = load_registry(tmp_path / "todo").snapshot
    assert metric_refs(snapshot, "todo.created") == ["todo.id", "http.method"]
    # v1.26.0 itself defines `http.method`, deprecated there for `http.request.method`
    method = next(a for a in snapshot.attributes if a.key == "http.method")
    assert method.origin == "otel" and method.deprecated is not None


def test_a_dependency_inside_an_archive_is_a_folder_of_the_same_archive(tmp_path: Path) -> None:
    files = {
        "pack/acme/acme.yaml": (
            b"file_format: definition/2\nattributes:\n  - key: acme.tenant\n    type: string\n"
            b"    brief: The tenant.\n    stability: development\n    examples: [t1]\n"
        ),
        "pack/app/manifest.yaml": (
            b"name: app\nversion: 1.0.0\ndependencies:\n  - name: acme\n"
            b"    registry_path: ../acme\n  - name: otel\n    registry_path: semconv\n"
        ),
        "pack/app/app.yaml": SIGNALS.replace("ref: todo.id", "ref: acme.tenant").encode(),
    }
    (tmp_path / "pack.tgz").write_bytes(tarred(files))
    snapshot = load_registry("pack.tgz[app]", cwd=str(tmp_path)).snapshot
    assert snapshot.registry == "app"
    assert metric_refs(snapshot, "todo.created") == ["acme.tenant", "host.name"]


def test_an_archive_at_a_url_is_fetched_when_its_origin_is_allowed(tmp_path: Path) -> None:
    body = zipped(release_files())
    write_files(tmp_path, {
        "registry_manifest.yaml": "",  # filled in below with the server's URL
        "signals.yaml": SIGNALS,
    })
    with recording_server(lambda seen: (200, {"Content-Type": "application/zip"}, body)) as server:
        url = f"{server.url}/releases/otel.zip[model]"
        (tmp_path / "registry_manifest.yaml").write_text(
            "name: todo_app\nversion: 0.1.0\ndependencies:\n"
            f"  - name: otel\n    registry_path: {url}\n"
        )
        with pytest.raises(ContractError) as refused:  # a checked file names it
            load_registry(tmp_path)
        assert refused.value.finding.code == "TC110" and not server.seen
        with trusting(UrlTrust.from_env(allow=[server.url], environ={})):
            snapshot = load_registry(tmp_path).snapshot
        assert [seen.path for seen in server.seen] == ["/releases/otel.zip"]
        # named on the command line, it is allowed as it is
        alone = load_registry(url).snapshot
    assert metric_refs(snapshot, "todo.created") == ["todo.id", "host.name"]
    assert len(alone.attributes) > 400
    assert (alone.registry, alone.version) == ("otel", "0.0.0")  # not the server's address


def test_an_archive_at_a_url_is_downloaded_once_while_it_is_unchanged(
        private_cache_dir: Path) -> None:
    """As a pre-commit hook loads it on every commit: the kept copy is revalidated, not
    downloaded again, and a new release at the same URL is."""
    bodies = [zipped(release_files())]

    def answer(seen: Any) -> tuple[int, dict[str, str], bytes]:
        version = f'"{len(bodies)}"'
        if seen.headers.get("if-none-match") == version:
            return 304, {}, b""
        return 200, {"Content-Type": "application/zip", "ETag": version}, bodies[-1]

    with recording_server(answer) as server:
        url = f"{server.url}/releases/otel.zip[model]"
        first = load_registry(url).snapshot
        again = load_registry(url).snapshot
        bodies.append(zipped({**release_files(), "model/extra.yaml": b"groups: []\n"}))
        load_registry(url)
    assert again.to_json_bytes() == first.to_json_bytes()
    assert [seen.headers.get("if-none-match") for seen in server.seen] == [None, '"1"', '"1"']
    (kept,) = (private_cache_dir / "downloads").glob("*.body")
    assert kept.read_bytes() == bodies[-1]


def test_offline_an_archive_at_a_url_is_read_from_its_kept_copy(
        private_cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pre-commit hook on a machine without the network: the error names the way out, and
    with it the registry loads as it did online."""
    with recording_server(lambda seen: (200, {"ETag": '"1"'}, zipped(release_files()))) as server:
        url = f"{server.url}/releases/otel.zip[model]"
        online = load_registry(url).snapshot
    with pytest.raises(ContractError) as caught:
        load_registry(url)
    assert caught.value.finding.code == "TC100"
    assert "TELEMETRY_CONTRACTS_OFFLINE=1" in caught.value.finding.message
    monkeypatch.setenv("TELEMETRY_CONTRACTS_OFFLINE", "1")
    assert load_registry(url).snapshot.to_json_bytes() == online.to_json_bytes()
    assert len(server.seen) == 1


def test_a_git_repository_to_clone_is_refused_with_what_to_do(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "manifest.yaml": (
            "name: app\ndependencies:\n  - name: acme\n"
            "    registry_path: https://github.com/acme/conventions.git@v2[model]\n"
        ),
        "signals.yaml": SIGNALS.replace("      - ref: host.name\n", ""),
    })
    with pytest.raises(ContractError) as caught:
        load_registry(tmp_path)
    assert caught.value.finding.code == "TC108"
    assert "git repository to clone" in caught.value.finding.message
    assert caught.value.finding.hint is not None and "clone it" in caught.value.finding.hint


def refused(tmp_path: Path, name: str, data: bytes) -> ContractError:
    (tmp_path / name).write_bytes(data)
    started = time.perf_counter()
    with pytest.raises(ContractError) as caught:
        load_registry(name, cwd=str(tmp_path))
    assert time.perf_counter() - started < 30, "refused, but not quickly"
    return caught.value


def test_a_zip_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # one YAML member that inflates past the file limit, whatever its header says
    monkeypatch.setattr(archive, "MAX_FILE_BYTES", 1024 * 1024)
    error = refused(tmp_path, "bomb.zip", zipped({"model/a.yaml": b"# " + b"x" * 50_000_000}))
    assert error.finding.code == "TC105" and "byte limit" in error.finding.message


def test_a_tar_bomb_is_refused_having_unpacked_no_more_than_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "MAX_UNPACKED_BYTES", 8 * 1024 * 1024)
    spent: list[int] = []
    unpack = archive._Budget.unpack

    def counting(self: archive._Budget, size: int) -> None:
        spent.append(self.unpacked + size)
        unpack(self, size)

    monkeypatch.setattr(archive._Budget, "unpack", counting)
    # a member that is not YAML still has to be decompressed to get past it
    error = refused(tmp_path, "bomb.tar.gz", tarred({"pack/blob.bin": bytes(64 * 1024 * 1024)}))
    assert error.finding.code == "TC105" and "unpacks to over" in error.finding.message
    assert max(spent) <= 8 * 1024 * 1024 + 2 * 1024 * 1024  # one read past the bound, no more


def test_a_flood_of_members_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_MEMBERS", 100)
    files = {f"model/{n}.yaml": b"groups: []\n" for n in range(101)}
    for name, pack in (("many.zip", zipped), ("many.tar.gz", tarred)):
        error = refused(tmp_path, name, pack(files))
        assert error.finding.code == "TC105" and "members" in error.finding.message


def test_members_that_leave_the_archive_and_broken_archives(tmp_path: Path) -> None:
    escaping = zipped({"../../outside.yaml": b"not: read\n", "model/ok.yaml": b"groups: []\n"})
    assert archive.read_members(escaping, "x.zip") == {"ok.yaml": b"groups: []\n"}
    error = refused(tmp_path, "broken.zip", b"PK\x03\x04 this is not the rest of a zip")
    assert error.finding.code == "TC102"
    error = refused(tmp_path, "broken.tar.gz", gzip.compress(b"not a tar archive" * 100))
    assert error.finding.code == "TC102"
    error = refused(tmp_path, "text.zip", b"hello")
    assert error.finding.code == "TC102" and "not a zip" in error.finding.message
    error = refused(tmp_path, "empty.zip", zipped({"README.md": b"nothing here"}))
    assert error.finding.code == "TC100"
