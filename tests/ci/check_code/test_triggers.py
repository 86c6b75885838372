"""The text pre-filter never hides a call site that the full syntax-tree walk finds."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from telemetry_contracts.ci.scanner import call_sites, triggers
from telemetry_contracts.ci.scanner.call_sites import find_call_sites
from telemetry_contracts.ci.scanner.triggers import has_trigger, marked_lines
from telemetry_contracts.resolution.baseline import semconv_package_dir


@pytest.mark.parametrize(
    "source",
    [
        'span.set_attribute("a", 1)',
        'meter.create_observable_gauge("a", [cb])',
        'counter.add(1, {"a": 1})',
        "counter.add(\n    1,\n    attributes=labels,\n)",
        'histogram.record(len(items), {"a": 1})',
        'logger.info("x", extra={"a": 1})',
    ],
)
def test_sources_with_call_sites_pass_the_filter(source: str) -> None:
    assert has_trigger(source.encode())


@pytest.mark.parametrize(
    "source",
    [
        "import os\nprint(os.getcwd())\n",
        "seen.add(item)\nseen.add((a, b))\n",
        "event.set()\nvalues.record(x)\n",
        'logger.info("no extra here")\n',
    ],
)
def test_sources_without_call_sites_are_not_parsed(source: str) -> None:
    assert not has_trigger(source.encode())


def test_marked_lines_are_the_lines_holding_triggers_and_semconv_imports() -> None:
    source = (
        b"from opentelemetry.semconv.trace import SpanAttributes\n"
        b"x = 1\n"
        b"span.set_attribute(SpanAttributes.HTTP_METHOD, 1); span.set_attribute('a', 2)\n"
        b"seen.add(x)\n"
        b"counter.add(1, {'a': 1})\n"
    )
    assert marked_lines(source) == [1, 3, 5]


NESTED_CALL_SITES = b'''
from opentelemetry.semconv.trace import (
    SpanAttributes,
)

requests = meter.create_counter(
    "app.requests",
    unit="{request}",
)


@decorate(lambda span: span.set_attribute("a.decorator", 1))
class Handler(Base, metaclass=Meta):
    latency = meter.create_histogram("app.latency", "s") if enabled else None

    def handle(self, items, default=span.set_attributes({"a.default": 1})):
        with tracer.start_as_current_span(
            "op",
            attributes={SpanAttributes.HTTP_METHOD: "GET"},
        ) as span, other():
            try:
                values = {item: counter.add(1, {"a.comprehension": item}) for item in items}
            except Exception as error:
                span.record_exception(error, {"a.except": 1})
            match values:
                case {"x": 1}:
                    logger.warning("m", extra={"a.match": 1})
            return f"{requests.add(len(values), {'a.fstring': 1})}"


async def poll(options):
    async for item in source():
        await requests.add(
            item.elapsed,
            attributes={"a.async": item},
        )
    yield Observation(-1, {"a.observation": 1})
'''


def test_pruned_walk_finds_every_nested_call_site(monkeypatch: pytest.MonkeyPatch) -> None:
    tree = ast.parse(NESTED_CALL_SITES)
    pruned = find_call_sites(tree, NESTED_CALL_SITES)
    every_line = list(range(1, NESTED_CALL_SITES.count(b"\n") + 2))
    monkeypatch.setattr(call_sites, "marked_lines", lambda _: every_line)
    assert find_call_sites(tree, NESTED_CALL_SITES) == pruned
    assert len(pruned.metrics) == 2
    assert sorted(use.value for use in pruned.attribute_keys) == [
        "a.async", "a.comprehension", "a.decorator", "a.default", "a.except", "a.fstring",
        "a.match", "a.observation", "http.method",
    ]


def _installed_sources() -> list[Path]:
    """Every module of the installed ``opentelemetry`` namespace (API, SDK, semconv, ...)."""
    return sorted(semconv_package_dir().parent.rglob("*.py"))


def test_pruned_walk_finds_what_the_full_walk_finds_on_installed_opentelemetry_sources(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On real code, walking only marked statements loses no call site and no semconv import."""
    files = _installed_sources()
    assert len(files) > 100
    found = 0
    for path in files:
        source = path.read_bytes()
        tree = ast.parse(source)
        pruned = find_call_sites(tree, source)
        every_line = list(range(1, source.count(b"\n") + 2))
        with monkeypatch.context() as patch:
            patch.setattr(call_sites, "marked_lines", lambda _, lines=every_line: lines)
            full = find_call_sites(tree, source)
        assert pruned == full, path
        if full.metrics or full.attribute_keys:
            found += 1
            assert has_trigger(source), path
    assert found > 0


def test_call_sites_in_decorators_of_otherwise_plain_definitions_are_found() -> None:
    source = b'''
@traced(attributes_from=lambda span: span.set_attribute("a.function", 1))
def plain():
    return 1


@register(
    meter.create_counter("a.counter")
)
class Plain:
    @staticmethod
    @hook(lambda span: span.set_attribute("a.method", 1))
    async def method():
        return 2
'''
    found = find_call_sites(ast.parse(source), source)
    assert sorted(use.value for use in found.attribute_keys) == ["a.function", "a.method"]
    assert [site.name.value for site in found.metrics] == ["a.counter"]


def test_the_bracket_count_budget_never_hides_a_call_site() -> None:
    """Past the budget every generic trigger counts, so the last call site is still found."""
    filler = b"seen.add(item)\n" * (2 * triggers._SCAN_BUDGET // len(b"item)"))
    source = filler + b'counter.add(1, {"a.last": 1})\n'
    assert has_trigger(source)
    lines = marked_lines(source)
    total = source.count(b"\n")
    assert 1 not in lines  # judged: no mapping in its arguments
    assert total - 1 in lines  # past the budget: counted without judging
    assert lines[-1] == total
    found = find_call_sites(ast.parse(source), source)
    assert [use.value for use in found.attribute_keys] == ["a.last"]


def test_files_over_the_size_limit_are_not_parsed(tmp_path: Path) -> None:
    from telemetry_contracts.ci.code_scanner import MAX_SOURCE_BYTES, check_code
    from telemetry_contracts.schemas.snapshot import Snapshot

    path = tmp_path / "generated.py"
    path.write_bytes(b'span.set_attribute("a", 1)\n' + b"#" * MAX_SOURCE_BYTES)
    result = check_code([path], Snapshot.build(registry="empty", version="0"))
    (finding,) = result.findings
    assert (finding.code, finding.severity) == ("TC100", "warning")
    assert "over 2,097,152 bytes; not checked" in finding.message
    assert result.files_parsed == 0
