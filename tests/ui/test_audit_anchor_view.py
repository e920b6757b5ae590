"""Issue 15: the audit viewer compares the chain with its anchors and names the one that
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
from privacycrm_desktop.ui.audit_view import AuditViewerDialog

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
