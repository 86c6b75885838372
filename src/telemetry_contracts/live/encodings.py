"""The Content-Encodings an OTLP/HTTP request may arrive in, undone with bounded output.

These are every compression the OpenTelemetry SDKs' exporters and the Collector's ``otlphttp``
exporter send: ``gzip``, ``deflate`` and ``zlib`` (zlib's format; raw deflate is taken too),
``zstd``, ``snappy`` (block or framed: the Collector has sent both under that name),
``x-snappy-framed`` and ``lz4`` (frame format). Each decoder stops at ``limit`` bytes of output
before producing more of it, so a decompression bomb costs no more memory than the limit.
The codec libraries come with the ``[live]`` extra and are imported on first use.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any, Protocol

IDENTITY = frozenset({"", "identity", "none"})


class Undecodable(ValueError):
    """The body is not valid in its Content-Encoding (malformed or truncated)."""


class Oversized(ValueError):
    """The body decodes to more than the limit."""


class Unsupported(ValueError):
    """A Content-Encoding this receiver does not know, or whose codec is not installed."""


class _Stream(Protocol):
    """A streaming decompressor with the interface of ``zlib.decompressobj()``'s objects."""

    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...


def inflate(body: bytes, encoding: str, limit: int) -> bytes:
    """``body`` with its Content-Encoding ``encoding`` undone; raises :class:`Undecodable`,
    :class:`Oversized` (over ``limit`` bytes) or :class:`Unsupported`."""
    name = encoding.strip().lower()
    if name in IDENTITY:
        return body
    decoder = DECODERS.get(name)
    if decoder is None:
        raise Unsupported(f"unsupported Content-Encoding `{name[:40]}` (supported: "
                          f"{', '.join(DECODERS)})")
    return decoder(body, limit)


def _frames(new: Callable[[], _Stream], body: bytes, limit: int, name: str) -> bytes:
    """Undo a format whose stream may hold several frames (gzip members, zstd and lz4 frames),
    each with a decompressor from ``new``."""
    pieces: list[bytes] = []
    size = 0
    rest = body
    while True:
        stream = new()
        try:
            piece = stream.decompress(rest, limit + 1 - size)
        except Exception as error:  # each codec has its own error type
            raise Undecodable(f"body is not valid {name}: {error}") from None
        size += len(piece)
        if size > limit:
            raise _oversized(limit)
        pieces.append(piece)
        if not stream.eof:  # all output under the limit was given, so input is missing
            raise Undecodable(f"body is not valid {name}: the stream is truncated")
        rest = stream.unused_data
        if not rest:
            return b"".join(pieces)


def _gzip(body: bytes, limit: int) -> bytes:
    return _frames(lambda: zlib.decompressobj(16 + zlib.MAX_WBITS), body, limit, "gzip")


def _zlib(body: bytes, limit: int) -> bytes:
    """zlib's format, as HTTP's ``deflate`` is defined and as exporters send it; a body without
    zlib's two-byte header is taken as raw deflate, which some senders write instead."""
    header = len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0
    bits = zlib.MAX_WBITS if header else -zlib.MAX_WBITS
    return _frames(lambda: zlib.decompressobj(bits), body, limit, "deflate")


def _zstd(body: bytes, limit: int) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # before Python 3.14
        zstd = _codec("backports.zstd", "zstd")
    return _frames(zstd.ZstdDecompressor, body, limit, "zstd")


def _lz4(body: bytes, limit: int) -> bytes:
    frame = _codec("lz4.frame", "lz4")
    return _frames(frame.LZ4FrameDecompressor, body, limit, "lz4")


SNAPPY_STREAM = b"\xff\x06\x00\x00sNaPpY"
"""The stream identifier that starts the framed snappy format."""


def _snappy(body: bytes, limit: int) -> bytes:
    """Framed snappy when the body starts as that format does, else the block format, whose
    header gives its size before anything is decompressed."""
    if body.startswith(SNAPPY_STREAM):
        return _snappy_framed(body, limit)
    snappy = _codec("cramjam", "snappy").snappy
    if _undone(snappy.decompress_raw_len, body, "snappy") > limit:
        raise _oversized(limit)
    return bytes(_undone(snappy.decompress_raw, body, "snappy"))


def _snappy_framed(body: bytes, limit: int) -> bytes:
    """The framed format: its chunks' sizes summed from their headers first, then the stream
    decompressed (checksums verified) only when the sum is within ``limit``."""
    name = "x-snappy-framed"
    if not body.startswith(SNAPPY_STREAM):
        raise Undecodable(f"body is not valid {name}: no stream identifier")
    snappy = _codec("cramjam", "snappy").snappy
    size = 0
    end = 0
    while end < len(body):
        kind, length = body[end], int.from_bytes(body[end + 1:end + 4], "little")
        start, end = end + 4, end + 4 + length
        if end > len(body) or (kind < 0x02 and length < 4):
            raise Undecodable(f"body is not valid {name}: a chunk is truncated")
        if kind == 0x00:  # compressed: a checksum, then a block
            size += _undone(snappy.decompress_raw_len, body[start + 4:end], name)
        elif kind == 0x01:  # uncompressed: a checksum, then the data
            size += length - 4
        if size > limit:
            raise _oversized(limit)
    return bytes(_undone(snappy.decompress, body, name))


def _undone(decompress: Callable[[bytes], Any], data: bytes, name: str) -> Any:
    """``decompress(data)``, the codec's error turned into :class:`Undecodable`."""
    try:
        return decompress(data)
    except Exception as error:  # cramjam.DecompressionError
        raise Undecodable(f"body is not valid {name}: {error}") from None


def _oversized(limit: int) -> Oversized:
    return Oversized(f"body inflates to more than {limit} bytes")


def _codec(module: str, encoding: str) -> Any:
    """The codec library ``module``, or :class:`Unsupported` that says how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise Unsupported(f"Content-Encoding `{encoding}` needs {module.split('.')[0]}: "
                          "pip install 'telemetry-contracts[live]'") from None


DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _gzip, "x-gzip": _gzip, "deflate": _zlib, "zlib": _zlib, "zstd": _zstd,
    "snappy": _snappy, "x-snappy-framed": _snappy_framed, "lz4": _lz4}
"""Each Content-Encoding the receiver undoes, by its lower-case name."""
