"""Runtime enforcement of a resolved snapshot inside the OpenTelemetry SDK pipeline.

Needs the ``[guard]`` extra (the OpenTelemetry SDK); imports nothing of the server.
"""

from telemetry_contracts.sdk_guard.accounting import ACTIONS_METRIC, Accounting, CountKey
from telemetry_contracts.sdk_guard.config import GuardConfig
from telemetry_contracts.sdk_guard.guard import Guard
from telemetry_contracts.sdk_guard.logs import GuardLogRecordProcessor
from telemetry_contracts.sdk_guard.metrics import GuardMeter, GuardMeterProvider
from telemetry_contracts.sdk_guard.reporter import UsageReporter
from telemetry_contracts.sdk_guard.spans import GuardSpanProcessor

__all__ = [
    "ACTIONS_METRIC",
    "Accounting",
    "CountKey",
    "Guard",
    "GuardConfig",
    "GuardLogRecordProcessor",
    "GuardMeter",
    "GuardMeterProvider",
    "GuardSpanProcessor",
    "UsageReporter",
]
