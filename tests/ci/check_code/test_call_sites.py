"""Call-site extraction: every kind of call, argument form and semconv import style."""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from collections.abc import Callable

import pytest

from telemetry_contracts.ci.scanner.call_sites import CallSites, find_call_sites


def sites(source: str) -> CallSites:
    text = textwrap.dedent(source)
    return find_call_sites(ast.parse(text), text.encode())


def keys(source: str) -> list[str]:
    found = sites(source).attribute_keys
    return [use.value for use in sorted(found, key=lambda use: (use.line, use.column))]


def metric(source: str) -> tuple[str, str, str, str | None]:
    (site,) = sites(source).metrics
    return site.name.value, site.factory, site.instrument, site.unit


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ('meter.create_counter("a.b", "1")', ("a.b", "create_counter", "counter", "1")),
        ('meter.create_counter(name="a.b", unit="1")', ("a.b", "create_counter", "counter", "1")),
        ('meter.create_up_down_counter("a.b", unit="{x}")',
         ("a.b", "create_up_down_counter", "updowncounter", "{x}")),
        ('m.create_histogram("a.b", "s", "brief")', ("a.b", "create_histogram", "histogram", "s")),
        ('m.create_gauge("a.b", unit="Cel")', ("a.b", "create_gauge", "gauge", "Cel")),
        ('m.create_observable_counter("a.b", [cb], "By")',
         ("a.b", "create_observable_counter", "counter", "By")),
        ('m.create_observable_gauge("a.b", callbacks=[cb], unit="1")',
         ("a.b", "create_observable_gauge", "gauge", "1")),
        ('m.create_observable_up_down_counter("a.b", [cb], "{p}")',
         ("a.b", "create_observable_up_down_counter", "updowncounter", "{p}")),
        ('m.create_counter("a.b")', ("a.b", "create_counter", "counter", "")),
        ('m.create_counter("a.b", unit=UNIT)', ("a.b", "create_counter", "counter", None)),
        ('m.create_counter("a.b", **options)', ("a.b", "create_counter", "counter", None)),
        ('m.create_observable_gauge("a.b", [cb])', ("a.b", "create_observable_gauge", "gauge", "")),
    ],
)
def test_metric_factories_give_name_instrument_and_unit(
    call: str, expected: tuple[str, str, str, str | None]
) -> None:
    assert metric(call) == expected


def test_metric_name_computed_at_run_time_is_skipped() -> None:
    assert sites('m.create_counter(f"{prefix}.requests")\nm.create_counter(NAME)').metrics == ()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('span.set_attribute("a.b", 1)', ["a.b"]),
        ('span.set_attribute(key="a.b", value=1)', ["a.b"]),
        ('span.set_attributes({"a.b": 1, "c.d": 2, **more})', ["a.b", "c.d"]),
        ('tracer.start_span("op", attributes={"a.b": 1})', ["a.b"]),
        ('tracer.start_span("op", None, kind, {"a.b": 1})', ["a.b"]),
        ('tracer.start_as_current_span("op", attributes={"a.b": 1})', ["a.b"]),
        ('counter.add(1, {"a.b": 1})', ["a.b"]),
        ('counter.add(1, attributes={"a.b": 1})', ["a.b"]),
        ('histogram.record(0.5, {"a.b": 1})', ["a.b"]),
        ('histogram.record(0.5, attributes={"a.b": 1})', ["a.b"]),
        ('gauge.set(3, {"a.b": 1})', ["a.b"]),
        ('yield Observation(1, {"a.b": 1})', ["a.b"]),
        ('yield metrics.Observation(1, attributes={"a.b": 1})', ["a.b"]),
        ('span.add_event("e", {"a.b": 1})', ["a.b"]),
        ('span.record_exception(error, attributes={"a.b": 1})', ["a.b"]),
        ('logger.info("done", extra={"a.b": 1})', ["a.b"]),
        ('logging.getLogger().log(20, "done", extra={"a.b": 1})', ["a.b"]),
    ],
)
def test_attribute_keys_of_every_call_kind(source: str, expected: list[str]) -> None:
    assert keys(f"def f():\n    {source}\n") == expected


@pytest.mark.parametrize(
    "source",
    [
        'span.set_attribute(f"a.{b}", 1)',
        "span.set_attribute(key, 1)",
        'span.set_attribute(prefix + ".b", 1)',
        "span.set_attributes(attributes)",
        'span.set_attributes(dict(a=1))',
        "seen.add(item)",
        'seen.add(("a.b", 1))',
        'options.set("a.b", {"c": 1})',
        'counter.add(1, attributes)',
        'logger.info("x", extra=extra)',
        'print("a.b", extra={"a.b": 1})',
        'span.set_attributes({b"a.b": 1, 1: 2})',
    ],
)
def test_keys_computed_at_run_time_or_not_telemetry_are_skipped(source: str) -> None:
    assert keys(source) == []


def test_measurements_on_instruments_created_in_the_file_count_with_any_amount() -> None:
    source = '''
        requests = meter.create_counter("app.requests")


        class Handler:
            def __init__(self, meter):
                self._latency: Histogram = meter.create_histogram("app.latency", unit="s")

            def handle(self, amount, elapsed, key):
                requests.add(amount, {"a.b": 1})
                self._latency.record(elapsed, attributes={"c.d": 1})
                other.add(amount, {"e.f": 1})
                cache.set(key, {"g.h": 1})
        '''
    assert keys(source) == ["a.b", "c.d"]


def test_positions_are_those_of_the_key_expression() -> None:
    source = '''
        def f(span):
            span.set_attributes(
                {
                    "a.b": 1,
                }
            )
        '''
    (use,) = sites(source).attribute_keys
    assert (use.line, use.column, use.end_line, use.end_column) == (5, 12, 5, 17)
    assert use.constant is None


def test_call_sites_nested_in_classes_functions_and_comprehensions() -> None:
    source = '''
        class Handler:
            def handle(self, items):
                with tracer.start_as_current_span("op") as span:
                    return [
                        counter.add(
                            1,
                            {"a.b": item},
                        )
                        for item in items
                        if span.set_attribute("c.d", item) or True
                    ]
        '''
    assert keys(source) == ["a.b", "c.d"]


@pytest.mark.parametrize(
    ("imports", "expression", "value"),
    [
        ("from opentelemetry.semconv.attributes.http_attributes import HTTP_REQUEST_METHOD",
         "HTTP_REQUEST_METHOD", "http.request.method"),
        ("from opentelemetry.semconv.attributes.http_attributes import HTTP_REQUEST_METHOD as M",
         "M", "http.request.method"),
        ("from opentelemetry.semconv.attributes import http_attributes",
         "http_attributes.HTTP_REQUEST_METHOD", "http.request.method"),
        ("import opentelemetry.semconv.attributes.http_attributes as ha",
         "ha.HTTP_RESPONSE_STATUS_CODE", "http.response.status_code"),
        ("import opentelemetry.semconv.attributes.http_attributes",
         "opentelemetry.semconv.attributes.http_attributes.HTTP_ROUTE", "http.route"),
        ("from opentelemetry.semconv._incubating.attributes import http_attributes as h",
         "h.HTTP_METHOD", "http.method"),
        ("from opentelemetry.semconv._incubating.attributes.net_attributes import *",
         "NET_PEER_NAME", "net.peer.name"),
        ("from opentelemetry.semconv.trace import SpanAttributes",
         "SpanAttributes.HTTP_METHOD", "http.method"),
        ("from opentelemetry.semconv.trace import SpanAttributes as SA",
         "SA.HTTP_STATUS_CODE", "http.status_code"),
        ("import opentelemetry.semconv.trace",
         "opentelemetry.semconv.trace.SpanAttributes.NET_PEER_NAME", "net.peer.name"),
        ("from opentelemetry.semconv import resource",
         "resource.ResourceAttributes.SERVICE_NAME", "service.name"),
    ],
)
def test_semconv_constants_resolve_through_every_import_style(
    imports: str, expression: str, value: str
) -> None:
    source = f"{imports}\n\ndef f(span):\n    span.set_attribute({expression}, 1)\n"
    (use,) = sites(source).attribute_keys
    assert (use.value, use.constant) == (value, expression)
    assert (use.line, use.column) == (4, 23)


def test_semconv_metric_constants_name_metrics() -> None:
    source = '''
        from opentelemetry.semconv.metrics import MetricInstruments
        from opentelemetry.semconv.metrics.http_metrics import HTTP_SERVER_REQUEST_DURATION

        a = meter.create_histogram(HTTP_SERVER_REQUEST_DURATION, unit="s")
        b = meter.create_histogram(MetricInstruments.HTTP_SERVER_DURATION, unit="ms")
        '''
    names = [(site.name.value, site.name.constant) for site in sites(source).metrics]
    assert sorted(names) == [
        ("http.server.duration", "MetricInstruments.HTTP_SERVER_DURATION"),
        ("http.server.request.duration", "HTTP_SERVER_REQUEST_DURATION"),
    ]


def test_import_inside_a_function_counts() -> None:
    source = '''
        def f(span):
            from opentelemetry.semconv.attributes import url_attributes
            span.set_attribute(url_attributes.URL_FULL, "x")
        '''
    assert keys(source) == ["url.full"]


@pytest.mark.parametrize(
    "source",
    [
        # Names that are not semconv constants stay unresolved (dynamic).
        "from app.conventions import HTTP_METHOD\nspan.set_attribute(HTTP_METHOD, 1)",
        "from opentelemetry.semconv.trace import SpanAttributes\n"
        "span.set_attribute(SpanAttributes.NOT_A_CONSTANT, 1)",
        "from opentelemetry.semconv.trace import HttpFlavorValues\n"
        "span.set_attribute(HttpFlavorValues.HTTP_1_1, 1)",
        "from . import semconv\nspan.set_attribute(semconv.HTTP_METHOD, 1)",
        "import opentelemetry.semconv.trace\n"
        "span.set_attribute(opentelemetry.trace.SpanKind, 1)",
    ],
)
def test_other_names_are_not_resolved(source: str) -> None:
    assert keys(source) == []


def test_module_level_string_constants_of_the_file_resolve() -> None:
    source = '''
        TENANT_KEY = "app.tenant"
        ROUTE: Final = "http.route"
        TWICE = "a.one"
        TWICE = "a.two"
        UNPACKED = "a.three"
        UNPACKED, OTHER = compute()
        lower_case = "a.four"
        COMPUTED = prefix + ".five"

        def handle(span):
            span.set_attributes({TENANT_KEY: 1, ROUTE: "/", TWICE: 2, UNPACKED: 3, lower_case: 4})
            span.set_attribute(COMPUTED, 5)
        '''
    found = sites(source).attribute_keys
    assert [(use.value, use.constant, use.defined_on, use.line) for use in found] == [
        ("app.tenant", "TENANT_KEY", 2, 12),
        ("http.route", "ROUTE", 3, 12),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"GET"', "string"),
        ("200", "int"),
        ("-1", "int"),
        ("0.5", "double"),
        ("True", "boolean"),
        ('["a", "b"]', "string[]"),
        ("(1, 2)", "int[]"),
        ("[1, 2.5]", "double[]"),
        ("[]", "[]"),
        ("value", None),
        ('f"{x}"', None),
        ('["a", 1]', None),
        ("[x]", None),
        ("None", None),
    ],
)
def test_literal_values_carry_their_type(value: str, expected: str | None) -> None:
    (set_one,) = sites(f'span.set_attribute("a.b", {value})').attribute_keys
    (in_dict,) = sites(f'span.set_attributes({{"a.b": {value}}})').attribute_keys
    for use in (set_one, in_dict):
        assert (use.literal.type if use.literal else None) == expected
    if set_one.literal is not None:
        assert (set_one.literal.line, set_one.literal.column) == (1, 26)


def test_semconv_metric_helpers_are_metric_factories() -> None:
    source = '''
        from opentelemetry.semconv._incubating.metrics import http_metrics
        from opentelemetry.semconv._incubating.metrics.db_metrics import (
            create_db_client_connections_usage,
        )
        from opentelemetry.semconv._incubating.metrics.system_metrics import *

        def setup(meter, callback):
            active = http_metrics.create_http_server_active_requests(meter)
            connections = create_db_client_connections_usage(meter)
            frequency = create_system_cpu_frequency(meter, [callback])
            other = factory.create_widget(meter)
            unknown = http_metrics.create_nothing(meter)
        '''
    found = [
        (site.name.value, site.factory, site.instrument, site.unit, site.name.line,
         site.name.column)
        for site in sites(source).metrics
    ]
    assert sorted(found) == [
        ("db.client.connections.usage", "create_db_client_connections_usage", "updowncounter",
         helper_unit("db_metrics", "create_db_client_connections_usage"), 10, 18),
        ("http.server.active_requests", "http_metrics.create_http_server_active_requests",
         "updowncounter", helper_unit("http_metrics", "create_http_server_active_requests"),
         9, 13),
        ("system.cpu.frequency", "create_system_cpu_frequency", "gauge",
         helper_unit("system_metrics", "create_system_cpu_frequency"), 11, 16),
    ]


def helper_unit(module: str, helper: str) -> str:
    """The unit the installed ``opentelemetry-semantic-conventions`` helper really passes to the
    meter (releases differ: 0.48b0's ``system.cpu.frequency`` is ``{Hz}``, later ones ``Hz``)."""
    units: list[str] = []

    class Meter:
        def __getattr__(self, method: str) -> Callable[..., None]:
            return lambda **arguments: units.append(arguments["unit"])

    create = getattr(importlib.import_module(
        f"opentelemetry.semconv._incubating.metrics.{module}"), helper)
    create(Meter(), *([[]] if "callbacks" in inspect.signature(create).parameters else []))
    (unit,) = units
    return unit
