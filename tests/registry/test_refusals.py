"""Bad and hostile input: exit code 2 and one line naming the file, line and rule code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.resolution.yaml_source import MAX_DEPTH, parse_yaml
from telemetry_contracts.schemas.findings import ContractError

ATTRIBUTES = """\
groups:
  - id: registry.shop
    type: attribute_group
    brief: Shop attributes.
    attributes:
      - id: shop.cart.size
        type: int
        brief: Items in the cart.
        stability: development
        examples: [3]
"""

ALIAS_BOMB = (
    "\n".join(
        ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        + [
            f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]"
            for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
        ]
    )
    + "\n"
)


def write_registry(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def run_resolve(registry: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "telemetry_contracts",
            "resolve",
            str(registry),
            "-o",
            str(tmp_path / "out.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


CASES = {
    "malformed": ({"bad.yaml": ATTRIBUTES + "  - id: [unclosed\n"}, "bad.yaml", 12, "TC101"),
    "dangling_ref": (
        {
            "a.yaml": ATTRIBUTES,
            "m.yaml": (
                "groups:\n  - id: metric.shop.orders\n    type: metric\n"
                "    metric_name: shop.orders\n    instrument: counter\n    unit: '{order}'\n"
                "    brief: Orders.\n    attributes:\n      - ref: shop.cart.sise\n"
            ),
        },
        "m.yaml",
        9,
        "TC103",
    ),
    "duplicate_key": (
        {"a.yaml": ATTRIBUTES, "b.yaml": ATTRIBUTES.replace("registry.shop", "registry.other")},
        "b.yaml",
        6,
        "TC104",
    ),
    "alias_bomb": ({"bomb.yaml": ALIAS_BOMB}, "bomb.yaml", None, "TC105"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_exits_2_with_one_line(case: str, tmp_path: Path) -> None:
    files, culprit, line, code = CASES[case]
    (tmp_path / "reg").mkdir()
    registry = write_registry(tmp_path / "reg", files)
    result = run_resolve(registry, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    match = re.match(rf"^(.*{re.escape(culprit)}):(\d+):(\d+): error {code} ", lines[0])
    assert match, lines[0]
    if line is not None:
        assert int(match.group(2)) == line, lines[0]
    assert not (tmp_path / "out.json").exists()


def test_fifty_megabyte_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    registry.mkdir()
    chunk = ATTRIBUTES.encode()
    with open(registry / "huge.yaml", "wb") as handle:
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            handle.write(chunk)
    result = run_resolve(registry, tmp_path)
    assert result.returncode == 2
    assert re.match(r"^.*huge\.yaml:1:1: error TC105 file is [\d,]+ bytes", result.stderr)


def test_deep_flow_nesting_is_refused_before_parsing() -> None:
    with pytest.raises(ContractError) as raised:
        parse_yaml("[" * 100_000 + "]" * 100_000, "deep.yaml")
    assert raised.value.finding.code == "TC106"


def test_deep_block_nesting_is_refused() -> None:
    text = (
        "".join(f"{'  ' * level}k{level}:\n" for level in range(MAX_DEPTH + 5))
        + "  " * (MAX_DEPTH + 5)
        + "v\n"
    )
    with pytest.raises(ContractError) as raised:
        parse_yaml(text, "deep.yaml")
    assert raised.value.finding.code == "TC106"
    assert raised.value.finding.location.line > MAX_DEPTH - 2


def test_duplicate_yaml_key_is_an_error_not_a_silent_override() -> None:
    with pytest.raises(ContractError) as raised:
        parse_yaml("groups: []\ngroups: []\n", "dup.yaml")
    assert (raised.value.finding.code, raised.value.finding.location.line) == ("TC107", 2)


def test_unknown_field_names_its_line(tmp_path: Path) -> None:
    write_registry(tmp_path, {"a.yaml": ATTRIBUTES.replace("brief: Items", "breif: Items")})
    with pytest.raises(ContractError) as raised:
        load_registry(tmp_path)
    finding = raised.value.finding
    assert finding.code == "TC102"
    assert finding.location.line == 8
    assert "breif" in finding.message


def test_unknown_type_is_refused(tmp_path: Path) -> None:
    write_registry(tmp_path, {"a.yaml": ATTRIBUTES.replace("type: int", "type: integer")})
    with pytest.raises(ContractError) as raised:
        load_registry(tmp_path)
    assert (raised.value.finding.code, raised.value.finding.location.line) == ("TC102", 7)


def test_extends_cycle_is_refused(tmp_path: Path) -> None:
    text = (
        "groups:\n"
        "  - {id: one, type: attribute_group, brief: x, extends: two, attributes: []}\n"
        "  - {id: two, type: attribute_group, brief: x, extends: one, attributes: []}\n"
    )
    write_registry(tmp_path, {"a.yaml": text})
    with pytest.raises(ContractError) as raised:
        load_registry(tmp_path)
    assert raised.value.finding.code == "TC109"


def test_scalars_are_typed_like_the_safe_loader_where_yaml_1_2_agrees() -> None:
    text = (
        "a: 1\nb: '1'\nc: true\nd: null\ne: ~\nf: 1.5\ng: no\nh: !!str 12\ni: 2024-01-01\n"
        "j: [1, x, '2', -3, .inf]\nk:\nl: !!int '7'\nm: \"true\"\nn: nothing\n"
    )
    import yaml

    expected = yaml.safe_load(text)
    expected["i"] = "2024-01-01"  # timestamps stay as written, ready for JSON
    expected["g"] = "no"  # YAML 1.1's boolean, a string in YAML 1.2 (as Weaver reads it)
    assert parse_yaml(text, "t.yaml") == expected


def test_loading_restores_the_garbage_collector_even_on_error(tmp_path: Path) -> None:
    import gc

    (tmp_path / "bad.yaml").write_text("groups: [\n")
    assert gc.isenabled()
    with pytest.raises(ContractError):
        load_registry(tmp_path)
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(ContractError):
            load_registry(tmp_path)
        assert not gc.isenabled()  # a caller's own choice is left as it was
    finally:
        gc.enable()
