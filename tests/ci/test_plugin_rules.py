"""A real plugin package — docs/custom-rules.md's, copied verbatim — and a broken one, built
and pip-installed into a virtualenv: the plugin's rule is listed by ``rules``, fires in
``lint`` and makes ``POST /v1/proposals`` answer 422 on a running server, while the broken
plugin (an import error, a rule that raises) is reported in one line and the rest runs."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from tests.ci.test_declared_rules import DOC, titled_blocks

BROKEN = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "broken-rules"
        version = "0.1.0"

        [project.entry-points."telemetry_contracts.rules"]
        broken = "broken_rules.missing:RULES"
        raising = "broken_rules:RULES"
    """,
    "broken_rules/__init__.py": '''
        """A plugin whose rule raises on every registry."""

        from telemetry_contracts.validators.rule import Rule, contract


        class AlwaysRaises(Rule):
            code = "TCX201"
            name = "always-raises"
            severity = "error"
            summary = "Raises."
            rationale = "A rule with a bug in it, to show that the other rules still run."
            bad_example = contract("attributes: []")
            good_example = contract("metrics: []")

            def check(self, context):
                return context.metrics["shop.orders"].unit


        RULES = [AlwaysRaises]
    ''',
    "broken_rules/missing.py": "import acme_internal  # not installed\n\nRULES = []\n",
}
REGISTRY = """\
file_format: definition/2
metrics:
  - name: shop.debug.queue_depth
    instrument: histogram
    unit: ms
    brief: Items waiting.
"""


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Python of a new virtualenv holding the two plugin packages, installed by pip from
    their source trees (each built by its own backend); this environment's packages are
    visible to it through a ``.pth``, so nothing else is installed."""
    root = tmp_path_factory.mktemp("plugins")
    write_tree(root, {name: text for name, text in titled_blocks(DOC).items()
                      if name.startswith("acme-rules/")})
    write_tree(root / "broken-rules", BROKEN)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")],
                   check=True)
    python = root / "venv" / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True, check=True)
    ours = sysconfig.get_paths()["purelib"]
    Path(purelib.stdout.strip(), "outer.pth").write_text(
        f"import site; site.addsitedir({ours!r})\n")
    installed = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps",
         str(root / "acme-rules"), str(root / "broken-rules")],
        capture_output=True, text=True, timeout=300, check=False)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python


def run(python: Path, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("TELEMETRY_CONTRACTS", "PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run([python, "-m", *arguments], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=environment)


BROKEN_LINE = ("entry point broken: warning TC120 plugin `broken` (broken_rules.missing:RULES) "
               "cannot be loaded: ModuleNotFoundError: No module named 'acme_internal'")


def test_rules_lists_and_explains_the_plugin_rule(venv: Path, tmp_path: Path) -> None:
    listing = run(venv, "telemetry_contracts", "rules", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert [line.split()[0] for line in lines][-2:] == ["TCX101", "TCX201"]
    assert "no-debug-metrics" in lines[-2] and "Metric names have no `debug` segment." in lines[-2]
    assert listing.stderr == BROKEN_LINE + "\n"
    explained = run(venv, "telemetry_contracts", "rules", "TCX101", cwd=tmp_path)
    assert explained.stdout.startswith("TCX101 no-debug-metrics (error)\n")
    assert "- name: shop.debug.queue_depth" in explained.stdout
    assert "Fix: rename the metric, or drop it." in explained.stdout


def test_lint_runs_the_plugin_rule_and_reports_the_broken_plugin_in_one_line(
        venv: Path, tmp_path: Path) -> None:
    (tmp_path / "telemetry").mkdir()
    (tmp_path / "telemetry" / "queue.yaml").write_text(REGISTRY)
    result = run(venv, "telemetry_contracts", "lint", "telemetry", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert ("telemetry/queue.yaml:3:5: error TCX101 `shop.debug.queue_depth` is a debug metric "
            "(rename the metric, or drop it)") in lines
    assert any(" TC303 " in line for line in lines), "the built-in rules still run"
    assert BROKEN_LINE in lines
    (raised,) = [line for line in lines if " TC121 " in line]
    assert raised == ("telemetry: warning TC121 rule TCX201 (broken_rules.AlwaysRaises) raised "
                      "KeyError: 'shop.orders'; its findings are missing")
    ignored = run(venv, "telemetry_contracts", "lint", "telemetry", "--ignore", "TCX,TC120",
                  cwd=tmp_path)
    assert "TCX101" not in ignored.stdout and "TC120" not in ignored.stdout


def test_the_plugin_authors_tests_from_the_doc_pass(venv: Path) -> None:
    package = venv.parents[2] / "acme-rules"
    result = run(venv, "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests"),
                 cwd=package)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_the_server_refuses_a_proposal_that_breaks_a_plugin_or_declared_rule(
        venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the [server] extra's: imported here, so that the linters' tests above run without it
    import httpx

    from tests.registry.server_process import ServerProcess

    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\ncode = "TCD010"\nname = "payments-owner"\n'
                     'message = "payments metrics name their owner"\nnamespace = "payments"\n'
                     'require-annotations = ["owner"]\n')
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    made = run(venv, "telemetry_contracts", "token", "create", "--role", "contributor",
               "--database", database, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    headers = {"Authorization": f"Bearer {made.stdout.strip()}"}
    monkeypatch.setenv("TELEMETRY_CONTRACTS_RULES", str(rules))
    server = ServerProcess(database, tmp_path / "server.log", cwd=tmp_path, python=str(venv))
    try:
        def propose(name: str, **annotations: str) -> httpx.Response:
            metric = {"name": name, "instrument": "gauge", "unit": "{item}",
                      "brief": "Items waiting.", **({"annotations": annotations}
                                                    if annotations else {})}
            return httpx.post(server.url + "/v1/proposals", headers=headers, timeout=30,
                              json={"change": {"kind": "metric", "metric": metric}})

        plugin = propose("payments.debug.depth", owner="payments-team")
        assert plugin.status_code == 422, plugin.text
        assert [f["code"] for f in plugin.json()["findings"]] == ["TCX101"]
        declared = propose("payments.queue.depth")
        assert declared.status_code == 422, declared.text
        (finding,) = declared.json()["findings"]
        assert (finding["code"], finding["subject"]) == ("TCD010", "payments.queue.depth")
        assert finding["message"].startswith("payments metrics name their owner: ")
        accepted = propose("payments.queue.depth", owner="payments-team")
        assert accepted.status_code == 201, accepted.text
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()
    assert BROKEN_LINE in log, "the broken plugin is logged in one line"
    assert "TC121 rule TCX201 (broken_rules.AlwaysRaises) raised KeyError" in log
