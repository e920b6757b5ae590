"""The field catalogue: every personal field, its sensitivity and the purposes needing it.

The catalogue's order is the editor's order. The field lists other modules use (the scalar
fields, the exported ones and their ledger categories, those an import merges or fills from
a column, those a data subject may have rectified, the contact list's columns) are derived
from it, most by the functions below, so that a new field is one entry here rather than an
edit in each list (docs/architecture.md, "The field catalogue", names them). Persistence
has a test that fails when a column holding personal data is missing here;
``tests/unit/domain/test_field_catalogue.py`` checks the derived lists against the
catalogue, ``ContactInput`` and the ``Contact`` model.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.text import N_


class ValueKind(StrEnum):
    """How a field's value is held."""

    #: One value, one column of the contact row.
    SCALAR = "scalar"
    #: Several values, one row each (e-mail addresses, phone numbers).
    LIST = "list"
    #: Kept apart from the contact's values, with its own rules (special categories).
    SEPARATE = "separate"
    #: A custom field the owner defined (``domain.custom_fields``), one row per value.
    CUSTOM = "custom"


#: The prefix of a custom field's name in the catalogue (``domain.custom_fields``).
CUSTOM_PREFIX = "cf_"


class Sensitivity(StrEnum):
    """How carefully a field is guarded."""

    NORMAL = "normal"
    RESTRICTED = "restricted"
    SPECIAL_CATEGORY = "special_category"


@dataclass(frozen=True)
class FieldSpec:
    """One personal field of a contact."""

    name: str
    label: str
    sensitivity: Sensitivity
    purposes: tuple[str, ...]
    needs_source: bool = True
    value: ValueKind = ValueKind.SCALAR
    #: An export (CSV, vCard) may carry it to someone else.
    exported: bool = False
    #: An import may fill it in on an existing contact it matches.
    import_merges: bool = False
    #: A data subject's rectification request may correct it here.
    rectifiable: bool = False
    #: Its data category in the disclosure ledger (``domain.purposes.DATA_CATEGORY_LABELS``),
    #: for a field an export carries.
    category: str | None = None
    #: The contact list's column showing it (several fields may share one), if any.
    list_column: str | None = None
    #: The import column (``domain.import_formats.ImportField`` value) that fills it, if any.
    import_column: str | None = None
    #: The list's search box finds it (custom fields the owner marks searchable).
    searchable: bool = False
    #: The owner's translations of a custom field's label: (language, label) pairs.
    labels: tuple[tuple[str, str], ...] = ()


_CRM = "customer_relationship"
_INVOICING = "invoicing"
_MARKETING = "direct_marketing_consent"
_SOFT = "direct_marketing_soft_opt_in"
_PROSPECTS = "prospect_follow_up"
_ALL = (_CRM, _INVOICING, _MARKETING, _SOFT, _PROSPECTS)

# Exported: relationship dates and special-category data are ours alone, never exported,
# and the kind is not a field of the file. Rectification covers the text values; lists and
# dates are corrected in the editor. An import merges the text values and the birth date.
_LIST = ValueKind.LIST

FIELD_CATALOGUE: tuple[FieldSpec, ...] = (
    FieldSpec("kind", N_("Kind"), Sensitivity.NORMAL, _ALL, needs_source=False),
    FieldSpec(
        "first_name",
        N_("First name"),
        Sensitivity.NORMAL,
        _ALL,
        exported=True,
        import_merges=True,
        rectifiable=True,
        import_column="first_name",
        category="identity",
        list_column="name",
    ),
    FieldSpec(
        "last_name",
        N_("Last name"),
        Sensitivity.NORMAL,
        _ALL,
        exported=True,
        import_merges=True,
        rectifiable=True,
        import_column="last_name",
        category="identity",
        list_column="name",
    ),
    FieldSpec(
        "organisation",
        N_("Organisation"),
        Sensitivity.NORMAL,
        _ALL,
        exported=True,
        import_merges=True,
        rectifiable=True,
        import_column="organisation",
        category="identity",
        list_column="organisation",
    ),
    FieldSpec(
        "emails",
        N_("E-mail addresses"),
        Sensitivity.NORMAL,
        _ALL,
        value=_LIST,
        exported=True,
        import_column="email",
        category="contact",
        list_column="email",
    ),
    FieldSpec(
        "phones",
        N_("Phone numbers"),
        Sensitivity.NORMAL,
        (_CRM, _MARKETING, _PROSPECTS),
        value=_LIST,
        exported=True,
        import_column="phone",
        category="contact",
        list_column="phone",
    ),
    FieldSpec(
        "street",
        N_("Street and number"),
        Sensitivity.NORMAL,
        (_CRM, _INVOICING),
        exported=True,
        import_merges=True,
        rectifiable=True,
        import_column="street",
        category="address",
    ),
    FieldSpec(
        "postcode",
        N_("Postcode"),
        Sensitivity.NORMAL,
        (_CRM, _INVOICING),
        exported=True,
        import_merges=True,
        rectifiable=True,
        import_column="postcode",
        category="address",
    ),
    FieldSpec(
        "city",
        N_("City"),
        Sensitivity.NORMAL,
        (_CRM, _INVOICING),
        exported=True,
        import_merges=True,
        rectifiable=True,
        import_column="city",
        category="address",
        list_column="city",
    ),
    FieldSpec(
        "country",
        N_("Country"),
        Sensitivity.NORMAL,
        (_CRM, _INVOICING),
        exported=True,
        import_column="country",
        category="address",
    ),
    FieldSpec(
        "language",
        N_("Language"),
        Sensitivity.NORMAL,
        _ALL,
        exported=True,
        import_column="language",
        category="identity",
    ),
    FieldSpec(
        "birth_date",
        N_("Birth date"),
        Sensitivity.RESTRICTED,
        (_CRM,),
        exported=True,
        import_merges=True,
        import_column="birth_date",
        category="identity",
    ),
    FieldSpec(
        "notes",
        N_("Notes"),
        Sensitivity.RESTRICTED,
        (_CRM, _PROSPECTS),
        exported=True,
        import_merges=True,
        rectifiable=True,
        import_column="notes",
        category="notes",
    ),
    FieldSpec(
        "relationship",
        N_("Relationship"),
        Sensitivity.NORMAL,
        (_CRM, _SOFT),
        list_column="relationship",
    ),
    FieldSpec("relationship_start", N_("Relationship since"), Sensitivity.NORMAL, (_CRM, _SOFT)),
    FieldSpec("relationship_end", N_("Relationship until"), Sensitivity.NORMAL, (_CRM, _SOFT)),
    FieldSpec("last_interaction", N_("Last interaction"), Sensitivity.NORMAL, (_CRM, _PROSPECTS)),
    # The contact's tags (their own table): the business's labels, yet about the person.
    FieldSpec(
        "tags",
        N_("Tags"),
        Sensitivity.NORMAL,
        _ALL,
        needs_source=False,
        value=ValueKind.SEPARATE,
        exported=True,
        import_column="tags",
        category="relationship",
    ),
    FieldSpec(
        "special_categories",
        N_("Special-category data"),
        Sensitivity.SPECIAL_CATEGORY,
        (_CRM,),
        value=ValueKind.SEPARATE,
    ),
    # The companies a person works (or worked) at, with function and department: kept
    # apart (company_link rows); the company's own values are a legal entity's.
    FieldSpec(
        "company_links",
        N_("Companies and functions"),
        Sensitivity.NORMAL,
        (_CRM, _INVOICING, _PROSPECTS),
        value=ValueKind.SEPARATE,
        # An export carries the current place: the company's name (under the
        # organisation's column), the function and the department.
        exported=True,
        category="identity",
    ),
    # Interactions (their own table): kind, date and summary of each call, meeting, e-mail,
    # letter, visit or note; their details and attached files are guarded more closely, so
    # the owner can let a desk log a call without reading the notes of others.
    FieldSpec(
        "activities",
        N_("Interactions"),
        Sensitivity.NORMAL,
        (_CRM, _PROSPECTS),
        needs_source=False,
        value=ValueKind.SEPARATE,
    ),
    FieldSpec(
        "activity_details",
        N_("Interaction details and attachments"),
        Sensitivity.RESTRICTED,
        (_CRM, _PROSPECTS),
        needs_source=False,
        value=ValueKind.SEPARATE,
    ),
    # Tasks and follow-ups about the person (their own table, persistence/task_models.py):
    # title and details are what staff wrote about them; who made the task and when, and
    # its origin, are their provenance (no source of their own). They go with the person.
    FieldSpec(
        "tasks",
        N_("Tasks and follow-ups"),
        Sensitivity.NORMAL,
        (_CRM, _PROSPECTS),
        needs_source=False,
        value=ValueKind.SEPARATE,
    ),
)

FIELDS_BY_NAME = {spec.name: spec for spec in FIELD_CATALOGUE}

#: Fields whose values carry a source; lists (emails, phones) carry one per value.
SOURCED_FIELDS = tuple(spec.name for spec in FIELD_CATALOGUE if spec.needs_source)


def scalar_fields(catalogue: tuple[FieldSpec, ...] = FIELD_CATALOGUE) -> tuple[str, ...]:
    """The fields held as one column of the contact row, in the catalogue's order."""
    return tuple(spec.name for spec in catalogue if spec.value is ValueKind.SCALAR)


def exported_fields(catalogue: tuple[FieldSpec, ...] = FIELD_CATALOGUE) -> tuple[str, ...]:
    """The fields an export can carry, in the catalogue's order (the file's order)."""
    return tuple(spec.name for spec in catalogue if spec.exported)


def import_merged_fields(catalogue: tuple[FieldSpec, ...] = FIELD_CATALOGUE) -> tuple[str, ...]:
    """The fields an import fills in on a contact it matches, in the catalogue's order."""
    return tuple(spec.name for spec in catalogue if spec.import_merges)


def rectifiable_fields(catalogue: tuple[FieldSpec, ...] = FIELD_CATALOGUE) -> tuple[str, ...]:
    """The fields a rectification request may correct, in the catalogue's order."""
    return tuple(spec.name for spec in catalogue if spec.rectifiable)


def list_columns(catalogue: tuple[FieldSpec, ...] = FIELD_CATALOGUE) -> dict[str, tuple[str, ...]]:
    """Each contact-list column and the fields it shows, both in the catalogue's order."""
    columns: dict[str, tuple[str, ...]] = {}
    for spec in catalogue:
        if spec.list_column is not None:
            columns[spec.list_column] = (*columns.get(spec.list_column, ()), spec.name)
    return columns
