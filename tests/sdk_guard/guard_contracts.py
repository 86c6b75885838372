"""The small contract set the guard's tests enforce: one of everything the guard acts on."""

from __future__ import annotations

from telemetry_contracts.schemas.model import (
    Attribute,
    AttributeRef,
    Deprecation,
    EnumMember,
    Governance,
    Metric,
)
from telemetry_contracts.schemas.snapshot import Snapshot


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
