"""TC7xx rules: semantic-convention collisions and sensitive data."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from contract_text import attribute, metric, registry

from telemetry_contracts.registry.baseline import baseline_snapshot
from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.validators.governance import sensitive_words

Lint = Callable[..., list[Finding]]


@pytest.fixture(scope="module")
def semconv():  # type: ignore[no-untyped-def]
    return baseline_snapshot()


def test_namespace_collision_needs_a_baseline(lint: Lint, semconv) -> None:  # type: ignore[no-untyped-def]
    text = registry(attribute("http.retry_budget", "int"))
    (finding,) = lint(text, "TC701", baseline=semconv)
    assert "`http.`" in finding.message
    assert not lint(text, "TC701")
    # an official key used as it is defined is no collision
    assert not lint(registry(attribute("http.request.method", examples=["GET"])), "TC701",
                    baseline=semconv)
    assert not lint(registry(attribute("acme.retry_budget", "int")), "TC701", baseline=semconv)


def test_redefinition_of_semconv_types(lint: Lint, semconv) -> None:  # type: ignore[no-untyped-def]
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
