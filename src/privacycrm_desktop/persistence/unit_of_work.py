"""Unit of work: one user action, one transaction (cosmicpython, SQLAlchemy's GUI advice)."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    """Open a session, let the service work, then commit or roll back and close.

    Writers take SQLite's write lock at BEGIN (IMMEDIATE), so the audit chain and version
    checks read what they will write on top of; readers never block.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        writer_bind = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._writer = sessionmaker(bind=writer_bind, expire_on_commit=False)
        self._session: Session | None = None
        self._write = False

    def __call__(self, *, write: bool = False) -> UnitOfWork:
        fresh = UnitOfWork.__new__(UnitOfWork)
        fresh.engine = self.engine
        fresh._reader = self._reader
        fresh._writer = self._writer
        fresh._session = None
        fresh._write = write
        return fresh

    @property
    def session(self) -> Session:
        """The session of the current action."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    def __enter__(self) -> UnitOfWork:
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
            else:
                session.rollback()
        finally:
            session.close()
            self._session = None
