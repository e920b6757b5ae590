"""The columns stored beside a contact's own values, derived from them: never typed.

A contact row keeps its sort key (``sort_name``), its first e-mail address and phone
number (``primary_email``, ``primary_phone``: the list shows them without reading the
point tables) and one full-text row. Every way a contact is written (the editor's create
and save, an import's new contacts and merges, the undo of a merge, the demo data, the
search-index repair) derives them here, so a contact looks the same in the list and in a
search whichever way it came in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.normalize import phone_search_tokens, sort_name
from privacycrm_desktop.domain.search_letters import spell_out


class SearchText(NamedTuple):
    """A contact's full-text row: the columns of ``persistence.search.FTS_COLUMNS``."""

    name: str
    organisation: str
    emails: str
    phones: str
    place: str


class StoredColumns(NamedTuple):
    """What a writer stores besides the values: the list's keys and the full-text row."""

    sort_name: str
    primary_email: str
    primary_phone: str
    search: SearchText


def phone_tokens(e164: str) -> str:
    """``normalize.phone_search_tokens`` without parsing Belgian numbers again: their
    national form is the trunk prefix 0 and the digits after +32 (the same text for every
    valid Belgian number, and parsing is most of the cost of indexing 100,000 contacts)."""
    if e164.startswith("+32"):
        return f"{e164[1:]} 0{e164[3:]}"
    return phone_search_tokens(e164)


def search_text(
    first_name: str,
    last_name: str,
    organisation: str,
    emails: Sequence[str],
    phones: Sequence[str],
    street: str,
    postcode: str,
    city: str,
) -> SearchText:
    """The full-text row of a contact's values (phones in both their forms), letters
    Unicode does not decompose spelled out ("Straße" as "Strasse": ``search_letters``)."""
    return SearchText(
        spell_out(f"{first_name} {last_name}".strip()),
        spell_out(organisation),
        spell_out(" ".join(emails)),
        " ".join(phone_tokens(p) for p in phones),
        spell_out(f"{street} {postcode} {city}".strip()),
    )


def stored_columns(data: ContactInput) -> StoredColumns:
    """The sort key, primary e-mail and phone, and full-text row of a validated contact."""
    return columns_of(
        data.first_name,
        data.last_name,
        data.organisation,
        data.emails,
        data.phones,
        data.street,
        data.postcode,
        data.city,
    )


def columns_of(
    first_name: str,
    last_name: str,
    organisation: str,
    emails: Sequence[str],
    phones: Sequence[str],
    street: str,
    postcode: str,
    city: str,
) -> StoredColumns:
    """``stored_columns`` from the values themselves: for writers of many rows (the demo
    data), which would otherwise build a ``ContactInput`` per row only to read it back."""
    return StoredColumns(
        sort_name(last_name, first_name, organisation),
        emails[0] if emails else "",
        phones[0] if phones else "",
        search_text(first_name, last_name, organisation, emails, phones, street, postcode, city),
    )


__all__ = [
    "SearchText",
    "StoredColumns",
    "columns_of",
    "phone_tokens",
    "search_text",
    "stored_columns",
]
