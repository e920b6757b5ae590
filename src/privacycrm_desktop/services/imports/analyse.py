"""The second step of an import: every row read, validated and placed, before (or while)
anything is written.

Every row is converted and validated with the contact editor's rules (in worker
processes for a big file: ``pool``), then checked against the suppression list (salted
hashes of e-mail, E.164 phone and folded name + postcode; a match skips the row) and
against the duplicate keys of the existing contacts (looked up block by block) and of the
rows before it in the file. Depending on the policy a duplicate is skipped, merged or
created anyway; with MERGE a second row of one person in the file fills the first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Container, Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import BindParameter, bindparam, or_, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.contacts import MAX_EMAILS, MAX_PHONES, ContactInput
from privacycrm_desktop.domain.import_formats import (
    DuplicatePolicy,
    ImportField,
    ImportTable,
    RowProblem,
    SkipReason,
)
from privacycrm_desktop.domain.import_rows import ImportedRow, duplicate_keys
from privacycrm_desktop.domain.special_categories import UNCONFIRMED_NOTES
from privacycrm_desktop.domain.suppression import (
    HashKind,
    HeldKey,
    SuppressionReason,
    normalised_variants,
)
from privacycrm_desktop.persistence.contact_writes import chunks
from privacycrm_desktop.persistence.dialect import nocase
from privacycrm_desktop.persistence.models import Contact, ContactEmail, ContactPhone, Suppression
from privacycrm_desktop.services.imports.model import (
    MERGE_FIELDS,
    Analysis,
    ImportPlan,
    NewContact,
    Reporter,
)
from privacycrm_desktop.services.imports.pool import RowChecker, RowPlan, ValidRow
from privacycrm_desktop.services.marketing_facts import get_salt
from privacycrm_desktop.services.special_terms import hit_words, scan_notes

#: Rows read, and looked up in the database, together (and between progress reports).
_BLOCK = 1_000


class Sink(Protocol):
    """Where full chunks of new contacts go while the analysis goes on (``write.BatchRun``)."""

    @property
    def rows_done(self) -> int:
        """Rows written so far, for progress."""

    @property
    def batch_id(self) -> int | None:
        """The batch being written, once started."""

    @property
    def created(self) -> set[int]:
        """The contacts this batch created so far."""

    def ready(self, analysis: Analysis) -> bool:
        """Has the analysis placed a full chunk of new contacts not written yet?"""

    def stream(self, analysis: Analysis) -> None:
        """Write the full chunks of new contacts the analysis has placed so far."""


class SuppressionList:
    """The suppression list loaded once: which rows to skip, and why.

    The same salted hashes as the contact editor's check (``domain.suppression``); the
    keys are normalised already (``duplicate_keys``), so they are hashed as they are.
    """

    def __init__(self, session: Session) -> None:
        self._salt = get_salt(session)
        self._digests: dict[tuple[str, str], str] = {}
        if self._salt is not None:
            self._digests = {
                (kind, digest): reason
                for kind, digest, reason in session.execute(
                    select(Suppression.hash_kind, Suppression.digest, Suppression.reason)
                ).tuples()
            }
        self._kinds = {kind for kind, _digest in self._digests}

    def hashing(self) -> tuple[str, frozenset[str]] | None:
        """The secret and the hash kinds a row's keys are hashed with; None when the list
        is empty (no row is on it), or when the server holds the key (``held_digests``:
        the worker processes cannot ask it)."""
        if not self._digests or self._salt is None or isinstance(self._salt, HeldKey):
            return None
        return self._salt, frozenset(self._kinds)

    def held_digests(self, keys: Iterable[tuple[HashKind, str]]) -> tuple[tuple[str, str], ...]:
        """A row's (kind, digest) pairs asked of the server holding the key; () otherwise."""
        if not self._digests or not isinstance(self._salt, HeldKey):
            return ()
        # Every form the list may hold the point in (sub-address, swapped names).
        wanted: list[tuple[str, str]] = [
            (kind.value, form)
            for kind, key in keys
            if kind.value in self._kinds
            for form in normalised_variants(kind, key)
        ]
        digests = self._salt.digests(wanted)
        return tuple((kind, digest) for (kind, _key), digest in zip(wanted, digests, strict=True))

    def reason(self, digests: Iterable[tuple[str, str]]) -> SkipReason | None:
        """Why a row whose keys hash to *digests* (kind, digest; see ``hashing``) is
        skipped; None when it is not on the list."""
        reasons = {self._digests.get(digest) for digest in digests}
        if SuppressionReason.ERASURE.value in reasons:
            return SkipReason.ERASED
        if SuppressionReason.OBJECTION.value in reasons:
            return SkipReason.OBJECTED
        return None


def analyse(
    session: Session,
    plan: ImportPlan,
    table: ImportTable,
    today: dt.date,
    report: Reporter,
    total_steps: int,
    sink: Sink | None = None,
    result: Analysis | None = None,
) -> Analysis:
    """Read, validate and sort every row: new, merged, skipped or invalid.

    Rows go in blocks: each block's duplicate keys are looked up in the database at
    once (indexed look-ups, not a query per row, and not a million keys in memory).
    With a *sink*, full chunks of new contacts are written as the blocks place them
    (the contacts it created are then no duplicates of the database, but of the file).
    """
    if result is None:
        result = Analysis(total_rows=table.row_count)
    for problem in table.broken:
        result.invalid.append(problem)
        result.invalid_rows += 1
    suppression = SuppressionList(session)
    in_file: dict[tuple[HashKind, str], int] = {}
    row_plan = RowPlan(
        table.headers, plan.mapping, today, suppression.hashing(), plan.default_country
    )
    notes_column = next(
        (
            header
            for header, target in zip(table.headers, plan.mapping, strict=False)
            if target is not None and target.field is ImportField.NOTES
        ),
        "",
    )
    checker = RowChecker(row_plan, table.rows, block=_BLOCK)
    with checker:
        checked_blocks = checker.blocks()
        for start in range(0, len(table.rows), _BLOCK):
            if not report(start + (sink.rows_done if sink else 0), total_steps):
                result.cancelled = True
                return result
            block: list[ValidRow] = []
            for checked in next(checked_blocks):
                if isinstance(checked, list):
                    result.invalid += checked
                    result.invalid_rows += 1
                    continue
                special = special_notes(checked.row, notes_column)
                if special is not None:
                    # Notes that suggest special-category data need a person's review on this
                    # way in too, as in the editor: the row is left out, with its reason.
                    result.invalid.append(special)
                    result.invalid_rows += 1
                    continue
                skip = suppression.reason(checked.digests or suppression.held_digests(checked.keys))
                if skip is not None:
                    result.skipped[skip] += 1
                    continue
                block.append(checked)
            existing = (
                existing_matches(session, block)
                if sink is None
                else existing_matches(session, block, sink.created, sink.batch_id)
            )
            for valid in block:
                placed = len(result.new) + result.merged_rows
                place(result, plan.duplicates, valid, existing, in_file)
                if len(result.new) + result.merged_rows > placed:
                    result.to_check += valid.row.to_check
                    result.defaulted.update(valid.row.defaulted)
            if sink is not None and sink.ready(result):
                # No read snapshot open while a chunk is written: SQLite can then
                # checkpoint the WAL and start it again, instead of growing it.
                session.rollback()
                sink.stream(result)
    report(table.row_count + (sink.rows_done if sink else 0), total_steps)
    return result


def place(
    result: Analysis,
    policy: DuplicatePolicy,
    valid: ValidRow,
    existing: dict[tuple[HashKind, str], int],
    in_file: dict[tuple[HashKind, str], int],
) -> None:
    """Decide one valid row: a new contact, merged, or skipped as a duplicate."""
    row, keys = valid.row, valid.keys
    match = next((existing[k] for k in keys if k in existing), None)
    if match is not None and policy is not DuplicatePolicy.CREATE:
        if policy is DuplicatePolicy.SKIP:
            result.skipped[SkipReason.DUPLICATE] += 1
        else:
            result.merges.setdefault(match, []).append(row)
            result.merged_rows += 1
        return
    number = row.row_number
    earlier = next((in_file[k] for k in keys if k in in_file), None)
    if earlier is not None and policy is not DuplicatePolicy.CREATE:
        if policy is DuplicatePolicy.SKIP:
            result.skipped[SkipReason.DUPLICATE_IN_FILE] += 1
            return
        target = result.new[earlier]
        target.contact = fill(target.contact, row)
        target.prepared = None
        target.consents += [(number, c) for c in row.consents]
        target.merged_rows += 1
        result.merged_rows += 1
        index = earlier
    else:
        result.new.append(
            NewContact(
                number,
                row.contact,
                [(number, c) for c in row.consents],
                prepared=valid.columns,
            )
        )
        index = len(result.new) - 1
    for key in keys:
        in_file.setdefault(key, index)


def fill(contact: ContactInput, row: ImportedRow) -> ContactInput:
    """*contact* with the empty fields filled from *row* and its new points added."""
    changes: dict[str, Any] = {}
    for name in MERGE_FIELDS:
        if name in row.filled and not getattr(contact, name):
            changes[name] = getattr(row.contact, name)
    emails = list(contact.emails)
    for email in row.contact.emails:
        if email.casefold() not in {e.casefold() for e in emails} and len(emails) < MAX_EMAILS:
            emails.append(email)
    phones = list(contact.phones)
    for phone in row.contact.phones:
        if phone not in phones and len(phones) < MAX_PHONES:
            phones.append(phone)
    return dataclasses.replace(contact, emails=tuple(emails), phones=tuple(phones), **changes)


def existing_matches(
    session: Session,
    block: Sequence[ValidRow],
    skip: Container[int] = (),
    batch_id: int | None = None,
) -> dict[tuple[HashKind, str], int]:
    """The stored contacts sharing a duplicate key with the rows of *block*, by key
    (contacts in *skip*, those batch *batch_id* created so far, left out; the name
    look-up leaves them out in SQL already, as they are most of what it would find).

    Three indexed look-ups: e-mail addresses case-insensitively
    (``ix_contact_email_address``, NOCASE), E.164 numbers (``ix_contact_phone_number``),
    and names by their sort key (``ix_contact_sort``), whose postcode then decides.
    """
    wanted = {key for valid in block for key in valid.keys}
    emails = sorted({v for k, v in wanted if k is HashKind.EMAIL})
    phones = sorted({v for k, v in wanted if k is HashKind.PHONE})
    # A row with a name + postcode key has a first or last name: its sort name is theirs.
    names = sorted(
        {
            valid.columns.sort_name
            for valid in block
            if any(k is HashKind.NAME_POSTCODE for k, _v in valid.keys)
        }
    )
    found: dict[tuple[HashKind, str], int] = {}
    conn = session.connection()  # Core: no ORM work for rows that are only read
    # The values as one expanding parameter: no SQL expression is built for each of them.
    values: BindParameter[str] = bindparam("values", expanding=True)
    for part in chunks(emails):
        for address, cid in conn.execute(
            select(ContactEmail.address, ContactEmail.contact_id)
            .where(nocase(ContactEmail.address).in_(values))
            .order_by(ContactEmail.contact_id),
            {"values": part},
        ).tuples():
            if cid not in skip:
                found.setdefault((HashKind.EMAIL, address.strip().casefold()), cid)
    for part in chunks(phones):
        for number, cid in conn.execute(
            select(ContactPhone.number, ContactPhone.contact_id)
            .where(ContactPhone.number.in_(values))
            .order_by(ContactPhone.contact_id),
            {"values": part},
        ).tuples():
            if cid not in skip:
                found.setdefault((HashKind.PHONE, number), cid)
    by_name = select(Contact.id, Contact.first_name, Contact.last_name, Contact.postcode).where(
        Contact.sort_name.in_(values), Contact.postcode != ""
    )
    if batch_id is not None:
        by_name = by_name.where(
            or_(Contact.import_batch_id.is_(None), Contact.import_batch_id != batch_id)
        )
    for part in chunks(names):
        for cid, first, last, postcode in conn.execute(
            by_name.order_by(Contact.id), {"values": part}
        ).tuples():
            if cid in skip:
                continue
            for key in duplicate_keys((), (), first, last, postcode):
                found.setdefault(key, cid)
    return {key: cid for key, cid in found.items() if key in wanted}


def special_notes(row: ImportedRow, column: str) -> RowProblem | None:
    """The row's problem when its notes suggest special-category data."""
    hits = scan_notes(row.contact.notes)
    if not hits:
        return None
    return RowProblem(row.row_number, column, UNCONFIRMED_NOTES, {"words": hit_words(hits)})


__all__ = [
    "Sink",
    "SuppressionList",
    "analyse",
    "existing_matches",
    "fill",
    "place",
    "special_notes",
]
