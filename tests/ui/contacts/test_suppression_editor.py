"""The editor and the suppression list: a forgotten person is refused, an objection noticed."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.consent import ConsentMethod
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.suppression import HashKind, SuppressionReason, suppression_digest
from privacycrm_desktop.persistence.models import Suppression
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.marketing_facts import ensure_salt
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog


def editor(qtbot: QtBot, services: Services, owner: Actor, email: str) -> ContactEditorDialog:
    dialog = ContactEditorDialog(services.contacts, owner, None)
    qtbot.addWidget(dialog)
    dialog.editors["first_name"].setText("Zoë")
    dialog.editors["last_name"].setText("Lefèvre")
    dialog.editors["emails"].setPlainText(email)
    dialog.source_description.setText("Business card")
    return dialog


def test_the_editor_refuses_a_forgotten_person_and_notices_an_objection(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    with services.uow(write=True) as uow:
        salt = ensure_salt(uow.session)
        uow.session.add(
            Suppression(
                hash_kind=HashKind.EMAIL.value,
                digest=suppression_digest(salt, HashKind.EMAIL, "gone@example.be"),
                reason=SuppressionReason.ERASURE.value,
                created_at=dt.datetime(2025, 1, 1),
            )
        )
    notices: list[str] = []
    monkeypatch.setattr(messages, "information", lambda _p, _t, text: notices.append(text))

    refused = editor(qtbot, services, owner, "gone@example.be")
    refused.save()
    assert refused.saved_id is None
    assert "asked to be forgotten" in refused.general_error.text()
    assert not refused.general_error.isHidden()
    assert services.contacts.count(owner) == 0

    first = services.contacts.create(
        owner,
        ContactInput(first_name="Jan", emails=("jan@example.be",)),
        SourceInput(SourceKind.PHONE_CALL, "Call", dt.date(2025, 3, 1)),
    )
    services.consent.unsubscribe(owner, first)
    assert notices == []
    again = editor(qtbot, services, owner, "JAN@example.be")
    again.save()
    assert again.saved_id is not None
    assert len(notices) == 1
    assert "JAN@example.be is on the suppression list" in notices[0]
    history = services.consent.history(owner, again.saved_id)
    assert history
    assert {e.method for e in history} == {ConsentMethod.SUPPRESSION_LIST}
