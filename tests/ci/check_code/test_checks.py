"""Findings of ``check_code`` against the official v1.44.0 registry and small custom ones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from telemetry_contracts.ci.code_scanner import check_code, python_files
from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.model import Attribute, Deprecation, Metric
from telemetry_contracts.schemas.snapshot import Snapshot

WriteSource = Callable[[str, str], Path]


def findings(path: Path, snapshot: Snapshot, **options: object) -> list[Finding]:
    return check_code([path], snapshot, **options).findings  # type: ignore[arg-type]


def summary(found: list[Finding]) -> list[tuple[str, int, int, str | None]]:
    return [(f.code, f.location.line, f.location.column, f.subject) for f in found]


def test_registered_names_pass(write_source: WriteSource, snapshot_v1_44: Snapshot) -> None:
    path = write_source("clean.py", '''
        from opentelemetry.semconv.attributes import http_attributes

        duration = meter.create_histogram("http.server.request.duration", unit="s")
        active = meter.create_up_down_counter("http.server.active_requests", "{request}")

        def handle(span):
            span.set_attribute(http_attributes.HTTP_ROUTE, "/a")
            span.set_attribute("http.request.header.x-request-id", ["1"])
            duration.record(0.1, {"http.request.method": "GET", "url.scheme": "https"})
        ''')
    assert findings(path, snapshot_v1_44) == []


def test_unknown_metric_and_attribute(write_source: WriteSource, snapshot_v1_44: Snapshot) -> None:
    path = write_source("unknown.py", '''
        widgets = meter.create_counter("app.widgets.made")
        span.set_attribute("app.widget.color", "red")
        span.set_attribute("http.request.headerx", "red")
        ''')
    found = findings(path, snapshot_v1_44)
    assert summary(found) == [
        ("TC801", 2, 32, "app.widgets.made"),
        ("TC802", 3, 20, "app.widget.color"),
        ("TC802", 4, 20, "http.request.headerx"),
    ]
    assert found[0].message == "metric `app.widgets.made` is not in the registry"
    assert found[0].location.file == str(path)
    assert all(finding.severity == "error" for finding in found)


def test_deprecated_literal_names_their_replacement(
    write_source: WriteSource, snapshot_v1_44: Snapshot
) -> None:
    path = write_source("old.py", '''
        cpu = meter.create_counter("cpu.time", unit="s")
        span.set_attributes({"http.status_code": 200, "container.labels.app": "x"})
        ''')
    found = findings(path, snapshot_v1_44)
    assert [(f.code, f.subject, f.message) for f in found] == [
        ("TC803", "cpu.time", "metric `cpu.time` is deprecated: use `system.cpu.time`"),
        ("TC803", "http.status_code",
         "attribute `http.status_code` is deprecated: use `http.response.status_code`"),
        ("TC803", "container.labels.app",
         "attribute `container.labels.app` is deprecated: use `container.label.app`"),
    ]
    assert {f.hint for f in found} == {"--fix rewrites it"}


def test_deprecated_constant_names_the_replacement_constant(
    write_source: WriteSource, snapshot_v1_44: Snapshot
) -> None:
    path = write_source("constant.py", '''
        from opentelemetry.semconv.trace import SpanAttributes

        span.set_attribute(SpanAttributes.HTTP_METHOD, "GET")
        ''')
    (finding,) = findings(path, snapshot_v1_44)
    assert (finding.code, finding.location.line, finding.location.column) == ("TC803", 4, 20)
    assert finding.message == "attribute `http.method` is deprecated: use `http.request.method`"
    assert finding.hint is not None
    assert "`SpanAttributes.HTTP_METHOD`, which --fix does not rewrite" in finding.hint
    assert "opentelemetry.semconv.attributes.http_attributes.HTTP_REQUEST_METHOD" in finding.hint


def test_deprecated_without_single_replacement_quotes_the_note(
    write_source: WriteSource, snapshot_v1_44: Snapshot
) -> None:
    path = write_source("peer.py", 'span.set_attribute("net.peer.name", "db")\n')
    (finding,) = findings(path, snapshot_v1_44)
    assert finding.code == "TC803"
    assert "has no single replacement" in finding.message
    assert "`server.address` on client spans" in finding.message
    assert finding.hint is None


def test_multi_line_deprecation_notes_stay_on_one_line(write_source: WriteSource) -> None:
    snapshot = Snapshot.build(registry="test", version="1", attributes=[
        Attribute(key="a.old", type="string",
                  deprecated=Deprecation(note="Moved to\n  [another](https://x)\n\nrepository.")),
    ])
    path = write_source("note.py", 'span.set_attribute("a.old", "v")\n')
    (finding,) = findings(path, snapshot)
    assert finding.message == (
        "attribute `a.old` is deprecated and has no single replacement: "
        "Moved to [another](https://x) repository."
    )


def test_wrong_instrument_and_unit(write_source: WriteSource, snapshot_v1_44: Snapshot) -> None:
    path = write_source("instruments.py", '''
        a = meter.create_counter("http.client.request.duration", unit="s")
        b = meter.create_histogram("http.client.request.duration", unit="ms")
        c = meter.create_histogram("http.client.request.duration")
        d = meter.create_histogram("http.client.request.duration", unit=UNIT)
        e = meter.create_observable_up_down_counter("http.server.active_requests", [f], "{request}")
        ''')
    found = findings(path, snapshot_v1_44)
    assert summary(found) == [
        ("TC808", 2, 26, "http.client.request.duration"),
        ("TC809", 3, 28, "http.client.request.duration"),
        ("TC809", 4, 28, "http.client.request.duration"),
    ]
    assert found[0].message == (
        "metric `http.client.request.duration` is a histogram in the registry, "
        "but `create_counter` makes a counter"
    )
    assert found[1].message == (
        "metric `http.client.request.duration` has unit `s` in the registry, not `ms`"
    )
    assert found[2].hint == 'pass unit="s"'
    assert found[2].message == (
        "metric `http.client.request.duration` has unit `s` in the registry, "
        "but the call passes no unit"
    )


def test_columns_count_characters_not_bytes(
    write_source: WriteSource, snapshot_v1_44: Snapshot
) -> None:
    path = write_source("unicode.py", 'note = "héllo wörld"; span.set_attribute("app.x", 1)\n')
    (finding,) = findings(path, snapshot_v1_44)
    assert (finding.location.line, finding.location.column) == (1, 42)


def test_rename_chains_end_at_the_first_live_name(write_source: WriteSource) -> None:
    snapshot = Snapshot.build(
        registry="test", version="1",
        attributes=[
            Attribute(key="a.one", type="string",
                      deprecated=Deprecation(reason="renamed", renamed_to="a.two")),
            Attribute(key="a.two", type="string",
                      deprecated=Deprecation(reason="renamed", renamed_to="a.three")),
            Attribute(key="a.three", type="string"),
        ],
        metrics=[Metric(name="m.count", instrument="counter", unit="{item}")],
    )
    path = write_source("chain.py", 'span.set_attribute("a.one", "v")\n')
    (finding,) = findings(path, snapshot)
    assert finding.message == "attribute `a.one` is deprecated: use `a.three`"
    assert finding.hint == "--fix rewrites it"


def test_renames_to_unregistered_names_are_not_fixed(write_source: WriteSource) -> None:
    snapshot = Snapshot.build(
        registry="test", version="1",
        attributes=[Attribute(key="a.old", type="string",
                              deprecated=Deprecation(reason="renamed", renamed_to="a.gone"))],
        metrics=[Metric(name="m.old", instrument="counter", unit="1",
                        deprecated=Deprecation(reason="renamed", renamed_to="m.gone"))],
    )
    path = write_source("gone.py", '''
        meter.create_counter("m.old", "1")
        s.set_attribute("a.old", "v")
        ''')
    result = check_code([path], snapshot, fix=True)
    assert [(f.message, f.hint) for f in result.findings] == [
        ("metric `m.old` is deprecated: use `m.gone`",
         "`m.gone` is not in the registry either, so --fix leaves it"),
        ("attribute `a.old` is deprecated: use `a.gone`",
         "`a.gone` is not in the registry either, so --fix leaves it"),
    ]
    assert result.fixed == []


def test_inline_ignore_silences_only_its_codes_on_its_line(
    write_source: WriteSource, snapshot_v1_44: Snapshot
) -> None:
    path = write_source("ignored.py", '''
        span.set_attribute("http.method", "GET")  # telemetry-contracts: ignore[TC803]
        span.set_attribute("http.method", "GET")  # telemetry-contracts: ignore[TC802]
        span.set_attribute("app.x", 1)  # telemetry-contracts: ignore[TC801, TC802]
        span.set_attribute("app.y", 1)  # noqa
        span.set_attribute("app.z", 1)
        # telemetry-contracts: ignore[TC802]
        ''')
    assert summary(findings(path, snapshot_v1_44)) == [
        ("TC803", 3, 20, "http.method"),
        ("TC802", 5, 20, "app.y"),
        ("TC802", 6, 20, "app.z"),
    ]


def test_rules_can_be_switched_off_per_file_before_fixing(
    write_source: WriteSource, snapshot_v1_44: Snapshot
) -> None:
    kept = write_source("kept.py", 'span.set_attribute("http.method", "GET")\n')
    legacy = write_source("legacy/old.py", 'span.set_attribute("http.method", "GET")\n')

    def enabled(path: Path, code: str) -> bool:
        return not (path.parent.name == "legacy" and code == "TC803")

    result = check_code([kept, legacy], snapshot_v1_44, fix=True, enabled=enabled)
    assert [(Path(f.location.file).name, f.code) for f in result.fixed] == [("kept.py", "TC803")]
    assert result.findings == []
    assert legacy.read_text() == 'span.set_attribute("http.method", "GET")\n'


def test_unparsable_file_is_a_warning_and_others_are_still_checked(
    write_source: WriteSource, snapshot_v1_44: Snapshot
) -> None:
    broken = write_source("broken.py", 'span.set_attribute("app.x", 1\n')
    nulls = write_source("nulls.py", "")
    nulls.write_bytes(b'span.set_attribute("a", 1)\x00\n')
    good = write_source("good.py", 'span.set_attribute("app.x", 1)\n')
    result = check_code([broken, nulls, good], snapshot_v1_44)
    assert [(f.code, f.severity, Path(f.location.file).name) for f in result.findings] == [
        ("TC100", "warning", "broken.py"),
        ("TC100", "warning", "nulls.py"),
        ("TC802", "error", "good.py"),
    ]
    assert "cannot parse Python" in result.findings[0].message
    assert result.files_scanned == 3


def test_files_without_call_sites_are_read_but_not_parsed(
    write_source: WriteSource, snapshot_v1_44: Snapshot
) -> None:
    plain = write_source("plain.py", "import os\nprint(os.getcwd(\n")  # not even valid
    result = check_code([plain], snapshot_v1_44)
    assert (result.findings, result.files_scanned, result.files_parsed) == ([], 1, 0)


def test_python_files_walks_folders_and_honours_exclude(tmp_path: Path) -> None:
    for name in ("app/a.py", "app/b.txt", "app/gen/c_pb2.py", "app/fixtures/d.py",
                 ".venv/lib/e.py", "app/__pycache__/f.py", "node_modules/g.py", "top.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    found = python_files([tmp_path], ["*_pb2.py", "app/fixtures"], root=tmp_path)
    assert sorted(path.relative_to(tmp_path).as_posix() for path in found) == ["app/a.py", "top.py"]
    explicit = python_files([tmp_path / "app/gen/c_pb2.py", tmp_path / "app/b.txt"],
                            ["*_pb2.py"], root=tmp_path)
    assert [path.name for path in explicit] == ["b.txt"]


def test_deprecated_module_constant_points_at_its_definition(
    write_source: WriteSource, snapshot_v1_44: Snapshot
) -> None:
    path = write_source("keys.py", '''
        STATUS = "http.status_code"
        requests = meter.create_counter("http.server.request.duration")

        def handle(span):
            span.set_attribute(STATUS, 200)
        ''')
    found = check_code([path], snapshot_v1_44, fix=True)
    assert summary(found.findings) == [
        ("TC808", 3, 33, "http.server.request.duration"),
        ("TC809", 3, 33, "http.server.request.duration"),
        ("TC803", 6, 24, "http.status_code"),
    ]
    assert found.findings[2].hint == (
        "written as the constant `STATUS` (line 2), which --fix does not rewrite: "
        "change its value by hand"
    )
    assert found.fixed == []
    assert 'STATUS = "http.status_code"' in path.read_text()


def test_literal_values_of_the_wrong_type(
    write_source: WriteSource, snapshot_v1_44: Snapshot
) -> None:
    path = write_source("types.py", '''
        span.set_attribute("http.response.status_code", "200")
        span.set_attributes({"server.port": 8080, "server.address": 10, "url.full": value})
        span.set_attribute("http.request.header.x-id", "1")
        span.set_attribute("http.request.header.x-id", [])
        span.set_attribute("http.request.method", "GET")
        span.set_attribute("http.request.method", 1)
        span.set_attribute("http.status_code", 200)
        histogram.record(0.5, {"http.response.status_code": 200.0, "http.route": "/"})
        ''')
    found = findings(path, snapshot_v1_44)
    assert summary(found) == [
        ("TC804", 2, 49, "http.response.status_code"),
        ("TC804", 3, 61, "server.address"),
        ("TC804", 4, 48, "http.request.header.x-id"),
        ("TC804", 7, 43, "http.request.method"),
        ("TC803", 8, 20, "http.status_code"),
        ("TC804", 9, 53, "http.response.status_code"),
    ]
    assert found[0].message == (
        "attribute `http.response.status_code` takes int values, not string"
    )
    assert found[0].hint == "pass a value of type int"
    assert found[2].message == (
        "attribute `http.request.header.x-id` takes string[] values, not string"
    )


def test_semconv_helpers_of_deprecated_metrics_name_the_replacement_helper(
    write_source: WriteSource, snapshot_v1_44: Snapshot
) -> None:
    path = write_source("helpers.py", '''
        from opentelemetry.semconv._incubating.metrics import db_metrics

        usage = db_metrics.create_db_client_connections_usage(meter)
        count = db_metrics.create_db_client_connection_count(meter)
        ''')
    (finding,) = findings(path, snapshot_v1_44)
    assert (finding.code, finding.location.line, finding.location.column) == ("TC803", 4, 9)
    assert finding.message == (
        "metric `db.client.connections.usage` is deprecated: use `db.client.connection.count`"
    )
    assert finding.hint == (
        "written as `db_metrics.create_db_client_connections_usage`, which --fix does not "
        "rewrite: replace it by hand with `opentelemetry.semconv._incubating.metrics."
        "db_metrics.create_db_client_connection_count`"
    )
