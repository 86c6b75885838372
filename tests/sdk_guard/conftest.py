"""Fixtures for the guard: a small contract set and snapshot files of the real conventions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from telemetry_contracts.schemas.model import (
    Attribute,
    AttributeRef,
    Deprecation,
    EnumMember,
    Governance,
    Metric,
)
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.sdk_guard import Guard


def contracts_snapshot() -> Snapshot:
    """A registry with one of everything the guard acts on."""
    renamed = Deprecation(reason="renamed", renamed_to="shop.order.id")
    return Snapshot.build(
        registry="shop",
        version="1.0.0",
        attributes=[
            Attribute(key="shop.order.id", type="string"),
            Attribute(key="shop.order_id", type="string", deprecated=renamed),
            Attribute(key="shop.legacy", type="string", deprecated=Deprecation(reason="obsoleted")),
            Attribute(key="shop.items", type="int"),
            Attribute(
                key="shop.customer.email", type="string", governance=Governance(sensitivity="pii")
            ),
            Attribute(
                key="shop.card.token", type="string", governance=Governance(sensitivity="secret")
            ),
            Attribute(
                key="shop.tier",
                type="enum",
                members=(
                    EnumMember(id="gold", value="gold"),
                    EnumMember(id="silver", value="silver"),
                ),
            ),
            Attribute(key="shop.header", type="template[string]"),
            Attribute(key="http.request.method", type="string"),
            Attribute(
                key="http.method",
                type="string",
                deprecated=Deprecation(reason="renamed", renamed_to="http.request.method"),
            ),
        ],
        metrics=[
            Metric(
                name="shop.orders",
                instrument="counter",
                unit="{order}",
                attributes=(
                    AttributeRef(key="shop.tier"),
                    AttributeRef(key="shop.items"),
                    AttributeRef(key="shop.order.id"),
                ),
            ),
            Metric(name="shop.order.duration", instrument="histogram", unit="s"),
            Metric(
                name="shop.order_time",
                instrument="histogram",
                unit="s",
                deprecated=Deprecation(reason="renamed", renamed_to="shop.order.duration"),
            ),
            Metric(name="shop.basket.size", instrument="gauge", unit="{item}"),
            Metric(
                name="shop.sessions",
                instrument="counter",
                unit="{session}",
                governance=Governance(cardinality_limit=2),
            ),
        ],
    )


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
    return contracts_snapshot()


@pytest.fixture(scope="session")
def snapshot_file(tmp_path_factory: pytest.TempPathFactory, snapshot: Snapshot) -> Path:
    path = tmp_path_factory.mktemp("snapshot") / "snapshot.json"
    path.write_bytes(snapshot.to_json_bytes())
    return path


@pytest.fixture(scope="session")
def baseline_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in semantic-convention baseline as a snapshot file."""
    from telemetry_contracts.registry.baseline import baseline_snapshot

    path = tmp_path_factory.mktemp("baseline") / "semconv.json"
    path.write_bytes(baseline_snapshot().to_json_bytes())
    return path


@pytest.fixture(scope="session")
def semconv_v1_44_file(tmp_path_factory: pytest.TempPathFactory, semconv_v1_44: Path) -> Path:
    """The official v1.44.0 model resolved to a snapshot file (real attribute types)."""
    from telemetry_contracts.registry.loader import load_registry

    path = tmp_path_factory.mktemp("v1_44") / "v1.44.0.json"
    path.write_bytes(load_registry(semconv_v1_44).snapshot.to_json_bytes())
    return path


@pytest.fixture
def guard(snapshot: Snapshot) -> Iterator[Guard]:
    guard = Guard.from_snapshot(snapshot, environ={})
    yield guard
    guard.shutdown()
