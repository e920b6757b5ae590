"""Tags: create, rename, recolour, merge and delete them; put them on many contacts at once.

A tag is the business's own label ("VIP", "Trade fair Ghent 2026"); that a contact carries
it is about the person (catalogue field ``tags``). So putting tags on and taking them off
needs the right to edit contacts and write access to the field; seeing them follows the
field matrix; merging two tags and deleting one (which changes every contact carrying it)
is for those who change settings. Every change is one transaction with its audit event,
which names the tag by its id and counts contacts, never a name or a person.

Tagging many contacts is one set-based statement (``persistence.tag_queries``), for a list
of ids or for whatever the list shows: a search, a phone number being typed, another tag.
The link tables are per kind of record (``domain.tags.Tagged``): companies get theirs in
the same shape, and this service handles them by that kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import (
    FieldAccess,
    Permission,
    has_permission,
    mask,
    require,
)
from privacycrm_desktop.domain.errors import (
    FieldProblem,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from privacycrm_desktop.domain.provenance import SourceInput, validate_source
from privacycrm_desktop.domain.tags import (
    PALETTE,
    Tagged,
    tag_colour,
    tag_key,
    tag_name,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import tag_queries
from privacycrm_desktop.persistence.models import Contact, Source, Tag
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor


@dataclass(frozen=True)
class TagInfo:
    """A tag as the tag list shows it, with how many contacts carry it."""

    id: int
    name: str
    colour: str
    contacts: int


class TagService:
    """The tags of the database and their links to contacts, as the actor's role allows."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._access = access or AccessService(uow, clock)

    # -- reading ----------------------------------------------------------------------

    def list(self, actor: Actor) -> list[TagInfo]:
        """Every tag in name order; the counts only for a role that may see tags."""
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            session = uow.session
            tags = session.execute(select(Tag.id, Tag.name, Tag.colour).order_by(Tag.folded))
            counts = (
                tag_queries.count_links(session, Tagged.CONTACT) if self.readable(actor) else {}
            )
            return [TagInfo(i, n, c, counts.get(i, 0)) for i, n, c in tags]

    def find(self, actor: Actor, name: str) -> TagInfo:
        """The tag of that name (folded: "vip" finds "VIP").

        Raises:
            NotFound: no tag has that name.
        """
        key = tag_key(" ".join(name.split()))
        for info in self.list(actor):
            if tag_key(info.name) == key:
                return info
        raise NotFound(N_("There is no tag named {name}."), name=name.strip())

    def readable(self, actor: Actor) -> bool:
        """May *actor* see which contacts carry which tag (and filter the list by one)?"""
        level = self._access.access_for(actor.role).get("tags", FieldAccess.HIDDEN)
        return level in (FieldAccess.READ, FieldAccess.WRITE)

    def writable(self, actor: Actor) -> bool:
        """May *actor* put tags on contacts and take them off?"""
        level = self._access.access_for(actor.role).get("tags", FieldAccess.HIDDEN)
        return has_permission(actor.role, Permission.EDIT_CONTACTS) and level is FieldAccess.WRITE

    def _require_writable(self, actor: Actor) -> None:
        require(actor.role, Permission.EDIT_CONTACTS)
        if self._access.access_for(actor.role).get("tags") is not FieldAccess.WRITE:
            raise PermissionDenied

    # -- the tags themselves ----------------------------------------------------------

    def create(self, actor: Actor, name: str, colour: str | None = None) -> int:
        """A new tag; returns its id.

        Raises:
            ValidationFailed: the name is not valid, or a tag of that name exists.
        """
        require(actor.role, Permission.EDIT_CONTACTS)
        clean = tag_name(name)
        chosen = tag_colour(colour) if colour is not None else None
        with self._uow(write=True) as uow:
            session = uow.session
            self._refuse_taken(session, clean)
            return self._make(session, actor, clean, chosen)

    def rename(self, actor: Actor, tag_id: int, name: str) -> None:
        """Give a tag another name (the contacts keep it).

        Raises:
            ValidationFailed: the name is not valid, or another tag has it.
            NotFound: no such tag.
        """
        require(actor.role, Permission.EDIT_CONTACTS)
        clean = tag_name(name)
        with self._uow(write=True) as uow:
            session = uow.session
            tag = _tag(session, tag_id)
            self._refuse_taken(session, clean, tag_id)
            tag.name, tag.folded = clean, tag_key(clean)
            self._audit(session, actor, "tag.rename", tag_id)

    def recolour(self, actor: Actor, tag_id: int, colour: str) -> None:
        """Give a tag another colour ("#rrggbb")."""
        require(actor.role, Permission.EDIT_CONTACTS)
        chosen = tag_colour(colour)
        with self._uow(write=True) as uow:
            session = uow.session
            _tag(session, tag_id).colour = chosen
            self._audit(session, actor, "tag.recolour", tag_id)

    def merge(self, actor: Actor, from_id: int, into_id: int) -> int:
        """Merge tag *from_id* into *into_id*: its contacts get *into_id*, and it goes.

        Returns:
            How many contacts gained *into_id* (those carrying both count once).
        """
        require(actor.role, Permission.EDIT_SETTINGS)
        if from_id == into_id:
            raise ValidationFailed([FieldProblem("tag", N_("Choose two different tags."))])
        with self._uow(write=True) as uow:
            session = uow.session
            gone = _tag(session, from_id)
            _tag(session, into_id)
            moved = tag_queries.move_links(session, Tagged.CONTACT, from_id, into_id)
            tag_queries.move_links(session, Tagged.COMPANY, from_id, into_id)
            session.delete(gone)
            self._audit(session, actor, "tag.merge", into_id, f"from={from_id};contacts={moved}")
            return moved

    def delete(self, actor: Actor, tag_id: int) -> int:
        """Delete a tag and take it off every contact; returns how many carried it."""
        require(actor.role, Permission.EDIT_SETTINGS)
        with self._uow(write=True) as uow:
            session = uow.session
            tag = _tag(session, tag_id)
            removed = tag_queries.drop_links(session, Tagged.CONTACT, tag_id)
            tag_queries.drop_links(session, Tagged.COMPANY, tag_id)
            session.execute(delete(Tag).where(Tag.id == tag.id))
            self._audit(session, actor, "tag.delete", tag_id, f"contacts={removed}")
            return removed

    # -- tags on contacts ---------------------------------------------------------------

    def assign(
        self,
        actor: Actor,
        tag_id: int,
        contact_ids: Sequence[int],
        source: SourceInput | None = None,
    ) -> int:
        """Put the tag on the contacts *contact_ids*; returns how many did not carry it.

        *source*, when given, is where the tag came from (a file, a form); without one the
        tag is the business's own label, recorded with who put it on and when.

        Raises:
            NotFound: no such tag, or one of the ids is no contact.
        """
        return self._change(actor, _existing(tag_id), contact_ids, source, on=True)[1]

    def unassign(self, actor: Actor, tag_id: int, contact_ids: Sequence[int]) -> int:
        """Take the tag off the contacts *contact_ids*; returns how many carried it."""
        return self._change(actor, _existing(tag_id), contact_ids, None, on=False)[1]

    def assign_matching(
        self, actor: Actor, tag_id: int, selection: tag_queries.IdsSql | None
    ) -> int:
        """Put the tag on every contact of *selection* (what the list shows: from
        ``ContactService.selection``; None selects nobody), in one statement."""
        return self._change_matching(actor, _existing(tag_id), selection, on=True)[1]

    def unassign_matching(
        self, actor: Actor, tag_id: int, selection: tag_queries.IdsSql | None
    ) -> int:
        """Take the tag off every contact of *selection*, in one statement."""
        return self._change_matching(actor, _existing(tag_id), selection, on=False)[1]

    def assign_named(
        self,
        actor: Actor,
        name: str,
        contact_ids: Sequence[int] = (),
        selection: tag_queries.IdsSql | None = None,
        *,
        colour: str | None = None,
        matching: bool = False,
    ) -> tuple[int, int]:
        """Put the tag called *name* on *contact_ids* (or, *matching*, on everything
        *selection* holds), making the tag (with *colour*) when no tag has that name: all
        in one transaction, so a refusal leaves no new tag behind.

        Returns:
            The tag's id and how many contacts gained it.
        """
        self._require_writable(actor)
        clean = tag_name(name)
        chosen = tag_colour(colour) if colour is not None else None

        def resolve(session: Session) -> int:
            found = session.execute(select(Tag.id).where(Tag.folded == tag_key(clean))).scalar()
            return found if found is not None else self._make(session, actor, clean, chosen)

        if matching:
            return self._change_matching(actor, resolve, selection, on=True)
        return self._change(actor, resolve, contact_ids, None, on=True)

    def _change(
        self,
        actor: Actor,
        resolve: Callable[[Session], int],
        contact_ids: Sequence[int],
        source: SourceInput | None,
        *,
        on: bool,
    ) -> tuple[int, int]:
        self._require_writable(actor)
        ids = list(dict.fromkeys(int(i) for i in contact_ids))
        checked = validate_source(source, self._clock.today()) if source is not None else None
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            tag_id = resolve(session)
            source_id = self._source(session, actor, checked)
            changed = 0
            for start in range(0, len(ids), tag_queries.MAX_IDS):
                block = ids[start : start + tag_queries.MAX_IDS]
                _require_contacts(session, block)
                selection = tag_queries.id_list(Tagged.CONTACT, block)
                if on:
                    changed += tag_queries.link(
                        session,
                        Tagged.CONTACT,
                        tag_id,
                        selection,
                        now=now,
                        user_id=actor.user_id,
                        source_id=source_id,
                    )
                else:
                    changed += tag_queries.unlink(session, Tagged.CONTACT, tag_id, selection)
            self._audit(
                session,
                actor,
                "tag.assign" if on else "tag.unassign",
                tag_id,
                f"contacts={changed};of={len(ids)}",
            )
            return tag_id, changed

    def _change_matching(
        self,
        actor: Actor,
        resolve: Callable[[Session], int],
        selection: tag_queries.IdsSql | None,
        *,
        on: bool,
    ) -> tuple[int, int]:
        self._require_writable(actor)
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            tag_id = resolve(session)
            changed = 0
            if selection is not None:
                if on:
                    changed = tag_queries.link(
                        session, Tagged.CONTACT, tag_id, selection, now=now, user_id=actor.user_id
                    )
                else:
                    changed = tag_queries.unlink(session, Tagged.CONTACT, tag_id, selection)
            self._audit(
                session,
                actor,
                "tag.assign" if on else "tag.unassign",
                tag_id,
                f"contacts={changed}",
            )
            return tag_id, changed

    # -- tags on companies --------------------------------------------------------------

    def company_tags(self, actor: Actor, company_id: int) -> tuple[TagInfo, ...]:
        """The company's tags by name (none for a role that may not see tags)."""
        require(actor.role, Permission.VIEW_CONTACTS)
        if not self.readable(actor):
            return ()
        with self._uow() as uow:
            return tuple(company_tags(uow.session, [company_id]).get(company_id, ()))

    def tag_company(
        self, actor: Actor, name: str, company_id: int, *, colour: str | None = None
    ) -> tuple[int, int]:
        """Put the tag called *name* on the company (made, with *colour*, when no tag has
        that name); returns the tag's id and 1 when the company did not carry it yet.

        Raises:
            NotFound: no such company.
        """
        from privacycrm_desktop.persistence.company_models import Company

        self._require_writable(actor)
        clean = tag_name(name)
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            if session.get(Company, company_id) is None:
                raise NotFound(N_("There is no company with id {id}."), id=company_id)
            found = session.execute(select(Tag.id).where(Tag.folded == tag_key(clean))).scalar()
            chosen = tag_colour(colour) if colour is not None else None
            tag_id = found if found is not None else self._make(session, actor, clean, chosen)
            ids = tag_queries.id_list(Tagged.COMPANY, [company_id])
            gained = tag_queries.link(
                session, Tagged.COMPANY, tag_id, ids, now=now, user_id=actor.user_id
            )
            self._audit_company(session, actor, company_id, tag_id, gained, on=True)
            return tag_id, gained

    def untag_company(self, actor: Actor, tag_id: int, company_id: int) -> bool:
        """Take the tag off the company; False when it did not carry it."""
        self._require_writable(actor)
        with self._uow(write=True) as uow:
            session = uow.session
            _tag(session, tag_id)
            ids = tag_queries.id_list(Tagged.COMPANY, [company_id])
            removed = tag_queries.unlink(session, Tagged.COMPANY, tag_id, ids)
            self._audit_company(session, actor, company_id, tag_id, removed, on=False)
            return bool(removed)

    def _audit_company(
        self,
        session: Session,
        actor: Actor,
        company_id: int,
        tag_id: int,
        changed: int,
        *,
        on: bool,
    ) -> None:
        record_event(
            session,
            actor=actor.username,
            action="tag.assign_company" if on else "tag.unassign_company",
            entity="company",
            entity_id=company_id,
            at=self._clock.now(),
            detail=f"tag={tag_id};count={changed}",
        )

    # -- helpers ----------------------------------------------------------------------

    def _make(self, session: Session, actor: Actor, name: str, colour: str | None) -> int:
        """A new tag (the next colour of the palette unless *colour*), audited; its id."""
        if colour is None:
            used = session.execute(select(func.count()).select_from(Tag)).scalar_one()
            colour = PALETTE[int(used) % len(PALETTE)]
        tag = Tag(
            name=name,
            folded=tag_key(name),
            colour=colour,
            created_by=actor.user_id,
            created_at=self._clock.now(),
        )
        session.add(tag)
        session.flush()
        self._audit(session, actor, "tag.create", tag.id)
        return tag.id

    def _source(self, session: Session, actor: Actor, source: SourceInput | None) -> int | None:
        if source is None:
            return None
        assert source.kind is not None
        assert source.obtained_on is not None
        row = Source(
            kind=source.kind.value,
            description=source.description,
            obtained_on=source.obtained_on,
            entered_by=actor.user_id,
            created_at=self._clock.now(),
        )
        session.add(row)
        session.flush()
        return row.id

    @staticmethod
    def _refuse_taken(session: Session, name: str, own_id: int | None = None) -> None:
        taken = session.execute(select(Tag.id).where(Tag.folded == tag_key(name))).scalar()
        if taken is not None and taken != own_id:
            raise ValidationFailed(
                [FieldProblem("tag", N_("A tag named {name} exists already."), {"name": name})]
            )

    def _audit(
        self, session: Session, actor: Actor, action: str, tag_id: int, detail: str = ""
    ) -> None:
        record_event(
            session,
            actor=actor.username,
            action=action,
            entity="tag",
            entity_id=tag_id,
            at=self._clock.now(),
            detail=detail,
        )


def company_tags(session: Session, company_ids: Sequence[int]) -> dict[int, list[TagInfo]]:
    """Per company of *company_ids*, its tags by name (one query for a window of them)."""
    # The company tables' models: imported with the companies, not for the contact list.
    from privacycrm_desktop.persistence.company_models import CompanyTag

    found: dict[int, list[TagInfo]] = {}
    if not company_ids:
        return found
    rows = session.execute(
        select(CompanyTag.company_id, Tag.id, Tag.name, Tag.colour)
        .join(Tag, Tag.id == CompanyTag.tag_id)
        .where(CompanyTag.company_id.in_(list(company_ids)))
        .order_by(Tag.folded)
    ).all()
    for company_id, tag_id, name, colour in rows:
        found.setdefault(company_id, []).append(TagInfo(tag_id, name, colour, 0))
    return found


def shown_tags(tags: Iterable[TagInfo], level: FieldAccess) -> tuple[TagInfo, ...]:
    """The tags as a role with *level* on tags sees them (masked names when masked)."""
    if level is FieldAccess.HIDDEN:
        return ()
    return tuple(
        replace(t, name=mask(t.name) if level is FieldAccess.MASKED else t.name) for t in tags
    )


def _existing(tag_id: int) -> Callable[[Session], int]:
    """A resolver of the tag *tag_id*: it must exist."""

    def resolve(session: Session) -> int:
        return _tag(session, tag_id).id

    return resolve


def _require_contacts(session: Session, ids: list[int]) -> None:
    """Raise ``NotFound`` naming the first of *ids* that is no contact."""
    found = set(session.scalars(select(Contact.id).where(Contact.id.in_(ids))))
    missing = next((i for i in ids if i not in found), None)
    if missing is not None:
        raise NotFound(N_("There is no contact with id {id}."), id=missing)


def _tag(session: Session, tag_id: int) -> Tag:
    tag = session.get(Tag, tag_id)
    if tag is None:
        raise NotFound(N_("There is no tag with id {id}."), id=tag_id)
    return tag
