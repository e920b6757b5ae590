"""The contact list filtered by a tag: counts, windows, and the list as a selection.

A mixin of ``ContactService`` (services/contacts.py), kept apart so each stays short. The
tag filter combines with a search and a saved view; a role the tags are hidden from may not
filter by one (the rows would tell who carries it).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, require
from privacycrm_desktop.domain.errors import PermissionDenied
from privacycrm_desktop.persistence import contact_queries as queries
from privacycrm_desktop.persistence import search, tag_keyset, tag_queries
from privacycrm_desktop.persistence.tag_queries import IdsSql
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.contact_details import list_rows
from privacycrm_desktop.services.dto import Actor, ContactRow, ListBookmarks, ListFilter


class TaggedList:
    """What ``ContactService`` adds to its list for tags; it provides the methods below
    that raise ``NotImplementedError`` here."""

    _uow: UnitOfWork

    def _access(self, actor: Actor) -> dict[str, FieldAccess]:
        raise NotImplementedError

    def _match(self, actor: Actor, query: str) -> search.SearchTerms | None:
        raise NotImplementedError

    def _phone_prefix(self, actor: Actor, query: str) -> str | None:
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

    # -- the whole list's count, read ahead at the start ---------------------------------

    _counted_ahead: tuple[Actor, int] | None = None

    def count_ahead(self, actor: Actor) -> None:
        """The whole list's count, read now for the next ``count`` only: the start reads it
        while the window's code loads (40-70 ms on PostgreSQL at a million, issue 23)."""
        self._counted_ahead = (actor, self.count(actor))

    def _read_ahead(
        self, actor: Actor, query: str, view: ListFilter | None, tag: int | None
    ) -> int | None:
        """The count read ahead when *this* count is the whole list's; either way it is
        used up: a later count reads again."""
        ahead, self._counted_ahead = self._counted_ahead, None
        if ahead is None or ahead[0] != actor or (query, view, tag) != ("", None, None):
            return None
        return ahead[1]

    # -- the list filtered by a tag (tags may be hidden from a role: then no filter) ----

    def selection(
        self,
        actor: Actor,
        query: str = "",
        tag: int | None = None,
        view: ListFilter | None = None,
    ) -> IdsSql | None:
        """What the list shows for *query*, *tag* and the saved *view*, as SQL selecting
        the contact ids (for a change of all of them in one statement); None when it shows
        nobody."""
        require(actor.role, Permission.VIEW_CONTACTS)
        base = self._search_sql(actor, query, view)
        if base is False:
            return None
        if tag is None:
            return base or ("SELECT id FROM contact", {})
        self._require_tag_filter(actor)
        sql = "SELECT contact_id FROM contact_tag WHERE tag_id = :tag_filter"
        if base is None:
            return sql, {"tag_filter": tag}
        return f"{sql} AND contact_id IN ({base[0]})", {**base[1], "tag_filter": tag}

    def _search_sql(
        self, actor: Actor, query: str, view: ListFilter | None = None
    ) -> IdsSql | Literal[False] | None:
        """The ids *query* (in the saved *view*) finds as SQL; None for every contact,
        False for none."""
        if view is not None and view.active:
            with self._uow(autocommit=True) as uow:
                filtered = self._condition(uow.session, actor, query, view)
            if filtered is None or not filtered[0]:
                return False
            # The view's condition is built from constants; the user's text is bound.
            return f"SELECT c.id FROM contact AS c WHERE {filtered[0]}", filtered[1]  # noqa: S608
        if not query.strip():
            return None
        prefix = self._phone_prefix(actor, query)
        if prefix is not None:
            low, high = queries.prefix_bounds(prefix)
            return (
                "SELECT contact_id FROM contact_phone WHERE number >= :low AND number < :high",
                {"low": low, "high": high},
            )
        match = self._match(actor, query)
        if match is None:
            return False
        with self._uow(autocommit=True) as uow:
            return search.matching_ids(uow.session, match)

    def _require_tag_filter(self, actor: Actor) -> None:
        # Filtering by a tag tells who carries it: not for a role the tags are hidden from.
        if self._access(actor).get("tags") not in (FieldAccess.READ, FieldAccess.WRITE):
            raise PermissionDenied

    def _count_tagged(
        self, actor: Actor, query: str, tag: int, view: ListFilter | None = None
    ) -> int:
        self._require_tag_filter(actor)
        base = self._search_sql(actor, query, view)
        if base is False:
            return 0
        with self._uow(autocommit=True) as uow:
            return tag_queries.count_tagged(uow.session, tag, base)

    def _page_tagged(
        self,
        actor: Actor,
        query: str,
        tag: int,
        order: str,
        descending: bool,
        offset: int,
        limit: int,
        total: int | None,
        view: ListFilter | None = None,
        bookmarks: ListBookmarks | None = None,
    ) -> list[ContactRow]:
        self._require_tag_filter(actor)
        base = self._search_sql(actor, query, view)
        if base is False:
            return []
        with self._uow(autocommit=True) as uow:
            session = uow.session
            if total is None:
                total = tag_queries.count_tagged(session, tag, base)
            rows = None
            # Only the tag (no search, no view): read by key from its bookmarks.
            shape = (order, total, tag)
            if (
                base is None
                and bookmarks
                and (bookmarks.order, bookmarks.total, bookmarks.tag) == shape
            ):
                rows = tag_keyset.window(
                    session, tag, order, descending, offset, limit, total, bookmarks
                )
            if rows is None:
                rows = tag_queries.tagged_window(
                    session, tag, total, order, descending, offset, limit, base
                )
        access = self._access(actor)
        return list_rows(access, rows)
