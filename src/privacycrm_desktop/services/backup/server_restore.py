"""Restore on a PostgreSQL server: the same promises as a file restore
(services/backup/file_restore.py).

Other desks stay connected to a shared server, so the database cannot be renamed away and
a new one renamed in (``ALTER DATABASE ... RENAME`` refuses while anyone is connected,
and it needs CREATEDB). The restore therefore happens inside the live database, in one
transaction on one connection:

1. before it, the backup is checked (manifest, size, sha256, decryption, ``pg_restore
   --list``) into a private temporary folder, and a fresh backup of the live database is
   made: that backup is "the current database kept aside" (``RestoreResult.aside``);
2. ``LOCK`` the erasure ledger, the suppression list and the consent events, so no desk
   erases someone or records an opt-out that the restore would then lose; read what must
   survive (ledger, suppression list and salt, opt-outs since the backup);
3. drop the ``public`` schema and stream the dump's SQL into the same transaction
   (persistence/pg_dump.load_dump);
4. migrate the restored schema (Alembic on the same connection; DDL is transactional);
   where the server enforces the field matrix, give ownership and grants back
   (persistence/postgres/grants.enable: the dump is loaded with ``--no-owner --no-privileges``,
   as its roles may be gone);
5. replay the erasure ledger through the normal erasure code (rows, search rows,
   suppression), carry the suppression list and opt-outs over, record "backup.restore"
   chained to the restored audit trail; commit.

Any failure before the commit rolls everything back: the live data is unchanged. After
the commit the touched tables are vacuumed (services/erasure.finish_erasure), so the dead
row versions of the people erased again are cleaned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from privacycrm_desktop.config import data_dir
from privacycrm_desktop.domain.errors import BackupFailed, BackupInvalid
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import backup as files
from privacycrm_desktop.persistence import backup_temp, pg_dump
from privacycrm_desktop.persistence.backup_verify import plain_copy
from privacycrm_desktop.persistence.migrate import HEAD_REVISION, MIGRATIONS_DIR, alembic_config
from privacycrm_desktop.persistence.models import Setting
from privacycrm_desktop.persistence.postgres import grants, roles
from privacycrm_desktop.persistence.postgres.write_log import create_write_log_tables
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.backup.carry_over import read_carry_over, replay
from privacycrm_desktop.services.backup.checks import (
    check_backend,
    count_contacts,
    is_other_database,
)
from privacycrm_desktop.services.backup.keys import AUTH_KEY, DATABASE_ID_KEY
from privacycrm_desktop.services.backup.records import RestorePlan, RestoreResult
from privacycrm_desktop.services.erasure import finish_erasure

#: Held from reading what must survive until the commit: no erasure, suppression or
#: opt-out of another desk can slip in between and be lost.
_CARRY_TABLES = "erasure_ledger, suppression, consent_event"


def _private_folder() -> Path:
    """The owner-only folder of this computer for the plain copy of a dump (named with the
    process, so a killed restore's copy goes at the next start: services/backup/service.py)."""
    return backup_temp.private_temp_folder(data_dir())


def _check(path: Path) -> files.BackupInfo:
    info = files.read_manifest(path)
    check_backend(info, files.POSTGRESQL)
    known = {p.stem for p in (MIGRATIONS_DIR / "versions").glob("*.py")}
    if known and info.schema_version and info.schema_version not in known:
        raise BackupInvalid(
            N_("This backup comes from a newer version of PrivacyCRM; update PrivacyCRM first.")
        )
    return info


def plan(
    uow: UnitOfWork,
    path: Path,
    passphrase: str | None,
    *,
    keys: Sequence[bytes],
    database_id: str,
    replace_other: bool = False,
) -> RestorePlan:
    """Check the backup (decrypting it when needed) and count what a restore would change."""
    info = _check(path)
    contacts_now = count_contacts(uow)
    with plain_copy(info, _private_folder(), passphrase, keys) as copy:
        other = is_other_database(info, database_id, replace_other)
        in_backup = pg_dump.contact_ids_in_dump(copy.path)
    erased: set[int] = set()
    if not other:
        with uow() as work:
            erased = {entry.contact_id for entry in read_carry_over(work.session).ledger}
    return RestorePlan(
        backup=info,
        contacts_now=contacts_now,
        contacts_in_backup=len(in_backup),
        # Contact ids are never reused (a sequence), so an id of the ledger that the backup
        # holds is a person erased since it was made.
        erasures_to_replay=len(in_backup & erased),
        schema_migrates=info.schema_version != HEAD_REVISION,
        other_database=other,
    )


def restore(
    uow: UnitOfWork,
    path: Path,
    passphrase: str | None,
    *,
    actor_name: str,
    now: dt.datetime,
    set_aside: Callable[[], Path],
    keys: Sequence[bytes],
    identity: tuple[str, bytes],
    replace_other: bool = False,
) -> RestoreResult:
    """Restore *path* into the live database behind *uow* (see the module text)."""
    info = _check(path)
    with plain_copy(info, _private_folder(), passphrase, keys) as copy:
        other = is_other_database(info, identity[0], replace_other)
        continues = (info.database_id or identity[0], copy.key) if other else identity
        aside = set_aside()
        try:
            replayed = _restore_in_one_transaction(
                uow, copy.path, info, actor_name, now, continues=continues, other=other
            )
        except DBAPIError as exc:  # a lock not granted, a refused statement: rolled back
            raise BackupFailed(
                N_(
                    "The backup could not be put back (the server refused it or another "
                    "desk holds a lock); nothing was changed."
                )
            ) from exc
    finish_erasure(uow)
    return RestoreResult(backup=info, aside=aside, erasures_replayed=replayed)


def _restore_in_one_transaction(
    uow: UnitOfWork,
    tmp: Path,
    info: files.BackupInfo,
    actor_name: str,
    now: dt.datetime,
    *,
    continues: tuple[str, bytes],
    other: bool,
) -> int:
    """Steps 2-5 of the module text; returns the erasures replayed."""
    from alembic import command

    with uow.engine.connect() as conn:
        session = Session(bind=conn, autoflush=False)
        try:
            with conn.begin():
                conn.execute(text(f"LOCK TABLE {_CARRY_TABLES} IN SHARE ROW EXCLUSIVE MODE"))
                carry = None if other else read_carry_over(session, since=info.created_at)
                session.expunge_all()  # those rows belong to the database replaced now

                def build_schema() -> None:
                    # The app's own schema at the backup's revision; only rows come from
                    # the dump (persistence/pg_dump.load_dump).
                    command.upgrade(alembic_config(conn), info.schema_version)  # type: ignore[arg-type]
                    create_write_log_tables(run_sql)

                def run_sql(sql: str) -> None:
                    conn.exec_driver_sql(sql)

                pg_dump.load_dump(conn, tmp, build_schema)
                if info.schema_version != HEAD_REVISION:
                    command.upgrade(alembic_config(conn), "head")  # type: ignore[arg-type]
                if roles.enabled(conn):
                    # The dump was put back without owners and grants (they name roles that
                    # may be gone): the group roles get ownership and the restored field
                    # matrix's column privileges again, in this transaction.
                    grants.enable(conn)
                replayed = replay(session, carry, actor_name, now) if carry is not None else 0
                # The restored data continues this database (or, replacing it on purpose,
                # the other one): its identity and key, never the dump's scrubbed state.
                session.merge(Setting(key=DATABASE_ID_KEY, value=continues[0]))
                session.merge(Setting(key=AUTH_KEY, value=continues[1].hex()))
                record_event(
                    session,
                    actor=actor_name,
                    action="backup.restore",
                    entity="backup",
                    entity_id=info.path.name,
                    at=now,
                    detail=(
                        f"erasures_replayed={replayed};"
                        f"backup_created={info.created_at.isoformat()};"
                        f"ledger_read={int(carry is not None)};backend=postgresql"
                        + (";other_database=1" if other else "")
                    ),
                )
                session.flush()
        finally:
            session.close()
    return replayed
