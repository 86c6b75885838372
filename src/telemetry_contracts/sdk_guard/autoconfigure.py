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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import Any

import opentelemetry.sdk._configuration as sdk_configuration
from opentelemetry.sdk._configuration import _OTelSDKConfigurator

from telemetry_contracts.sdk_guard.guard import Guard

_logger = logging.getLogger(__name__)
ENTRY_POINT_NAME = "telemetry_contracts"
active_guard: Guard | None = None
"""The guard the configurator installed in this process, if any."""

# The SDK configurator's shape the guard relies on: each ``_init_*`` function sets its global
# provider through a name of the configuration module, then adds processors to it.
HOOKS = {
    "set_tracer_provider": ("_init_tracing", "add_span_processor"),
    "set_logger_provider": ("_init_logging", "add_log_record_processor"),
    "set_meter_provider": ("_init_metrics", None),
}


def check_configurator(module: Any = sdk_configuration) -> str | None:
    """Why the SDK configurator cannot be guarded (``None``: it can)."""
    if not callable(getattr(_OTelSDKConfigurator, "_configure", None)):
        return "_OTelSDKConfigurator._configure is missing"
    for setter, (init, _) in HOOKS.items():
        function = getattr(module, init, None)
        if not callable(getattr(module, setter, None)) or function is None:
            return f"opentelemetry.sdk._configuration has no {setter} or {init}"
        if setter not in getattr(getattr(function, "__code__", None), "co_names", ()):
            return f"{init} no longer calls {setter}"
    return None


def _other_configurator_installed() -> bool:
    return any(
        ep.name != ENTRY_POINT_NAME for ep in entry_points(group="opentelemetry_configurator")
    )


def _wrapping(provider: Any, method: str, wrap: Callable[[Any], Any]) -> None:
    """Make ``provider.method(processor)`` add ``wrap(processor)`` instead (this instance,
    until :func:`guarding_providers` closes)."""
    add = getattr(provider, method)

    def add_guarded(processor: Any, *args: Any, **kwargs: Any) -> Any:
        return add(wrap(processor), *args, **kwargs)

    setattr(provider, method, add_guarded)


@contextmanager
def guarding_providers(guard: Guard, module: Any = sdk_configuration) -> Iterator[list[str]]:
    """While open, the providers ``module`` sets are guarded; yields the names of the setters
    that were called (the caller checks the configurator reached them)."""
    called: list[str] = []
    originals = {name: getattr(module, name) for name in HOOKS}
    wrapped: list[tuple[Any, str]] = []

    def hook(name: str) -> Callable[[Any], Any]:
        setter, adder = originals[name], HOOKS[name][1]

        def set_guarded(provider: Any) -> Any:
            called.append(name)
            if adder is not None:
                wrap = guard.span_processor if "span" in adder else guard.log_record_processor
                _wrapping(provider, adder, wrap)
                wrapped.append((provider, adder))
            else:
                guard.instrument(provider)
                provider = guard.meter_provider(provider)
            return setter(provider)

        return set_guarded

    for name in HOOKS:
        setattr(module, name, hook(name))
    try:
        yield called
    finally:
        for name, original in originals.items():
            setattr(module, name, original)
        for provider, adder in wrapped:  # processors the application adds later: its own
            vars(provider).pop(adder, None)


class GuardConfigurator(_OTelSDKConfigurator):
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
        problem = check_configurator()
        if problem is not None:
            _logger.warning(
                "telemetry-contracts guard steps aside: this OpenTelemetry SDK's configurator "
                "changed shape (%s); the SDK is configured without the guard",
                problem,
            )
            super()._configure(**kwargs)
            return
        with guarding_providers(guard) as called:
            super()._configure(**kwargs)
        if "set_tracer_provider" not in called:
            _logger.warning(
                "telemetry-contracts guard: the SDK configurator set no tracer provider; spans "
                "are not guarded"
            )
        active_guard = guard
        atexit.register(guard.shutdown)
