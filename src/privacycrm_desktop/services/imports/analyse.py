"""The second step of an import: every row read, validated and placed, before (or while)
anything is written.

Every row is converted and validated with the contact editor's rules (in worker
processes for a big file: ``pool``), then checked against the suppression list (salted
hashes of e-mail, E.164 phone and folded name + postcode; a match skips the row) and
against what identifies a person in the existing contacts (looked up block by block) and
in the rows before it in the file (``domain.duplicates``: a key such as an e-mail address
or a mobile number finds a candidate, which is a duplicate only when nothing else of the
two records disagrees; a row of our own export finds its contact by its UID). Depending
on the policy a duplicate is skipped, merged or created anyway; with MERGE a second row of
one person in the file fills the first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import BindParameter, bindparam, or_, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.contacts import MAX_EMAILS, MAX_PHONES, ContactInput
from privacycrm_desktop.domain.duplicates import (
    MatchKey,
    MatchKind,
    Person,
    match_keys,
    name_keys,
    person,
    same_person,
)
from privacycrm_desktop.domain.import_formats import (
    ColumnTarget,
    DuplicatePolicy,
    ImportField,
    ImportTable,
    SkipReason,
)
from privacycrm_desktop.domain.import_rows import ImportedRow
from privacycrm_desktop.domain.import_values import (
    MATCHES_SEVERAL,
    NOTES_LEFT_OUT,
    ValueToCheck,
    month_first,
)
from privacycrm_desktop.domain.suppression import (
    HashKind,
    HeldKey,
    SuppressionReason,
    normalised_variants,
)
from privacycrm_desktop.persistence.bulk_reads import VALUES, rows_in
from privacycrm_desktop.persistence.dialect import nocase
from privacycrm_desktop.persistence.models import Contact, ContactEmail, ContactPhone, Suppression
from privacycrm_desktop.services.contact_uids import ContactUids
from privacycrm_desktop.services.imports.model import (
    ADDRESS_PARTS,
    MERGE_FIELDS,
    Analysis,
    ImportPlan,
    NewContact,
    Reporter,
    completes_address,
)
from privacycrm_desktop.services.imports.pool import RowChecker, RowPlan, ValidRow
from privacycrm_desktop.services.marketing_facts import get_salt
from privacycrm_desktop.services.special_terms import hit_words, scan_notes, term_lists

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
    keys are normalised already (``suppression_points``), so they are hashed as they are.
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
    uids = ContactUids(session)
    in_file = InFile()
    row_plan = RowPlan(
        table.headers,
        plan.mapping,
        today,
        suppression.hashing(),
        plan.default_country,
        term_lists(),
        months_first(table, plan.mapping),
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
                valid = special_notes(checked, plan, notes_column, result)
                skip = suppression.reason(valid.digests or suppression.held_digests(valid.keys))
                if skip is not None:
                    result.skipped[skip] += 1
                    continue
                block.append(valid)
            existing = (
                existing_matches(session, block, uids=uids)
                if sink is None
                else existing_matches(session, block, sink.created, sink.batch_id, uids)
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


@dataclass
class Candidates:
    """Contacts that may be a row's: by key, and each contact's comparable form."""

    by_key: dict[MatchKey, list[int]] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    #: The contacts named by the rows' UIDs (our own export's), by UID.
    by_uid: dict[str, int] = field(default_factory=dict)

    def add(self, key: MatchKey, found: int) -> None:
        """Note that contact (or new row) *found* has *key*."""
        ids = self.by_key.setdefault(key, [])
        if found not in ids:
            ids.append(found)

    def find(self, valid: ValidRow) -> list[int]:
        """The candidates that may be the row's person (``same_person``): the one its UID
        names, else every one found by a key. More than one: the row does not say which."""
        known = self.by_uid.get(valid.uid) if valid.uid else None
        if known is not None and same_person(valid.person, self.people[known], MatchKind.UID):
            return [known]
        found: list[int] = []
        # A candidate is compared once, by the first key that finds it: the answer is the
        # same for every kind but NAME and ORGANISATION, which are stricter and come last.
        seen: set[int] = set()
        mine, people, by_key = valid.person, self.people, self.by_key
        for key in valid.matches:
            kind = key[0]
            for candidate in by_key.get(key, ()):
                if candidate in seen:
                    continue
                seen.add(candidate)
                if same_person(mine, people[candidate], kind):
                    found.append(candidate)
        return found


class InFile(Candidates):
    """The rows placed so far as new contacts, by their keys (index in ``Analysis.new``)."""

    def remember(self, index: int, contact: ContactInput, uid: str) -> None:
        """Note (again, after a merge) what identifies new contact *index*."""
        who = person_of(contact)
        self.people[index] = who
        for key in match_keys(who):
            self.add(key, index)
        if uid:
            self.by_uid.setdefault(uid, index)


def person_of(contact: ContactInput) -> Person:
    """A contact's comparable form (``domain.duplicates``)."""
    return person(
        contact.first_name,
        contact.last_name,
        contact.organisation,
        contact.emails,
        contact.phones,
        contact.postcode,
        contact.city,
        contact.street,
        contact.birth_date,
    )


def place(
    result: Analysis,
    policy: DuplicatePolicy,
    valid: ValidRow,
    existing: Candidates,
    in_file: InFile,
) -> None:
    """Decide one valid row: a new contact, merged, or skipped as a duplicate."""
    row = valid.row
    match = earlier = None
    if policy is not DuplicatePolicy.CREATE:
        stored = existing.find(valid)
        found = stored or in_file.find(valid)
        if len(found) > 1:
            # Two people share what the row holds (a family's e-mail address): merging
            # into either could give one person the other's data.
            result.to_check.append(
                ValueToCheck(row.row_number, "", "", "", MATCHES_SEVERAL, {"count": len(found)})
            )
        elif stored:
            match = stored[0]
        elif found:
            earlier = found[0]
    if match is not None:
        if policy is DuplicatePolicy.SKIP:
            result.skipped[SkipReason.DUPLICATE] += 1
        else:
            result.merges.setdefault(match, []).append(row)
            result.merged_rows += 1
        return
    number = row.row_number
    if earlier is not None:
        if policy is DuplicatePolicy.SKIP:
            result.skipped[SkipReason.DUPLICATE_IN_FILE] += 1
            return
        target = result.new[earlier]
        target.contact = fill(target.contact, row)
        target.prepared = None
        target.consents += [(number, c) for c in row.consents]
        target.tags += row.tags
        # The first row naming a function or department says where the person works.
        placed = target.function or target.department
        target.function = target.function if placed else row.function
        target.department = target.department if placed else row.department
        target.merged_rows += 1
        result.merged_rows += 1
        in_file.remember(earlier, target.contact, valid.uid)
        return
    result.new.append(
        NewContact(
            number,
            row.contact,
            [(number, c) for c in row.consents],
            prepared=valid.columns,
            tags=list(row.tags),
            function=row.function,
            department=row.department,
        )
    )
    if policy is not DuplicatePolicy.CREATE:
        index = len(result.new) - 1
        in_file.people[index] = valid.person
        by_key = in_file.by_key
        for key in valid.matches:
            # A new contact's keys, each once (``match_keys``): no list holds its index yet.
            by_key.setdefault(key, []).append(index)
        if valid.uid:
            in_file.by_uid.setdefault(valid.uid, index)


def fill(contact: ContactInput, row: ImportedRow) -> ContactInput:
    """*contact* with the empty fields filled from *row* and its new points added."""
    changes: dict[str, Any] = {}
    stored = {name: getattr(contact, name) for name in ADDRESS_PARTS}
    other_address = not completes_address(stored, row)
    for name in MERGE_FIELDS:
        if name in ADDRESS_PARTS and other_address:
            continue  # an address is taken whole, and only where it completes the stored one
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


#: The look-ups of ``existing_matches`` and ``stored_people`` (``persistence.bulk_reads``).
_VALUES: BindParameter[Any] = bindparam(VALUES, expanding=True)
_BY_EMAIL = select(ContactEmail.contact_id).where(nocase(ContactEmail.address).in_(_VALUES))
_BY_PHONE = select(ContactPhone.contact_id).where(ContactPhone.number.in_(_VALUES))
_BY_NAME = select(
    Contact.id, Contact.first_name, Contact.last_name, Contact.organisation, Contact.postcode
).where(Contact.sort_name.in_(_VALUES))
#: By name, leaving out the contacts batch "batch" created (most of what it would find).
_BY_NAME_ELSEWHERE = _BY_NAME.where(
    or_(Contact.import_batch_id.is_(None), Contact.import_batch_id != bindparam("batch"))
)
_PEOPLE = select(
    Contact.id,
    Contact.first_name,
    Contact.last_name,
    Contact.organisation,
    Contact.postcode,
    Contact.city,
    Contact.street,
).where(Contact.id.in_(_VALUES))
_PEOPLE_EMAILS = (
    select(ContactEmail.contact_id, ContactEmail.address)
    .where(ContactEmail.contact_id.in_(_VALUES))
    .order_by(ContactEmail.contact_id, ContactEmail.position)
)
_PEOPLE_PHONES = (
    select(ContactPhone.contact_id, ContactPhone.number)
    .where(ContactPhone.contact_id.in_(_VALUES))
    .order_by(ContactPhone.contact_id, ContactPhone.position)
)


def existing_matches(
    session: Session,
    block: Sequence[ValidRow],
    skip: Container[int] = (),
    batch_id: int | None = None,
    uids: ContactUids | None = None,
) -> Candidates:
    """The stored contacts that may be one of the rows of *block*: those sharing a key
    with a row, or named by a row's UID (contacts in *skip*, those batch *batch_id* created
    so far, left out; the name look-up leaves them out in SQL already, as they are most of
    what it would find).

    Indexed look-ups find the candidates: e-mail addresses case-insensitively
    (``ix_contact_email_address``, NOCASE), numbers (``ix_contact_phone_number``), names
    by their sort key (``ix_contact_sort``), UIDs by id. Each candidate is then read whole
    and its keys made as a row's are, so both sides are compared alike.
    """
    wanted = {key for valid in block for key in valid.matches}
    emails = sorted({v for k, v in wanted if k is MatchKind.EMAIL})
    # A number finds a candidate only as a mobile or beside a name: those rows' numbers.
    phones = sorted(
        {
            p
            for valid in block
            if valid.person.name or valid.person.mobiles
            for p in valid.person.phones
            if valid.person.name or p in valid.person.mobiles
        }
    )
    names = sorted(
        {
            valid.columns.sort_name
            for valid in block
            if any(k not in (MatchKind.EMAIL, MatchKind.MOBILE) for k, _v in valid.matches)
        }
    )
    by_uid: dict[str, int] = {}
    if uids is not None:
        for valid in block:
            known = uids.contact_id(valid.uid)
            if known is not None and known not in skip:
                by_uid[valid.uid] = known
    ids: set[int] = set(by_uid.values())
    conn = session.connection()  # Core: no ORM work for rows that are only read
    ids.update(cid for (cid,) in rows_in(conn, _BY_EMAIL, emails))
    ids.update(cid for (cid,) in rows_in(conn, _BY_PHONE, phones))
    # A contact found only by its name shares a key with a row only through its name (the
    # points of every row were looked up above): its name keys come with the look-up, and
    # only a contact with a wanted one is read whole (most namesakes live elsewhere).
    by_name = _BY_NAME if batch_id is None else _BY_NAME_ELSEWHERE
    for cid, first, last, organisation, postcode in rows_in(
        conn, by_name, names, {"batch": batch_id}
    ):
        if cid not in ids and any(
            key in wanted for key in name_keys(first, last, organisation, postcode)
        ):
            ids.add(cid)
    found = Candidates(people=stored_people(session, sorted(i for i in ids if i not in skip)))
    by_uid = {uid: cid for uid, cid in by_uid.items() if cid in found.people}
    found.by_uid = by_uid
    for cid, who in found.people.items():
        for key in match_keys(who):
            if key in wanted:
                found.add(key, cid)
    return found


def stored_people(session: Session, ids: Sequence[int]) -> dict[int, Person]:
    """The comparable form of stored contacts, by id, in id order. The birth date is
    left out: a role that may import need not be allowed to read it (on a server, the
    column is refused to it)."""
    conn = session.connection()
    ids = list(ids)
    rows = {cid: tuple(fields) for cid, *fields in rows_in(conn, _PEOPLE, ids)}
    emails: dict[int, list[str]] = {}
    for cid, address in rows_in(conn, _PEOPLE_EMAILS, ids):
        emails.setdefault(cid, []).append(address)
    phones: dict[int, list[str]] = {}
    for cid, number in rows_in(conn, _PEOPLE_PHONES, ids):
        phones.setdefault(cid, []).append(number)
    return {
        cid: person(
            first,
            last,
            organisation,
            emails.get(cid, ()),
            phones.get(cid, ()),
            postcode,
            city,
            street,
        )
        for cid, (first, last, organisation, postcode, city, street) in sorted(rows.items())
    }


def special_notes(valid: ValidRow, plan: ImportPlan, column: str, result: Analysis) -> ValidRow:
    """*valid* as it may be kept: notes that suggest special-category data are kept only
    when the user confirmed it, as in the editor (rule 10; *result* counts them for the
    audit); otherwise the contact arrives without those lines, each listed to check. The
    notes were scanned where the row was checked (``ValidRow.special``), else here."""
    special = valid.special
    if special is None:
        special = bool(scan_notes(valid.row.contact.notes))
    if not special:
        return valid
    if plan.confirm_special:
        result.special_confirmed += 1
        return valid
    return without_special_notes(valid, column)


def without_special_notes(valid: ValidRow, column: str) -> ValidRow:
    """*valid* without the lines of its notes that suggest special-category data, and a
    value to check per line left out (naming the words found, never the line itself)."""
    row = valid.row
    kept: list[str] = []
    checks: list[ValueToCheck] = []
    for line in row.contact.notes.splitlines():
        hits = scan_notes(line)
        if not hits:
            kept.append(line)
            continue
        words = hit_words(hits)
        checks.append(
            ValueToCheck(row.row_number, column, "notes", words, NOTES_LEFT_OUT, {"words": words})
        )
    notes = "\n".join(kept).strip()
    filled = row.filled if notes else row.filled - {"notes"}
    contact = dataclasses.replace(row.contact, notes=notes)
    return valid._replace(
        row=dataclasses.replace(
            row, contact=contact, filled=filled, to_check=(*row.to_check, *checks)
        )
    )


__all__ = [
    "Candidates",
    "InFile",
    "Sink",
    "SuppressionList",
    "analyse",
    "existing_matches",
    "fill",
    "person_of",
    "place",
    "special_notes",
    "stored_people",
    "without_special_notes",
]


def months_first(table: ImportTable, mapping: Sequence[ColumnTarget | None]) -> bool:
    """Whether the file's birth-date column is written month first, told by all its dates
    together (``import_values.month_first``: "05/06/1980" follows "5/17/1980")."""
    column = next(
        (
            i
            for i, target in enumerate(mapping)
            if target is not None and target.field is ImportField.BIRTH_DATE
        ),
        None,
    )
    if column is None:
        return False
    return month_first(cells[column] for _n, cells in table.rows if column < len(cells))
