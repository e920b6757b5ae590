"""Backups of a PostgreSQL database with ``pg_dump`` and ``pg_restore``.

The client programs are found on PATH or in ``/usr/lib/postgresql/<major>/bin`` (Debian);
the newest one is used, and one older than the server is refused (pg_dump cannot read a
newer server). The password reaches the child only through its ``PGPASSWORD``
environment, never its arguments; the connection string in argv holds host, port, user
and database only.

A dump is taken in one snapshot: a REPEATABLE READ transaction exports its snapshot,
reads the manifest's facts (schema revision, contact count, audit head) in it, and
``pg_dump --snapshot`` dumps exactly that picture while other desks keep writing.

A restore never uses ``pg_restore --single-transaction`` on its own: the erasure ledger
must be replayed in the same transaction as the data is put back, or a failure in between
would leave erased people back in the live database. ``pg_restore`` turns the dump into
SQL (``-f -``), streamed into the caller's open transaction: plain statements in batches,
``COPY ... FROM stdin`` blocks through psycopg's COPY. The caller then migrates, replays
and commits (services/backup/server_restore.py).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from privacycrm_desktop.domain.errors import BackupFailed
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.backup import NEWEST_RESTORE_SQL, SnapshotFacts

#: How long a dump or restore program may run before it is given up (seconds).
TOOL_TIMEOUT = 3600
#: Where Debian keeps each major version's programs (searched after PATH).
SEARCH_ROOTS: tuple[Path, ...] = (Path("/usr/lib/postgresql"),)
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")
#: libpq connection parameters that may come from the URL's query string.
_LIBPQ_QUERY = ("sslmode", "sslrootcert", "sslcert", "sslkey", "target_session_attrs")


@dataclass(frozen=True)
class PgTools:
    """The client programs used, and their major version."""

    dump: Path
    restore: Path
    major: int


def server_major(conn: Connection) -> int:
    """The server's major version (15 for 15.x)."""
    return int(str(conn.execute(text("SHOW server_version_num")).scalar())) // 10000


def _clean_env() -> dict[str, str]:
    """This process's environment without libpq's PG* settings (a stray PGPASSWORD or
    PGHOST must not steer or reach the child)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def _tool_major(path: Path) -> int:
    try:
        done = subprocess.run(  # noqa: S603 (our own argv, no shell)
            [str(path), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=_clean_env(),
        )
    except OSError:
        return 0
    found = _VERSION.search(done.stdout)
    return int(found.group(1)) if found and done.returncode == 0 else 0


def _candidates(name: str) -> list[Path]:
    paths: list[Path] = []
    on_path = shutil.which(name)
    if on_path:
        paths.append(Path(on_path))
    for root in SEARCH_ROOTS:
        paths += sorted(root.glob(f"*/bin/{name}"))
    return [p for p in paths if p.is_file() and os.access(p, os.X_OK)]


def find_tools(needed_major: int = 0) -> PgTools:
    """The newest pg_dump/pg_restore pair installed.

    Raises:
        BackupFailed: none installed, or the newest is older than *needed_major*.
    """
    best: PgTools | None = None
    for dump in _candidates("pg_dump"):
        restore = dump.with_name("pg_restore")
        if not restore.is_file():
            continue
        major = _tool_major(dump)
        if major and (best is None or major > best.major):
            best = PgTools(dump, restore, major)
    if best is None:
        raise BackupFailed(
            N_(
                "The PostgreSQL programs pg_dump and pg_restore were not found; install the "
                "PostgreSQL client programs, then try again."
            )
        )
    if best.major < needed_major:
        raise BackupFailed(
            N_(
                "The installed pg_dump is older than the database server; install the "
                "PostgreSQL client programs of the server's version, then try again."
            )
        )
    return best


def connection_arguments(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the child's environment
    (which carries the password in ``PGPASSWORD``)."""

    def quote(value: object) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    parts = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    for key in _LIBPQ_QUERY:
        value = url.query.get(key)
        if isinstance(value, str):
            parts[key] = value
    conninfo = " ".join(f"{k}={quote(v)}" for k, v in parts.items() if v not in (None, ""))
    env = _clean_env()
    env["PGCONNECT_TIMEOUT"] = "10"
    env["PGAPPNAME"] = "privacycrm-backup"
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _run(argv: list[str], env: dict[str, str] | None = None, reason: str = "") -> None:
    try:
        done = subprocess.run(  # noqa: S603 (our own argv, no shell)
            argv, capture_output=True, env=env or _clean_env(), timeout=TOOL_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupFailed(reason or None) from exc
    if done.returncode != 0:
        # stderr names tables and the server, never the password (it is not in argv).
        raise BackupFailed(reason or None) from RuntimeError(
            done.stderr.decode("utf-8", "replace")[-2000:]
        )


def _facts(conn: Connection) -> SnapshotFacts:
    def scalar(sql: str, default: object) -> object:
        value = conn.execute(text(sql)).scalar()
        return default if value is None else value

    return SnapshotFacts(
        schema_version=str(scalar("SELECT version_num FROM alembic_version", "")),
        contact_count=int(str(scalar("SELECT count(*) FROM contact", 0))),
        audit_head=str(scalar("SELECT value FROM setting WHERE key = 'audit.head'", "")),
        audit_events=int(str(scalar("SELECT count(*) FROM audit_event", -1))),
        audit_restore=str(scalar(NEWEST_RESTORE_SQL, "")),
    )


def dump(engine: Engine, dest: Path) -> SnapshotFacts:
    """``pg_dump --format=custom`` of *engine*'s database into the new file *dest*; the
    facts are read in the very snapshot dumped.

    Raises:
        BackupFailed: no usable pg_dump, or the dump failed (nothing useful at *dest*).
    """
    conninfo, env = connection_arguments(engine.url)
    # The server's row policy leaves the backup key out of what this session reads
    # (persistence/postgres/row_policies.py); a superuser reads past row policies, so a dump by
    # the administrator's own connection still holds it.
    env["PGOPTIONS"] = "-c pcrm.dump=on"
    with engine.connect() as plain:
        conn = plain.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.execute(text("SET TRANSACTION READ ONLY"))
            tools = find_tools(server_major(conn))
            snapshot = str(conn.execute(text("SELECT pg_export_snapshot()")).scalar())
            facts = _facts(conn)
            _run(
                [
                    str(tools.dump),
                    "--format=custom",
                    "--no-password",
                    # Row policies: a non-owner of the tables dumps the rows its
                    # policies show (the owner's role sees them all). The pcrm_ tables are
                    # the server's own (grant policy, plan rules, the write log's notes of
                    # open transactions), unreadable by desks and written again after a
                    # restore (persistence/postgres/functions.py).
                    "--enable-row-security",
                    "--exclude-table=pcrm_*",
                    # The app keeps no large objects; one a desk role made (any role may)
                    # would make the dump fail on its privileges.
                    "--no-blobs",
                    f"--snapshot={snapshot}",
                    f"--file={dest}",
                    f"--dbname={conninfo}",
                ],
                env,
                N_("pg_dump could not dump the database; no backup was made."),
            )
    return facts


def dump_is_readable(path: Path) -> bool:
    """True when ``pg_restore --list`` reads the whole table of contents of *path*."""
    try:
        tools = find_tools()
    except BackupFailed:
        return False
    try:
        _run([str(tools.restore), "--list", str(path)])
    except BackupFailed:
        return False
    return True


@contextlib.contextmanager
def _script(path: Path, *options: str) -> Iterator[IO[bytes]]:
    """The SQL of a dump as ``pg_restore -f -`` streams it."""
    tools = find_tools()
    argv = [str(tools.restore), "--no-owner", "--no-privileges", *options, "-f", "-", str(path)]
    try:
        child = subprocess.Popen(  # noqa: S603 (our own argv, no shell)
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_clean_env()
        )
    except OSError as exc:
        raise BackupFailed(N_("The backup could not be read; nothing was changed.")) from exc
    assert child.stdout is not None
    try:
        yield child.stdout
    finally:
        child.stdout.close()
        _out, err = child.communicate(timeout=TOOL_TIMEOUT)
    if child.returncode != 0:
        raise BackupFailed(
            N_("The backup could not be read; nothing was changed.")
        ) from RuntimeError(err.decode("utf-8", "replace")[-2000:])


_COPY = re.compile(rb"^COPY .* FROM stdin;\s*$")


def contact_ids_in_dump(path: Path) -> set[int]:
    """The ids of the contacts in a dump (its ``contact`` table's first column)."""
    ids: set[int] = set()
    with _script(path, "--data-only", "--table=contact") as stream:
        in_copy = False
        for line in stream:
            if in_copy:
                if line.startswith(b"\\."):
                    in_copy = False
                else:
                    ids.add(int(line.split(b"\t", 1)[0]))
            elif _COPY.match(line) and line.startswith(b"COPY public.contact "):
                in_copy = True
    return ids


def load_dump(conn: Connection, path: Path, build_schema: Callable[[], None]) -> None:
    """Replace everything in the ``public`` schema by the dump's *data*, inside *conn*'s
    open transaction (nothing is committed here: a failure later rolls it all back).

    Only rows come from the dump: the schema is made by the app itself (*build_schema*:
    the migrations up to the backup's revision), every table is emptied, and the dump's
    data goes in with triggers off, as pg_restore does. A dump's schema is SQL that runs
    as the administrator (a superuser): a function or a CHECK in a crafted dump would run
    with that power, so the script is checked line by line and anything but ``COPY``
    blocks, sequence positions and plain session settings is refused (``BackupFailed``).
    The schema is dropped and made again rather than ``--clean``: objects that a newer
    schema has and the backup lacks would otherwise stay and break the migration.
    """
    import psycopg

    conn.execute(text("DROP SCHEMA public CASCADE"))
    conn.execute(text("CREATE SCHEMA public"))
    conn.execute(text("GRANT USAGE ON SCHEMA public TO PUBLIC"))
    build_schema()
    tables = [
        str(name)
        for (name,) in conn.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
            )
        )
    ]
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    if tables:
        listed = ", ".join('public."' + t.replace('"', '""') + '"' for t in sorted(tables))
        conn.execute(text(f"TRUNCATE {listed}"))
    raw: Any = conn.connection.driver_connection
    cursor = raw.cursor()
    try:
        with _script(path, "--data-only") as stream:
            settings = apply_script(cursor, stream)
    except psycopg.Error as exc:  # the caller's transaction is rolled back
        raise BackupFailed(N_("The backup could not be put back; nothing was changed.")) from exc
    finally:
        cursor.close()
    conn.execute(text("SET LOCAL session_replication_role = origin"))
    # The script sets session settings for itself (an empty search_path, lock_timeout 0,
    # ...): back to this connection's own (its start-up options), before the app's SQL
    # runs on it and before it returns to the pool.
    for name in sorted(settings | {"search_path"}):
        conn.execute(text(f"RESET {name}"))


_SET = re.compile(rb"^SET (\w+)\s*(=|TO)", re.IGNORECASE)
#: What a data-only script of PrivacyCRM's dump holds besides COPY blocks: session
#: settings pg_restore writes, and the sequences' positions. Nothing else is run.
_SETTING_NAMES = (
    "statement_timeout|lock_timeout|idle_in_transaction_session_timeout|transaction_timeout"
    "|client_encoding|standard_conforming_strings|check_function_bodies|xmloption"
    "|client_min_messages|row_security|default_table_access_method|default_tablespace"
)
_ALLOWED = re.compile(
    rb"^(SET (" + _SETTING_NAMES.encode() + rb") = [A-Za-z0-9_' ]+;"
    rb"|SELECT pg_catalog\.set_config\('search_path', '', false\);"
    rb"|SELECT pg_catalog\.setval\('public\.[a-z_]+', [0-9]+, (true|false)\);)\s*$"
)
_DATA = re.compile(rb'^COPY public\.([a-z_]+) \(("?[a-z_]+"?(, )?)+\) FROM stdin;\s*$')


def apply_script(cursor: Any, stream: IO[bytes]) -> set[str]:
    """Run a data-only script on *cursor*; return the names of the settings it changed.

    Raises:
        BackupFailed: a line that is not data, a setting or a sequence position.
    """
    settings: set[str] = set()
    line = stream.readline()
    while line:
        data = _DATA.match(line)
        if data is not None:
            if data.group(1).startswith(b"pcrm_"):
                # The server's own tables (an older dump's): written again after a restore.
                for row in stream:
                    if row.startswith(b"\\.") and row.strip() == b"\\.":
                        break
            else:
                with cursor.copy(line.decode("utf-8").rstrip().rstrip(";")) as copy:
                    for row in stream:
                        if row.startswith(b"\\.") and row.strip() == b"\\.":
                            break
                        copy.write(row)
        elif line.strip() and not line.startswith((b"--", b"\\")):
            # Skipped: blank lines, comments, psql meta-commands (``\\restrict``).
            if not _ALLOWED.match(line):
                raise BackupFailed(
                    N_(
                        "The backup holds more than PrivacyCRM's data (SQL the app does "
                        "not write); it was not put back and nothing was changed."
                    )
                )
            found = _SET.match(line)
            if found:
                settings.add(found.group(1).decode("ascii").lower())
            cursor.execute(line)
        line = stream.readline()
    return settings


#: The rewrite (``VACUUM FULL``) after an erasure is done when every table the erasure
#: changed is at most this size (tables and indexes); otherwise a plain ``VACUUM`` (see
#: ``vacuum``).
FULL_VACUUM_BYTES = 32 << 20
#: How long ``VACUUM FULL`` waits for its lock before settling for a plain ``VACUUM``
#: (while it waits, other desks' reads of that table queue behind it). Longer than
#: ``deadlock_timeout`` (1 s by default), after which an autovacuum worker busy with the
#: table gives way.
FULL_VACUUM_LOCK_MS = 2000


def changed_tables(conn: Connection, candidates: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The tables of this schema (those of *candidates*, when given) in which the open
    transaction on *conn* deleted or updated rows so far (``pg_stat_xact_user_tables``:
    this transaction's own counts, cascades and triggers included; one query), in
    *candidates*' order, else by name. Only these hold its dead row versions after the
    commit."""
    found = conn.execute(
        text(
            "SELECT relname FROM pg_stat_xact_user_tables "
            "WHERE schemaname = current_schema() AND n_tup_del + n_tup_upd > 0 "
            "ORDER BY relname"
        )
    ).scalars()
    changed = [str(name) for name in found]
    if candidates is None:
        return tuple(changed)
    return tuple(t for t in candidates if t in set(changed))


def vacuum(engine: Engine, tables: tuple[str, ...]) -> bool:
    """Clean *tables* (those an erasure changed) after it, outside a transaction (best
    effort).

    A plain ``VACUUM`` removes the dead row versions and their index entries: no query,
    dump or backup can reach them any more, but their bytes stay in the pages' free space
    until PostgreSQL reuses it (it has no secure_delete; no SQL overwrites a page's free
    space). ``VACUUM FULL`` writes a table and its indexes anew, so the old bytes leave
    the database's files (the old files are deleted); its cost is the table's size, not
    the erasure's. It is used when *every* table in *tables* is at most
    ``FULL_VACUUM_BYTES`` (a small office's database: milliseconds to a fraction of a
    second), so that the person's bytes then leave all of them; with one table larger,
    rewriting the others would still leave the person in that one, and every table gets
    the plain ``VACUUM`` (milliseconds: the visibility map skips the untouched pages).
    A rewrite whose lock does not come within ``FULL_VACUUM_LOCK_MS`` settles for the
    plain ``VACUUM`` too. Returns False when even that could not run.
    """
    if not tables:
        return True
    try:
        with engine.connect() as plain:
            conn = plain.execution_options(isolation_level="AUTOCOMMIT")
            sizes = {
                str(name): size
                for name, size in conn.execute(
                    text(
                        "SELECT t, pg_total_relation_size(to_regclass(t)) "
                        "FROM unnest(CAST(:names AS text[])) AS t"
                    ),
                    {"names": list(tables)},
                )
            }
            present = [t for t in tables if sizes.get(t) is not None]
            rewrite = all(int(sizes[t]) <= FULL_VACUUM_BYTES for t in present)
            conn.execute(text(f"SET lock_timeout = {int(FULL_VACUUM_LOCK_MS)}"))
            for table in present:
                if rewrite:
                    try:
                        conn.execute(text(f'VACUUM FULL "{table}"'))
                        continue
                    except DBAPIError:
                        pass  # the lock did not come in time: the plain VACUUM below
                conn.execute(text(f'VACUUM (INDEX_CLEANUP ON) "{table}"'))
            conn.execute(text("RESET lock_timeout"))
    except Exception:  # best effort: the erasure itself is committed
        return False
    return True
