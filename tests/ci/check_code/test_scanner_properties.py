"""Properties over generated sources: --fix touches only the literals; no input crashes a scan."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telemetry_contracts.ci.code_scanner import check_code
from telemetry_contracts.schemas.snapshot import Snapshot

RENAMES = {
    "http.method": "http.request.method",
    "http.status_code": "http.response.status_code",
    "db.system": "db.system.name",
}
QUOTES = ["'", '"', "'''", '"""']
PREFIXES = ["", "u", "r", "R", "U"]
GAPS = st.sampled_from(["", " ", "  ", "\t"])
COMMENTS = st.sampled_from(["", "  # note", "  # telemetry é", "\t# x: y"])
PLAIN_LINES = st.sampled_from(["", "x = 1", "# é comment", 'VALUE = "http.method"'])
FIXTURES_OK = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def call_lines(draw: st.DrawFn) -> tuple[str, str]:
    """One line holding a call site with a deprecated literal, and the same line fixed."""
    old = draw(st.sampled_from(sorted(RENAMES)))
    quote = draw(st.sampled_from(QUOTES))
    prefix = draw(st.sampled_from(PREFIXES))
    before, after, comment = draw(GAPS), draw(GAPS), draw(COMMENTS)
    template = draw(st.sampled_from([
        "span.set_attribute({gap}{lit}{gap2}, value){comment}",
        "span.set_attributes({{{gap}{lit}{gap2}: value}}){comment}",
        "counter.add(1, {{{lit}:{gap}value}}){comment}",
        "tracer.start_span('op', attributes={{{lit}: x}}){comment}",
    ]))

    def line(name: str) -> str:
        literal = f"{prefix}{quote}{name}{quote}"
        return template.format(gap=before, gap2=after, lit=literal, comment=comment)

    return line(old), line(RENAMES[old])


@given(
    lines=st.lists(
        st.one_of(call_lines(), PLAIN_LINES.map(lambda line: (line, line))),
        min_size=1, max_size=12,
    ),
    newline=st.sampled_from(["\n", "\r\n"]),
)
@settings(FIXTURES_OK, max_examples=60)
def test_fix_changes_only_the_deprecated_literals(
    lines: list[tuple[str, str]], newline: str, snapshot_v1_44: Snapshot, tmp_path: Path
) -> None:
    path = tmp_path / "generated.py"
    source = newline.join(old for old, _ in lines) + newline
    expected = newline.join(new for _, new in lines) + newline
    path.write_bytes(source.encode())
    result = check_code([path], snapshot_v1_44, fix=True)
    assert path.read_bytes() == expected.encode()
    assert result.findings == []
    assert len(result.fixed) == sum(old != new for old, new in lines)
    assert check_code([path], snapshot_v1_44).findings == []


@given(
    junk=st.binary(max_size=300),
    trigger=st.sampled_from([b'span.set_attribute("a", 1)', b"counter.add(1, {", b"extra={",
                             b"\x00", b"# -*- coding: nope -*-\n", b"(" * 300]),
)
@settings(FIXTURES_OK, max_examples=80)
def test_arbitrary_bytes_never_crash_a_scan(
    junk: bytes, trigger: bytes, snapshot_v1_44: Snapshot, tmp_path: Path
) -> None:
    path = tmp_path / "junk.py"
    path.write_bytes(trigger + junk + trigger)
    result = check_code([path], snapshot_v1_44, fix=True)
    for finding in result.findings:
        assert finding.code in {"TC100", "TC801", "TC802", "TC803", "TC808", "TC809"}
        assert finding.location.file == str(path)
