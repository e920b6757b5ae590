"""The list's windows read by key (bookmarks) rather than OFFSET: the whole list and the
saved views (``persistence/list_keyset.py``).

A mixin of ``ContactService`` (services/contacts.py), kept apart so each stays short.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Row
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.persistence import contact_queries as queries
from privacycrm_desktop.persistence import list_keyset, tag_keyset
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.dto import (
    Actor,
    ContactFilter,
    ContactSort,
    ListBookmarks,
    ListFilter,
)

#: A saved view of more contacts than this is read by key once its bookmarks are read
#: (fewer are found and sorted: ``contact_queries.SMALL_MATCH_SET``).
KEYED_VIEW_FROM_ROWS = queries.SMALL_MATCH_SET


class KeyedList:
    """What ``ContactService`` adds to its list for windows by key; it provides the
    methods below that raise ``NotImplementedError`` here."""

    _uow: UnitOfWork
    #: ``TaggedList``'s (the next mixin of ``ContactService``).
    _require_tag_filter: Callable[[Actor], None]

    def allowed_sort(self, actor: Actor, sort: ContactSort) -> ContactSort | None:
        raise NotImplementedError

    def _condition(
        self, session: Session, actor: Actor, query: str, view: ListFilter | None
    ) -> tuple[str, dict[str, object]] | None:
        raise NotImplementedError

    def count(
        self,
        actor: Actor,
        query: str = "",
        view: ListFilter | None = None,
        *,
        tag: int | None = None,
    ) -> int:
        raise NotImplementedError

    def bookmarks(
        self,
        actor: Actor,
        sort: ContactSort = ContactSort.NAME,
        view: ListFilter | None = None,
        *,
        tag: int | None = None,
    ) -> ListBookmarks:
        """The bookmarks of the whole list, of the saved *view* or of the contacts carrying
        the tag with id *tag*, in *sort*'s order, for ``page`` (one pass over the order's
        index). A tag's in an order its link table does not copy: none (by OFFSET)."""
        require(actor.role, Permission.VIEW_CONTACTS)
        allowed = self.allowed_sort(actor, sort)
        order = queries.ENTRY_ORDER if allowed is None else allowed.value
        stride = list_keyset.STRIDE
        if tag is not None:
            self._require_tag_filter(actor)
            keys: list[list_keyset.Key] = []
            if tag_keyset.keyed(order):
                with self._uow(autocommit=True) as uow:
                    keys = tag_keyset.bookmarks(uow.session, tag, order, stride)
            total = self.count(actor, tag=tag)
            return ListBookmarks(order, total, stride, tuple(keys), tag=tag)
        if view is None or not view.active:
            with self._uow(autocommit=True) as uow:
                keys = list_keyset.bookmarks(uow.session, order, stride)
                total = queries.count_all(uow.session)
            return ListBookmarks(order, total, stride, tuple(keys))
        with self._uow(autocommit=True) as uow:
            filtered = self._condition(uow.session, actor, "", view)
            assert filtered is not None  # a saved view always has its condition
            keys = list_keyset.bookmarks(uow.session, order, stride, filtered)
        # Read apart: a list changed in between no longer matches its count (the window
        # then comes out short and is read by OFFSET; the table model drops them).
        total = self.count(actor, "", view)
        return ListBookmarks(order, total, stride, tuple(keys), view)

    def _keyed_view_window(
        self,
        session: Session,
        filtered: tuple[str, dict[str, object]],
        query: str,
        view: ListFilter | None,
        shape: tuple[str, bool, int, int, int],
        bookmarks: ListBookmarks | None,
    ) -> Sequence[Row[tuple[object, ...]]] | None:
        """A window of the saved *view* (no search text: *query* empty) in the *shape*
        (order, descending, offset, limit, total) read by key from its *bookmarks* (of
        this view, order and total); None when they cannot serve it (then by OFFSET)."""
        order, descending, offset, limit, total = shape
        if (
            bookmarks is None
            or view is None
            or query.strip()
            or total <= KEYED_VIEW_FROM_ROWS
            or (bookmarks.order, bookmarks.total, bookmarks.view) != (order, total, view)
        ):
            return None
        index = view_index(view, order)
        return list_keyset.window(
            session, order, descending, offset, limit, total, bookmarks, filtered, index
        )


def view_index(view: ListFilter | None, order: str) -> str:
    """The index that serves *view* in *order* better than the order's own ("" for that
    one): by relationship in name order, its own index holds both (no probing)."""
    if view is not None and view.kind is ContactFilter.RELATIONSHIP and order == "name":
        return "ix_contact_relationship_sort"
    return ""
