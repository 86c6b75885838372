"""How each OTLP sender compresses a body, by the Content-Encoding it sends it under."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import cramjam
import lz4.frame

try:
    from compression import zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    from backports import zstd  # type: ignore[no-redef,unused-ignore]


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,  # what the Python exporters send under this name
    "deflate (raw)": _raw_deflate,
    "zlib": zlib.compress,
    "zstd": zstd.compress,
    "snappy": lambda data: bytes(cramjam.snappy.compress_raw(data)),
    "snappy (framed)": lambda data: bytes(cramjam.snappy.compress(data)),
    "x-snappy-framed": lambda data: bytes(cramjam.snappy.compress(data)),
    "lz4": lz4.frame.compress,
}
"""How each sender compresses, by the Content-Encoding it sends (a variant in parentheses)."""


def encoding_of(sender: str) -> str:
    """The Content-Encoding of a :data:`COMPRESSORS` key (its variant in parentheses dropped)."""
    return sender.split(" ", 1)[0]
