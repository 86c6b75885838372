"""The ``telemetry-contracts`` command line.

Exit codes: 0 clean, 1 findings at or above the failing level, 2 usage or input error (one line
naming the file and line). Only typer and the option choices are imported at start; each command
imports what it needs, so ``--help``, ``--version`` and ``rules`` start fast.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Protocol, cast

import typer

from telemetry_contracts.ci.choices import (
    DiffFormat,
    ExportTarget,
    FailOn,
    ModeChoice,
    ReportFormat,
    SeverityLevel,
    StatsFormat,
)
from telemetry_contracts.schemas.backports import StrEnum
from telemetry_contracts.schemas.compatibility import CompatibilityMode

if TYPE_CHECKING:
    from telemetry_contracts.ci.reporters import RuleInfo
    from telemetry_contracts.schemas.findings import Finding
    from telemetry_contracts.schemas.snapshot import Snapshot

# Plain help text: Rich markup would swallow `[tool.telemetry-contracts]`.
app = typer.Typer(
    name="telemetry-contracts",
    help="Governance and schema registry for telemetry contracts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
schemas_app = typer.Typer(help="The published JSON Schema files.", no_args_is_help=True,
                          rich_markup_mode=None)
app.add_typer(schemas_app, name="schemas")
token_app = typer.Typer(help="Bearer tokens of the registry service.", no_args_is_help=True,
                        rich_markup_mode=None)
app.add_typer(token_app, name="token")


def _print_version(value: bool) -> None:
    if value:
        from telemetry_contracts import __version__

        typer.echo(f"telemetry-contracts {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print the version and exit.",
    )] = False,
) -> None:
    """Governance and schema registry for telemetry contracts."""


DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="SQLAlchemy URL: sqlite:///FILE (default ./telemetry-contracts.db, or "
        "$TELEMETRY_CONTRACTS_DATABASE) or postgresql+psycopg://USER@HOST/DB.",
    ),
]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2

RegistryArgument = Annotated[
    str,
    typer.Argument(
        help="A registry directory, snapshot .json, git:REV[:SUBDIR], server URL, archive "
        "(PATH.zip[SUBDIR]), or `semconv`."
    ),
]


AllowUrlOption = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-url",
        metavar="ORIGIN",
        help="An origin (https://registry.example.com) that checked files may name and that "
        "$TELEMETRY_CONTRACTS_TOKEN may be sent to; repeatable. URLs given on the command line "
        "are allowed already; $TELEMETRY_CONTRACTS_ALLOW_URLS lists more.",
    ),
]


def _trust(allow: list[str] | None, *named: str | None) -> AbstractContextManager[object]:
    """The URLs this run may fetch: the allowed origins and those named on the command line."""
    from telemetry_contracts.net import is_url
    from telemetry_contracts.resolution.remote import UrlTrust, trusting

    for origin in allow or ():
        if not is_url(origin):
            _input_error(f"--allow-url takes an http(s) origin such as "
                         f"https://registry.example.com, not `{origin}`", "--allow-url")
    return trusting(UrlTrust.from_env([*(allow or ()), *(url for url in named if url)]))


def main() -> None:
    """Console-script entry point: turns input errors into exit code 2 and one line on stderr."""
    try:
        app()
    except Exception as error:
        findings = sys.modules.get("telemetry_contracts.schemas.findings")
        if findings is None or not isinstance(error, findings.ContractError):
            raise
        print(error.finding.one_line(), file=sys.stderr)
        sys.exit(EXIT_INPUT)


def _input_error(message: str, file: str) -> NoReturn:
    from telemetry_contracts.schemas.findings import ContractError

    raise ContractError("TC100", message, file)


@app.command()
def resolve(
    registry: RegistryArgument,
    output: Annotated[Path, typer.Option("-o", "--output", metavar="FILE",
                                          help="Where to write the snapshot.")],
    allow_url: AllowUrlOption = None,
) -> None:
    """Write the resolved snapshot of REGISTRY: deterministic bytes with a content hash."""
    from telemetry_contracts.resolution.loader import load_registry

    with _trust(allow_url, registry):
        snapshot = load_registry(registry).snapshot
    data = snapshot.to_json_bytes()
    if str(output) == "-":
        sys.stdout.buffer.write(data)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(output.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(output)
    typer.echo(
        f"{output}: {len(snapshot.attributes)} attributes, {len(snapshot.metrics)} metrics, "
        f"version {snapshot.version}, {snapshot.content_hash}",
        err=True,
    )


@app.command()
def stats(
    registry: RegistryArgument,
    output_format: Annotated[StatsFormat, typer.Option("--format")] = StatsFormat.text,
    allow_url: AllowUrlOption = None,
) -> None:
    """Count REGISTRY's contracts by kind, stability and deprecation."""
    import json

    from rich.console import Console
    from rich.table import Table

    from telemetry_contracts.resolution.loader import load_registry

    with _trust(allow_url, registry):
        summary = registry_stats(load_registry(registry).snapshot)
    if output_format is StatsFormat.json:
        typer.echo(json.dumps(summary, indent=2, sort_keys=True))
        return
    table = Table(title=f"{summary['registry']} {summary['version']}")
    table.add_column("kind")
    table.add_column("total", justify="right")
    stabilities = sorted({s for kind in summary["kinds"].values() for s in kind["stability"]})
    for stability in stabilities:
        table.add_column(stability, justify="right")
    table.add_column("deprecated", justify="right")
    for kind, counts in summary["kinds"].items():
        table.add_row(
            kind,
            str(counts["total"]),
            *(str(counts["stability"].get(s, 0)) for s in stabilities),
            str(counts["deprecated"]),
        )
    Console().print(table)


def registry_stats(snapshot: Snapshot) -> dict[str, Any]:
    """Counts by kind, stability and deprecation reason, as ``stats --format json`` prints."""
    from collections import Counter

    kinds: dict[str, dict[str, Any]] = {}
    for kind, items in (
        ("attributes", snapshot.attributes),
        ("metrics", snapshot.metrics),
        ("spans", snapshot.spans),
        ("events", snapshot.events),
        ("entities", snapshot.entities),
    ):
        reasons = Counter(item.deprecated.reason for item in items if item.deprecated)
        kinds[kind] = {
            "total": len(items),
            "stability": dict(Counter(item.stability for item in items)),
            "deprecated": sum(reasons.values()),
            "deprecated_by_reason": dict(reasons),
        }
    return {
        "registry": snapshot.registry,
        "version": snapshot.version,
        "content_hash": snapshot.content_hash,
        "kinds": kinds,
    }


@schemas_app.command("write")
def schemas_write(
    directory: Annotated[Path, typer.Argument(help="Where to write them.")] = Path("schemas"),
) -> None:
    """Regenerate the JSON Schema files from the models."""
    from telemetry_contracts.schemas.jsonschema import write_schemas

    for path in write_schemas(directory):
        typer.echo(path)


@schemas_app.command("check")
def schemas_check(
    directory: Annotated[Path, typer.Argument(help="Where they are.")] = Path("schemas"),
) -> None:
    """Exit 1 when a checked-in JSON Schema file differs from the models."""
    from telemetry_contracts.schemas.jsonschema import stale_schemas

    stale = stale_schemas(directory)
    for name in stale:
        typer.echo(f"{directory / name}: stale; run `telemetry-contracts schemas write`", err=True)
    raise typer.Exit(EXIT_FINDINGS if stale else EXIT_CLEAN)


@app.command("diff")
def diff_command(
    baseline: Annotated[list[str] | None, typer.Option(
        metavar="REF",
        help="What to compare against: a directory, git:REV[:SUBDIR], snapshot or server URL "
             "(default: `baseline` in [tool.telemetry-contracts]). Repeat it, oldest first, "
             "to give a version history for the *_TRANSITIVE modes.")] = None,
    head: Annotated[str | None, typer.Option(
        metavar="REG",
        help="The registry to check (default: `registry` in [tool.telemetry-contracts]).",
    )] = None,
    fail_on: Annotated[FailOn | None, typer.Option(
        help="Exit 1 on breaking changes, on any change, or never.")] = None,
    output_format: Annotated[DiffFormat, typer.Option("--format")] = DiffFormat.text,
    mode: Annotated[ModeChoice | None, typer.Option(
        help="Compatibility mode that decides what is breaking (default: `compatibility`).")
    ] = None,
    allow_url: AllowUrlOption = None,
) -> None:
    """Field-level diff of HEAD against BASELINE; each change classified, with the semver bump."""
    with _trust(allow_url, *(baseline or ()), head):
        _diff(baseline, head, fail_on, output_format, mode)


def _diff(baseline: list[str] | None, head: str | None, fail_on: FailOn | None,
          output_format: DiffFormat, mode: ModeChoice | None) -> None:
    from telemetry_contracts.ci.config import load_config
    from telemetry_contracts.ci.diff import render_diff, run_diff

    config = load_config()
    # Configured references are taken from the pyproject.toml's directory; given ones from here.
    root = str(config.root)
    baseline_refs, baseline_cwd = (baseline, None) if baseline else (
        [_configured(config.checked("baseline"), "baseline", "--baseline")], root)
    head_ref, head_cwd = (head, None) if head else (
        _configured(config.checked("registry"), "registry", "--head"), root)
    chosen_mode = cast("CompatibilityMode", mode.value) if mode else config.compatibility
    result = run_diff(baseline_refs, head_ref, chosen_mode, baseline_cwd, head_cwd)
    typer.echo(render_diff(result, output_format), nl=False)
    failing = result.failing(FailOn(fail_on or config.diff_fail_on))
    for change in failing:
        typer.echo(f"diff: {change.describe()}", err=True)
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_CLEAN)


def _configured(value: str | None, key: str, option: str) -> str:
    if value is None:
        _input_error(f"no {key}: pass {option} or set `{key}` in [tool.telemetry-contracts]",
                     "pyproject.toml")
    return value



@app.command("export")
def export_command(
    registry: RegistryArgument,
    to: Annotated[ExportTarget, typer.Option("--to", help="What to write.")],
    output: Annotated[Path, typer.Option(
        "-o", "--output", metavar="FILE", help="Where to write it (- for standard output).",
    )] = Path("-"),
    baseline: Annotated[str | None, typer.Option(
        metavar="REF", help="The previous version, for --to schema-file.")] = None,
    schema_url: Annotated[str | None, typer.Option(
        metavar="URL",
        help="The new version's schema URL (default: the registry's, or the baseline's with "
             "the version replaced).")] = None,
    allow_url: AllowUrlOption = None,
) -> None:
    """Write an artifact derived from REGISTRY: the OpenTelemetry schema file from BASELINE's
    version to REGISTRY's, or a Markdown page of its contracts."""
    from telemetry_contracts.ci.export import export_markdown, schema_file_export

    with _trust(allow_url, registry, baseline):
        if to is ExportTarget.schema_file:
            exported = schema_file_export(registry, baseline, schema_url)
            text = exported.text
            for merge in exported.merges:
                typer.echo(merge.describe(), err=True)
        else:
            text = export_markdown(registry)
    if str(output) == "-":
        typer.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    typer.echo(f"{output}: {to.value} written", err=True)


def _codes(values: list[str] | None) -> list[str]:
    """Codes from repeatable, comma-separated options (``--ignore TC2,TC301``)."""
    return [code.strip() for value in values or () for code in value.split(",") if code.strip()]


FormatOption = Annotated[ReportFormat, typer.Option("--format")]
FailOnOption = Annotated[
    SeverityLevel | None, typer.Option(help="Lowest severity that fails (default: config, error).")
]
SelectOption = Annotated[
    list[str] | None, typer.Option(metavar="CODES", help="Only these codes or prefixes.")
]
IgnoreOption = Annotated[
    list[str] | None, typer.Option(metavar="CODES", help="Skip these codes or prefixes.")
]
BaselineFileOption = Annotated[
    Path | None, typer.Option(metavar="FILE",
                              help="Report only findings not accepted in this file.")
]
WriteBaselineOption = Annotated[
    Path | None, typer.Option(metavar="FILE",
                              help="Record today's findings as accepted, then exit 0.")
]


class FindingsResult(Protocol):
    """What ``lint`` and ``check-code`` both return."""

    findings: list[Finding]
    exit_code: int
    accepted: int
    baseline_written: int | None


def _report_and_exit(
    result: FindingsResult,
    report_format: ReportFormat,
    rules: Mapping[str, RuleInfo],
    write_baseline: Path | None,
) -> NoReturn:
    """Print the findings (or the baseline written) and exit with the result's code."""
    if result.baseline_written is not None:
        typer.echo(f"{write_baseline}: {result.baseline_written} accepted findings", err=True)
        raise typer.Exit(EXIT_CLEAN)
    from telemetry_contracts.ci.reporters import render

    output = render(result.findings, report_format, rules)
    if output:
        typer.echo(output, nl=False)
    if report_format is ReportFormat.text and result.accepted:
        typer.echo(f"{result.accepted} findings accepted by the baseline", err=True)
    raise typer.Exit(result.exit_code)


@app.command()
def lint(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Registries to lint (default: `registry` from the configuration)."),
    ] = None,
    report_format: FormatOption = ReportFormat.text,
    fail_on: FailOnOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    baseline_file: BaselineFileOption = None,
    write_baseline: WriteBaselineOption = None,
    allow_url: AllowUrlOption = None,
) -> None:
    """Validate contract files: naming, units, types, references, deprecations, governance."""
    from telemetry_contracts.ci.config import load_config
    from telemetry_contracts.ci.lint import run_lint
    from telemetry_contracts.ci.rule_docs import rule_infos

    with _trust(allow_url, *(paths or ())):
        result = run_lint(
            paths or [], load_config(), select=_codes(select), ignore=_codes(ignore),
            fail_on=fail_on.value if fail_on else None, baseline_file=baseline_file,
            write_baseline=write_baseline,
        )
    _report_and_exit(result, report_format, rule_infos(result.custom), write_baseline)


@app.command()
def rules(
    code: Annotated[str | None, typer.Argument(help="A code to explain, e.g. TC803.")] = None,
    markdown: Annotated[bool, typer.Option(help="Print the docs/rules.md page.")] = False,
) -> None:
    """List every code any command or the guard reports; with CODE, explain that one."""
    from telemetry_contracts.ci.rule_docs import (
        code_doc,
        explain,
        listed_codes,
        listing_line,
        render_rules_markdown,
    )

    if markdown:
        typer.echo(render_rules_markdown(), nl=False)
        return
    codes, problems = listed_codes(code)  # with the project's declared and plugin rules
    for problem in problems:
        typer.echo(problem.one_line(), err=True)
    if code is None:
        typer.echo("\n".join(listing_line(doc) for doc in codes))
        return
    doc = code_doc(code, codes)
    if doc is None:
        _input_error(f"no such code: {code}; `telemetry-contracts rules` lists them all",
                     "rules")
    typer.echo(explain(doc), nl=False)


@app.command("check-code")
def check_code_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Python files or folders (default: `source-paths` from the config)."),
    ] = None,
    registry: Annotated[
        str | None,
        typer.Option("--registry", metavar="REG", help="REG to check against (default: "
                     "`registry` from the configuration)."),
    ] = None,
    fix: Annotated[
        bool, typer.Option("--fix", help="Rewrite deprecated string-literal names in place.")
    ] = False,
    report_format: FormatOption = ReportFormat.text,
    fail_on: FailOnOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    baseline_file: BaselineFileOption = None,
    write_baseline: WriteBaselineOption = None,
    allow_url: AllowUrlOption = None,
) -> None:
    """Check the telemetry call sites of Python code against the registry."""
    from telemetry_contracts.ci.code_scanner import CHECK_CODE_CODES, run_check_code
    from telemetry_contracts.ci.config import load_config
    from telemetry_contracts.ci.rule_docs import rule_infos

    with _trust(allow_url, registry):
        result = run_check_code(
            paths or [], registry, load_config(), fix=fix, select=_codes(select),
            ignore=_codes(ignore), fail_on=fail_on.value if fail_on else None,
            baseline_file=baseline_file, write_baseline=write_baseline,
        )
    if result.fixed:
        from telemetry_contracts.schemas.findings import plural

        typer.echo(f"fixed {plural(len(result.fixed), 'deprecated name')} in "
                   f"{plural(result.files_fixed, 'file')}", err=True)
    infos = rule_infos()
    rules = {code: infos[code] for code in CHECK_CODE_CODES}
    _report_and_exit(result, report_format, rules, write_baseline)


class LiveFailOn(StrEnum):
    error = "error"
    warning = "warning"
    none = "none"


@app.command("live-check")
def live_check_command(
    registry: Annotated[str, typer.Option("--registry", metavar="REG",
                                          help="REG to judge the telemetry against.")],
    otlp_http: Annotated[int | None, typer.Option(
        "--otlp-http", metavar="PORT",
        help="Receive OTLP/HTTP here (default 4318 unless --input is given); also serves "
        "GET /health and POST /stop.")] = None,
    otlp_grpc: Annotated[int | None, typer.Option(
        "--otlp-grpc", metavar="PORT",
        help="Receive OTLP/gRPC here (default 4317 unless --input is given).")] = None,
    host: Annotated[str, typer.Option(metavar="H", help="Interface the receivers listen on.")]
    = "127.0.0.1",
    input_files: Annotated[list[Path] | None, typer.Option(
        "--input", metavar="FILE", help="OTLP JSON to judge (one document or JSON Lines); "
        "repeatable. Without --otlp-* the run ends at the end of input.")] = None,
    fail_on: Annotated[LiveFailOn, typer.Option(
        "--fail-on", help="Lowest severity that fails: error|warning|none.")]
    = LiveFailOn.error,
    min_coverage: Annotated[float | None, typer.Option(
        "--min-coverage", metavar="N", min=0, max=100,
        help="Fail when under N percent of the contracts (in --namespace) were seen.")] = None,
    namespace: Annotated[list[str] | None, typer.Option(
        "--namespace", metavar="PREFIX", help="Scope coverage to this namespace (`http`, "
        "`shop.cart`); repeatable.")] = None,
    duration: Annotated[float | None, typer.Option(
        "--duration", metavar="S", min=0, help="Stop after S seconds.")] = None,
    report_to: Annotated[str | None, typer.Option(
        "--report-to", metavar="URL", help="Registry server to send usage reports to, one "
        "per service.name ($TELEMETRY_CONTRACTS_TOKEN goes to that origin only).")] = None,
    report_interval: Annotated[float, typer.Option(
        "--report-interval", metavar="S", min=0.1,
        help="With --report-to: send what was found every S seconds, and at the end.")]
    = 60.0,
    report_format: FormatOption = ReportFormat.text,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", metavar="FILE", help="Write the verdict here, not to stdout.")]
    = None,
    allow_url: AllowUrlOption = None,
) -> None:
    """Judge live OTLP telemetry (HTTP, gRPC, JSON files) against REG: findings, coverage,
    usage reports; exits 0/1 by --fail-on and --min-coverage when it stops."""
    import os

    from telemetry_contracts.resolution.loader import load_registry

    try:
        from telemetry_contracts.live import session
        from telemetry_contracts.live.coverage import unknown_namespace
        from telemetry_contracts.live.judge import Judge
        from telemetry_contracts.live.receiver import Refused
        from telemetry_contracts.live.verdict import UsageFeed, verdict
    except ImportError as error:
        _input_error(f"live-check needs the [live] extra: {error}", "live-check")
    if report_to is not None and not report_to.startswith(("http://", "https://")):
        _input_error(f"--report-to takes a registry URL, not `{report_to}`", "--report-to")
    with _trust(allow_url, registry, report_to):
        snapshot = load_registry(registry).snapshot
    judge = Judge(snapshot)
    for prefix in namespace or ():
        problem = unknown_namespace(judge.index, prefix)
        if problem is not None:
            _input_error(problem, "--namespace")
    serving = otlp_http is not None or otlp_grpc is not None or not input_files
    feed = None if report_to is None else UsageFeed(
        judge, report_to, os.environ.get("TELEMETRY_CONTRACTS_TOKEN"), report_interval)
    try:
        session.run(
            judge, input_files or (), host,
            http_port=(4318 if otlp_http is None and otlp_grpc is None else otlp_http)
            if serving else None,
            grpc_port=(4317 if otlp_http is None and otlp_grpc is None else otlp_grpc)
            if serving else None,
            duration=duration,
        )
    except Refused as refused:
        _input_error(refused.reason, "--input")
    except OSError as error:
        _input_error(f"cannot receive: {error}", "live-check")
    rule_findings, custom_docs = _live_rule_findings(judge.observed_snapshot())
    result = verdict(judge, fail_on.value, min_coverage, tuple(namespace or ()), rule_findings)
    for failure in feed.close() if feed is not None else ():
        typer.echo(failure, err=True)
    _write_live_verdict(result, report_format, output, custom_docs)
    raise typer.Exit(result.exit_code)


def _live_rule_findings(observed: Any) -> tuple[list[Any], tuple[Any, ...]]:
    """The project's declared and plugin rules (as ``lint`` builds them) run on the names
    live-check received, with TC120 for a plugin that failed to load; and their docs."""
    from telemetry_contracts.ci.config import load_config
    from telemetry_contracts.ci.rule_docs import rule_doc
    from telemetry_contracts.validators.rule_set import RuleSet

    rules = load_config(Path.cwd()).rule_set()
    custom = RuleSet(rules.custom_rules, settings=rules.settings)
    findings = [*rules.problems, *(custom.check(observed) if custom.rules else ())]
    return findings, tuple(rule_doc(rule) for rule in custom.rules)


def _write_live_verdict(result: Any, report_format: ReportFormat, output: Path | None,
                        custom_docs: tuple[Any, ...] = ()) -> None:
    import json

    from telemetry_contracts.ci.reporters import render
    from telemetry_contracts.ci.rule_docs import rule_infos

    if report_format is ReportFormat.json:
        text = json.dumps(result.document(), indent=2) + "\n"
    else:
        infos = rule_infos(custom_docs)
        codes = {f.code for f in result.findings}
        text = render(result.as_findings(), report_format,
                      {code: infos[code] for code in codes if code in infos})
        if report_format is ReportFormat.text:
            text += result.summary()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    if output is not None or report_format is not ReportFormat.text:
        # what was judged, the coverage and why the run failed: SARIF, annotations and JSON
        # carry no line for a failed coverage gate, so a CI log would show only the exit code
        typer.echo(result.summary(), err=True, nl=False)


CreateOption = Annotated[
    bool,
    typer.Option("--create", help="Make the default store ./telemetry-contracts.db when it does "
                                  "not exist (without --database, nothing is made silently)."),
]


def _database_url(database: str | None, create: bool) -> str | None:
    """``database``, or the default store if it exists (or ``create``); exit 2 otherwise.

    Run in the wrong directory, a command would otherwise make a new, empty store there.
    """
    import os

    from telemetry_contracts.registry.service.settings import DEFAULT_DATABASE

    if database or os.environ.get("TELEMETRY_CONTRACTS_DATABASE"):
        return database
    path = Path(DEFAULT_DATABASE.removeprefix("sqlite:///")).resolve()
    if not path.exists() and not create:
        typer.echo(f"no registry store at {path}: --database and TELEMETRY_CONTRACTS_DATABASE "
                   f"are unset, so the working directory was searched; pass --create to make "
                   f"one there, or --database URL", err=True)
        raise typer.Exit(EXIT_INPUT)
    return database


@app.command()
def serve(
    database: DatabaseOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    open_reads: Annotated[
        bool | None,
        typer.Option("--open-reads/--no-open-reads", help="Let anonymous callers read."),
    ] = None,
    approvals: Annotated[
        int | None, typer.Option(min=1, help="Approvals a proposal needs (default 1).")
    ] = None,
    registry_name: Annotated[str | None, typer.Option(help="The registry's name.")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Server processes sharing the port (one per core).")
    ] = 1,
    seed: Annotated[str | None, typer.Option(
        metavar="REG", help="Seed a new store with this registry (a directory, snapshot .json, "
                            "git:REV[:SUBDIR] or `semconv`) instead of the semconv baseline; "
                            "a store that holds versions already is left as it is.")] = None,
    create: CreateOption = False,
) -> None:
    """Run the registry service; the store is migrated and seeded (semconv, or --seed) on first
    start."""
    database = _database_url(database, create)
    snapshot = None
    if seed is not None:
        from telemetry_contracts.resolution.loader import load_registry

        snapshot = load_registry(seed).snapshot
        typer.echo(f"seed {seed}: {len(snapshot.attributes)} attributes, "
                   f"{len(snapshot.metrics)} metrics (used if the store is new)", err=True)
    from telemetry_contracts.registry.server import serve as run_server
    from telemetry_contracts.registry.service.settings import Settings

    settings = Settings.from_env(database_url=database, open_reads=open_reads,
                                 required_approvals=approvals, registry_name=registry_name)
    run_server(settings, host=host, port=port, workers=workers, seed=snapshot)


class TokenRole(StrEnum):
    viewer = "viewer"
    contributor = "contributor"
    reviewer = "reviewer"
    admin = "admin"


@token_app.command("create")
def token_create(
    role: Annotated[TokenRole, typer.Option("--role", help="viewer|contributor|reviewer|admin")],
    name: Annotated[str | None, typer.Option("--name", help="Who holds it (default: the role).")]
    = None,
    namespace: Annotated[
        list[str] | None,
        typer.Option("--namespace", help="A namespace the holder owns (`payments.`); repeatable."),
    ] = None,
    service: Annotated[
        list[str] | None,
        typer.Option("--service", help="A service the token may post usage for (default: any); "
                                       "repeatable."),
    ] = None,
    database: DatabaseOption = None,
    create: CreateOption = False,
) -> None:
    """Make a bearer token and print it once; only its hash is stored."""
    from telemetry_contracts.registry.service.auth import create_token

    store = _token_store(database, create)
    try:
        token_id, secret = create_token(store, role=role.value, name=name or role.value,
                                        namespaces=namespace or [], actor="cli",
                                        services=service or [])
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    finally:
        store.dispose()
    typer.echo(f"token {token_id} ({role.value}) for {name or role.value}:", err=True)
    typer.echo(secret)


def _token_store(database: str | None, create: bool) -> Any:
    """The store the ``token`` commands work on (see :func:`_database_url`)."""
    from telemetry_contracts.registry.service.settings import Settings
    from telemetry_contracts.registry.store.database import Database

    return Database(Settings.from_env(database_url=_database_url(database, create)).database_url)


@token_app.command("list")
def token_list(database: DatabaseOption = None) -> None:
    """List the tokens: id, role, name, namespaces, services, created, revoked."""
    from telemetry_contracts.registry.service.queries import tokens_page

    store = _token_store(database, create=False)
    try:
        with store.read() as session:
            cursor = None
            while True:
                page = tokens_page(session, 1000, cursor)
                for token in page.items:
                    state = (f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at
                             else "active")
                    typer.echo(f"{token.id}\t{token.role}\t{token.name}\t"
                               f"{','.join(token.namespaces) or '-'}\t"
                               f"{','.join(token.services) or '-'}\t"
                               f"{token.created_at:%Y-%m-%d %H:%M}\t{state}")
                cursor = page.next_cursor
                if cursor is None:
                    break
    finally:
        store.dispose()


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's id (`token list`).")],
    database: DatabaseOption = None,
) -> None:
    """Revoke a token; replicas stop accepting it within 5 s."""
    from telemetry_contracts.registry.service.auth import Principal, revoke_token
    from telemetry_contracts.registry.service.errors import ServiceError

    store = _token_store(database, create=False)
    try:
        revoke_token(store, token_id, Principal(name="cli", role="admin"))
    except ServiceError as error:
        typer.echo(f"token {token_id}: {error}", err=True)
        raise typer.Exit(EXIT_INPUT) from None
    finally:
        store.dispose()
    typer.echo(f"token {token_id} revoked", err=True)
