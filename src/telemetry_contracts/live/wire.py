"""Views of the OTLP trace and log export requests: the same wire format, read with schemas that
keep only the path to each item's attributes, each attribute as its encoded bytes.

Parsing with them skips ids, timestamps, names and bodies, and lets the judge look an attribute
up by its bytes (key and value at once) instead of building Python objects for it; a cache miss
decodes the one ``KeyValue``. Field numbers are those of ``opentelemetry-proto``.

A :class:`Request` reads a body three ways, each one C-level parse:

- the *flat* view, one message per resource with every attribute of its items in one
  container. Protobuf merges a singular message field that occurs more than once, and
  concatenates the repeated fields inside it; declaring ``ResourceSpans.scope_spans`` and
  ``ScopeSpans.spans`` singular (``Span.events`` too) thus yields, for each resource, the
  attributes of all its spans in wire order, and those of all their events in another
  container, with no Python object per span;
- the *counted* view, where the items of each scope are left as unparsed bytes only to be
  counted (the flat view merges them, so it cannot);
- the *lean* view, item by item, read only when the flat one cannot be judged exactly (see
  ``Judge._flat``).
"""

from __future__ import annotations

import json
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
    # flat views: singular fields where the wire repeats them, so their occurrences merge
    "FlatTraces": [("resource_spans", 1, "FlatResourceSpans", True)],
    "FlatResourceSpans": [("resource", 1, "Resource", False),
                          ("scope_spans", 2, "FlatScopeSpans", False)],
    "FlatScopeSpans": [("spans", 2, "FlatSpan", False)],
    "FlatSpan": [("attributes", 9, None, True), ("events", 11, "Event", False)],
    "FlatLogs": [("resource_logs", 1, "FlatResourceLogs", True)],
    "FlatResourceLogs": [("resource", 1, "Resource", False),
                         ("scope_logs", 2, "FlatScopeLogs", False)],
    "FlatScopeLogs": [("log_records", 2, "FlatLogRecord", False)],
    "FlatLogRecord": [("attributes", 6, None, True), ("event_name", 12, None, True)],
    # counted view (traces and logs number their levels alike)
    "Counted": [("resources", 1, "CountedResource", True)],
    "CountedResource": [("scopes", 2, "CountedScope", True)],
    "CountedScope": [("items", 2, None, True)],
}
_VIEWS = {"traces": ("TracesRequest", "FlatTraces", "resource_spans"),
          "logs": ("LogsRequest", "FlatLogs", "resource_logs")}


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
    # protobuf 4.22 added GetMessageClass; before it, a factory's GetPrototype does the same
    message_class = getattr(message_factory, "GetMessageClass", None) or \
        message_factory.MessageFactory(pool).GetPrototype
    return {name: message_class(pool.FindMessageTypeByName(f"{_PACKAGE}.{name}"))
            for name in ("TracesRequest", "LogsRequest", "FlatTraces", "FlatLogs", "Counted")}


def lean_class(signal: str) -> Any:
    """The item-by-item request class of ``traces`` or ``logs``."""
    return _classes()[_VIEWS[signal][0]]


class Request:
    """A traces or logs export request as the judge reads it: per resource, its flat view and
    its number of items; the item-by-item view on demand. Raises ``DecodeError`` for a body
    that is not one."""

    __slots__ = ("body", "counts", "resources", "signal")

    def __init__(self, signal: str, body: bytes) -> None:
        classes = _classes()
        self.signal = signal
        self.body = body
        _, flat, resources = _VIEWS[signal]
        self.resources: Any = getattr(classes[flat].FromString(body), resources)
        self.counts = [sum([len(scope.items) for scope in resource.scopes])
                       for resource in classes["Counted"].FromString(body).resources]

    def items(self) -> Any:
        """The resources of the item-by-item view."""
        return getattr(lean_class(self.signal).FromString(self.body), _VIEWS[self.signal][2])


def reader(signal: str) -> Any:
    """The function from a protobuf body of ``traces`` or ``logs`` to its :class:`Request`."""
    return lambda body: Request(signal, body)


def keep_event_names(request: Any, document: Any) -> None:
    """Give the log records of a logs ``request`` parsed from the OTLP JSON ``document`` (or
    its text) their ``eventName``, where this opentelemetry-proto's ``LogRecord`` has no
    ``event_name`` (older releases): as field 12, unknown to it, kept on the wire for the
    judge's views."""
    from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

    if "event_name" in LogRecord.DESCRIPTOR.fields_by_name:
        return
    if isinstance(document, bytes):
        document = json.loads(document)
    resources = request.resource_logs
    for r, resource in enumerate(_list(document, "resourceLogs", "resource_logs")):
        for s, scope in enumerate(_list(resource, "scopeLogs", "scope_logs")):
            for k, record in enumerate(_list(scope, "logRecords", "log_records")):
                name = record.get("eventName", record.get("event_name")) if isinstance(
                    record, dict) else None
                if isinstance(name, str) and name:
                    encoded = name.encode("utf-8", "surrogatepass")
                    resources[r].scope_logs[s].log_records[k].MergeFromString(
                        b"\x62" + _varint(len(encoded)) + encoded)  # field 12, length-delimited


def _list(document: Any, *names: str) -> list[Any]:
    """The list under the first of ``names`` that ``document`` (an OTLP JSON object) has."""
    if isinstance(document, dict):
        for name in names:
            if isinstance(document.get(name), list):
                return document[name]
    return []


def _varint(number: int) -> bytes:
    out = bytearray()
    while number >= 0x80:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def lean(signal: str, message: Any) -> Any:
    """A full export request of ``traces`` or ``logs`` as the judge reads it (other signals as
    they are)."""
    if signal not in _VIEWS:
        return message
    return Request(signal, message.SerializeToString())


def status_message(code: int, message: str) -> bytes:
    """A ``google.rpc.Status`` of gRPC ``code`` and ``message`` in protobuf's wire format: the
    body OTLP/HTTP answers a refused protobuf request with."""
    text = message.encode("utf-8", "replace")
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text
