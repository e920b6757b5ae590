"""The UIDs of this database's contacts (``domain.contact_uid``): written by an export,
recognised by an import."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.contact_uid import contact_uid, uid_contact_id
from privacycrm_desktop.persistence.backup_names import DATABASE_ID_SETTING
from privacycrm_desktop.persistence.merge_models import ContactRedirect
from privacycrm_desktop.persistence.models import Setting


def database_id(session: Session) -> str:
    """The database's random id (made by a migration; "" before it)."""
    row = session.get(Setting, DATABASE_ID_SETTING)
    return row.value if row is not None else ""


class ContactUids:
    """Gives and reads the UIDs of one database's contacts."""

    def __init__(self, session: Session) -> None:
        self._database = database_id(session)
        # A contact merged away since the export: its UID names the contact kept.
        self._redirects: dict[int, int] = {
            int(old): int(new)
            for old, new in session.execute(
                select(ContactRedirect.old_id, ContactRedirect.survivor_id)
            )
        }

    def uid(self, contact_id: int) -> str:
        """The UID an export writes for *contact_id*."""
        return contact_uid(self._database, contact_id)

    def contact_id(self, uid: str) -> int | None:
        """The contact of this database *uid* names, if any (it may have been erased); for
        a contact merged away, the contact it was merged into."""
        found = uid_contact_id(self._database, uid) if uid else None
        return self._redirects.get(found, found) if found is not None else None


__all__ = ["ContactUids", "database_id"]
