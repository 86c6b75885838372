"""The official semantic-convention releases load, resolve and agree with the semconv package."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from telemetry_contracts.ci.cli import registry_stats
from telemetry_contracts.registry.baseline import baseline_snapshot
from telemetry_contracts.registry.loader import load_registry
from telemetry_contracts.schemas.snapshot import Snapshot
from tests.conftest import semconv_model

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


def test_v2_refinements_extend_base_metric(v1_44: Snapshot) -> None:
    metrics = {metric.name: metric for metric in v1_44.metrics}
    keys = {ref.key for ref in metrics["hw.status"].attributes}
    assert {"hw.sensor_location", "hw.bios_version"} <= keys


def test_every_semconv_package_name_is_in_v1_44(v1_44: Snapshot) -> None:
    package = baseline_snapshot()
    attribute_keys = {attribute.key for attribute in v1_44.attributes}
    metric_names = {metric.name for metric in v1_44.metrics}
    assert len(package.attributes) > 800 and len(package.metrics) > 400
    assert [a.key for a in package.attributes if a.key not in attribute_keys] == []
    assert [m.name for m in package.metrics if m.name not in metric_names] == []


# Where the package names a single replacement but the official model files the deprecation
# as `uncategorized` (the replacement has another type, or is a template key), the model's
# note names the same replacement. These are the only four; any other difference fails.
UNCATEGORIZED_IN_MODEL = {
    "db.cosmosdb.status_code",  # int -> db.response.status_code (string)
    "enduser.role",  # string -> user.roles (string[])
    "http.request_content_length",  # -> template key http.request.header.content-length
    "http.response_content_length",  # -> template key http.response.header.content-length
}


def test_package_replacements_agree_with_model(v1_44: Snapshot) -> None:
    model = {a.key: a for a in v1_44.attributes} | {m.name: m for m in v1_44.metrics}
    package = [*baseline_snapshot().attributes, *baseline_snapshot().metrics]
    disagreements = {}
    checked = 0
    for item in package:
        name = getattr(item, "key", None) or getattr(item, "name")  # noqa: B009
        if not (item.deprecated and item.deprecated.renamed_to):
            continue
        checked += 1
        replacement = item.deprecated.renamed_to
        deprecation = model[name].deprecated
        assert deprecation is not None, f"{name} is deprecated in the package only"
        if deprecation.renamed_to == replacement:
            continue
        assert re.search(rf"`{re.escape(replacement)}`", deprecation.note or ""), name
        disagreements[name] = replacement
    assert checked > 100
    assert set(disagreements) == UNCATEGORIZED_IN_MODEL


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
