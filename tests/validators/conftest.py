"""Helpers for rule tests: build a registry from contract-file text and run the rules on it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.validators import check

Lint = Callable[..., list[Finding]]


@pytest.fixture
def lint(tmp_path: Path) -> Lint:
    """``lint(yaml_text, code=None, baseline=None)``: findings (of one code) on that file."""
    counter = iter(range(1_000))

    def run(text: str, code: str | None = None, baseline: Snapshot | None = None) -> list[Finding]:
        directory = tmp_path / f"registry{next(counter)}"
        directory.mkdir()
        (directory / "contracts.yaml").write_text(text)
        findings = check(load_registry(directory).snapshot, baseline=baseline)
        return [f for f in findings if code is None or f.code == code]

    return run
