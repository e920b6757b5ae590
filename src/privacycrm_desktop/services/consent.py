"""Consent with proof: recording, the append-only history, plain-words state, unsubscribe.

Rules 1, 2, 3, 13: boxes start unticked in the UI; an opt-in needs evidence and points at
the privacy-statement version shown; a correction is a new event; one "unsubscribe from
all direct marketing" opts out of every marketing purpose on every channel and puts the
person's contact points on the suppression list, all in one transaction with its audit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, field_access, require
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.errors import (
    FieldProblem,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from privacycrm_desktop.domain.marketing import best_decision, decide, explain
from privacycrm_desktop.domain.normalize import InvalidValue, clean_text
from privacycrm_desktop.domain.special_categories import CONSENT_PREFIX
from privacycrm_desktop.domain.suppression import (
    HashKind,
    SuppressionReason,
    name_postcode,
    stored_digest,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.models import (
    ConsentEvent,
    Contact,
    ContactEmail,
    ContactPhone,
    PrivacyStatement,
    Purpose,
    Suppression,
    User,
)
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.consent_dto import (
    ChannelVerdict,
    ConsentEventInfo,
    ConsentInput,
    EvidenceFile,
)
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.marketing_facts import (
    ensure_salt,
    get_salt,
    load_facts,
    marketing_rules,
    point_digest,
)
from privacycrm_desktop.services.retention import recompute as recompute_keep_until
from privacycrm_desktop.services.statements import seed_statements, statement_language

if TYPE_CHECKING:
    from privacycrm_desktop.services.access import AccessService

MAX_EVIDENCE = 500
MAX_EVIDENCE_FILE = 10 * 1024 * 1024
MAX_CATEGORY = 100
#: An opt-in must be an explicit act of the person (rule 1): not a sale, not a link.
_NOT_AN_OPT_IN = frozenset(
    {ConsentMethod.SALE, ConsentMethod.UNSUBSCRIBE_LINK, ConsentMethod.SUPPRESSION_LIST}
)


class ConsentService:
    """Recording consent and objections, and saying what they allow."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = access

    def today(self) -> dt.date:
        """Today, as the services' clock sees it (the form's default dates)."""
        return self._clock.today()

    def sees_special(self, actor: Actor) -> bool:
        """May *actor* read special-category facts (rule 10: the field matrix decides)?

        A written consent for a special category says which category it is about (and its
        evidence usually names the condition): it is special-category data itself.
        """
        if self._policy is None:
            access = field_access(actor.role, "special_categories")
        else:
            access = self._policy.access_for(actor.role)["special_categories"]
        return access in (FieldAccess.READ, FieldAccess.WRITE)

    def record(self, actor: Actor, data: ConsentInput) -> int:
        """Append one consent event after checking it; returns its id.

        Raises:
            ValidationFailed: a required value is missing or does not fit the status.
            NotFound: no such contact.
            PermissionDenied: the role may not record consent.
        """
        require(actor.role, Permission.RECORD_CONSENT)
        today, now = self._clock.today(), self._clock.now()
        evidence, category = _checked_texts(data)
        with self._uow(write=True) as uow:
            session = uow.session
            contact = session.get(Contact, data.contact_id)
            if contact is None:
                raise NotFound
            purpose = session.execute(
                select(Purpose).where(Purpose.code == data.purpose, Purpose.active.is_(True))
            ).scalar_one_or_none()
            problems = _problems(data, evidence, category, purpose, today)
            statement_id = None
            if purpose is not None and data.status is not ConsentStatus.OPT_OUT:
                seed_statements(session, now)
                statement_id = _statement_id(session, contact.language, data.statement_version)
                if statement_id is None and data.statement_version is not None:
                    problems.append(
                        FieldProblem(
                            "statement_version",
                            N_("There is no privacy statement version {version}."),
                            {"version": data.statement_version},
                        )
                    )
            if problems:
                raise ValidationFailed(problems)
            assert purpose is not None
            salt = ensure_salt(session)
            event = ConsentEvent(
                contact_id=contact.id,
                purpose_id=purpose.id,
                channel=data.channel.value,
                status=data.status.value,
                method=data.method.value,
                evidence=evidence,
                evidence_file=data.evidence_file,
                evidence_file_name=data.evidence_file_name[:300],
                statement_id=statement_id,
                product_category=category,
                contact_point_hash=point_digest(
                    salt, data.channel, _first_point(session, contact, data.channel)
                ),
                recorded_by=actor.user_id,
                recorded_at=now,
                expires_on=data.expires_on,
            )
            session.add(event)
            session.flush()
            recompute_keep_until(session, [contact.id])
            record_event(
                session,
                actor=actor.username,
                action="consent.record",
                entity="consent_event",
                entity_id=event.id,
                at=now,
                detail=f"contact={contact.id};purpose={purpose.code};channel={data.channel.value};"
                f"status={data.status.value}",
            )
            return event.id

    def check(self, actor: Actor, data: ConsentInput) -> None:
        """Run ``record``'s checks that need no stored contact, without recording.

        The contact editor checks a new contact's consent before it saves the contact,
        then records it with ``record``: a refused consent does not leave a contact saved
        without the consent the user typed.

        Raises:
            ValidationFailed: a required value is missing or does not fit the status.
            PermissionDenied: the role may not record consent.
        """
        require(actor.role, Permission.RECORD_CONSENT)
        evidence, category = _checked_texts(data)
        with self._uow() as uow:
            purpose = uow.session.execute(
                select(Purpose).where(Purpose.code == data.purpose, Purpose.active.is_(True))
            ).scalar_one_or_none()
            problems = _problems(data, evidence, category, purpose, self._clock.today())
        if problems:
            raise ValidationFailed(problems)

    def history(self, actor: Actor, contact_id: int) -> list[ConsentEventInfo]:
        """Every consent event of a contact, newest first (append-only: nothing disappears)."""
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            session = uow.session
            if session.get(Contact, contact_id) is None:
                raise NotFound
            rows = session.execute(
                select(ConsentEvent, Purpose.code, Purpose.name, User.username)
                .join(Purpose, Purpose.id == ConsentEvent.purpose_id)
                .outerjoin(User, User.id == ConsentEvent.recorded_by)
                .where(ConsentEvent.contact_id == contact_id)
                .order_by(ConsentEvent.recorded_at.desc(), ConsentEvent.id.desc())
            ).tuples()
            versions = {
                sid: version
                for sid, version in session.execute(
                    select(PrivacyStatement.id, PrivacyStatement.version)
                ).tuples()
            }
            sees_special = self.sees_special(actor)
            return [
                _withheld(info) if not sees_special and _is_special(info) else info
                for info in (
                    ConsentEventInfo(
                        id=e.id,
                        purpose=code,
                        purpose_name=name,
                        channel=Channel(e.channel),
                        status=ConsentStatus(e.status),
                        method=ConsentMethod(e.method),
                        evidence=e.evidence,
                        evidence_file_name=e.evidence_file_name,
                        statement_version=versions.get(e.statement_id) if e.statement_id else None,
                        product_category=e.product_category,
                        recorded_by=username or "",
                        recorded_at=e.recorded_at,
                        expires_on=e.expires_on,
                    )
                    for e, code, name, username in rows
                )
            ]

    def evidence_file(self, actor: Actor, event_id: int) -> EvidenceFile:
        """The scanned file kept with consent event *event_id* (its opening is audited).

        Raises:
            NotFound: no such event, or it has no file.
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow(write=True) as uow:
            session = uow.session
            event = session.get(ConsentEvent, event_id)
            if event is None or event.evidence_file is None:
                raise NotFound
            if (event.product_category or "").startswith(CONSENT_PREFIX) and not self.sees_special(
                actor
            ):
                raise PermissionDenied
            record_event(
                session,
                actor=actor.username,
                action="consent.evidence_open",
                entity="consent_event",
                entity_id=event.id,
                at=self._clock.now(),
            )
            return EvidenceFile(event.evidence_file_name or "evidence", bytes(event.evidence_file))

    def channels(self, actor: Actor, contact_id: int) -> list[ChannelVerdict]:
        """For each channel: may it be used for marketing, and why, in plain words."""
        require(actor.role, Permission.VIEW_CONTACTS)
        today = self._clock.today()
        with self._uow() as uow:
            session = uow.session
            facts = load_facts(session, get_salt(session), [contact_id])
            if not facts:
                raise NotFound
            rules = marketing_rules(session)
        verdicts = []
        for channel in Channel:
            subject = facts[0].subjects[channel]
            decisions = [decide(subject, r, channel, today, None, rules) for r in rules.values()]
            if not decisions:
                continue
            best = best_decision(decisions)
            verdicts.append(ChannelVerdict(channel, best.reachable, explain(best, channel)))
        return verdicts

    def unsubscribe(
        self,
        actor: Actor,
        contact_id: int,
        method: ConsentMethod = ConsentMethod.UNSUBSCRIBE_LINK,
        evidence: str = "",
    ) -> int:
        """Opt out of all direct marketing on every channel and suppress the contact points.

        One transaction: an opt-out event per marketing purpose and channel, a suppression
        digest per e-mail address, phone number and name + postcode, and the audit event.

        Returns:
            How many opt-out events were written.
        """
        require(actor.role, Permission.RECORD_CONSENT)
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            contact = session.get(Contact, contact_id)
            if contact is None:
                raise NotFound
            salt = ensure_salt(session)
            text = evidence.strip()[:MAX_EVIDENCE] or "unsubscribe from all direct marketing"
            written = opt_out_everywhere(session, salt, contact, actor, now, method, text)
            added = _suppress(session, salt, contact, now)
            recompute_keep_until(session, [contact.id])
            record_event(
                session,
                actor=actor.username,
                action="consent.unsubscribe_all",
                entity="contact",
                entity_id=contact.id,
                at=now,
                detail=f"opt_outs={written};suppressed={added}",
            )
            return written


def opt_out_everywhere(
    session: Session,
    salt: str,
    contact: Contact,
    actor: Actor,
    now: dt.datetime,
    method: ConsentMethod,
    evidence: str,
) -> int:
    """Add an opt-out for every marketing purpose on every channel; returns how many.

    Part of the caller's transaction (unsubscribe, or a new contact on the suppression
    list); the caller writes the audit event.
    """
    purposes = session.scalars(select(Purpose).where(Purpose.is_marketing.is_(True))).all()
    for purpose in purposes:
        for channel in Channel:
            session.add(
                ConsentEvent(
                    contact_id=contact.id,
                    purpose_id=purpose.id,
                    channel=channel.value,
                    status=ConsentStatus.OPT_OUT.value,
                    method=method.value,
                    evidence=evidence,
                    contact_point_hash=point_digest(
                        salt, channel, _first_point(session, contact, channel)
                    ),
                    recorded_by=actor.user_id,
                    recorded_at=now,
                )
            )
    return len(purposes) * len(Channel)


def _is_special(event: ConsentEventInfo) -> bool:
    return event.product_category.startswith(CONSENT_PREFIX)


def _withheld(event: ConsentEventInfo) -> ConsentEventInfo:
    """*event* without what only roles seeing special categories may read."""
    return replace(event, evidence="", evidence_file_name="", product_category="", withheld=True)


def _checked_texts(data: ConsentInput) -> tuple[str, str]:
    try:
        evidence = clean_text(data.evidence)
        category = clean_text(data.product_category)
    except InvalidValue as exc:
        raise ValidationFailed([FieldProblem("evidence", exc.message, dict(exc.params))]) from None
    return evidence, category


def _problems(
    data: ConsentInput,
    evidence: str,
    category: str,
    purpose: Purpose | None,
    today: dt.date,
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if purpose is None:
        problems.append(FieldProblem("purpose", N_("Choose a purpose from the register.")))
    if len(evidence) > MAX_EVIDENCE:
        problems.append(
            FieldProblem("evidence", N_("Too long: at most {limit} characters."), {"limit": 500})
        )
    if len(category) > MAX_CATEGORY:
        problems.append(
            FieldProblem("category", N_("Too long: at most {limit} characters."), {"limit": 100})
        )
    if data.evidence_file is not None and len(data.evidence_file) > MAX_EVIDENCE_FILE:
        problems.append(FieldProblem("evidence", N_("The evidence file is larger than 10 MB.")))
    problems += _status_problems(data, evidence, category, purpose)
    if data.expires_on is not None:
        if data.status is ConsentStatus.OPT_OUT:
            problems.append(FieldProblem("expires_on", N_("An opt-out does not expire.")))
        elif data.expires_on <= today:
            problems.append(FieldProblem("expires_on", N_("The expiry date must lie ahead.")))
    return problems


def _status_problems(
    data: ConsentInput, evidence: str, category: str, purpose: Purpose | None
) -> list[FieldProblem]:
    """What an opt-in or a soft opt-in needs beyond the common checks (rules 1 and 3)."""
    problems: list[FieldProblem] = []
    has_evidence = bool(evidence) or bool(data.evidence_file)
    if data.status is ConsentStatus.OPT_IN:
        if not has_evidence:
            problems.append(
                FieldProblem(
                    "evidence",
                    N_("An opt-in needs evidence: a reference or a scanned file."),
                )
            )
        if data.method in _NOT_AN_OPT_IN:
            problems.append(
                FieldProblem(
                    "method",
                    N_("Consent must be an explicit act of the person; choose how it was given."),
                )
            )
    if data.status is ConsentStatus.SOFT_OPT_IN:
        if purpose is not None and (purpose.legal_basis == "consent" or not purpose.is_marketing):
            problems.append(
                FieldProblem(
                    "status",
                    N_("Soft opt-in applies only to marketing to customers, not to this purpose."),
                )
            )
        if not category:
            problems.append(
                FieldProblem("category", N_("Say which product category the customer bought."))
            )
        if not data.opt_out_offered:
            problems.append(
                FieldProblem(
                    "opt_out_offered",
                    N_("Soft opt-in is valid only when a free opt-out was offered at collection."),
                )
            )
    return problems


def _statement_id(session: Session, language: str, version: int | None) -> int | None:
    """The statement shown: *version* in the contact's language, or the newest one."""
    query = select(PrivacyStatement.id).where(
        PrivacyStatement.language == statement_language(language)
    )
    if version is not None:
        query = query.where(PrivacyStatement.version == version)
    return session.execute(
        query.order_by(PrivacyStatement.version.desc()).limit(1)
    ).scalar_one_or_none()


def _first_point(session: Session, contact: Contact, channel: Channel) -> str:
    """The contact point a consent on *channel* concerns: the first address or number."""
    if channel is Channel.EMAIL:
        return str(
            session.execute(
                select(ContactEmail.address)
                .where(ContactEmail.contact_id == contact.id)
                .order_by(ContactEmail.position)
                .limit(1)
            ).scalar()
            or ""
        )
    if channel in (Channel.PHONE, Channel.SMS):
        return str(
            session.execute(
                select(ContactPhone.number)
                .where(ContactPhone.contact_id == contact.id)
                .order_by(ContactPhone.position)
                .limit(1)
            ).scalar()
            or ""
        )
    return name_postcode(contact.first_name, contact.last_name, contact.postcode)


def _suppress(session: Session, salt: str, contact: Contact, now: dt.datetime) -> int:
    """Add the contact's points to the suppression list; returns how many were new."""
    keys = [
        (HashKind.EMAIL, a)
        for a in session.scalars(
            select(ContactEmail.address).where(ContactEmail.contact_id == contact.id)
        )
    ]
    keys += [
        (HashKind.PHONE, n)
        for n in session.scalars(
            select(ContactPhone.number).where(ContactPhone.contact_id == contact.id)
        )
    ]
    key = name_postcode(contact.first_name, contact.last_name, contact.postcode)
    if key:
        keys.append((HashKind.NAME_POSTCODE, key))
    digests = [(kind, stored_digest(salt, kind, value)) for kind, value in keys]
    existing = set(
        session.execute(
            select(Suppression.hash_kind, Suppression.digest).where(
                Suppression.digest.in_([d for _k, d in digests])
            )
        ).tuples()
    )
    added = 0
    for kind, digest in digests:
        if (kind.value, digest) in existing:
            continue
        existing.add((kind.value, digest))
        session.add(
            Suppression(
                hash_kind=kind.value,
                digest=digest,
                reason=SuppressionReason.OBJECTION.value,
                created_at=now,
            )
        )
        added += 1
    return added
