"""The search index's rows made again from the contacts' stored values.

What a repair of the index (services/storage_repair.py) and a migration that changes how
the index spells words (0033) both need: each contact's row as ``search_text`` makes it
from the contact, e-mail and phone tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.contact_columns import search_text
from privacycrm_desktop.persistence import search
from privacycrm_desktop.persistence.models import Contact, ContactEmail, ContactPhone


def _grouped(rows: Iterable[tuple[int, str]]) -> dict[int, list[str]]:
    return {cid: [str(v) for _c, v in group] for cid, group in groupby(rows, lambda r: r[0])}


def rows_of(conn: Connection | Session, ids: list[int]) -> Iterable[dict[str, object]]:
    """The search index rows of the contacts *ids*, made from their stored values
    (``search.index_new_rows`` takes them)."""
    emails = _grouped(
        conn.execute(
            select(ContactEmail.contact_id, ContactEmail.address)
            .where(ContactEmail.contact_id.in_(ids))
            .order_by(ContactEmail.contact_id, ContactEmail.position)
        ).tuples()
    )
    phones = _grouped(
        conn.execute(
            select(ContactPhone.contact_id, ContactPhone.number)
            .where(ContactPhone.contact_id.in_(ids))
            .order_by(ContactPhone.contact_id, ContactPhone.position)
        ).tuples()
    )
    contacts = conn.execute(
        select(
            Contact.id,
            Contact.first_name,
            Contact.last_name,
            Contact.organisation,
            Contact.street,
            Contact.postcode,
            Contact.city,
        ).where(Contact.id.in_(ids))
    ).tuples()
    for cid, first, last, org, street, postcode, city in contacts:
        yield search.new_row(
            cid,
            search_text(
                first,
                last,
                org,
                emails.get(cid, []),
                phones.get(cid, []),
                street,
                postcode,
                city,
            ),
        )
