"""Marketing lists reach only who may be reached; hidden fields never leave."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from helpers.databases import OwnerSetup, copy_initialised
from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind, Relationship
from privacycrm_desktop.domain.errors import PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.models import AuditEvent
from privacycrm_desktop.persistence.record_models import Disclosure
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.disclosures import TransferRefused
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

NEWSLETTER = "direct_marketing_consent"
SOFT = "direct_marketing_soft_opt_in"
MARKETING = (NEWSLETTER, SOFT)
EMAILS = tuple(f"{name}@example.be" for name in ("ann", "bert", "chloe", "dirk", "els", "fien"))
PHONES = ("+32475111111", "+32475222222", "+32475333333")
CATEGORIES = ("coffee", "tea", "shoes")
SIMILAR = {frozenset({"coffee", "tea"})}
START = dt.datetime(2026, 3, 2, 9, 0)
LIST_DAY_OFFSET = dt.timedelta(days=30)


@dataclass
class EventSpec:
    purpose: str
    channel: Channel
    status: ConsentStatus
    category: str
    expires_in: int | None


@dataclass
class ContactSpec:
    kind: ContactKind
    relationship: Relationship
    end_in: int | None
    from_sale: bool
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    events: list[EventSpec]
    unsubscribe: bool
    recorded: list[tuple[dt.datetime, EventSpec, str]] = field(default_factory=list)


events = st.builds(
    EventSpec,
    st.sampled_from(MARKETING),
    st.sampled_from([Channel.EMAIL, Channel.PHONE]),
    st.sampled_from(list(ConsentStatus)),
    st.sampled_from(CATEGORIES),
    st.one_of(st.none(), st.integers(1, 60)),
)
contacts = st.builds(
    ContactSpec,
    st.sampled_from([ContactKind.PERSON, ContactKind.PERSON, ContactKind.ORGANISATION_ADDRESS]),
    st.sampled_from([Relationship.CUSTOMER, Relationship.PROSPECT, Relationship.FORMER_CUSTOMER]),
    st.one_of(st.none(), st.integers(-10, 60)),
    st.sampled_from([True, True, False]),
    st.lists(st.sampled_from(EMAILS), min_size=1, max_size=2, unique=True).map(tuple),
    st.lists(st.sampled_from(PHONES), max_size=1).map(tuple),
    st.lists(events, min_size=1, max_size=4),
    # Unsubscribing is rarer, or it would hide every other rule behind suppression.
    st.sampled_from([False, False, False, False, True]),
)


#: The set-up of each example's database (copied from one set up once: helpers/databases.py).
POPULATION_SETUP = OwnerSetup(
    CompanyInput("Acme BV", "Kerkstraat 1, 9000 Gent", language="nl"), "owner", "owner pw 123"
)


def fresh_services(template: Path, folder: Path) -> tuple[Services, Actor, FixedClock]:
    clock = FixedClock(START)
    owner = copy_initialised(template, folder / "crm.db", POPULATION_SETUP, clock)
    assert owner is not None
    return Services.build(create_engine_for(folder / "crm.db"), clock), owner, clock


def populate(
    services: Services, owner: Actor, clock: FixedClock, specs: list[ContactSpec]
) -> list[int]:
    ids = []
    for number, spec in enumerate(specs):
        kind = SourceKind.SALE if spec.from_sale else SourceKind.WEB_FORM
        end = None if spec.end_in is None else START.date() + dt.timedelta(days=spec.end_in)
        data = ContactInput(
            kind=spec.kind,
            first_name=f"Person{number}",
            last_name="Test",
            organisation="Org" if spec.kind is ContactKind.ORGANISATION_ADDRESS else "",
            emails=spec.emails,
            phones=spec.phones,
            relationship=spec.relationship,
            relationship_start=START.date() - dt.timedelta(days=400),
            relationship_end=max(end, START.date() - dt.timedelta(days=399)) if end else None,
        )
        source = SourceInput(kind, "generated", START.date())
        ids.append(services.contacts.create(owner, data, source))
    for contact_id, spec in zip(ids, specs, strict=True):
        for event in spec.events:
            clock.advance(dt.timedelta(minutes=1))
            expires = (
                None
                if event.expires_in is None or event.status is ConsentStatus.OPT_OUT
                else clock.today() + dt.timedelta(days=event.expires_in)
            )
            method = (
                ConsentMethod.SALE
                if event.status is ConsentStatus.SOFT_OPT_IN
                else ConsentMethod.FORM_BOX_TICKED
            )
            try:
                services.consent.record(
                    owner,
                    ConsentInput(
                        contact_id,
                        event.purpose,
                        event.channel,
                        event.status,
                        method,
                        "ref 1",
                        None,
                        event.category,
                        expires,
                        opt_out_offered=True,
                    ),
                )
            except ValidationFailed:
                continue
            first = (spec.emails if event.channel is Channel.EMAIL else spec.phones)[:1]
            spec.recorded.append((clock.now(), event, first[0] if first else ""))
        if spec.unsubscribe:
            clock.advance(dt.timedelta(minutes=1))
            services.consent.unsubscribe(owner, contact_id)
    clock.advance(LIST_DAY_OFFSET)
    return ids


def may_not_be_listed(
    spec: ContactSpec,
    everyone: list[ContactSpec],
    purpose: str,
    channel: Channel,
    category: str | None,
    today: dt.date,
) -> str | None:
    """Why *spec* must not be on the list (an oracle written apart from the rules), or None."""
    points = spec.emails if channel is Channel.EMAIL else spec.phones
    suppressed = {p for other in everyone if other.unsubscribe for p in other.emails + other.phones}
    if suppressed & set(spec.emails + spec.phones):
        return "suppressed"
    relevant = [
        (at, e)
        for at, e, _point in spec.recorded
        if e.channel is channel and (e.purpose == purpose or e.status is ConsentStatus.OPT_OUT)
    ]
    relevant += [
        (at, e)
        for other in everyone
        if other is not spec
        for at, e, point in other.recorded
        if e.channel is channel and e.status is ConsentStatus.OPT_OUT and point in points
    ]
    if spec.unsubscribe:
        return "suppressed"
    latest = max(relevant, key=lambda pair: pair[0], default=None)
    if latest is not None and latest[1].status is ConsentStatus.OPT_OUT:
        return "opted out"
    if spec.kind is ContactKind.ORGANISATION_ADDRESS:
        return None
    if latest is None:
        return "nothing recorded"
    at, event = latest
    if event.expires_in is not None and at.date() + dt.timedelta(days=event.expires_in) < today:
        return "expired"
    if event.status is ConsentStatus.OPT_IN:
        return None
    if purpose == NEWSLETTER:
        return "soft opt-in is not consent"
    end = None if spec.end_in is None else START.date() + dt.timedelta(days=spec.end_in)
    if spec.relationship is not Relationship.CUSTOMER or (end is not None and end < today):
        return "not a current customer"
    if not spec.from_sale:
        return "not from a sale"
    last_out = max((a for a, e in relevant if e.status is ConsentStatus.OPT_OUT), default=START)
    bought = {
        e.category
        for a, e, _p in spec.recorded
        if e.purpose == purpose
        and e.channel is channel
        and e.status is ConsentStatus.SOFT_OPT_IN
        and a > last_out
        and (e.expires_in is None or a.date() + dt.timedelta(days=e.expires_in) >= today)
    }
    if category is not None and not any(
        b == category or any({b, category} <= g for g in SIMILAR) for b in bought
    ):
        return "category not similar"
    return None


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(contacts, min_size=1, max_size=7))
def test_a_marketing_list_holds_only_who_may_be_reached(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, population: list[ContactSpec]
) -> None:
    services, owner, clock = fresh_services(sqlite_template, tmp_path_factory.mktemp("population"))
    try:
        soft = next(p for p in services.statements.purposes(owner) if p.code == SOFT)
        services.statements.update_purpose(
            owner, soft.__class__(**{**soft.__dict__, "similar_categories": (("coffee", "tea"),)})
        )
        ids = populate(services, owner, clock, population)
        by_id = dict(zip(ids, population, strict=True))
        today = clock.today()
        for purpose, channel, category in [
            (NEWSLETTER, Channel.EMAIL, None),
            (NEWSLETTER, Channel.PHONE, None),
            (SOFT, Channel.EMAIL, "tea"),
            (SOFT, Channel.EMAIL, "shoes"),
            (SOFT, Channel.PHONE, "coffee"),
        ]:
            result = services.marketing.build(owner, purpose, channel, category)
            assert len(result.entries) + sum(result.excluded.values()) == len(ids)
            for entry in result.entries:
                why = may_not_be_listed(
                    by_id[entry.contact_id], population, purpose, channel, category, today
                )
                assert why is None, (entry.contact_id, purpose, channel, category, why)
    finally:
        services.uow.engine.dispose()


def _customer(services: Services, owner: Actor) -> int:
    return services.contacts.create(
        owner,
        ContactInput(
            first_name="=HYPERLINK(1)",
            last_name="Peeters",
            emails=("jan@example.be",),
            phones=("0475 98 76 54",),
            relationship=Relationship.CUSTOMER,
        ),
        SourceInput(SourceKind.SALE, "Invoice 1", dt.date(2026, 3, 1)),
    )


def _opt_in(services: Services, owner: Actor, cid: int, channel: Channel) -> None:
    services.consent.record(
        owner,
        ConsentInput(
            cid, NEWSLETTER, channel, ConsentStatus.OPT_IN, ConsentMethod.SIGNED_PAPER, "paper 3"
        ),
    )


def test_hidden_phones_never_reach_the_list_or_its_csv(svc: Services, owner: Actor) -> None:
    """The field-restriction canary, for the marketing list and its export."""
    cid = _customer(svc, owner)
    _opt_in(svc, owner, cid, Channel.PHONE)
    _opt_in(svc, owner, cid, Channel.EMAIL)
    svc.auth.add_user(owner, "sam", "sales password 1", Role.SALES)
    sales = svc.auth.login("sam", "sales password 1")
    visible = svc.marketing.build(sales, NEWSLETTER, Channel.PHONE)
    assert visible.entries[0].values["phone"] == "+32475987654"
    data, _count = svc.marketing.export_csv(sales, NEWSLETTER, Channel.PHONE)
    # A number is only "+" and digits: nothing in it can run, so it stays a number.
    assert ",+32475987654," in data.decode("utf-8-sig")

    svc.access.set_field_access(owner, Role.SALES, "phones", FieldAccess.HIDDEN)
    for channel in (Channel.PHONE, Channel.EMAIL):
        result = svc.marketing.build(sales, NEWSLETTER, channel)
        assert [e.contact_id for e in result.entries] == [cid]
        assert "phone" not in result.columns
        assert all("phone" not in e.values for e in result.entries)
        assert "987654" not in repr(result)
        data, count = svc.marketing.export_csv(sales, NEWSLETTER, channel)
        assert count == 1
        text = data.decode("utf-8-sig")
        assert "987654" not in text
        assert "phone" not in text.splitlines()[0]


def test_csv_is_utf8_with_bom_formulas_neutralised_and_logged(svc: Services, owner: Actor) -> None:
    cid = _customer(svc, owner)
    _opt_in(svc, owner, cid, Channel.EMAIL)
    data, count = svc.marketing.export_csv(owner, NEWSLETTER, Channel.EMAIL, None, "Mailhouse BV")
    assert count == 1
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [
        "id",
        "first_name",
        "last_name",
        "organisation",
        "language",
        "email",
        "reason",
    ]
    assert rows[1][1] == "'=HYPERLINK(1)"
    assert rows[1][-1] == "opted_in"
    with svc.uow() as uow:
        session = uow.session
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export.marketing_csv")
        ).one()
        assert "count=1" in event.detail
        assert "recipient=" in event.detail
        assert "Mailhouse" not in event.detail
        assert session.execute(select(func.count(Disclosure.id))).scalar() == 1


def test_an_export_for_another_company_s_own_use_is_refused(svc: Services, owner: Actor) -> None:
    cid = _customer(svc, owner)
    _opt_in(svc, owner, cid, Channel.EMAIL)
    from privacycrm_desktop.services.disclosures import DisclosureInput

    with pytest.raises(TransferRefused):
        svc.disclosures.record(
            owner,
            DisclosureInput(
                cid, "Group Sister NV", NEWSLETTER, (), dt.date(2026, 3, 2), own_marketing=True
            ),
        )
    with pytest.raises(TransferRefused):
        svc.marketing.export_csv(owner, NEWSLETTER, Channel.EMAIL, None, "Group  Sister NV")


def test_lists_need_a_marketing_purpose_and_the_right_role(svc: Services, owner: Actor) -> None:
    with pytest.raises(ValidationFailed):
        svc.marketing.build(owner, "invoicing", Channel.EMAIL)
    with pytest.raises(ValidationFailed) as caught:
        svc.marketing.build(owner, SOFT, Channel.EMAIL)
    assert caught.value.problems[0].field == "category"
    svc.auth.add_user(owner, "olga", "office password 1", Role.OFFICE)
    office = svc.auth.login("olga", "office password 1")
    with pytest.raises(PermissionDenied):
        svc.marketing.build(office, NEWSLETTER, Channel.EMAIL)
