"""One live-check run: judge ``--input`` files, serve the receivers until ``--duration`` ends,
``POST /stop`` arrives or the process is interrupted, then stop them."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from telemetry_contracts.live.judge import Judge
from telemetry_contracts.live.receiver import (
    GrpcReceiver,
    HttpReceiver,
    host_port,
    judge_request,
    read_input,
)


def run(
    judge: Judge,
    inputs: Sequence[Path] = (),
    host: str = "127.0.0.1",
    http_port: int | None = None,
    grpc_port: int | None = None,
    duration: float | None = None,
) -> None:
    """Judge the inputs, then serve the receivers asked for (none: return at once)."""
    for path in inputs:
        for signal_name, message in read_input(path):
            judge_request(judge, signal_name, message)
    if http_port is None and grpc_port is None:
        return
    stopped = threading.Event()
    receivers: list[Any] = []
    try:
        if http_port is not None:
            receivers.append(HttpReceiver(judge, host, http_port, stopped.set))
        if grpc_port is not None:
            receivers.append(GrpcReceiver(judge, host, grpc_port))
        for receiver in receivers:
            receiver.start()
        _announce(receivers, host)
        with _stop_on_signals(stopped):
            ends = time.monotonic() + duration if duration is not None else None
            while not stopped.is_set():  # short waits: a signal is handled promptly
                left = 0.5 if ends is None else min(0.5, ends - time.monotonic())
                if left <= 0:
                    break
                stopped.wait(left)
    finally:
        for receiver in receivers:
            receiver.stop()


def _announce(receivers: list[Any], host: str) -> None:
    for receiver in receivers:
        if isinstance(receiver, HttpReceiver):
            print(f"live-check: OTLP/HTTP on http://{host_port(host, receiver.port)} "
                  "(POST /stop ends the run)", file=sys.stderr, flush=True)
        else:
            print(f"live-check: OTLP/gRPC on {host_port(host, receiver.port)}", file=sys.stderr,
                  flush=True)


class _stop_on_signals:
    """SIGINT and SIGTERM end the run (and the verdict is still written), in the main thread."""

    def __init__(self, stopped: threading.Event) -> None:
        self.stopped = stopped
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for number in (signal.SIGINT, signal.SIGTERM):
            self.previous[number] = signal.signal(number, self._handle)

    def _handle(self, number: int, frame: FrameType | None) -> None:
        self.stopped.set()

    def __exit__(self, *exc: object) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)
