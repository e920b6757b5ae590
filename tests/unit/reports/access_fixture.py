"""A fixed contact for access report tests: every kind of datum, consent, disclosures."""

from __future__ import annotations

import dataclasses
import datetime as dt

from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.disclosures import DisclosureInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Salon Batibouw", dt.date(2026, 2, 20))
BOUGHT = SourceInput(SourceKind.THIRD_PARTY, "Kamer van Koophandel lijst", dt.date(2026, 1, 10))
VALUES = {
    "first_name": "Zoë",
    "last_name": "Van den Broeck-Dubois",
    "organisation": "Bakkerij Dubois",
    "street": "Rue de la Station 12",
    "postcode": "4000",
    "city": "Liège",
    "notes": "Préfère être appelée le matin",
}
ORGANISATION = "Bakkerij Dubois & Zonen"
EMAIL = "zoe.dubois@example.be"
PHONE = "+32470123456"
RECIPIENTS = ("Boekhouder Janssens BV", "Drukkerij Print NV")


def make_contact(
    svc: Services, owner: Actor, events: int = 2, language: str = "nl", **overrides: str
) -> int:
    """Add the fixed contact, its consent history (*events* events) and two disclosures."""
    values = {**VALUES, **overrides}
    cid = svc.contacts.create(owner, _input(values, language), CARD)
    # The organisation came later, from a bought list: a source other than the person.
    detail = svc.contacts.get(owner, cid)
    changed = dataclasses.replace(_input(values, language), organisation=ORGANISATION)
    svc.contacts.update(owner, cid, detail.version, changed, BOUGHT)
    for i in range(events):
        svc.consent.record(
            owner,
            ConsentInput(
                contact_id=cid,
                purpose="direct_marketing_consent",
                channel=Channel.EMAIL,
                status=ConsentStatus.OPT_IN if i % 2 == 0 else ConsentStatus.OPT_OUT,
                method=ConsentMethod.FORM_BOX_TICKED if i % 2 == 0 else ConsentMethod.EMAIL_REPLY,
                evidence=f"form {i}",
            ),
        )
    day = dt.date(2026, 2, 25)
    svc.disclosures.record(
        owner, DisclosureInput(cid, RECIPIENTS[0], "invoicing", ("identity", "address"), day)
    )
    svc.disclosures.record(
        owner, DisclosureInput(cid, RECIPIENTS[1], "customer_relationship", ("contact",), day)
    )
    return cid


def _input(values: dict[str, str], language: str) -> ContactInput:
    return ContactInput(
        **values,
        emails=(EMAIL,),
        phones=(PHONE,),
        language=language,
        relationship="customer",
        birth_date=dt.date(1984, 5, 17),
    )
