"""The field lists derived from the catalogue agree with it, with ContactInput and the model.

A new catalogue entry must either be picked up by every list its attributes name, or a
test here names the list (or the dataclass, or the column) that misses it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace

from privacycrm_desktop.domain.contacts import SCALAR_FIELDS, ContactInput
from privacycrm_desktop.domain.edit_conflicts import CONFLICT_FIELDS
from privacycrm_desktop.domain.export_formats import EXPORT_FIELDS, FIELD_CATEGORIES
from privacycrm_desktop.domain.fields import (
    FIELD_CATALOGUE,
    FIELDS_BY_NAME,
    FieldSpec,
    ValueKind,
    exported_fields,
    import_merged_fields,
    list_columns,
    rectifiable_fields,
    scalar_fields,
)
from privacycrm_desktop.domain.import_formats import ImportField
from privacycrm_desktop.persistence.contact_writes import CONTACT_COLUMNS, LEFT_EMPTY_ON_INSERT
from privacycrm_desktop.persistence.models import Contact
from privacycrm_desktop.services.dto import ROW_FIELDS, ContactRow
from privacycrm_desktop.services.imports.model import MERGE_FIELDS
from privacycrm_desktop.services.imports.plan import CATALOGUE_FIELDS
from privacycrm_desktop.services.request_actions import RECTIFIABLE_FIELDS


def names(kind: ValueKind) -> tuple[str, ...]:
    return tuple(spec.name for spec in FIELD_CATALOGUE if spec.value is kind)


def test_names_are_unique() -> None:
    assert len(FIELDS_BY_NAME) == len(FIELD_CATALOGUE)


def test_every_scalar_field_is_in_scalar_fields_in_catalogue_order() -> None:
    assert names(ValueKind.SCALAR) == SCALAR_FIELDS


def test_every_exported_field_is_in_export_fields_in_catalogue_order() -> None:
    assert tuple(s.name for s in FIELD_CATALOGUE if s.exported) == EXPORT_FIELDS
    # Each exported field has a data category for the disclosure ledger.
    assert set(FIELD_CATEGORIES) == set(EXPORT_FIELDS)


def test_import_merge_and_rectification_follow_the_catalogue() -> None:
    assert tuple(s.name for s in FIELD_CATALOGUE if s.import_merges) == MERGE_FIELDS
    assert tuple(s.name for s in FIELD_CATALOGUE if s.rectifiable) == RECTIFIABLE_FIELDS


def test_merged_and_rectified_fields_are_scalar() -> None:
    # The import writes merged values into contact columns and a rectification replaces
    # one stored value: neither handles a list or the separately kept data.
    for spec in FIELD_CATALOGUE:
        if spec.import_merges or spec.rectifiable:
            assert spec.value is ValueKind.SCALAR, spec.name


def test_contact_input_holds_the_scalar_and_list_fields_in_catalogue_order() -> None:
    entered = tuple(f.name for f in dataclasses.fields(ContactInput) if f.name != "extra")
    assert entered == tuple(
        s.name for s in FIELD_CATALOGUE if s.value in (ValueKind.SCALAR, ValueKind.LIST)
    )
    assert entered == CONFLICT_FIELDS


def test_contact_input_types_follow_the_value_kind() -> None:
    defaults = ContactInput()
    for name in names(ValueKind.LIST):
        assert getattr(defaults, name) == (), name
    for name in names(ValueKind.SCALAR):
        assert not isinstance(getattr(defaults, name), tuple), name


def test_scalar_fields_are_contact_columns_and_lists_are_not() -> None:
    columns = set(Contact.__table__.columns.keys())
    assert set(names(ValueKind.SCALAR)) <= columns
    assert not set(names(ValueKind.LIST)) & columns
    assert not set(names(ValueKind.SEPARATE)) & columns


def test_an_import_inserts_every_scalar_field_not_left_empty_on_purpose() -> None:
    columns = set(Contact.__table__.columns.keys())
    assert set(CONTACT_COLUMNS) <= columns
    assert set(LEFT_EMPTY_ON_INSERT) <= set(SCALAR_FIELDS)
    inserted = tuple(name for name in CONTACT_COLUMNS if name in FIELDS_BY_NAME)
    assert inserted == tuple(n for n in SCALAR_FIELDS if n not in LEFT_EMPTY_ON_INSERT)


def test_each_import_column_names_an_import_field_that_writes_its_catalogue_field() -> None:
    for spec in FIELD_CATALOGUE:
        if spec.import_column is not None:
            assert CATALOGUE_FIELDS[ImportField(spec.import_column)] == (spec.name,)
    # Every import field but a consent column and a UID (it finds a contact, it is not
    # stored) writes catalogue fields.
    # A custom field's column writes the run-time field its key names (test_canary_custom_fields).
    assert set(CATALOGUE_FIELDS) == set(ImportField) - {
        ImportField.CONSENT,
        ImportField.UID,
        ImportField.CUSTOM,
    }
    for fields in CATALOGUE_FIELDS.values():
        assert set(fields) <= set(FIELDS_BY_NAME)


def test_each_list_column_is_a_column_of_the_row_and_shows_catalogue_fields() -> None:
    assert list_columns() == ROW_FIELDS
    row_columns = {f.name for f in dataclasses.fields(ContactRow)}
    for column, fields in ROW_FIELDS.items():
        assert column in row_columns, column
        assert fields == tuple(s.name for s in FIELD_CATALOGUE if s.list_column == column)


def test_a_new_catalogue_entry_is_picked_up_by_every_derivation() -> None:
    new = FieldSpec(
        "nickname",
        "Nickname",
        FIELDS_BY_NAME["first_name"].sensitivity,
        FIELDS_BY_NAME["first_name"].purposes,
        exported=True,
        import_merges=True,
        rectifiable=True,
    )
    catalogue = (*FIELD_CATALOGUE, new)
    assert scalar_fields(catalogue) == (*SCALAR_FIELDS, "nickname")
    assert exported_fields(catalogue) == (*EXPORT_FIELDS, "nickname")
    assert import_merged_fields(catalogue) == (*MERGE_FIELDS, "nickname")
    assert rectifiable_fields(catalogue) == (*RECTIFIABLE_FIELDS, "nickname")
    listed = replace(new, value=ValueKind.LIST, import_merges=False, rectifiable=False)
    catalogue = (*FIELD_CATALOGUE, listed)
    assert scalar_fields(catalogue) == SCALAR_FIELDS
    assert exported_fields(catalogue) == (*EXPORT_FIELDS, "nickname")
    assert import_merged_fields(catalogue) == MERGE_FIELDS
    shown = replace(new, list_column="name")
    assert list_columns((*FIELD_CATALOGUE, shown))["name"] == (*ROW_FIELDS["name"], "nickname")
