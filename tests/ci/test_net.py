"""The one HTTP helper of the CLI and the guard, against real loopback servers: deadlines that
hold whatever part of the exchange stalls, redirects, the token kept to its origin, and
downloads kept and revalidated."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from telemetry_contracts import net
from tests.loopback_servers import Answer, Seen, dripping_server, recording_server


def test_a_hanging_name_lookup_ends_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    released = threading.Event()
    real = socket.getaddrinfo

    def hanging(host: str, *args: object, **kwargs: object) -> object:
        if host == "registry.invalid":
            released.wait(30)
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    with pytest.raises(net.RequestFailed, match="within the deadline"):
        net.request("http://registry.invalid/v1/snapshot", deadline=0.3)
    assert not released.is_set()  # it returned while the lookup still hung
    released.set()


def test_a_dripping_body_ends_at_the_deadline() -> None:
    with (dripping_server(interval=0.05) as (url, accepted),
          pytest.raises(net.RequestFailed, match="within the deadline")):
        net.request(url, deadline=0.5)
    assert len(accepted) == 1


def test_redirects_keep_the_token_on_its_origin_and_are_bounded() -> None:
    with recording_server(lambda seen: (200, {}, b"ok")) as other:
        def answer(seen: Seen) -> tuple[int, dict[str, str], bytes]:
            if seen.path == "/loop":
                return 302, {"Location": "/loop"}, b""
            if seen.path == "/file":
                return 302, {"Location": "file:///etc/passwd"}, b""
            if seen.path == "/same":
                return 303, {"Location": "/done"}, b""
            if seen.path == "/done":
                return 200, {}, b"here"
            return 307, {"Location": other.url + "/there"}, b""

        with recording_server(answer) as registry:
            assert net.request(registry.url + "/same", method="POST", body=b"{}",
                               token="t").body == b"here"
            assert [(s.method, s.headers.get("authorization")) for s in registry.seen] == [
                ("POST", "Bearer t"), ("GET", "Bearer t")]
            assert net.request(registry.url + "/away", token="t").body == b"ok"
            with pytest.raises(net.RequestFailed, match="redirects"):
                net.request(registry.url + "/loop", token="t")
            with pytest.raises(net.RequestFailed, match="not an http"):
                net.request(registry.url + "/file", token="t")
    assert other.authorizations() == [None]


def test_errors_carry_the_status() -> None:
    with (recording_server(lambda seen: (503, {"Retry-After": "1"}, b"busy")) as server,
          pytest.raises(net.HttpStatusError) as failed):
        net.request(server.url)
    assert failed.value.status == 503 and failed.value.headers["retry-after"] == "1"


def test_the_token_stays_off_after_a_detour_through_another_origin() -> None:
    first: list[str] = []

    def detour(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        return 302, {"Location": first[0] + "/back"}, b""

    def origin_answer(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        if seen.path == "/back":
            return 200, {}, b"back"
        return 302, {"Location": elsewhere.url + "/detour"}, b""

    with recording_server(detour) as elsewhere, recording_server(origin_answer) as registry:
        first.append(registry.url)
        assert net.request(registry.url + "/start", token="t").body == b"back"
    assert registry.authorizations() == ["Bearer t", None]
    assert elsewhere.authorizations() == [None]


def test_http_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    with recording_server(lambda seen: (200, {}, b"via proxy")) as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        answer = net.request("http://registry.example.com:8000/v1/snapshot?x=1", token="t")
        monkeypatch.setenv("no_proxy", "registry.example.com")
        with pytest.raises(net.RequestFailed):  # bypassed: the name itself does not resolve
            net.request("http://registry.example.com:8000/v1/snapshot", deadline=2)
    assert answer.body == b"via proxy"
    assert [seen.path for seen in proxy.seen] == [
        "http://registry.example.com:8000/v1/snapshot?x=1"]


def _versioned(bodies: list[bytes], etag: bool = True) -> Callable[[Seen], Answer]:
    """A server of one URL whose body is ``bodies[-1]``, answering 304 to a matching
    ``If-None-Match`` (or ``If-Modified-Since``, when it sends no ``ETag``)."""
    def answer(seen: Seen) -> Answer:
        version = f'"v{len(bodies)}"'
        stamp = f"Sat, 0{len(bodies)} Dec 2026 10:00:00 GMT"
        if (seen.headers.get("if-none-match") == version if etag
                else seen.headers.get("if-modified-since") == stamp):
            return 304, {}, b""
        return 200, {"ETag": version} if etag else {"Last-Modified": stamp}, bodies[-1]
    return answer


@pytest.mark.parametrize("etag", [True, False], ids=["etag", "last-modified"])
def test_a_kept_download_is_revalidated_not_fetched_again(tmp_path: Path, etag: bool) -> None:
    bodies = [b"first" * 1000]
    with recording_server(_versioned(bodies, etag)) as server:
        url = f"{server.url}/registry.zip"
        assert net.cached_get(url, cache_dir=tmp_path) == bodies[-1]
        assert net.cached_get(url, cache_dir=tmp_path) == bodies[-1]  # 304: the kept copy
        bodies.append(b"second")
        assert net.cached_get(url, cache_dir=tmp_path) == b"second"  # changed: fetched anew
        assert net.cached_get(url, cache_dir=tmp_path) == b"second"
    header = "if-none-match" if etag else "if-modified-since"
    assert [seen.headers.get(header) is not None for seen in server.seen] == [
        False, True, True, True]
    (kept,) = (tmp_path / "downloads").glob("*.body")
    assert kept.read_bytes() == b"second" and kept.stat().st_mode & 0o077 == 0


def test_a_kept_copy_that_does_not_match_its_digest_is_fetched_again(tmp_path: Path) -> None:
    bodies = [b"the archive"]
    with recording_server(_versioned(bodies)) as server:
        url = f"{server.url}/registry.zip"
        net.cached_get(url, cache_dir=tmp_path)
        (kept,) = (tmp_path / "downloads").glob("*.body")
        kept.write_bytes(b"the archivE")  # changed on disk behind the record's back
        assert net.cached_get(url, cache_dir=tmp_path) == b"the archive"
        assert server.seen[-1].headers.get("if-none-match") is None  # the copy was not offered
        assert kept.read_bytes() == b"the archive"


def test_offline_the_kept_copy_is_read_without_asking(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with recording_server(_versioned([b"the archive"])) as server:
        url = f"{server.url}/registry.zip"
        assert net.cached_get(url, cache_dir=tmp_path) == b"the archive"
    with pytest.raises(net.RequestFailed) as caught:  # the server is gone
        net.cached_get(url, cache_dir=tmp_path, deadline=2)
    assert re.search(r"a copy kept on \d{4}-\d\d-\d\d \d\d:\d\d UTC is", str(caught.value))
    assert f"is read with {net.OFFLINE_VARIABLE}=1" in str(caught.value)
    monkeypatch.setenv(net.OFFLINE_VARIABLE, "1")
    assert net.cached_get(url, cache_dir=tmp_path) == b"the archive"
    with pytest.raises(net.RequestFailed, match="no copy is kept: run once with the network"):
        net.cached_get(f"{server.url}/other.zip", cache_dir=tmp_path)
    assert len(server.seen) == 1


def test_answers_without_validators_or_marked_no_store_are_not_kept(tmp_path: Path) -> None:
    answers = {"/plain": {}, "/private": {"ETag": '"x"', "Cache-Control": "private, no-store"}}
    with recording_server(lambda seen: (200, answers[seen.path], b"body")) as server:
        for path in answers:
            assert net.cached_get(server.url + path, cache_dir=tmp_path) == b"body"
            assert net.cached_get(server.url + path, cache_dir=tmp_path) == b"body"
    assert len(server.seen) == 4 and not any("if-none-match" in s.headers for s in server.seen)
    assert not (tmp_path / "downloads").exists()


def test_a_cache_that_cannot_be_written_costs_only_the_saving(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    with recording_server(_versioned([b"body"])) as server:
        assert net.cached_get(f"{server.url}/a.zip", cache_dir=blocked) == b"body"
        assert net.cached_get(f"{server.url}/a.zip", cache_dir=blocked) == b"body"
    assert len(server.seen) == 2


def test_the_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv(net.CACHE_DIR_VARIABLE, str(tmp_path / "mine"))
    assert net.default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv(net.CACHE_DIR_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert net.default_cache_dir() == tmp_path / "xdg" / "telemetry-contracts"
