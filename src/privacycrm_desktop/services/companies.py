"""Companies: adding, changing, listing and searching them, and linking people to them.

Who may do what follows the field matrix row of the organisation (the text field the
company grew out of): a role that sees the organisation hidden sees no company, one that
may not write it changes none. A person's link (company, function, department, dates)
is the person's data, under the matrix row ``company_links``. Every value has a source;
every action is audited, without a personal value in the audit detail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm.attributes import flag_modified

from privacycrm_desktop.domain.access import ROLE_PERMISSIONS, FieldAccess, Permission, require
from privacycrm_desktop.domain.companies import (
    COMPANY_FIELDS,
    CompanyInput,
    LegalForm,
    company_key,
    format_vat,
    is_cleanup_candidate,
    validate_company,
)
from privacycrm_desktop.domain.contacts import Relationship
from privacycrm_desktop.domain.custom_fields import CustomTarget
from privacycrm_desktop.domain.errors import (
    EditConflict,
    NotFound,
    PermissionDenied,
)
from privacycrm_desktop.domain.provenance import SourceInput, validate_source
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.company_models import (
    Company,
    CompanyLink,
    CompanyProvenance,
    CompanyTag,
)
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services import custom_values
from privacycrm_desktop.services.access import AccessService, card_access
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.company_custom import CompanyCustomFields
from privacycrm_desktop.services.company_links import (
    CompanyPerson,
    company_people,
)
from privacycrm_desktop.services.company_links import shown_value as _shown
from privacycrm_desktop.services.company_people import CompanyPeople
from privacycrm_desktop.services.company_writes import add_source, company_columns, set_provenance
from privacycrm_desktop.services.contact_details import SourceCache
from privacycrm_desktop.services.dto import Actor, CustomValueInfo, SourceInfo
from privacycrm_desktop.services.tags import TagInfo, company_tags, shown_tags

_COMPANY = CustomTarget.COMPANY
#: The matrix row the company's own values follow.
COMPANY_ACCESS_FIELD = "organisation"
#: The most rows one call of the list gives (as the contact list).
MAX_PAGE = 200
_READABLE = (FieldAccess.READ, FieldAccess.WRITE, FieldAccess.MASKED)


@dataclass(frozen=True)
class CompanyRow:
    """One line of the company list."""

    id: int
    name: str
    vat: str
    city: str
    relationship: Relationship
    people: int
    #: The company's tags by name (none for a role that may not see tags).
    tags: tuple[TagInfo, ...] = ()


@dataclass(frozen=True)
class CompanyDetail:
    """Everything the company card shows, with the source of each value."""

    id: int
    version: int
    values: CompanyInput
    #: The enterprise number as people write it ("BE 0403.170.701").
    vat_display: str
    provenance: dict[str, SourceInfo]
    people: tuple[CompanyPerson, ...]
    writable: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    #: The company's tags by name (none for a role that may not see tags).
    tags: tuple[TagInfo, ...] = ()
    #: The company's custom values the role may see (``domain.custom_fields``).
    custom: tuple[CustomValueInfo, ...] = ()


class CompanyService(CompanyCustomFields, CompanyPeople):
    """Companies and their people, as the actor's role allows."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = access or AccessService(uow, clock)

    # -- access -----------------------------------------------------------------------

    def _access(self, actor: Actor) -> Mapping[str, FieldAccess]:
        return self._policy.access_for(actor.role)

    def _require_read(self, actor: Actor) -> FieldAccess:
        require(actor.role, Permission.VIEW_CONTACTS)
        level = self._access(actor).get(COMPANY_ACCESS_FIELD, FieldAccess.HIDDEN)
        if level is FieldAccess.HIDDEN:
            raise PermissionDenied
        return level

    def may_write(self, actor: Actor) -> bool:
        """True when *actor* may add and change companies."""
        access = self._access(actor).get(COMPANY_ACCESS_FIELD, FieldAccess.HIDDEN)
        return access is FieldAccess.WRITE and (
            Permission.EDIT_CONTACTS in _permissions(actor)
            or Permission.CREATE_CONTACTS in _permissions(actor)
        )

    def _require_write(self, actor: Actor, permission: Permission) -> None:
        require(actor.role, permission)
        if self._access(actor).get(COMPANY_ACCESS_FIELD) is not FieldAccess.WRITE:
            raise PermissionDenied(N_("Your role may not change companies."))

    # -- the list ---------------------------------------------------------------------

    def _tags_level(self, actor: Actor) -> FieldAccess:
        return self._access(actor).get("tags", FieldAccess.HIDDEN)

    def _filter(self, actor: Actor, query: str, tag: int | None = None) -> object:
        tagged = None
        if tag is not None:
            # Filtering by a tag tells who carries it: not for a role tags are hidden from.
            if self._tags_level(actor) not in (FieldAccess.READ, FieldAccess.WRITE):
                raise PermissionDenied
            tagged = Company.id.in_(select(CompanyTag.company_id).where(CompanyTag.tag_id == tag))
        found = self._search(query)
        custom = self._custom_search(actor, query)
        if custom is not None:
            found = custom if found is None else or_(found, custom)  # type: ignore[arg-type]
        if tagged is None:
            return found
        return tagged if found is None else and_(tagged, found)  # type: ignore[arg-type]

    @staticmethod
    def _search(query: str) -> object:
        text = query.strip()
        if not text:
            return None
        key = company_key(text)
        escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        tests: list[ColumnElement[bool]] = [Company.name_key.like(f"%{escaped}%", escape="\\")]
        digits = "".join(ch for ch in text.upper() if ch.isalnum())
        if len(digits) >= 4:
            tests.append(Company.vat.contains(digits, autoescape=True))
        return or_(*tests)

    def count(self, actor: Actor, query: str = "", *, tag: int | None = None) -> int:
        """How many companies the list shows for *query* (name or enterprise number), of
        those carrying the tag with id *tag* when given."""
        self._require_read(actor)
        statement = select(func.count()).select_from(Company)
        where = self._filter(actor, query, tag)
        if where is not None:
            statement = statement.where(where)  # type: ignore[arg-type]
        with self._uow() as uow:
            return int(uow.session.scalar(statement) or 0)

    def rows(
        self,
        actor: Actor,
        query: str = "",
        *,
        offset: int = 0,
        limit: int = MAX_PAGE,
        tag: int | None = None,
    ) -> list[CompanyRow]:
        """A window of the companies matching *query* (its name, or its enterprise number
        typed in any form) and carrying the tag *tag* when given, by name, with the number
        of people working there now and the tags (one query for the window)."""
        level = self._require_read(actor)
        people = (
            select(func.count())
            .where(CompanyLink.company_id == Company.id, CompanyLink.ended_on.is_(None))
            .correlate(Company)
            .scalar_subquery()
        )
        statement = (
            select(Company.id, Company.name, Company.vat, Company.city, Company.relationship)
            .add_columns(people)
            .order_by(Company.name_key, Company.id)
            .offset(max(0, offset))
            .limit(max(0, min(limit, MAX_PAGE)))
        )
        where = self._filter(actor, query, tag)
        if where is not None:
            statement = statement.where(where)  # type: ignore[arg-type]
        tag_level = self._tags_level(actor)
        with self._uow() as uow:
            rows = uow.session.execute(statement).all()
            tags = (
                company_tags(uow.session, [r[0] for r in rows])
                if tag_level is not FieldAccess.HIDDEN
                else {}
            )
        return [
            CompanyRow(
                id=cid,
                name=_shown(name, level),
                vat=_shown(format_vat(vat), level),
                city=_shown(city, level),
                relationship=Relationship(relationship),
                people=int(count or 0),
                tags=shown_tags(tags.get(cid, ()), tag_level),
            )
            for cid, name, vat, city, relationship, count in rows
        ]

    def search(self, actor: Actor, query: str) -> list[CompanyRow]:
        """The first window of companies matching *query*."""
        return self.rows(actor, query)

    # -- one company ------------------------------------------------------------------

    def get(self, actor: Actor, company_id: int) -> CompanyDetail:
        """Everything the role may see of the company, for the editor and a merge: values
        with their sources, the people, the custom values (the restricted ones' reading
        audited)."""
        level = self._require_read(actor)
        detail = self._read(company_id, level, self._access(actor), self.may_write(actor))
        self._audit_restricted(actor, company_id, detail.custom)
        return detail

    def card(self, actor: Actor, company_id: int) -> CompanyDetail:
        """What the company's card shows, as the contact's card (``ContactService.card``):
        the restricted fields left hidden (``access.card_access``), so never read and no
        reading audited at each selection; the editor reads them with ``get``."""
        level = self._require_read(actor)
        access = card_access(self._access(actor), self._restricted())
        return self._read(company_id, level, access, self.may_write(actor))

    def _read(
        self,
        company_id: int,
        level: FieldAccess,
        access: Mapping[str, FieldAccess],
        writable: bool,
    ) -> CompanyDetail:
        """The company's values, people, tags and custom values as far as *access* lets
        see them (hidden ones are not read)."""
        with self._uow() as uow:
            session = uow.session
            company = session.get(Company, company_id)
            if company is None:
                raise NotFound
            sources = SourceCache(session)
            default = sources.info(company.source_id, company.created_by, company.created_at)
            provenance = dict.fromkeys(COMPANY_FIELDS, default)
            for row in session.scalars(
                select(CompanyProvenance).where(CompanyProvenance.company_id == company_id)
            ):
                provenance[row.field] = sources.info(
                    row.source_id, row.recorded_by, row.recorded_at
                )
            people = company_people(session, access, company_id)
            tag_level = access.get("tags", FieldAccess.HIDDEN)
            tags = (
                company_tags(session, [company_id]).get(company_id, [])
                if tag_level is not FieldAccess.HIDDEN
                else []
            )
            values = CompanyInput(
                name=_shown(company.name, level),
                legal_form=LegalForm(company.legal_form),
                vat=_shown(company.vat, level),
                street=_shown(company.street, level),
                postcode=_shown(company.postcode, level),
                city=_shown(company.city, level),
                country=company.country,
                email=_shown(company.email, level),
                phone=_shown(company.phone, level),
                website=_shown(company.website, level),
                relationship=Relationship(company.relationship),
                notes=_shown(company.notes, level),
            )
            detail = CompanyDetail(
                id=company.id,
                version=company.version,
                values=values,
                vat_display=_shown(format_vat(company.vat), level),
                provenance=provenance,
                people=people,
                writable=writable,
                created_at=company.created_at,
                updated_at=company.updated_at,
                tags=shown_tags(tags, tag_level),
                custom=custom_values.read_values(session, access, company_id, sources, on=_COMPANY),
            )
        return detail

    def add(
        self,
        actor: Actor,
        data: CompanyInput,
        source: SourceInput | None,
        custom: Mapping[str, str] | None = None,
    ) -> int:
        """Save a new company; every value gets *source*, the custom ones (*custom*: key ->
        text typed) too. Returns its id.

        Raises:
            PermissionDenied: the role may not create contacts or write the organisation,
                or may not fill in one of the custom fields given.
            ValidationFailed: a value is wrong (the enterprise number, an address...).
            SourceMissing: no source given.
        """
        self._require_write(actor, Permission.CREATE_CONTACTS)
        checked = validate_company(data)
        today, now = self._clock.today(), self._clock.now()
        checked_source = validate_source(source, today)
        with self._uow(write=True) as uow:
            session = uow.session
            extra = custom_values.changes(
                session, self._access(actor), None, custom or {}, on=_COMPANY
            )
            source_row = add_source(session, actor, checked_source, now)
            company = Company(
                **company_columns(checked),
                name_key=company_key(checked.name),
                source_id=source_row.id,
                created_by=actor.user_id,
                created_at=now,
                updated_at=now,
            )
            session.add(company)
            session.flush()
            custom_values.apply(
                session, actor.user_id, company.id, extra, source_row.id, now, on=_COMPANY
            )
            record_event(
                session,
                actor=actor.username,
                action="company.create",
                entity="company",
                entity_id=company.id,
                at=now,
                detail=("fields=" + ",".join(custom_values.names(extra))) if extra else "",
            )
            return company.id

    def update(
        self,
        actor: Actor,
        company_id: int,
        expected_version: int,
        data: CompanyInput,
        source: SourceInput | None,
        custom: Mapping[str, str] | None = None,
    ) -> CompanyDetail:
        """Save changes; each changed value (the custom ones in *custom*, key -> text
        typed, included) gets *source* (required when anything changed).

        Raises:
            EditConflict: somebody else saved the company after *expected_version*.
        """
        self._require_write(actor, Permission.EDIT_CONTACTS)
        checked = validate_company(data)
        today, now = self._clock.today(), self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            company = session.get(Company, company_id)
            if company is None:
                raise NotFound
            if company.version != expected_version:
                raise EditConflict(
                    N_(
                        "Somebody else changed this company since you opened it. "
                        "Reopen it to see their changes; nothing was saved."
                    )
                )
            new = company_columns(checked)
            changed = [f for f in COMPANY_FIELDS if getattr(company, f) != new[f]]
            extra = custom_values.changes(
                session, self._access(actor), company_id, custom or {}, on=_COMPANY
            )
            if changed or extra:
                checked_source = validate_source(source, today)
                source_row = add_source(session, actor, checked_source, now)
                for name in changed:
                    setattr(company, name, new[name])
                    set_provenance(session, actor, company_id, name, source_row.id, now)
                custom_values.apply(
                    session, actor.user_id, company_id, extra, source_row.id, now, on=_COMPANY
                )
                company.name_key = company_key(checked.name)
                company.updated_at = now
                # A change of custom values alone is a new version too (edit conflicts).
                flag_modified(company, "updated_at")
                session.flush()
                record_event(
                    session,
                    actor=actor.username,
                    action="company.update",
                    entity="company",
                    entity_id=company_id,
                    at=now,
                    detail="fields=" + ",".join([*changed, *custom_values.names(extra)]),
                )
        return self.get(actor, company_id)

    def cleanup_candidates(self, actor: Actor) -> list[int]:
        """The ids of companies without people and without a purpose of their own
        (``domain.companies.is_cleanup_candidate``), for the cleanup to list."""
        require(actor.role, Permission.CLEANUP)
        linked = (
            select(func.count())
            .where(CompanyLink.company_id == Company.id)
            .correlate(Company)
            .scalar_subquery()
        )
        with self._uow() as uow:
            rows = uow.session.execute(
                select(Company.id, Company.relationship, linked).order_by(Company.id)
            ).all()
        return [
            cid
            for cid, relationship, people in rows
            if is_cleanup_candidate(int(people or 0), Relationship(relationship))
        ]


def _permissions(actor: Actor) -> frozenset[Permission]:
    return ROLE_PERMISSIONS.get(actor.role, frozenset())
