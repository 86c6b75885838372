"""Registries as every Weaver release of the last two years wrote them: the manifest under its
earlier name ``registry_manifest.yaml`` and with its earlier fields, the official model named by
its release archive or schema URL, and packages published as ``manifest/2.0`` and
``resolved/2.0`` as well as the earlier ``2.0.0`` tags."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.findings import ContractError
from tests.resolution.test_resolver import RESOLVED_PACKAGE, write_files

SIGNALS = """\
groups:
  - id: registry.todo
    type: attribute_group
    brief: ToDo attributes.
    attributes:
      - id: todo.id
        type: string
        brief: The id of a ToDo.
        stability: development
        examples: ["a1"]
  - id: metric.todo.created
    type: metric
    metric_name: todo.created
    brief: ToDos created.
    instrument: counter
    unit: "{todo}"
    stability: development
    attributes:
      - ref: todo.id
      - ref: host.name
"""

LEGACY_MANIFEST = """\
name: todo_app
description: OTel signals for my native ToDo app
semconv_version: 0.1.0
schema_base_url: https://todo.example.com/schemas/
dependencies:
  - name: otel
    registry_path: https://github.com/open-telemetry/semantic-conventions/archive/refs/tags/v1.34.0.zip[model]
"""


def metric_refs(snapshot: object, name: str) -> list[str]:
    metric = next(m for m in snapshot.metrics if m.name == name)  # type: ignore[attr-defined]
    return [ref.key for ref in metric.attributes]


def test_a_registry_manifest_yaml_of_weaver_s_earlier_releases_is_the_manifest(
    tmp_path: Path,
) -> None:
    write_files(tmp_path, {"registry_manifest.yaml": LEGACY_MANIFEST, "signals.yaml": SIGNALS})
    loaded = load_registry(tmp_path)
    snapshot = loaded.snapshot
    # the manifest is not read as a contract file, and its fields name the registry
    assert [document.path.rpartition("/")[2] for document in loaded.documents] == ["signals.yaml"]
    assert (snapshot.registry, snapshot.version) == ("todo_app", "0.1.0")
    assert snapshot.schema_url == "https://todo.example.com/schemas/0.1.0"
    # the official release archive is the built-in baseline: `host.name` resolves from it
    assert metric_refs(snapshot, "todo.created") == ["todo.id", "host.name"]
    host = next(a for a in snapshot.attributes if a.key == "host.name")
    assert host.origin == "otel"


def test_manifest_yaml_wins_over_the_earlier_name(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "manifest.yaml": "name: current\nversion: 2.0.0\n",
        "registry_manifest.yaml": LEGACY_MANIFEST,
        "signals.yaml": SIGNALS.replace("      - ref: host.name\n", ""),
    })
    loaded = load_registry(tmp_path)
    assert (loaded.snapshot.registry, loaded.snapshot.version) == ("current", "2.0.0")
    assert len(loaded.documents) == 1  # neither manifest is a contract file


def test_the_fields_weaver_s_documentation_gives_are_read(tmp_path: Path) -> None:
    # Weaver's multi-registry guide: `version`, `repository_url`, and the official model named
    # by the schema URL it is published at
    write_files(tmp_path, {
        "registry_manifest.yaml": (
            "name: my-custom-telemetry\nversion: 1.0.0\n"
            "repository_url: https://my-app.example.com/schemas/\n"
            "dependencies:\n  - name: otel\n"
            "    registry_path: https://opentelemetry.io/schemas/1.42.0\n"
        ),
        "signals.yaml": SIGNALS,
    })
    snapshot = load_registry(tmp_path).snapshot
    assert (snapshot.registry, snapshot.version) == ("my-custom-telemetry", "1.0.0")
    assert metric_refs(snapshot, "todo.created") == ["todo.id", "host.name"]


def test_a_name_the_pinned_release_had_resolves_as_deprecated(tmp_path: Path) -> None:
    # pinned to v1.21.0, whose `http.method` v1.44.0 renamed: the ref still resolves, deprecated
    write_files(tmp_path, {
        "registry_manifest.yaml": LEGACY_MANIFEST.replace("v1.34.0", "v1.21.0"),
        "signals.yaml": SIGNALS.replace("ref: host.name", "ref: http.method"),
    })
    snapshot = load_registry(tmp_path).snapshot
    method = next(a for a in snapshot.attributes if a.key == "http.method")
    assert method.deprecated is not None
    assert method.deprecated.renamed_to == "http.request.method"


def test_an_archive_a_checked_file_names_is_fetched_only_from_an_allowed_origin(
    tmp_path: Path,
) -> None:
    write_files(tmp_path, {
        "registry_manifest.yaml": LEGACY_MANIFEST.replace(
            "https://github.com/open-telemetry/semantic-conventions/archive/refs/tags/v1.34.0.zip",
            "https://acme.example.com/releases/acme-2.0.zip",
        ),
        "signals.yaml": SIGNALS,
    })
    with pytest.raises(ContractError) as caught:
        load_registry(tmp_path)
    finding = caught.value.finding
    assert finding.code == "TC110"
    assert finding.location.file.endswith("registry_manifest.yaml")
    assert finding.hint is not None and "--allow-url https://acme.example.com" in finding.hint


def test_a_dependency_directory_with_the_earlier_manifest_brings_its_own_dependencies(
    tmp_path: Path,
) -> None:
    write_files(tmp_path / "acme", {
        "registry_manifest.yaml": (
            "name: acme\nsemconv_version: 0.3.0\nschema_base_url: https://acme.example/schemas/\n"
            "dependencies:\n  - name: otel\n    registry_path: semconv\n"
        ),
        "acme.yaml": (
            "file_format: definition/2\nattributes:\n  - key: acme.tenant\n    type: string\n"
            "    brief: The tenant.\n    stability: development\n    examples: [t1]\n"
        ),
    })
    write_files(tmp_path / "app", {
        "manifest.yaml": (
            "schema_url: https://app.example/schemas/1.0.0\n"
            "dependencies:\n  - name: acme\n    registry_path: ../acme\n"
        ),
        "app.yaml": SIGNALS.replace("ref: todo.id", "ref: acme.tenant").replace(
            "      - id: todo.id", "      - id: todo.unused"
        ),
    })
    snapshot = load_registry(tmp_path / "app").snapshot
    assert metric_refs(snapshot, "todo.created") == ["acme.tenant", "host.name"]


def test_a_registry_at_a_git_revision_reads_the_earlier_manifest(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "model/registry_manifest.yaml": LEGACY_MANIFEST,
        "model/signals.yaml": SIGNALS,
        "model/nested/manifest.yaml": "not: a contract file\n",
    })
    for arguments in (["init", "-q"], ["add", "."],
                      ["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "model"]):
        subprocess.run(["git", *arguments], cwd=tmp_path, check=True)
    loaded = load_registry("git:HEAD:model", cwd=str(tmp_path))
    assert loaded.snapshot.registry == "todo_app"
    assert metric_refs(loaded.snapshot, "todo.created") == ["todo.id", "host.name"]
    assert len(loaded.documents) == 1


@pytest.mark.parametrize("tags", [
    ("manifest/2.0", "resolved/2.0", "resolved_registry_uri"),  # Weaver since OTEP 4815
    ("manifest/2.0.0", "resolved/2.0.0", "resolved_schema_uri"),  # Weaver before it
    ("manifest/2.0", "resolved/2.0", "resolved_schema_uri"),  # the older field, still accepted
])
def test_packages_of_both_publication_formats_are_dependencies(
    tmp_path: Path, tags: tuple[str, str, str]
) -> None:
    manifest_format, resolved_format, uri_field = tags
    package = tmp_path / "package"
    # today's resolved files say where each item came from; that is not a contract field
    resolved = RESOLVED_PACKAGE.replace("file_format: resolved/2.0.0",
                                        f"file_format: {resolved_format}").replace(
        "    brief: The tenant.\n", "    brief: The tenant.\n    provenance: {source: 0}\n"
    ).replace(
        "      brief: Jobs run.\n",
        "      brief: Jobs run.\n      lineage:\n        provenance: {}\n"
        "        included_attribute_groups: [acme.common]\n",
    ) + "dependencies:\n  - https://opentelemetry.io/schemas/1.44.0\n"
    write_files(package, {
        "resolved.yaml": resolved,
        "manifest.yaml": (
            f"file_format: {manifest_format}\n"
            "schema_url: https://acme.example/schemas/platform/2.1.0\n"
            f"{uri_field}: resolved.yaml\nstability: stable\n"
        ),
    })
    write_files(tmp_path / "service", {
        "manifest.yaml": (
            "schema_url: https://acme.example/schemas/checkout/1.0.0\ndependencies:\n"
            "  - schema_url: https://acme.example/schemas/platform/2.1.0\n"
            "    registry_path: ../package\n"
        ),
        "checkout.yaml": (
            "file_format: definition/2\nmetrics:\n  - name: checkout.orders\n"
            "    instrument: counter\n    unit: \"{order}\"\n    brief: Orders.\n"
            "    attributes:\n      - ref: acme.region\n      - ref: acme.tenant\n"
        ),
    })
    snapshot = load_registry(tmp_path / "service").snapshot
    assert metric_refs(snapshot, "checkout.orders") == ["acme.region", "acme.tenant"]
    assert metric_refs(snapshot, "acme.jobs") == ["acme.tenant", "acme.region"]
    assert load_registry(package / "resolved.yaml").snapshot.metrics[0].name == "acme.jobs"


def test_a_publication_manifest_without_a_local_resolved_file_says_so(tmp_path: Path) -> None:
    write_files(tmp_path / "package", {"manifest.yaml": (
        "file_format: manifest/2.0\nschema_url: https://acme.example/schemas/platform/2.1.0\n"
        "resolved_registry_uri: https://acme.example/schemas/platform/2.1.0/resolved.yaml\n"
    )})
    write_files(tmp_path / "service", {"manifest.yaml": (
        "schema_url: https://acme.example/schemas/checkout/1.0.0\ndependencies:\n"
        "  - schema_url: https://acme.example/schemas/platform/2.1.0\n"
        "    registry_path: ../package\n"
    )})
    with pytest.raises(ContractError) as caught:
        load_registry(tmp_path / "service")
    finding = caught.value.finding
    assert finding.code == "TC108"
    assert finding.message.startswith("resolved_registry_uri `https://")
    assert finding.location.line == 3


def test_weaver_s_multi_registry_example_loads_from_where_weaver_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Weaver's own three-registry test data: each registry_path is relative to the directory
    # Weaver runs in, not to the manifest; the acme metric says `value_type`, as Weaver's v1
    # syntax once allowed
    root = tmp_path / "data" / "multi-registry"
    write_files(root, {
        "app_registry/registry_manifest.yaml": (
            "name: app\nsemconv_version: 0.1.0\nschema_base_url: https://app.com/schemas/\n"
            "dependencies:\n  - schema_url: https://acme.com/schemas/0.1.0\n"
            "    registry_path: data/multi-registry/custom_registry\n"
        ),
        "app_registry/app_registry.yaml": (
            "groups:\n  - id: app.example\n    type: attribute_group\n    brief: Example.\n"
            "    attributes:\n      - ref: error.type\n      - ref: auction.name\n"
            "imports:\n  metrics:\n    - example.*\n"
        ),
        "custom_registry/registry_manifest.yaml": (
            "name: acme\nsemconv_version: 0.1.0\nschema_base_url: https://acme.com/schemas/\n"
            "dependencies:\n  - name: otel\n    registry_path: data/multi-registry/otel_registry\n"
        ),
        "custom_registry/custom_registry.yaml": (
            "groups:\n  - id: shared.attributes\n    type: attribute_group\n    brief: Shared.\n"
            "    attributes:\n      - id: auction.name\n        type: string\n"
            "        brief: The auction.\n        stability: stable\n        examples: [Fish]\n"
            "  - id: metric.auction.bid.count\n    type: metric\n"
            "    metric_name: auction.bid.count\n    stability: stable\n    brief: Bids.\n"
            "    instrument: counter\n    unit: \"{bid}\"\n    value_type: int\n"
            "    attributes:\n      - ref: auction.name\n      - ref: error.type\n"
        ),
        "otel_registry/otel_registry.yaml": (
            "groups:\n  - id: otel.registry\n    type: attribute_group\n    brief: OTel.\n"
            "    attributes:\n      - id: error.type\n        type: string\n"
            "        brief: The error type.\n        stability: stable\n        examples: Ex\n"
        ),
    })
    monkeypatch.chdir(tmp_path)
    snapshot = load_registry("data/multi-registry/app_registry").snapshot
    assert (snapshot.registry, snapshot.version) == ("app", "0.1.0")
    assert metric_refs(snapshot, "auction.bid.count") == ["auction.name", "error.type"]
    origins = {a.key: a.origin for a in snapshot.attributes}
    assert origins["error.type"] is not None and origins["auction.name"] is not None
    # a path that is neither beside the manifest nor below the working directory still fails
    monkeypatch.chdir(root)
    with pytest.raises(ContractError) as caught:
        load_registry("app_registry")
    assert caught.value.finding.code == "TC108"
    assert caught.value.finding.location.file.endswith("app_registry/registry_manifest.yaml")
