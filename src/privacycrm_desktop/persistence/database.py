"""The engine: SQLite pragmas, owner-only file, explicit transactions; or PostgreSQL.

Only the composition roots (app.py, cli/) call ``create_engine_for``. A plain path is
the embedded SQLite file; ``postgresql://user:password@host/db`` a shared server, reached
through psycopg 3.
"""

from __future__ import annotations

import contextlib
import os
import select
import stat
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import Connection, make_url

from privacycrm_desktop.persistence.sqlite_driver import sqlite3

#: Pragmas every SQLite connection gets (docs/architecture.md, "Rules that hold everywhere").
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA secure_delete=ON",
    "PRAGMA mmap_size=1073741824",
    # Statement journals and sorts stay in memory: with the counting triggers firing, SQLite
    # otherwise writes a journal of each bulk insert (personal data) to a file in /tmp.
    "PRAGMA temp_store=MEMORY",
)

#: SQLite's own WAL auto-checkpoint (pages): what every transaction runs with unless
#: ``bulk_transaction`` raised it for the one it is in.
DEFAULT_AUTOCHECKPOINT = 1000
#: SQLite's default page cache (negative: KiB), given back after ``bulk_transaction``.
DEFAULT_CACHE_SIZE = -2000
#: The page cache of a ``bulk_transaction`` (KiB): a cleanup batch changes a few thousand
#: pages of each contact index; in the default 2 MiB they were written to the WAL and read
#: back again during the statement (half the bytes a cleanup read and wrote).
BULK_CACHE_KIB = 65_536

#: How long a writer waits for another program's lock before giving up (StorageLocked).
#: ``PRIVACYCRM_BUSY_TIMEOUT_MS`` shortens it (tests of a locked database stay fast).
DEFAULT_BUSY_TIMEOUT_MS = 5000
#: A SQLite connection's ``total_changes`` when its transaction began (in its pool record's
#: ``info``): unchanged, the transaction has written nothing (persistence/search_matches.py).
CHANGES_AT_BEGIN = "changes_at_begin"


def busy_timeout_ms() -> int:
    """The lock wait in milliseconds: the environment's override, else 5 seconds."""
    try:
        return max(0, int(os.environ.get("PRIVACYCRM_BUSY_TIMEOUT_MS", "")))
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT_MS


#: PostgreSQL: a pooled connection idle for longer than this (seconds) is pinged before
#: use (``_ping_when_idle``); one used within it is not.
PING_AFTER_IDLE_S = 5.0
_LAST_USED = "privacycrm.last_used"
#: What every PostgreSQL connection runs with, set when it opens (no statement per use):
#: - ``work_mem``: the search's window probes its match set as a hash (a million ids at
#:   most, persistence/contact_queries.py); room for it, instead of a ``SET LOCAL`` round
#:   trip before each window.
#: - ``jit``: the server compiles a query whose estimated cost passes ``jit_above_cost``
#:   (a search matching a few thousand of 100,000 contacts does) to machine code first:
#:   3 to 11 ms compiling for a statement that runs in 12, hundreds of ms at a million.
#:   The app's statements each read a window of rows; none runs long enough to gain.
#: - ``enable_incremental_sort``: a window deep in a filtered list (the no-consent view's
#:   middle) walked the smaller ``ix_contact_name_postcode`` (sort_name, postcode, id) and
#:   sorted each run of equal names by id, 500,000 rows at a million contacts (159 ms),
#:   rather than the name order's own index ``ix_contact_sort`` (sort_name, id), which
#:   needs no sort (68 ms). Every list order has an index of its own.
PG_SETTINGS = (("work_mem", "64MB"), ("jit", "off"), ("enable_incremental_sort", "off"))

#: The driver every PostgreSQL URL gets, whatever the user wrote.
POSTGRESQL_DRIVER = "postgresql+psycopg"


def normalise_url(path_or_url: str | Path) -> str:
    """Accept a plain file path or an SQLAlchemy URL; return a URL.

    ``postgresql://`` and ``postgres://`` (libpq's spellings) use psycopg 3.
    """
    text = str(path_or_url)
    for scheme in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if text.startswith(scheme):
            return POSTGRESQL_DRIVER + "://" + text[len(scheme) :]
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def is_postgresql_url(path_or_url: str | Path) -> bool:
    """True when *path_or_url* names a PostgreSQL server."""
    return make_url(normalise_url(path_or_url)).get_backend_name() == "postgresql"


def display_url(path_or_url: str | Path) -> str:
    """The URL or path with any password hidden (for messages and logs)."""
    url = make_url(normalise_url(path_or_url))
    if url.get_backend_name() == "sqlite":
        return url.database or ""
    return url.render_as_string(hide_password=True)


def sqlite_file(url: str) -> Path | None:
    """The database file behind an SQLite URL, or None for other back ends or memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _create_private_file(path: Path) -> None:
    """Create the database file readable and writable by its owner only."""
    if path.exists():
        # Never change the mode of an existing file: a file its owner made
        # read-only stays read-only; it opens read-only and saving explains why it cannot.
        _sidecars_follow(path)
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
    os.close(fd)
    # WAL and shared-memory files inherit the main file's mode in SQLite. O_CREAT applies
    # the umask, which can only take bits away: the new file is owner-only whatever it is.
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)


def create_engine_for(
    path_or_url: str | Path, *, echo: bool = False, busy_timeout: int | None = None
) -> Engine:
    """Build the engine for a path or URL, with the SQLite rules applied.

    *busy_timeout* (milliseconds) is how long a writer waits for another program's lock;
    by default ``busy_timeout_ms()``.
    """
    url = normalise_url(path_or_url)
    file = sqlite_file(url)
    if file is not None:
        _create_private_file(file)
        # The bundled SQLite (persistence/sqlite_driver.py), not the operating system's.
        engine = create_engine(
            url,
            echo=echo,
            module=sqlite3,
            connect_args={"check_same_thread": False},
            # The connection used last comes back first: a search's next read finds the
            # matches its count kept on it (persistence/search_matches.py), even when
            # background threads opened more connections.
            pool_use_lifo=True,
        )
        read_only = read_only_uri(file)
        if read_only is not None:
            _open_read_only(engine, read_only)
        _install_sqlite_hooks(engine, busy_timeout_ms() if busy_timeout is None else busy_timeout)
        return engine
    if make_url(url).get_backend_name() == "postgresql":
        with_postgresql_options()
        lock_timeout = busy_timeout_ms() if busy_timeout is None else busy_timeout
        engine = create_engine(
            url,
            echo=echo,
            isolation_level="READ COMMITTED",
            # As on SQLite: the connection used last comes back first, so a search's window
            # finds the results kept on it (persistence/server_kept_reads.py).
            pool_use_lifo=True,
            connect_args={
                # The server's write log tells the app's writes from other clients' by
                # this name (persistence/server_writes.py).
                "application_name": "privacycrm",
                # A desk that cannot get a lock says so instead of hanging (StorageLocked).
                "options": " ".join(
                    f"-c {name}={value}"
                    for name, value in (("lock_timeout", int(lock_timeout)), *PG_SETTINGS)
                ),
                "connect_timeout": 10,
                # psycopg prepares a statement run 5 times on a connection, and after 5
                # more the server may keep one generic plan for every value. A search is
                # one statement text whatever the words: its generic plan, made without
                # them, read the whole contact table (55,000 pages at a million contacts,
                # 0.8 s against 0.05-0.13 s planned for the words). psycopg also forgets
                # what it prepared at every ROLLBACK (a read's end) with a DEALLOCATE ALL
                # round trip. So nothing is prepared: each statement planned for its values.
                "prepare_threshold": None,
            },
        )
        _ping_when_idle(engine)
        return engine
    if make_url(url).get_backend_name() == "sqlite":  # an in-memory database
        return create_engine(url, echo=echo, module=sqlite3)
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled server connection before use only when it may have been lost:
    SQLAlchemy's ``pool_pre_ping`` sends an empty query at every checkout, one round trip
    per unit of work (a search typed is two units).

    Here the ping is sent when the connection sat unused for longer than
    ``PING_AFTER_IDLE_S`` (the server restarted overnight, a laptop woke up), or when the
    server sent something while it was idle (a restart or ``pg_terminate_backend`` ends
    the connection with a message: its socket is readable, seen without a round trip).
    psycopg's own flags catch a connection it already knows is closed. A lost connection
    makes the pool open a fresh one (SQLAlchemy's ``checkout`` recipe: raising
    ``DisconnectionError`` makes it retry)."""

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.closed or dbapi_connection.broken:
            raise exc.DisconnectionError
        now = time.monotonic()
        last = record.info.get(_LAST_USED)
        record.info[_LAST_USED] = now
        if last is None:
            return  # just opened
        if now - last <= PING_AFTER_IDLE_S and not _server_spoke(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError from error

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()


def _server_spoke(dbapi_connection: Any) -> bool:
    """Whether an idle server connection has something to read (a notice, its end)."""
    try:
        readable, _w, _x = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _sidecars_follow(path: Path) -> None:
    """Give SQLite's ``-wal`` and ``-shm`` files the database file's mode again.

    SQLite creates them with the main file's mode: opened while the file was read-only,
    they stay read-only after the owner made the file writable again, and every save would
    still be refused. They follow the file, never the other way round.
    """
    with contextlib.suppress(OSError):
        mode = stat.S_IMODE(path.stat().st_mode)
        for suffix in ("-wal", "-shm"):
            sidecar = path.with_name(path.name + suffix)
            if sidecar.exists() and stat.S_IMODE(sidecar.stat().st_mode) != mode:
                os.chmod(sidecar, mode)


def _folder_writable(folder: Path) -> bool:
    """Can files be created in *folder*? (Tried, not guessed: ``os.access`` says yes to
    root, and knows nothing of a read-only mount.)"""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def read_only_uri(file: Path) -> str | None:
    """The SQLite URI to open *file* read-only, or None when it opens normally.

    In WAL mode SQLite keeps a ``-shm`` (and ``-wal``) file beside the database. In a
    read-only folder or on a read-only filesystem it cannot create them, and a normal
    connection cannot even read. When they are not there, no program can be
    writing (a writer needs the ``-wal``), so the file is opened ``immutable``; when they
    are, ``mode=ro`` reads through them.
    """
    if not file.exists() or _folder_writable(file.parent):
        return None
    quoted = urllib.parse.quote(str(file))
    wal = file.with_name(file.name + "-wal")
    shm = file.with_name(file.name + "-shm")
    if wal.exists() and shm.exists():
        return f"file:{quoted}?mode=ro"
    return f"file:{quoted}?mode=ro&immutable=1"


def _open_read_only(engine: Engine, uri: str) -> None:
    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        cargs[:] = [uri]
        cparams["uri"] = True


def _install_sqlite_hooks(engine: Engine, busy_timeout: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (SQLAlchemy's
        # documented recipe for pysqlite), so BEGIN IMMEDIATE works for writers.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # First, so the other pragmas (WAL needs a lock) wait for another program too.
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout)}")
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, record: Any) -> None:
        # Back in the pool (rolled back, outside a transaction): foreign keys on again
        # after a unit that had them off, before anything else can use the connection.
        if dbapi_connection is not None and not record.info.get("foreign_keys", True):
            dbapi_connection.execute("PRAGMA foreign_keys=ON")
            record.info["foreign_keys"] = True

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        mode = options.get("sqlite_begin", "DEFERRED")
        # A unit of work may wait less for another program's lock (a sign-in: its audit
        # event is then deferred, persistence/unit_of_work.py); the next one waits again
        # the engine's time.
        wait = int(options.get("sqlite_busy_timeout", busy_timeout))
        pooled = connection.connection  # its ``info`` lives as long as the DBAPI connection
        if pooled.info.get("busy_timeout", busy_timeout) != wait:
            pooled.driver_connection.execute(f"PRAGMA busy_timeout={wait}")
            pooled.info["busy_timeout"] = wait
        # A cleanup's batches delete the children of the contacts they erase themselves
        # (``erasure_cascade``) instead of SQLite's per-row foreign key actions; the pragma
        # is a no-op inside a transaction, so it is set here, before BEGIN, and set back on
        # the next transaction that does not ask for it.
        foreign_keys = bool(options.get("sqlite_foreign_keys", True))
        if pooled.info.get("foreign_keys", True) != foreign_keys:
            state = "ON" if foreign_keys else "OFF"
            pooled.driver_connection.execute(f"PRAGMA foreign_keys={state}")
            pooled.info["foreign_keys"] = foreign_keys
        # A bulk erasure raised the auto-checkpoint and the page cache for its own
        # transaction (``bulk_transaction``): every other one runs with SQLite's defaults.
        if pooled.info.pop("bulk", False):
            pooled.driver_connection.execute(f"PRAGMA wal_autocheckpoint={DEFAULT_AUTOCHECKPOINT}")
            pooled.driver_connection.execute(f"PRAGMA cache_size={DEFAULT_CACHE_SIZE}")
        connection.exec_driver_sql(f"BEGIN {mode}")
        pooled.info[CHANGES_AT_BEGIN] = pooled.driver_connection.total_changes


def bulk_transaction(conn: Connection, wal_pages: int = DEFAULT_AUTOCHECKPOINT) -> None:
    """Give the current SQLite transaction a page cache of ``BULK_CACHE_KIB`` and let the
    WAL grow to *wal_pages* before its commit checkpoints it (SQLite's default: 1000 pages);
    the next transaction on the connection runs with the defaults again (``_on_begin``).

    For a run of bulk transactions that rewrite the same pages (the batches of a cleanup
    touch nearly every page of the contact indexes): each page is copied into the database
    file once per *wal_pages*, not once per transaction, and the run ends with one
    ``checkpoint``. Nothing on other back ends."""
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={int(wal_pages)}")
    conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    conn.connection.info["bulk"] = True


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded back end."""
    return engine.dialect.name == "sqlite"


def is_postgresql(engine: Engine) -> bool:
    """True for a shared PostgreSQL server."""
    return engine.dialect.name == "postgresql"


def engine_sqlite_version(engine: Engine) -> str | None:
    """The SQLite library version behind *engine* (``sqlite_version()``); None elsewhere."""
    if not is_sqlite(engine):
        return None
    with engine.connect() as conn:
        return str(conn.exec_driver_sql("SELECT sqlite_version()").scalar())


def checkpoint(engine: Engine) -> bool:
    """Move the WAL into the main file and truncate it (after erasure, before backup).

    True when done (always on other back ends). False when another connection's read
    snapshot kept it from finishing: then the WAL, and the main file's old pages, may
    still hold what was just deleted (the pragma says so only in its result row).
    """
    if not is_sqlite(engine):
        return True
    with engine.connect() as conn:
        row = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
    # (busy, wal frames, frames checkpointed): busy is 1 when it could not finish.
    return row is None or int(row[0]) == 0


def integrity_problems(engine: Engine) -> list[str]:
    """What ``PRAGMA integrity_check`` and ``foreign_key_check`` report; empty when sound.

    Other back ends check their own storage; for them this only proves the connection works.
    """
    with engine.connect() as conn:
        if not is_sqlite(engine):
            conn.exec_driver_sql("SELECT 1")
            return []
        rows = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check")]
        problems = [r for r in rows if r != "ok"]
        for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check"):
            problems.append(f"{table} row {rowid}: dangling reference to {parent}")
        return problems


def with_postgresql_options() -> None:
    """Give each partial index of the contact models on PostgreSQL the condition it has on
    SQLite (idempotent). A ``postgresql_where`` in a model loads all of SQLAlchemy's
    PostgreSQL dialect (asyncpg, pg8000...: ~20 ms) into every start, on SQLite too (issue
    23), so the models give only ``sqlite_where`` and an engine for PostgreSQL this."""
    from privacycrm_desktop.persistence.models import Base

    for table in Base.metadata.tables.values():
        for index in table.indexes:
            where = index.dialect_options["sqlite"]["where"]
            if where is not None:
                index.dialect_options["postgresql"]["where"] = where
