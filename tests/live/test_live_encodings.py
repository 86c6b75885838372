"""Every compression an OTLP exporter or the Collector sends: undone to the same request,
refused with the right status when malformed, truncated or a bomb, and served after."""

from __future__ import annotations

from typing import Any

import cramjam
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from telemetry_contracts.live.encodings import (
    DECODERS,
    SNAPPY_STREAM,
    Oversized,
    Undecodable,
    Unsupported,
    inflate,
)
from tests.live.compressors import COMPRESSORS, encoding_of

PROTOBUF = {"Content-Type": "application/x-protobuf"}
LIMIT = 1024 * 1024


def _request(spans: int = 50) -> bytes:
    resource = ResourceSpans()
    resource.resource.attributes.append(
        KeyValue(key="service.name", value=AnyValue(string_value="compressed")))
    scope = ScopeSpans()
    for n in range(spans):
        span = Span(name="GET /", trace_id=n.to_bytes(16, "big"), span_id=n.to_bytes(8, "big"))
        span.attributes.extend([
            KeyValue(key="http.request.method", value=AnyValue(string_value="GET")),
            KeyValue(key="http.method", value=AnyValue(string_value="GET")),
            KeyValue(key="url.path", value=AnyValue(string_value=f"/items/{n}"))])
        scope.spans.append(span)
    resource.scope_spans.append(scope)
    return ExportTraceServiceRequest(resource_spans=[resource]).SerializeToString()


def test_every_encoding_the_receiver_names_has_a_sender_here() -> None:
    assert {encoding_of(sender) for sender in COMPRESSORS} | {"x-gzip"} == set(DECODERS)


@pytest.mark.parametrize("sender", COMPRESSORS)
def test_each_encoding_gives_back_the_request(sender: str) -> None:
    body = _request()
    assert inflate(COMPRESSORS[sender](body), encoding_of(sender).upper(), LIMIT) == body


@pytest.mark.parametrize("encoding", ["gzip", "zstd", "lz4"])
def test_streams_of_several_frames_are_read_to_the_end(encoding: str) -> None:
    first, second = _request(3), _request(4)
    compress = COMPRESSORS[encoding]
    assert inflate(compress(first) + compress(second), encoding, LIMIT) == first + second


@pytest.mark.parametrize("sender", COMPRESSORS)
def test_malformed_and_truncated_bodies_are_undecodable(sender: str) -> None:
    compressed = COMPRESSORS[sender](_request())
    encoding = encoding_of(sender)
    with pytest.raises(Undecodable, match="not valid"):
        inflate(compressed[: len(compressed) // 2], encoding, LIMIT)
    with pytest.raises(Undecodable, match="not valid"):
        inflate(b"\x10not compressed at all" * 3, encoding, LIMIT)
    if sender != "deflate (raw)":  # raw deflate has no end marker a trailer could follow
        with pytest.raises(Undecodable, match="not valid"):
            inflate(compressed + b"trailing garbage", encoding, LIMIT)


@pytest.mark.parametrize("sender", COMPRESSORS)
def test_bombs_stop_at_the_limit(sender: str) -> None:
    bomb = COMPRESSORS[sender](b"\0" * (8 * LIMIT))
    assert len(bomb) < LIMIT
    with pytest.raises(Oversized, match=f"more than {LIMIT} bytes"):
        inflate(bomb, encoding_of(sender), LIMIT)
    # exactly at the limit is still taken
    assert len(inflate(COMPRESSORS[sender](b"\0" * LIMIT), encoding_of(sender), LIMIT)) == LIMIT


def test_framed_snappy_is_refused_from_its_chunk_headers() -> None:
    """A framed stream whose chunks claim more than the limit is refused before any chunk is
    decompressed: the first chunk here is corrupt, yet the answer is the size."""
    chunk = bytes(cramjam.snappy.compress_raw(b"\0" * 60_000))
    corrupt = b"\x00" + (4 + len(chunk)).to_bytes(3, "little") + b"\0\0\0\0" + chunk
    with pytest.raises(Oversized):
        inflate(SNAPPY_STREAM + corrupt * 40, "x-snappy-framed", LIMIT)
    with pytest.raises(Undecodable, match=r"(?i)checksum|crc|invalid"):
        inflate(SNAPPY_STREAM + corrupt, "x-snappy-framed", LIMIT)


def test_identity_and_unknown_encodings() -> None:
    for name in ("", "identity", "none", " Identity "):
        assert inflate(b"as is", name, LIMIT) == b"as is"
    with pytest.raises(Unsupported, match=r"`br` .*supported: gzip"):
        inflate(b"...", "br", LIMIT)
    with pytest.raises(Unsupported):
        inflate(b"...", "gzip, gzip", LIMIT)


def test_the_receiver_takes_every_encoding_and_refuses_bad_ones(live_check: Any) -> None:
    check = live_check()
    body = _request()
    for sender, compress in COMPRESSORS.items():
        status, answer = check.post("/v1/traces", compress(body),
                                    {**PROTOBUF, "Content-Encoding": encoding_of(sender)})
        assert status == 200, (sender, answer)
    for sender, compress in COMPRESSORS.items():
        truncated = compress(body)[:20]
        status, answer = check.post("/v1/traces", truncated,
                                    {**PROTOBUF, "Content-Encoding": encoding_of(sender)})
        assert status == 400 and b"not valid" in answer, (sender, answer)
    status, answer = check.post("/v1/traces", body, {**PROTOBUF, "Content-Encoding": "br"})
    assert status == 415 and b"supported: gzip" in answer
    assert check.get("/health")[1]["judged"]["span"] == 50 * len(COMPRESSORS)
    _, verdict = check.stop()
    deprecated = [f for f in verdict["findings"] if f["name"] == "http.method"]
    assert [f["count"] for f in deprecated] == [50 * len(COMPRESSORS)]
    assert verdict["refused_requests"] == len(COMPRESSORS) + 1


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=512), encoding=st.sampled_from(sorted(DECODERS)),
       prefix=st.sampled_from([b"", SNAPPY_STREAM, b"\x1f\x8b\x08", b"\x28\xb5\x2f\xfd",
                               b"\x04\x22\x4d\x18", b"\x78\x9c"]))
def test_any_bytes_in_any_encoding_give_a_body_or_a_refusal(
        body: bytes, encoding: str, prefix: bytes) -> None:
    """Arbitrary bytes, also behind each format's magic: decoded within the limit, or refused
    as undecodable or oversized, never another exception."""
    try:
        out = inflate(prefix + body, encoding, 4096)
    except (Undecodable, Oversized):
        return
    assert len(out) <= 4096
