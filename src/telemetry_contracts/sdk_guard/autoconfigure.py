"""Zero-code setup: the ``opentelemetry_configurator`` entry point ``telemetry_contracts``.

Under ``opentelemetry-instrument`` with ``TELEMETRY_CONTRACTS_REGISTRY`` set (a snapshot path or
a registry URL), it configures the SDK as the SDK's own configurator does, with the guard
ahead of every exporter: each exporting span processor is wrapped in a
:class:`GuardSpanProcessor`, the guard's log record processor is added first, and the global
meter provider is the guarded one (the guard's own counters go on the unguarded provider).
Without the variable it behaves like the plain SDK configurator when another configurator
(such as ``opentelemetry-distro``'s) is installed, and configures nothing otherwise. When
several configurators are installed, choose this one with
``OTEL_PYTHON_CONFIGURATOR=telemetry_contracts``.
"""

from __future__ import annotations

import atexit
import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import opentelemetry.sdk._configuration as sdk_configuration
from opentelemetry.sdk._configuration import _OTelSDKConfigurator
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from telemetry_contracts.sdk_guard.guard import Guard

_logger = logging.getLogger(__name__)
ENTRY_POINT_NAME = "telemetry_contracts"
active_guard: Guard | None = None
"""The guard the configurator installed in this process, if any."""


def _other_configurator_installed() -> bool:
    return any(
        ep.name != ENTRY_POINT_NAME for ep in entry_points(group="opentelemetry_configurator")
    )


def _guarded_export(guard: Guard, export: Callable[..., Any] | None) -> Callable[..., Any]:
    factory = export or BatchSpanProcessor

    def build(exporter: Any, *args: Any, **kwargs: Any) -> Any:
        return guard.span_processor(factory(exporter, *args, **kwargs))

    return build


class GuardConfigurator(_OTelSDKConfigurator):
    """The SDK configurator with the guard in the pipeline (see the module docstring)."""

    def _configure(self, **kwargs: Any) -> None:
        global active_guard
        try:
            guard = Guard.from_env()
        except Exception:
            _logger.exception("telemetry-contracts guard not enabled")
            guard = None
        if guard is None:
            if _other_configurator_installed():
                super()._configure(**kwargs)
            return
        kwargs["export_span_processor"] = _guarded_export(
            guard, kwargs.get("export_span_processor")
        )
        kwargs["log_record_processors"] = [
            guard.log_record_processor(),
            *(kwargs.get("log_record_processors") or ()),
        ]
        set_meter_provider = sdk_configuration.set_meter_provider

        def set_guarded_meter_provider(provider: Any) -> None:
            guard.instrument(provider)
            set_meter_provider(guard.meter_provider(provider))

        sdk_configuration.set_meter_provider = set_guarded_meter_provider  # type: ignore[assignment]
        try:
            super()._configure(**kwargs)
        finally:
            sdk_configuration.set_meter_provider = set_meter_provider
        active_guard = guard
        atexit.register(guard.shutdown)
