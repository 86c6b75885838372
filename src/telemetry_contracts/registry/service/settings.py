"""Configuration of the registry service, from arguments or ``TELEMETRY_CONTRACTS_*`` variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_DATABASE = "sqlite:///telemetry-contracts.db"
"""The embedded default: a SQLite file in the working directory."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything the service reads at startup."""

    database_url: str = DEFAULT_DATABASE
    registry_name: str = "registry"
    open_reads: bool = False
    """Let anonymous callers read; writes always need a token."""
    required_approvals: int = 1
    compatibility: str = "BACKWARD"
    """The compatibility mode a publish must not break (see ``validators.compatibility``)."""
    usage_window_days: int = 30
    """A deprecated contract nobody emitted for this long is safe to remove."""
    max_body_bytes: int = 1024 * 1024
    snapshot_revalidate_seconds: float = 1.0
    """How long the latest version's hash is trusted before it is re-read (other replicas)."""
    seed_version: str = "1.0.0"
    schema_url: str | None = None
    """The registry's own schema URL, if it publishes OpenTelemetry schema files."""
    max_open_proposals: int = 200
    """Open proposals one author may hold at a time."""
    max_proposal_bytes: int = 16 * 1024 * 1024
    """Bytes of open proposals one author may hold at a time."""
    api_docs: bool = False
    """Serve the interactive API docs at ``/docs`` (its page loads Swagger UI from a CDN)."""
    metrics_access: str = "viewer"
    """Who may read ``/metrics``: ``public``, ``viewer`` (a token, or anyone with open reads),
    ``admin`` or ``off``."""
    rules_file: str | None = None
    """A TOML file of declared rules, ``ignore`` and ``severity`` (a project's ``pyproject.toml``
    will do) that proposals are validated with, besides the installed plugins' rules."""
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from the environment, with explicit ``overrides`` (None means unset)."""
        env = os.environ
        values: dict[str, object] = {
            "database_url": env.get("TELEMETRY_CONTRACTS_DATABASE", DEFAULT_DATABASE),
            "registry_name": env.get("TELEMETRY_CONTRACTS_REGISTRY_NAME", "registry"),
            "open_reads": _flag("TELEMETRY_CONTRACTS_OPEN_READS", False),
            "required_approvals": int(env.get("TELEMETRY_CONTRACTS_APPROVALS", "1")),
            "compatibility": env.get("TELEMETRY_CONTRACTS_COMPATIBILITY", "BACKWARD"),
            "usage_window_days": int(env.get("TELEMETRY_CONTRACTS_USAGE_WINDOW_DAYS", "30")),
            "max_open_proposals": int(env.get("TELEMETRY_CONTRACTS_MAX_OPEN_PROPOSALS", "200")),
            "max_proposal_bytes": int(env.get("TELEMETRY_CONTRACTS_MAX_PROPOSAL_BYTES",
                                              str(16 * 1024 * 1024))),
            "api_docs": _flag("TELEMETRY_CONTRACTS_API_DOCS", False),
            "metrics_access": env.get("TELEMETRY_CONTRACTS_METRICS_ACCESS", "viewer"),
            "rules_file": env.get("TELEMETRY_CONTRACTS_RULES") or None,
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]

    def as_env(self) -> dict[str, str]:
        """The variables :meth:`from_env` reads back into these settings (for worker processes)."""
        rules = {"TELEMETRY_CONTRACTS_RULES": self.rules_file} if self.rules_file else {}
        return {
            **rules,
            "TELEMETRY_CONTRACTS_DATABASE": self.database_url,
            "TELEMETRY_CONTRACTS_REGISTRY_NAME": self.registry_name,
            "TELEMETRY_CONTRACTS_OPEN_READS": "1" if self.open_reads else "0",
            "TELEMETRY_CONTRACTS_APPROVALS": str(self.required_approvals),
            "TELEMETRY_CONTRACTS_COMPATIBILITY": self.compatibility,
            "TELEMETRY_CONTRACTS_USAGE_WINDOW_DAYS": str(self.usage_window_days),
            "TELEMETRY_CONTRACTS_MAX_OPEN_PROPOSALS": str(self.max_open_proposals),
            "TELEMETRY_CONTRACTS_MAX_PROPOSAL_BYTES": str(self.max_proposal_bytes),
            "TELEMETRY_CONTRACTS_API_DOCS": "1" if self.api_docs else "0",
            "TELEMETRY_CONTRACTS_METRICS_ACCESS": self.metrics_access,
        }
