"""The diff of the official models v1.26.0 -> v1.27.0 against the official schema file 1.27.0.

Every rename the schema file lists for 1.27.0 whose old name is in v1.26.0 and whose new name is
in v1.27.0 must be found, except those the v1.27.0 model itself does not state as a rename; each
such exception is checked against the model below, so it cannot hide a regression.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from telemetry_contracts.ci.cli import app
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.validators.compatibility import RegistryDiff, compare
from tests.cli_runner import cli_runner
from tests.conftest import SEMCONV, require_path, semconv_model

Rename = tuple[str, str, str]  # (attribute|metric, old name, new name)


@pytest.fixture(scope="session")
def models(semconv_v1_26: Path, semconv_v1_27: Path) -> tuple[Snapshot, Snapshot]:
    return load_registry(semconv_v1_26).snapshot, load_registry(semconv_v1_27).snapshot


@pytest.fixture(scope="session")
def semconv_diff(models: tuple[Snapshot, Snapshot]) -> RegistryDiff:
    return compare(*models)


def schema_file_renames(document: dict, version: str) -> set[Rename]:
    """Attribute and metric renames of one version entry, from every section of it."""
    found: set[Rename] = set()
    for section in (document["versions"][version] or {}).values():
        for change in section.get("changes", []):
            attribute_map = (change.get("rename_attributes") or {}).get("attribute_map") or {}
            found |= {("attribute", old, new) for old, new in attribute_map.items()}
            found |= {("metric", old, new) for old, new in (change.get("rename_metrics") or {}
                                                             ).items()}
    return found


def diff_renames(diff: RegistryDiff) -> set[Rename]:
    return {(kind, old, new) for kind in ("attribute", "metric")
            for old, new in diff.renames.get(kind, {}).items()}


def names(snapshot: Snapshot, kind: str) -> dict[str, object]:
    items = snapshot.attributes if kind == "attribute" else snapshot.metrics
    return {getattr(item, "key", None) or item.name: item for item in items}  # type: ignore[union-attr]


def not_stated_as_rename(rename: Rename, new: Snapshot) -> str | None:
    """Why the v1.27.0 model does not state ``rename`` (checked against the model), or None."""
    kind, old, target = rename
    deprecated = getattr(names(new, kind)[old], "deprecated", None)
    if deprecated is None:
        return "not deprecated in v1.27.0"
    if deprecated.renamed_to is None and "No replacement for" in (deprecated.note or ""):
        return f"a partial replacement, not a rename: {deprecated.note!r}"
    if deprecated.renamed_to != target and deprecated.renamed_to not in names(new, kind):
        return (f"the model renames it to `{deprecated.renamed_to}`, which v1.27.0 does not "
                "define")
    return None


def test_every_derivable_rename_of_the_schema_file_is_found(
    semconv_diff: RegistryDiff, models: tuple[Snapshot, Snapshot], schema_file_1_27: Path
) -> None:
    old, new = models
    expected = schema_file_renames(yaml.safe_load(schema_file_1_27.read_text()), "1.27.0")
    found = diff_renames(semconv_diff)
    in_scope = {r for r in expected
                if r[1] in names(old, r[0]) and r[2] in names(new, r[0])}
    reasons = {r: not_stated_as_rename(r, new) for r in in_scope - found}
    unexplained = [r for r, reason in reasons.items() if reason is None]
    assert unexplained == []
    derivable = in_scope - set(reasons)
    recall = len(derivable & found) / len(derivable)
    assert recall == 1.0
    # The only in-scope renames the model does not state (see the module docstring):
    assert {r[1] for r in reasons} == {"messaging.publish.messages"}
    precision = len(found & expected) / len(found)
    hits = len(found & expected)
    print(f"\nschema file 1.27.0: {len(expected)} renames, {len(in_scope)} with both names in "
          f"the models, {len(derivable)} stated by the v1.27.0 model; diff: {len(found)} "
          f"renames; recall {hits}/{len(expected)} = {hits / len(expected):.3f} (in scope "
          f"{len(in_scope & found)}/{len(in_scope)}, stated by the model {recall:.3f}); "
          f"precision {hits}/{len(found)} = {precision:.3f}")
    assert precision >= 0.6  # the model states renames the schema file leaves out (reported)


def test_renames_are_compatible_changes(semconv_diff: RegistryDiff) -> None:
    renames = [c for c in semconv_diff.changes if c.kind == "renamed"]
    assert renames and not any(c.breaks("FULL") for c in renames)
    assert semconv_diff.bump == "minor"


def test_diff_command_reports_the_renames(
    semconv_v1_26: Path, semconv_v1_27: Path, semconv_diff: RegistryDiff
) -> None:
    result = cli_runner().invoke(app, ["diff", "--baseline", str(semconv_v1_26),
                                      "--head", str(semconv_v1_27)])
    assert result.exit_code == 0, result.stderr
    for _, old, new in diff_renames(semconv_diff):
        assert f"`{old}` renamed to `{new}`" in result.stdout


def test_exported_schema_file_carries_the_renames(
    semconv_v1_26: Path, semconv_v1_27: Path, semconv_diff: RegistryDiff,
    models: tuple[Snapshot, Snapshot], schema_file_1_27: Path, tmp_path: Path,
) -> None:
    target = tmp_path / "schema" / "1.27.0"
    result = cli_runner().invoke(app, [
        "export", str(semconv_v1_27), "--to", "schema-file", "--baseline", str(semconv_v1_26),
        "--schema-url", "https://opentelemetry.io/schemas/1.27.0", "-o", str(target),
    ])
    assert result.exit_code == 0, result.stderr
    assert ("metrics `messaging.publish.duration`, `messaging.receive.duration` merge into "
            "`messaging.client.operation.duration`: not written as renames") in result.stderr
    document = yaml.safe_load(target.read_text())
    assert document["file_format"] == "1.1.0"
    assert document["schema_url"] == "https://opentelemetry.io/schemas/1.27.0"
    assert list(document["versions"]) == ["1.27.0", "1.26.0"]
    exported = schema_file_renames(document, "1.27.0")
    _, new = models
    # Everything the diff found, except renames to names v1.27.0 does not define and merges.
    targets = Counter((kind, target) for kind, _, target in diff_renames(semconv_diff))
    assert exported == {r for r in diff_renames(semconv_diff)
                        if r[2] in names(new, r[0]) and targets[(r[0], r[2])] == 1}
    assert not {r for r in exported if targets[(r[0], r[2])] > 1}
    official = schema_file_renames(yaml.safe_load(schema_file_1_27.read_text()), "1.27.0")
    assert {("attribute", "deployment.environment", "deployment.environment.name"),
            ("attribute", "tls.client.server_name", "server.address"),
            ("metric", "jvm.buffer.memory.usage", "jvm.buffer.memory.used")} <= exported & official


def test_added_and_removed_follow_the_key_sets(
    semconv_diff: RegistryDiff, models: tuple[Snapshot, Snapshot]
) -> None:
    old, new = models
    for kind in ("attribute", "metric"):
        before, after = set(names(old, kind)), set(names(new, kind))
        changes = [c for c in semconv_diff.changes if c.subject_kind == kind]
        assert {c.subject for c in changes if c.kind == "added"} == after - before
        assert {c.subject for c in changes if c.kind == "removed"} == before - after
    assert compare(new, new).changes == []
    def top_level(diff: RegistryDiff, kind: str) -> set[tuple[str, str]]:
        return {(c.subject_kind, c.subject) for c in diff.changes
                if c.kind == kind and c.subject_kind in ("attribute", "metric")}

    assert top_level(compare(new, old), "removed") == top_level(semconv_diff, "added")


def check_code_findings(tmp_path: Path, code: str) -> list[dict[str, object]]:
    """``check-code --registry semconv --format json`` findings of one source file."""
    source = tmp_path / "app.py"
    source.write_text(code)
    result = cli_runner().invoke(
        app, ["check-code", str(source), "--registry", "semconv", "--format", "json"]
    )
    assert result.exit_code in (0, 1), result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)
    return findings


def test_check_code_names_the_successor_of_a_legacy_name(tmp_path: Path) -> None:
    found = check_code_findings(
        tmp_path,
        "from opentelemetry import metrics, trace\n\n"
        'duration = metrics.get_meter("x").create_histogram("http.server.duration", unit="s")\n\n\n'
        "def handle(span: trace.Span) -> None:\n"
        '    span.set_attribute("net.host.carrier.name", "x")\n'
        '    span.set_attribute("server.socket.address", "x")\n',
    )
    findings = {f["message"]: f["code"] for f in found}
    assert findings == {
        "metric `http.server.duration` is deprecated: use `http.server.request.duration`": "TC803",
        "attribute `net.host.carrier.name` is deprecated: use `network.carrier.name`": "TC803",
        "attribute `server.socket.address` is deprecated and has no single replacement: a legacy "
        "semantic-convention name, last defined by release 1.21.0": "TC803",
    }


def test_diff_against_the_baseline_reads_a_legacy_removal_as_its_rename() -> None:
    old = load_registry(semconv_model("v1.21.0")).snapshot
    diff = compare(old, load_registry("semconv").snapshot)
    assert diff.renames["metric"]["http.server.duration"] == "http.server.request.duration"
    removed = {c.subject for c in diff.changes if c.kind == "removed" and
               c.subject_kind == "metric"}
    assert "http.server.duration" not in removed


# Every difference between the exported renames (v1.26.0 -> v1.27.0) and the official schema
# file 1.27.0, with its reason:
MERGES_LEFT_OUT = {  # several names into one successor: listed in the report, not written
    ("attribute", "container.cpu.state", "cpu.mode"),
    ("attribute", "process.cpu.state", "cpu.mode"),
    ("attribute", "system.cpu.state", "cpu.mode"),
    ("attribute", "messaging.kafka.consumer.group", "messaging.consumer.group.name"),
    ("attribute", "messaging.rocketmq.client_group", "messaging.consumer.group.name"),
}
NOT_IN_THE_MODELS = {  # the official file misspells the old name (eventhubs, messaging.servicebus)
    ("attribute", "messaging.evenhubs.consumer.group", "messaging.consumer.group.name"),
    ("attribute", "message.servicebus.destination.subscription_name",
     "messaging.destination.subscription.name"),
}
NOT_A_RENAME_IN_THE_MODEL = {  # v1.27.0 deprecates it with "No replacement for ..." only
    ("metric", "messaging.publish.messages", "messaging.client.published.messages"),
}
STATED_BY_THE_MODEL_ONLY = {  # v1.27.0 deprecates it as renamed; the schema file omits it
    ("attribute", "enduser.id", "user.id"),
}


def test_exported_renames_recall_and_precision_against_the_official_file(
    semconv_v1_26: Path, semconv_v1_27: Path, schema_file_1_27: Path, tmp_path: Path,
    models: tuple[Snapshot, Snapshot],
) -> None:
    target = tmp_path / "1.27.0"
    result = cli_runner().invoke(app, [
        "export", str(semconv_v1_27), "--to", "schema-file", "--baseline", str(semconv_v1_26),
        "--schema-url", "https://opentelemetry.io/schemas/1.27.0", "-o", str(target),
    ])
    assert result.exit_code == 0, result.stderr
    exported = schema_file_renames(yaml.safe_load(target.read_text()), "1.27.0")
    official = schema_file_renames(yaml.safe_load(schema_file_1_27.read_text()), "1.27.0")
    assert official - exported == MERGES_LEFT_OUT | NOT_IN_THE_MODELS | NOT_A_RENAME_IN_THE_MODEL
    assert exported - official == STATED_BY_THE_MODEL_ONLY
    assert all(r[1] not in names(models[0], r[0]) for r in NOT_IN_THE_MODELS)
    for _, old_name, _ in MERGES_LEFT_OUT:
        assert f"`{old_name}`" in result.stderr
    hits = len(exported & official)
    print(f"\nexport 1.26.0 -> 1.27.0 against the official 1.27.0: recall {hits}/{len(official)}"
          f" = {hits / len(official):.3f}, precision {hits}/{len(exported)} = "
          f"{hits / len(exported):.3f}")


def test_exported_renames_1_28_match_the_official_file(tmp_path: Path) -> None:
    target = tmp_path / "1.28.0"
    result = cli_runner().invoke(app, [
        "export", str(semconv_model("v1.28.0")), "--to", "schema-file",
        "--baseline", str(semconv_model("v1.27.0")),
        "--schema-url", "https://opentelemetry.io/schemas/1.28.0", "-o", str(target),
    ])
    assert result.exit_code == 0, result.stderr
    official_file = require_path(SEMCONV / "schemas" / "1.28.0", "official schema file 1.28.0")
    official = schema_file_renames(yaml.safe_load(official_file.read_text()), "1.28.0")
    assert schema_file_renames(yaml.safe_load(target.read_text()), "1.28.0") == official


def test_check_code_agrees_with_the_official_instruments_and_units(tmp_path: Path) -> None:
    findings = check_code_findings(
        tmp_path,
        "from opentelemetry import metrics\n\n"
        'meter = metrics.get_meter("x")\n'
        'meter.create_histogram("http.server.request.duration", unit="s").record(\n'
        '    0.1, {"http.request.method": "GET", "http.response.status_code": 200}\n)\n'
        'meter.create_counter("cpu.time", unit="s")\n'
        'meter.create_up_down_counter("http.client.active_requests", unit="{request}")\n',
    )
    # cpu.time is deprecated in v1.44.0; nothing else is wrong: no TC808/TC809 from a baseline
    # that lacked instruments, units or types
    assert [(f["code"], str(f["message"]).split(":")[0]) for f in findings] == [
        ("TC803", "metric `cpu.time` is deprecated")
    ]
