"""Unit of work: one user action, one transaction (cosmicpython, SQLAlchemy's GUI advice)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from privacycrm_desktop.domain.errors import (
    DatabaseReplaced,
    PermissionDenied,
    StorageDamaged,
    StorageReadOnly,
)
from privacycrm_desktop.persistence.audit_anchor import AUDIT_APPENDED
from privacycrm_desktop.persistence.storage_errors import storage_error

#: Changed by a restore (services/backup/file_restore.py): a program that saw another value when
#: it started is writing into a database that was replaced under it, and must start again.
GENERATION_KEY = "database.generation"
_GENERATION_SQL = text("SELECT value FROM setting WHERE key = 'database.generation'")
_UNKNOWN = "\x00unknown"

#: A write that may wait for the next write transaction: an audit event of a sign-in or of
#: a read, recorded while another program held the write lock.
DeferredWrite = Callable[[Session], None]


@dataclass
class _Shared:
    """What every unit of one factory shares."""

    #: A save was refused as read-only.
    read_only_seen: bool = False
    #: Writes waiting for the next write transaction, oldest first, each with the audit
    #: event it appends (plain values, kept aside by ``services/audit_spool.py`` when the
    #: program ends before it could be written), if any.
    deferred: list[tuple[DeferredWrite, dict[str, str] | None]] = field(default_factory=list)


def _loose_reader(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose statements each commit on their own (``UnitOfWork(autocommit=True)``)
    on PostgreSQL; plain readers elsewhere."""
    if engine.dialect.name != "postgresql":
        return sessionmaker(bind=engine, expire_on_commit=False)
    loose = engine.execution_options(isolation_level="AUTOCOMMIT")
    return sessionmaker(bind=loose, expire_on_commit=False)


class UnitOfWork:
    """Open a session, let the service work, then commit or roll back and close.

    Writers take SQLite's write lock at BEGIN (IMMEDIATE), so the audit chain and version
    checks read what they will write on top of; readers never block.

    A storage failure (full disk, read-only file, another program's lock, a damaged file,
    an I/O error) leaves as the matching ``StorageError`` (persistence/storage_errors.py),
    after the rollback, so every caller shows the same clear sentence.

    On SQLite, the first unit remembers the database's generation, and every writer checks
    it once its write lock is held (one primary-key look-up): after a restore by another
    program it is different, and the write is refused (``DatabaseReplaced``) instead of
    landing on data this program no longer knows.

    ``audit_committed``, when set (services/audit_anchors.py), is called after every commit
    that appended audit events, with their (id, hash, at): the anchor file outside the
    database learns about them only once they are really there.

    Deferred writes: a sign-in or a read that must be audited while another
    program holds the write lock (or the file cannot be written) does not wait for it: it
    queues its audit event with ``defer``. Every write unit of the factory first appends the
    queued events, in its own transaction (so they enter the hash chain like any other,
    with the time they happened), and forgets them only once that transaction committed;
    ``flush_deferred`` does the same with nothing else to write (the app retries it in the
    background, the CLI before it exits).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        self._loose_reader = _loose_reader(engine)
        writer_bind = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._writer = sessionmaker(bind=writer_bind, expire_on_commit=False)
        self._session: Session | None = None
        self._write = False
        self._autocommit = False
        self._wait_ms: int | None = None
        self._own_cascades = False
        self._applied = 0
        # Shared by every unit of this factory.
        self._storage = _Shared()
        self._generation: dict[str, str | None] = {}
        # Shared too: the anchor callback (set after construction, seen by every unit).
        self._hooks: dict[str, Any] = {"audit_committed": None}
        self._listen(self._writer)

    @property
    def audit_committed(self) -> Callable[[list[tuple[int, str, str]]], None] | None:
        return self._hooks["audit_committed"]  # type: ignore[no-any-return]

    @audit_committed.setter
    def audit_committed(self, hook: Callable[[list[tuple[int, str, str]]], None] | None) -> None:
        self._hooks["audit_committed"] = hook

    def audit_committed_outside(self, session: Session) -> None:
        """Hand the audit events *session* appended to ``audit_committed``, once the
        transaction they were written in committed, for a session made outside this
        factory that does not commit itself (one bound to a connection's transaction, as
        the demo's): else they never reach the anchor file, which then names them as not
        written by PrivacyCRM."""
        self._hand_over(self._hooks, session)

    @staticmethod
    def _hand_over(hooks: dict[str, Any], session: Session) -> None:
        appended = session.info.pop(AUDIT_APPENDED, None)
        hook = hooks["audit_committed"]
        if appended and hook is not None:
            # The action is committed: an unwritable anchor file must not turn it into
            # an error. The check later names the events the file lacks.
            with contextlib.suppress(OSError):
                hook(appended)

    def _listen(self, target: sessionmaker[Session] | Session) -> None:
        hooks = self._hooks

        def committed(session: Session) -> None:
            self._hand_over(hooks, session)

        def rolled_back(session: Session) -> None:
            session.info.pop(AUDIT_APPENDED, None)

        event.listen(target, "after_commit", committed)
        event.listen(target, "after_rollback", rolled_back)

    def rebind(self, engine: Engine) -> Engine:
        """Send every later unit of this factory to *engine*; return the one used so far.

        After sign-in on a PostgreSQL server that enforces the field matrix, the services
        continue as the user's own login role (services/server_roles.py).
        """
        old = self.engine
        self.engine = engine
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        self._loose_reader = _loose_reader(engine)
        writer_bind = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._writer = sessionmaker(bind=writer_bind, expire_on_commit=False)
        self._listen(self._writer)
        return old

    def __call__(
        self,
        *,
        write: bool = False,
        wait_ms: int | None = None,
        autocommit: bool = False,
        own_cascades: bool = False,
    ) -> UnitOfWork:
        """A unit for one action; *wait_ms* shortens the wait for another program's write
        lock (SQLite's busy timeout, PostgreSQL's lock_timeout for the transaction; by
        default the engine's).

        *autocommit* (a reader only): on PostgreSQL each statement runs on its own, with no
        ``BEGIN`` and ``ROLLBACK`` around them, two round trips fewer. Under READ
        COMMITTED every statement reads its own snapshot anyway, so a unit that only
        reads sees the same rows; it must not write (nothing would roll it back), set
        anything ``LOCAL`` or open a server-side cursor. The list's count and windows
        are such units. Nothing changes on SQLite.

        *own_cascades* (a writer only, SQLite): the transaction runs with foreign keys off;
        its code deletes (or sets to NULL) the rows that point at the rows it deletes itself,
        as ``persistence.erasure_cascade`` does for a cleanup's batch of contacts. Nothing
        changes on PostgreSQL.
        """
        if write and autocommit:
            raise ValueError("a writer runs in a transaction")
        if own_cascades and not write:
            raise ValueError("only a writer deletes")
        fresh = UnitOfWork.__new__(UnitOfWork)
        fresh.engine = self.engine
        fresh._reader = self._reader
        fresh._loose_reader = self._loose_reader
        fresh._writer = self._writer
        fresh._session = None
        fresh._write = write
        fresh._autocommit = autocommit
        fresh._wait_ms = wait_ms
        fresh._own_cascades = own_cascades
        fresh._applied = 0
        fresh._storage = self._storage
        fresh._generation = self._generation
        fresh._hooks = self._hooks
        return fresh

    def defer(self, write: DeferredWrite, event: dict[str, str] | None = None) -> None:
        """Queue *write* for the next write transaction of this factory (see the class);
        *event* is the audit event it appends, as ``record_event``'s keyword values."""
        self._storage.deferred.append((write, event))

    def take_deferred(self) -> list[dict[str, str]]:
        """Remove every queued write; the audit events among them (to be kept aside)."""
        events = [event for _write, event in self._storage.deferred if event is not None]
        self._storage.deferred.clear()
        return events

    @property
    def deferred(self) -> int:
        """How many deferred writes wait."""
        return len(self._storage.deferred)

    def flush_deferred(self, wait_ms: int | None = None) -> bool:
        """Write the deferred writes now; True when none is left waiting.

        Raises the ``StorageError`` that stopped it (the writes stay queued)."""
        if not self._storage.deferred:
            return True
        with self(write=True, wait_ms=wait_ms):
            pass
        return not self._storage.deferred

    @property
    def session(self) -> Session:
        """The session of the current action."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    def __enter__(self) -> UnitOfWork:
        if self._write and self._storage.read_only_seen:
            # SQLite decides at connect time whether a connection may write: after a
            # read-only refusal, a writer starts on a fresh connection, so the save works
            # as soon as the file is writable again, without restarting the app.
            self.engine.dispose()
        if self._write and (self._wait_ms is not None or self._own_cascades):
            options: dict[str, Any] = {"sqlite_begin": "IMMEDIATE"}
            if self._wait_ms is not None:
                options["sqlite_busy_timeout"] = int(self._wait_ms)
            if self._own_cascades:
                # SQLite: foreign keys off for this transaction; the caller deletes the
                # children itself (``persistence.erasure_cascade``).
                options["sqlite_foreign_keys"] = False
            bind = self.engine.execution_options(**options)
            self._session = Session(bind=bind, expire_on_commit=False)
            self._listen(self._session)  # the anchor file learns of these events too
        elif self._write:
            self._session = self._writer()
        else:
            self._session = (self._loose_reader if self._autocommit else self._reader)()
        if self._write and self._wait_ms is not None and self.engine.dialect.name != "sqlite":
            # PostgreSQL: the same shorter wait for another transaction's lock (the audit
            # turn, a row) as SQLite's busy timeout above, for this transaction only.
            # Without it a sign-in waited the connection's lock_timeout (5 s) whenever
            # another desk held the audit turn, before signing in deferred. 0 would be
            # no limit at all on the server.
            self._session.execute(
                text("SELECT set_config('lock_timeout', :wait, true)"),
                {"wait": f"{max(1, int(self._wait_ms))}ms"},
            )
        if self.engine.dialect.name == "sqlite" and (self._write or not self._generation):
            try:
                self._check_generation(self._session)
            except BaseException:
                self._session.close()
                self._session = None
                raise
        if self._write and self._storage.deferred:
            # The queued events go first, so the chain keeps the order they happened in.
            try:
                pending = list(self._storage.deferred)
                for write, _event in pending:
                    write(self._session)
                self._applied = len(pending)
            except Exception as failure:
                self._session.rollback()
                self._session.close()
                self._session = None
                self._raise_storage_error(failure)
                raise
                raise
        return self

    def _read_generation(self, session: Session) -> str | None:
        try:
            value = session.execute(_GENERATION_SQL).scalar()
        except OperationalError as error:
            if "no such table" in str(error.orig):
                return None  # a database not created yet
            self._raise_storage_error(error)
            raise
        return None if value is None else str(value)

    def _check_generation(self, session: Session) -> None:
        current = self._read_generation(session)
        known = self._generation.get("value", _UNKNOWN)
        if known == _UNKNOWN:
            self._generation["value"] = current
        elif current != known:
            session.rollback()
            raise DatabaseReplaced

    def adopt_generation(self) -> None:
        """Take the database's current generation as this program's (after its own
        restore)."""
        self._generation.clear()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if exc_type is None and self._write:
                session.commit()
                self._storage.read_only_seen = False
                del self._storage.deferred[: self._applied]
            else:
                session.rollback()
        except Exception as failure:
            if exc is None:
                self._raise_storage_error(failure)
                raise
            # The action failed and so did the rollback: report the action's failure.
        finally:
            session.close()
            self._session = None
        if exc is not None and isinstance(exc, Exception):
            self._raise_storage_error(exc)

    def _raise_storage_error(self, error: Exception) -> None:
        if getattr(getattr(error, "orig", None), "sqlstate", None) == "42501":
            # The PostgreSQL server refused the user's own role a column or table the
            # field matrix hides (persistence/postgres/policy.py): the role's refusal, not a bug.
            raise PermissionDenied from error
        mapped = storage_error(error)
        if isinstance(mapped, StorageReadOnly):
            self._storage.read_only_seen = True
        if isinstance(mapped, StorageDamaged):
            # Remembered like a failed check, so the next start checks and recovers.
            from privacycrm_desktop.persistence.storage_health import remember_damage

            remember_damage(self.engine, str(getattr(error, "orig", error)).strip())
        if mapped is not None and mapped is not error:
            raise mapped from error
