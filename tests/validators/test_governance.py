"""TC7xx rules: semantic-convention collisions and sensitive data."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from telemetry_contracts.resolution.baseline import baseline_snapshot
from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.model import Attribute, Metric
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.validators import check
from telemetry_contracts.validators.governance import sensitive_words
from telemetry_contracts.validators.rule import Context
from tests.validators.contract_text import attribute, metric, registry

Lint = Callable[..., list[Finding]]


@pytest.fixture(scope="module")
def semconv() -> Snapshot:
    return baseline_snapshot()


def test_namespace_collision_needs_a_baseline(lint: Lint, semconv: Snapshot) -> None:
    text = registry(attribute("http.retry_budget", "int"))
    (finding,) = lint(text, "TC701", baseline=semconv)
    assert "`http.`" in finding.message
    assert not lint(text, "TC701")
    # an official key used as it is defined is no collision
    assert not lint(registry(attribute("http.request.method", examples=["GET"])), "TC701",
                    baseline=semconv)
    assert not lint(registry(attribute("acme.retry_budget", "int")), "TC701", baseline=semconv)


def test_redefinition_of_semconv_types(lint: Lint, semconv: Snapshot) -> None:
    bad = registry(metrics=metric("http.server.request.duration", "counter", "s"))
    (finding,) = lint(bad, "TC702", baseline=semconv)
    assert "instrument `counter`" in finding.message


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("user.email", "email"),
        ("shop.customer.e_mail", "e_mail"),
        ("shop.auth.api_key", "api_key"),
        ("shop.login.password", "password"),
        ("shop.card_number", "card_number"),
        ("shop.customer.ssn", "ssn"),
        ("shop.session.token", "token"),
        ("gen_ai.usage.input_tokens", None),
        ("aws.secretsmanager.secret.arn", None),
        ("shop.token.type", None),
        ("shop.emailer.queue", None),
    ],
)
def test_sensitive_words(key: str, words: str | None) -> None:
    assert sensitive_words(key) == words


def test_sensitive_key_rule_skips_non_text_types_and_annotated_keys(lint: Lint) -> None:
    assert lint(registry(attribute("shop.password", examples=["x"])), "TC703")
    assert not lint(registry(attribute("shop.password", "boolean")), "TC703")
    assert not lint(registry(attribute("shop.password", examples=["x"],
                                       annotations={"sensitivity": "secret"})), "TC703")
    assert not lint(registry(attribute("shop.password", examples=["x"],
                                       annotations={"sensitivity": "public"})), "TC703")


def test_a_registry_defining_most_of_the_baseline_is_a_semconv_release(
    semconv: Snapshot,
) -> None:
    changed = Metric(name="http.server.request.duration", instrument="counter", unit="ms")
    custom = Snapshot.build(registry="shop", version="1.0.0", metrics=[changed])
    assert not Context(custom, semconv).is_opentelemetry_registry
    release = Snapshot.build(
        registry="semconv-old", version="1.0.0", metrics=[changed],
        attributes=[Attribute(key=a.key, type="string") for a in semconv.attributes],
    )
    assert Context(release, semconv).is_opentelemetry_registry
    assert not check(release, baseline=semconv, select=["TC701", "TC702"])
    assert [f for f in check(custom, baseline=semconv, select=["TC702"])]
