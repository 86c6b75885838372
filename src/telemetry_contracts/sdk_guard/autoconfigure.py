"""Zero-code setup: the ``opentelemetry_configurator`` entry point ``telemetry_contracts``.

Under ``opentelemetry-instrument`` with ``TELEMETRY_CONTRACTS_REGISTRY`` set (a snapshot path or
a registry URL), it configures the SDK as the SDK's own configurator does, with the guard
ahead of every exporter: each span and log record processor the configurator adds is wrapped
by the guard, and the global meter provider is the guarded one (the guard's own counters go on
the unguarded provider). It does so by catching the providers the SDK's configurator sets, the
same way on every SDK release; when the configurator's shape is not the one checked here, the
guard steps aside with one warning and the SDK configures itself unguarded.

Without the variable it behaves like the plain SDK configurator when another configurator
(such as ``opentelemetry-distro``'s) is installed, and configures nothing otherwise. When
several configurators are installed, choose this one with
``OTEL_PYTHON_CONFIGURATOR=telemetry_contracts``.
"""

from __future__ import annotations

import atexit
import logging
import os
from typing import Any

from telemetry_contracts.schemas.backports import entry_points
from telemetry_contracts.sdk_guard import compat
from telemetry_contracts.sdk_guard.config import ENV_REGISTRY
from telemetry_contracts.sdk_guard.guard import Guard

_logger = logging.getLogger(__name__)
ENTRY_POINT_NAME = "telemetry_contracts"
active_guard: Guard | None = None
"""The guard the configurator installed in this process, if any."""
configurator_ran = False
"""``opentelemetry-instrument`` chose this configurator in this process."""


def _other_configurator_installed() -> bool:
    return any(
        ep.name != ENTRY_POINT_NAME for ep in entry_points(group="opentelemetry_configurator")
    )


class GuardConfigurator(compat.sdk_configurator()):  # type: ignore[misc]
    """The SDK configurator with the guard in the pipeline (see the module docstring)."""

    def _configure(self, **kwargs: Any) -> None:
        global active_guard, configurator_ran
        configurator_ran = True
        try:
            guard = Guard.from_env()
        except Exception as error:  # from_env handles bad files and settings itself
            _logger.error("telemetry-contracts guard not enabled: %s", error)
            guard = None
        if guard is None:
            if _other_configurator_installed():
                super()._configure(**kwargs)
            return
        problem = compat.check_configurator()
        if problem is not None:
            _logger.warning(
                "telemetry-contracts guard steps aside: this OpenTelemetry SDK's configurator "
                "changed shape (%s); the SDK is configured without the guard",
                problem,
            )
            super()._configure(**kwargs)
            return
        with compat.guarding_providers(guard) as called:
            super()._configure(**kwargs)
        if "set_tracer_provider" not in called:
            _logger.warning(
                "telemetry-contracts guard: the SDK configurator set no tracer provider; spans "
                "are not guarded"
            )
        active_guard = guard
        atexit.register(guard.shutdown)


def check_guard_configured() -> None:
    """The ``opentelemetry_pre_instrument`` hook: ``opentelemetry-instrument`` loads only one
    configurator (the first installed, unless ``OTEL_PYTHON_CONFIGURATOR`` names one), so with
    another one installed (``opentelemetry-distro``'s) the guard may never have been asked to
    start. When ``TELEMETRY_CONTRACTS_REGISTRY`` is set, that is said as an error: the
    application's telemetry is exported unguarded. Never raises."""
    try:
        if configurator_ran or not os.environ.get(ENV_REGISTRY, "").strip():
            return
        chosen = os.environ.get("OTEL_PYTHON_CONFIGURATOR", "").strip()
        _logger.error(
            "telemetry-contracts guard NOT enabled although %s is set: opentelemetry-instrument "
            "loaded %s instead of this package's configurator, so telemetry is exported "
            "unguarded (sensitive values included); set OTEL_PYTHON_CONFIGURATOR=%s",
            ENV_REGISTRY,
            f"the configurator {chosen!r}" if chosen else "another installed configurator",
            ENTRY_POINT_NAME,
        )
    except Exception:  # a start-up hook must not stop the application
        pass
