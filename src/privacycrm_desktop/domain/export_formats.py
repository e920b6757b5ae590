"""Export of contacts to files: the formats and what one exported contact holds.

Pure formatting (no Qt, no SQL): the export service decides which contacts and which of
their fields the user may hand on, and gives each contact as an ``ExportContact`` holding
only those fields; the writers turn them into CSV of a program's profile
(``export_csv``: UTF-8 with BOM, formulas neutralised) or vCard 3.0 or 4.0
(``export_vcard``).

A field the user may not see is not in ``fields``: it has no CSV column and no vCard
property at all, not an empty one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.contacts import ContactKind
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE, exported_fields
from privacycrm_desktop.domain.text import N_


class ExportFormat(StrEnum):
    """The kinds of file contacts can be exported to."""

    CSV = "csv"
    VCARD = "vcard"


EXPORT_FORMAT_LABELS = {
    ExportFormat.CSV: N_("CSV (spreadsheet)"),
    ExportFormat.VCARD: N_("vCard (address book)"),
}
#: The file name ending of each format.
FILE_SUFFIXES = {ExportFormat.CSV: ".csv", ExportFormat.VCARD: ".vcf"}

#: Catalogue fields an export can carry, in the file's order. Relationship dates, the
#: keep-until date and special-category data are ours alone: they are never exported.
EXPORT_FIELDS = exported_fields()
#: The ledger's data category (``domain.purposes.DATA_CATEGORY_LABELS``) of each field.
FIELD_CATEGORIES = {
    spec.name: spec.category for spec in FIELD_CATALOGUE if spec.category is not None
}


def data_categories(
    fields: Sequence[str], extra: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The data categories *fields* belong to, each once, in the ledger's order; *extra*
    gives those of fields outside the fixed catalogue (custom fields)."""
    categories = {**FIELD_CATEGORIES, **(extra or {})}
    found = {categories[f] for f in fields if f in categories}
    order = ("identity", "contact", "address", "notes", "relationship")
    return tuple(c for c in order if c in found)


@dataclass(frozen=True)
class ExportContact:
    """One contact as it is exported: only the fields the user may see are filled.

    Masked values are already masked; a masked or hidden birth date is empty. Phone
    numbers are in E.164 (``+32470123456``), the birth date is ISO (``1931-07-13``).
    """

    id: int
    #: An impersonal address such as info@ is written as vCard ``KIND:org``; None when
    #: the kind is hidden from the user.
    kind: ContactKind | None = None
    first_name: str = ""
    last_name: str = ""
    organisation: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    language: str = ""
    birth_date: str = ""
    notes: str = ""
    #: The names of the contact's tags, in name order.
    tags: tuple[str, ...] = ()
    #: The function and department at the company the person works at now (field
    #: ``company_links``; the company's name is in ``organisation``).
    function: str = ""
    department: str = ""
    #: The contact's UID in this database (``domain.contact_uid``); "" when not given.
    uid: str = ""
    #: Custom fields' values (``domain.custom_fields``): key -> value, masked already.
    custom: tuple[tuple[str, str], ...] = ()
