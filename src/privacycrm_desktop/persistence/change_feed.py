"""Tell this desk when another desk changed contacts, without Qt.

``ChangeFeed(engine, callback)`` runs one daemon thread with one dedicated connection of
its own (taken from the engine, so it is opened exactly like the app's connections, then
detached from the pool):

- PostgreSQL: ``LISTEN privacycrm_contacts``. Migration 0006 adds a statement-level trigger
  on ``contact``, ``contact_email`` and ``contact_phone`` that calls
  ``pg_notify('privacycrm_contacts', TG_OP)``; PostgreSQL folds identical notifications of
  one transaction into one, and the feed folds those that arrive within ``PG_COALESCE``
  of each other into one callback. When the server goes away the feed reconnects with a
  growing pause (``MIN_BACKOFF`` doubling up to ``MAX_BACKOFF``).
- SQLite: the other desks are other processes on the same file (the CLI importing while
  the app is open). ``PRAGMA data_version`` changes on a connection whenever another
  connection committed; reading it every ``poll_interval`` seconds costs microseconds.
- An in-memory SQLite database has no other desk: the feed does nothing.

The feed also calls back once each time it starts listening (at start and after each
reconnection): changes committed before that were not announced, and the subscriber's last
read may predate them. The callback runs on the feed's thread and must be quick (the UI
hops to its own thread). Logs name the back end and the error class only, never a URL (it
may hold a password) nor a value.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from privacycrm_desktop.persistence.database import sqlite_file
from privacycrm_desktop.persistence.storage_errors import refused_sign_in

log = logging.getLogger(__name__)

#: The channel the PostgreSQL trigger notifies (migration 0006).
CHANNEL = "privacycrm_contacts"
#: Seconds between two looks at SQLite's data version.
DEFAULT_POLL_INTERVAL = 2.0
#: The first and the longest pause before reconnecting after a lost connection (seconds).
MIN_BACKOFF = 0.5
MAX_BACKOFF = 30.0
#: The longest wait for a PostgreSQL notification before the stop flag is looked at
#: (closing the window waits at most this long for the thread).
PG_WAIT = 0.5
#: After a notification, how long the feed gathers the ones right behind it (seconds).
PG_COALESCE = 0.05


class ChangeFeed:
    """One listener thread calling *callback* after other connections changed contacts."""

    def __init__(
        self,
        engine: Engine,
        callback: Callable[[], None],
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        min_backoff: float = MIN_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
        current_engine: Callable[[], Engine] | None = None,
    ) -> None:
        self._engine = engine
        #: Where a lost connection is opened again: the services' engine of that moment
        #: (after a reset password the desk goes on with an engine of the new password;
        #: the old one's connections could no longer be opened).
        self._current_engine = current_engine or (lambda: engine)
        self._callback = callback
        self._interval = max(0.01, poll_interval)
        self._min_backoff = min_backoff
        self._max_backoff = max(min_backoff, max_backoff)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: Any = None
        self._driver: Any = None
        #: Times the connection was (re)opened; the tests watch reconnects with it.
        self.connects = 0
        self.backend = engine.dialect.name

    @property
    def active(self) -> bool:
        """True while the listener thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start listening (once); a no-op for an in-memory database."""
        if self._thread is not None or not self._has_other_desks():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="privacycrm-change-feed", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread and close its connection; returns within about *poll_interval*."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("change feed (%s) did not stop within %.1f s", self.backend, timeout)

    def _has_other_desks(self) -> bool:
        if self.backend == "sqlite":
            return sqlite_file(str(self._engine.url)) is not None
        return True

    # -- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        backoff = self._min_backoff
        refused = False
        while not self._stop.is_set():
            try:
                self._open()
                backoff, refused = self._min_backoff, False
                self._listen()
            except Exception as exc:
                if self._stop.is_set():
                    break
                if refused_sign_in(exc) and not refused:
                    # The server refuses this desk's login role now (the owner reset its
                    # password or deactivated it, which ended its sessions): the subscriber
                    # checks the sign-in and locks, without waiting for a change (once).
                    refused = True
                    self._notify()
                log.warning(
                    "change feed (%s) lost its connection (%s); retrying in %.1f s",
                    self.backend,
                    type(exc).__name__,
                    backoff,
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff)
            finally:
                self._close()

    def _open(self) -> None:
        self._engine = self._current_engine()
        raw = self._engine.raw_connection()
        # Ours alone for the feed's life: the pool neither counts it nor hands it out, and
        # engine.dispose() (a restore, a read-only recovery) leaves it be.
        driver = raw.driver_connection
        raw.detach()
        self._connection = raw
        self._driver = driver
        self.connects += 1
        if self.backend == "postgresql":
            conn = driver
            assert conn is not None
            conn.rollback()  # the pool's ping may have opened a transaction
            conn.autocommit = True  # notifications arrive between transactions only
            conn.execute(f"LISTEN {CHANNEL}")

    def _close(self) -> None:
        raw, self._connection, self._driver = self._connection, None, None
        if raw is not None:
            try:
                # The driver's own close: the pool's would first roll back, which fails
                # (with a logged traceback) on a connection the server dropped.
                raw.dbapi_connection.close()
            except Exception as exc:  # a dead connection may fail to close: it is gone
                log.debug("change feed: closing failed (%s)", type(exc).__name__)

    def _listen(self) -> None:
        # Each (re)connection calls back once, as soon as it listens: what changed before
        # (between the subscriber's last read and now, or while the server was away) was
        # not announced and would otherwise wait for the next change.
        if self.backend == "postgresql":
            self._listen_postgresql()
        elif self.backend == "sqlite":
            self._poll_sqlite()
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            self._stop.wait()

    def _poll_sqlite(self) -> None:
        cursor = self._connection.cursor()
        try:
            seen = _data_version(cursor)
            self._notify()  # see _listen
            while not self._stop.wait(self._interval):
                version = _data_version(cursor)
                if version != seen:
                    seen = version
                    self._notify()
        finally:
            cursor.close()

    def _listen_postgresql(self) -> None:
        conn = self._driver
        self._notify()  # see _listen
        while not self._stop.is_set():
            arrived = list(conn.notifies(timeout=PG_WAIT, stop_after=1))
            if arrived:
                # Those right behind the first ride along (a large import commits in
                # several transactions; the list needs one refresh, not one per chunk).
                arrived += conn.notifies(timeout=PG_COALESCE)
            if conn.closed:
                raise ConnectionError("the server closed the connection")
            if arrived and not self._stop.is_set():
                self._notify()

    def _notify(self) -> None:
        try:
            self._callback()
        except Exception as exc:
            # The listener outlives a failing subscriber; the class says enough.
            log.warning("change feed callback failed (%s)", type(exc).__name__)


def _data_version(cursor: Any) -> int:
    cursor.execute("PRAGMA data_version")
    row = cursor.fetchone()
    return int(row[0])


__all__ = ["CHANNEL", "DEFAULT_POLL_INTERVAL", "ChangeFeed"]
