"""Reading a contact as a role may see it: the editor's data with the source of each
value, and the list's rows, hidden fields blanked and masked ones masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy import Row, select
from sqlalchemy.orm import Session, defer, undefer
from sqlalchemy.orm.interfaces import ORMOption

from privacycrm_desktop.domain.access import FieldAccess, mask
from privacycrm_desktop.domain.consent import Channel
from privacycrm_desktop.domain.contacts import (
    SCALAR_FIELDS,
    ContactInput,
    ContactKind,
    Language,
    Relationship,
)
from privacycrm_desktop.domain.edit_rights import UNREAD_WHEN_HIDDEN
from privacycrm_desktop.domain.errors import NotFound
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE, Sensitivity
from privacycrm_desktop.domain.marketing import best_decision, decide, explain
from privacycrm_desktop.domain.provenance import SourceKind
from privacycrm_desktop.persistence.models import (
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    FieldProvenance,
    Purpose,
    Source,
    Tag,
    User,
)
from privacycrm_desktop.services.custom_values import read_values
from privacycrm_desktop.services.dto import (
    ROW_FIELDS,
    CompanyLinkInfo,
    ConsentLine,
    ContactDetail,
    ContactRow,
    SourcedValue,
    SourceInfo,
    TagMark,
)
from privacycrm_desktop.services.marketing_facts import get_salt, load_facts, marketing_rules

#: Fields whose values carry their own source (provenance).
SOURCED = frozenset(spec.name for spec in FIELD_CATALOGUE if spec.needs_source)
#: Fields whose reading is audited here. Interaction details are read (and their reading
#: audited) by the timeline (services/activities.py), never with the contact.
RESTRICTED = frozenset(
    spec.name
    for spec in FIELD_CATALOGUE
    if spec.sensitivity is not Sensitivity.NORMAL and spec.name != "activity_details"
)
#: What a field not read at all stands in as (then blanked like any hidden value).
_BLANK = ContactInput()


def read_detail(
    session: Session, access: Mapping[str, FieldAccess], contact_id: int
) -> ContactDetail:
    """Everything the editor shows of a contact, as *access* lets its role see it."""
    contact = session.get(Contact, contact_id, options=load_options(access))
    if contact is None:
        raise NotFound
    unread = not_loaded(access)
    sources = SourceCache(session)
    default = sources.info(contact.source_id, contact.created_by, contact.created_at)
    provenance = {name: default for name in SCALAR_FIELDS if name in SOURCED}
    for row in session.scalars(
        select(FieldProvenance).where(FieldProvenance.contact_id == contact_id)
    ):
        provenance[row.field] = sources.info(row.source_id, row.recorded_by, row.recorded_at)

    def listed(field: str) -> tuple[SourcedValue, ...]:
        level = access[field]
        if level is FieldAccess.HIDDEN:
            return ()
        items: Sequence[ContactEmail | ContactPhone]
        if field == "emails":
            items = session.scalars(
                select(ContactEmail)
                .where(ContactEmail.contact_id == contact_id)
                .order_by(ContactEmail.position)
            ).all()
        else:
            items = session.scalars(
                select(ContactPhone)
                .where(ContactPhone.contact_id == contact_id)
                .order_by(ContactPhone.position)
            ).all()
        result = []
        for item in items:
            value = item.address if isinstance(item, ContactEmail) else item.number
            shown = mask(value) if level is FieldAccess.MASKED else value
            info = sources.info(item.source_id, item.recorded_by, item.recorded_at)
            result.append(SourcedValue(shown, info))
        return tuple(result)

    values: dict[str, object] = {}
    for name in SCALAR_FIELDS:
        value = getattr(_BLANK, name) if name in unread else getattr(contact, name)
        level = access.get(name, FieldAccess.HIDDEN)
        if level is FieldAccess.HIDDEN:
            value = "" if isinstance(value, str) else None
            provenance.pop(name, None)
        elif level is FieldAccess.MASKED:
            # A masked date or choice has no "last characters": it is left out.
            value = mask(value) if isinstance(value, str) else None
        values[name] = value
    return ContactDetail(
        id=contact.id,
        version=contact.version,
        kind=ContactKind(contact.kind),
        first_name=str(values["first_name"]),
        last_name=str(values["last_name"]),
        organisation=str(values["organisation"]),
        emails=listed("emails"),
        phones=listed("phones"),
        street=str(values["street"]),
        postcode=str(values["postcode"]),
        city=str(values["city"]),
        # "" is a country an import could not tell: shown as none, never as Belgium.
        country=str(values["country"] if values["country"] is not None else "BE"),
        language=Language(contact.language),
        birth_date=_date(values["birth_date"]),
        notes=str(values["notes"] or ""),
        relationship=Relationship(contact.relationship),
        relationship_start=_date(values["relationship_start"]),
        relationship_end=_date(values["relationship_end"]),
        last_interaction=_date(values["last_interaction"]),
        keep_until=contact.keep_until,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
        provenance=provenance,
        field_access={k: v.value for k, v in access.items()},
        companies=_company_links(session, access, contact_id, sources),
        tags=tag_marks(session, access, contact_id, sources),
        custom=read_values(session, access, contact_id, sources),
    )


def _company_links(
    session: Session, access: Mapping[str, FieldAccess], contact_id: int, sources: SourceCache
) -> tuple[CompanyLinkInfo, ...]:
    """The person's places at companies; their module (and the company tables' models) is
    imported when a card is first read, not for the list the start paints (issue 23)."""
    from privacycrm_desktop.services.company_links import read_links

    return read_links(session, access, contact_id, sources)


def tag_marks(
    session: Session,
    access: Mapping[str, FieldAccess],
    contact_id: int,
    sources: SourceCache,
) -> tuple[TagMark, ...]:
    """The contact's tags as *access* lets its role see them, in name order."""
    level = access.get("tags", FieldAccess.HIDDEN)
    if level is FieldAccess.HIDDEN:
        return ()
    rows = session.execute(
        select(Tag.id, Tag.name, Tag.colour, ContactTag.recorded_at, ContactTag.recorded_by)
        .add_columns(ContactTag.source_id)
        .join(ContactTag, ContactTag.tag_id == Tag.id)
        .where(ContactTag.contact_id == contact_id)
        .order_by(Tag.folded)
    ).all()
    marks = []
    for tag_id, name, colour, at, by, source_id in rows:
        info = sources.info(source_id, by, at) if source_id is not None else None
        shown = mask(name) if level is FieldAccess.MASKED else name
        marks.append(TagMark(tag_id, shown, colour, at, sources.user(by), info))
    return tuple(marks)


class SourceCache:
    """Sources and user names looked up once per read."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._sources: dict[int, Source] = {}
        self._users: dict[int, str] = {}

    def info(self, source_id: int, recorded_by: int | None, recorded_at: dt.datetime) -> SourceInfo:
        source = self._sources.get(source_id)
        if source is None:
            source = self._session.get(Source, source_id)
            if source is None:
                raise NotFound
            self._sources[source_id] = source
        user_id = recorded_by if recorded_by is not None else source.entered_by
        name = self.user(user_id)
        return SourceInfo(
            source_id=source.id,
            kind=SourceKind(source.kind),
            description=source.description,
            obtained_on=source.obtained_on,
            entered_by=name,
            recorded_at=recorded_at,
        )

    def user(self, user_id: int | None) -> str:
        """The user name of *user_id*; "" for none (or a user no longer there)."""
        if user_id is None:
            return ""
        if user_id not in self._users:
            user = self._session.get(User, user_id)
            self._users[user_id] = user.username if user else ""
        return self._users[user_id]


def not_loaded(access: Mapping[str, FieldAccess]) -> frozenset[str]:
    """The scalar fields the editor's data leaves out for this role: every hidden one but
    those it is built from whatever the matrix says (kind, language, relationship)."""
    hidden = {f for f in SCALAR_FIELDS if access.get(f, FieldAccess.HIDDEN) is FieldAccess.HIDDEN}
    return frozenset(hidden - {"kind", "language", "relationship"})


def load_options(access: Mapping[str, FieldAccess]) -> list[ORMOption]:
    """Load what the role may see with the contact, and nothing it may not (a PostgreSQL
    server refuses the role those columns, persistence/postgres/policy.py)."""
    hidden = not_loaded(access)
    options: list[ORMOption] = [defer(getattr(Contact, f)) for f in sorted(hidden)]
    options += [undefer(getattr(Contact, f)) for f in UNREAD_WHEN_HIDDEN if f not in hidden]
    return options


def list_row(access: Mapping[str, FieldAccess], row: Row[tuple[object, ...]]) -> ContactRow:
    """A list row with the fields the user may not see blanked and masked ones masked."""
    return list_rows(access, [row])[0]


def list_rows(
    access: Mapping[str, FieldAccess], rows: Sequence[Row[tuple[object, ...]]]
) -> list[ContactRow]:
    """``list_row`` of each row; what depends on the role alone is worked out once (a
    window is 200 rows: per row it cost more than reading them)."""
    hidden = tuple(
        column
        for column, fields in ROW_FIELDS.items()
        if all(access.get(f, FieldAccess.HIDDEN) is FieldAccess.HIDDEN for f in fields)
    )
    levels = {
        field: access[field]
        for field in ("first_name", "last_name", "emails", "phones", "organisation", "city")
    }

    def shown(field: str, value: object) -> str:
        level = levels[field]
        text = "" if value is None else str(value)
        if level is FieldAccess.HIDDEN:
            return ""
        return mask(text) if level is FieldAccess.MASKED and text else text

    made = []
    for row in rows:
        (cid, first, last, org, email, phone, city, relationship, keep_until) = row._tuple()
        first_s, last_s = shown("first_name", first), shown("last_name", last)
        name = f"{last_s}, {first_s}" if last_s and first_s else (last_s or first_s)
        email_s, phone_s = shown("emails", email), shown("phones", phone)
        if not (first or last or org):
            # A contact known only by an e-mail address or phone number (an import of a
            # phone's or mail client's contacts) is named by it in the list.
            name = email_s or phone_s
        keep = keep_until if isinstance(keep_until, dt.date) else None
        if isinstance(keep_until, str):
            keep = dt.date.fromisoformat(keep_until)
        made.append(
            ContactRow(
                id=int(str(cid)),
                name=name,
                organisation=shown("organisation", org),
                email=email_s,
                phone=phone_s,
                city=shown("city", city),
                relationship=Relationship(str(relationship)),
                keep_until=keep,
                hidden=hidden,
            )
        )
    return made


def points(session: Session, contact_id: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The stored e-mail addresses and phone numbers of a contact."""
    emails = session.scalars(
        select(ContactEmail.address).where(ContactEmail.contact_id == contact_id)
    ).all()
    phones = session.scalars(
        select(ContactPhone.number).where(ContactPhone.contact_id == contact_id)
    ).all()
    return tuple(emails), tuple(phones)


def _date(value: object) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


__all__ = [
    "RESTRICTED",
    "SOURCED",
    "SourceCache",
    "list_row",
    "list_rows",
    "load_options",
    "not_loaded",
    "points",
    "read_detail",
]


def consent_lines(session: Session, contact_id: int, today: dt.date) -> tuple[ConsentLine, ...]:
    """A sentence per marketing purpose and channel with a recorded event, and one per
    channel without any (its best verdict over every purpose)."""
    facts = load_facts(session, get_salt(session), [contact_id])
    if not facts:
        raise NotFound
    # The consent verdicts' values: imported with the card, not for the list (issue 23).
    from privacycrm_desktop.services.consent_dto import ChannelVerdict

    rules = marketing_rules(session)
    names: dict[str, str] | None = None  # read at the first recorded event (none: no read)
    lines: list[ConsentLine] = []
    for channel in Channel:
        subject = facts[0].subjects[channel]
        decisions = {
            code: decide(subject, rule, channel, today, None, rules) for code, rule in rules.items()
        }
        if not decisions:
            continue
        recorded = {code: d for code, d in decisions.items() if d.event is not None}
        if recorded and names is None:
            names = dict(session.execute(select(Purpose.code, Purpose.name)).tuples().all())
        for code, decision in sorted(recorded.items()):
            assert names is not None
            verdict = ChannelVerdict(channel, decision.reachable, explain(decision, channel))
            lines.append(ConsentLine(names.get(code, code), verdict))
        if not recorded:
            best = best_decision(list(decisions.values()))
            lines.append(
                ConsentLine("", ChannelVerdict(channel, best.reachable, explain(best, channel)))
            )
    return tuple(lines)
