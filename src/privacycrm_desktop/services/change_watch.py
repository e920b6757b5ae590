"""Changes made on other desks: subscribe to them, and ask whether one contact changed.

The UI may not reach the persistence layer, so this service hands it the change feed
(persistence/change_feed.py) and the one read it needs to tell an open editor that its
contact changed elsewhere: the contact's stored version (a number, nothing personal).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy import select

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.persistence.change_feed import DEFAULT_POLL_INTERVAL, ChangeFeed
from privacycrm_desktop.persistence.models import Contact
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.dto import Actor


class ChangeSubscription(Protocol):
    """A running subscription; ``stop()`` ends it (and its thread) promptly."""

    @property
    def active(self) -> bool: ...

    def stop(self, timeout: float = 5.0) -> None: ...


class ChangeWatchService:
    """Subscriptions to contact changes, and the stored version of a contact."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def subscribe(
        self,
        actor: Actor,
        callback: Callable[[], None],
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> ChangeSubscription:
        """Call *callback* (on a worker thread) each time contacts changed elsewhere.

        Changes are coalesced: a large import gives a few calls, not one per row. The
        caller must ``stop()`` the subscription when it no longer wants the calls.

        Raises:
            PermissionDenied: the actor may not see the contact list.
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        uow = self._uow
        feed = ChangeFeed(
            uow.engine,
            callback,
            poll_interval=poll_interval,
            current_engine=lambda: uow.engine,  # a reconnect follows a rebind
        )
        feed.start()
        return feed

    def version_of(self, actor: Actor, contact_id: int) -> int | None:
        """The stored version of a contact, or None when it no longer exists.

        Raises:
            PermissionDenied: the actor may not see contacts.
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            version = uow.session.scalar(select(Contact.version).where(Contact.id == contact_id))
        return None if version is None else int(version)


__all__ = ["ChangeSubscription", "ChangeWatchService"]
