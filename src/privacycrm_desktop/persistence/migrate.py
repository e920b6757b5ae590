"""Bring a database to the current schema at start-up.

Checking whether anything is to do costs one query and no Alembic import, so starting the
app stays fast; Alembic is loaded only when a migration is due. On SQLite, foreign keys are
off during the migration (batch mode copies and drops tables, which with foreign keys on
would silently delete child rows) and ``foreign_key_check`` must come back empty before the
migration commits. On PostgreSQL the migration runs in one transaction under an advisory
lock, so two desks starting at once cannot both migrate: the second waits, then finds the
schema current and does nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from privacycrm_desktop.domain.errors import (
    DatabaseTooNew,
    StorageReadOnly,
    UpdateNeedsWritableFile,
)
from privacycrm_desktop.persistence.database import is_postgresql, is_sqlite
from privacycrm_desktop.persistence.postgres import roles
from privacycrm_desktop.persistence.sqlite_driver import DRIVER_ERRORS

#: The advisory-lock key migrations take on PostgreSQL ("PCRMMIGR" as a 64-bit number).
MIGRATION_LOCK_KEY = 0x50_43_52_4D_4D_49_47_52

#: The newest revision in migrations/versions (a test keeps it in step with Alembic).
HEAD_REVISION = "0033_search_spelled_out"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


#: What a SQLite migration meets on a file it cannot write (the driver's own or wrapped).
_MIGRATION_FAILURES: tuple[type[Exception], ...] = (DBAPIError, *DRIVER_ERRORS)


class MigrationError(RuntimeError):
    """A migration left rows pointing at nothing; it was rolled back."""


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a new, empty database."""
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:
            return None


def needs_migration(engine: Engine) -> bool:
    """True when the database is not at ``HEAD_REVISION``."""
    return current_revision(engine) != HEAD_REVISION


def alembic_config(connection: object) -> object:
    """An Alembic config pointing at our scripts, bound to *connection*."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


_COUNT_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS contact_count_insert AFTER INSERT ON contact "
    "BEGIN UPDATE contact_count SET n = n + 1 WHERE id = 1; END",
    "CREATE TRIGGER IF NOT EXISTS contact_count_delete AFTER DELETE ON contact "
    "BEGIN UPDATE contact_count SET n = n - 1 WHERE id = 1; END",
)


#: As in migration 0004 (a migration script stays as it was written, so this is a copy).
_KEEP_UNTIL_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS keep_until_count_insert AFTER INSERT ON contact "
    "WHEN new.keep_until IS NOT NULL BEGIN "
    "INSERT INTO keep_until_count (day, n) VALUES (new.keep_until, 1) "
    "ON CONFLICT (day) DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER IF NOT EXISTS keep_until_count_delete AFTER DELETE ON contact "
    "WHEN old.keep_until IS NOT NULL BEGIN "
    "UPDATE keep_until_count SET n = n - 1 WHERE day = old.keep_until; END",
    "CREATE TRIGGER IF NOT EXISTS keep_until_count_update AFTER UPDATE OF keep_until ON contact "
    "WHEN old.keep_until IS NOT new.keep_until BEGIN "
    "UPDATE keep_until_count SET n = n - 1 WHERE day = old.keep_until; "
    "INSERT INTO keep_until_count (day, n) SELECT new.keep_until, 1 "
    "WHERE new.keep_until IS NOT NULL "
    "ON CONFLICT (day) DO UPDATE SET n = n + 1; END",
)


#: As in migration 0013: a tag's contacts carry the columns the filtered list sorts by.
_TAG_SORT_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS contact_tag_sort_name "
    "AFTER UPDATE OF sort_name, organisation, city, relationship ON contact "
    "WHEN old.sort_name IS NOT new.sort_name OR old.organisation IS NOT new.organisation "
    "OR old.city IS NOT new.city OR old.relationship IS NOT new.relationship BEGIN "
    "UPDATE contact_tag SET sort_name = new.sort_name, organisation = new.organisation, "
    "city = new.city, relationship = new.relationship WHERE contact_id = new.id; END"
)


def recount(conn: Connection) -> None:
    """Recount the stored contact counter and keep-until counts from the rows (and put
    their triggers back): the repair of a counter found not to match (SQLite)."""
    _restore_contact_count(conn)


def _restore_contact_count(conn: Connection) -> None:
    """Re-create the counting triggers (a batch migration copying ``contact`` drops them)
    and recount, so the stored number is exact after any migration."""
    exists = conn.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'contact_count'"
    ).scalar()
    if not exists:
        return
    for statement in _COUNT_TRIGGERS:
        conn.exec_driver_sql(statement)
    tagged = conn.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'contact_tag'"
    ).scalar()
    if tagged:
        conn.exec_driver_sql(_TAG_SORT_TRIGGER)
    digests = conn.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'contact_digest_due'"
    ).scalar()
    if digests:
        # Without them a changed address would keep its old digests (a batch migration
        # copying contact, contact_email or contact_phone drops them). Their table of due
        # contacts comes with migration 0029 (before it, at an older target, none).
        # Imported here: the digests' models are not needed to start (issue 23).
        from privacycrm_desktop.persistence.contact_digests import SQLITE_TRIGGERS

        for statement in SQLITE_TRIGGERS:
            conn.exec_driver_sql(statement)
    conn.exec_driver_sql("DELETE FROM contact_count")
    conn.exec_driver_sql("INSERT INTO contact_count (id, n) SELECT 1, count(*) FROM contact")
    histogram = conn.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'keep_until_count'"
    ).scalar()
    if histogram:
        for statement in _KEEP_UNTIL_TRIGGERS:
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql("DELETE FROM keep_until_count")
        conn.exec_driver_sql(
            "INSERT INTO keep_until_count (day, n) SELECT keep_until, count(*) FROM contact "
            "WHERE keep_until IS NOT NULL GROUP BY keep_until"
        )


def known_revisions() -> frozenset[str]:
    """Every revision this version's migrations know (a revision is its script's name)."""
    return frozenset(p.stem for p in (MIGRATIONS_DIR / "versions").glob("0*.py"))


def refuse_newer(revision: str | None) -> None:
    """Raise ``DatabaseTooNew`` when *revision* is one no migration here knows."""
    if revision and revision not in known_revisions():
        raise DatabaseTooNew(revision=revision)


def migrate(engine: Engine, target: str = "head") -> bool:
    """Upgrade to *target* if needed; return True when a migration ran.

    Raises:
        DatabaseTooNew: a newer version of the app wrote the database (its revision is
            unknown here); nothing is changed.
        UpdateNeedsWritableFile: an update is due and the SQLite file is read-only (the
            driver's read-only error would say "you can still look things up", which an
            older schema does not allow); nothing is changed.
    """
    if target == "head":
        current = current_revision(engine)
        if current == HEAD_REVISION:
            return is_postgresql(engine) and _refresh_server_roles(engine)
        refuse_newer(current)
    if is_postgresql(engine):
        return _migrate_postgresql(engine, target)
    try:
        return _migrate_sqlite(engine, target)
    except _MIGRATION_FAILURES as exc:
        from privacycrm_desktop.persistence.storage_errors import storage_error

        if isinstance(storage_error(exc), StorageReadOnly):
            raise UpdateNeedsWritableFile from exc
        raise


def _migrate_sqlite(engine: Engine, target: str) -> bool:
    from alembic import command

    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        if is_sqlite(engine):
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin() as transaction:
                command.upgrade(alembic_config(conn), target)  # type: ignore[arg-type]
                if is_sqlite(engine):
                    _restore_contact_count(conn)
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        transaction.rollback()
                        raise MigrationError(
                            f"migration to {target} left {len(broken)} dangling references"
                        )
        finally:
            if is_sqlite(engine):
                raw.execute("PRAGMA foreign_keys=ON")
    return True


def _refresh_server_roles(engine: Engine) -> bool:
    """The schema is current, but the server's functions and grants may be of an older
    version: the administrator's connection brings them up to date; a desk's
    own role leaves them (it may not change them). True when they were renewed."""
    # Imported here: a SQLite start needs none of the server's grants and functions.
    from privacycrm_desktop.persistence.postgres import grants

    with engine.connect() as conn:
        stale = grants.needs_upgrade(conn) and roles.is_admin(conn)
        conn.rollback()
        if not stale:
            return False
        with conn.begin():
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            if grants.needs_upgrade(conn):
                grants.enable(conn)
        return True


def _migrate_postgresql(engine: Engine, target: str) -> bool:
    """Migrate in one transaction under an advisory lock (DDL is transactional there)."""
    from alembic import command

    from privacycrm_desktop.persistence.postgres import grants

    with engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        # Another desk may have migrated while this one waited for the lock.
        exists = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
        if exists and target == "head":
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if current == HEAD_REVISION:
                return False
        command.upgrade(alembic_config(conn), target)  # type: ignore[arg-type]
        # Where the server enforces the field matrix, new tables and columns get their
        # grants (and owner) in the same transaction (persistence/postgres/grants.py).
        if roles.enabled(conn):
            grants.enable(conn)
    return True
