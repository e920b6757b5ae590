"""The third step of an import: the batch and its source written, then the contacts in
chunks, each chunk one transaction.

One ``import_batch`` row and one ``source`` row (kind, description, date, purpose, batch)
are written, then the contacts in chunks of ``CHUNK`` rows with bulk inserts
(``persistence.contact_writes``: contacts, e-mails, phones, full-text rows, consent events,
keep-until dates). **Atomicity: each chunk is one transaction**, so a row is written whole
or not at all; a cancel between chunks keeps the chunks already written, which stay one
batch that can be undone. A merge fills only empty fields and adds new addresses and
numbers, each with a ``field_provenance`` row or its own source pointing at the batch's
source; a filled field is never overwritten (counted as a conflict). Every contact written
gets its stored columns from ``domain.contact_columns``, as the editor's do.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from privacycrm_desktop.domain.consent import Channel, ConsentMethod
from privacycrm_desktop.domain.contact_columns import stored_columns
from privacycrm_desktop.domain.contacts import MAX_EMAILS, MAX_PHONES, ContactInput, Relationship
from privacycrm_desktop.domain.import_formats import ImportField, ImportTable
from privacycrm_desktop.domain.import_rows import ImportedRow, RowConsent
from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.retention import KeepUntil, RetentionFacts, RetentionRule, keep_until
from privacycrm_desktop.domain.suppression import name_postcode
from privacycrm_desktop.persistence import search
from privacycrm_desktop.persistence.contact_writes import (
    CONTACT_COLUMNS,
    BulkInserter,
    point_columns,
)
from privacycrm_desktop.persistence.dialect import reserve_contact_ids
from privacycrm_desktop.persistence.job_lock import JobLock
from privacycrm_desktop.persistence.models import (
    Base,
    Contact,
    ContactEmail,
    ContactPhone,
    FieldProvenance,
    ImportBatch,
    Source,
)
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports.behind import WriteBehind
from privacycrm_desktop.services.imports.company_places import put_places
from privacycrm_desktop.services.imports.custom_links import put_custom
from privacycrm_desktop.services.imports.model import (
    ADDRESS_PARTS,
    CANCELLED,
    DONE,
    MERGE_FIELDS,
    RUNNING,
    Analysis,
    ImportPlan,
    NewContact,
    Reporter,
    completes_address,
)
from privacycrm_desktop.services.imports.plan import CheckedPlan
from privacycrm_desktop.services.imports.tag_links import put_tags
from privacycrm_desktop.services.marketing_facts import ensure_salt, point_digest
from privacycrm_desktop.services.retention import recompute

#: Rows per transaction when writing (each commit rewrites the index pages it touched:
#: 10,000 rows take about a second to write, the longest a cancel waits).
CHUNK = 10_000

_T = Base.metadata.tables


def start_batch(
    uow: UnitOfWork,
    actor: Actor,
    plan: ImportPlan,
    table: ImportTable,
    checked: CheckedPlan,
    now: dt.datetime,
    needs_salt: bool,
    lock: JobLock | None = None,
) -> tuple[int, int, str]:
    """Write the batch and its one source; their ids, and the salt consents need."""
    source, purpose_id = checked.source, checked.purpose_id
    assert source.kind is not None
    assert source.obtained_on is not None
    with uow(write=True) as work:
        session = work.session
        batch = ImportBatch(
            file_name=plan.path.name[:300],
            created_at=now,
            created_by=actor.user_id,
            status=RUNNING,
            file_format=table.shape.format.value,
            purpose_id=purpose_id,
            legal_basis=plan.legal_basis,
            total_rows=table.row_count,
        )
        session.add(batch)
        session.flush()
        if lock is not None:
            # Before the batch row is committed: nobody sees it "running" unlocked.
            lock.hold(batch.id)
        source_row = Source(
            kind=source.kind.value,
            description=source.description,
            obtained_on=source.obtained_on,
            entered_by=actor.user_id,
            purpose_id=purpose_id,
            import_batch_id=batch.id,
            created_at=now,
        )
        session.add(source_row)
        session.flush()
        salt = ensure_salt(session) if needs_salt else ""
        return batch.id, source_row.id, salt


class BatchRun:
    """One run's batch: started with its first chunk, then written chunk by chunk, each
    chunk one transaction; it counts what was written."""

    def __init__(
        self,
        uow: UnitOfWork,
        actor: Actor,
        plan: ImportPlan,
        table: ImportTable,
        now: dt.datetime,
        conn: Connection,
        rules: dict[str, RetentionRule],
    ) -> None:
        self._uow = uow
        self._actor = actor
        self._plan = plan
        self._table = table
        self._now = now
        self._conn = conn
        self._rules = rules
        #: The checked plan: source, purpose id, the consent purposes' ids.
        self.checked: CheckedPlan | None = None
        self._writer: Writer | None = None
        #: Tells a later start that this process is alive while it writes the batch.
        self.lock: JobLock | None = None
        self.batch_id: int | None = None
        self.imported = self.merged_rows = self.conflicts = 0
        #: Rows written (new contacts and rows merged into existing ones), for progress.
        self.rows_done = 0
        #: How many of the analysis's new contacts were written while it went on.
        self.handed = 0
        #: Those chunks are written behind the analysis on the server (behind.py).
        self._behind = WriteBehind(conn.dialect.name == "postgresql")

    @property
    def created(self) -> set[int]:
        """The contacts this batch created so far (they are no duplicates "in the database")."""
        return self._writer.created if self._writer is not None else set()

    def start(self, needs_salt: bool) -> None:
        """Write the batch and source rows."""
        assert self.checked is not None
        batch_id, source_id, salt = start_batch(
            self._uow,
            self._actor,
            self._plan,
            self._table,
            self.checked,
            self._now,
            needs_salt,
            self.lock,
        )
        self.batch_id = batch_id
        self._writer = Writer(
            actor=self._actor,
            now=self._now,
            batch_id=batch_id,
            source_id=source_id,
            consent_ids=self.checked.consent_ids,
            salt=salt,
            file_name=self._plan.path.name,
            plain_keep=keep_until(
                RetentionFacts(relationship=Relationship.PROSPECT, collected_on=self._now.date()),
                self._rules,
            ),
        )

    def write(
        self, new: Sequence[NewContact], merges: Sequence[tuple[int, list[ImportedRow]]]
    ) -> None:
        """Write one chunk in one transaction."""
        if self._writer is None:
            self._start_for_plan()
        assert self._writer is not None
        conn = self._conn
        merged_rows = sum(n.merged_rows for n in new) + sum(len(rows) for _cid, rows in merges)
        with conn.begin():
            to_compute = self._writer.create(conn, new)
            merged_ids, conflicts = self._writer.merge(conn, merges)
            recompute(conn, to_compute + merged_ids, self._rules)
            # The batch row counts what each committed chunk wrote, in the chunk's own
            # transaction: a run killed or stopped by a full disk before it could close
            # its batch still leaves the true counts for the next start.
            conn.execute(
                update(ImportBatch)
                .where(ImportBatch.id == self.batch_id)
                .values(
                    imported=ImportBatch.imported + len(new),
                    merged=ImportBatch.merged + merged_rows,
                )
            )
        self.imported += len(new)
        # Rows merged into earlier rows count once their contact is written.
        self.merged_rows += merged_rows
        self.conflicts += conflicts
        self.rows_done += len(new) + sum(len(rows) for _cid, rows in merges)

    def ready(self, analysis: Analysis) -> bool:
        """Has the analysis placed a full chunk of new contacts not written yet?"""
        return len(analysis.new) - self.handed >= CHUNK

    def stream(self, analysis: Analysis) -> None:
        """Write the full chunks of new contacts the analysis has placed so far (only for
        policies that never change a placed contact); on the server behind the analysis,
        ``settle`` waits for the last."""
        while self.ready(analysis):
            if self._writer is None:
                self._start_for_plan()  # in line: the batch row and its lock, then chunks
            chunk = analysis.new[self.handed : self.handed + CHUNK]
            self._behind.run(functools.partial(self.write, chunk, []))
            self.handed += CHUNK

    def _start_for_plan(self) -> None:
        """Start the batch, with the salt where the plan records consents."""
        mapping = self._plan.mapping
        self.start(any(t is not None and t.field is ImportField.CONSENT for t in mapping))

    def settle(self) -> None:
        """Wait for a chunk still being written (its error, if it failed)."""
        self._behind.settle()

    def close(self) -> None:
        """Wait for a chunk still being written, its error left to the caller's own."""
        self._behind.close()


@dataclass
class Writer:
    """Writes chunks of one batch with Core executemany inserts."""

    actor: Actor
    now: dt.datetime
    batch_id: int
    source_id: int
    consent_ids: dict[str, int]
    salt: str
    file_name: str
    #: The keep-until date of a new contact without consents: all such are alike.
    plain_keep: KeepUntil
    #: The ids of the contacts created so far.
    created: set[int] = field(default_factory=set)

    def _value_rows(
        self, cid: int, column: str, values: Sequence[str], start: int, user: int | None
    ) -> list[dict[str, Any]]:
        """Rows of contact_email ("address") or contact_phone ("number") from *start* on."""
        return [
            {
                "contact_id": cid,
                column: value,
                "position": start + offset,
                "source_id": self.source_id,
                "recorded_at": self.now,
                "recorded_by": user,
            }
            for offset, value in enumerate(values)
        ]

    def _consent_rows(
        self, cid: int, contact: ContactInput, consents: Iterable[tuple[int, RowConsent]]
    ) -> list[dict[str, Any]]:
        rows = []
        for number, consent in consents:
            point = first_point(contact, consent.channel)
            rows.append(
                {
                    "contact_id": cid,
                    "purpose_id": self.consent_ids[consent.purpose_code],
                    "channel": consent.channel.value,
                    "status": consent.status.value,
                    "method": ConsentMethod.IMPORTED_RECORD.value,
                    "evidence": f"{self.file_name}, row {number}"[:500],
                    "evidence_file": None,
                    "evidence_file_name": "",
                    "statement_id": None,
                    "product_category": "",
                    "contact_point_hash": point_digest(self.salt, consent.channel, point)
                    if self.salt
                    else "",
                    "recorded_by": self.actor.user_id,
                    "recorded_at": self.now,
                    "expires_on": None,
                }
            )
        return rows

    def create(self, conn: Connection, new: Sequence[NewContact]) -> list[int]:
        """Insert new contacts with their points, index rows and consents.

        Returns the ids whose keep-until date is still to compute (those with consents);
        the others get the date every new prospect without consent gets.
        """
        if not new:
            return []
        plain_until = None if self.plain_keep.open_ended else self.plain_keep.date
        with_consents: list[int] = []
        first_id = reserve_contact_ids(conn, len(new))
        bind = BulkInserter(conn)
        now = bind.datetime(self.now)
        plain_until_value = bind.date(plain_until)
        plain_reason = self.plain_keep.reason
        source_id, batch_id, user = self.source_id, self.batch_id, self.actor.user_id
        contacts: list[tuple[Any, ...]] = []
        emails: list[tuple[Any, ...]] = []
        phones: list[tuple[Any, ...]] = []
        fts: list[dict[str, Any]] = []
        consents: list[dict[str, Any]] = []
        for cid, item in enumerate(new, start=first_id):
            data = item.contact
            columns = item.prepared or stored_columns(data)
            # In the order of CONTACT_COLUMNS (a catalogue field added there needs its
            # value here too: executemany refuses a row of the wrong length).
            contacts.append(
                (
                    cid,
                    data.kind.value,
                    data.first_name,
                    data.last_name,
                    data.organisation,
                    data.street,
                    data.postcode,
                    data.city,
                    data.country,
                    data.language.value,
                    None if data.birth_date is None else bind.date(data.birth_date),
                    data.notes,
                    data.relationship.value,
                    columns.sort_name,
                    columns.primary_email,
                    columns.primary_phone,
                    None if item.consents else plain_until_value,
                    "" if item.consents else plain_reason,
                    source_id,
                    batch_id,
                    user,
                    now,
                    now,
                    1,
                )
            )
            for position, address in enumerate(data.emails):
                emails.append((cid, address, position, source_id, now, user))
            for position, number in enumerate(data.phones):
                phones.append((cid, number, position, source_id, now, user))
            fts.append(search.new_row(cid, columns.search))
            if item.consents:
                consents += self._consent_rows(cid, data, item.consents)
                with_consents.append(cid)
        bind.insert("contact", CONTACT_COLUMNS, contacts)
        self.created.update(range(first_id, first_id + len(new)))
        bind.insert("contact_email", point_columns("address"), emails)
        bind.insert("contact_phone", point_columns("number"), phones)
        search.index_new_rows(conn, fts)
        if consents:
            conn.execute(insert(_T["consent_event"]), consents)
        tagged = [(cid, item.tags) for cid, item in enumerate(new, start=first_id)]
        put_tags(conn, tagged, self.source_id, self.now, self.actor.user_id)
        extra = [(cid, item.contact.extra) for cid, item in enumerate(new, start=first_id)]
        put_custom(conn, extra, self.source_id, self.now, self.actor.user_id)
        placed = [
            (cid, item.contact.organisation, item.function, item.department)
            for cid, item in enumerate(new, start=first_id)
        ]
        put_places(conn, placed, self.source_id, self.now, self.actor.user_id)
        return with_consents

    def merge(
        self, conn: Connection, merges: Sequence[tuple[int, list[ImportedRow]]]
    ) -> tuple[list[int], int]:
        """Fill the empty fields of existing contacts and add their new points.

        Returns the ids of the contacts touched and the number of rows with a value that
        differed from a filled field (left as it was).
        """
        if not merges:
            return [], 0
        ids = [cid for cid, _rows in merges]
        columns = [_T["contact"].c[name] for name in MERGE_FIELDS]
        current = {
            row[0]: row
            for row in conn.execute(
                select(
                    Contact.id,
                    Contact.version,
                    Contact.country,
                    Contact.language,
                    *columns,
                ).where(Contact.id.in_(ids))
            ).tuples()
        }
        points: dict[int, tuple[list[str], list[str]]] = {cid: ([], []) for cid in ids}
        for cid, address in conn.execute(
            select(ContactEmail.contact_id, ContactEmail.address)
            .where(ContactEmail.contact_id.in_(ids))
            .order_by(ContactEmail.contact_id, ContactEmail.position)
        ).tuples():
            points[cid][0].append(address)
        for cid, number in conn.execute(
            select(ContactPhone.contact_id, ContactPhone.number)
            .where(ContactPhone.contact_id.in_(ids))
            .order_by(ContactPhone.contact_id, ContactPhone.position)
        ).tuples():
            points[cid][1].append(number)
        touched: list[int] = []
        conflicts = 0
        user = self.actor.user_id
        for cid, rows in merges:
            row = current.get(cid)
            if row is None:
                continue  # erased meanwhile: nothing to merge into
            values = dict(zip(MERGE_FIELDS, row[4:], strict=True))
            old_emails, old_phones = points[cid]
            emails, phones = list(old_emails), list(old_phones)
            filled, conflicted, consents = merge_rows(values, emails, phones, rows)
            conflicts += conflicted
            new_emails = emails[len(old_emails) :]
            new_phones = phones[len(old_phones) :]
            merged = ContactInput(
                first_name=str(values["first_name"]),
                last_name=str(values["last_name"]),
                organisation=str(values["organisation"]),
                emails=tuple(emails),
                phones=tuple(phones),
                street=str(values["street"]),
                postcode=str(values["postcode"]),
                city=str(values["city"]),
            )
            if filled or new_emails or new_phones:
                touched.append(cid)
                stored = stored_columns(merged)
                conn.execute(
                    update(_T["contact"])
                    .where(_T["contact"].c.id == cid)
                    .values(
                        **{name: values[name] for name in set(filled)},
                        sort_name=stored.sort_name,
                        primary_email=stored.primary_email,
                        primary_phone=stored.primary_phone,
                        updated_at=self.now,
                        version=row[1] + 1,
                    )
                )
                if filled:
                    conn.execute(
                        delete(FieldProvenance).where(
                            FieldProvenance.contact_id == cid,
                            FieldProvenance.field.in_(set(filled)),
                        )
                    )
                    conn.execute(
                        insert(_T["field_provenance"]),
                        [
                            {
                                "contact_id": cid,
                                "field": name,
                                "source_id": self.source_id,
                                "recorded_at": self.now,
                                "recorded_by": user,
                            }
                            for name in sorted(set(filled))
                        ],
                    )
                if new_emails:
                    conn.execute(
                        insert(_T["contact_email"]),
                        self._value_rows(cid, "address", new_emails, len(old_emails), user),
                    )
                if new_phones:
                    conn.execute(
                        insert(_T["contact_phone"]),
                        self._value_rows(cid, "number", new_phones, len(old_phones), user),
                    )
                search.index_rows(conn, [(cid, stored.search)])
            if consents:
                conn.execute(insert(_T["consent_event"]), self._consent_rows(cid, merged, consents))
                if cid not in touched:
                    touched.append(cid)
        tagged = [
            (cid, [n for r in rows for n in r.tags]) for cid, rows in merges if cid in current
        ]
        put_tags(conn, tagged, self.source_id, self.now, user)
        extra = [(cid, r.contact.extra) for cid, rows in merges if cid in current for r in rows]
        put_custom(conn, extra, self.source_id, self.now, user)
        placed = [
            (cid, r.contact.organisation, r.function, r.department)
            for cid, rows in merges
            if cid in current
            for r in rows
        ]
        put_places(conn, placed, self.source_id, self.now, user)
        return touched, conflicts


def merge_rows(
    values: dict[str, Any], emails: list[str], phones: list[str], rows: Sequence[ImportedRow]
) -> tuple[list[str], int, list[tuple[int, RowConsent]]]:
    """Merge *rows* into a contact's *values* and points (changed in place): empty fields
    are filled (the address only whole, where it completes the stored one), new points
    added up to the limits, filled fields never overwritten.

    Returns the fields filled, the number of rows with a differing value, and the rows'
    consents.
    """
    filled: list[str] = []
    conflicts = 0
    consents: list[tuple[int, RowConsent]] = []
    for imported in rows:
        conflict = False
        # An address is taken whole, and only where it completes the stored one.
        other_address = not completes_address(values, imported)
        for name in MERGE_FIELDS:
            if name not in imported.filled:
                continue
            new_value = getattr(imported.contact, name)
            if name in ADDRESS_PARTS and other_address:
                conflict |= bool(new_value)
            elif not values[name]:
                values[name] = new_value
                filled.append(name)
            elif differs(values[name], new_value):
                conflict = True
        known = {e.casefold() for e in emails}
        for email in imported.contact.emails:
            if email.casefold() not in known:
                conflict |= len(emails) >= MAX_EMAILS
                if len(emails) < MAX_EMAILS:
                    emails.append(email)
                    known.add(email.casefold())
        for phone in imported.contact.phones:
            if phone not in phones:
                conflict |= len(phones) >= MAX_PHONES
                if len(phones) < MAX_PHONES:
                    phones.append(phone)
        conflicts += conflict
        consents += [(imported.row_number, c) for c in imported.consents]
    return filled, conflicts, consents


def differs(old: object, new: object) -> bool:
    """Do a stored and an imported value differ (text compared folded)?"""
    if isinstance(old, str) and isinstance(new, str):
        return fold(old) != fold(new)
    return old != new


def first_point(contact: ContactInput, channel: Channel) -> str:
    """The contact point a consent on *channel* is about (its suppression key)."""
    if channel is Channel.EMAIL:
        return contact.emails[0] if contact.emails else ""
    if channel in (Channel.PHONE, Channel.SMS):
        return contact.phones[0] if contact.phones else ""
    return name_postcode(contact.first_name, contact.last_name, contact.postcode)


def write_rest(batch: BatchRun, analysis: Analysis, report: Reporter, steps: int) -> str:
    """Write what the analysis left to write, chunk by chunk; the batch's status."""
    batch.settle()
    if batch.batch_id is None:
        return DONE  # nothing to write
    merge_items = list(analysis.merges.items())
    work: list[tuple[list[NewContact], list[tuple[int, list[ImportedRow]]]]] = []
    for start in range(batch.handed, len(analysis.new), CHUNK):
        work.append((analysis.new[start : start + CHUNK], []))
    for start in range(0, len(merge_items), CHUNK):
        work.append(([], merge_items[start : start + CHUNK]))
    for new, merges in work:
        if not report(analysis.total_rows + batch.rows_done, steps):
            return CANCELLED
        batch.write(new, merges)
    return DONE


__all__ = ["CHUNK", "BatchRun", "Writer", "start_batch", "write_rest"]
