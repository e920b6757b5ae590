"""Import of contacts from CSV and vCard files (issue 7).

How a run goes:

1. The plan is checked (source, purpose, legal basis, consent columns) and the file read
   into a table (``domain.import_files``; the table of a preview or check of the same
   bytes is used again); nothing is written yet.
2. Every row is converted and validated with the contact editor's rules
   (``domain.import_rows.read_row``), then checked against the suppression list (salted
   hashes of e-mail, E.164 phone and folded name + postcode; a match skips the row) and
   against the duplicate keys of the existing contacts (looked up block by block) and of
   the rows before it in the file. Depending on the policy a duplicate is skipped, merged
   or created anyway; with MERGE a second row of one person in the file fills the first.
   A file of ``pool.POOL_MIN_ROWS`` rows or more is validated by worker processes
   (``services.imports.pool``, one per core); the rows come back in file order and every
   decision stays here, so the outcome is the same as in this process.
3. One ``import_batch`` row and one ``source`` row (kind, description, date, purpose,
   batch) are written, then the contacts in chunks of ``CHUNK`` rows with executemany
   inserts (contacts, e-mails, phones, full-text rows, consent events, keep-until dates).
   **Atomicity: each chunk is one transaction**, so a row is written whole or not at all;
   a cancel between chunks keeps the chunks already written, which stay one batch that
   can be undone. A merge fills only empty fields and adds new addresses and numbers,
   each with a ``field_provenance`` row or its own source pointing at the batch's source;
   a filled field is never overwritten (counted as a conflict). With the workers and a
   policy that never changes a placed contact (SKIP, CREATE), full chunks are written
   while the workers still validate (the batch starts with the first chunk; a contact it
   created counts as a duplicate in the file, not in the database); with MERGE, and for
   small files, writing starts after the last row.
4. The batch gets its counts and one audit event ("import.run"), counts only.

Undo removes the batch's contacts and what it merged into others, unless any of them was
edited since (its version or ``updated_at`` moved, or a consent, hold, request or
special-category datum was added by hand): then it is refused with the number edited.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import functools
import gc
import hashlib
import operator
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    Connection,
    Engine,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, has_permission, require
from privacycrm_desktop.domain.consent import Channel, ConsentMethod
from privacycrm_desktop.domain.contacts import (
    MAX_EMAILS,
    MAX_PHONES,
    ContactInput,
    Relationship,
)
from privacycrm_desktop.domain.csv_cells import neutralise
from privacycrm_desktop.domain.errors import (
    FieldProblem,
    ImportFileUnreadable,
    ImportPartlySaved,
    ImportPlanInvalid,
    ImportUndoRefused,
    NotFound,
    SourceMissing,
    StorageError,
    StorageFull,
    ValidationFailed,
)
from privacycrm_desktop.domain.import_files import check_size, detect_shape, read_table
from privacycrm_desktop.domain.import_formats import (
    PREVIEW_ROWS,
    ColumnTarget,
    DuplicatePolicy,
    FileShape,
    ImportField,
    ImportTable,
    RowProblem,
    SkipReason,
)
from privacycrm_desktop.domain.import_rows import (
    ImportedRow,
    RowConsent,
    duplicate_keys,
    guess_mapping,
    is_consent_header,
)
from privacycrm_desktop.domain.normalize import fold, sort_name
from privacycrm_desktop.domain.provenance import SourceInput, validate_source
from privacycrm_desktop.domain.purposes import LegalBasis
from privacycrm_desktop.domain.retention import (
    KeepUntil,
    RetentionFacts,
    RetentionRule,
    keep_until,
)
from privacycrm_desktop.domain.special_categories import UNCONFIRMED_NOTES
from privacycrm_desktop.domain.suppression import (
    HashKind,
    HeldKey,
    SuppressionReason,
    normalised_variants,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import search
from privacycrm_desktop.persistence.database import checkpoint
from privacycrm_desktop.persistence.dialect import nocase, reserve_contact_ids
from privacycrm_desktop.persistence.job_lock import JobLock, is_alive
from privacycrm_desktop.persistence.models import (
    Base,
    ConsentEvent,
    Contact,
    ContactEmail,
    ContactPhone,
    FieldProvenance,
    ImportBatch,
    Purpose,
    RequestContact,
    RetentionHold,
    Source,
    SpecialCategoryDatum,
    Suppression,
    User,
)
from privacycrm_desktop.persistence.storage_errors import storage_error
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.erasure import finish_erasure
from privacycrm_desktop.services.imports.pool import (
    RowChecker,
    RowPlan,
    ValidRow,
    fts_texts,
    worker_count,
)
from privacycrm_desktop.services.marketing_facts import ensure_salt, get_salt, point_digest
from privacycrm_desktop.services.private_files import private_text
from privacycrm_desktop.services.retention import recompute, stored_rules
from privacycrm_desktop.services.special_terms import hit_words, scan_notes

Progress = Callable[[int, int], None]

#: Rows per transaction when writing (each commit rewrites the index pages it touched:
#: 10,000 rows take about a second to write, the longest a cancel waits).
CHUNK = 10_000
#: Rows read, and looked up in the database, together (and between progress reports).
_BLOCK = 1_000
#: Fields a merge may fill when the existing contact has them empty.
MERGE_FIELDS = (
    "first_name",
    "last_name",
    "organisation",
    "street",
    "postcode",
    "city",
    "birth_date",
    "notes",
)
#: The register purpose a consent column is guessed to record (the shipped consent one).
DEFAULT_CONSENT_PURPOSE = "direct_marketing_consent"
#: The catalogue fields (domain.fields) an import field writes.
_CATALOGUE_FIELDS: dict[ImportField, tuple[str, ...]] = {
    ImportField.FIRST_NAME: ("first_name",),
    ImportField.LAST_NAME: ("last_name",),
    ImportField.FULL_NAME: ("first_name", "last_name"),
    ImportField.ORGANISATION: ("organisation",),
    ImportField.EMAIL: ("emails",),
    ImportField.PHONE: ("phones",),
    ImportField.STREET: ("street",),
    ImportField.POSTCODE: ("postcode",),
    ImportField.CITY: ("city",),
    ImportField.COUNTRY: ("country",),
    ImportField.LANGUAGE: ("language",),
    ImportField.BIRTH_DATE: ("birth_date",),
    ImportField.NOTES: ("notes",),
}
#: Batch statuses.
RUNNING, DONE, CANCELLED, FAILED = "running", "done", "cancelled", "failed"
#: A batch whose process died while writing it, closed at a later start (issue 17).
INTERRUPTED = "interrupted"

_T = Base.metadata.tables
_Item = TypeVar("_Item")


@dataclass(frozen=True)
class ImportPreview:
    """What the file looks like: detected shape, headers, the first rows, a guessed mapping."""

    file_name: str
    shape: FileShape
    headers: tuple[str, ...]
    sample: tuple[tuple[str, ...], ...]
    row_count: int
    mapping: tuple[ColumnTarget | None, ...]
    states_consent: bool


@dataclass(frozen=True)
class ImportPlan:
    """Everything an import needs: the file, its shape and mapping, origin and purpose."""

    path: Path
    shape: FileShape
    mapping: tuple[ColumnTarget | None, ...]
    source: SourceInput
    purpose_code: str
    legal_basis: str
    duplicates: DuplicatePolicy = DuplicatePolicy.SKIP


@dataclass(frozen=True)
class ImportResult:
    """The counts of one import or check; ``invalid`` lists every problem of every row.

    ``conflicts`` counts merged rows with a value that differed from the existing
    contact's filled field (left as it was).
    """

    batch_id: int | None
    total_rows: int
    imported: int
    merged: int
    skipped: dict[SkipReason, int]
    invalid: tuple[RowProblem, ...]
    invalid_rows: int
    cancelled: bool = False
    conflicts: int = 0

    def invalid_by_reason(self) -> dict[str, int]:
        """Rows per problem msgid (a row with two problems of one kind counts once)."""
        rows: dict[str, set[int]] = {}
        for problem in self.invalid:
            rows.setdefault(problem.message, set()).add(problem.row_number)
        return {message: len(numbers) for message, numbers in rows.items()}


@dataclass(frozen=True)
class ImportBatchRow:
    """One past import, for the history and undo list."""

    id: int
    file_name: str
    created_at: dt.datetime
    created_by: str
    contacts: int
    undone: bool
    undoable: bool
    #: "done", "cancelled", "failed" (a storage failure stopped it) or "interrupted" (its
    #: process died; closed at a later start); "running" while it is written.
    status: str = DONE


# -- the analysis of a file --------------------------------------------------------------


@dataclass
class _NewContact:
    """A contact to create: the first row of a person, and what later rows merged in."""

    row_number: int
    contact: ContactInput
    consents: list[tuple[int, RowConsent]]
    #: Later rows of the file merged into this one.
    merged_rows: int = 0
    #: The sort name and full-text columns of ``contact``, when computed already.
    prepared: tuple[str, tuple[str, str, str, str, str]] | None = None


@dataclass
class _Analysis:
    """What a run would do: contacts to create, rows to merge into existing contacts."""

    total_rows: int = 0
    new: list[_NewContact] = field(default_factory=list)
    merges: dict[int, list[ImportedRow]] = field(default_factory=dict)
    merged_rows: int = 0
    skipped: Counter[SkipReason] = field(default_factory=Counter)
    invalid: list[RowProblem] = field(default_factory=list)
    invalid_rows: int = 0
    cancelled: bool = False


@contextlib.contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Bulk work makes some ten objects a row that live until the end: the cyclic garbage
    collector would walk them again and again (a quarter of the time at 100,000 rows).
    Reference counting still frees everything; the collector is on again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _SuppressionList:
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
        # Every form the list may hold the point in (sub-address, swapped names: issue 16).
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


#: SQLite page cache of the connection that writes an import, in KiB (the default is 2 MiB:
#: a 100,000-row load into eight indexes of ``contact`` would reread and rewrite pages).
_BULK_CACHE_KIB = 65_536


@contextlib.contextmanager
def _bulk_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for writing chunks; on SQLite with a larger page cache and its temporary
    files in memory, both put back before the connection returns to the pool.

    In memory: the statement journal. Each insert into ``contact`` fires triggers, so
    SQLite keeps the pages it is about to change in a statement journal, a temporary file
    by default: some 40 KB of writes a row (and personal data in a file in /tmp).
    """
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            yield conn
            return
        raw = conn.connection.driver_connection
        assert raw is not None
        cache_size = raw.execute("PRAGMA cache_size").fetchone()[0]
        temp_store = raw.execute("PRAGMA temp_store").fetchone()[0]
        raw.execute("PRAGMA temp_store=MEMORY")
        raw.execute(f"PRAGMA cache_size={-_BULK_CACHE_KIB}")
        try:
            yield conn
        finally:
            if conn.in_transaction():
                conn.rollback()
            raw.execute(f"PRAGMA temp_store={int(temp_store)}")
            raw.execute(f"PRAGMA cache_size={int(cache_size)}")


class _Reporter:
    """Calls the caller's progress hook; an exception from it means "cancel"."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self.cancelled = False

    def __call__(self, done: int, total: int) -> bool:
        """Report; False once the caller asked to stop."""
        if self._progress is None or self.cancelled:
            return not self.cancelled
        try:
            self._progress(done, total)
        except Exception:  # the hook raises its own kind to cancel
            self.cancelled = True
        return not self.cancelled


def _fill(contact: ContactInput, row: ImportedRow) -> ContactInput:
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


class ImportService:
    """Preview, check, run and undo imports; every method needs ``Permission.IMPORT``."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = access or AccessService(uow, clock)
        #: The last file read: (its bytes' digest and shape, its table); see ``_read``.
        self._last_read: tuple[tuple[bytes, FileShape], ImportTable] | None = None

    # -- reading ------------------------------------------------------------------------

    def _read(
        self, path: Path, shape: FileShape | None = None, *, keep: bool = True
    ) -> ImportTable:
        """The file read into a table.

        The wizard previews, checks and runs one file: the last table read is kept (unless
        not *keep*) and used again while the file's bytes and shape are the same, instead
        of parsing 100,000 rows again (the bytes are read and compared every time).
        """
        try:
            size = path.stat().st_size
            check_size(size)
            data = path.read_bytes()
        except OSError:
            raise ImportFileUnreadable(N_("The file cannot be opened.")) from None
        check_size(len(data))
        shape = shape or detect_shape(data, path.name)
        key = (hashlib.blake2b(data, digest_size=32).digest(), shape)
        last = self._last_read
        table = last[1] if last is not None and last[0] == key else read_table(data, shape)
        self._last_read = (key, table) if keep else None
        return table

    def detect(self, actor: Actor, path: Path) -> FileShape:
        """The detected encoding, format and separator of a file."""
        require(actor.role, Permission.IMPORT)
        try:
            data = path.read_bytes()
        except OSError:
            raise ImportFileUnreadable(N_("The file cannot be opened.")) from None
        check_size(len(data))
        return detect_shape(data, path.name)

    def preview(self, actor: Actor, path: Path, shape: FileShape | None = None) -> ImportPreview:
        """Detect the shape, read the headers and first rows, and guess the mapping.

        A consent column (newsletter, toestemming, consentement...) is guessed to record
        the register's consent purpose on the channel its header names.
        """
        require(actor.role, Permission.IMPORT)
        with _without_cyclic_gc():  # some ten objects a row that live on (see there)
            table = self._read(path, shape)
        with self._uow() as uow:
            consent_purpose = uow.session.execute(
                select(Purpose.code)
                .where(Purpose.active.is_(True), Purpose.legal_basis == LegalBasis.CONSENT.value)
                .order_by((Purpose.code != DEFAULT_CONSENT_PURPOSE), Purpose.id)
                .limit(1)
            ).scalar_one_or_none()
        width = len(table.headers)
        sample = tuple(
            tuple(cells[:width]) + ("",) * (width - len(cells))
            for _number, cells in table.rows[:PREVIEW_ROWS]
        )
        return ImportPreview(
            file_name=path.name,
            shape=table.shape,
            headers=table.headers,
            sample=sample,
            row_count=table.row_count,
            mapping=guess_mapping(table.headers, consent_purpose),
            states_consent=any(is_consent_header(h) for h in table.headers),
        )

    # -- checking the plan ----------------------------------------------------------------

    def _access_problems(
        self, actor: Actor, plan: ImportPlan, headers: Sequence[str]
    ) -> list[FieldProblem]:
        """Columns mapped to fields the actor's role may not fill in."""
        problems: list[FieldProblem] = []
        access = self._policy.access_for(actor.role)
        for header, target in zip(headers, plan.mapping, strict=False):
            if target is None:
                continue
            fields = _CATALOGUE_FIELDS.get(target.field, ())
            if any(access.get(f) is not FieldAccess.WRITE for f in fields) or (
                target.field is ImportField.CONSENT
                and not has_permission(actor.role, Permission.RECORD_CONSENT)
            ):
                problems.append(
                    FieldProblem(
                        "mapping",
                        N_("Your role may not fill in column {column}; leave it out."),
                        {"column": header},
                    )
                )
        return problems

    def _check_plan(
        self, session: Session, actor: Actor, plan: ImportPlan, headers: Sequence[str]
    ) -> tuple[SourceInput, int, dict[str, int]]:
        """The checked source, the purpose id and the consent purposes' ids, or refuse."""
        problems = self._access_problems(actor, plan, headers)
        source = plan.source
        try:
            source = validate_source(plan.source, self._clock.today())
        except SourceMissing as exc:
            problems.append(FieldProblem("source", exc.message))
        except ValidationFailed as exc:
            problems += exc.problems
        active = dict(
            session.execute(select(Purpose.code, Purpose.id).where(Purpose.active.is_(True)))
            .tuples()
            .all()
        )
        purpose_id = active.get(plan.purpose_code)
        if purpose_id is None:
            problems.append(FieldProblem("purpose", N_("Choose a purpose from the register.")))
        if plan.legal_basis not in {b.value for b in LegalBasis}:
            problems.append(
                FieldProblem("legal_basis", N_("Choose the legal basis of this purpose."))
            )
        if len(plan.mapping) != len(headers):
            problems.append(
                FieldProblem("mapping", N_("The mapping does not match the file's columns."))
            )
        consent_ids: dict[str, int] = {}
        for header, target in zip(headers, plan.mapping, strict=False):
            if target is None or target.field is not ImportField.CONSENT:
                continue
            code = target.purpose_code or ""
            channels = {c.value for c in Channel}
            if code not in active or target.channel not in channels:
                problems.append(
                    FieldProblem(
                        "mapping",
                        N_("Choose the purpose and the channel of consent column {column}."),
                        {"column": header},
                    )
                )
            else:
                consent_ids[code] = active[code]
        if problems or purpose_id is None:
            raise ImportPlanInvalid(problems)
        return source, purpose_id, consent_ids

    # -- analysing the rows ---------------------------------------------------------------

    def _analyse(
        self,
        session: Session,
        plan: ImportPlan,
        table: ImportTable,
        report: _Reporter,
        total_steps: int,
        sink: _BatchRun | None = None,
        result: _Analysis | None = None,
    ) -> _Analysis:
        """Read, validate and sort every row: new, merged, skipped or invalid.

        Rows go in blocks: each block's duplicate keys are looked up in the database at
        once (indexed look-ups, not a query per row, and not a million keys in memory).
        With a *sink*, full chunks of new contacts are written as the blocks place them
        (the contacts it created are then no duplicates of the database, but of the file).
        """
        today = self._clock.today()
        if result is None:
            result = _Analysis(total_rows=table.row_count)
        for problem in table.broken:
            result.invalid.append(problem)
            result.invalid_rows += 1
        suppression = _SuppressionList(session)
        in_file: dict[tuple[HashKind, str], int] = {}
        row_plan = RowPlan(table.headers, plan.mapping, today, suppression.hashing())
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
                    special = _special_notes(checked.row, notes_column)
                    if special is not None:
                        # Rule 10 on this way in too: the row waits for a person's review.
                        result.invalid.append(special)
                        result.invalid_rows += 1
                        continue
                    skip = suppression.reason(
                        checked.digests or suppression.held_digests(checked.keys)
                    )
                    if skip is not None:
                        result.skipped[skip] += 1
                        continue
                    block.append(checked)
                existing = (
                    _existing_matches(session, block)
                    if sink is None
                    else _existing_matches(session, block, sink.created, sink.batch_id)
                )
                for valid in block:
                    self._place(result, plan.duplicates, valid, existing, in_file)
                if sink is not None and sink.ready(result):
                    # No read snapshot open while a chunk is written: SQLite can then
                    # checkpoint the WAL and start it again, instead of growing it.
                    session.rollback()
                    sink.stream(result)
        report(table.row_count + (sink.rows_done if sink else 0), total_steps)
        return result

    @staticmethod
    def _place(
        result: _Analysis,
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
            target.contact = _fill(target.contact, row)
            target.prepared = None
            target.consents += [(number, c) for c in row.consents]
            target.merged_rows += 1
            result.merged_rows += 1
            index = earlier
        else:
            result.new.append(
                _NewContact(
                    number,
                    row.contact,
                    [(number, c) for c in row.consents],
                    prepared=(valid.sort_name, valid.fts),
                )
            )
            index = len(result.new) - 1
        for key in keys:
            in_file.setdefault(key, index)

    def check(
        self, actor: Actor, plan: ImportPlan, progress: Progress | None = None
    ) -> ImportResult:
        """Validate every row and count what would happen; writes nothing."""
        require(actor.role, Permission.IMPORT)
        table = self._read(plan.path, plan.shape)
        report = _Reporter(progress)
        with self._uow() as uow, _without_cyclic_gc():
            self._check_plan(uow.session, actor, plan, table.headers)
            analysis = self._analyse(uow.session, plan, table, report, table.row_count)
        return ImportResult(
            batch_id=None,
            total_rows=analysis.total_rows,
            imported=len(analysis.new),
            merged=analysis.merged_rows,
            skipped=dict(analysis.skipped),
            invalid=tuple(analysis.invalid),
            invalid_rows=analysis.invalid_rows,
            cancelled=analysis.cancelled,
        )

    # -- running ------------------------------------------------------------------------

    def _start_batch(
        self,
        actor: Actor,
        plan: ImportPlan,
        table: ImportTable,
        checked: tuple[SourceInput, int],
        now: dt.datetime,
        needs_salt: bool,
        lock: JobLock | None = None,
    ) -> tuple[int, int, str]:
        """Write the batch and its one source; their ids, and the salt consents need."""
        source, purpose_id = checked
        assert source.kind is not None
        assert source.obtained_on is not None
        with self._uow(write=True) as uow:
            session = uow.session
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

    def run(self, actor: Actor, plan: ImportPlan, progress: Progress | None = None) -> ImportResult:
        """Import the valid rows, chunk by chunk; *progress* may raise to cancel.

        A cancel while reading writes nothing (``batch_id`` None); a cancel while writing
        keeps the chunks already written as a batch that can be undone, and the result
        says ``cancelled`` with what was written.
        """
        require(actor.role, Permission.IMPORT)
        with _without_cyclic_gc():
            return self._run(actor, plan, progress)

    def _run(self, actor: Actor, plan: ImportPlan, progress: Progress | None) -> ImportResult:
        table = self._read(plan.path, plan.shape, keep=False)
        steps = table.row_count * 2
        report = _Reporter(progress)
        now = self._clock.now()
        engine = self._uow.engine.execution_options(sqlite_begin="IMMEDIATE")
        with engine.connect() as conn:
            rules = stored_rules(conn)
        # A big file is checked by worker processes while this one writes: with a policy
        # that never changes a contact once placed, its chunks are written as they fill.
        stream = plan.duplicates is not DuplicatePolicy.MERGE and worker_count(table.row_count) > 0
        status = RUNNING
        analysis = _Analysis(total_rows=table.row_count)
        failure: StorageError | None = None
        closed = True
        with _bulk_connection(engine) as conn:
            batch = _BatchRun(self, actor, plan, table, now, conn, rules)
            lock = batch.lock = JobLock(engine, conn)
            try:
                with self._uow() as uow:
                    source, purpose_id, consent_ids = self._check_plan(
                        uow.session, actor, plan, table.headers
                    )
                    batch.checked = ((source, purpose_id), consent_ids)
                    self._analyse(
                        uow.session, plan, table, report, steps, batch if stream else None, analysis
                    )
                if analysis.cancelled:
                    status = CANCELLED
                elif batch.batch_id is None and (analysis.new or analysis.merges):
                    batch.start(_has_consents(analysis))
                if status == RUNNING:
                    status = self._write_rest(batch, analysis, report, steps)
            except Exception as exc:
                failure = storage_error(exc)
                if failure is None or batch.batch_id is None:
                    # Nothing was committed: the storage error's own sentence is true.
                    if failure is not None and failure is not exc:
                        raise failure from exc
                    raise
                failure.__cause__ = exc
            finally:
                if batch.batch_id is not None:
                    # Also after a failure: the chunks written are a batch that can be undone.
                    closed = self._close_batch(
                        actor,
                        batch.batch_id,
                        status if status != RUNNING else FAILED,
                        (
                            batch.imported,
                            batch.merged_rows,
                            sum(analysis.skipped.values()),
                            analysis.invalid_rows,
                        ),
                    )
                lock.release()
        if failure is not None:
            # Some chunks were committed before the storage failed: say what was kept (the
            # batch, audited and undoable) and what was not, never "nothing was saved".
            assert batch.batch_id is not None
            if isinstance(failure, StorageFull):
                message = ImportPartlySaved.FULL if closed else ImportPartlySaved.FULL_PENDING
            else:
                message = ImportPartlySaved.OTHER if closed else ImportPartlySaved.OTHER_PENDING
            raise ImportPartlySaved(
                message,
                cause=failure,
                kept=batch.imported,
                merged=batch.merged_rows,
                batch=batch.batch_id,
                total=analysis.total_rows or table.row_count,
            ) from failure
        cancelled = status == CANCELLED
        if batch.batch_id is not None and not cancelled:
            report(steps, steps)
        return ImportResult(
            batch_id=batch.batch_id,
            total_rows=analysis.total_rows,
            imported=batch.imported,
            merged=batch.merged_rows,
            skipped=dict(analysis.skipped),
            invalid=tuple(analysis.invalid),
            invalid_rows=analysis.invalid_rows,
            cancelled=cancelled,
            conflicts=batch.conflicts,
        )

    @staticmethod
    def _write_rest(batch: _BatchRun, analysis: _Analysis, report: _Reporter, steps: int) -> str:
        """Write what the analysis left to write, chunk by chunk; the batch's status."""
        if batch.batch_id is None:
            return DONE  # nothing to write
        merge_items = list(analysis.merges.items())
        work: list[tuple[list[_NewContact], list[tuple[int, list[ImportedRow]]]]] = []
        for start in range(batch.handed, len(analysis.new), CHUNK):
            work.append((analysis.new[start : start + CHUNK], []))
        for start in range(0, len(merge_items), CHUNK):
            work.append(([], merge_items[start : start + CHUNK]))
        for new, merges in work:
            if not report(analysis.total_rows + batch.rows_done, steps):
                return CANCELLED
            batch.write(new, merges)
        return DONE

    def _close_batch(
        self, actor: Actor, batch_id: int, status: str, counts: tuple[int, int, int, int]
    ) -> bool:
        """End the batch's record and audit it, also when the storage just failed; False
        when that could not be written either.

        A full disk usually has no room left even for this small write (the failed chunk
        took it, and a checkpoint that would give it back needs room too): the batch then
        stays "running", with the counts its committed chunks wrote, and the next start
        that can write closes it as interrupted and audits it (``close_interrupted``).
        """
        for attempt in range(2):
            try:
                self._finish_batch(actor, batch_id, status, counts)
                return True
            except StorageError:
                if attempt == 0:
                    with contextlib.suppress(Exception):
                        checkpoint(self._uow.engine)
        return False

    def _finish_batch(
        self, actor: Actor, batch_id: int, status: str, counts: tuple[int, int, int, int]
    ) -> None:
        """Store the batch's counts and status, and audit the run (counts only)."""
        imported, merged_rows, skipped_total, invalid = counts
        with self._uow(write=True) as uow:
            session = uow.session
            session.execute(
                update(ImportBatch)
                .where(ImportBatch.id == batch_id)
                .values(
                    status=status,
                    imported=imported,
                    merged=merged_rows,
                    skipped=skipped_total,
                    invalid=invalid,
                )
            )
            record_event(
                session,
                actor=actor.username,
                action="import.run",
                entity="import_batch",
                entity_id=batch_id,
                at=self._clock.now(),
                detail=(
                    f"imported={imported};merged={merged_rows};skipped={skipped_total};"
                    f"invalid={invalid};cancelled={int(status == CANCELLED)}"
                    + (";failed=1" if status == FAILED else "")
                ),
            )

    # -- invalid rows -------------------------------------------------------------------

    def save_invalid_rows(
        self, actor: Actor, plan: ImportPlan, result: ImportResult, out: Path
    ) -> int:
        """Write the invalid rows (original cells plus a reason column) to a CSV file.

        The file is UTF-8 with a byte-order mark and the import's separator, so Excel
        opens it as it opened the original; the reasons are in the actor's language.
        Returns the number of rows written.
        """
        from privacycrm_desktop.i18n import tr_in

        require(actor.role, Permission.IMPORT)
        table = self._read(plan.path, plan.shape)
        reasons: dict[int, list[str]] = {}
        for problem in result.invalid:
            text = tr_in(actor.language, problem.message, **problem.params)
            label = f"{problem.column}: {text}" if problem.column else text
            reasons.setdefault(problem.row_number, []).append(label)
        width = len(table.headers)
        delimiter = plan.shape.delimiter or ","
        written = 0
        with private_text(out, encoding="utf-8-sig") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow(
                [neutralise(h) for h in table.headers] + [tr_in(actor.language, N_("Problem"))]
            )
            cells_by_row = dict(table.rows)
            for number in sorted(reasons):
                cells = list(cells_by_row.get(number, ()))[:width]
                cells += [""] * (width - len(cells))
                writer.writerow([neutralise(c) for c in cells] + ["; ".join(reasons[number])])
                written += 1
        with self._uow(write=True) as uow:
            record_event(
                uow.session,
                actor=actor.username,
                action="import.invalid_rows",
                entity="import_batch",
                entity_id=result.batch_id or "",
                at=self._clock.now(),
                detail=f"rows={written}",
            )
        return written

    # -- history and undo ---------------------------------------------------------------

    def batches(self, actor: Actor) -> list[ImportBatchRow]:
        """Past imports, newest first (the last 200)."""
        require(actor.role, Permission.IMPORT)
        with self._uow() as uow:
            session = uow.session
            rows = session.execute(
                select(ImportBatch, User.username)
                .outerjoin(User, User.id == ImportBatch.created_by)
                .order_by(ImportBatch.id.desc())
                .limit(200)
            ).all()
            result = []
            for batch, username in rows:
                contacts = session.execute(
                    select(func.count())
                    .select_from(Contact)
                    .where(Contact.import_batch_id == batch.id)
                ).scalar_one()
                undone = batch.undone_at is not None
                undoable = not undone and _edited(session.connection(), batch) == 0
                status = batch.status
                if status == RUNNING and not self._still_running(batch.id):
                    # Its process died or the storage stopped it before it could close
                    # the batch: say what is true now (the next start records it).
                    status = INTERRUPTED
                result.append(
                    ImportBatchRow(
                        id=batch.id,
                        file_name=batch.file_name,
                        created_at=batch.created_at,
                        created_by=username or "",
                        contacts=int(contacts),
                        undone=undone,
                        undoable=undoable,
                        status=status,
                    )
                )
            return result

    def _still_running(self, batch_id: int) -> bool:
        """True when a living process writes *batch_id* (or when that cannot be told)."""
        try:
            return is_alive(self._uow.engine, batch_id)
        except (OSError, SQLAlchemyError):
            return True

    def close_interrupted(self) -> list[int]:
        """Close every batch left "running" by a process that died (killed, crashed, the
        computer switched off): status "interrupted", the counts of what it committed, and
        its audit event. Called at every start (app and CLI); a batch another living
        process is writing is left alone (persistence/job_lock.py). Returns the ids closed.

        Its contacts stay, as a batch the history can undo, like a cancelled import's.
        """
        with self._uow() as uow:
            running = list(
                uow.session.scalars(select(ImportBatch.id).where(ImportBatch.status == RUNNING))
            )
        closed: list[int] = []
        for batch_id in running:
            if is_alive(self._uow.engine, batch_id):
                continue
            with self._uow(write=True) as uow:
                session = uow.session
                batch = session.get(ImportBatch, batch_id)
                if batch is None or batch.status != RUNNING:
                    continue
                imported = session.execute(
                    select(func.count())
                    .select_from(Contact)
                    .where(Contact.import_batch_id == batch_id)
                ).scalar_one()
                batch.status = INTERRUPTED
                batch.imported = int(imported)
                user = session.get(User, batch.created_by) if batch.created_by else None
                record_event(
                    session,
                    actor=user.username if user is not None else "",
                    action="import.run",
                    entity="import_batch",
                    entity_id=batch_id,
                    at=self._clock.now(),
                    detail=(
                        f"imported={int(imported)};merged={batch.merged};"
                        f"skipped={batch.skipped};invalid={batch.invalid};cancelled=0;"
                        "interrupted=1"
                    ),
                )
            closed.append(batch_id)
        return closed

    def undo(self, actor: Actor, batch_id: int) -> int:
        """Remove the batch's contacts and what it merged into others; returns how many
        contacts were removed.

        Raises:
            NotFound: no such batch.
            ImportUndoRefused: the batch is undone already, or some of its contacts were
                edited since (``edited`` says how many).
        """
        require(actor.role, Permission.IMPORT)
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            batch = session.get(ImportBatch, batch_id)
            if batch is None:
                raise NotFound
            if batch.undone_at is not None:
                raise ImportUndoRefused(N_("This import was undone already."))
            conn = session.connection()
            edited = _edited(conn, batch)
            if edited:
                raise ImportUndoRefused(edited=edited)
            source_ids = _batch_sources(conn, batch.id)
            ids = list(conn.scalars(select(Contact.id).where(Contact.import_batch_id == batch.id)))
            merged = _merged_contacts(conn, batch.id, source_ids)
            rules = stored_rules(conn)
            # The consent events the import recorded, on its own contacts and on others
            # (a merged row may have brought a consent and nothing else).
            conn.execute(
                delete(ConsentEvent).where(
                    ConsentEvent.method == ConsentMethod.IMPORTED_RECORD.value,
                    ConsentEvent.recorded_at == batch.created_at,
                    ConsentEvent.recorded_by == batch.created_by,
                )
            )
            _unmerge(conn, merged, source_ids)
            recompute(conn, merged, rules)
            for part in _chunks(ids):
                search.remove(conn, part)
                conn.execute(delete(Contact).where(Contact.id.in_(part)))
            if source_ids:
                _drop_unused_sources(conn, source_ids)
            batch.undone_at = now
            record_event(
                session,
                actor=actor.username,
                action="import.undo",
                entity="import_batch",
                entity_id=batch.id,
                at=now,
                detail=f"removed={len(ids)};unmerged={len(merged)}",
            )
        # The removed words leave the index pages and the WAL, as after an erasure.
        finish_erasure(self._uow)
        return len(ids)


class _BatchRun:
    """One run's batch: started with its first chunk, then written chunk by chunk, each
    chunk one transaction; it counts what was written."""

    def __init__(
        self,
        service: ImportService,
        actor: Actor,
        plan: ImportPlan,
        table: ImportTable,
        now: dt.datetime,
        conn: Connection,
        rules: dict[str, RetentionRule],
    ) -> None:
        self._service = service
        self._actor = actor
        self._plan = plan
        self._table = table
        self._now = now
        self._conn = conn
        self._rules = rules
        #: The checked source and purpose id, and the consent purposes' ids.
        self.checked: tuple[tuple[SourceInput, int], dict[str, int]] | None = None
        self._writer: _Writer | None = None
        #: Tells a later start that this process is alive while it writes the batch.
        self.lock: JobLock | None = None
        self.batch_id: int | None = None
        self.imported = self.merged_rows = self.conflicts = 0
        #: Rows written (new contacts and rows merged into existing ones), for progress.
        self.rows_done = 0
        #: How many of the analysis's new contacts were written while it went on.
        self.handed = 0

    @property
    def created(self) -> set[int]:
        """The contacts this batch created so far (they are no duplicates "in the database")."""
        return self._writer.created if self._writer is not None else set()

    def start(self, needs_salt: bool) -> None:
        """Write the batch and source rows."""
        assert self.checked is not None
        (source, purpose_id), consent_ids = self.checked
        batch_id, source_id, salt = self._service._start_batch(
            self._actor,
            self._plan,
            self._table,
            (source, purpose_id),
            self._now,
            needs_salt,
            self.lock,
        )
        self.batch_id = batch_id
        self._writer = _Writer(
            actor=self._actor,
            now=self._now,
            batch_id=batch_id,
            source_id=source_id,
            consent_ids=consent_ids,
            salt=salt,
            file_name=self._plan.path.name,
            plain_keep=keep_until(
                RetentionFacts(relationship=Relationship.PROSPECT, collected_on=self._now.date()),
                self._rules,
            ),
        )

    def write(
        self, new: Sequence[_NewContact], merges: Sequence[tuple[int, list[ImportedRow]]]
    ) -> None:
        """Write one chunk in one transaction."""
        if self._writer is None:
            self.start(
                needs_salt=any(
                    t is not None and t.field is ImportField.CONSENT for t in self._plan.mapping
                )
            )
        assert self._writer is not None
        conn = self._conn
        merged_rows = sum(n.merged_rows for n in new) + sum(len(rows) for _cid, rows in merges)
        with conn.begin():
            to_compute = self._writer.create(conn, new)
            merged_ids, conflicts = self._writer.merge(conn, merges)
            recompute(conn, to_compute + merged_ids, self._rules)
            # The batch row counts what each committed chunk wrote, in the chunk's own
            # transaction: a run killed or stopped by a full disk before it could close
            # its batch still leaves the true counts for the next start (issue 17).
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

    def ready(self, analysis: _Analysis) -> bool:
        """Has the analysis placed a full chunk of new contacts not written yet?"""
        return len(analysis.new) - self.handed >= CHUNK

    def stream(self, analysis: _Analysis) -> None:
        """Write the full chunks of new contacts the analysis has placed so far (only for
        policies that never change a placed contact)."""
        while self.ready(analysis):
            self.write(analysis.new[self.handed : self.handed + CHUNK], [])
            self.handed += CHUNK


# -- writing ---------------------------------------------------------------------------------


@dataclass
class _Writer:
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
            point = _first_point(contact, consent.channel)
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

    def create(self, conn: Connection, new: Sequence[_NewContact]) -> list[int]:
        """Insert new contacts with their points, index rows and consents.

        Returns the ids whose keep-until date is still to compute (those with consents);
        the others get the date every new prospect without consent gets.
        """
        if not new:
            return []
        plain_until = None if self.plain_keep.open_ended else self.plain_keep.date
        with_consents: list[int] = []
        first_id = reserve_contact_ids(conn, len(new))
        bind = _Binder(conn)
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
            if item.prepared is None:
                name_key = sort_name(data.last_name, data.first_name, data.organisation)
                texts = fts_texts(data)
            else:
                name_key, texts = item.prepared
            # In the order of _CONTACT_COLUMNS.
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
                    name_key,
                    data.emails[0] if data.emails else "",
                    data.phones[0] if data.phones else "",
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
            fts.append(
                {
                    "id": cid,
                    "name": texts[0],
                    "org": texts[1],
                    "emails": texts[2],
                    "phones": texts[3],
                    "place": texts[4],
                }
            )
            if item.consents:
                consents += self._consent_rows(cid, data, item.consents)
                with_consents.append(cid)
        bind.insert("contact", _CONTACT_COLUMNS, contacts)
        self.created.update(range(first_id, first_id + len(new)))
        bind.insert("contact_email", _point_columns("address"), emails)
        bind.insert("contact_phone", _point_columns("number"), phones)
        search.index_new_rows(conn, fts)
        if consents:
            conn.execute(insert(_T["consent_event"]), consents)
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
            filled, conflicted, consents = _merge_rows(values, emails, phones, rows)
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
                conn.execute(
                    update(_T["contact"])
                    .where(_T["contact"].c.id == cid)
                    .values(
                        **{name: values[name] for name in set(filled)},
                        sort_name=sort_name(
                            merged.last_name, merged.first_name, merged.organisation
                        ),
                        primary_email=emails[0] if emails else "",
                        primary_phone=phones[0] if phones else "",
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
                search.index_rows(conn, [(cid, *fts_texts(merged))])
            if consents:
                conn.execute(insert(_T["consent_event"]), self._consent_rows(cid, merged, consents))
                if cid not in touched:
                    touched.append(cid)
        return touched, conflicts


#: The columns a new contact is inserted with (the relationship dates and the last
#: interaction stay empty).
_CONTACT_COLUMNS = (
    "id",
    "kind",
    "first_name",
    "last_name",
    "organisation",
    "street",
    "postcode",
    "city",
    "country",
    "language",
    "birth_date",
    "notes",
    "relationship",
    "sort_name",
    "primary_email",
    "primary_phone",
    "keep_until",
    "keep_reason",
    "source_id",
    "import_batch_id",
    "created_by",
    "created_at",
    "updated_at",
    "version",
)


def _point_columns(value_column: str) -> tuple[str, ...]:
    """The columns of a contact_email ("address") or contact_phone ("number") row."""
    return ("contact_id", value_column, "position", "source_id", "recorded_at", "recorded_by")


class _Binder:
    """Bulk inserts of rows as tuples, without SQLAlchemy's per-row parameter work.

    On SQLite the rows go to the driver's executemany as they are, so dates and times
    must be given in the text form SQLAlchemy stores (``datetime``, ``date``: the column
    types' own conversions); that per-row work was half the time of writing 100,000
    contacts. Elsewhere (PostgreSQL) the values stay Python values and the rows go through
    a Core ``insert()`` as before.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._sqlite = conn.dialect.name == "sqlite"
        contact = _T["contact"].c
        dialect = conn.dialect
        self._datetime = contact.created_at.type.dialect_impl(dialect).bind_processor(dialect)
        self._date = contact.keep_until.type.dialect_impl(dialect).bind_processor(dialect)

    def datetime(self, value: dt.datetime) -> Any:
        """A date and time as the driver takes it."""
        return self._datetime(value) if self._sqlite and self._datetime else value

    def date(self, value: dt.date | None) -> Any:
        """A date (or None) as the driver takes it."""
        if value is None or not self._sqlite or self._date is None:
            return value
        return self._date(value)

    def insert(
        self, table_name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert *rows*, each a tuple of values in the order of *columns*."""
        if not rows:
            return
        table = _T[table_name]
        plain = _positional_insert(table_name, columns) if self._sqlite else None
        if plain is None:
            self._conn.execute(
                insert(table), [dict(zip(columns, row, strict=True)) for row in rows]
            )
            return
        sql, order = plain
        if order is not None:
            pick = operator.itemgetter(*order)
            rows = [pick(row) for row in rows]
        self._conn.exec_driver_sql(sql, rows)


@functools.cache
def _positional_insert(
    table_name: str, columns: tuple[str, ...]
) -> tuple[str, tuple[int, ...] | None] | None:
    """SQLite's INSERT of *columns* (Core's own SQL) and the order its parameters take
    them in (None: as given); None when Core would add a value of its own (a default of a
    column left out), so the rows must go through Core."""
    from sqlalchemy.dialects import sqlite

    compiled = insert(_T[table_name]).compile(dialect=sqlite.dialect(), column_keys=columns)
    names = tuple(compiled.positiontup or ())
    if sorted(names) != sorted(columns):
        return None
    order = tuple(columns.index(name) for name in names)
    return str(compiled), (None if names == columns else order)


def _merge_rows(
    values: dict[str, Any], emails: list[str], phones: list[str], rows: Sequence[ImportedRow]
) -> tuple[list[str], int, list[tuple[int, RowConsent]]]:
    """Merge *rows* into a contact's *values* and points (changed in place): empty fields
    are filled, new points added up to the limits, filled fields never overwritten.

    Returns the fields filled, the number of rows with a differing value, and the rows'
    consents.
    """
    filled: list[str] = []
    conflicts = 0
    consents: list[tuple[int, RowConsent]] = []
    for imported in rows:
        conflict = False
        for name in MERGE_FIELDS:
            if name not in imported.filled:
                continue
            new_value = getattr(imported.contact, name)
            if not values[name]:
                values[name] = new_value
                filled.append(name)
            elif _differs(values[name], new_value):
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


def _differs(old: object, new: object) -> bool:
    if isinstance(old, str) and isinstance(new, str):
        return fold(old) != fold(new)
    return old != new


def _first_point(contact: ContactInput, channel: Channel) -> str:
    from privacycrm_desktop.domain.suppression import name_postcode

    if channel is Channel.EMAIL:
        return contact.emails[0] if contact.emails else ""
    if channel in (Channel.PHONE, Channel.SMS):
        return contact.phones[0] if contact.phones else ""
    return name_postcode(contact.first_name, contact.last_name, contact.postcode)


def _has_consents(analysis: _Analysis) -> bool:
    return any(n.consents for n in analysis.new) or any(
        r.consents for rows in analysis.merges.values() for r in rows
    )


def _existing_matches(
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
            valid.sort_name
            for valid in block
            if any(k is HashKind.NAME_POSTCODE for k, _v in valid.keys)
        }
    )
    found: dict[tuple[HashKind, str], int] = {}
    conn = session.connection()  # Core: no ORM work for rows that are only read
    # The values as one expanding parameter: no SQL expression is built for each of them.
    values: BindParameter[str] = bindparam("values", expanding=True)
    for part in _chunks(emails):
        for address, cid in conn.execute(
            select(ContactEmail.address, ContactEmail.contact_id)
            .where(nocase(ContactEmail.address).in_(values))
            .order_by(ContactEmail.contact_id),
            {"values": part},
        ).tuples():
            if cid not in skip:
                found.setdefault((HashKind.EMAIL, address.strip().casefold()), cid)
    for part in _chunks(phones):
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
    for part in _chunks(names):
        for cid, first, last, postcode in conn.execute(
            by_name.order_by(Contact.id), {"values": part}
        ).tuples():
            if cid in skip:
                continue
            for key in duplicate_keys((), (), first, last, postcode):
                found.setdefault(key, cid)
    return {key: cid for key, cid in found.items() if key in wanted}


def _chunks(items: Sequence[_Item], size: int = 500) -> Iterable[list[_Item]]:
    """*items* in lists of at most *size* (SQLite's bound-parameter limit)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _batch_sources(conn: Connection, batch_id: int) -> list[int]:
    return list(conn.scalars(select(Source.id).where(Source.import_batch_id == batch_id)))


def _merged_contacts(conn: Connection, batch_id: int, source_ids: Sequence[int]) -> list[int]:
    """Contacts of other origins the batch merged values or consents into."""
    if not source_ids:
        return []
    found: set[int] = set()
    for table in (FieldProvenance, ContactEmail, ContactPhone):
        found.update(
            conn.scalars(
                select(table.contact_id)
                .join(Contact, Contact.id == table.contact_id)
                .where(
                    table.source_id.in_(source_ids),
                    or_(Contact.import_batch_id.is_(None), Contact.import_batch_id != batch_id),
                )
            )
        )
    return sorted(found)


def _edited(conn: Connection, batch: ImportBatch) -> int:
    """How many of the batch's contacts (and contacts it merged into) changed since."""
    own = select(Contact.id).where(Contact.import_batch_id == batch.id)
    changed = set(
        conn.scalars(own.where(or_(Contact.version != 1, Contact.updated_at != Contact.created_at)))
    )
    for table in (RetentionHold, SpecialCategoryDatum, RequestContact):
        changed.update(conn.scalars(select(table.contact_id).where(table.contact_id.in_(own))))
    changed.update(
        c
        for c in conn.scalars(
            select(ConsentEvent.contact_id).where(
                ConsentEvent.contact_id.in_(own),
                or_(
                    ConsentEvent.method != ConsentMethod.IMPORTED_RECORD.value,
                    ConsentEvent.recorded_at != batch.created_at,
                ),
            )
        )
        if c is not None
    )
    merged = _merged_contacts(conn, batch.id, _batch_sources(conn, batch.id))
    for part in _chunks(merged):
        changed.update(
            conn.scalars(
                select(Contact.id).where(
                    Contact.id.in_(part), Contact.updated_at != batch.created_at
                )
            )
        )
    return len(changed)


def _unmerge(conn: Connection, merged: Sequence[int], source_ids: Sequence[int]) -> None:
    """Take back what a batch merged into other contacts: the fields it filled (they were
    empty before) and the addresses and numbers it added."""
    if not merged:
        return
    table = _T["contact"]
    for part in _chunks(merged):
        fields = conn.execute(
            select(FieldProvenance.contact_id, FieldProvenance.field).where(
                FieldProvenance.contact_id.in_(part), FieldProvenance.source_id.in_(source_ids)
            )
        ).tuples()
        by_contact: dict[int, list[str]] = {}
        for cid, name in fields:
            if name in MERGE_FIELDS:
                by_contact.setdefault(cid, []).append(name)
        for cid, names in by_contact.items():
            conn.execute(
                update(table)
                .where(table.c.id == cid)
                .values(**{n: None if n == "birth_date" else "" for n in names})
            )
        conn.execute(
            delete(FieldProvenance).where(
                FieldProvenance.contact_id.in_(part), FieldProvenance.source_id.in_(source_ids)
            )
        )
        conn.execute(
            delete(ContactEmail).where(
                ContactEmail.contact_id.in_(part), ContactEmail.source_id.in_(source_ids)
            )
        )
        conn.execute(
            delete(ContactPhone).where(
                ContactPhone.contact_id.in_(part), ContactPhone.source_id.in_(source_ids)
            )
        )
        rows = conn.execute(
            select(
                Contact.id,
                Contact.first_name,
                Contact.last_name,
                Contact.organisation,
                Contact.street,
                Contact.postcode,
                Contact.city,
                Contact.version,
            ).where(Contact.id.in_(part))
        ).tuples()
        for cid, first, last, org, street, postcode, city, version in rows:
            emails = tuple(
                conn.scalars(
                    select(ContactEmail.address)
                    .where(ContactEmail.contact_id == cid)
                    .order_by(ContactEmail.position)
                )
            )
            phones = tuple(
                conn.scalars(
                    select(ContactPhone.number)
                    .where(ContactPhone.contact_id == cid)
                    .order_by(ContactPhone.position)
                )
            )
            data = ContactInput(
                first_name=first,
                last_name=last,
                organisation=org,
                emails=emails,
                phones=phones,
                street=street,
                postcode=postcode,
                city=city,
            )
            conn.execute(
                update(table)
                .where(table.c.id == cid)
                .values(
                    sort_name=sort_name(last, first, org),
                    primary_email=emails[0] if emails else "",
                    primary_phone=phones[0] if phones else "",
                    version=version + 1,
                )
            )
            search.index_rows(conn, [(cid, *fts_texts(data))])


def _drop_unused_sources(conn: Connection, source_ids: Sequence[int]) -> None:
    """Delete the batch's sources once nothing points at them (the batch row stays)."""
    for sid in source_ids:
        used = False
        for table in (Contact, ContactEmail, ContactPhone, FieldProvenance, SpecialCategoryDatum):
            if conn.execute(select(table.id).where(table.source_id == sid).limit(1)).first():
                used = True
                break
        if not used:
            conn.execute(delete(Source).where(Source.id == sid))


__all__ = [
    "ImportBatchRow",
    "ImportPlan",
    "ImportPreview",
    "ImportResult",
    "ImportService",
]


def _special_notes(row: ImportedRow, column: str) -> RowProblem | None:
    """The row's problem when its notes suggest special-category data (rule 10)."""
    hits = scan_notes(row.contact.notes)
    if not hits:
        return None
    return RowProblem(row.row_number, column, UNCONFIRMED_NOTES, {"words": hit_words(hits)})
