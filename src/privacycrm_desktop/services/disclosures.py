"""The disclosure ledger (rules 6 and 15) and the special-categories gate (rule 10).

A disclosure records that data of one person went to a recipient, for which purpose,
which categories, when, and when the person was told. Handing contacts to another
company for its own use, even within the same group, is refused and the refusal logged.

Special-category data is accepted only when the person's written consent with evidence
for that category is on record; notes are scanned so the user is warned before saving.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, field_access, require
from privacycrm_desktop.domain.consent import (
    WRITTEN_METHODS,
    Channel,
    ConsentFact,
    ConsentMethod,
    ConsentStatus,
    consent_state,
)
from privacycrm_desktop.domain.errors import (
    DomainError,
    FieldProblem,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from privacycrm_desktop.domain.normalize import InvalidValue, clean_text
from privacycrm_desktop.domain.provenance import SourceInput, validate_source
from privacycrm_desktop.domain.special_categories import (
    CONSENT_PREFIX,
    SpecialCategory,
    SpecialCategoryTerms,
    TermHit,
    scan,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import local_date
from privacycrm_desktop.persistence.models import (
    ConsentEvent,
    Contact,
    Purpose,
    Recipient,
    Source,
    User,
)
from privacycrm_desktop.persistence.record_models import Disclosure, SpecialCategoryDatum
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.special_terms import term_lists

#: The purpose written consent for special-category data is recorded under.
SPECIAL_PURPOSE = "customer_relationship"


class TransferRefused(DomainError):
    """A transfer of contacts to another company for its own use (rule 6)."""

    default_message = N_(
        "Refused: contacts may not be passed to another company for its own use, not even "
        "one of the same group. Only service providers working for us may receive data."
    )


class SpecialCategoryLocked(DomainError):
    """Special-category data without written consent for the category (rule 10)."""

    default_message = N_(
        "This is special-category data: record the person's written consent with evidence "
        "for this category first."
    )


@dataclass(frozen=True)
class DisclosureInput:
    """Data of one person passed to a recipient."""

    contact_id: int
    recipient: str
    purpose: str
    categories: tuple[str, ...]
    disclosed_on: dt.date
    subject_informed_on: dt.date | None = None
    recipient_kind: str = "processor"
    own_marketing: bool = False


@dataclass(frozen=True)
class SpecialValueInfo:
    """A special-category datum of a contact."""

    value: str
    recorded_at: dt.datetime


@dataclass(frozen=True)
class SpecialCategoryStatus:
    """One special category of a contact: the written consent in force, and the values.

    ``consent_method`` and ``consent_evidence`` are empty and ``consent_on`` None while no
    written consent with evidence is in force: the category is locked.
    """

    category: SpecialCategory
    unlocked: bool
    consent_method: ConsentMethod | None
    consent_evidence: str
    consent_on: dt.date | None
    values: tuple[SpecialValueInfo, ...]


@dataclass(frozen=True)
class RecipientInfo:
    """A third party that receives (or asked for) personal data."""

    id: int
    name: str
    kind: str
    own_marketing: bool
    country: str


@dataclass(frozen=True)
class DisclosureInfo:
    """One entry of a contact's disclosure ledger."""

    id: int
    recipient: str
    recipient_kind: str
    purpose: str
    purpose_name: str
    categories: tuple[str, ...]
    disclosed_on: dt.date
    subject_informed_on: dt.date | None
    recorded_by: str


def find_recipient(
    session: Session, name: str, kind: str = "processor", own_marketing: bool = False
) -> Recipient:
    """The recipient called *name* (folded white space), added when new."""
    clean = " ".join(name.split())
    row = session.execute(select(Recipient).where(Recipient.name == clean)).scalar_one_or_none()
    if row is None:
        row = Recipient(name=clean, kind=kind, own_marketing=own_marketing, country="BE")
        session.add(row)
        session.flush()
    return row


class DisclosureService:
    """Recording disclosures and special-category data, with their refusals."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = access

    def special_access(self, actor: Actor) -> FieldAccess:
        """How much of the special-category data *actor* may see and change."""
        if self._policy is None:
            return field_access(actor.role, "special_categories")
        return self._policy.access_for(actor.role)["special_categories"]

    def refuse_transfer(self, actor: Actor, recipient: str, what: str) -> None:
        """Log a refused transfer (its own transaction) and raise ``TransferRefused``.

        The recipient is kept, marked as one that would use data for its own marketing,
        so later transfers to it are refused too.
        """
        with self._uow(write=True) as uow:
            row = find_recipient(uow.session, recipient, own_marketing=True)
            # Whoever asked for data for its own use is remembered as such.
            row.own_marketing = True
            record_event(
                uow.session,
                actor=actor.username,
                action="transfer.refused",
                entity="recipient",
                entity_id=row.id,
                at=self._clock.now(),
                detail=f"what={what}",
            )
        raise TransferRefused

    def refuse_own_use(self, actor: Actor, recipient: str, own_use: bool, what: str) -> None:
        """Refuse (and log) a transfer to a recipient that would use the data for its own
        purposes: declared now (*own_use*) or known from an earlier refusal (rule 6).

        Returns quietly when the transfer may go ahead.
        """
        name = " ".join(recipient.split())
        if not own_use and name:
            with self._uow() as uow:
                own_use = bool(
                    uow.session.execute(
                        select(Recipient.own_marketing).where(Recipient.name == name)
                    ).scalar_one_or_none()
                )
        if own_use:
            self.refuse_transfer(actor, name, what)

    def record(self, actor: Actor, data: DisclosureInput) -> int:
        """Add a disclosure to the ledger; refuse one to a company for its own use."""
        require(actor.role, Permission.EXPORT)
        try:
            name = clean_text(data.recipient)
        except InvalidValue as exc:
            raise ValidationFailed([FieldProblem("recipient", exc.message)]) from None
        if not name or len(name) > 200:
            raise ValidationFailed([FieldProblem("recipient", N_("Name the recipient."))])
        if data.subject_informed_on is not None and data.subject_informed_on < data.disclosed_on:
            raise ValidationFailed(
                [FieldProblem("subject_informed_on", N_("The person cannot be told before."))]
            )
        self.refuse_own_use(actor, name, data.own_marketing, "disclosure")
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            if session.get(Contact, data.contact_id) is None:
                raise NotFound
            purpose_id = session.execute(
                select(Purpose.id).where(Purpose.code == data.purpose)
            ).scalar_one_or_none()
            if purpose_id is None:
                raise ValidationFailed(
                    [FieldProblem("purpose", N_("Choose a purpose from the register."))]
                )
            recipient = find_recipient(session, name, data.recipient_kind)
            row = Disclosure(
                contact_id=data.contact_id,
                recipient_id=recipient.id,
                purpose_id=purpose_id,
                categories=",".join(c.strip() for c in data.categories if c.strip()),
                disclosed_on=data.disclosed_on,
                subject_informed_on=data.subject_informed_on,
                recorded_by=actor.user_id,
            )
            session.add(row)
            session.flush()
            record_event(
                session,
                actor=actor.username,
                action="disclosure.record",
                entity="disclosure",
                entity_id=row.id,
                at=now,
                detail=f"contact={data.contact_id};recipient={recipient.id}",
            )
            return row.id

    def recipients(self, actor: Actor) -> list[RecipientInfo]:
        """Every known recipient, by name (those refused for their own marketing too)."""
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            rows = uow.session.scalars(select(Recipient).order_by(Recipient.name)).all()
            return [_recipient_info(r) for r in rows]

    def disclosures(self, actor: Actor, contact_id: int) -> list[DisclosureInfo]:
        """A contact's disclosure ledger, newest first."""
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            session = uow.session
            if session.get(Contact, contact_id) is None:
                raise NotFound
            rows = session.execute(
                select(Disclosure, Recipient, Purpose.code, Purpose.name, User.username)
                .join(Recipient, Recipient.id == Disclosure.recipient_id)
                .outerjoin(Purpose, Purpose.id == Disclosure.purpose_id)
                .outerjoin(User, User.id == Disclosure.recorded_by)
                .where(Disclosure.contact_id == contact_id)
                .order_by(Disclosure.disclosed_on.desc(), Disclosure.id.desc())
            ).tuples()
            return [
                DisclosureInfo(
                    id=d.id,
                    recipient=r.name,
                    recipient_kind=r.kind,
                    purpose=code or "",
                    purpose_name=name or "",
                    categories=tuple(c for c in d.categories.split(",") if c),
                    disclosed_on=d.disclosed_on,
                    subject_informed_on=d.subject_informed_on,
                    recorded_by=username or "",
                )
                for d, r, code, name, username in rows
            ]

    def recipients_to_notify(self, actor: Actor, contact_id: int) -> list[RecipientInfo]:
        """Recipients that received the contact's data: to be told of a correction,
        erasure or opt-out (rule 15, GDPR 19)."""
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            session = uow.session
            if session.get(Contact, contact_id) is None:
                raise NotFound
            rows = session.scalars(
                select(Recipient)
                .where(
                    Recipient.id.in_(
                        select(Disclosure.recipient_id).where(Disclosure.contact_id == contact_id)
                    )
                )
                .order_by(Recipient.name)
            ).all()
            return [_recipient_info(r) for r in rows]

    # -- special categories --------------------------------------------------------------

    def special_overview(self, actor: Actor, contact_id: int) -> list[SpecialCategoryStatus]:
        """Per special category: is it unlocked by written consent, and what is recorded.

        Raises:
            PermissionDenied: the role may not see special-category data.
            NotFound: no such contact.
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        if self.special_access(actor) in (FieldAccess.HIDDEN, FieldAccess.MASKED):
            raise PermissionDenied
        today = self._clock.today()
        with self._uow(write=True) as uow:
            session = uow.session
            if session.get(Contact, contact_id) is None:
                raise NotFound
            values: dict[str, list[SpecialValueInfo]] = {}
            for row in session.scalars(
                select(SpecialCategoryDatum)
                .where(SpecialCategoryDatum.contact_id == contact_id)
                .order_by(SpecialCategoryDatum.recorded_at, SpecialCategoryDatum.id)
            ):
                values.setdefault(row.category, []).append(
                    SpecialValueInfo(row.value, row.recorded_at)
                )
            result = []
            consents = _written_consents(session, contact_id, tuple(SpecialCategory), today)
            for category in SpecialCategory:
                event = consents[category]
                result.append(
                    SpecialCategoryStatus(
                        category=category,
                        unlocked=event is not None,
                        consent_method=ConsentMethod(event.method) if event else None,
                        consent_evidence=event.evidence if event else "",
                        consent_on=local_date(event.recorded_at) if event else None,
                        values=tuple(values.get(category.value, ())),
                    )
                )
            if values:
                # How many categories were shown, never which: "contact 7, health" is itself
                # special-category data, and the chained audit cannot forget it on erasure.
                record_event(
                    session,
                    actor=actor.username,
                    action="special_category.read",
                    entity="contact",
                    entity_id=contact_id,
                    at=self._clock.now(),
                    detail=f"categories={len(values)}",
                )
            return result

    def scan_text(self, text: str) -> list[TermHit]:
        """Words in *text* suggesting special-category data (nl, fr and en term lists)."""
        return scan(text, _term_lists())

    def record_special_consent(
        self,
        actor: Actor,
        contact_id: int,
        category: SpecialCategory,
        method: ConsentMethod,
        evidence: str,
        *,
        withdraw: bool = False,
    ) -> int:
        """Record written consent (or its withdrawal) for one special category."""
        from privacycrm_desktop.services.consent import ConsentService
        from privacycrm_desktop.services.consent_dto import ConsentInput

        if self.special_access(actor) is not FieldAccess.WRITE:
            raise PermissionDenied
        if not withdraw and (method not in WRITTEN_METHODS or not evidence.strip()):
            raise ValidationFailed(
                [
                    FieldProblem(
                        "evidence",
                        N_("Special-category data needs written consent with evidence."),
                    )
                ]
            )
        status = ConsentStatus.OPT_OUT if withdraw else ConsentStatus.OPT_IN
        return ConsentService(self._uow, self._clock).record(
            actor,
            ConsentInput(
                contact_id=contact_id,
                purpose=SPECIAL_PURPOSE,
                # Written consent is on paper or its electronic equivalent: kept as "post".
                channel=Channel.POST,
                status=status,
                method=method,
                evidence=evidence,
                product_category=CONSENT_PREFIX + category.value,
            ),
        )

    def record_special(
        self,
        actor: Actor,
        contact_id: int,
        category: SpecialCategory,
        value: str,
        source: SourceInput,
    ) -> int:
        """Store a special-category datum, only under written consent for its category."""
        require(actor.role, Permission.EDIT_CONTACTS)
        if self.special_access(actor) is not FieldAccess.WRITE:
            raise PermissionDenied
        now = self._clock.now()
        checked = validate_source(source, self._clock.today())
        assert checked.kind is not None
        assert checked.obtained_on is not None
        if not value.strip():
            raise ValidationFailed([FieldProblem("value", N_("This is required."))])
        with self._uow(write=True) as uow:
            session = uow.session
            if session.get(Contact, contact_id) is None:
                raise NotFound
            consent_id = _written_consent(session, contact_id, category, self._clock.today())
            if consent_id is None:
                raise SpecialCategoryLocked
            source_row = Source(
                kind=checked.kind.value,
                description=checked.description,
                obtained_on=checked.obtained_on,
                entered_by=actor.user_id,
                created_at=now,
            )
            session.add(source_row)
            session.flush()
            row = SpecialCategoryDatum(
                contact_id=contact_id,
                category=category.value,
                value=value.strip(),
                consent_event_id=consent_id,
                source_id=source_row.id,
                recorded_at=now,
            )
            session.add(row)
            session.flush()
            record_event(
                session,
                actor=actor.username,
                action="special_category.record",
                entity="contact",
                entity_id=contact_id,
                at=now,
                # Not the category: the audit outlives an erasure (see special_category.read).
            )
            return row.id


def _recipient_info(row: Recipient) -> RecipientInfo:
    return RecipientInfo(row.id, row.name, row.kind, row.own_marketing, row.country)


def _written_consent(
    session: Session, contact_id: int, category: SpecialCategory, today: dt.date
) -> int | None:
    """The id of the written consent in force for *category*, or None."""
    event = _written_consents(session, contact_id, (category,), today)[category]
    return None if event is None else event.id


def _written_consents(
    session: Session,
    contact_id: int,
    categories: Sequence[SpecialCategory],
    today: dt.date,
) -> dict[SpecialCategory, ConsentEvent | None]:
    """The written consent in force for each of *categories*, or None: the contact's
    consent events for them read in one statement."""
    wanted = {CONSENT_PREFIX + c.value: c for c in categories}
    by_category: dict[SpecialCategory, list[ConsentEvent]] = {c: [] for c in categories}
    for row in session.scalars(
        select(ConsentEvent).where(
            ConsentEvent.contact_id == contact_id,
            ConsentEvent.product_category.in_(wanted),
        )
    ):
        by_category[wanted[row.product_category]].append(row)
    found: dict[SpecialCategory, ConsentEvent | None] = {}
    for category, rows in by_category.items():
        facts = {
            ConsentFact(
                "special",
                Channel.POST,
                ConsentStatus(r.status),
                r.recorded_at,
                r.expires_on,
                ConsentMethod(r.method),
                r.product_category,
            ): r
            for r in rows
        }
        state = consent_state(facts, "special", Channel.POST, today)
        event = facts[state.decided_by] if state.decided_by is not None else None
        written = (
            event is not None
            and state.status is ConsentStatus.OPT_IN
            and ConsentMethod(event.method) in WRITTEN_METHODS
            and bool(event.evidence or event.evidence_file)
        )
        found[category] = event if written else None
    return found


def _term_lists() -> tuple[SpecialCategoryTerms, ...]:
    return term_lists()
