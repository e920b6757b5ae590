"""Custom fields' rules (domain/custom_fields.py): definitions, values, catalogue entries."""

from __future__ import annotations

import pytest

from privacycrm_desktop.domain.access import FieldAccess, Role, catalogue_access
from privacycrm_desktop.domain.custom_fields import (
    CustomFieldDefinition,
    CustomKind,
    catalogue_for,
    custom_key_for,
    parse_value,
    parse_values,
    validate_definition,
)
from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE, ValueKind, exported_fields

PURPOSES = ("customer_relationship", "invoicing")


def _field(kind: CustomKind, choices: tuple[str, ...] = ()) -> CustomFieldDefinition:
    return CustomFieldDefinition("f", "F", kind, choices=choices)


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        (CustomKind.TEXT, "  two words ", "two words"),
        (CustomKind.NUMBER, "43,50", "43.5"),
        (CustomKind.NUMBER, "1 200", "1200"),
        (CustomKind.DATE, "2/3/2026", "2026-03-02"),
        (CustomKind.DATE, "2026-03-02", "2026-03-02"),
        (CustomKind.YESNO, "Ja", "yes"),
        (CustomKind.YESNO, "non", "no"),
        (CustomKind.TEXT, "   ", ""),
    ],
)
def test_values_are_stored_in_their_kinds_normal_form(
    kind: CustomKind, typed: str, stored: str
) -> None:
    assert parse_value(_field(kind), typed) == stored


def test_a_choice_takes_one_of_its_options_whatever_the_case() -> None:
    field = _field(CustomKind.CHOICE, choices=("Gold", "Silver"))
    assert parse_value(field, "gold") == "Gold"
    with pytest.raises(ValidationFailed):
        parse_value(field, "Bronze")


@pytest.mark.parametrize(
    ("kind", "typed"),
    [
        (CustomKind.NUMBER, "tall"),
        (CustomKind.DATE, "31/02/2026"),
        (CustomKind.YESNO, "maybe"),
        # Seen from outside: an exponent stored a million digits, or crashed (Overflow).
        (CustomKind.NUMBER, "9e999998"),
        (CustomKind.NUMBER, "1e5000000"),
        (CustomKind.NUMBER, "NaN"),
        (CustomKind.NUMBER, "1" * 31),
    ],
)
def test_a_value_that_does_not_fit_is_refused(kind: CustomKind, typed: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_value(_field(kind), typed)
    assert refused.value.problems[0].field == "cf_f"


def test_every_problem_of_several_values_at_once() -> None:
    fields = [_field(CustomKind.NUMBER), CustomFieldDefinition("d", "D", CustomKind.DATE)]
    with pytest.raises(ValidationFailed) as refused:
        parse_values(fields, {"f": "x", "d": "y", "nope": "z"})
    assert {p.field for p in refused.value.problems} == {"cf_f", "cf_d", "nope"}


def test_a_definition_is_checked_and_cleaned() -> None:
    checked = validate_definition(
        CustomFieldDefinition(
            " Shoe_Size ",
            "  Shoe   size ",
            CustomKind.NUMBER,
            purposes=("invoicing",),
            choices=("ignored",),
            labels=(("nl", " Schoenmaat "), ("fr", "")),
        ),
        PURPOSES,
    )
    assert (checked.key, checked.label, checked.choices) == ("shoe_size", "Shoe size", ())
    assert checked.labels == (("nl", "Schoenmaat"),)
    bad = CustomFieldDefinition(
        "1bad", "", CustomKind.CHOICE, purposes=("unknown",), category="nope"
    )
    with pytest.raises(ValidationFailed) as refused:
        validate_definition(bad, PURPOSES)
    assert {p.field for p in refused.value.problems} == {
        "key",
        "label",
        "choices",
        "purposes",
        "category",
    }
    with pytest.raises(ValidationFailed):
        validate_definition(_field(CustomKind.TEXT), PURPOSES, taken=["f"])


def test_definitions_become_catalogue_entries_after_the_fixed_ones() -> None:
    fields = [
        CustomFieldDefinition("hobby", "Hobby", CustomKind.TEXT, exported=True, searchable=True),
        CustomFieldDefinition("vip", "VIP", CustomKind.YESNO, restricted=True),
    ]
    catalogue = catalogue_for(fields)
    assert catalogue[: len(FIELD_CATALOGUE)] == FIELD_CATALOGUE
    added = catalogue[len(FIELD_CATALOGUE) :]
    assert [(s.name, s.value, s.searchable) for s in added] == [
        ("cf_hobby", ValueKind.CUSTOM, True),
        ("cf_vip", ValueKind.CUSTOM, False),
    ]
    assert exported_fields(catalogue)[-1] == "cf_hobby"
    # The defaults: an ordinary custom field like an ordinary fixed one, a restricted one
    # for the owner and the privacy officer only.
    for role in Role:
        access = catalogue_access(role, catalogue)
        assert access["cf_vip"] is (
            FieldAccess.WRITE if role in (Role.OWNER, Role.PRIVACY_OFFICER) else FieldAccess.HIDDEN
        )
        assert access["cf_hobby"] is (
            FieldAccess.READ if role is Role.READ_ONLY else FieldAccess.WRITE
        )
    override = {(Role.SALES, "cf_vip"): FieldAccess.READ}
    assert catalogue_access(Role.SALES, catalogue, override)["cf_vip"] is FieldAccess.READ


def test_a_column_named_as_a_field_fills_it() -> None:
    fields = [
        CustomFieldDefinition("shoe", "Shoe size", CustomKind.NUMBER, labels=(("nl", "Maat"),))
    ]
    for header in ("shoe", "cf_shoe", "SHOE  size", "maat"):
        assert custom_key_for(header, fields) == "shoe"
    assert custom_key_for("size", fields) is None
