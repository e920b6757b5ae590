"""The Backups dialog, the restore confirmation and the automatic backup at closing.

Screenshots (nl, fr) when PRIVACYCRM_SCREENSHOT_DIR is set.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
)
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.backup import BackupTier, find_backups
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.admin.automatic_backup import install_automatic_backups
from privacycrm_desktop.ui.admin.backup_dialog import BackupDialog, RestoreConfirmDialog
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.mnemonics import mnemonic_of
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.main_window import MainWindow

from ..screens import save

SOURCE = SourceInput(SourceKind.BUSINESS_CARD, "fair", dt.date(2025, 2, 20))


def _contacts(services: Services, owner: Actor) -> int:
    services.contacts.create(owner, ContactInput(first_name="Bert", last_name="Keep"), SOURCE)
    return services.contacts.create(
        owner,
        ContactInput(first_name="Zoë", last_name="Qzxgone", emails=("zoe@example.be",)),
        SOURCE,
    )


def _messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    for kind in ("information", "warning"):
        monkeypatch.setattr(messages, kind, lambda *a, **_k: shown.append(str(a[2])))
    return shown


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_back_up_now_settings_and_restore(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    database_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
) -> None:
    apply_language(language)
    shown = _messages(monkeypatch)
    gone = _contacts(services, owner)
    dialog = BackupDialog(services.backup, owner)
    qtbot.addWidget(dialog)
    dialog.show()
    letters = [
        mnemonic_of(w.text())
        for w in [*dialog.findChildren(QLabel), *dialog.findChildren(QAbstractButton)]
        if w.isVisible() and mnemonic_of(w.text())
    ]
    assert len(letters) == len(set(letters)), letters  # each Alt+letter leads to one place
    assert dialog.model.rowCount() == 0
    assert dialog.restore_button.isVisible()
    # Passphrases that differ: refused next to the field, nothing changes.
    dialog.passphrase.setText("a long backup passphrase")
    dialog.passphrase_again.setText("another passphrase")
    assert not dialog.save_settings()
    assert dialog.problems["passphrase"].isVisible()
    dialog.passphrase_again.setText("a long backup passphrase")
    dialog.second_folder.setText(str(tmp_path / "usb"))
    dialog.max_age.setValue(60)
    assert dialog.save_settings()
    assert services.backup.settings(owner).encrypted
    assert services.backup.max_age_days() == 60
    dialog.backup_button.click()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1 and not dialog.progress.busy)
    assert dialog.model.backup_at(0).encrypted
    assert find_backups(tmp_path / "usb")  # the second copy
    save(dialog, f"{language}-backups")

    services.erasure.erase(owner, gone, ErasureReason.ERASURE_REQUEST)
    monkeypatch.setattr(
        "privacycrm_desktop.ui.admin.backup_dialog.QInputDialog.getText",
        lambda *a, **k: ("a long backup passphrase", True),
    )
    seen: list[RestoreConfirmDialog] = []

    def confirm() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, RestoreConfirmDialog):
            QTimer.singleShot(50, confirm)
            return
        seen.append(box)
        save(box, f"{language}-backups-restore-confirm")
        box.restore_button.click()

    QTimer.singleShot(50, confirm)
    dialog.restore_button.click()
    qtbot.waitUntil(lambda: dialog.restored is not None, timeout=20_000)
    assert seen
    assert dialog.restored.erasures_replayed == 1
    assert str(dialog.restored.aside) in shown[-1]
    assert services.contacts.count(owner, "Qzxgone") == 0


@pytest.mark.parametrize(("role", "menu"), [(Role.PRIVACY_OFFICER, True), (Role.OFFICE, False)])
def test_backups_in_the_administration_menu(
    qtbot: QtBot, services: Services, owner: Actor, role: Role, menu: bool
) -> None:
    services.auth.add_user(owner, "other", "another good password", role)
    other = services.auth.login("other", "another good password")
    window = MainWindow(services, other)
    qtbot.addWidget(window)
    actions = window.admin_menu.actions() if window.admin_menu else []
    assert (window.backups_action in actions) is menu
    if menu:
        dialog = BackupDialog(services.backup, other)
        qtbot.addWidget(dialog)
        assert not dialog.restore_button.isVisibleTo(dialog)  # restore: owner only


def test_closing_makes_a_backup_then_closes(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = _messages(monkeypatch)
    _contacts(services, owner)
    folder = services.backup.settings(owner).folder
    window = QMainWindow()
    qtbot.addWidget(window)
    automatic = install_automatic_backups(window, services.backup)
    window.show()
    assert not window.close()  # held back while the backup runs
    assert window.isVisible()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
    made = find_backups(folder)
    assert [b.tier for b in made] == [BackupTier.DAILY]  # none yet today: it counts as daily
    assert automatic.done
    assert not shown
    # A second window the same day: an exit backup.
    window2 = QMainWindow()
    qtbot.addWidget(window2)
    install_automatic_backups(window2, services.backup)
    window2.show()
    window2.close()
    qtbot.waitUntil(lambda: not window2.isVisible(), timeout=20_000)
    assert next(b.tier for b in find_backups(folder)) == BackupTier.EXIT
    # A backup that fails: the user is told, the window still closes, the data is intact.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    services.backup.update_settings(
        owner, folder=blocker / "backups", second_folder=None, max_age_days=90
    )
    window3 = QMainWindow()
    qtbot.addWidget(window3)
    install_automatic_backups(window3, services.backup)
    window3.show()
    window3.close()
    qtbot.waitUntil(lambda: not window3.isVisible(), timeout=20_000)
    assert shown
    assert "safe" in shown[-1]
    assert services.contacts.count(owner) == 2


def test_daily_backup_in_the_background_and_closing_without_waiting(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QThreadPool

    shown = _messages(monkeypatch)
    folder = services.backup.settings(owner).folder
    window = QMainWindow()
    qtbot.addWidget(window)
    automatic = install_automatic_backups(window, services.backup)
    window.show()
    automatic.daily()
    qtbot.waitUntil(lambda: len(find_backups(folder)) == 1, timeout=20_000)
    assert find_backups(folder)[0].tier == BackupTier.DAILY
    automatic.daily()  # not due any more: nothing happens
    assert QThreadPool.globalInstance().waitForDone(10_000)
    assert len(find_backups(folder)) == 1
    qtbot.wait(200)  # the job's end reaches the UI thread
    # Closing, then "Close without waiting": the window goes at once.
    window.close()
    assert window.isVisible()
    assert automatic.progress is not None
    button = automatic.progress.findChild(QPushButton)
    assert button.text() == "Close without waiting"
    button.click()
    assert not window.isVisible()
    assert automatic.done
    assert QThreadPool.globalInstance().waitForDone(10_000)
    assert not list(folder.glob(".tmp-*"))  # a cancelled backup leaves nothing behind
    assert not shown


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_another_databases_backup_is_restored_only_after_a_clear_question(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
) -> None:
    """The dialog names what a backup of another database does and restores it
    only when the owner says yes; the copy kept aside is listed with its kind."""
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.setup import CompanyInput

    apply_language(language)
    _contacts(services, owner)
    engine = create_engine_for(tmp_path / "other" / "other.db")
    try:
        migrate(engine)
        other = Services.build(engine)
        other.setup.initialise(
            CompanyInput("Other BV", "Markt 1, 9000 Gent", "0403.170.701", "a@b.be", language),
            "boss",
            "correct horse battery",
        )
        folder = services.backup.settings(owner).folder
        other.backup.create(None, to=folder)
    finally:
        engine.dispose()
    questions: list[str] = []
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]

    def warning(*args: object, **_kwargs: object) -> QMessageBox.StandardButton:
        questions.append(str(args[2]))
        return answers.pop(0)

    monkeypatch.setattr(messages, "warning", warning)
    monkeypatch.setattr(messages, "information", lambda *_a, **_k: None)
    dialog = BackupDialog(services.backup, owner)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.table.selectRow(0)
    dialog.restore_button.click()  # the owner says no: nothing happens
    qtbot.waitUntil(lambda: len(questions) == 1 and not dialog.progress.busy, timeout=20_000)
    assert questions[0].endswith("?")  # a question, in the user's language
    assert services.contacts.count(owner) == 2

    def confirm() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, RestoreConfirmDialog):
            QTimer.singleShot(50, confirm)
            return
        box.resize(1024, 600)
        save(box, f"{language}-backups-restore-other-database")
        box.restore_button.click()

    QTimer.singleShot(50, confirm)
    dialog.restore_button.click()
    qtbot.waitUntil(lambda: dialog.restored is not None, timeout=30_000)
    assert len(questions) == 2
    assert services.contacts.count(services.auth.login("boss", "correct horse battery")) == 0
    listing = BackupDialog(services.backup, services.auth.login("boss", "correct horse battery"))
    qtbot.addWidget(listing)
    listing.resize(1024, 600)
    listing.show()
    kinds = [listing.model.backup_at(r).tier for r in range(listing.model.rowCount())]
    assert BackupTier.BEFORE_RESTORE in kinds
    save(listing, f"{language}-backups-set-aside")


def test_an_unsealed_backup_is_marked_and_restored_only_after_a_question(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding: unsealed backups (older versions') are never sealed automatically; the
    list marks them and restoring one asks first, with No as the default."""
    import json

    from privacycrm_desktop.persistence.backup import manifest_path
    from privacycrm_desktop.ui.admin.backup_dialog import BackupColumn

    _contacts(services, owner)
    info = services.backup.create(owner)
    manifest = manifest_path(info.path)
    data = json.loads(manifest.read_text())
    data.pop("mac")
    data.pop("database_id")
    manifest.write_text(json.dumps(data))
    questions: list[tuple[object, ...]] = []
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]

    def warning(*args: object, **_kwargs: object) -> QMessageBox.StandardButton:
        questions.append(args)
        return answers.pop(0)

    monkeypatch.setattr(messages, "warning", warning)
    monkeypatch.setattr(messages, "information", lambda *_a, **_k: None)
    dialog = BackupDialog(services.backup, owner)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.table.selectRow(0)
    shown = dialog.model.index(0, int(BackupColumn.VERIFIED)).data()
    assert "sealed" in shown
    dialog.restore_button.click()  # the owner says no: nothing happens
    assert len(questions) == 1
    assert questions[0][-1] == QMessageBox.StandardButton.No  # the default
    assert not dialog.progress.busy

    def confirm() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, RestoreConfirmDialog):
            QTimer.singleShot(50, confirm)
            return
        box.restore_button.click()

    QTimer.singleShot(50, confirm)
    dialog.restore_button.click()
    qtbot.waitUntil(lambda: dialog.restored is not None, timeout=30_000)
    assert len(questions) == 2
