"""``check-code --fix``: deprecated literals become their replacements, every other byte stays."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from telemetry_contracts.ci.code_scanner import check_code
from telemetry_contracts.ci.scanner.call_sites import find_call_sites
from telemetry_contracts.ci.scanner.checks import RegistryIndex, check_call_sites
from telemetry_contracts.ci.scanner.fixes import apply_fixes
from telemetry_contracts.schemas.snapshot import Snapshot

SERVER = b'''\
"""HTTP server handlers."""
from opentelemetry import trace

tracer = trace.get_tracer(__name__)


def handle(request):
    with tracer.start_as_current_span(
        "GET /items",
        attributes={'http.method': request.method, "http.route": "/items"},
    ) as span:
        span.set_attribute("http.status_code", 200)  # status
        span.set_attribute( "http.user_agent" ,   request.agent)   # odd   spacing
        return {"http.method": "a dict that is not telemetry"}
'''
CLIENT = (
    "# Client \u2014 na\u00efve retries\r\n"
    "def call(span, host):\r\n"
    '    span.set_attributes({"db.system": "postgresql", "net.host.port": 5432})\r\n'
    "    span.set_attribute(u\"http.status_code\", 404); span.set_attribute(r'http.method', m)\r\n"
    '    print("\u00e9t\u00e9") or span.set_attribute("http.user_agent", "x")\r\n'
).encode()
METRICS = b"""\
from opentelemetry import metrics

meter = metrics.get_meter("app")
cpu = meter.create_counter("cpu.time", unit="s")
usage = meter.create_up_down_counter(name='''db.client.connections.usage''', unit="{connection}")
"""
UNTOUCHED = b'"""No telemetry here."""\nVALUE = "http.method"\n'
CLI = Path(sys.executable).parent / "telemetry-contracts"
RENAMES = {
    "http.method": "http.request.method",
    "http.status_code": "http.response.status_code",
    "http.user_agent": "user_agent.original",
    "db.system": "db.system.name",
    "net.host.port": "server.port",
    "cpu.time": "system.cpu.time",
    "db.client.connections.usage": "db.client.connection.count",
}


def _expected(source: bytes, literals: list[tuple[bytes, bytes]]) -> bytes:
    """``source`` with each ``old`` literal text replaced once, in order."""
    for old, new in literals:
        assert old in source
        source = source.replace(old, new, 1)
    return source


EXPECTED = {
    "app/server.py": _expected(SERVER, [
        (b"'http.method'", b"'http.request.method'"),
        (b'"http.status_code"', b'"http.response.status_code"'),
        (b'"http.user_agent"', b'"user_agent.original"'),
    ]),
    "app/client.py": _expected(CLIENT, [
        (b'"db.system"', b'"db.system.name"'),
        (b'"net.host.port"', b'"server.port"'),
        (b'u"http.status_code"', b'u"http.response.status_code"'),
        (b"r'http.method'", b"r'http.request.method'"),
        (b'"http.user_agent"', b'"user_agent.original"'),
    ]),
    "app/metrics.py": _expected(METRICS, [
        (b'"cpu.time"', b'"system.cpu.time"'),
        (b"'''db.client.connections.usage'''", b"'''db.client.connection.count'''"),
    ]),
    "app/untouched.py": UNTOUCHED,
}


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    for name, source in (("server.py", SERVER), ("client.py", CLIENT),
                         ("metrics.py", METRICS), ("untouched.py", UNTOUCHED)):
        (tmp_path / "app" / name).write_bytes(source)
    return tmp_path


def run_cli(project: Path, snapshot_file: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "check-code", "app",
         "--registry", str(snapshot_file), *options],
        cwd=project, capture_output=True, text=True, timeout=120,
    )


def test_fix_rewrites_every_deprecated_literal_and_a_second_run_is_clean(
    sample_project: Path, snapshot_file: Path
) -> None:
    before = run_cli(sample_project, snapshot_file, "--format", "json")
    assert before.returncode == 1
    reported = json.loads(before.stdout)
    assert {finding["code"] for finding in reported} == {"TC803"}
    assert len(reported) == 10
    assert {finding["subject"] for finding in reported} == set(RENAMES)

    fixed = run_cli(sample_project, snapshot_file, "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert fixed.stdout == ""
    assert "fixed 10 deprecated names in 3 files" in fixed.stderr
    for name, expected in EXPECTED.items():
        assert (sample_project / name).read_bytes() == expected, name

    again = run_cli(sample_project, snapshot_file)
    assert (again.returncode, again.stdout) == (0, "")
    for name, expected in EXPECTED.items():
        assert (sample_project / name).read_bytes() == expected, name


def test_fix_leaves_constants_names_without_replacement_and_ignored_lines(
    sample_project: Path, snapshot_file: Path
) -> None:
    source = (
        b"from opentelemetry.semconv.trace import SpanAttributes\n"
        b"span.set_attribute(SpanAttributes.HTTP_METHOD, method)\n"
        b'span.set_attribute("net.peer.name", "db")\n'
        b'span.set_attribute("http.method", "GET")  # telemetry-contracts: ignore[TC803]\n'
    )
    (sample_project / "app" / "left.py").write_bytes(source)
    result = run_cli(sample_project, snapshot_file, "--fix")
    assert result.returncode == 1
    assert (sample_project / "app" / "left.py").read_bytes() == source
    lines = result.stdout.splitlines()
    assert lines[0].startswith("app/left.py:2:20: error TC803 attribute `http.method` is "
                               "deprecated: use `http.request.method` (written as "
                               "`SpanAttributes.HTTP_METHOD`, which --fix does not rewrite")
    assert lines[1].startswith("app/left.py:3:20: error TC803 attribute `net.peer.name` is "
                               "deprecated and has no single replacement")
    assert lines[2:] == ["2 errors"]


def _fix(source: bytes, snapshot: Snapshot) -> bytes:
    sites = find_call_sites(ast.parse(source), source)
    fixed, _ = apply_fixes(source, check_call_sites(sites, RegistryIndex(snapshot)))
    return fixed


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b't.start_span("x", attributes={"http.method": "GET"})',
         b't.start_span("x", attributes={"http.request.method": "GET"})'),
        (b"s.set_attribute('http.method', 1)", b"s.set_attribute('http.request.method', 1)"),
        (b's.set_attribute("""http.method""", 1)',
         b's.set_attribute("""http.request.method""", 1)'),
        (b"s.set_attribute(U'http.method', 1)", b"s.set_attribute(U'http.request.method', 1)"),
        (b's.set_attribute(R"http.method", 1)', b's.set_attribute(R"http.request.method", 1)'),
    ],
)
def test_fix_keeps_prefix_and_quotes(
    source: bytes, expected: bytes, snapshot_v1_44: Snapshot
) -> None:
    assert _fix(source, snapshot_v1_44) == expected


@pytest.mark.parametrize(
    "source",
    [
        b's.set_attribute("http." "method", 1)',
        b's.set_attribute("http\\x2emethod", 1)',
        b's.set_attribute(\n    "http."\n    "method",\n    1,\n)',
    ],
)
def test_fix_leaves_literals_it_cannot_rewrite_exactly(
    source: bytes, snapshot_v1_44: Snapshot
) -> None:
    sites = find_call_sites(ast.parse(source), source)
    assert [use.value for use in sites.attribute_keys] == ["http.method"]
    assert _fix(source, snapshot_v1_44) == source


def test_fix_in_process_reports_what_it_fixed(
    sample_project: Path, snapshot_v1_44: Snapshot
) -> None:
    client = sample_project / "app" / "client.py"
    result = check_code([client], snapshot_v1_44, fix=True)
    assert result.findings == []
    assert [(f.location.line, f.subject) for f in result.fixed] == [
        (3, "db.system"), (3, "net.host.port"), (4, "http.status_code"), (4, "http.method"),
        (5, "http.user_agent"),
    ]
    assert result.fixed[-1].location.column == 40  # characters, not bytes
    assert client.read_bytes() == EXPECTED["app/client.py"]


def test_findings_left_after_fix_point_into_the_rewritten_file(
    tmp_path: Path, snapshot_v1_44: Snapshot
) -> None:
    path = tmp_path / "shifted.py"
    path.write_bytes(b'span.set_attributes({"http.method": "GET", "app.unknown": 2})\n')
    result = check_code([path], snapshot_v1_44, fix=True)
    rewritten = b'span.set_attributes({"http.request.method": "GET", "app.unknown": 2})\n'
    assert path.read_bytes() == rewritten
    (left,) = result.findings
    assert (left.code, left.location.column) == ("TC802", 52)
    assert path.read_bytes()[left.location.column - 1:].startswith(b'"app.unknown"')
    (fixed,) = result.fixed
    assert (fixed.code, fixed.location.column) == ("TC803", 22)
