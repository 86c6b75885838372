"""The official semantic-convention releases load and resolve; the built-in baseline is one."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from telemetry_contracts.ci.cli import app, registry_stats
from telemetry_contracts.resolution.baseline import (
    DATA_FILE,
    baseline_snapshot,
    build_baseline,
)
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.snapshot import Snapshot
from tests.cli_runner import cli_runner
from tests.conftest import SEMCONV, require_path, semconv_model

# Counted from the YAML by scripts/count_semconv.py with plain PyYAML, not this loader: distinct
# keys of v1 attribute entries with `id` (group `prefix` joined) plus v2 `attributes[].key`;
# distinct names of v1 groups of `type: metric` plus v2 `metrics[]`; `.yaml` and `.yml` files.
INDEPENDENT_COUNTS = {"v1.21.0": (312, 24), "v1.28.0": (590, 199), "v1.44.0": (940, 541)}
RELEASES = ["v1.21.0", "v1.23.1", "v1.26.0", "v1.27.0", "v1.28.0", "v1.33.0", "v1.44.0"]


@pytest.fixture(scope="module")
def v1_44(semconv_v1_44: Path) -> Snapshot:
    return load_registry(semconv_v1_44).snapshot


@pytest.mark.parametrize("version", RELEASES)
def test_official_release_resolves(version: str) -> None:
    snapshot = load_registry(semconv_model(version)).snapshot
    assert snapshot.version == version.removeprefix("v")
    assert snapshot.attributes and snapshot.metrics
    assert snapshot.verify_hash()
    keys = {attribute.key for attribute in snapshot.attributes}
    for metric in snapshot.metrics:
        assert {ref.key for ref in metric.attributes} <= keys, metric.name


@pytest.mark.parametrize("version", sorted(INDEPENDENT_COUNTS))
def test_stats_counts_pinned_to_independent_count(version: str) -> None:
    kinds = registry_stats(load_registry(semconv_model(version)).snapshot)["kinds"]
    assert isinstance(kinds, dict)
    attributes, metrics = INDEPENDENT_COUNTS[version]
    assert kinds["attributes"]["total"] == attributes
    assert kinds["metrics"]["total"] == metrics


def test_v1_prefix_and_legacy_deprecations_resolve(semconv_v1_26: Path) -> None:
    snapshot = load_registry(semconv_v1_26).snapshot
    attributes = {attribute.key: attribute for attribute in snapshot.attributes}
    assert "db.collection.name" in attributes  # `prefix: db` + `id: collection.name`
    assert attributes["db.collection.name"].stability == "development"  # was `experimental`
    renamed = [a for a in snapshot.attributes if a.deprecated and a.deprecated.renamed_to]
    assert renamed, "legacy `Replaced by` strings should yield renames"
    assert attributes["http.method"].deprecated is not None
    assert attributes["http.method"].deprecated.renamed_to == "http.request.method"


def test_v1_event_without_name_is_named_by_its_prefix() -> None:
    # v1.21.0: `id: trace-exception`, `prefix: exception`, no `name` (the event `exception`)
    snapshot = load_registry(semconv_model("v1.21.0")).snapshot
    names = {event.name for event in snapshot.events}
    assert {"exception", "feature_flag"} <= names
    assert not {"trace-exception", "log-feature_flag"} & names


def test_v2_refinements_extend_base_metric(v1_44: Snapshot) -> None:
    metrics = {metric.name: metric for metric in v1_44.metrics}
    keys = {ref.key for ref in metrics["hw.status"].attributes}
    assert {"hw.sensor_location", "hw.bios_version"} <= keys


def test_baseline_is_the_resolved_official_model(v1_44: Snapshot) -> None:
    baseline = baseline_snapshot()
    assert (baseline.registry, baseline.version) == ("semconv", "1.44.0")
    assert baseline.schema_url == "https://opentelemetry.io/schemas/1.44.0"
    for kind in ("attributes", "metrics", "spans", "events", "entities"):
        ours = [item.model_dump(mode="json") for item in getattr(baseline, kind)]
        official = [item.model_dump(mode="json") for item in getattr(v1_44, kind)]
        assert ours == official, kind
    metrics = {metric.name: metric for metric in baseline.metrics}
    cpu = metrics["cpu.time"]
    assert (cpu.instrument, cpu.unit) == ("counter", "s") and cpu.deprecated is not None
    assert {"http.request.method", "http.response.status_code"} <= {
        ref.key for ref in metrics["http.server.request.duration"].attributes
    }


def test_package_data_is_current() -> None:
    """Fails when the official models or the generator changed and the data was not rewritten:
    run ``python scripts/generate_semconv_baseline.py``."""
    fresh = build_baseline(require_path(SEMCONV, "semantic-convention corpora"))
    # the JSON, not the gzip stream: its header and deflate output vary by Python and zlib
    assert gzip.decompress(DATA_FILE.read_bytes()) == fresh.to_json_bytes()
    assert baseline_snapshot().content_hash == fresh.content_hash


def test_resolve_and_stats_of_semconv_agree_with_the_model_directory(
    semconv_v1_44: Path, tmp_path: Path
) -> None:
    runner = cli_runner()
    outputs = []
    for reference in ("semconv", str(semconv_v1_44)):
        target = tmp_path / f"{len(outputs)}.json"
        result = runner.invoke(app, ["resolve", reference, "-o", str(target)])
        assert result.exit_code == 0, result.stderr
        document = json.loads(target.read_text())
        outputs.append({kind: document.get(kind) for kind in ("attributes", "metrics")})
        stats = runner.invoke(app, ["stats", reference, "--format", "json"])
        assert stats.exit_code == 0, stats.stderr
        outputs.append(json.loads(stats.stdout)["kinds"])
    assert outputs[0] == outputs[2] and outputs[1] == outputs[3]


def test_history_chains_old_names_to_todays() -> None:
    history = {(name.kind, name.name): name for name in baseline_snapshot().history}
    # a schema-file rename (1.22.0) of a name the v1.21.0 model defined
    duration = history[("metric", "http.server.duration")]
    assert (duration.successor, duration.last_release) == ("http.server.request.duration", "1.21.0")
    assert history[("metric", "http.server.response.size")].successor == (
        "http.server.response.body.size"
    )
    # chained: messaging.kafka.consumer_group -> messaging.kafka.consumer.group (1.24.0)
    # -> messaging.consumer.group.name (the model's renamed_to)
    assert history[("attribute", "messaging.kafka.consumer_group")].successor == (
        "messaging.consumer.group.name"
    )
    # defined by v1.21.0, gone since, renamed by no schema file: legacy, no successor
    assert history[("attribute", "server.socket.address")].successor is None
    # renames scoped to some metrics are not global names
    assert ("attribute", "pool") in history and history[("attribute", "pool")].successor is None
    today = {a.key for a in baseline_snapshot().attributes} | {
        m.name for m in baseline_snapshot().metrics
    }
    assert not any(name.name in today for name in history.values())
    assert all(name.successor in today for name in history.values() if name.successor)


def test_baseline_reads_stability_enums_and_metrics() -> None:
    baseline = baseline_snapshot()
    attributes = {attribute.key: attribute for attribute in baseline.attributes}
    metrics = {metric.name: metric for metric in baseline.metrics}
    method = attributes["http.request.method"]
    assert method.stability == "stable"
    assert "GET" in {member.value for member in method.members}
    assert attributes["http.request.header"].is_template
    assert attributes["gen_ai.system"].stability == "development"
    duration = metrics["http.server.request.duration"]
    assert (duration.instrument, duration.unit, duration.stability) == ("histogram", "s", "stable")
    assert metrics["http.client.active_requests"].instrument == "updowncounter"


def test_baseline_can_be_built_from_many_threads_at_once() -> None:
    import threading

    results: list[str] = []
    errors: list[BaseException] = []

    def build() -> None:
        try:
            results.append(baseline_snapshot.__wrapped__().content_hash)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=build) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 6
