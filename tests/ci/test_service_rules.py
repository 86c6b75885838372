"""The registry service validates proposals with the declared rules of its rules file
(``TELEMETRY_CONTRACTS_RULES``), tuned by its ``ignore`` and ``severity``; a bad file stops it
at start with one line naming the file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from telemetry_contracts.registry.service.auth import Principal
from telemetry_contracts.registry.service.errors import Invalid
from telemetry_contracts.registry.service.models import ProposalIn
from telemetry_contracts.registry.service.registry import RegistryService
from telemetry_contracts.registry.service.settings import Settings
from telemetry_contracts.registry.service.validation import use_rules
from telemetry_contracts.resolution.baseline import baseline_snapshot
from telemetry_contracts.schemas.findings import ContractError

RULE = ('[[tool.telemetry-contracts.rules]]\ncode = "TCD010"\nname = "payments-owner"\n'
        'message = "payments metrics name their owner"\nnamespace = "payments"\n'
        'require-annotations = ["owner"]\n')
DEV = Principal("dev", "contributor")


@pytest.fixture(autouse=True)
def _builtin_rules_afterwards() -> Iterator[None]:
    """The rules a service starts with stay in force in the process: put the defaults back."""
    yield
    use_rules(None)


def proposal(name: str) -> ProposalIn:
    return ProposalIn.model_validate({"change": {"kind": "metric", "metric": {
        "name": name, "instrument": "gauge", "unit": "{item}", "brief": "Items waiting."}}})


def test_declared_rules_refuse_and_severities_tune_them(tmp_path: Path) -> None:
    rules = tmp_path / "pyproject.toml"
    rules.write_text('[tool.telemetry-contracts]\nregistry = "telemetry"\n' + RULE)
    service = RegistryService(Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}",
                                       rules_file=str(rules)), seed=baseline_snapshot())
    try:
        with pytest.raises(Invalid) as refused:
            service.propose(DEV, proposal("payments.queue.depth"))
        assert [(f.code, f.severity) for f in refused.value.findings] == [("TCD010", "error")]
    finally:
        service.close()
    rules.write_text('[tool.telemetry-contracts]\nseverity = {TCD010 = "warning"}\n' + RULE)
    service = RegistryService(Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}",
                                       rules_file=str(rules)))
    try:
        accepted = service.propose(DEV, proposal("payments.queue.depth"))
        assert [(f.code, f.severity) for f in accepted.findings] == [("TCD010", "warning")]
    finally:
        service.close()
    assert Settings(rules_file=str(rules)).as_env()["TELEMETRY_CONTRACTS_RULES"] == str(rules)


def test_an_invalid_rules_file_stops_the_service_naming_it(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULE.replace("[[tool.telemetry-contracts.rules]]", "[[rules]]")
                     .replace('"owner"', '"colour"'))
    with pytest.raises(ContractError) as refused:
        RegistryService(Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}",
                                 rules_file=str(rules)))
    finding = refused.value.finding
    assert (finding.code, finding.location.file) == ("TC100", str(rules))
    assert "rules.0.require-annotations.0" in finding.message
