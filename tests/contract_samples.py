"""A small stable contract registry written as semantic-convention YAML, with edits to apply."""

from __future__ import annotations

from pathlib import Path

SAMPLE_REGISTRY = """\
groups:
  - id: registry.app
    type: attribute_group
    brief: App attributes.
    attributes:
      - id: app.user.tier
        type: string
        stability: stable
        brief: The tier of the calling user.
        examples: ["gold"]
      - id: app.outcome
        type:
          members:
            - id: ok
              value: ok
              stability: stable
            - id: error
              value: error
              stability: stable
        stability: stable
        brief: The outcome of the request.
      - id: app.region
        type: string
        stability: development
        brief: Where the request was served.
        examples: ["eu-west-1"]
  - id: metric.app.request.duration
    type: metric
    metric_name: app.request.duration
    instrument: histogram
    unit: s
    stability: stable
    brief: Duration of handled requests.
    attributes:
      - ref: app.outcome
        requirement_level: required
"""

BREAKING_EDITS: dict[str, tuple[str, str]] = {
    "remove stable attribute": (
        """      - id: app.user.tier
        type: string
        stability: stable
        brief: The tier of the calling user.
        examples: ["gold"]
""", ""),
    "change metric unit": ("    unit: s\n", "    unit: ms\n"),
    "change metric instrument": ("    instrument: histogram\n", "    instrument: gauge\n"),
    "require an attribute": (
        "        requirement_level: required\n",
        """        requirement_level: required
      - ref: app.user.tier
        requirement_level: required
""",
    ),
    "remove enum member": (
        """            - id: error
              value: error
              stability: stable
""", ""),
}
"""Edits of :data:`SAMPLE_REGISTRY` that break BACKWARD compatibility: (old text, new text)."""

COMPATIBLE_EDITS: dict[str, tuple[str, str]] = {
    "add optional attribute": (
        "      - id: app.region\n",
        """      - id: app.tenant
        type: string
        stability: stable
        brief: The tenant.
        examples: ["acme"]
      - id: app.region
""",
    ),
    "edit brief": ("    brief: Duration of handled requests.\n",
                   "    brief: How long handled requests took.\n"),
    "remove development attribute": (
        """      - id: app.region
        type: string
        stability: development
        brief: Where the request was served.
        examples: ["eu-west-1"]
""", ""),
}


def write_registry(directory: Path, text: str = SAMPLE_REGISTRY) -> Path:
    """Write ``text`` as ``directory/app.yaml``; returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.yaml").write_text(text)
    return directory


def edited(edit: tuple[str, str], text: str = SAMPLE_REGISTRY) -> str:
    """``text`` with one edit applied (the edit's old text must occur exactly once)."""
    old, new = edit
    assert text.count(old) == 1, old
    return text.replace(old, new)
