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
from importlib.metadata import entry_points
from typing import Any

from telemetry_contracts.sdk_guard import compat
from telemetry_contracts.sdk_guard.guard import Guard

_logger = logging.getLogger(__name__)
ENTRY_POINT_NAME = "telemetry_contracts"
active_guard: Guard | None = None
"""The guard the configurator installed in this process, if any."""


def _other_configurator_installed() -> bool:
    return any(
        ep.name != ENTRY_POINT_NAME for ep in entry_points(group="opentelemetry_configurator")
    )


class GuardConfigurator(compat.sdk_configurator()):  # type: ignore[misc]
    """The SDK configurator with the guard in the pipeline (see the module docstring)."""

    def _configure(self, **kwargs: Any) -> None:
        global active_guard
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
