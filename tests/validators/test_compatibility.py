"""Field-level diff and compatibility classification of two registry snapshots."""

from __future__ import annotations

from typing import Any

import pytest

from telemetry_contracts.schemas.model import (
    Attribute,
    AttributeRef,
    Deprecation,
    EnumMember,
    Metric,
    RequirementLevel,
)
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.validators.compatibility import (
    Change,
    RegistryDiff,
    check_history,
    compare,
)


def attribute(key: str = "app.user.tier", **fields: Any) -> Attribute:
    fields.setdefault("type", "string")
    fields.setdefault("stability", "stable")
    return Attribute(key=key, **fields)


def enum(key: str = "app.outcome", values: tuple[str, ...] = ("ok", "error"), **fields: Any
         ) -> Attribute:
    members = tuple(EnumMember(id=value, value=value) for value in values)
    return attribute(key, type="enum", members=members, **fields)


def metric(name: str = "app.request.duration", **fields: Any) -> Metric:
    fields.setdefault("instrument", "histogram")
    fields.setdefault("unit", "s")
    fields.setdefault("stability", "stable")
    return Metric(name=name, **fields)


def ref(key: str, level: str = "recommended") -> AttributeRef:
    return AttributeRef(key=key, requirement_level=RequirementLevel.parse(level))


def snapshot(version: str = "1.0.0", attributes: tuple[Attribute, ...] = (),
             metrics: tuple[Metric, ...] = ()) -> Snapshot:
    return Snapshot.build(registry="app", version=version, attributes=attributes, metrics=metrics)


def only(diff: RegistryDiff, **match: Any) -> Change:
    found = [c for c in diff.changes if all(getattr(c, k) == v for k, v in match.items())]
    assert len(found) == 1, (match, diff.changes)
    return found[0]


def test_identical_registries_have_no_changes() -> None:
    registry = snapshot(attributes=(attribute(), enum()), metrics=(metric(),))
    diff = compare(registry, registry)
    assert diff.changes == []
    assert diff.bump == "none"


def test_removing_a_stable_attribute_breaks_both_directions() -> None:
    diff = compare(snapshot(attributes=(attribute(),)), snapshot())
    change = only(diff, kind="removed", subject="app.user.tier")
    assert change.code == "TC901"
    assert change.breaks("BACKWARD") and change.breaks("FORWARD") and change.breaks("FULL")
    assert not change.breaks("NONE")
    assert diff.bump == "major"
    assert diff.breaking("BACKWARD") == [change]


@pytest.mark.parametrize("stability", ["development", "beta", "release_candidate"])
def test_removing_an_unstable_attribute_is_not_breaking(stability: str) -> None:
    diff = compare(snapshot(attributes=(attribute(stability=stability),)), snapshot())
    change = only(diff, kind="removed")
    assert not change.breaks("FULL")
    assert diff.bump == "minor"


def test_removing_an_already_deprecated_stable_attribute_is_not_breaking() -> None:
    old = attribute(deprecated=Deprecation(reason="obsoleted"))
    diff = compare(snapshot(attributes=(old,)), snapshot())
    assert diff.breaking("FULL") == []


def test_adding_an_optional_attribute_is_a_compatible_minor_change() -> None:
    diff = compare(snapshot(), snapshot(attributes=(attribute(),)))
    change = only(diff, kind="added")
    assert not change.breaks("FULL")
    assert diff.bump == "minor"


@pytest.mark.parametrize(
    ("field", "old", "new", "code"),
    [("unit", "ms", "s", "TC903"), ("instrument", "histogram", "counter", "TC904")],
)
def test_metric_unit_or_instrument_change_breaks(field: str, old: str, new: str, code: str) -> None:
    diff = compare(snapshot(metrics=(metric(**{field: old}),)),
                   snapshot(metrics=(metric(**{field: new}),)))
    change = only(diff, kind="changed", field=field)
    assert (change.old, change.new, change.code) == (old, new, code)
    assert change.breaks("BACKWARD") and change.breaks("FORWARD")
    assert f"{field} changed from `{old}` to `{new}`" in change.describe()
    assert diff.bump == "major"


def test_type_change_breaks_but_not_from_any() -> None:
    diff = compare(snapshot(attributes=(attribute(type="string"),)),
                   snapshot(attributes=(attribute(type="int"),)))
    assert only(diff, field="type").breaks("BACKWARD")
    loose = compare(snapshot(attributes=(attribute(type="any"),)),
                    snapshot(attributes=(attribute(type="int"),)))
    assert not only(loose, field="type").breaks("FULL")


def test_enum_member_removed_breaks_and_added_breaks_only_forward() -> None:
    diff = compare(snapshot(attributes=(enum(values=("ok", "error")),)),
                   snapshot(attributes=(enum(values=("ok", "timeout")),)))
    removed = only(diff, kind="removed", subject_kind="enum_member")
    added = only(diff, kind="added", subject_kind="enum_member")
    assert (removed.subject, removed.parent, removed.code) == ("error", "app.outcome", "TC905")
    assert removed.breaks("BACKWARD") and removed.breaks("FORWARD")
    assert "app.outcome=error" in removed.describe()
    assert added.code == "TC909"
    assert not added.breaks("BACKWARD") and added.breaks("FORWARD")


def test_requirement_tightened_breaks_backward_and_loosened_breaks_forward() -> None:
    old = snapshot(metrics=(metric(attributes=(ref("a"), ref("b", "required"))),))
    new = snapshot(metrics=(metric(attributes=(ref("a", "required"), ref("b"))),))
    diff = compare(old, new)
    tightened = only(diff, subject="a", field="requirement_level")
    loosened = only(diff, subject="b", field="requirement_level")
    assert (tightened.code, tightened.parent) == ("TC906", "app.request.duration")
    assert tightened.breaks("BACKWARD") and not tightened.breaks("FORWARD")
    assert loosened.code == "TC908"
    assert loosened.breaks("FORWARD") and not loosened.breaks("BACKWARD")


def test_adding_a_required_attribute_to_a_stable_metric_breaks_backward() -> None:
    diff = compare(snapshot(metrics=(metric(),)),
                   snapshot(metrics=(metric(attributes=(ref("a", "required"), ref("c"))),)))
    assert [c.subject for c in diff.breaking("BACKWARD")] == ["a"]


def test_stability_lowered_breaks_and_raised_does_not() -> None:
    lowered = compare(snapshot(metrics=(metric(),)),
                      snapshot(metrics=(metric(stability="development"),)))
    assert only(lowered, field="stability").code == "TC907"
    assert lowered.bump == "major"
    raised = compare(snapshot(metrics=(metric(stability="beta"),)), snapshot(metrics=(metric(),)))
    assert not only(raised, field="stability").breaks("FULL")


def test_rename_through_deprecation_is_reported_and_compatible() -> None:
    old = snapshot(attributes=(attribute("app.tier"),))
    deprecated = attribute("app.tier", deprecated=Deprecation.parse("Replaced by `app.user.tier`."))
    new = snapshot(attributes=(deprecated, attribute("app.user.tier")))
    diff = compare(old, new)
    renamed = only(diff, kind="renamed")
    assert (renamed.subject, renamed.renamed_to) == ("app.tier", "app.user.tier")
    assert diff.renames == {"attribute": {"app.tier": "app.user.tier"}}
    assert diff.breaking("FULL") == []
    assert diff.bump == "minor"


def test_rename_to_another_value_type_is_a_deprecation_not_a_rename() -> None:
    deprecated = attribute("app.role", deprecated=Deprecation(reason="renamed",
                                                               renamed_to="app.roles"))
    diff = compare(snapshot(attributes=(attribute("app.role"),)),
                   snapshot(attributes=(deprecated, attribute("app.roles", type="string[]"))))
    assert only(diff, subject="app.role").kind == "deprecated"
    assert diff.renames == {}


def test_obsoleted_and_retargeted_deprecations() -> None:
    obsolete = compare(
        snapshot(metrics=(metric(),)),
        snapshot(metrics=(metric(deprecated=Deprecation(reason="obsoleted")),)),
    )
    assert only(obsolete, subject="app.request.duration").kind == "obsoleted"
    first = attribute("x", deprecated=Deprecation(reason="renamed", renamed_to="y"))
    second = attribute("x", deprecated=Deprecation(reason="renamed", renamed_to="z"))
    retargeted = compare(snapshot(attributes=(first,)), snapshot(attributes=(second,)))
    change = only(retargeted, subject="x")
    assert (change.kind, change.field) == ("changed", "renamed_to")
    assert (change.old, change.new) == ("y", "z")


def test_documentation_only_change_is_a_patch() -> None:
    diff = compare(snapshot(attributes=(attribute(brief="old words"),)),
                   snapshot(attributes=(attribute(brief="new words"),)))
    assert only(diff, field="brief").bump() == "patch"
    assert diff.bump == "patch"


def test_transitive_mode_checks_every_earlier_version() -> None:
    v1 = snapshot("1.0.0", metrics=(metric(unit="ms"),))
    v2 = snapshot("1.1.0", metrics=(metric(unit="ms", stability="development"),))
    v3 = snapshot("2.0.0", metrics=(metric(unit="s", stability="development"),))
    # v2 -> v3 changes a development metric: fine against the previous version only ...
    assert check_history([v1, v2, v3], "BACKWARD") == []
    # ... but v3 is incompatible with v1, where the metric was stable with unit ms.
    found = check_history([v1, v2, v3], "BACKWARD_TRANSITIVE")
    assert {(c.field, c.against) for c in found} == {("unit", "1.0.0"), ("stability", "1.0.0")}
    assert check_history([v1, v2, v3], "NONE") == []
    assert check_history([v3], "FULL_TRANSITIVE") == []


def test_unknown_mode_is_refused() -> None:
    change = compare(snapshot(attributes=(attribute(),)), snapshot()).changes[0]
    with pytest.raises(ValueError, match="unknown compatibility mode"):
        change.breaks("SIDEWAYS")


def test_diff_round_trips_through_json() -> None:
    diff = compare(snapshot(metrics=(metric(unit="ms"),)), snapshot(metrics=(metric(),)))
    assert RegistryDiff.model_validate_json(diff.model_dump_json()) == diff


@pytest.mark.parametrize(
    ("legacy", "target"),
    [
        ("Replaced by `server.address.", "server.address"),
        ("Replaced by `user.id` attribute.", "user.id"),
        ("Deprecated, use `a.b` instead.", "a.b"),
        # One named replacement, qualified: the official schema files record it as a rename.
        ("Replaced by `a.b` on consumer spans. No replacement for producer spans.", "a.b"),
        ("Replaced by `a.b` on client spans and `a.c` on server spans.", None),
        ("Replaced by `a.b` and `a.c`.", None),
        ("Replaced by one of `a.b` or `a.c`.", None),
    ],
)
def test_legacy_deprecation_strings_name_a_rename_only_when_single(
    legacy: str, target: str | None
) -> None:
    assert Deprecation.parse(legacy).renamed_to == target


def test_attribute_renamed_on_a_signal_is_one_rename_not_a_removal_and_an_addition() -> None:
    old = snapshot(attributes=(attribute("app.tier"),),
                   metrics=(metric(attributes=(ref("app.tier"),)),))
    deprecated = attribute("app.tier", deprecated=Deprecation(reason="renamed",
                                                               renamed_to="app.user.tier"))
    new = snapshot(attributes=(deprecated, attribute("app.user.tier")),
                   metrics=(metric(attributes=(ref("app.user.tier", "required"),)),))
    diff = compare(old, new)
    on_metric = only(diff, subject_kind="attribute_ref")
    assert (on_metric.kind, on_metric.subject, on_metric.renamed_to) == (
        "renamed", "app.tier", "app.user.tier")
    assert on_metric.describe() == (
        "attribute `app.tier` of metric `app.request.duration` renamed to `app.user.tier`")
    # The metric is stable: its consumers query the old key, so the rename is still breaking.
    assert on_metric.code == "TC901" and on_metric.breaks("BACKWARD")
    development = compare(
        old.model_copy(update={"metrics": (metric(stability="development",
                                                  attributes=(ref("app.tier"),)),)}),
        new.model_copy(update={"metrics": (metric(stability="development",
                                                  attributes=(ref("app.user.tier"),)),)}),
    )
    assert development.breaking("FULL") == []
