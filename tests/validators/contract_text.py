"""Small builders of ``definition/2`` contract text for rule tests."""

from __future__ import annotations

import json


def attribute(key: str, type_: str = "string", **fields: object) -> str:
    """One attribute entry; ``fields`` are written as inline YAML (JSON is valid YAML)."""
    extra = "".join(f"\n    {name}: {json.dumps(value)}" for name, value in fields.items())
    brief = "" if "brief" in extra else "\n    brief: b"
    return f"  - key: {key}\n    type: {type_}{brief}{extra}\n"


def metric(name: str, instrument: str = "counter", unit: str = "{thing}", **fields: object) -> str:
    extra = "".join(f"\n    {key}: {json.dumps(value)}" for key, value in fields.items())
    return (
        f"  - name: {name}\n    instrument: {instrument}\n    unit: {json.dumps(unit)}\n"
        f"    brief: b{extra}\n"
    )


def registry(attributes: str = "", metrics: str = "") -> str:
    text = "file_format: definition/2\n"
    if attributes:
        text += "attributes:\n" + attributes
    if metrics:
        text += "metrics:\n" + metrics
    return text
