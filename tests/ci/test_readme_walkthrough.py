"""The README's "Lint in CI and pre-commit" section works exactly as printed: its shell
walkthrough runs in an empty directory with the exit codes and messages its comments promise,
and its `.pre-commit-config.yaml`, copied verbatim, runs the three checks under real pre-commit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow

SECTION = "## 2. Lint in CI and pre-commit"
MARK = "@@exit "


def readme_blocks(language: str) -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text()
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", len(SECTION))]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def environment(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GIT_", "TELEMETRY_CONTRACTS"))}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               PRE_COMMIT_HOME=str(home / "pre-commit"), GIT_AUTHOR_NAME="dev",
               GIT_AUTHOR_EMAIL="dev@example.com", GIT_COMMITTER_NAME="dev",
               GIT_COMMITTER_EMAIL="dev@example.com", GIT_CONFIG_GLOBAL=os.devnull)
    return env


def instrumented(script: str) -> tuple[str, list[tuple[str, int | None, list[str]]]]:
    """The script with each ``telemetry-contracts`` command's exit code printed after it, and
    what each comment promises: (command, exit code, message fragments)."""
    lines, promises = [], []
    for line in script.splitlines():
        if not line.startswith("telemetry-contracts "):
            lines.append(line)
            continue
        command, _, comment = line.partition("#")
        match = re.match(r"\s*exit (\d)[:,]?\s*(.*)", comment)
        code = int(match.group(1)) if match else None
        fragments = [f.strip() for f in match.group(2).split("...")] if match else []
        fragments = [f for f in fragments if f and f != "silent"]
        promises.append((command.strip(), code, fragments))
        lines.append(f'{command.strip()}; echo "{MARK}$?"')
    return "\n".join(lines) + "\n", promises


def test_the_walkthrough_and_the_pre_commit_config_work_as_printed(tmp_path: Path) -> None:
    (script,) = readme_blocks("sh")
    (config,) = readme_blocks("yaml")
    env = environment(tmp_path)
    text, promises = instrumented(script)
    result = subprocess.run(["bash", "-c", text], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=600, check=False)
    outputs = re.split(rf"{MARK}(\d+)\n", result.stdout)  # [output, code, output, code, ...]
    assert len(outputs) == 2 * len(promises) + 1, result.stdout
    for index, (command, code, fragments) in enumerate(promises):
        output, actual = outputs[2 * index], int(outputs[2 * index + 1])
        if code is not None:
            assert actual == code, f"{command}: exit {actual}\n{output}"
        position = 0
        for fragment in fragments:
            position = output.find(fragment, position)
            assert position >= 0, f"{command}: no {fragment!r} in\n{output}"

    shop = tmp_path / "shop"
    (shop / ".pre-commit-config.yaml").write_text(config)
    subprocess.run(["git", "add", "-A"], cwd=shop, env=env, check=True)
    run = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=shop,
                         env=env, capture_output=True, text=True, timeout=600, check=False)
    report = run.stdout + run.stderr
    assert run.returncode == 1, report  # the walkthrough left `unit: ms` behind
    assert re.search(r"telemetry-contracts lint\.+Failed", report), report
    assert "error TC304" in report and "TC903" in report
    assert re.search(r"telemetry-contracts check-code\.+Failed", report), report
    assert "src/checkout.py:4:35: error TC809" in report  # the code records seconds
    assert re.search(r"telemetry-contracts diff\.+Failed", report), report

    checkout = shop / "telemetry" / "checkout.yaml"
    checkout.write_text(checkout.read_text().replace("unit: ms", "unit: s"))
    subprocess.run(["git", "add", "-A"], cwd=shop, env=env, check=True)
    run = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=shop,
                         env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("Passed") == 3, run.stdout
