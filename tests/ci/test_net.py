"""The one HTTP helper of the CLI and the guard, against real loopback servers: deadlines that
hold whatever part of the exchange stalls, redirects, and the token kept to its origin."""

from __future__ import annotations

import socket
import threading

import pytest

from telemetry_contracts import net
from tests.loopback_servers import Seen, dripping_server, recording_server


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
