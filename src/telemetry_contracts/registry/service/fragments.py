"""Proposal bodies (one contract in the ``definition/2`` syntax, a deprecation or a removal) and
how each one changes a snapshot."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from telemetry_contracts.registry.service.index import ContractIndex
from telemetry_contracts.resolution.resolver import Resolver, parse_document, resolve_attribute
from telemetry_contracts.resolution.yaml_source import located
from telemetry_contracts.schemas.files import V2AttributeSpec, V2MetricSpec
from telemetry_contracts.schemas.findings import ContractError, Finding, Location
from telemetry_contracts.schemas.model import Attribute, Deprecation, Metric
from telemetry_contracts.schemas.snapshot import Snapshot

MAX_ITEMS = 2000
"""The most list items (attributes, enum members, examples...) one proposal may hold."""
Name = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.\-]+$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(max_length=500)] = ""

    @model_validator(mode="before")
    @classmethod
    def _few_items(cls, data: Any) -> Any:
        """At most :data:`MAX_ITEMS` list items (attributes, enum members, examples), counted
        before any is parsed: parsing tens of thousands of them would hold the server's event
        loop for a tenth of a second."""
        if _items_over(data, MAX_ITEMS):
            raise ValueError(f"a proposal holds at most {MAX_ITEMS} list items (attributes, "
                             f"enum members, examples)")
        return data


def _items_over(data: Any, limit: int) -> bool:
    """True when ``data`` (parsed JSON) holds more than ``limit`` list items, at any depth;
    it stops counting there."""
    pending, count = [data], 0
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            count += len(value)
            if count > limit:
                return True
            pending.extend(value)
    return False


class AttributeChange(_Body):
    """A new or changed attribute, written as one ``definition/2`` attribute."""

    kind: Literal["attribute"]
    attribute: V2AttributeSpec


class MetricChange(_Body):
    """A new or changed metric, written as one ``definition/2`` metric."""

    kind: Literal["metric"]
    metric: V2MetricSpec


class DeprecationChange(_Body):
    """Deprecate an attribute or metric, optionally in favour of a replacement."""

    kind: Literal["deprecation"]
    name: Name
    renamed_to: Name | None = None
    sunset: dt.date | None = None
    """After this date the contract may be removed."""
    note: Annotated[str, Field(max_length=2000)] | None = None


class RemovalChange(_Body):
    """Remove a deprecated attribute or metric."""

    kind: Literal["removal"]
    name: Name
    note: Annotated[str, Field(max_length=2000)] | None = None


ProposalBody = Annotated[
    AttributeChange | MetricChange | DeprecationChange | RemovalChange,
    Field(discriminator="kind"),
]


def subject_of(body: AttributeChange | MetricChange | DeprecationChange | RemovalChange) -> str:
    """The attribute key or metric name a proposal is about."""
    if isinstance(body, AttributeChange):
        return body.attribute.key
    if isinstance(body, MetricChange):
        return body.metric.name
    return body.name


@dataclass(frozen=True)
class Edit:
    """The one contract a proposal changes, as the proposal leaves it (None: removed)."""

    kind: Literal["attribute", "metric"]
    name: str
    contract: Attribute | Metric | None


def edit_of(index: ContractIndex, body: AttributeChange | MetricChange | DeprecationChange
            | RemovalChange) -> Edit:
    """What ``body`` does to the snapshot ``index`` looks into (the snapshot is not copied)."""
    if isinstance(body, AttributeChange):
        with _refusals(body):
            written = resolve_attribute(body.attribute, "proposal")
        return Edit("attribute", written.key, written.model_copy(update={"source": None}))
    if isinstance(body, MetricChange):
        resolved = _resolve(index, body)
        metric = next(m for m in resolved.metrics if m.name == body.metric.name)
        return Edit("metric", metric.name, metric)
    attribute, found_metric = _find(index, body.name)
    kind: Literal["attribute", "metric"] = "attribute" if attribute is not None else "metric"
    if isinstance(body, RemovalChange):
        return Edit(kind, body.name, None)
    if body.renamed_to is not None and body.renamed_to == body.name:
        raise _invalid(body.name, "a contract cannot be renamed to itself")
    deprecation = Deprecation(
        reason="renamed" if body.renamed_to else "obsoleted",
        renamed_to=body.renamed_to,
        note=body.note,
    )
    target = attribute if attribute is not None else found_metric
    assert target is not None
    governance = target.governance.model_copy(update={"sunset": body.sunset or
                                                      target.governance.sunset})
    changed = target.model_copy(update={"deprecated": deprecation, "governance": governance})
    return Edit(kind, body.name, changed)


def applied(snapshot: Snapshot, edit: Edit) -> Snapshot:
    """The whole of ``snapshot`` with ``edit`` made (what a publish stores)."""
    field = "attributes" if edit.kind == "attribute" else "metrics"
    items = {_name(c): c for c in getattr(snapshot, field)}
    if edit.contract is None:
        items.pop(edit.name, None)
    else:
        items[edit.name] = edit.contract
    return snapshot.model_copy(update={field: tuple(items[k] for k in sorted(items))})


def _name(contract: Attribute | Metric) -> str:
    return contract.key if isinstance(contract, Attribute) else contract.name


def _find(index: ContractIndex, name: str) -> tuple[Attribute | None, Metric | None]:
    attribute, metric = index.attributes.get(name), index.metrics.get(name)
    if attribute is None and metric is None:
        raise _invalid(name, f"no attribute or metric `{name}` in version "
                             f"{index.snapshot.version}", code="TC103")
    return attribute, metric


def _resolve(index: ContractIndex, body: MetricChange) -> Snapshot:
    """Resolve the metric as a one-contract ``definition/2`` file against the snapshot."""
    snapshot = index.snapshot
    _refuse_repeated_refs(body)
    document = {"file_format": "definition/2",
                "metrics": [body.metric.model_dump(mode="json", exclude_none=True)]}
    referenced = {ref.ref for ref in body.metric.attributes if ref.ref}
    with _refusals(body):
        parsed = parse_document("proposal", located(document, "proposal"))
        context = Snapshot(registry=snapshot.registry, version=snapshot.version,
                           attributes=tuple(index.attributes[key] for key in sorted(referenced)
                                            if key in index.attributes))
        resolver = Resolver([(snapshot.registry, context)])
        resolver.add(parsed)
        resolved = resolver.resolve(snapshot.registry, snapshot.version, None)
    return resolved.model_copy(update={"metrics": tuple(
        m.model_copy(update={"source": None}) for m in resolved.metrics if m.origin is None)})


def _refuse_repeated_refs(body: MetricChange) -> None:
    """A metric names each attribute once."""
    refs = [ref.ref for ref in body.metric.attributes if ref.ref]
    name = body.metric.name
    repeated = sorted(ref for ref, times in Counter(refs).items() if times > 1)
    if repeated:
        listed = ", ".join(f"`{ref}`" for ref in repeated[:5])
        raise _invalid(name, f"metric `{name}` references {listed} more than once; list each "
                             f"attribute once", code="TC104")


@contextmanager
def _refusals(body: AttributeChange | MetricChange) -> Iterator[None]:
    """Loader errors and model errors raised inside, as the proposal's findings."""
    try:
        yield
    except ContractError as error:
        finding = error.finding
        raise ProposalInvalid([finding.model_copy(update={
            "location": Location(file="proposal"), "subject": subject_of(body)})]) from None
    except ValidationError as error:
        details = error.errors()[0]
        where = ".".join(str(part) for part in details["loc"])
        raise _invalid(subject_of(body), f"`{where}`: {details['msg']}".replace("``: ", "")
                       ) from None


class ProposalInvalid(Exception):
    """A fragment that cannot be applied; carries the findings that say why."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(f.message for f in findings))
        self.findings = findings


def _invalid(subject: str, message: str, code: str = "TC102") -> ProposalInvalid:
    return ProposalInvalid([Finding(code=code, severity="error", message=message,
                                    location=Location(file="proposal"), subject=subject)])
