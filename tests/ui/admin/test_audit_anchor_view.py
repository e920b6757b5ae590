"""The audit viewer compares the chain with its anchors and names the one that
caught a truncation the chain alone does not show."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.i18n import set_language
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.admin.audit_view import AuditViewerDialog

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2025, 2, 20))
SHOTS = Path(os.environ.get("PRIVACYCRM_SHOTS", "/work/shots/h15audit"))


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_the_viewer_names_the_anchor_that_caught_a_truncation(
    qtbot: QtBot, services: Services, owner: Actor, database_path: Path, language: str
) -> None:
    for number in range(5):
        services.contacts.create(owner, ContactInput(last_name=f"Person{number}"), CARD)
    with sqlite3.connect(database_path) as conn:
        # Two plain DELETEs: the chain that is left holds on its own.
        conn.execute("DELETE FROM audit_event WHERE id = (SELECT max(id) FROM audit_event)")
        conn.execute("DELETE FROM setting WHERE key = 'audit.head'")
    assert services.audit.verify() is None
    set_language(language)
    try:
        dialog = AuditViewerDialog(services.audit, owner, dt.date(2025, 3, 14))
        qtbot.addWidget(dialog)
        text = dialog.chain.text()
        assert "audit-anchors" in text  # the anchor file's path
        if language == "en":
            assert "events were removed" in text
        if SHOTS.parent.is_dir():
            SHOTS.mkdir(exist_ok=True)
            dialog.resize(1024, 600)
            dialog.grab().save(str(SHOTS / f"audit-anchor-{language}.png"))
    finally:
        set_language("en")


def _outside_check(services: Services) -> object:
    """A check as the server's write log reports it (PostgreSQL): two changes made with
    plain SQL by the office login role."""
    from privacycrm_desktop.persistence.server_writes import LoggedWrite
    from privacycrm_desktop.services.audit import AuditCheck, OutsideWrite

    at = dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC)
    writes = [
        OutsideWrite(LoggedWrite(7, at, "crm_u_olga", "olga", {"contact": {"UPDATE": 3}})),
        OutsideWrite(LoggedWrite(6, at, "crm_u_olga", "olga", {"contact_email": {"DELETE": 1}})),
    ]
    return AuditCheck(None, [], [], writes, 2)


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_the_owner_marks_changes_outside_the_app_as_reviewed(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    language: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The viewer names each change the server saw made outside the app; the owner's
    button marks them reviewed up to the newest listed, and the check is read again."""
    from privacycrm_desktop.domain.access import Role

    checks = [_outside_check(services)]
    marked: list[int] = []
    monkeypatch.setattr(services.audit, "check", lambda: checks[-1])

    def mark(actor: Actor, upto: int) -> int:
        marked.append(upto)
        checks.append(type(checks[0])(None, [], []))
        return 2

    monkeypatch.setattr(services.audit, "mark_outside_writes_reviewed", mark)
    set_language(language)
    try:
        officer = Actor(owner.user_id, "pia", Role.PRIVACY_OFFICER)
        seen = AuditViewerDialog(services.audit, officer, dt.date(2025, 3, 14))
        qtbot.addWidget(seen)
        assert "olga" in seen.chain.text()
        assert "contact_email" in seen.chain.text()
        assert seen.review_button.isHidden()  # only the owner reviews
        dialog = AuditViewerDialog(services.audit, owner, dt.date(2025, 3, 14))
        qtbot.addWidget(dialog)
        dialog.show()
        assert dialog.review_button.isVisible()
        if language == "en":
            assert "contact: 3 changed" in dialog.chain.text()
        if SHOTS.parent.is_dir():
            SHOTS.mkdir(exist_ok=True)
            dialog.resize(1024, 600)
            dialog.grab().save(str(SHOTS / f"audit-outside-{language}.png"))
        dialog.review_button.click()
        assert marked == [7]
        assert dialog.review_button.isHidden()
        assert dialog.chain.styleSheet().startswith("color: #1b5e20")
    finally:
        set_language("en")
