"""The field catalogue: every personal field, its sensitivity and the purposes needing it.

Persistence has a test that fails when a column holding personal data is missing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.text import N_


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


_CRM = "customer_relationship"
_INVOICING = "invoicing"
_MARKETING = "direct_marketing_consent"
_SOFT = "direct_marketing_soft_opt_in"
_PROSPECTS = "prospect_follow_up"
_ALL = (_CRM, _INVOICING, _MARKETING, _SOFT, _PROSPECTS)

FIELD_CATALOGUE: tuple[FieldSpec, ...] = (
    FieldSpec("kind", N_("Kind"), Sensitivity.NORMAL, _ALL, needs_source=False),
    FieldSpec("first_name", N_("First name"), Sensitivity.NORMAL, _ALL),
    FieldSpec("last_name", N_("Last name"), Sensitivity.NORMAL, _ALL),
    FieldSpec("organisation", N_("Organisation"), Sensitivity.NORMAL, _ALL),
    FieldSpec("emails", N_("E-mail addresses"), Sensitivity.NORMAL, _ALL),
    FieldSpec("phones", N_("Phone numbers"), Sensitivity.NORMAL, (_CRM, _MARKETING, _PROSPECTS)),
    FieldSpec("street", N_("Street and number"), Sensitivity.NORMAL, (_CRM, _INVOICING)),
    FieldSpec("postcode", N_("Postcode"), Sensitivity.NORMAL, (_CRM, _INVOICING)),
    FieldSpec("city", N_("City"), Sensitivity.NORMAL, (_CRM, _INVOICING)),
    FieldSpec("country", N_("Country"), Sensitivity.NORMAL, (_CRM, _INVOICING)),
    FieldSpec("language", N_("Language"), Sensitivity.NORMAL, _ALL),
    FieldSpec("birth_date", N_("Birth date"), Sensitivity.RESTRICTED, (_CRM,)),
    FieldSpec("notes", N_("Notes"), Sensitivity.RESTRICTED, (_CRM, _PROSPECTS)),
    FieldSpec("relationship", N_("Relationship"), Sensitivity.NORMAL, (_CRM, _SOFT)),
    FieldSpec("relationship_start", N_("Relationship since"), Sensitivity.NORMAL, (_CRM, _SOFT)),
    FieldSpec("relationship_end", N_("Relationship until"), Sensitivity.NORMAL, (_CRM, _SOFT)),
    FieldSpec("last_interaction", N_("Last interaction"), Sensitivity.NORMAL, (_CRM, _PROSPECTS)),
    FieldSpec(
        "special_categories", N_("Special-category data"), Sensitivity.SPECIAL_CATEGORY, (_CRM,)
    ),
)

FIELDS_BY_NAME = {spec.name: spec for spec in FIELD_CATALOGUE}

#: Fields whose values carry a source; lists (emails, phones) carry one per value.
SOURCED_FIELDS = tuple(spec.name for spec in FIELD_CATALOGUE if spec.needs_source)
