"""``Guard``: holds the compiled policy (swapped atomically on reload) and hands out the
pipeline stages that enforce it: a span processor, a meter provider, a log record processor.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from opentelemetry.sdk.trace import SpanProcessor

from telemetry_contracts.sdk_guard.accounting import Accounting
from telemetry_contracts.sdk_guard.compat import SdkCompat, select
from telemetry_contracts.sdk_guard.config import (
    ENV_CACHE_DIR,
    ENV_POLL_INTERVAL,
    ENV_REGISTRY,
    ENV_TOKEN,
    ConfigError,
    GuardConfig,
)
from telemetry_contracts.sdk_guard.logs import GuardLogRecordProcessor
from telemetry_contracts.sdk_guard.metrics import GuardMeterProvider, InstrumentRegistry, _Guarded
from telemetry_contracts.sdk_guard.policy import Contracts, Policy
from telemetry_contracts.sdk_guard.reporter import UsageReporter
from telemetry_contracts.sdk_guard.source import FileSource, RegistrySource
from telemetry_contracts.sdk_guard.spans import GuardSpanProcessor

_logger = logging.getLogger(__name__)


def _label(source: Any) -> str:
    if source is None:
        return "memory"
    path = getattr(source, "path", None)
    if path is not None:
        return f"file {path}"
    url = getattr(source, "url", None)
    return f"registry {url}" if url else type(source).__name__


def _reason(error: Exception) -> str:
    """One line saying why a snapshot could not be used."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


class SnapshotSource(Protocol):
    def start(self, deliver: Any) -> None: ...

    def stop(self, timeout: float | None = None) -> None: ...


def _config(config: GuardConfig | None, options: Mapping[str, Any]) -> GuardConfig:
    if config is not None:
        if options:
            raise TypeError("give either config or mode/actions/namespaces, not both")
        return config
    return GuardConfig.resolve(**options)


class Guard:
    """Enforces one registry's contracts in this process's OpenTelemetry SDK pipeline.

    Until a first snapshot is installed the guard fails closed: every attribute value is
    redacted (or dropped, ``on_error=drop``), since nothing says which ones are sensitive; in
    report mode, which changes nothing, everything passes. Installing a snapshot builds a new
    :class:`Policy` and swaps the reference in one assignment; instruments already created are
    rebound to it.
    """

    def __init__(
        self,
        source: SnapshotSource | None = None,
        config: GuardConfig | None = None,
        source_label: str | None = None,
    ) -> None:
        self.config = config or GuardConfig.resolve()
        self.compat: SdkCompat = select(force_public=self.config.sdk_path == "public")
        """The fast or public path chosen for each SDK detail (see ``compat``)."""
        self.accounting = Accounting()
        self.policy = self._policy(None, waiting=self.config.mode != "report")
        self.reloads = 0
        self.source = source
        self.source_label = source_label or _label(source)
        """Where snapshots come from, as the start-up line says it."""
        self.reporter: UsageReporter | None = None
        self._instruments = InstrumentRegistry()
        self._lock = threading.Lock()
        if source is not None:
            source.start(self.load_bytes)

    def _policy(
        self, contracts: Contracts | None, failed: bool = False, waiting: bool = False
    ) -> Policy:
        return Policy(
            contracts,
            self.config,
            self.accounting,
            generated_builders=self.compat.generated_builders,
            failed=failed,
            waiting=waiting,
        )

    # --- constructors ----------------------------------------------------------------------

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], config: GuardConfig | None = None, **options: Any
    ) -> Guard:
        """Enforce the snapshot in ``path`` (read now; a bad file raises here, at startup)."""
        return cls(FileSource(path), _config(config, options))

    @classmethod
    def from_url(
        cls,
        url: str,
        cache_dir: str | os.PathLike[str] | None = None,
        poll_interval: float = 60.0,
        token: str | None = None,
        report_usage: bool = True,
        service_name: str | None = None,
        config: GuardConfig | None = None,
        **options: Any,
    ) -> Guard:
        """Enforce the registry at ``url``, polled in the background (see ``source``), and
        report usage to its ``POST /v1/usage`` unless ``report_usage`` is false."""
        token = token if token is not None else os.environ.get(ENV_TOKEN)
        source = RegistrySource(url, cache_dir=cache_dir, poll_interval=poll_interval, token=token)
        guard = cls(source, _config(config, options))
        if report_usage:
            guard.start_reporting(url, token=token, service_name=service_name)
        return guard

    @classmethod
    def from_snapshot(
        cls, snapshot: Any, config: GuardConfig | None = None, **options: Any
    ) -> Guard:
        """Enforce an in-memory snapshot: a ``Snapshot`` model, its JSON bytes, or a dict."""
        guard = cls(None, _config(config, options))
        if hasattr(snapshot, "to_json_bytes"):
            snapshot = snapshot.to_json_bytes()
        if isinstance(snapshot, Mapping):
            guard.install(Contracts(snapshot))
        else:
            guard.load_bytes(snapshot)
        return guard

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Guard | None:
        """The guard ``TELEMETRY_CONTRACTS_REGISTRY`` asks for (a path or an http(s) URL), or
        ``None`` when it is unset."""
        env = os.environ if environ is None else environ
        registry = env.get(ENV_REGISTRY, "").strip()
        if not registry:
            return None
        try:
            config = GuardConfig.resolve(environ=env)
            poll_interval = float(env.get(ENV_POLL_INTERVAL, "60"))
            if not math.isfinite(poll_interval) or poll_interval <= 0:
                raise ConfigError(
                    f"{ENV_POLL_INTERVAL}: {env.get(ENV_POLL_INTERVAL)!r} is not a positive "
                    "number of seconds"
                )
        except ValueError as error:  # ConfigError included
            guard = cls(None, GuardConfig(), source_label=registry)
            guard.fail_closed(f"bad setting: {error}")
            return guard
        if registry.startswith(("http://", "https://")):
            return cls.from_url(
                registry,
                cache_dir=env.get(ENV_CACHE_DIR) or None,
                poll_interval=poll_interval,
                token=env.get(ENV_TOKEN),
                config=config,
            )
        path = Path(registry).expanduser()
        try:
            return cls.from_file(path, config=config)
        except Exception as error:
            guard = cls(None, config, source_label=f"file {path}")
            guard.fail_closed(f"cannot use snapshot file {path} ({_reason(error)})")
            return guard

    # --- policy ----------------------------------------------------------------------------

    def load_bytes(self, data: bytes) -> None:
        """Parse and install snapshot bytes; raises (and keeps the current policy) on junk."""
        self.install(Contracts.from_json_bytes(data))

    def install(self, contracts: Contracts) -> None:
        self._swap(self._policy(contracts))
        _logger.info("telemetry-contracts guard: %s", self.status_line())

    def fail_closed(self, reason: str) -> None:
        """Enforce without a usable snapshot: every attribute value is redacted (or, with
        ``on_error=drop``, dropped) until a good snapshot is installed."""
        self._swap(self._policy(None, failed=True))
        _logger.error(
            "telemetry-contracts guard: %s; no snapshot to enforce, so every attribute value "
            "is %s until one loads (on_error=%s)",
            reason,
            "dropped" if self.config.on_error == "drop" else "redacted",
            self.config.on_error,
        )

    def _swap(self, policy: Policy) -> None:
        with self._lock:
            previous, self.policy = self.policy, policy
            self._instruments.rebind(policy)
            self.reloads += 1
        previous.retire()

    def status_line(self) -> str:
        """What the guard enforces, in one line (logged at start and on every change)."""
        described = self.describe()
        snapshot = described["snapshot"]
        if snapshot is None and self.policy.waiting:
            enforcing = "no snapshot yet (fail closed)"
        elif snapshot is None:
            enforcing = "no snapshot yet (report mode: passing data through)"
        elif snapshot == "unusable":
            enforcing = "no usable snapshot (fail closed)"
        else:
            enforcing = (
                f"snapshot {snapshot['registry']} {snapshot['version']} "
                f"({snapshot['content_hash'] or 'no hash'})"
            )
        return (
            f"enforcing {enforcing} from {described['source']}; mode {described['mode']}, "
            f"on_error {described['on_error']}; OpenTelemetry SDK {self.compat.sdk_version}, "
            f"{self.compat.summary()}"
        )

    def describe(self) -> dict[str, Any]:
        """What the guard enforces and how: snapshot, source, mode, and per SDK detail the
        fast or public path chosen at start."""
        policy = self.policy
        snapshot: Any = None
        if policy.waiting or policy.permissive:
            snapshot = None
        elif policy.failed:
            snapshot = "unusable"
        else:
            contracts = policy.contracts
            snapshot = {
                "registry": contracts.registry,
                "version": contracts.version,
                "content_hash": contracts.content_hash,
            }
        return {
            "source": self.source_label,
            "snapshot": snapshot,
            "mode": self.config.mode,
            "on_error": self.config.on_error,
            "sdk": self.compat.describe(),
        }

    @property
    def snapshot_hash(self) -> str | None:
        policy = self.policy
        return None if not policy.ready else policy.contracts.content_hash or None

    def track_instrument(self, instrument: _Guarded) -> None:
        with self._lock:
            self._instruments.add(instrument, self.policy)

    # --- pipeline stages -------------------------------------------------------------------

    def span_processor(self, delegate: SpanProcessor) -> GuardSpanProcessor:
        """Wrap the exporting span processor (e.g. ``BatchSpanProcessor(exporter)``)."""
        return GuardSpanProcessor(delegate, self)

    def meter_provider(self, meter_provider: Any) -> GuardMeterProvider:
        """Wrap an SDK ``MeterProvider``; use the result wherever a provider is expected."""
        return GuardMeterProvider(meter_provider, self)

    def log_record_processor(self, delegate: Any = None) -> GuardLogRecordProcessor:
        """Wrap the exporting log record processor (e.g. ``BatchLogRecordProcessor(exporter)``).

        Without ``delegate`` (the older form, kept as an alias) the result exports nothing
        and must be added to the ``LoggerProvider`` before every exporting processor.
        """
        return GuardLogRecordProcessor(self, delegate)

    # --- accounting ------------------------------------------------------------------------

    def instrument(self, meter_provider: Any) -> None:
        """Publish the guard's counts as metrics on ``meter_provider`` (an unguarded one)."""
        if isinstance(meter_provider, GuardMeterProvider):
            meter_provider = meter_provider.delegate
        self.accounting.instrument(meter_provider)

    def start_reporting(
        self, url: str, token: str | None = None, service_name: str | None = None, **options: Any
    ) -> UsageReporter:
        """Send usage reports to ``{url}/v1/usage`` in the background."""
        if self.reporter is None:
            self.reporter = UsageReporter(
                self.accounting,
                url,
                service=service_name,
                token=token,
                snapshot_hash=lambda: self.snapshot_hash,
                **options,
            )
        return self.reporter

    def wait_until_ready(self, timeout: float) -> bool:
        """Block at most ``timeout`` seconds until a snapshot is enforced; True when one is.

        Opt-in, for start-up code and short-lived jobs that would rather wait briefly than
        pass their first data through unchecked; the guard itself never waits on the network.
        """
        wait_first_fetch = getattr(self.source, "wait_first_fetch", None)
        if not self.policy.ready and wait_first_fetch is not None:
            wait_first_fetch(timeout)
        return self.policy.ready

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self.reporter.force_flush(timeout_millis) if self.reporter else True

    def shutdown(self, timeout_millis: float = 10_000) -> None:
        """Send the last usage report and stop polling, all within ``timeout_millis``."""
        ends = time.monotonic() + timeout_millis / 1000
        if self.reporter is not None:
            self.reporter.shutdown(timeout_millis)
        if self.source is not None:
            self.source.stop(max(0.0, ends - time.monotonic()))
