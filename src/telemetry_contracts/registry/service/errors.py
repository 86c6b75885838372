"""Service errors; the HTTP layer maps each kind onto a status code and a problem document."""

from __future__ import annotations

from typing import Any

from telemetry_contracts.schemas.findings import Finding


class ServiceError(Exception):
    """A request the workflow refuses; ``kind`` names why."""

    kind = "invalid"

    def __init__(
        self,
        detail: str,
        *,
        findings: list[Finding] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.findings = findings or []
        self.extra = extra or {}


class Unauthenticated(ServiceError):
    kind = "unauthenticated"


class Forbidden(ServiceError):
    kind = "forbidden"


class NotFound(ServiceError):
    kind = "not-found"


class Conflict(ServiceError):
    kind = "conflict"


class PreconditionFailed(ServiceError):
    kind = "precondition-failed"


class Invalid(ServiceError):
    kind = "invalid"


class QuotaExceeded(ServiceError):
    """An author holds as many open proposals, or as many bytes of them, as allowed."""

    kind = "quota-exceeded"
