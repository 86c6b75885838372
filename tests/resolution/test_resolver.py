"""Resolution of mixed v1/v2 registries: refs, extends, groups, governance and dependencies."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.resolution.resolver import parse_document, resolve_attribute
from telemetry_contracts.resolution.yaml_source import parse_yaml
from telemetry_contracts.schemas.files import V2File
from telemetry_contracts.schemas.findings import ContractError

V1_FILE = """\
groups:
  - id: registry.shop
    type: attribute_group
    prefix: shop
    brief: Shop attributes.
    attributes:
      - id: cart.size
        type: int
        brief: Items in the cart.
        stability: stable
        examples: [3]
      - id: customer.email
        type: string
        brief: The customer's e-mail.
        examples: [a@example.com]
        annotations:
          owner: team-checkout
          sensitivity: pii
      - id: cart_size
        type: int
        brief: Old name.
        deprecated: "Replaced by `shop.cart.size`."
      - id: payment.method
        type:
          members:
            - {id: card, value: card, brief: Card.}
            - {id: cash, value: cash, brief: Cash.}
        brief: How the order was paid.
  - id: shop.common
    type: attribute_group
    brief: Common shop attributes.
    attributes:
      - ref: shop.cart.size
        requirement_level: required
  - id: metric.shop.orders
    type: metric
    metric_name: shop.orders
    instrument: counter
    unit: "{order}"
    brief: Orders placed.
    extends: shop.common
    stability: stable
    annotations:
      cardinality_limit: 500
      sunset: 2027-06-30
    attributes:
      - ref: shop.payment.method
        requirement_level:
          conditionally_required: when paid
"""

V2_FILE = """\
file_format: definition/2
attributes:
  - key: shop.region
    type: string
    brief: Sales region.
    stability: development
    deprecated:
      reason: renamed
      renamed_to: shop.cart.size
attribute_groups:
  - id: shop.regional
    visibility: internal
    attributes:
      - ref: shop.region
metrics:
  - name: shop.checkout.duration
    instrument: histogram
    unit: s
    brief: Checkout time.
    stability: development
    attributes:
      - ref_group: shop.regional
      - ref: http.request.method
metric_refinements:
  - id: metric.shop.orders.online
    ref: shop.orders
    attributes:
      - ref: shop.region
"""


@pytest.fixture()
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    (root / "shop.yaml").write_text(V1_FILE)
    (root / "v2.yaml").write_text(V2_FILE)
    (root / "manifest.yaml").write_text(
        "name: shop\nversion: 2.3.0\nschema_url: https://example.com/schemas/2.3.0\n"
        "dependencies:\n  - name: otel\n    registry_path: semconv\n"
    )
    return root


def test_mixed_registry_resolves(shop: Path) -> None:
    snapshot = load_registry(shop).snapshot
    assert (snapshot.registry, snapshot.version) == ("shop", "2.3.0")
    assert snapshot.dependencies[0].name == "otel"
    attributes = {attribute.key: attribute for attribute in snapshot.attributes}
    assert attributes["shop.cart.size"].origin is None
    assert attributes["http.request.method"].origin == "otel"
    email = attributes["shop.customer.email"]
    assert (email.governance.sensitivity, email.governance.owner) == ("pii", "team-checkout")
    legacy = attributes["shop.cart_size"].deprecated
    assert legacy is not None and (legacy.reason, legacy.renamed_to) == (
        "renamed",
        "shop.cart.size",
    )
    structured = attributes["shop.region"].deprecated
    assert structured is not None and structured.renamed_to == "shop.cart.size"
    assert [m.value for m in attributes["shop.payment.method"].members] == ["card", "cash"]
    assert attributes["shop.payment.method"].value_type == "string"
    assert attributes["shop.cart.size"].source is not None
    assert attributes["shop.cart.size"].source.line == 7


def test_extends_refs_and_refinements(shop: Path) -> None:
    metrics = {metric.name: metric for metric in load_registry(shop).snapshot.metrics}
    orders = metrics["shop.orders"]
    levels = {ref.key: ref.requirement_level for ref in orders.attributes}
    assert levels["shop.cart.size"].level == "required"  # from `extends: shop.common`
    assert levels["shop.payment.method"].level == "conditionally_required"
    assert levels["shop.payment.method"].condition == "when paid"
    assert "shop.region" in levels  # from the metric refinement
    assert orders.governance.cardinality_limit == 500
    assert str(orders.governance.sunset) == "2027-06-30"
    checkout = {ref.key for ref in metrics["shop.checkout.duration"].attributes}
    assert checkout == {"shop.region", "http.request.method"}


def test_same_input_same_bytes(shop: Path, tmp_path: Path) -> None:
    first = load_registry(shop).snapshot.to_json_bytes()
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in sorted(shop.iterdir(), reverse=True):
        (copy / path.name).write_bytes(path.read_bytes())
    second = load_registry(copy).snapshot
    assert second.to_json_bytes().replace(b'"copy"', b'"shop"') == first or (
        second.content_hash == load_registry(shop).snapshot.content_hash
    )
    assert load_registry(shop).snapshot.to_json_bytes() == first


def test_governance_values_are_validated(shop: Path) -> None:
    (shop / "shop.yaml").write_text(V1_FILE.replace("sensitivity: pii", "sensitivity: secretish"))
    with pytest.raises(ContractError) as raised:
        load_registry(shop)
    assert raised.value.finding.code == "TC102"
    assert raised.value.finding.location.line == 18


def test_directory_dependency(shop: Path, tmp_path: Path) -> None:
    team = tmp_path / "team"
    team.mkdir()
    (team / "manifest.yaml").write_text(
        "name: team\nversion: 0.1.0\ndependencies:\n  - name: shop\n    registry_path: ../shop\n"
    )
    (team / "team.yaml").write_text(
        "file_format: definition/2\nmetrics:\n  - name: team.cart.value\n    instrument: gauge\n"
        "    unit: '{item}'\n    brief: Cart value.\n    attributes:\n      - ref: shop.cart.size\n"
    )
    snapshot = load_registry(team).snapshot
    names = {metric.name: metric.origin for metric in snapshot.metrics}
    assert names["team.cart.value"] is None and names["shop.orders"] == "shop"


def git(cwd: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_git_reference_reads_a_revision_without_checkout(shop: Path, tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    repository.mkdir()
    git(repository, "init", "-q")
    git(repository, "config", "user.email", "ci@example.com")
    git(repository, "config", "user.name", "CI")
    (repository / "telemetry").mkdir()
    for path in shop.iterdir():
        (repository / "telemetry" / path.name).write_bytes(path.read_bytes())
    git(repository, "add", "-A")
    git(repository, "commit", "-qm", "contracts")
    (repository / "telemetry" / "v2.yaml").unlink()  # the working tree differs from HEAD
    snapshot = load_registry("git:HEAD:telemetry", cwd=str(repository)).snapshot
    assert "shop.region" in {attribute.key for attribute in snapshot.attributes}
    assert snapshot.version == "2.3.0"
    with pytest.raises(ContractError) as raised:
        load_registry("git:no-such-rev:telemetry", cwd=str(repository))
    assert raised.value.finding.code == "TC100"


SINGLE_ATTRIBUTES = """\
file_format: definition/2
attributes:
  - key: shop.region
    type: string
    brief: Sales region.
    deprecated: {reason: renamed, renamed_to: shop.area}
  - key: shop.payment.method
    type:
      members:
        - {id: card, value: card, brief: Card.}
        - {id: cash, value: cash, stability: stable}
    brief: How the order was paid.
    note: Set once paid.
    stability: stable
  - key: shop.header
    type: template[string[]]
    brief: Request headers.
    examples: [["a"]]
  - key: shop.customer.email
    type: string
    annotations: {owner: team-checkout, sensitivity: pii, sunset: 2027-06-30}
"""


def test_one_attribute_resolves_on_its_own_as_in_a_registry(tmp_path: Path) -> None:
    (tmp_path / "attributes.yaml").write_text(SINGLE_ATTRIBUTES)
    snapshot = load_registry(tmp_path).snapshot
    document = parse_document("attributes.yaml", parse_yaml(SINGLE_ATTRIBUTES, "attributes.yaml"))
    assert isinstance(document.model, V2File)
    for spec in document.model.attributes:
        alone = resolve_attribute(spec, "attributes.yaml")
        in_registry = next(a for a in snapshot.attributes if a.key == spec.key)
        assert alone.model_copy(update={"source": None}) == \
            in_registry.model_copy(update={"source": None})
    with pytest.raises(ContractError, match="unknown type `uuid`"):
        resolve_attribute(V2File.model_validate({"file_format": "definition/2", "attributes": [
            {"key": "shop.id", "type": "uuid"}]}).attributes[0], "proposal")


OLDER_SYNTAX = """\
file_format: definition/1
groups:
  - id: registry.net
    type: attribute_group
    prefix: net
    brief: Network attributes.
    attributes:
      - id: peer.name
        type: string
        brief: Peer name.
        examples: [example.com]
      - id: peer.port
        type: int
        brief: Peer port.
        examples: [80]
      - id: extra
        type: template[any]
        brief: Free-form extras.
  - id: net.client
    type: attribute_group
    prefix: net
    brief: Client side.
    attributes:
      - ref: peer.port
        prefix: true
        requirement_level: required
  - id: rpc.client
    brief: A group without `type`, read as a span.
    attributes:
      - ref: net.peer.name
    constraints:
      - any_of: [net.peer.name, net.peer.port]
      - include: net.client
"""

REFINEMENT_WITH_ANNOTATIONS = """\
file_format: definition/2
metrics:
  - name: net.io
    instrument: counter
    unit: By
    brief: Bytes moved.
    attributes:
      - ref: net.peer.name
metric_refinements:
  - id: metric.net.io.client
    ref: net.io
    brief: Bytes moved by clients.
    annotations:
      owner: team-net
    attributes:
      - ref: net.peer.port
        annotations: {note: refined}
"""


def test_older_release_syntax_resolves(tmp_path: Path) -> None:
    (tmp_path / "older.yaml").write_text(OLDER_SYNTAX)
    (tmp_path / "refined.yaml").write_text(REFINEMENT_WITH_ANNOTATIONS)
    snapshot = load_registry(tmp_path).snapshot
    spans = {span.type: span for span in snapshot.spans}
    # no `type`: a span; `include` adds the other group's attributes after its own refs
    assert [ref.key for ref in spans["rpc.client"].attributes] == ["net.peer.name", "net.peer.port"]
    assert spans["rpc.client"].attributes[1].requirement_level.level == "required"
    attributes = {attribute.key: attribute for attribute in snapshot.attributes}
    assert attributes["net.extra"].is_template and attributes["net.extra"].value_type == "any"
    metric = next(metric for metric in snapshot.metrics if metric.name == "net.io")
    assert [ref.key for ref in metric.attributes] == ["net.peer.name", "net.peer.port"]


def test_include_of_an_unknown_group_names_the_constraint(tmp_path: Path) -> None:
    (tmp_path / "older.yaml").write_text(OLDER_SYNTAX.replace("include: net.client", "include: x"))
    with pytest.raises(ContractError) as caught:
        load_registry(tmp_path)
    finding = caught.value.finding
    assert finding.code == "TC103" and "`include` names unknown group `x`" in finding.message
    assert finding.location.file.endswith("older.yaml") and finding.location.line == 33


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write each named file under ``root`` (making its folders); return ``root``."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_ref_to_a_legacy_name_of_the_baseline_resolves_deprecated(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "manifest.yaml": "name: shop\nversion: 1.0.0\ndependencies:\n  - name: otel\n"
                         "    registry_path: semconv\n",
        "shop.yaml": "file_format: definition/2\nmetrics:\n  - name: shop.checkout.duration\n"
                     "    instrument: histogram\n    unit: s\n    brief: Checkout.\n"
                     "    attributes:\n      - ref: net.host.carrier.name\n"
                     "      - ref: server.socket.address\n",
    })
    snapshot = load_registry(tmp_path).snapshot
    attributes = {attribute.key: attribute for attribute in snapshot.attributes}
    carrier = attributes["net.host.carrier.name"].deprecated
    assert carrier is not None and carrier.renamed_to == "network.carrier.name"
    socket = attributes["server.socket.address"]
    assert socket.origin == "otel" and socket.deprecated is not None
    assert socket.deprecated.reason == "obsoleted"
    # the dependency's history travels with the snapshot, minus the names it now defines
    history = {(name.kind, name.name) for name in snapshot.history}
    assert ("metric", "http.server.duration") in history
    assert ("attribute", "server.socket.address") not in history  # an attribute of it now


RESOLVED_PACKAGE = """\
file_format: resolved/2.0.0
schema_url: https://acme.example/schemas/platform/2.1.0
attribute_catalog:
  - key: acme.tenant
    type: string
    brief: The tenant.
    stability: stable
    examples: [t1]
  - key: acme.region
    type:
      members:
        - {id: eu, value: eu, brief: Europe, stability: stable}
        - {id: us, value: us, brief: America, stability: stable}
    brief: The region.
    stability: development
registry:
  attributes: [0, 1]
  attribute_groups:
    - id: acme.common
      brief: Common.
      stability: stable
      attributes: [0]
  metrics:
    - name: acme.jobs
      instrument: counter
      unit: "{job}"
      brief: Jobs run.
      stability: stable
      attributes:
        - base: 0
          requirement_level: required
refinements:
  metrics:
    - id: acme.jobs.regional
      name: acme.jobs
      instrument: counter
      unit: "{job}"
      brief: Jobs run, per region.
      stability: stable
      attributes:
        - base: 0
          requirement_level: required
        - base: 1
          requirement_level: recommended
"""


def test_a_published_weaver_registry_is_a_dependency(tmp_path: Path) -> None:
    package = tmp_path / "package"
    package.mkdir()
    (package / "resolved.yaml").write_text(RESOLVED_PACKAGE)
    (package / "manifest.yaml").write_text(
        "file_format: manifest/2.0.0\nschema_url: https://acme.example/schemas/platform/2.1.0\n"
        "resolved_schema_uri: resolved.yaml\nstability: stable\n"
    )
    service = tmp_path / "service"
    service.mkdir()
    (service / "manifest.yaml").write_text(
        "schema_url: https://acme.example/schemas/checkout/1.0.0\ndependencies:\n"
        "  - schema_url: https://acme.example/schemas/platform/2.1.0\n"
        "    registry_path: ../package/manifest.yaml\n"
        "  - schema_url: https://opentelemetry.io/schemas/1.44.0\n"
    )
    (service / "checkout.yaml").write_text(
        "file_format: definition/2\nmetrics:\n  - name: checkout.orders\n    instrument: counter\n"
        "    unit: \"{order}\"\n    brief: Orders.\n    attributes:\n      - ref: acme.region\n"
        "      - ref: http.request.method\n"
    )
    snapshot = load_registry(service).snapshot
    assert snapshot.version == "1.0.0"
    assert {(d.name, d.version) for d in snapshot.dependencies} == {
        ("https://acme.example/schemas/platform", "2.1.0"),
        ("https://opentelemetry.io/schemas", "1.44.0"),
    }
    attributes = {attribute.key: attribute for attribute in snapshot.attributes}
    assert [m.value for m in attributes["acme.region"].members] == ["eu", "us"]
    metrics = {metric.name: metric for metric in snapshot.metrics}
    jobs = metrics["acme.jobs"]  # the refinement's attributes join the metric
    assert [ref.key for ref in jobs.attributes] == ["acme.tenant", "acme.region"]
    assert jobs.attributes[0].requirement_level.level == "required"
    # the resolved file alone is a registry too
    alone = load_registry(package / "resolved.yaml").snapshot
    assert {metric.name for metric in alone.metrics} == {"acme.jobs"}


def test_a_bad_catalog_index_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "resolved.yaml").write_text(RESOLVED_PACKAGE.replace("- base: 1\n", "- base: 9\n"))
    with pytest.raises(ContractError) as caught:
        load_registry(tmp_path / "resolved.yaml")
    assert caught.value.finding.code == "TC103"
    assert "attribute index `9`" in caught.value.finding.message
    assert caught.value.finding.location.file.endswith("resolved.yaml")


def test_imports_and_span_and_event_refinements(tmp_path: Path) -> None:
    imports = "imports:\n  metrics: [http.*]\n  events: [exception]\n"
    write_files(tmp_path, {"imports.yaml": imports})
    (tmp_path / "signals.yaml").write_text(
        "file_format: definition/2\nattributes:\n"
        "  - {key: job.id, type: string, brief: Job., examples: [j1]}\n"
        "  - {key: job.queue, type: string, brief: Queue., examples: [q1]}\n"
        "spans:\n  - type: job.run\n    kind: internal\n    brief: A job.\n"
        "    attributes: [{ref: job.id}]\n"
        "events:\n  - name: job.done\n    brief: Done.\n    attributes: [{ref: job.id}]\n"
        "span_refinements:\n  - id: span.job.run.queued\n    ref: job.run\n"
        "    attributes: [{ref: job.queue}]\n"
        "event_refinements:\n  - id: event.job.done.queued\n    ref: job.done\n"
        "    attributes: [{ref: job.queue}]\n"
    )
    snapshot = load_registry(tmp_path).snapshot
    (span,) = snapshot.spans
    (event,) = snapshot.events
    assert [ref.key for ref in span.attributes] == ["job.id", "job.queue"]
    assert [ref.key for ref in event.attributes] == ["job.id", "job.queue"]


@pytest.mark.parametrize(("section", "kind"), [("span_refinements", "span"),
                                               ("event_refinements", "event"),
                                               ("entity_refinements", "entity")])
def test_a_refinement_of_an_unknown_signal_is_an_error_at_its_ref(
        tmp_path: Path, section: str, kind: str) -> None:
    listed = "description" if kind == "entity" else "attributes"
    (tmp_path / "signals.yaml").write_text(
        "file_format: definition/2\nattributes:\n"
        "  - {key: job.id, type: string, brief: Job., examples: [j1]}\n"
        f"{section}:\n  - id: {kind}.job.runn.queued\n    ref: job.runn\n"
        f"    {listed}: [{{ref: job.id}}]\n")
    with pytest.raises(ContractError) as caught:
        load_registry(tmp_path)
    finding = caught.value.finding
    assert finding.code == "TC103"
    assert finding.message == (
        f"refinement `{kind}.job.runn.queued` refines unknown {kind} `job.runn`")
    assert finding.location.file.endswith("signals.yaml") and finding.location.line == 6


def test_refinements_of_a_dependencys_signals_add_to_them(tmp_path: Path) -> None:
    # an organisation's registry narrows the conventions it depends on: its refinements of a
    # dependency's metric, span, event and entity carry the dependency's attributes and its own
    write_files(tmp_path, {
        "manifest.yaml": "name: shop\nversion: 1.0.0\ndependencies:\n  - name: otel\n"
                         "    registry_path: semconv\n",
        "shop.yaml": "file_format: definition/2\nattributes:\n"
                     "  - {key: shop.region, type: string, brief: Region., examples: [eu]}\n"
                     "  - {key: shop.tier, type: int, brief: Tier., examples: [1]}\n"
                     "metric_refinements:\n  - id: metric.shop.http.server.request.duration\n"
                     "    ref: http.server.request.duration\n"
                     "    attributes: [{ref: shop.region, requirement_level: required},\n"
                     "                 {ref: url.scheme, requirement_level: opt_in}]\n"
                     "  - id: metric.shop.http.server.request.duration.tiered\n"
                     "    ref: http.server.request.duration\n"
                     "    attributes: [{ref: shop.region, requirement_level: opt_in},\n"
                     "                 {ref: shop.tier}]\n"
                     "span_refinements:\n  - id: span.shop.http.server\n    ref: http.server\n"
                     "    attributes: [{ref: shop.region}]\n"
                     "event_refinements:\n  - id: event.shop.app.crash\n    ref: app.crash\n"
                     "    attributes: [{ref: shop.region}]\n"
                     "entity_refinements:\n  - id: entity.shop.service\n    ref: service\n"
                     "    description: [{ref: shop.region}, {ref: service.name}]\n",
    })
    snapshot = load_registry(tmp_path).snapshot
    metric = next(m for m in snapshot.metrics if m.name == "http.server.request.duration")
    levels = {ref.key: ref.requirement_level.level for ref in metric.attributes}
    assert metric.origin == "otel"
    assert levels["shop.region"] == "required"  # the first refinement's level wins
    assert levels["url.scheme"] == "required"  # the dependency's own level wins
    assert list(levels)[-2:] == ["shop.region", "shop.tier"]  # both refinements add theirs
    assert "http.request.method" in levels
    (span,) = [s for s in snapshot.spans if s.type == "http.server"]
    assert span.origin == "otel" and span.attributes[-1].key == "shop.region"
    assert "http.request.method" in {ref.key for ref in span.attributes}
    (event,) = snapshot.events
    assert (event.name, event.origin, event.attributes[-1].key) == (
        "app.crash", "otel", "shop.region")
    (entity,) = snapshot.entities
    assert entity.identifying == ("service.name",)  # not described again
    assert entity.descriptive[-1] == "shop.region" and "service.version" in entity.descriptive
    # signals of the dependency that nothing refines stay out, as before
    assert len(snapshot.spans) == 1


def test_a_refinement_of_a_signal_no_dependency_has_is_still_an_error(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "manifest.yaml": "name: shop\nversion: 1.0.0\ndependencies:\n  - name: otel\n"
                         "    registry_path: semconv\n",
        "shop.yaml": "file_format: definition/2\nmetric_refinements:\n"
                     "  - id: metric.shop.http.server.request.durations\n"
                     "    ref: http.server.request.durations\n"
                     "    attributes: [{ref: url.scheme}]\n",
    })
    with pytest.raises(ContractError) as caught:
        load_registry(tmp_path)
    assert caught.value.finding.code == "TC103"
    assert "refines unknown metric `http.server.request.durations`" in (
        caught.value.finding.message)
