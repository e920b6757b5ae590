"""Import of contacts from CSV and vCard files: the service the wizard and the CLI call.

How a run goes (one module of this package a step):

1. ``plan``: the plan is checked (source, purpose, legal basis, consent columns) and the
   file read into a table (``domain.import_files``; the table of a preview or check of
   the same bytes is used again); nothing is written yet.
2. ``analyse``: every row is converted and validated with the contact editor's rules
   (``domain.import_rows.read_row``; by worker processes for a file of
   ``pool.POOL_MIN_ROWS`` rows or more, in file order, every decision staying in this
   process), then checked against the suppression list and the duplicate keys of the
   existing contacts and of the rows before it; it is new, merged, skipped or invalid.
3. ``write``: one batch and one source row, then the contacts in chunks, each chunk one
   transaction, their stored columns derived as every writer derives them
   (``domain.contact_columns``). With the workers and a policy that never changes a placed
   contact (SKIP, CREATE), full chunks are written while the workers still validate (the
   batch starts with the first chunk; a contact it created counts as a duplicate in the
   file, not in the database); with MERGE, and for small files, writing starts after the
   last row.
4. The batch gets its counts and one audit event ("import.run"), counts only.

``undo`` removes a batch's contacts and what it merged into others, unless any of them
was edited since.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.csv_cells import neutralise
from privacycrm_desktop.domain.errors import ImportPartlySaved, StorageError, StorageFull
from privacycrm_desktop.domain.import_formats import (
    PREVIEW_ROWS,
    DuplicatePolicy,
    FileFormat,
    FileShape,
)
from privacycrm_desktop.domain.import_headers import guess_mapping, is_consent_header
from privacycrm_desktop.domain.import_profiles import ImportProfile, recognise_profile
from privacycrm_desktop.domain.import_values import DEFAULT_LANGUAGE
from privacycrm_desktop.domain.purposes import LegalBasis
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.contact_writes import bulk_connection
from privacycrm_desktop.persistence.database import checkpoint
from privacycrm_desktop.persistence.job_lock import JobLock, is_alive
from privacycrm_desktop.persistence.models import Contact, ImportBatch, Purpose, User
from privacycrm_desktop.persistence.storage_errors import storage_error
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports.analyse import analyse
from privacycrm_desktop.services.imports.model import (
    CANCELLED,
    FAILED,
    INTERRUPTED,
    RUNNING,
    Analysis,
    ImportBatchRow,
    ImportPlan,
    ImportPreview,
    ImportResult,
    Progress,
    Reporter,
    without_cyclic_gc,
)
from privacycrm_desktop.services.imports.plan import (
    DEFAULT_CONSENT_PURPOSE,
    CheckedPlan,
    TableReader,
    check_plan,
    read_shape,
)
from privacycrm_desktop.services.imports.pool import worker_count
from privacycrm_desktop.services.imports.undo import edited, undo_batch
from privacycrm_desktop.services.imports.write import BatchRun, write_rest
from privacycrm_desktop.services.private_files import check_target, private_text
from privacycrm_desktop.services.retention import stored_rules


class ImportService:
    """Preview, check, run and undo imports; every method needs ``Permission.IMPORT``."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = access or AccessService(uow, clock)
        #: Keeps the last table read for the next step of the same file.
        self._tables = TableReader()

    # -- reading ------------------------------------------------------------------------

    def detect(self, actor: Actor, path: Path) -> FileShape:
        """The detected encoding, format and separator of a file."""
        require(actor.role, Permission.IMPORT)
        return read_shape(path)

    def preview(self, actor: Actor, path: Path, shape: FileShape | None = None) -> ImportPreview:
        """Detect the shape, read the headers and first rows, recognise the program that
        wrote the file and guess the mapping.

        A consent column (newsletter, toestemming, consentement...) is guessed to record
        the register's consent purpose on the channel its header names.
        """
        require(actor.role, Permission.IMPORT)
        with without_cyclic_gc():  # some ten objects a row that live on (see there)
            table = self._tables.read(path, shape)
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
            profile=(
                ImportProfile.VCARD
                if table.shape.format is FileFormat.VCARD
                else recognise_profile(table.headers)
            ),
        )

    # -- checking ----------------------------------------------------------------------

    def _check_plan(
        self, session: Session, actor: Actor, plan: ImportPlan, headers: Sequence[str]
    ) -> CheckedPlan:
        access = self._policy.access_for(actor.role)
        return check_plan(session, access, actor, plan, headers, self._clock.today())

    def check(
        self, actor: Actor, plan: ImportPlan, progress: Progress | None = None
    ) -> ImportResult:
        """Validate every row and count what would happen; writes nothing."""
        require(actor.role, Permission.IMPORT)
        table = self._tables.read(plan.path, plan.shape)
        report = Reporter(progress)
        with self._uow() as uow, without_cyclic_gc():
            self._check_plan(uow.session, actor, plan, table.headers)
            analysis = analyse(
                uow.session, plan, table, self._clock.today(), report, table.row_count
            )
        return ImportResult(
            batch_id=None,
            total_rows=analysis.total_rows,
            imported=len(analysis.new),
            merged=analysis.merged_rows,
            skipped=dict(analysis.skipped),
            invalid=tuple(analysis.invalid),
            invalid_rows=analysis.invalid_rows,
            cancelled=analysis.cancelled,
            **_looks(plan, analysis),
        )

    # -- running ------------------------------------------------------------------------

    def run(self, actor: Actor, plan: ImportPlan, progress: Progress | None = None) -> ImportResult:
        """Import the valid rows, chunk by chunk; *progress* may raise to cancel.

        A cancel while reading writes nothing (``batch_id`` None); a cancel while writing
        keeps the chunks already written as a batch that can be undone, and the result
        says ``cancelled`` with what was written.
        """
        require(actor.role, Permission.IMPORT)
        with without_cyclic_gc():
            return self._run(actor, plan, progress)

    def _run(self, actor: Actor, plan: ImportPlan, progress: Progress | None) -> ImportResult:
        table = self._tables.read(plan.path, plan.shape, keep=False)
        steps = table.row_count * 2
        report = Reporter(progress)
        now = self._clock.now()
        engine = self._uow.engine.execution_options(sqlite_begin="IMMEDIATE")
        with engine.connect() as conn:
            rules = stored_rules(conn)
        # A big file is checked by worker processes while this one writes: with a policy
        # that never changes a contact once placed, its chunks are written as they fill.
        stream = plan.duplicates is not DuplicatePolicy.MERGE and worker_count(table.row_count) > 0
        status = RUNNING
        analysis = Analysis(total_rows=table.row_count)
        failure: StorageError | None = None
        closed = True
        with bulk_connection(engine) as conn:
            batch = BatchRun(self._uow, actor, plan, table, now, conn, rules)
            lock = batch.lock = JobLock(engine, conn)
            try:
                with self._uow() as uow:
                    batch.checked = self._check_plan(uow.session, actor, plan, table.headers)
                    analyse(
                        uow.session,
                        plan,
                        table,
                        self._clock.today(),
                        report,
                        steps,
                        batch if stream else None,
                        analysis,
                    )
                batch.settle()  # a chunk written behind the analysis: its end, or its error
                if analysis.cancelled:
                    status = CANCELLED
                elif batch.batch_id is None and (analysis.new or analysis.merges):
                    batch.start(analysis.has_consents())
                if status == RUNNING:
                    status = write_rest(batch, analysis, report, steps)
            except Exception as exc:
                failure = storage_error(exc)
                if failure is None or batch.batch_id is None:
                    # Nothing was committed: the storage error's own sentence is true.
                    if failure is not None and failure is not exc:
                        raise failure from exc
                    raise
                failure.__cause__ = exc
            finally:
                batch.close()
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
                        analysis.special_confirmed,
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
            **_looks(plan, analysis),
        )

    def _close_batch(
        self,
        actor: Actor,
        batch_id: int,
        status: str,
        counts: tuple[int, int, int, int],
        special_confirmed: int = 0,
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
                self._finish_batch(actor, batch_id, status, counts, special_confirmed)
                return True
            except StorageError:
                if attempt == 0:
                    with contextlib.suppress(Exception):
                        checkpoint(self._uow.engine)
        return False

    def _finish_batch(
        self,
        actor: Actor,
        batch_id: int,
        status: str,
        counts: tuple[int, int, int, int],
        special_confirmed: int = 0,
    ) -> None:
        """Store the batch's counts and status, and audit the run (counts only, with the
        rows whose special-category notes were kept because the user confirmed them)."""
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
                    + (f";special_confirmed={special_confirmed}" if special_confirmed else "")
                ),
            )

    # -- invalid rows -------------------------------------------------------------------

    def save_invalid_rows(
        self, actor: Actor, plan: ImportPlan, result: ImportResult, out: Path, *, language: str
    ) -> int:
        """Write the invalid rows (original cells plus a reason column) to a CSV file.

        The file is UTF-8 with a byte-order mark and the import's separator, so Excel
        opens it as it opened the original; the reasons are in *language*, the one the
        person reads the import's other messages in (the window's, the CLI's), which need
        not be the one stored for the user. Returns the number of rows written.
        """
        from privacycrm_desktop.i18n import tr_in

        require(actor.role, Permission.IMPORT)
        check_target(out, plan.path)
        table = self._tables.read(plan.path, plan.shape)
        reasons: dict[int, list[str]] = {}
        for problem in result.invalid:
            text = tr_in(language, problem.message, **problem.params)
            label = f"{problem.column}: {text}" if problem.column else text
            reasons.setdefault(problem.row_number, []).append(label)
        width = len(table.headers)
        delimiter = plan.shape.delimiter or ","
        written = 0
        with private_text(out, encoding="utf-8-sig") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow(
                [neutralise(h) for h in table.headers] + [tr_in(language, N_("Problem"))]
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
                undoable = not undone and edited(session.connection(), batch) == 0
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
        require(actor.role, Permission.IMPORT)
        return undo_batch(self._uow, actor, batch_id, self._clock.now())


def _looks(plan: ImportPlan, analysis: Analysis) -> dict[str, Any]:
    """The result's values to check and the defaults taken (``ImportResult``)."""
    return {
        "to_check": tuple(analysis.to_check),
        "defaulted": dict(analysis.defaulted),
        "defaults": {"country": plan.default_country, "language": DEFAULT_LANGUAGE.value},
    }


__all__ = ["ImportService"]
