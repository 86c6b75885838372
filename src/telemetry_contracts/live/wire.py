"""Lean views of the OTLP trace and log export requests: the same wire format, read with a
schema that keeps only the path to each item's attributes, each attribute as its encoded bytes.

Parsing with them skips ids, timestamps, names and bodies, and lets the judge look an attribute
up by its bytes (key and value at once) instead of building Python objects for it; a cache miss
decodes the one ``KeyValue``. Field numbers are those of ``opentelemetry-proto``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

_PACKAGE = "telemetry_contracts.live.wire"
# message name -> fields (name, number, message type or None for bytes, repeated)
_MESSAGES: dict[str, list[tuple[str, int, str | None, bool]]] = {
    "Resource": [("attributes", 1, None, True)],
    "TracesRequest": [("resource_spans", 1, "ResourceSpans", True)],
    "ResourceSpans": [("resource", 1, "Resource", False), ("scope_spans", 2, "ScopeSpans", True)],
    "ScopeSpans": [("spans", 2, "Span", True)],
    "Span": [("attributes", 9, None, True), ("events", 11, "Event", True)],
    "Event": [("attributes", 3, None, True)],
    "LogsRequest": [("resource_logs", 1, "ResourceLogs", True)],
    "ResourceLogs": [("resource", 1, "Resource", False), ("scope_logs", 2, "ScopeLogs", True)],
    "ScopeLogs": [("log_records", 2, "LogRecord", True)],
    "LogRecord": [("attributes", 6, None, True), ("event_name", 12, None, False)],
}


@cache
def _classes() -> dict[str, Any]:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    field = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(
        name="telemetry_contracts/live/wire.proto", package=_PACKAGE, syntax="proto3")
    for name, fields in _MESSAGES.items():
        message = proto.message_type.add(name=name)
        for field_name, number, type_name, repeated in fields:
            message.field.add(
                name=field_name, number=number,
                label=field.LABEL_REPEATED if repeated else field.LABEL_OPTIONAL,
                type=field.TYPE_MESSAGE if type_name else field.TYPE_BYTES,
                type_name=f".{_PACKAGE}.{type_name}" if type_name else None,
            )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return {name: message_factory.GetMessageClass(
        pool.FindMessageTypeByName(f"{_PACKAGE}.{name}")) for name in ("TracesRequest",
                                                                      "LogsRequest")}


def lean_class(signal: str) -> Any:
    """The lean request class of ``traces`` or ``logs``."""
    return _classes()["TracesRequest" if signal == "traces" else "LogsRequest"]


def lean(signal: str, message: Any) -> Any:
    """A full export request of ``traces`` or ``logs`` as its lean view (other signals as they
    are)."""
    if signal not in ("traces", "logs"):
        return message
    return lean_class(signal).FromString(message.SerializeToString())
