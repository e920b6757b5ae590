"""Unit of work: one user action, one transaction (cosmicpython, SQLAlchemy's GUI advice)."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from privacycrm_desktop.domain.errors import PermissionDenied, StorageDamaged, StorageReadOnly
from privacycrm_desktop.persistence.storage_errors import storage_error


class UnitOfWork:
    """Open a session, let the service work, then commit or roll back and close.

    Writers take SQLite's write lock at BEGIN (IMMEDIATE), so the audit chain and version
    checks read what they will write on top of; readers never block.

    A storage failure (full disk, read-only file, another program's lock, a damaged file,
    an I/O error) leaves as the matching ``StorageError`` (persistence/storage_errors.py),
    after the rollback, so every caller shows the same clear sentence.
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
        return old

    def __call__(self, *, write: bool = False) -> UnitOfWork:
        fresh = UnitOfWork.__new__(UnitOfWork)
        fresh.engine = self.engine
        fresh._reader = self._reader
        fresh._writer = self._writer
        fresh._session = None
        fresh._write = write
        fresh._storage = self._storage
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
        return self

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
