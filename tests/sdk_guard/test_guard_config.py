"""Actions and modes: defaults, environment, arguments, namespaces, and bad settings."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from guard_pipelines import Spans

from telemetry_contracts.schemas.violations import Violation
from telemetry_contracts.sdk_guard import Guard
from telemetry_contracts.sdk_guard.config import ConfigError, GuardConfig, parse_actions


def test_defaults() -> None:
    config = GuardConfig.resolve(environ={})
    assert config.mode == "enforce"
    assert config.action_for(Violation.DEPRECATED_NAME, "x") == "rename"
    assert config.action_for(Violation.UNKNOWN_ATTRIBUTE, "x") == "drop"
    assert config.action_for(Violation.SENSITIVE_VALUE, "x") == "redact"
    assert config.action_for(Violation.WRONG_TYPE, "x") == "pass"


def test_environment_then_arguments_win() -> None:
    environ = {
        "TELEMETRY_CONTRACTS_MODE": "report",
        "TELEMETRY_CONTRACTS_ACTIONS": "unknown_attribute=pass, TC803=drop",
    }
    from_env = GuardConfig.resolve(environ=environ)
    assert from_env.mode == "report"
    assert from_env.action_for(Violation.UNKNOWN_ATTRIBUTE, "k") == "pass"
    assert from_env.action_for(Violation.DEPRECATED_NAME, "k") == "drop"
    argued = GuardConfig.resolve(
        mode="enforce", actions={"unknown_attribute": "redact"}, environ=environ
    )
    assert argued.mode == "enforce"
    assert argued.action_for(Violation.UNKNOWN_ATTRIBUTE, "k") == "redact"
    assert argued.action_for(Violation.DEPRECATED_NAME, "k") == "drop"


def test_longest_namespace_prefix_wins() -> None:
    config = GuardConfig.resolve(
        namespaces={
            "http.": {"unknown_attribute": "pass"},
            "http.request.": {"unknown_attribute": "redact"},
        },
        environ={},
    )
    assert config.action_for(Violation.UNKNOWN_ATTRIBUTE, "http.x") == "pass"
    assert config.action_for(Violation.UNKNOWN_ATTRIBUTE, "http.request.x") == "redact"
    assert config.action_for(Violation.UNKNOWN_ATTRIBUTE, "db.x") == "drop"
    assert config.action_for(Violation.DEPRECATED_NAME, "http.x") == "rename"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("unknown_attribute", "KIND=ACTION"),
        ("nonsense=drop", "unknown violation kind"),
        ("unknown_attribute=explode", "unknown action"),
    ],
)
def test_bad_actions_are_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_actions(text)


def test_bad_mode() -> None:
    with pytest.raises(ConfigError, match="TELEMETRY_CONTRACTS_MODE"):
        GuardConfig.resolve(environ={"TELEMETRY_CONTRACTS_MODE": "strict"})


def test_on_error_and_sdk_path() -> None:
    assert GuardConfig.resolve(environ={}).on_error == "pass"
    environ = {"TELEMETRY_CONTRACTS_ON_ERROR": "DROP", "TELEMETRY_CONTRACTS_SDK_PATH": "public"}
    config = GuardConfig.resolve(environ=environ)
    assert (config.on_error, config.sdk_path) == ("drop", "public")
    assert GuardConfig.resolve(on_error="pass", environ=environ).on_error == "pass"
    with pytest.raises(ConfigError, match="TELEMETRY_CONTRACTS_ON_ERROR: unknown value 'raise'"):
        GuardConfig.resolve(environ={"TELEMETRY_CONTRACTS_ON_ERROR": "raise"})


def test_a_bad_setting_under_zero_code_fails_closed(
    snapshot_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    environ = {
        "TELEMETRY_CONTRACTS_REGISTRY": str(snapshot_file),
        "TELEMETRY_CONTRACTS_MODE": "audit",
    }
    with caplog.at_level(logging.INFO, logger="telemetry_contracts.sdk_guard"):
        guard = Guard.from_env(environ)
    assert guard is not None and guard.policy.failed
    (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "bad setting: TELEMETRY_CONTRACTS_MODE: unknown mode 'audit'" in line
    assert guard.describe()["snapshot"] == "unusable"
    span = Spans(guard).emit({"shop.items": 1, "junk": "x"})
    assert dict(span.attributes) == {"shop.items": "[redacted]", "junk": "[redacted]"}


@pytest.mark.parametrize("interval", ["0", "-5", "nan", "inf"])
def test_a_poll_interval_that_would_poll_in_a_tight_loop_is_a_bad_setting(
    interval: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """0, a negative number or NaN made the poller fetch the snapshot in a tight loop (about
    a thousand requests a second from each instance)."""
    from telemetry_contracts.sdk_guard.source import RegistrySource

    environ = {
        "TELEMETRY_CONTRACTS_REGISTRY": "http://127.0.0.1:9",
        "TELEMETRY_CONTRACTS_POLL_INTERVAL": interval,
        "TELEMETRY_CONTRACTS_CACHE_DIR": str(tmp_path),
    }
    with caplog.at_level(logging.INFO, logger="telemetry_contracts.sdk_guard"):
        guard = Guard.from_env(environ)
    assert guard is not None and guard.policy.failed and guard.source is None
    (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "bad setting: TELEMETRY_CONTRACTS_POLL_INTERVAL" in line
    with pytest.raises(ValueError, match="poll_interval"):
        RegistrySource("http://127.0.0.1:9", cache_dir=tmp_path, poll_interval=float(interval))
