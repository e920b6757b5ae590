"""Every writer of a contact stores the same derived columns for the same values.

The sort name, the primary e-mail and phone, and the full-text row are derived from a
contact's values (``domain.contact_columns``). The editor's create and save, an import's
new contacts and merges (and the undo of a merge), and the demo data must all store the
same for the same contact: the list and the search would otherwise find a person one way
in and not another.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from privacycrm_desktop.domain.contact_columns import phone_tokens, stored_columns
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind
from privacycrm_desktop.domain.import_formats import DuplicatePolicy
from privacycrm_desktop.domain.normalize import phone_search_tokens
from privacycrm_desktop.domain.suppression import suppression_points
from privacycrm_desktop.persistence.models import Contact, ContactEmail, ContactPhone
from privacycrm_desktop.services.demo import generate_chunks
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

from .test_imports import SOURCE, plan_for

COUNT, SEED = 60, 11
HEADERS = (
    "First Name",
    "Last Name",
    "Company",
    "E-mail Address",
    "Mobile Phone",
    "Business Street",
    "Business Postal Code",
    "Business City",
)
VALUES = ("first_name", "last_name", "organisation", "street", "postcode", "city")


def demo_values() -> list[tuple[int, ContactInput]]:
    """The demo generator's contacts (its pure row builder), as (position, values); only
    those whose duplicate keys no other has, so an import places each on its own."""
    rows = [
        row
        for chunk in generate_chunks(COUNT, SEED, 1, [1] * 12 * 8, None, dt.datetime(2026, 3, 2))
        for row in chunk.contacts
    ]
    seen: dict[object, int] = {}
    contacts = []
    for position, row in enumerate(rows):
        data = ContactInput(
            kind=ContactKind(row["kind"]),
            first_name=row["first_name"],
            last_name=row["last_name"],
            organisation=row["organisation"],
            emails=(row["primary_email"],) if row["primary_email"] else (),
            phones=(row["primary_phone"],) if row["primary_phone"] else (),
            street=row["street"],
            postcode=row["postcode"],
            city=row["city"],
        )
        keys = suppression_points(
            data.emails, data.phones, data.first_name, data.last_name, data.postcode
        )
        for key in keys:
            seen[key] = seen.get(key, 0) + 1
        contacts.append((position, data, keys))
    return [(p, data) for p, data, keys in contacts if all(seen[k] == 1 for k in keys)]


def stored(svc: Services, contact_id: int) -> dict[str, Any]:
    """What is stored of a contact: its values, points, derived columns and index row."""
    with svc.contacts._uow() as uow:
        session = uow.session
        contact = session.get(Contact, contact_id)
        assert contact is not None
        emails = session.scalars(
            select(ContactEmail.address)
            .where(ContactEmail.contact_id == contact_id)
            .order_by(ContactEmail.position)
        ).all()
        phones = session.scalars(
            select(ContactPhone.number)
            .where(ContactPhone.contact_id == contact_id)
            .order_by(ContactPhone.position)
        ).all()
        index = session.execute(
            text(
                "SELECT name, organisation, emails, phones, place FROM contact_fts "
                "WHERE rowid = :id"
            ),
            {"id": contact_id},
        ).all()
        return {
            **{name: getattr(contact, name) for name in VALUES},
            "emails": tuple(emails),
            "phones": tuple(phones),
            "sort_name": contact.sort_name,
            "primary_email": contact.primary_email,
            "primary_phone": contact.primary_phone,
            "index": [tuple(row) for row in index],
        }


def csv_file(tmp_path: Path, name: str, contacts: list[ContactInput]) -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADERS)
        for data in contacts:
            writer.writerow(
                (
                    data.first_name,
                    data.last_name,
                    data.organisation,
                    data.emails[0] if data.emails else "",
                    data.phones[0] if data.phones else "",
                    data.street,
                    data.postcode,
                    data.city,
                )
            )
    return path


def batch_contacts(svc: Services, batch_id: int) -> list[int]:
    with svc.contacts._uow() as uow:
        return list(
            uow.session.scalars(
                select(Contact.id).where(Contact.import_batch_id == batch_id).order_by(Contact.id)
            )
        )


@pytest.mark.slow
def test_every_writer_stores_the_same_columns_for_the_same_contact(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    values = demo_values()
    assert len(values) > COUNT // 2
    contacts = [data for _position, data in values]
    by_writer: dict[str, list[dict[str, Any]]] = {}

    # An import merging into contacts that held only the last name (or the organisation
    # of an info@ address) and the e-mail address (or, without one, the phone number) of
    # each; the undo of that merge puts them back.
    seeds = [
        svc.contacts.create(
            owner,
            ContactInput(
                kind=data.kind,
                last_name=data.last_name,
                organisation="" if data.last_name else data.organisation,
                emails=data.emails,
                phones=() if data.emails else data.phones,
            ),
            SOURCE,
        )
        for data in contacts
        if data.emails or data.phones
    ]
    before_merge = [stored(svc, cid) for cid in seeds]
    merged = svc.imports.run(
        owner,
        plan_for(svc, owner, csv_file(tmp_path, "merge.csv", contacts), DuplicatePolicy.MERGE),
    )
    assert merged.merged == len(seeds)
    assert merged.batch_id is not None
    merge_created = iter(batch_contacts(svc, merged.batch_id))
    seed_ids = iter(seeds)
    by_writer["import merge"] = [
        stored(svc, next(seed_ids) if data.emails or data.phones else next(merge_created))
        for data in contacts
    ]
    svc.imports.undo(owner, merged.batch_id)
    assert [stored(svc, cid) for cid in seeds] == before_merge

    # An import creating every row (duplicates of the contacts above or not).
    created = svc.imports.run(
        owner,
        plan_for(svc, owner, csv_file(tmp_path, "create.csv", contacts), DuplicatePolicy.CREATE),
    )
    assert created.batch_id is not None
    ids = batch_contacts(svc, created.batch_id)
    assert len(ids) == len(contacts)
    by_writer["import create"] = [stored(svc, cid) for cid in ids]

    # The editor: a new contact, and a contact saved with these values.
    by_writer["editor create"] = [
        stored(svc, svc.contacts.create(owner, data, SOURCE)) for data in contacts
    ]
    saved = []
    for data in contacts:
        cid = svc.contacts.create(owner, ContactInput(last_name="Placeholder"), SOURCE)
        svc.contacts.update(owner, cid, 1, data, SOURCE)
        saved.append(stored(svc, cid))
    by_writer["editor save"] = saved

    # The demo data: the same generator, the same seed, in this database.
    with svc.contacts._uow() as uow:
        last_id = uow.session.scalar(select(Contact.id).order_by(Contact.id.desc()).limit(1))
    assert svc.demo.generate(owner, COUNT, seed=SEED) == COUNT
    with svc.contacts._uow() as uow:
        demo_ids = list(
            uow.session.scalars(select(Contact.id).where(Contact.id > last_id).order_by(Contact.id))
        )
    by_writer["demo"] = [stored(svc, demo_ids[position]) for position, _data in values]

    reference = by_writer.pop("editor create")
    for data, row in zip(contacts, reference, strict=True):
        columns = stored_columns(data)
        assert (row["sort_name"], row["primary_email"], row["primary_phone"]) == columns[:3]
        assert len(row["index"]) == 1
    for writer, rows in by_writer.items():
        assert rows == reference, writer


def test_belgian_numbers_are_indexed_as_the_phone_library_formats_them() -> None:
    # The shortcut every writer uses for +32 numbers gives the library's digits.
    for number in ("+32475123456", "+3292231122", "+3225551234", "+3278151515", "+3280012345"):
        assert phone_tokens(number) == phone_search_tokens(number)
    assert phone_tokens("+33612345678") == phone_search_tokens("+33612345678")
