"""The import history and its undo; screenshots in nl, fr and en (PRIVACYCRM_SCREENSHOT_DIR)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.import_formats import DuplicatePolicy
from privacycrm_desktop.domain.purposes import LegalBasis
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportPlan
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.transfer.import_history import ImportHistoryDialog

from ..screens import save
from .import_files import CARD, ROWS, excel_csv


def _import(services: Services, owner: Actor, path: Path) -> int:
    plan = ImportPlan(
        path=path,
        shape=services.imports.preview(owner, path).shape,
        mapping=services.imports.preview(owner, path).mapping,
        source=CARD,
        purpose_code="prospect_follow_up",
        legal_basis=LegalBasis.LEGITIMATE_INTEREST.value,
        duplicates=DuplicatePolicy.SKIP,
    )
    result = services.imports.run(owner, plan)
    assert result.batch_id is not None
    return result.batch_id


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_undo_from_the_history(
    qtbot: QtBot,
    qtmodeltester: object,
    services: Services,
    owner: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
) -> None:
    apply_language(language)
    _import(services, owner, excel_csv(tmp_path, ROWS[:2], "first.csv"))
    _import(services, owner, excel_csv(tmp_path, [ROWS[3]], "second.csv"))
    dialog = ImportHistoryDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.show()
    qtmodeltester.check(dialog.model)
    assert dialog.model.rowCount() == 2
    files = {dialog.model.index(r, 0).data() for r in range(2)}
    assert files == {"first.csv", "second.csv"}
    row = next(r for r in range(2) if dialog.model.index(r, 0).data() == "first.csv")
    dialog.view.selectRow(row)
    assert dialog.undo_button.isEnabled()
    save(dialog, f"{language}-import-history")

    changed: list[bool] = []
    dialog.contacts_changed.connect(lambda: changed.append(True))
    monkeypatch.setattr(messages, "question", lambda *a: QMessageBox.StandardButton.Yes)
    assert dialog.undo_selected() == 2
    assert changed
    assert services.contacts.count(owner) == 1
    row = next(r for r in range(2) if dialog.model.index(r, 0).data() == "first.csv")
    dialog.view.selectRow(row)
    assert not dialog.undo_button.isEnabled()
    assert dialog.undo_button.toolTip()  # says why
    save(dialog, f"{language}-import-history-undone")

    # The other one: its contact is edited after the list was read; the service refuses.
    row = next(r for r in range(2) if dialog.model.index(r, 0).data() == "second.csv")
    dialog.view.selectRow(row)
    assert dialog.undo_button.isEnabled()
    contact = services.contacts.page(owner)[0]
    detail = services.contacts.get(owner, contact.id)
    services.contacts.update(
        owner,
        contact.id,
        detail.version,
        ContactInput(first_name="Pieter", last_name="Aerts", emails=("aerts@example.be",)),
        CARD,
    )
    warnings: list[str] = []
    monkeypatch.setattr(messages, "warning", lambda *a: warnings.append(a[2]))
    assert dialog.undo_selected() is None
    assert warnings
    assert "Traceback" not in warnings[0]
    assert services.contacts.count(owner) == 1
    dialog.view.selectRow(row)
    assert not dialog.undo_button.isEnabled()
    assert dialog.undo_button.toolTip()
    save(dialog, f"{language}-import-history-refused")
