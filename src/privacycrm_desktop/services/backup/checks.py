"""Checks both kinds of restore make before they change anything: the kind of database a
backup is of, whether it is this database's, and how many contacts a database holds."""

from __future__ import annotations

from sqlalchemy import func, select

from privacycrm_desktop.domain.errors import BackupInvalid, BackupOtherDatabase
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import backup as files
from privacycrm_desktop.persistence.models import Contact
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork


def check_backend(info: files.BackupInfo, backend: str) -> None:
    """Refuse a backup of the other kind of database (a file's into a server, or back)."""
    if info.backend == backend:
        return
    if info.backend == files.POSTGRESQL:
        raise BackupInvalid(
            N_(
                "This backup was made from a PostgreSQL server database; it can only be "
                "restored into a PostgreSQL database."
            )
        )
    raise BackupInvalid(
        N_(
            "This backup is of a database file on a computer; it cannot be restored into a "
            "PostgreSQL server database."
        )
    )


def is_other_database(info: files.BackupInfo, database_id: str, replace_other: bool) -> bool:
    """True when *info* is a backup of another database; refused unless *replace_other*.

    Raises:
        BackupOtherDatabase: another database's backup, and the owner did not choose to
            replace this company's data with it.
    """
    other = bool(info.database_id) and info.database_id != database_id
    if other and not replace_other:
        raise BackupOtherDatabase
    return other


def count_contacts(uow: UnitOfWork) -> int:
    """How many contacts the database behind *uow* holds."""
    with uow() as work:
        return int(work.session.scalar(select(func.count()).select_from(Contact)) or 0)
