"""What the guard does about each kind of violation: actions, mode, and their configuration.

Precedence, highest first: arguments given in code (``GuardConfig(...)`` or ``Guard.from_*``),
then the environment (``TELEMETRY_CONTRACTS_MODE``, ``TELEMETRY_CONTRACTS_ACTIONS``), then the
defaults. Within the actions, a namespace override (longest matching key prefix) beats the
per-kind action, which beats the default for that kind.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from telemetry_contracts.net import CACHE_DIR_VARIABLE
from telemetry_contracts.schemas.violations import Violation

Action = Literal["drop", "rename", "redact", "pass"]
Mode = Literal["enforce", "report"]
OnError = Literal["pass", "drop"]
SdkPath = Literal["auto", "public"]

ACTIONS: frozenset[str] = frozenset({"drop", "rename", "redact", "pass"})
MODES: frozenset[str] = frozenset({"enforce", "report"})

ENV_MODE = "TELEMETRY_CONTRACTS_MODE"
ENV_ACTIONS = "TELEMETRY_CONTRACTS_ACTIONS"
ENV_REGISTRY = "TELEMETRY_CONTRACTS_REGISTRY"
ENV_TOKEN = "TELEMETRY_CONTRACTS_TOKEN"
ENV_CACHE_DIR = CACHE_DIR_VARIABLE
ENV_POLL_INTERVAL = "TELEMETRY_CONTRACTS_POLL_INTERVAL"
ENV_ON_ERROR = "TELEMETRY_CONTRACTS_ON_ERROR"
ENV_SDK_PATH = "TELEMETRY_CONTRACTS_SDK_PATH"

DEFAULT_ACTIONS: Mapping[Violation, Action] = {
    Violation.UNKNOWN_METRIC: "drop",
    Violation.UNKNOWN_ATTRIBUTE: "drop",
    Violation.DEPRECATED_NAME: "rename",
    Violation.WRONG_TYPE: "pass",
    Violation.ENUM_VALUE: "pass",
    Violation.SENSITIVE_VALUE: "redact",
    # Past a metric's cardinality limit, ``redact`` folds the measurement into the overflow
    # attribute set ``{"otel.metric.overflow": true}`` (as the SDK does at its own limit), so
    # sums stay right; ``drop`` discards the measurement.
    Violation.CARDINALITY: "redact",
    Violation.INSTRUMENT_MISMATCH: "pass",
    Violation.UNIT_MISMATCH: "pass",
}

REDACTED = "[redacted]"


class ConfigError(ValueError):
    """A guard setting that cannot be understood (names the setting and the bad part)."""


def violation_from_slug(slug: str) -> Violation:
    """``unknown_attribute`` or ``TC802`` to :class:`Violation`."""
    text = slug.strip()
    for violation in Violation:
        if text.lower() == violation.slug or text.upper() == violation.code:
            return violation
    known = ", ".join(v.slug for v in Violation)
    raise ConfigError(f"unknown violation kind {slug!r}; use one of: {known}")


def _action(value: str, where: str) -> Action:
    text = value.strip().lower()
    if text not in ACTIONS:
        raise ConfigError(f"{where}: unknown action {value!r}; use drop, rename, redact or pass")
    return text  # type: ignore[return-value]


def parse_actions(text: str) -> dict[Violation, Action]:
    """Parse ``unknown_attribute=pass,deprecated_name=drop`` (the environment form)."""
    actions: dict[Violation, Action] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        kind, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"{ENV_ACTIONS}: expected KIND=ACTION, got {item.strip()!r}")
        actions[violation_from_slug(kind)] = _action(value, ENV_ACTIONS)
    return actions


def _choice(given: str | None, env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    text = (given or env.get(name) or allowed[0]).strip().lower()
    if text not in allowed:
        raise ConfigError(f"{name}: unknown value {text!r}; use {' or '.join(allowed)}")
    return text


@dataclass(frozen=True)
class GuardConfig:
    """The guard's settings; build it with :meth:`resolve` to merge code, environment, defaults."""

    mode: Mode = "enforce"
    actions: Mapping[Violation, Action] = field(default_factory=lambda: dict(DEFAULT_ACTIONS))
    namespaces: Mapping[str, Mapping[Violation, Action]] = field(default_factory=dict)
    """Per key prefix (``"http."``) overrides; the longest matching prefix wins."""
    redacted_value: str = REDACTED
    cache_size: int = 4096
    """Bound of each per-key-set decision cache."""
    on_error: OnError = "pass"
    """After an internal error (or with an unusable snapshot), values of sensitive attributes
    never pass; ``pass`` lets the rest through, ``drop`` drops it."""
    sdk_path: SdkPath = "auto"
    """``public`` uses only the SDK's public API, whatever the start-up checks found."""

    @classmethod
    def resolve(
        cls,
        mode: str | None = None,
        actions: Mapping[str | Violation, str] | None = None,
        namespaces: Mapping[str, Mapping[str | Violation, str]] | None = None,
        environ: Mapping[str, str] | None = None,
        on_error: str | None = None,
        sdk_path: str | None = None,
        **extra: object,
    ) -> GuardConfig:
        """Merge arguments over the environment over the defaults (see the module docstring)."""
        env = os.environ if environ is None else environ
        merged: dict[Violation, Action] = dict(DEFAULT_ACTIONS)
        merged.update(parse_actions(env.get(ENV_ACTIONS, "")))
        for kind, value in (actions or {}).items():
            violation = kind if isinstance(kind, Violation) else violation_from_slug(kind)
            merged[violation] = _action(value, f"action for {violation.slug}")
        chosen_mode = (mode or env.get(ENV_MODE) or "enforce").strip().lower()
        if chosen_mode not in MODES:
            raise ConfigError(f"{ENV_MODE}: unknown mode {chosen_mode!r}; use enforce or report")
        chosen_on_error = _choice(on_error, env, ENV_ON_ERROR, ("pass", "drop"))
        chosen_path = _choice(sdk_path, env, ENV_SDK_PATH, ("auto", "public"))
        parsed_namespaces = {
            prefix: {
                (k if isinstance(k, Violation) else violation_from_slug(k)): _action(
                    v, f"namespace {prefix!r}"
                )
                for k, v in overrides.items()
            }
            for prefix, overrides in (namespaces or {}).items()
        }
        return cls(
            mode=chosen_mode,  # type: ignore[arg-type]
            actions=merged,
            namespaces=parsed_namespaces,
            on_error=chosen_on_error,  # type: ignore[arg-type]
            sdk_path=chosen_path,  # type: ignore[arg-type]
            **extra,  # type: ignore[arg-type]
        )

    def action_for(self, violation: Violation, name: str) -> Action:
        """The configured action for ``violation`` on the key or metric ``name``."""
        best = ""
        for prefix in self.namespaces:
            if (
                name.startswith(prefix)
                and len(prefix) > len(best)
                and violation in (self.namespaces[prefix])
            ):
                best = prefix
        if best:
            return self.namespaces[best][violation]
        return self.actions.get(violation, DEFAULT_ACTIONS[violation])
