"""Names that break stores, pages and exports are refused by the API, deprecated or not."""

from __future__ import annotations

import pytest

from tests.registry.conftest import Harness

HOSTILE_NAMES = {
    "empty": "",
    "newline": "payments.a\nb",
    "rtl-override": "payments.\u202eliated",
    "html": "payments.<img src=x onerror=alert(1)>",
    "long": "payments." + "a" * 100_000,
}


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_a_deprecated_metric_with_a_hostile_name_is_refused(harness: Harness, name: str) -> None:
    harness.token("alice", "contributor")
    answer = harness.client.post("/v1/proposals", headers=harness.auth("alice"), json={
        "change": {"kind": "metric", "title": "hostile", "metric": {
            "name": name, "instrument": "counter", "unit": "{payment}", "brief": "Payments.",
            "deprecated": ""}}})
    assert answer.status_code == 422, answer.text
    codes = {finding["code"] for finding in answer.json().get("findings", [])}
    assert "TC209" in codes, answer.text
