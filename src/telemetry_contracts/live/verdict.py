"""The end of a live-check: findings, coverage, the exit code, and usage reports per service."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from telemetry_contracts import net
from telemetry_contracts.live.coverage import coverage
from telemetry_contracts.live.judge import SEVERITY, Aggregate, Judge, render_sample
from telemetry_contracts.schemas.findings import SEVERITY_RANK, Finding, Location, plural
from telemetry_contracts.schemas.usage import UsageCount, UsageReport, reportable

LIVE_CHECK_FORMAT: Final = "telemetry-contracts/live-check/1"
MAX_COUNTS_PER_REPORT = 10_000
_USAGE_SIGNALS = ("span", "metric", "log")


@dataclass
class LiveVerdict:
    """What a live-check found, and whether it passes."""

    findings: list[Aggregate]
    coverage: dict[str, Any]
    judged: dict[str, int]
    refused: int
    overflow: dict[str, int]
    registry: dict[str, str]
    exit_code: int = 0
    malformed: int = 0
    """Attributes that did not decode inside requests that did."""
    reasons: list[str] = field(default_factory=list)
    """Why the exit code is 1: one line per failed gate."""

    def as_findings(self) -> list[Finding]:
        """The findings in the shape every reporter prints; the location is ``service.name``."""
        return [_finding(aggregate) for aggregate in self.findings]

    def document(self) -> dict[str, Any]:
        return {
            "format": LIVE_CHECK_FORMAT,
            "registry": self.registry,
            "judged": self.judged,
            "refused_requests": self.refused,
            "malformed_attributes": self.malformed,
            "findings": [aggregate.document() for aggregate in self.findings],
            "findings_over_limit": self.overflow,
            "coverage": self.coverage,
            "exit_code": self.exit_code,
            "failed": self.reasons,
        }

    def summary(self) -> str:
        """The text report's closing lines: what was judged, coverage, and the gates."""
        cover = self.coverage
        scope = f" of {', '.join(cover['scope'])}" if cover["scope"] else ""
        lines = [
            f"judged {plural(self.judged['span'], 'span')}, "
            f"{plural(self.judged['metric'], 'metric data point')}, "
            f"{plural(self.judged['log'], 'log record')} "
            f"({plural(self.refused, 'request')} refused)",
            f"coverage{scope}: {cover['seen']}/{cover['contracts']} contracts seen "
            f"({cover['ratio']:.1%})",
        ]
        for signal, entry in cover["signals"].items():
            if entry["attributes"]:
                lines.append(f"  {signal}: {plural(len(entry['attributes']), 'attribute')} seen "
                             f"({entry['ratio']:.1%})")
        for namespace, entry in cover["namespaces"].items():
            seen = entry["attributes"]["seen"] + entry["metrics"]["seen"]
            if seen:
                total = entry["attributes"]["total"] + entry["metrics"]["total"]
                lines.append(f"  {namespace}: {seen}/{total} ({entry['ratio']:.1%})")
        for signal, names in cover["unknown"].items():
            shown = ", ".join(printable(name) for name in sorted(names)[:20])
            lines.append(f"  not in the registry ({signal}): {shown}"
                         + (f" and {len(names) - 20} more" if len(names) > 20 else ""))
        lines.extend(self.reasons)
        return "\n".join(lines) + "\n"


def printable(text: str) -> str:
    """``text`` with its control characters escaped (``\\n``, ``\\x1b``): a service name or
    attribute key comes from the sender, and a raw newline in a report line could forge
    another line (a CI workflow command such as ``::error::``) or a terminal escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def _finding(aggregate: Aggregate) -> Finding:
    times = "once" if aggregate.count == 1 else f"{aggregate.count} times"
    sample = "" if aggregate.sample is None else f", e.g. {render_sample(aggregate.sample)}"
    counted = "" if aggregate.level is not None else f" ({times}{sample})"
    return Finding(
        code=aggregate.code,
        severity=aggregate.severity,
        message=printable(f"{aggregate.signal}: {aggregate.message}{counted}"),
        location=Location(file=printable(aggregate.service)),
        subject=printable(aggregate.name),
    )


def verdict(
    judge: Judge,
    fail_on: str = "error",
    min_coverage: float | None = None,
    scope: tuple[str, ...] = (),
    rule_findings: Iterable[Finding] = (),
) -> LiveVerdict:
    """Read the judge's state into a verdict; ``fail_on`` is error, warning or none and
    ``min_coverage`` a percentage of the contracts in ``scope``. ``rule_findings`` are the
    findings of custom rules on :meth:`Judge.observed_snapshot`."""
    findings = judge.findings() + judge.rule_aggregates(rule_findings)
    cover = coverage(judge.index, judge.seen_names(), findings, scope)
    snapshot = judge.index.snapshot
    result = LiveVerdict(
        findings, cover, dict(judge.items), judge.refused, dict(judge.overflow),
        {"name": snapshot.registry, "version": snapshot.version,
         "content_hash": snapshot.content_hash},
        malformed=judge.malformed,
    )
    if fail_on != "none":
        threshold = SEVERITY_RANK[fail_on]
        failing = [f for f in findings if SEVERITY_RANK[f.severity] >= threshold]
        overflow = sum(count for code, count in judge.overflow.items()
                       if SEVERITY_RANK[SEVERITY.get(code, "error")] >= threshold)
        if failing or overflow:
            result.reasons.append(f"failed: {plural(len(failing) + overflow, 'finding')} at or "
                                  f"above `{fail_on}`")
    if min_coverage is not None and cover["ratio"] * 100 < min_coverage:
        result.reasons.append(f"failed: coverage {cover['ratio']:.1%} is under the minimum "
                              f"{min_coverage:g}%")
    result.exit_code = 1 if result.reasons else 0
    return result


def usage_reports(
    counts: list[tuple[Aggregate, int]], snapshot_hash: str, start: dt.datetime,
    end: dt.datetime,
) -> list[UsageReport]:
    """Counts of findings as the guard's usage reports: one service per report (split when
    long), every count with action ``report`` (live-check changes nothing)."""
    per_service: dict[str, list[UsageCount]] = {}
    for aggregate, count in counts:
        if aggregate.signal not in _USAGE_SIGNALS or count <= 0:
            continue
        per_service.setdefault(aggregate.service, []).append(UsageCount(
            signal=aggregate.signal,
            name=reportable(aggregate.name),
            metric=reportable(aggregate.metric)
            if aggregate.metric and aggregate.metric != aggregate.name else None,
            rule=aggregate.code,
            action="report",
            renamed_to=reportable(aggregate.renamed_to) if aggregate.renamed_to else None,
            count=count,
        ))
    reports = []
    for service, usage in sorted(per_service.items()):
        for first in range(0, len(usage), MAX_COUNTS_PER_REPORT):
            reports.append(UsageReport(
                service=reportable(service), instance="live-check",
                snapshot_hash=snapshot_hash or None, window_start=start, window_end=end,
                counts=usage[first:first + MAX_COUNTS_PER_REPORT]))
    return reports


def send_usage(reports: list[UsageReport], url: str, token: str | None) -> dict[str, str]:
    """POST each report to the registry's ``/v1/usage``; the token goes to that origin only.
    Returns, per service whose report could not be sent, why."""
    target = url.rstrip("/")
    if not target.endswith("/v1/usage"):
        target += "/v1/usage"
    failures: dict[str, str] = {}
    for report in reports:
        try:
            net.request(target, method="POST",
                        body=report.model_dump_json(exclude_none=True).encode(),
                        headers={"Content-Type": "application/json"}, token=token,
                        deadline=10.0, max_bytes=1024 * 1024)
        except net.RequestFailed as error:
            failures[report.service] = f"usage report of `{report.service}` to {target} " \
                                       f"failed: {error}"
    return failures


class UsageFeed:
    """Usage reports of what the judge found since the last report that reached the server:
    sent every ``interval`` seconds in the background, and once more by :meth:`close`."""

    def __init__(self, judge: Judge, url: str, token: str | None, interval: float) -> None:
        self.judge = judge
        self.url = url
        self.token = token
        self.interval = interval
        self.failures: dict[str, str] = {}
        """The last failure per service (cleared when a later report of it is sent)."""
        self._sent: dict[tuple[str, str, str, str, str | None], int] = {}
        self._start = dt.datetime.now(dt.timezone.utc)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="live-check-usage")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def flush(self) -> None:
        """Send the counts accrued since the last report each service had accepted."""
        with self._lock:
            # the clock may have been set back
            end = max(self._start, dt.datetime.now(dt.timezone.utc))
            counts = [(a, a.count - self._sent.get(a.key, 0)) for a in self.judge.findings()]
            counts = [(a, n) for a, n in counts if n > 0]
            reports = usage_reports(counts, self.judge.index.snapshot.content_hash,
                                    self._start, end)
            failed = send_usage(reports, self.url, self.token)
            for aggregate, count in counts:
                if aggregate.service not in failed:
                    self._sent[aggregate.key] = self._sent.get(aggregate.key, 0) + count
                    self.failures.pop(aggregate.service, None)
            self.failures.update(failed)
            self._start = end

    def close(self) -> list[str]:
        """Stop the background sends, send the rest; what could not be sent, one line each."""
        self._stop.set()
        self._thread.join()
        self.flush()
        return sorted(self.failures.values())
