"""The package layering of ARCHITECTURE.md: each package imports only the layers below it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "telemetry_contracts"

# What each top-level unit may import from the package, besides itself.
ALLOWED: dict[str, set[str]] = {
    "schemas": set(),
    "net": set(),
    "resolution": {"schemas", "net"},
    "validators": {"schemas"},
    "sdk_guard": {"schemas", "net"},
    "live": {"schemas", "net"},
    "registry": {"schemas", "net", "resolution", "validators"},
    "ci": {"schemas", "net", "resolution", "validators", "registry", "live"},
    "__main__": {"ci"},
    "__init__": set(),
}

# Third-party packages a unit must never import, at any depth of its own modules.
FORBIDDEN_THIRD_PARTY: dict[str, set[str]] = {
    unit: {"fastapi", "sqlalchemy", "starlette", "uvicorn", "alembic", "psycopg"}
    for unit in ("schemas", "net", "resolution", "validators", "sdk_guard", "live")
}


def _unit(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module name ``path`` imports (at any depth), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "telemetry_contracts":
                # ``from telemetry_contracts import net`` names a unit; ``__version__`` the root.
                for alias in node.names:
                    unit = alias.name if alias.name in ALLOWED else "__init__"
                    found.append((node.lineno, f"telemetry_contracts.{unit}"))
            else:
                found.append((node.lineno, node.module))
    return found


def _violations() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        unit = _unit(path)
        allowed = ALLOWED[unit] | {unit, "__init__"}
        for line, module in _imports(path):
            parts = module.split(".")
            if parts[0] == "telemetry_contracts" and len(parts) > 1 and parts[1] not in allowed:
                problems.append(f"{path.relative_to(PACKAGE)}:{line}: {unit} imports {module}")
            if parts[0] in FORBIDDEN_THIRD_PARTY.get(unit, set()):
                problems.append(f"{path.relative_to(PACKAGE)}:{line}: {unit} imports {module}")
    return problems


def test_every_unit_is_in_the_layering() -> None:
    units = {_unit(path) for path in PACKAGE.rglob("*.py")}
    assert units <= set(ALLOWED), f"add {sorted(units - set(ALLOWED))} to ARCHITECTURE.md"


def test_no_import_against_the_layering() -> None:
    assert _violations() == []


def test_the_check_sees_an_upward_import() -> None:
    offender = PACKAGE / "schemas" / "_layering_probe.py"
    offender.write_text("from telemetry_contracts.registry.server import main\n", encoding="utf-8")
    try:
        assert any("schemas imports telemetry_contracts.registry" in p for p in _violations())
    finally:
        offender.unlink()


@pytest.mark.parametrize(
    "module", ["telemetry_contracts.sdk_guard", "telemetry_contracts.ci.cli",
               "telemetry_contracts.resolution.loader", "telemetry_contracts.validators.catalog"]
)
def test_no_server_stack_behind_an_import(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "heavy = sorted(m for m in ('fastapi', 'sqlalchemy', 'uvicorn') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
