"""The Markdown export keeps its tables whole whatever a name holds (a registry need not have
been linted before it is exported)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from telemetry_contracts.ci.export import docs_markdown
from telemetry_contracts.resolution.loader import load_registry

NAMES = [
    "payments.a\nb",
    "payments.a|b",
    "payments.`code`",
    "payments.<img src=x onerror=alert(1)>",
    "payments.\u202eliated",
    "payments.\r\x00x",
]


def test_hostile_names_keep_every_table_row_whole(tmp_path: Path) -> None:
    attributes = "".join(
        f"  - key: {json.dumps(name)}\n    type: string\n    brief: b\n    deprecated: ''\n"
        for name in NAMES
    )
    metrics = "".join(
        f"  - name: {json.dumps(name)}\n    instrument: counter\n    unit: {json.dumps(name)}\n"
        f"    brief: b\n    deprecated:\n      reason: renamed\n"
        f"      renamed_to: {json.dumps(name)}\n"
        for name in NAMES
    )
    (tmp_path / "reg").mkdir()
    (tmp_path / "reg" / "contracts.yaml").write_text(
        f"file_format: definition/2\nattributes:\n{attributes}metrics:\n{metrics}"
    )
    page = docs_markdown(load_registry(tmp_path / "reg").snapshot)
    rows = [line for line in page.splitlines() if line.startswith("| ") and "payments." in line]
    assert len(rows) == 2 * len(NAMES)
    for row in rows:
        cells = re.split(r"(?<!\\)\|", row)
        assert len(cells) in (6, 8), row  # 4 or 6 columns between the outer pipes
        assert not re.search(r"[\x00-\x1f\u202e]", row), row
        outside_code = re.sub(r"(`+) .*? \1|`[^`]*`", "", row)
        assert "<img" not in outside_code, row
