"""The import wizard page by page on real files, and the main window's menu entries;
screenshots of every page in nl, fr and en (PRIVACYCRM_SCREENSHOT_DIR). The import history
and its undo: test_import_history.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QFileDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QWizard,
)
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.consent import Channel
from privacycrm_desktop.domain.import_formats import (
    ColumnTarget,
    DuplicatePolicy,
    FileFormat,
    ImportField,
)
from privacycrm_desktop.domain.provenance import SourceKind
from privacycrm_desktop.domain.purposes import LegalBasis
from privacycrm_desktop.i18n import ngettext
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportResult
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.transfer.import_check import bullets, result_lines
from privacycrm_desktop.ui.transfer.import_history import ImportHistoryDialog
from privacycrm_desktop.ui.transfer.import_mapping import target_key
from privacycrm_desktop.ui.transfer.import_wizard import ImportWizard, Page

from ..screens import save
from .import_files import ROWS, excel_csv, existing_and_forgotten


def start(qtbot: QtBot, services: Services, actor: Actor, path: Path) -> ImportWizard:
    wizard = ImportWizard(services, actor)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    wizard.file_page.path.setText(str(path))
    return wizard


def cell(wizard: ImportWizard, row: int, column: int) -> str:
    item = wizard.preview_page.table.item(row, column)
    return item.text() if item is not None else ""


def file_menu_actions(window: MainWindow) -> list[QAction]:
    menu = window.menuBar().actions()[0].menu()
    assert isinstance(menu, QMenu)
    return menu.actions()


def next_button(wizard: ImportWizard) -> bool:
    return wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def fill_origin(wizard: ImportWizard, purpose: str = "prospect_follow_up") -> None:
    page = wizard.origin_page
    page.kind.setCurrentIndex(page.kind.findData(SourceKind.EVENT.value))
    page.description.setText("Bezoekers beurs Kortrijk — visiteurs du salon")
    page.purpose.setCurrentIndex(page.purpose.findData(purpose))


def to_origin(wizard: ImportWizard) -> None:
    wizard.next()
    assert wizard.currentId() == Page.PREVIEW
    wizard.next()
    assert wizard.currentId() == Page.MAPPING
    wizard.next()
    assert wizard.currentId() == Page.ORIGIN


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_every_page_on_an_excel_file(
    qtbot: QtBot,
    qtmodeltester: object,
    services: Services,
    owner: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
) -> None:
    apply_language(language)
    existing_and_forgotten(services, owner)
    before = services.contacts.count(owner)
    wizard = start(qtbot, services, owner, excel_csv(tmp_path))
    save(wizard, f"{language}-import-1-file")

    # Preview: the detected shape, changeable; the table follows.
    wizard.next()
    assert wizard.currentId() == Page.PREVIEW
    page = wizard.preview_page
    assert page.encoding.currentData() == "utf-8-sig"
    assert page.delimiter.currentData() == ";"
    assert page.table.columnCount() == 6
    assert cell(wizard, 0, 0) == "Zoë"
    save(wizard, f"{language}-import-2-preview")
    page.delimiter.setCurrentIndex(page.delimiter.findData(","))
    page.delimiter.activated.emit(page.delimiter.currentIndex())
    assert page.table.columnCount() == 1  # everything in one column: the wrong separator
    page.delimiter.setCurrentIndex(page.delimiter.findData(";"))
    page.delimiter.activated.emit(page.delimiter.currentIndex())
    assert page.table.columnCount() == 6
    page.encoding.setCurrentIndex(page.encoding.findData("cp1252"))
    page.encoding.activated.emit(page.encoding.currentIndex())
    assert cell(wizard, 0, 0) != "Zoë"  # mojibake: visibly the wrong encoding
    page.encoding.setCurrentIndex(page.encoding.findData("utf-8-sig"))
    page.encoding.activated.emit(page.encoding.currentIndex())
    assert cell(wizard, 0, 0) == "Zoë"

    # Mapping: the guess is pre-filled; consent entries only when the file states consent.
    wizard.next()
    assert wizard.currentId() == Page.MAPPING
    mapping = wizard.mapping_page
    assert len(mapping.combos) == 6
    assert mapping.mapping()[0] == ColumnTarget(ImportField.FIRST_NAME)
    assert mapping.mapping()[2] == ColumnTarget(ImportField.EMAIL)
    consent_key = target_key(
        ColumnTarget(ImportField.CONSENT, "direct_marketing_consent", Channel.EMAIL.value)
    )
    mapping.consent.setChecked(False)
    assert mapping.combos[5].findData(consent_key) < 0
    mapping.consent.setChecked(True)
    assert mapping.combos[5].findData(consent_key) > 0
    texts = [mapping.combos[5].itemText(i) for i in range(mapping.combos[5].count())]
    # Only the marketing purposes are offered for consent.
    assert not any("Prospect" in t or "Invoic" in t for t in texts if ":" in t)
    mapping.combos[5].setCurrentIndex(0)  # "yes"/"no" alone is no proof of consent
    save(wizard, f"{language}-import-3-mapping")

    # Origin: mandatory; the legal basis comes from the purpose and may be changed.
    wizard.next()
    assert wizard.currentId() == Page.ORIGIN
    assert not next_button(wizard)
    save(wizard, f"{language}-import-4-origin-empty")
    fill_origin(wizard)
    origin = wizard.origin_page
    assert origin.legal_basis.currentData() == LegalBasis.LEGITIMATE_INTEREST.value
    assert next_button(wizard)
    save(wizard, f"{language}-import-4-origin")

    # Duplicates: skip by default, explained in words.
    wizard.next()
    assert wizard.currentId() == Page.DUPLICATES
    assert wizard.duplicates_page.policy() is DuplicatePolicy.SKIP
    save(wizard, f"{language}-import-5-duplicates")

    # Check: a dry run in the background, counts, invalid rows, save them.
    wizard.next()
    assert wizard.currentId() == Page.CHECK
    check = wizard.check_page
    qtbot.waitUntil(lambda: wizard.checked is not None, timeout=20_000)
    checked = wizard.checked
    assert checked is not None
    # Marie's address that is no address is kept as typed, to look at: she arrives.
    assert (checked.imported, checked.invalid_rows) == (3, 0)
    assert [(v.row_number, v.raw) for v in checked.to_check] == [(3, "not an address")]
    assert sum(checked.skipped.values()) == 2
    assert services.contacts.count(owner) == before  # a dry run writes nothing
    qtmodeltester.check(check.model)
    assert check.model.rowCount() == 0
    assert not check.save_button.isVisibleTo(wizard)
    qtmodeltester.check(check.looks)
    assert check.looks.rowCount() == 1
    assert check.looks.index(0, 0).data() == "3"
    assert check.looks.index(0, 1).data() == "E-mail Address"
    assert "not an address" in check.looks.index(0, 2).data()
    assert check.looks_table.isVisibleTo(wizard)
    assert check.counts.text() == bullets(result_lines(checked, dry_run=True))
    looks = ngettext(
        "{count} value needs a look (kept as typed or in the notes)",
        "{count} values need a look (kept as typed or in the notes)",
        1,
    ).format(count=1)
    assert looks in result_lines(checked, dry_run=True)
    assert wizard.button(QWizard.WizardButton.CommitButton).isEnabled()
    save(wizard, f"{language}-import-6-check")

    # Import: in the background, then the summary on its own.
    changed: list[bool] = []
    wizard.contacts_changed.connect(lambda: changed.append(True))
    wizard.next()
    assert wizard.currentId() == Page.IMPORT  # running: the callbacks wait for the event loop
    assert wizard.import_page.stop_button.isEnabled()
    save(wizard, f"{language}-import-7-importing")
    qtbot.waitUntil(lambda: wizard.currentId() == Page.SUMMARY, timeout=20_000)
    outcome = wizard.outcome
    assert outcome is not None
    assert outcome.imported == 3
    assert outcome.batch_id is not None
    assert changed
    assert services.contacts.count(owner) == before + 3
    summary = wizard.summary_page
    assert summary.undo_button.isVisible()
    assert wizard.button(QWizard.WizardButton.FinishButton).isVisible()
    save(wizard, f"{language}-import-8-summary")

    # Undo this import: asked first.
    monkeypatch.setattr(messages, "question", lambda *a: QMessageBox.StandardButton.No)
    assert summary.undo() is None
    assert services.contacts.count(owner) == before + 3
    monkeypatch.setattr(messages, "question", lambda *a: QMessageBox.StandardButton.Yes)
    assert summary.undo() == 3
    assert services.contacts.count(owner) == before
    assert not summary.undo_button.isEnabled()
    save(wizard, f"{language}-import-9-undone")
    wizard.accept()


def test_the_origin_is_mandatory(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    wizard = start(qtbot, services, owner, excel_csv(tmp_path))
    to_origin(wizard)
    page = wizard.origin_page
    assert not next_button(wizard)
    page.kind.setCurrentIndex(page.kind.findData(SourceKind.EVENT.value))
    assert not next_button(wizard)
    page.description.setText("Beurs")
    assert not next_button(wizard)  # no purpose yet, so no legal basis either
    assert page.legal_basis.currentIndex() == -1
    page.purpose.setCurrentIndex(page.purpose.findData("customer_relationship"))
    assert page.legal_basis.currentData() == LegalBasis.CONTRACT.value
    assert next_button(wizard)
    page.legal_basis.setCurrentIndex(page.legal_basis.findData(LegalBasis.CONSENT.value))
    assert wizard.plan().legal_basis == LegalBasis.CONSENT.value
    page.description.setText("")
    assert not next_button(wizard)
    page.description.setText("   ")  # blank: refused by the domain's source rule
    wizard.next()
    assert wizard.currentId() == Page.ORIGIN
    assert page.general_error.isVisibleTo(wizard)
    page.description.setText("Beurs")
    page.obtained.setMaximumDate(page.obtained.maximumDate().addDays(5))
    page.obtained.setDate(page.obtained.maximumDate())  # in the future: refused
    wizard.next()
    assert wizard.currentId() == Page.ORIGIN
    assert page.errors["source_obtained_on"].isVisibleTo(wizard)
    page.obtained.setDate(page.obtained.date().addDays(-10))
    wizard.next()
    assert wizard.currentId() == Page.DUPLICATES
    # Back and forth keeps what was entered.
    wizard.back()
    assert page.description.text() == "Beurs"
    assert next_button(wizard)
    wizard.reject()


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_an_unreadable_file_is_refused_on_the_first_page(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path, language: str
) -> None:
    apply_language(language)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    wizard = start(qtbot, services, owner, empty)
    wizard.next()
    assert wizard.currentId() == Page.FILE
    assert wizard.file_page.error.isVisibleTo(wizard)
    assert "Traceback" not in wizard.file_page.error.text()
    save(wizard, f"{language}-import-1-file-unreadable")
    wizard.file_page.path.setText(str(tmp_path / "missing.csv"))
    wizard.next()
    assert wizard.currentId() == Page.FILE
    wizard.reject()


def test_stopping_the_import(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    rows = [f"Jan{i};Peeters{i};jan{i}@example.be;;Gent;" for i in range(3000)]
    wizard = start(qtbot, services, owner, excel_csv(tmp_path, rows))
    to_origin(wizard)
    assert "the first 20 are shown" in wizard.preview_page.rows.text()
    fill_origin(wizard)
    wizard.next()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.checked is not None, timeout=30_000)
    wizard.next()
    assert wizard.currentId() == Page.IMPORT
    assert wizard.import_page.running
    wizard.reject()  # the wizard's Cancel stops the import; the window stays to say so
    assert wizard.isVisible()
    qtbot.waitUntil(lambda: wizard.currentId() == Page.SUMMARY, timeout=30_000)
    assert wizard.import_page.stopped
    outcome = wizard.outcome
    kept = services.contacts.count(owner)
    if outcome is None or outcome.batch_id is None:
        assert kept == 0
        assert "nothing was imported" in wizard.summary_page.text.text()
    else:
        assert kept == outcome.imported < 3000
        assert wizard.summary_page.undo_button.isEnabled()
    save(wizard, "en-import-stopped")
    assert not wizard.summary_page.undo_button.isVisible()

    # Stopped while writing: the chunks written stay, as a batch that can be undone.
    wizard.outcome = ImportResult(
        batch_id=7,
        total_rows=12000,
        imported=700,
        merged=0,
        skipped={},
        invalid=(),
        invalid_rows=0,
        cancelled=True,
    )
    wizard.summary_page.initializePage()
    assert "before that point were imported" in wizard.summary_page.text.text()
    assert "700 contacts imported" in wizard.summary_page.text.text()
    assert wizard.summary_page.undo_button.isVisibleTo(wizard)
    wizard.reject()
    assert not wizard.isVisible()


def test_the_main_window_imports_and_refreshes(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    services.demo.generate(owner, 5, seed=1)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.show()
    assert window.count_label.text() == "5 contacts"
    assert window.import_action.shortcut().toString() == "Ctrl+I"
    assert window.import_action in file_menu_actions(window)
    assert window.import_history_action in file_menu_actions(window)
    window.import_action.trigger()
    wizard = window.findChild(ImportWizard)
    assert isinstance(wizard, ImportWizard)
    wizard.file_page.path.setText(str(excel_csv(tmp_path, ROWS[:2])))
    to_origin(wizard)
    fill_origin(wizard)
    wizard.next()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.checked is not None, timeout=20_000)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == Page.SUMMARY, timeout=20_000)
    assert window.count_label.text() == "7 contacts"  # refreshed behind the wizard
    wizard.accept()
    history = window.open_import_history()
    assert isinstance(history, ImportHistoryDialog)
    assert history.model.rowCount() == 1
    history.reject()


@pytest.mark.parametrize(("role", "allowed"), [(Role.SALES, True), (Role.OFFICE, False)])
def test_only_roles_that_may_import_see_the_entries(
    qtbot: QtBot, services: Services, owner: Actor, role: Role, allowed: bool
) -> None:
    services.auth.add_user(owner, "staff", "another good password", role)
    staff = services.auth.login("staff", "another good password")
    window = MainWindow(services, staff)
    qtbot.addWidget(window)
    shown = file_menu_actions(window)
    assert (window.import_action in shown) is allowed
    assert (window.import_history_action in shown) is allowed
    assert window.import_action.isEnabled() is allowed


def test_a_vcard_has_no_separator(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lefèvre;Zoë;;;\r\nFN:Zoë Lefèvre\r\n"
        "EMAIL;TYPE=INTERNET:zoe@example.be\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )
    wizard = start(qtbot, services, owner, path)
    wizard.next()
    assert wizard.currentId() == Page.PREVIEW
    assert wizard.preview is not None
    assert wizard.preview.shape.format is FileFormat.VCARD
    assert not wizard.preview_page.delimiter.isEnabled()
    assert wizard.preview_page.table.rowCount() == 1
    wizard.reject()


CORPUS = Path(__file__).parents[2] / "data" / "import"
#: Each corpus file's contacts (tests/data/import/README.md): rows previewed, contacts a dry
#: run would import, rows it finds invalid (none: the Dutch sheet's "misschien" consent
#: answer and the placeholder values of the public projects' rows, such as a phone "pager"
#: or a postcode "PLZ", are values to look at, not reasons to leave a contact out).
CORPUS_COUNTS = {
    "apple_v30.vcf": (2, 2, 0),
    "excel_fr_bom_semicolon.csv": (2, 2, 0),
    "excel_nl_adres.csv": (4, 4, 0),
    "excel_nl_bom_semicolon.csv": (4, 4, 0),
    "google_contacts.csv": (2, 2, 0),
    "google_multi_value.csv": (1, 1, 0),
    "google_old_roundcube.csv": (1, 1, 0),
    "linkedin_connections.csv": (2, 2, 0),
    "outlook_de_openxchange.csv": (1, 1, 0),
    "outlook_en.csv": (2, 2, 0),
    "outlook_en_full_header.csv": (3, 3, 0),
    "outlook_fr_full_header.csv": (1, 1, 0),
    "outlook_fr_utf16.txt": (2, 2, 0),
    "outlook_nl_cp1252.csv": (2, 2, 0),
    "outlook_nl_openxchange.csv": (1, 1, 0),
    "outlook_v21_qp.vcf": (2, 2, 0),
    "thunderbird_be.tsv": (2, 2, 0),
    "thunderbird_roundcube.csv": (1, 1, 0),
    "vcard_40.vcf": (1, 1, 0),
}


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in CORPUS.glob("*") if p.suffix in (".csv", ".tsv", ".txt", ".vcf")),
)
def test_every_file_of_the_corpus_reads_and_checks(
    qtbot: QtBot, services: Services, owner: Actor, name: str
) -> None:
    """Outlook, Google, Excel (BOM, ';'), UTF-16, cp1252 and vCard 2.1/3.0/4.0 files."""
    language = "fr" if "_fr" in name else "nl"
    apply_language(language)
    wizard = start(qtbot, services, owner, CORPUS / name)
    wizard.next()
    assert wizard.currentId() == Page.PREVIEW, wizard.file_page.error.text()
    table = wizard.preview_page.table
    assert table.rowCount() >= 1
    cells = [
        cell(wizard, r, c) for r in range(table.rowCount()) for c in range(table.columnCount())
    ]
    assert not any("Ã" in text or "\ufffd" in text for text in cells)  # decoded right
    stem = Path(name).stem
    save(wizard, f"{language}-import-corpus-{stem}-preview")
    wizard.next()
    assert wizard.currentId() == Page.MAPPING
    assert any(wizard.mapping_page.mapping())  # the guess maps something
    save(wizard, f"{language}-import-corpus-{stem}-mapping")
    wizard.next()
    fill_origin(wizard)
    wizard.next()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.checked is not None, timeout=20_000)
    assert wizard.checked is not None
    checked = wizard.checked
    assert (table.rowCount(), checked.imported, checked.invalid_rows) == CORPUS_COUNTS[name]
    assert not checked.skipped
    wizard.reject()


@pytest.mark.parametrize(
    ("language", "name", "said"),
    [
        ("en", "linkedin_connections.csv", "Read as LinkedIn connections:"),
        ("nl", "outlook_en_full_header.csv", "Gelezen als een export uit Outlook:"),
        ("fr", "excel_nl_adres.csv", "Lu comme une liste propre :"),
    ],
)
def test_the_mapping_page_names_the_program_that_wrote_the_file(
    qtbot: QtBot, services: Services, owner: Actor, language: str, name: str, said: str
) -> None:
    apply_language(language)
    wizard = start(qtbot, services, owner, CORPUS / name)
    wizard.next()
    wizard.next()
    assert wizard.currentId() == Page.MAPPING
    page = wizard.mapping_page
    assert page.profile.text().startswith(said)
    assert page.profile.isVisibleTo(wizard)
    save(wizard, f"{language}-import-mapping-profile-{Path(name).stem}")
    # The guess stays a guess: the person may change any column.
    page.combos[0].setCurrentIndex(0)
    assert page.mapping()[0] is None
    wizard.reject()


def _mnemonics(wizard: ImportWizard) -> list[str]:
    """The mnemonic letters a person can press on the current page, buttons included."""
    import re

    texts = [
        label.text()
        for label in wizard.currentPage().findChildren(QLabel)
        if label.buddy() is not None and label.isVisibleTo(wizard)
    ]
    texts += [
        button.text()
        for button in wizard.findChildren(QAbstractButton)
        if button.isVisibleTo(wizard) and button.isEnabled()
    ]
    letters = []
    for text in texts:
        found = re.search(r"&([^&])", text)
        if found:
            letters.append(found.group(1).lower())
    return letters


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_each_page_has_its_own_mnemonics(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path, language: str
) -> None:
    apply_language(language)
    existing_and_forgotten(services, owner)
    wizard = start(qtbot, services, owner, excel_csv(tmp_path))
    seen_pages = []
    while True:
        page = wizard.currentId()
        seen_pages.append(page)
        if page == Page.ORIGIN:
            fill_origin(wizard)
        if page == Page.CHECK:
            qtbot.waitUntil(lambda: wizard.checked is not None, timeout=20_000)
        if page == Page.IMPORT:
            qtbot.waitUntil(lambda: wizard.currentId() == Page.SUMMARY, timeout=20_000)
            continue
        letters = _mnemonics(wizard)
        assert len(letters) == len(set(letters)), (Page(page).name, letters)
        if page == Page.SUMMARY:
            break
        wizard.next()
    assert seen_pages == list(Page)
    wizard.accept()


def test_the_origin_page_tabs_through_its_fields_in_order(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    wizard = start(qtbot, services, owner, excel_csv(tmp_path))
    to_origin(wizard)
    page = wizard.origin_page
    order = [page.kind, page.description, page.obtained, page.purpose, page.legal_basis]
    widget = order[0].nextInFocusChain()
    visited = [order[0]]
    while len(visited) < len(order):
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisibleTo(wizard):
            owner_widget = next((w for w in order if w is widget or w.isAncestorOf(widget)), None)
            if owner_widget is not None and owner_widget is not visited[-1]:
                visited.append(owner_widget)
        widget = widget.nextInFocusChain()
    assert visited == order
    # The mnemonic of each label leads to its own field.
    for label in page.findChildren(QLabel):
        if label.buddy() is not None:
            assert label.buddy() in order
    wizard.reject()


def test_a_refused_plan_is_explained_on_the_check_page(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    """Sales staff may not fill in birth dates: the service refuses, the page says why."""
    services.auth.add_user(owner, "sales", "another good password", Role.SALES)
    sales = services.auth.login("sales", "another good password")
    path = tmp_path / "birthdays.csv"
    path.write_text("First Name,Last Name,Birthday\nJan,Peeters,1980-05-01\n", encoding="utf-8")
    wizard = start(qtbot, services, sales, path)
    to_origin(wizard)
    birthday = wizard.mapping_page.mapping()[2]
    assert birthday == ColumnTarget(ImportField.BIRTH_DATE)
    fill_origin(wizard)
    wizard.next()
    wizard.next()
    assert wizard.currentId() == Page.CHECK
    page = wizard.check_page
    qtbot.waitUntil(lambda: page.job is None, timeout=20_000)
    assert wizard.checked is None
    assert "Birthday" in page.error.text()
    assert "Traceback" not in page.error.text()
    assert not wizard.button(QWizard.WizardButton.CommitButton).isEnabled()
    save(wizard, "en-import-6-check-refused")
    # Back to the mapping, leave the column out: the check passes.
    wizard.back()
    wizard.back()
    wizard.back()
    assert wizard.currentId() == Page.MAPPING
    wizard.mapping_page.combos[2].setCurrentIndex(0)
    wizard.next()
    wizard.next()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.checked is not None, timeout=20_000)
    assert wizard.button(QWizard.WizardButton.CommitButton).isEnabled()
    wizard.reject()


def test_a_whole_row_problem_is_listed_and_saved(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(
        "First Name,Last Name,E-mail Address\n"
        "Jan,Peeters,jan@example.be\n"
        "Eva,Jacobs,eva@example.be,extra,cells\n",
        encoding="utf-8",
    )
    wizard = start(qtbot, services, owner, path)
    to_origin(wizard)
    fill_origin(wizard)
    wizard.next()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.checked is not None, timeout=20_000)
    model = wizard.check_page.model
    assert model.rowCount() == 1
    assert model.index(0, 0).data() == "2"
    assert model.index(0, 1).data() == "(whole row)"
    assert wizard.check_page.save_button.isVisible()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    assert wizard.check_page.save_invalid() is None  # the user cancelled the file dialog
    wizard.reject()


def test_a_failed_import_says_so(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    """The file disappears between the check and the import: a plain message, no traceback."""
    path = excel_csv(tmp_path, ROWS[:2])
    wizard = start(qtbot, services, owner, path)
    to_origin(wizard)
    fill_origin(wizard)
    wizard.next()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.checked is not None, timeout=20_000)
    path.unlink()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == Page.SUMMARY, timeout=20_000)
    summary = wizard.summary_page
    assert summary.title() == "The import failed"
    assert "cannot be opened" in summary.text.text()
    assert "Import history" in summary.text.text()
    assert not summary.undo_button.isVisibleTo(wizard)
    assert services.contacts.count(owner) == 0
    save(wizard, "en-import-failed")
    wizard.accept()


@pytest.mark.parametrize("keep", [False, True])
def test_notes_with_special_category_data_are_kept_only_when_the_user_confirms(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path, keep: bool
) -> None:
    path = tmp_path / "fair.csv"
    path.write_text(
        "First Name,Last Name,E-mail Address,Notes\n"
        "Jan,Peeters,jan@example.be,diabetes patient\n"
        "Eva,Jacobs,eva@example.be,calls after five\n",
        encoding="utf-8",
    )
    wizard = start(qtbot, services, owner, path)
    to_origin(wizard)
    fill_origin(wizard)
    wizard.next()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.checked is not None, timeout=20_000)
    page = wizard.check_page
    assert page.keep_special.isVisible()
    assert "(1 row)" in page.keep_special.text()
    assert not page.keep_special.isChecked()  # left out unless the user says otherwise
    page.keep_special.setChecked(keep)
    save(wizard, f"import-check-special-{keep}")
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == Page.SUMMARY, timeout=20_000)
    assert wizard.outcome is not None
    assert wizard.outcome.imported == 2
    (jan,) = services.contacts.page(owner, query="Peeters")
    detail = services.contacts.get(owner, jan.id)
    assert detail.notes == ("diabetes patient" if keep else "")


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_special_notes_choice_in_dutch_and_french(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path, language: str
) -> None:
    path = tmp_path / "fair.csv"
    path.write_text(
        "First Name,Last Name,E-mail Address,Notes\nJan,Peeters,jan@example.be,diabetes patient\n",
        encoding="utf-8",
    )
    apply_language(language)
    wizard = start(qtbot, services, owner, path)
    wizard.resize(1024, 600)
    to_origin(wizard)
    fill_origin(wizard)
    wizard.next()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.checked is not None, timeout=20_000)
    box = wizard.check_page.keep_special
    assert box.isVisible()
    assert "Keep" not in box.text()  # in the language on screen
    assert box.sizeHint().width() <= box.width()  # not cut at 1024 pixels
    save(wizard, f"{language}-import-check-special")
    wizard.reject()
