"""Unit of work: one user action, one transaction (cosmicpython, SQLAlchemy's GUI advice)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
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

#: Changed by a restore (services/backup_swap.py): a program that saw another value when
#: it started is writing into a database that was replaced under it, and must start again.
GENERATION_KEY = "database.generation"
_GENERATION_SQL = text("SELECT value FROM setting WHERE key = 'database.generation'")
_UNKNOWN = "\x00unknown"


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
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        writer_bind = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._writer = sessionmaker(bind=writer_bind, expire_on_commit=False)
        self._session: Session | None = None
        self._write = False
        # Shared by every unit of this factory: a save was refused as read-only.
        self._storage = {"read_only_seen": False}
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

    def _listen(self, maker: sessionmaker[Session]) -> None:
        hooks = self._hooks

        def committed(session: Session) -> None:
            appended = session.info.pop(AUDIT_APPENDED, None)
            hook = hooks["audit_committed"]
            if appended and hook is not None:
                # The action is committed: an unwritable anchor file must not turn it into
                # an error. The check later names the events the file lacks.
                with contextlib.suppress(OSError):
                    hook(appended)

        def rolled_back(session: Session) -> None:
            session.info.pop(AUDIT_APPENDED, None)

        event.listen(maker, "after_commit", committed)
        event.listen(maker, "after_rollback", rolled_back)

    def rebind(self, engine: Engine) -> Engine:
        """Send every later unit of this factory to *engine*; return the one used so far.

        After sign-in on a PostgreSQL server that enforces the field matrix, the services
        continue as the user's own login role (services/server_roles.py, issue 10).
        """
        old = self.engine
        self.engine = engine
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        writer_bind = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._writer = sessionmaker(bind=writer_bind, expire_on_commit=False)
        self._listen(self._writer)
        return old

    def __call__(self, *, write: bool = False) -> UnitOfWork:
        fresh = UnitOfWork.__new__(UnitOfWork)
        fresh.engine = self.engine
        fresh._reader = self._reader
        fresh._writer = self._writer
        fresh._session = None
        fresh._write = write
        fresh._storage = self._storage
        fresh._generation = self._generation
        fresh._hooks = self._hooks
        return fresh

    @property
    def session(self) -> Session:
        """The session of the current action."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    def __enter__(self) -> UnitOfWork:
        if self._write and self._storage["read_only_seen"]:
            # SQLite decides at connect time whether a connection may write: after a
            # read-only refusal, a writer starts on a fresh connection, so the save works
            # as soon as the file is writable again, without restarting the app.
            self.engine.dispose()
        self._session = (self._writer if self._write else self._reader)()
        if self.engine.dialect.name == "sqlite" and (self._write or not self._generation):
            try:
                self._check_generation(self._session)
            except BaseException:
                self._session.close()
                self._session = None
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
                self._storage["read_only_seen"] = False
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
            # field matrix hides (persistence/pg_roles.py): the role's refusal, not a bug.
            raise PermissionDenied from error
        mapped = storage_error(error)
        if isinstance(mapped, StorageReadOnly):
            self._storage["read_only_seen"] = True
        if isinstance(mapped, StorageDamaged):
            # Remembered like a failed check, so the next start checks and recovers.
            from privacycrm_desktop.persistence.storage_health import remember_damage

            remember_damage(self.engine, str(getattr(error, "orig", error)).strip())
        if mapped is not None and mapped is not error:
            raise mapped from error
