"""Import files as the tests write them, and the contacts already there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2025, 2, 20))
HEADER = "First Name;Last Name;E-mail Address;Mobile Phone;City;Newsletter"
ROWS = [
    "Zoë;Lefèvre;zoe@example.be;0470 12 34 56;Liège;yes",
    "Jan;Peeters;jan.peeters@example.be;;Gent;no",
    "Marie;Dubois;not an address;;Namur;yes",
    "Piet;Aerts;aerts@example.be;;Antwerpen;",
    "Anna;Claes;forgotten@example.be;;Brugge;",
]


def excel_csv(folder: Path, rows: list[str] = ROWS, name: str = "contacts.csv") -> Path:
    """What Excel writes on a Belgian PC: ';' separators, a BOM, UTF-8."""
    path = folder / name
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8-sig"))
    return path


def existing_and_forgotten(services: Services, owner: Actor) -> None:
    """Piet Aerts is a contact already; whoever had forgotten@ asked to be forgotten."""
    services.contacts.create(
        owner,
        ContactInput(first_name="Piet", last_name="Aerts", emails=("aerts@example.be",)),
        CARD,
    )
    gone = services.contacts.create(
        owner,
        ContactInput(first_name="Anna", last_name="Claes", emails=("forgotten@example.be",)),
        CARD,
    )
    services.erasure.erase(owner, gone, ErasureReason.ERASURE_REQUEST)
