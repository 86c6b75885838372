"""The flat view gives the verdict of judging item by item: the same findings (counts, samples,
order), items, seen and observed names, on random requests with hostile encodings, many
resources and scopes, events, log events, and caches small enough to be emptied midway."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf.message import DecodeError
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from telemetry_contracts.live import judge as judge_module
from telemetry_contracts.live.judge import Judge
from telemetry_contracts.live.receiver import Refused, decode
from telemetry_contracts.live.wire import Request
from telemetry_contracts.resolution.loader import load_registry
from tests.live.conftest import REGISTRY, any_value

KEYS = ["http.request.method", "http.method", "url.path", "server.port", "shop.cart.items",
        "shop.payment.method", "shop.customer.email", "shop.region", "shop.nope", "",
        "http.request.header.x-id", "app.widget.id", "exception.type", "k\n\x0bhttp.method"]
VALUES: list[Any] = ["GET", "card", "gold", "/a", "", 7, 0, -3, 2**40, True, False, 1.5, ["a"],
                     [1, "x"], [], None, b"\x00\xff", "é" * 70]


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int, overlong: bool = False) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    if overlong:  # a non-canonical encoding of the same number
        return bytes([*out, value | 0x80, 0])
    return bytes([*out, value])


def _pair(rng: random.Random) -> bytes:
    """One encoded ``KeyValue``: canonical mostly, else reordered, overlong, valueless,
    repeated or not a message at all."""
    key, value = rng.choice(KEYS), rng.choice(VALUES)
    pair = KeyValue(key=key)
    if value is not None:
        pair.value.CopyFrom(any_value(value))
    encoded = pair.SerializeToString()
    twist = rng.random()
    if twist < 0.05:  # value first
        encoded = _field(2, any_value(value or "v").SerializeToString()) + _field(1, key.encode())
    elif twist < 0.08:  # overlong key length
        encoded = b"\x0a" + _varint(len(key.encode()), overlong=True) + key.encode()
    elif twist < 0.10:  # a key that is not UTF-8: does not decode
        encoded = b"\x0a\x02\xff\xfe"
    elif twist < 0.12:  # the value twice
        encoded += _field(2, any_value(rng.choice(VALUES) or 1).SerializeToString())
    return encoded


def _item(rng: random.Random, signal: str) -> bytes:
    attributes = b"".join(_field(9 if signal == "traces" else 6, _pair(rng))
                          for _ in range(rng.randrange(0, 6)))
    if signal == "traces":
        events = b"".join(_field(11, b"".join(_field(3, _pair(rng))
                                               for _ in range(rng.randrange(0, 3))))
                          for _ in range(rng.choice([0, 0, 0, 1, 2])))
        return _field(5, b"name") + attributes + events
    name = _field(12, rng.choice([b"app.widget.click", b"", b"nope"])) if rng.random() < 0.1 \
        else b""
    return attributes + name


def _body(rng: random.Random, signal: str) -> bytes:
    resources = []
    for _ in range(rng.randrange(1, 4)):
        service = rng.choice(["a", "b", ""])
        resource = _field(1, KeyValue(key="service.name", value=AnyValue(
            string_value=service)).SerializeToString()) + _field(1, KeyValue(
                key=rng.choice(KEYS), value=any_value("x")).SerializeToString())
        scopes = b"".join(_field(2, b"".join(_field(2, _item(rng, signal))
                                             for _ in range(rng.randrange(0, 5))))
                          for _ in range(rng.randrange(0, 3)))
        resources.append(_field(1, _field(1, resource) + scopes))
    return b"".join(resources)


def _verdict(judge: Judge) -> tuple[Any, ...]:
    return ([f.document() for f in judge.findings()], judge.items, judge.services,
            judge.seen_names(), judge.observed, judge.malformed, judge.overflow)


def _item_by_item(judge: Judge) -> Judge:
    judge._flat = lambda space, resource: False  # type: ignore[method-assign]
    return judge


@pytest.fixture(scope="module")
def new_judge() -> Callable[[], Judge]:
    snapshot = load_registry(REGISTRY).snapshot
    return lambda: Judge(snapshot)


@pytest.mark.parametrize("signal", ["traces", "logs"])
@pytest.mark.parametrize("small", [False, True])
def test_the_flat_view_judges_as_item_by_item(
        signal: str, small: bool, new_judge: Callable[[], Judge],
        monkeypatch: pytest.MonkeyPatch) -> None:
    if small:  # caches emptied and findings folded in the middle of requests
        monkeypatch.setattr(judge_module, "MAX_PAIRS", 5)
        monkeypatch.setattr(judge_module, "MAX_PLANS", 4)
    for seed in range(60):
        rng = random.Random(seed)
        bodies = [_body(rng, signal) for _ in range(rng.randrange(1, 4))]
        flat, items = new_judge(), _item_by_item(new_judge())
        for body in bodies:
            for judge in (flat, items):
                getattr(judge, signal)(Request(signal, body))
        assert _verdict(flat) == _verdict(items), seed


@pytest.mark.parametrize("signal", ["traces", "logs"])
def test_the_shape_and_head_caches_change_no_verdict(
        signal: str, new_judge: Callable[[], Judge], monkeypatch: pytest.MonkeyPatch) -> None:
    """Attributes found by their shape or their string's head, in the caches of their service
    and signal, give the verdict (counts and samples) of decoding each distinct one."""
    seeds = range(40)
    cached = []
    for seed in seeds:
        rng = random.Random(seed)
        judge = new_judge()
        for _ in range(rng.randrange(1, 4)):
            getattr(judge, signal)(Request(signal, _body(rng, signal)))
        cached.append(_verdict(judge))
    monkeypatch.setattr(judge_module, "shape_of", lambda encoded: None)
    for seed in seeds:
        rng = random.Random(seed)
        judge = new_judge()
        for _ in range(rng.randrange(1, 4)):
            getattr(judge, signal)(Request(signal, _body(rng, signal)))
        assert _verdict(judge) == cached[seed], seed


def test_span_events_take_the_flat_view_once_their_findings_are_counted(
        new_judge: Callable[[], Judge]) -> None:
    event = _field(11, _field(3, KeyValue(key="shop.nope", value=AnyValue(
        string_value="x")).SerializeToString()))
    body = _field(1, _field(2, _field(2, _field(9, KeyValue(
        key="http.method", value=AnyValue(string_value="GET")).SerializeToString()) + event)))
    judge = new_judge()
    taken: list[bool] = []
    flat = judge._flat

    def spy(space: Any, resource: Any) -> bool:
        taken.append(flat(space, resource))
        return taken[-1]

    judge._flat = spy  # type: ignore[method-assign]
    for _ in range(3):
        judge.traces(Request("traces", body))
    assert taken == [False, True, True]
    counts = {(f.code, f.name): f.count for f in judge.findings()}
    assert counts == {("TC803", "http.method"): 3, ("TC802", "shop.nope"): 3}


@pytest.mark.parametrize("body", [b"\x0a\x05\x12\x03\x12\x01", b"\x0a\x02\x12\x05",
                                  b"\x0a\x03\x12\x01\x0f"])
def test_a_body_that_is_not_a_request_is_refused(body: bytes) -> None:
    with pytest.raises(DecodeError):
        Request("traces", body)
    with pytest.raises(Refused):
        decode("traces", body, "application/x-protobuf")
