"""Count the attributes and metrics of official semantic-convention models with plain PyYAML.

Run: ``python scripts/count_semconv.py ../shared/corpora/semconv/v1.21.0/model ...``. It shares
no code with the loader, so its figures check the loader's (tests/registry/test_corpora.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def count(root: Path) -> tuple[int, int]:
    """Distinct attribute keys and metric names defined in the model under ``root``."""
    attributes: set[str] = set()
    metrics: set[str] = set()
    for path in sorted([*root.rglob("*.yaml"), *root.rglob("*.yml")]):
        document = yaml.safe_load(path.read_text())
        if not isinstance(document, dict) or path.name == "manifest.yaml":
            continue
        for group in document.get("groups") or []:
            for attribute in group.get("attributes") or []:
                if "id" in attribute:
                    prefix = group.get("prefix")
                    attributes.add(f"{prefix}.{attribute['id']}" if prefix else attribute["id"])
            if group.get("type") == "metric":
                metrics.add(group["metric_name"])
        attributes.update(attribute["key"] for attribute in document.get("attributes") or [])
        metrics.update(metric["name"] for metric in document.get("metrics") or [])
    return len(attributes), len(metrics)


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(argument, *count(Path(argument)))
