"""The catalog of every code the tools report: ``telemetry-contracts rules [CODE]``,
``docs/rules.md`` and the reporters' rule information all come from here.

TC1xx, TC8xx and TC9xx are documented in :mod:`telemetry_contracts.schemas.codes`; the lint
rules (TC2xx-TC7xx) carry their own documentation. ``rules.json`` beside this module is the
catalog written out, so that ``rules`` answers without importing the rules and the model;
``python -m telemetry_contracts.ci.rule_docs`` rewrites it and ``docs/rules.md``.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from telemetry_contracts.schemas.codes import (
    CHANGES,
    DECLARED_RANGE,
    INPUT_ERRORS,
    PLUGIN_GROUP,
    PLUGIN_RANGE,
    VIOLATIONS,
    CodeDoc,
)

if TYPE_CHECKING:
    from telemetry_contracts.ci.reporters import RuleInfo
    from telemetry_contracts.schemas.findings import Finding
    from telemetry_contracts.validators.rule import Rule

INFORMATION_URI = "https://github.com/telemetry-contracts/telemetry-contracts"
RULES_DOC = Path("docs") / "rules.md"
RULES_DOC_URI = f"{INFORMATION_URI}/blob/main/docs/rules.md"
RULES_INDEX = Path(__file__).with_name("rules.json")

SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("TC1", "Input errors (TC1xx)",
     "Input that cannot be read or resolved. The command stops with exit code 2 and one line "
     "naming the file and line."),
    ("TC2-7", "Lint rules (TC2xx-TC7xx)",
     "What `lint` and the registry API check in contract files: naming (TC2), units (TC3), "
     "values and references (TC4), deprecations (TC5), stability (TC6), governance (TC7)."),
    ("TC8", "Telemetry violations (TC8xx)",
     "Telemetry that does not conform to the registry, reported with the same code by "
     "`check-code`, `live-check`, the registry API and the runtime guard's counters."),
    ("TC9", "Compatibility changes (TC9xx)",
     "Changes between a baseline and a head registry that `diff` reports as breaking under "
     "the compatibility mode (BACKWARD by default)."),
)
CUSTOM_SECTIONS = (
    f"An organisation's own rules are not listed here: declared rules ({DECLARED_RANGE}) come "
    f"from `[[tool.telemetry-contracts.rules]]`, plugin rules ({PLUGIN_RANGE}) from installed "
    f"packages registered under the `{PLUGIN_GROUP}` entry-point group. `telemetry-contracts "
    "rules` lists them next to these in the project where they apply; "
    "[custom-rules.md](custom-rules.md) shows how to write both."
)


def _section(code: str) -> str:
    return code[:3] if code[2] in "189" else "TC2-7"


@cache
def all_codes() -> tuple[CodeDoc, ...]:
    """Every code, in code order."""
    from telemetry_contracts.validators import all_rules

    rules = [rule_doc(rule) for rule in all_rules()]
    return tuple(sorted([*INPUT_ERRORS, *rules, *VIOLATIONS, *CHANGES], key=lambda d: d.code))


def rule_doc(rule: Rule) -> CodeDoc:
    """A rule's documentation as the catalog holds it."""
    return CodeDoc(rule.code, rule.name, rule.severity, rule.summary, rule.rationale,
                   rule.bad_example, rule.good_example, rule.fix)


def custom_codes(start: Path | None = None) -> tuple[tuple[CodeDoc, ...], tuple[Finding, ...]]:
    """The declared rules of the nearest ``pyproject.toml`` and the installed plugins' rules,
    documented, with a TC120 finding for each plugin that failed. The rules and the model are
    imported only when there are some, so ``rules`` stays fast without them."""
    from importlib.metadata import entry_points

    plugins = bool(entry_points(group=PLUGIN_GROUP))
    if not plugins and not _declares_rules(start or Path.cwd()):
        return (), ()
    from telemetry_contracts.ci.config import load_config

    rules = load_config(start).rule_set(plugins=plugins)
    return tuple(rule_doc(rule) for rule in rules.custom_rules), rules.problems


def _declares_rules(start: Path) -> bool:
    """True when the nearest ``pyproject.toml`` has ``[[tool.telemetry-contracts.rules]]``
    (a quick look; the configuration proper is read when it does)."""
    from telemetry_contracts.schemas.backports import tomllib

    for directory in (start.resolve(), *start.resolve().parents):
        path = directory / "pyproject.toml"
        if path.is_file():
            try:
                document = tomllib.loads(path.read_text())
            except (OSError, tomllib.TOMLDecodeError):
                return True  # let the configuration report it
            return "rules" in document.get("tool", {}).get("telemetry-contracts", {})
    return False


def listed_codes(code: str | None = None) -> tuple[tuple[CodeDoc, ...], tuple[Finding, ...]]:
    """What ``rules [CODE]`` shows: every code, with the project's own rules (see
    :func:`custom_codes`), and the plugins that failed. For a code ``rules.json`` holds, only
    that index is read."""
    codes = indexed_codes()
    if code is not None and code_doc(code, codes) is not None:
        return codes, ()
    custom, problems = custom_codes()
    return (*codes, *custom), problems


def indexed_codes() -> tuple[CodeDoc, ...]:
    """:func:`all_codes` as ``rules.json`` holds them: fast, and equal (a test checks it)."""
    return tuple(CodeDoc(**fields) for fields in json.loads(RULES_INDEX.read_text()))


def render_index() -> str:
    """The text of ``rules.json``."""
    return json.dumps([dataclasses.asdict(doc) for doc in all_codes()], indent=1) + "\n"


def code_doc(code: str, codes: tuple[CodeDoc, ...] | None = None) -> CodeDoc | None:
    """The documentation of ``code`` (case-insensitive) among ``codes``, or None."""
    wanted = code.strip().upper()
    return next((doc for doc in codes or all_codes() if doc.code == wanted), None)


def anchor(code: str) -> str:
    return code.lower()


def rule_infos(custom: tuple[CodeDoc, ...] = ()) -> dict[str, RuleInfo]:
    """What reporters show for every code: name, summary and its link in ``docs/rules.md``;
    ``custom`` (declared and plugin rules) are documented by ``rules CODE`` instead."""
    from telemetry_contracts.ci.reporters import RuleInfo

    infos = {
        doc.code: RuleInfo(doc.code, doc.name, doc.summary, f"{RULES_DOC_URI}#{anchor(doc.code)}")
        for doc in all_codes()
    }
    infos.update((doc.code, RuleInfo(doc.code, doc.name, doc.summary, None)) for doc in custom)
    return infos


def listing_line(doc: CodeDoc) -> str:
    """One line of ``telemetry-contracts rules``."""
    return f"{doc.code:<6}  {doc.severity:<7}  {doc.name:<36}  {doc.summary}"


def explain(doc: CodeDoc) -> str:
    """``telemetry-contracts rules CODE``: the code's documentation for a terminal."""
    def indented(text: str) -> str:
        return textwrap.indent(text.rstrip("\n"), "    ")

    lines = [f"{doc.code} {doc.name} ({doc.severity})", "", doc.summary, "",
             textwrap.fill(doc.rationale, 88), "", "Bad:", indented(doc.bad_example), "",
             "Good:", indented(doc.good_example)]
    if doc.fix:
        lines += ["", textwrap.fill(f"Fix: {doc.fix}.", 88)]
    if doc.code[2].isdigit():  # declared and plugin rules have no entry in docs/rules.md
        lines += ["", f"More: {RULES_DOC_URI}#{anchor(doc.code)}"]
    return "\n".join(lines) + "\n"


def render_rules_markdown() -> str:
    """The text of ``docs/rules.md``."""
    lines = [
        "# Rules",
        "",
        "<!-- Generated by `telemetry-contracts rules --markdown`; do not edit by hand. -->",
        "",
        "Every code any command, the registry API or the runtime guard reports. "
        "`telemetry-contracts rules` lists them; `telemetry-contracts rules CODE` explains one. "
        "Select or ignore codes (or prefixes such as `TC3`) with `select`/`ignore` in "
        "`[tool.telemetry-contracts]`, per file with `per-path-ignores`, or on one line with "
        "`# telemetry-contracts: ignore[CODE]`; change a code's severity with `severity` "
        "(and `per-path-severity`).",
        "",
        CUSTOM_SECTIONS,
        "",
        "| code | name | severity | summary |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| [{doc.code}](#{anchor(doc.code)}) | {doc.name} | {doc.severity} | "
              f"{_escaped(doc.summary)} |" for doc in all_codes()]
    for key, title, intro in SECTIONS:
        lines += ["", f"## {title}", "", intro]
        for doc in all_codes():
            if _section(doc.code) == key:
                lines += _markdown_entry(doc)
    return "\n".join(lines).rstrip("\n") + "\n"


def _escaped(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown_entry(doc: CodeDoc) -> list[str]:
    lines = ["", f"### {doc.code}", "", f"**{doc.name}** ({doc.severity}). {doc.summary}", "",
             doc.rationale, ""]
    if doc.fix:
        lines += [f"Fix: {doc.fix}.", ""]
    for label, example in (("Bad", doc.bad_example), ("Good", doc.good_example)):
        lines += [f"{label}:", "", f"```{doc.language}", example.rstrip("\n"), "```", ""]
    return lines[:-1]


if __name__ == "__main__":
    RULES_INDEX.write_text(render_index())
    root = Path(__file__).resolve().parents[3]
    (root / RULES_DOC).write_text(render_rules_markdown())
    print(f"wrote {RULES_INDEX} and {root / RULES_DOC}")
