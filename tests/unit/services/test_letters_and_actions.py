"""Letters of a request in nl, fr and en; objection carried out; erasure refused honestly."""

from __future__ import annotations

import datetime as dt

import pytest

from privacycrm_desktop.domain.consent import Channel, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import HoldKeepsContact
from privacycrm_desktop.domain.errors import NotFound, ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.requests import RequestKind, RequestStatus
from privacycrm_desktop.services.disclosures import DisclosureInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.letters import Letter
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.request_actions import CannotCarryOut, can_carry_out
from privacycrm_desktop.services.requests import RequestInput

SOURCE = SourceInput(SourceKind.WEB_FORM, "Contactformulier {website}", dt.date(2026, 1, 2))
GREETING = {"nl": "Beste", "fr": "Bonjour", "en": "Dear"}


def contact(svc: Services, owner: Actor, language: str = "nl") -> int:
    """Zoë (a new one each call)."""
    return svc.contacts.create(
        owner,
        ContactInput(
            first_name="Zoë {name}",
            last_name="Peeters",
            emails=("zoe@example.be",),
            language=language,
        ),
        SOURCE,
    )


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
@pytest.mark.parametrize("letter", list(Letter))
def test_every_letter_fills_in_every_placeholder(
    svc: Services, owner: Actor, language: str, letter: Letter
) -> None:
    cid = contact(svc, owner, language)
    rid = svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,), dt.date(2026, 1, 31)))
    text = svc.letters.render(owner, rid, letter, reason="Vraag niet duidelijk")
    assert "Acme BV" in text
    assert "Kerkstraat 1, 9000 Gent" in text
    assert f"R-2026-{rid:04d}" in text
    # The name keeps its braces: values are inserted once, never parsed again.
    assert "Zoë {name} Peeters" in text
    assert GREETING[language] in text
    for placeholder in ("{company}", "{reference}", "{due}", "{received}", "{today}"):
        assert placeholder not in text
    if letter is Letter.ACKNOWLEDGEMENT:
        assert {"nl": "28 februari 2026", "fr": "28 février 2026", "en": "28 February 2026"}[
            language
        ] in text
    if letter is Letter.ACCESS_COVER:
        assert "Contactformulier {website}" in text
    if letter is Letter.REFUSAL:
        assert "Vraag niet duidelijk" in text


def test_refusal_needs_a_reason(svc: Services, owner: Actor) -> None:
    cid = contact(svc, owner)
    rid = svc.requests.add(owner, RequestInput(RequestKind.ERASURE, (cid,)))
    with pytest.raises(ValidationFailed):
        svc.letters.render(owner, rid, Letter.REFUSAL)
    with pytest.raises(ValidationFailed):
        svc.letters.render(owner, rid, Letter.ACKNOWLEDGEMENT, language="de")


def test_an_objection_is_carried_out_and_closed(svc: Services, owner: Actor) -> None:
    cid = contact(svc, owner)
    rid = svc.requests.add(owner, RequestInput(RequestKind.OBJECTION, (cid,)))
    assert can_carry_out(RequestKind.OBJECTION)
    info = svc.request_actions.carry_out(owner, rid)
    assert info.status is RequestStatus.DONE
    assert "opt-outs" in info.outcome
    history = svc.consent.history(owner, cid)
    assert history
    assert all(e.status is ConsentStatus.OPT_OUT for e in history)
    assert {e.channel for e in history} >= {Channel.EMAIL}


def test_an_erasure_is_carried_out_unless_a_hold_keeps_the_contact(
    svc: Services, owner: Actor
) -> None:
    cid = contact(svc, owner)
    svc.disclosures.record(
        owner, DisclosureInput(cid, "Boekhouder BV", "invoicing", (), dt.date(2026, 3, 1))
    )
    held = contact(svc, owner, "fr")
    svc.retention.add_hold(owner, held, "Dispute about an invoice", dt.date(2027, 1, 1))
    blocked = svc.requests.add(owner, RequestInput(RequestKind.ERASURE, (cid, held)))
    with pytest.raises(HoldKeepsContact):
        svc.request_actions.carry_out(owner, blocked)
    # A hold on one contact erases none of them; the request stays open.
    assert svc.contacts.get(owner, cid).id == cid
    assert svc.requests.get(owner, blocked).status is RequestStatus.OPEN
    erase = svc.requests.add(owner, RequestInput(RequestKind.ERASURE, (cid,)))
    assert can_carry_out(RequestKind.ERASURE)
    info = svc.request_actions.carry_out(owner, erase)
    assert info.status is RequestStatus.DONE
    assert "Boekhouder BV" in info.outcome
    with pytest.raises(NotFound):
        svc.contacts.get(owner, cid)
    # The erasure-done letter still goes out, to the requester's name.
    assert "R-2026-" in svc.letters.render(owner, erase, Letter.ERASURE_DONE)


def test_access_is_answered_not_carried_out(svc: Services, owner: Actor) -> None:
    cid = contact(svc, owner)
    access = svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,)))
    assert not can_carry_out(RequestKind.ACCESS)
    with pytest.raises(CannotCarryOut):
        svc.request_actions.carry_out(owner, access)
    assert svc.requests.get(owner, access).status is RequestStatus.OPEN


def test_a_rectification_changes_the_value_keeps_the_old_and_lists_recipients(
    svc: Services, owner: Actor
) -> None:
    cid = contact(svc, owner)
    svc.disclosures.record(
        owner,
        DisclosureInput(cid, "Drukkerij NV", "customer_relationship", (), dt.date(2026, 3, 1)),
    )
    rid = svc.requests.add(owner, RequestInput(RequestKind.RECTIFICATION, (cid,)))
    told = SourceInput(SourceKind.PHONE_CALL, "The person called", dt.date(2026, 3, 2))
    with pytest.raises(ValidationFailed):
        svc.request_actions.rectify(owner, rid, cid, "last_name", "Peters", " ", told)
    with pytest.raises(ValidationFailed):
        svc.request_actions.rectify(owner, rid, cid, "birth_date", "x", "why", told)
    done = svc.request_actions.rectify(owner, rid, cid, "last_name", "Peters", "Misspelt", told)
    assert (done.old_value, done.new_value) == ("Peeters", "Peters")
    assert done.recipients_to_tell == ("Drukkerij NV",)
    detail = svc.contacts.get(owner, cid)
    assert detail.last_name == "Peters"
    assert detail.provenance["last_name"].description == "The person called"
    (kept,) = svc.requests.rectifications(owner, rid)
    assert (kept.old_value, kept.new_value, kept.reason) == ("Peeters", "Peters", "Misspelt")
