"""The cleanup wizard page by page, the keep-until marker, and erasure from the main window."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.retention import CleanupAction
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.contacts.contact_table_model import (
    EXPIRED_BACKGROUND,
    EXPIRING_BACKGROUND,
    Column,
)
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.retention.cleanup_state import Page
from privacycrm_desktop.ui.retention.cleanup_wizard import CleanupWizard
from privacycrm_desktop.ui.retention.retention_actions import ErasePreviewDialog, remind_once_a_year

from ..screens import save

SOURCE = SourceInput(SourceKind.EVENT, "fair", dt.date(2025, 3, 1))


def populate(services: Services, owner: Actor, clock: FixedClock) -> list[int]:
    ids = []
    for i, name in enumerate(["Aerts", "Claes", "Dubois", "Lefèvre", "Peeters"]):
        customer = i % 2 == 0
        ids.append(
            services.contacts.create(
                owner,
                ContactInput(
                    first_name="Zoë" if i == 3 else "Jan",
                    last_name=name,
                    emails=(f"{name.lower()}@example.be",),
                    postcode="4000",
                    relationship=(
                        Relationship.FORMER_CUSTOMER if customer else Relationship.PROSPECT
                    ),
                    relationship_end=dt.date(2022, 1, 1) if customer else None,
                ),
                SOURCE,
            )
        )
    # Prospects expire after 12 months, these customers (no invoices kept) after 24.
    clock.advance(dt.timedelta(days=400))
    return ids


def test_space_checks_the_row_whatever_its_current_column(
    qtbot: QtBot, services: Services, owner: Actor, clock: FixedClock
) -> None:
    """Rows are selected whole: Space checks or unchecks them from any column (it did so
    only with the invisible current cell in the name's column)."""
    populate(services, owner, clock)
    wizard = CleanupWizard(services, owner)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    model, view = wizard.review_page.model, wizard.review_page.view

    def checked(row: int) -> bool:
        state = model.index(row, 0).data(Qt.ItemDataRole.CheckStateRole)
        return bool(state == Qt.CheckState.Checked)

    assert all(checked(row) for row in range(5))
    view.setFocus()
    view.setCurrentIndex(model.index(4, model.columnCount() - 1))
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert [checked(row) for row in range(5)] == [True, True, True, True, False]
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert checked(4)
    # Several rows selected: Space unchecks them all, then checks them all.
    view.selectRow(1)
    view.selectionModel().select(
        model.index(3, 2),
        view.selectionModel().SelectionFlag.Select | view.selectionModel().SelectionFlag.Rows,
    )
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert [checked(row) for row in range(5)] == [True, False, True, False, True]
    assert "3" in wizard.review_page.checked_label.text()


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_wizard_page_by_page(
    qtbot: QtBot,
    qtmodeltester: object,
    services: Services,
    owner: Actor,
    clock: FixedClock,
    language: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    apply_language(language)
    ids = populate(services, owner, clock)
    wizard = CleanupWizard(services, owner)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.currentId() == Page.SCAN
    assert wizard.total == 5
    assert wizard.scan_page.table.rowCount() == 2
    save(wizard, f"{language}-cleanup-1-scan")

    wizard.next()
    assert wizard.currentId() == Page.REVIEW
    model = wizard.review_page.model
    qtmodeltester.check(model)
    assert model.rowCount() == 5
    # Bulk: select two rows and keep them; uncheck another.
    view = wizard.review_page.view
    view.selectRow(0)
    view.selectionModel().select(
        model.index(1, 0),
        view.selectionModel().SelectionFlag.Select | view.selectionModel().SelectionFlag.Rows,
    )
    wizard.review_page.bulk_action.setCurrentIndex(
        wizard.review_page.bulk_action.findData(CleanupAction.KEEP.value)
    )
    wizard.review_page.apply_bulk.click()
    assert model.index(2, 0).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    model.setData(model.index(2, 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    warnings: list[str] = []
    monkeypatch.setattr(messages, "warning", lambda *a: warnings.append(a[2]))
    wizard.next()  # refused: "keep" needs a reason
    assert wizard.currentId() == Page.REVIEW
    assert warnings
    wizard.review_page.keep_reason.setText("Geschil over factuur — litige")
    save(wizard, f"{language}-cleanup-2-review")

    wizard.next()
    assert wizard.currentId() == Page.DRY_RUN
    # Worked out on a worker thread: Apply waits for it.
    assert not wizard.dry_run_page.isComplete()
    save(wizard, f"{language}-cleanup-3-dry-run-working")
    qtbot.waitUntil(wizard.dry_run_page.isComplete, timeout=20_000)
    assert "2" in wizard.dry_run_page.report.toPlainText()
    save(wizard, f"{language}-cleanup-3-dry-run")
    assert services.cleanup.summary(owner)  # nothing changed yet

    # Apply asks first, naming how many people it erases.
    asked: list[str] = []
    monkeypatch.setattr(
        messages,
        "question",
        lambda *a: asked.append(a[2]) or QMessageBox.StandardButton.Yes,
    )
    wizard.next()
    assert len(asked) == 1
    assert "2" in asked[0]
    assert wizard.currentId() == Page.EXECUTE
    page = wizard.execute_page
    qtbot.waitUntil(lambda: page.outcome is not None, timeout=10_000)
    assert page.outcome is not None
    assert page.outcome.by_action == {"keep": 2, "erase": 2}
    assert page.outcome.skipped == 1
    assert wizard.button(wizard.WizardButton.FinishButton).isEnabled()
    target = tmp_path / "report.pdf"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "PDF files (*.pdf)")
    )
    languages: list[str] = []
    report_pdf = services.cleanup.report_pdf
    monkeypatch.setattr(
        services.cleanup,
        "report_pdf",
        lambda actor, outcome, lang: languages.append(lang) or report_pdf(actor, outcome, lang),
    )
    assert page.save_report() == str(target)
    assert target.read_bytes().startswith(b"%PDF")
    # In the language on screen, not the one stored for the user (English here).
    assert owner.language == "en"
    assert languages == [language]
    save(wizard, f"{language}-cleanup-4-done")
    assert len(ids) == 5


def test_stopping_keeps_what_was_done(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    populate(services, owner, clock)
    monkeypatch.setattr(messages, "question", lambda *a: QMessageBox.StandardButton.Yes)
    wizard = CleanupWizard(services, owner)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    wizard.next()
    wizard.execute_page.cancel()  # nothing running yet: no effect
    qtbot.waitUntil(wizard.dry_run_page.isComplete, timeout=10_000)
    wizard.next()
    wizard.execute_page.cancel()
    qtbot.waitUntil(lambda: wizard.execute_page.job is None, timeout=10_000)
    outcome = wizard.execute_page.outcome
    assert outcome is not None
    done = sum(outcome.by_action.values())
    assert done + sum(r.count for r in services.cleanup.summary(owner)) == 5


def test_the_list_marks_expired_rows_and_the_window_counts_them(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    populate(services, owner, clock)
    clock.advance(dt.timedelta(days=-48))  # the prospects now expire within 30 days
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.model._today = clock.today
    window.retention.update()
    qtbot.waitUntil(
        lambda: window.retention.status_text() == "3 expired · 2 expiring within 30 days"
    )
    backgrounds = [
        window.model.index(r, Column.KEEP_UNTIL).data(Qt.ItemDataRole.BackgroundRole)
        for r in range(window.model.rowCount())
    ]
    assert backgrounds.count(EXPIRED_BACKGROUND) == 3
    assert backgrounds.count(EXPIRING_BACKGROUND) == 2
    assert window.model.headerData(Column.KEEP_UNTIL, Qt.Orientation.Horizontal)
    window.resize(1400, 420)
    window.show()
    save(window, "en-main-window-keep-until")

    # Erase the selected contact after the preview.
    window.view.selectRow(0)
    dialog = window.retention.erase()
    assert isinstance(dialog, ErasePreviewDialog)
    save(dialog, "en-erase-preview")
    before = window.model.rowCount()
    dialog.accept()
    qtbot.waitUntil(lambda: window.model.rowCount() == before - 1, timeout=10_000)
    job = window.retention.jobs[-1]
    qtbot.waitUntil(lambda: not job.running, timeout=10_000)


def test_the_reminder_shows_once_a_year(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    asked: list[str] = []
    opened: list[bool] = []

    def question(*args: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(messages, "question", question)
    # A new database has nothing to clean: no reminder on its first day.
    assert not remind_once_a_year(window, services, owner, lambda: opened.append(True))
    populate(services, owner, clock)
    assert remind_once_a_year(window, services, owner, lambda: opened.append(True))
    assert not remind_once_a_year(window, services, owner, lambda: opened.append(True))
    assert opened == [True]
    clock.advance(dt.timedelta(days=365))
    assert remind_once_a_year(window, services, owner, lambda: None)


def test_the_quality_review_lists_and_opens(
    qtbot: QtBot, services: Services, owner: Actor, clock: FixedClock
) -> None:
    from privacycrm_desktop.ui.retention.quality_dialog import QualityDialog

    populate(services, owner, clock)
    services.contacts.create(owner, ContactInput(first_name="No", last_name="Way"), SOURCE)
    opened: list[int] = []
    dialog = QualityDialog(services.quality, owner, opened.append)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.table.rowCount() == 1
    assert "street" in dialog.table.item(0, 1).text()
    clock.advance(dt.timedelta(days=400))
    dialog.years.setValue(2)  # the five from two years ago count now too
    assert dialog.table.rowCount() == 6
    dialog._open(dialog.table.item(0, 1))
    assert len(opened) == 1
    save(dialog, "en-quality-review")


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_a_pending_scrub_shows_and_is_finished_in_the_background(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    clock: FixedClock,
    database_path: Path,
    language: str,
) -> None:
    """Another program's read snapshot once kept the erased person in the files
    while the app said nothing; now a note shows until a retry has removed the bytes."""
    from privacycrm_desktop.persistence.sqlite_driver import sqlite3

    apply_language(language)
    ids = populate(services, owner, clock)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    # The start-up checks (a scrub left pending among them) run after the first paint:
    # before anyone can erase.
    started: list[bool] = []
    window.after_first_paint(lambda: started.append(True))
    qtbot.waitUntil(lambda: bool(started), timeout=5_000)
    actions = window.retention
    assert actions.scrub_note.isHidden()
    reader = sqlite3.connect(database_path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM contact").fetchone()
    try:
        actions._erase(ids[0], ErasureReason.ERASURE_REQUEST)
        qtbot.waitUntil(actions.scrub_note.isVisible, timeout=30_000)
        assert actions.scrub_timer.isActive()
        # One line in the status bar, the whole sentence in its tooltip (1024 px, nl/fr).
        qtbot.waitUntil(lambda: actions.scrub_note.width() > 0, timeout=5_000)
        line = actions.scrub_note.fontMetrics().height()
        assert window.statusBar().height() < 2 * line + 12
        note = actions.scrub_note.full_text()
        assert note == _(
            "Erased, but another program still has the database open: the erased data "
            "is removed from the file as soon as it lets go."
        )
        assert actions.scrub_note.toolTip() == note
        assert actions.scrub_note.text().rstrip("…") in note
        save(window, f"{language}-main-window-scrub-pending")
        assert b"aerts@example.be" in database_path.read_bytes() + _wal(database_path)
    finally:
        reader.rollback()
        reader.close()
    actions.retry_scrub()  # what the timer does
    qtbot.waitUntil(actions.scrub_note.isHidden, timeout=30_000)
    assert not actions.scrub_timer.isActive()
    assert b"aerts@example.be" not in database_path.read_bytes() + _wal(database_path)
    for job in actions.jobs:
        qtbot.waitUntil(lambda job=job: not job.running, timeout=10_000)


def _wal(path: Path) -> bytes:
    wal = Path(f"{path}-wal")
    return wal.read_bytes() if wal.exists() else b""


@pytest.mark.parametrize(
    ("language", "expected"), [("nl", "308.663"), ("fr", "308\u202f663"), ("en", "308,663")]
)
def test_the_expiry_counts_use_the_languages_digit_grouping(
    qtbot: QtBot, services: Services, owner: Actor, language: str, expected: str
) -> None:
    """At 100,000 contacts and more the status bar said "308663 expired" beside
    "1.000.000 contacts" (English with Belgian dots): both counts use the app's one number
    format (i18n.format_number), as the cleanup wizard does."""
    from privacycrm_desktop.i18n import format_number
    from privacycrm_desktop.services.retention import RetentionCounts

    services.demo.generate(owner, 1200, seed=5)
    apply_language(language)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    assert format_number(308663) == expected
    window.retention.show_counts(RetentionCounts(expired=308663, expiring=14526))
    text = window.retention.status.text()
    assert expected in text
    assert "308663" not in text
    assert format_number(14526) in text
    qtbot.waitUntil(lambda: format_number(1200) in window.count_label.text(), timeout=10_000)


def test_the_dry_run_is_worked_out_off_the_ui_thread_and_apply_waits_for_it(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 300,000 expired contacts the dry run takes a second or more: the window used to
    freeze meanwhile. Apply is refused until it has said what it does, and Back drops a
    run that is still being worked out."""
    import threading

    populate(services, owner, clock)
    real = services.cleanup.apply
    release = threading.Event()
    threads: list[str] = []

    def slow(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(services.cleanup, "apply", slow)
    asked: list[str] = []
    monkeypatch.setattr(messages, "question", lambda *a: asked.append(a[2]))
    wizard = CleanupWizard(services, owner)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    wizard.next()
    page = wizard.dry_run_page
    assert wizard.currentId() == Page.DRY_RUN
    qtbot.waitUntil(lambda: len(threads) == 1)
    assert threads[0] != threading.main_thread().name
    assert not page.isComplete()
    assert page.report.toPlainText() == _("Working out what the cleanup would do...")
    wizard.next()  # refused: nothing to confirm yet
    assert wizard.currentId() == Page.DRY_RUN
    assert asked == []
    wizard.back()
    release.set()
    qtbot.wait(200)
    assert page.outcome is None  # the dropped run's answer is not taken
    wizard.next()
    qtbot.waitUntil(page.isComplete, timeout=10_000)
    assert page.outcome is not None
    assert sum(page.outcome.by_action.values()) == 5
    assert services.cleanup.summary(owner)  # a dry run changes nothing
