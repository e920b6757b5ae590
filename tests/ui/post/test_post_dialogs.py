"""Print labels... and Mail-merge letter...: reached from the list's selection (menu and
context menu), a sheet by name or by measurements with its preview, the PDF made with who
was left out and why; screenshots in nl and fr."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, Language
from privacycrm_desktop.domain.label_sheets import SHEETS
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor, ContactSort
from privacycrm_desktop.services.post import PostResult
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.post.labels_dialog import LabelsDialog
from privacycrm_desktop.ui.post.letter_dialog import MergeLetterDialog
from privacycrm_desktop.ui.post.post_form import PostFormMixin
from privacycrm_desktop.ui.transfer.export_dialog import SelectedContacts

from ..screens import save

FAIR = SourceInput(SourceKind.EVENT, "Beurs Gent", None)
MARKETING = "direct_marketing_consent"
IN, OUT = ConsentStatus.OPT_IN, ConsentStatus.OPT_OUT
PEOPLE = (
    ("Zoë", "Lefèvre", "Rue Haute 3", "4000", "Liège", "BE", Language.FR, IN),
    ("Jan", "Peeters", "Kerkstraat 1", "9000", "Gent", "BE", Language.NL, OUT),
    ("An", "Claes", "Veldstraat 2", "9000", "Gent", "BE", Language.NL, None),
    (
        "Marie",
        "Martin",
        "Rue de Rivoli 5",
        "75001",
        "Paris",
        "FR",
        Language.FR,
        ConsentStatus.OPT_IN,
    ),
    ("Pieter", "De Smet", "Markt 7", "8000", "Brugge", "BE", Language.NL, IN),
)


@pytest.fixture
def people(services: Services, owner: Actor) -> list[int]:
    ids = []
    for first, last, street, postcode, city, country, language, status in PEOPLE:
        cid = services.contacts.create(
            owner,
            ContactInput(
                first_name=first,
                last_name=last,
                street=street,
                postcode=postcode,
                city=city,
                country=country,
                language=language,
            ),
            FAIR,
        )
        if status is not None:
            services.consent.record(
                owner,
                ConsentInput(
                    cid, MARKETING, Channel.POST, status, ConsentMethod.FORM_BOX_TICKED, "form"
                ),
            )
        ids.append(cid)
    return ids


def _everyone(services: Services, owner: Actor) -> SelectedContacts:
    total = services.contacts.count(owner, "")
    return SelectedContacts("", ContactSort.NAME, False, ((0, total - 1),), total)


def test_both_are_in_the_contacts_menu_and_the_context_menu_of_a_selection(
    qtbot: QtBot, services: Services, owner: Actor, people: list[int]
) -> None:
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.show()
    actions = window.post_actions
    assert not actions.labels_action.isEnabled()  # nothing chosen yet
    model = window.view.model()
    chosen = QItemSelection(model.index(0, 0), model.index(1, model.columnCount() - 1))
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
    window.view.selectionModel().select(chosen, flags)
    assert actions.labels_action.isEnabled()
    entries = window.contacts_menu.actions()
    export = entries.index(window.export_action)
    assert entries[export + 1 : export + 3] == [actions.labels_action, actions.letter_action]
    menu = actions.make_context_menu()
    assert {actions.labels_action, actions.letter_action} <= set(menu.actions())
    menu.close()
    dialog = actions.open_labels()
    assert isinstance(dialog, LabelsDialog)
    assert dialog.selection is not None
    assert dialog.selection.count == 2
    dialog.close()
    letter = actions.open_letter()
    assert isinstance(letter, MergeLetterDialog)
    letter.close()


def test_a_sheet_by_name_or_by_measurements_and_the_first_label_by_a_click(
    qtbot: QtBot, services: Services, owner: Actor, people: list[int]
) -> None:
    dialog = LabelsDialog(services, owner, _everyone(services, owner))
    qtbot.addWidget(dialog)
    dialog.show()
    for index in range(len(SHEETS)):
        dialog.sheet_choice.setCurrentIndex(index)
        sheet = SHEETS[dialog.sheet_choice.currentData()]
        assert dialog.chosen_sheet() == sheet
        assert (dialog.columns.value(), dialog.rows.value()) == (sheet.columns, sheet.rows)
        assert dialog.lengths["pitch_x"].value() == pytest.approx(sheet.pitch_x)
        assert dialog.start.maximum() == sheet.per_sheet
    dialog.sheet_choice.setCurrentIndex(dialog.sheet_choice.findData("L7160"))
    dialog.lengths["top"].setValue(10.0)
    assert dialog.sheet_choice.currentData() == ""  # measured by hand now
    measured = dialog.chosen_sheet()
    assert measured is not None
    assert measured.top == pytest.approx(10.0)
    assert measured.width == pytest.approx(63.5)
    dialog.rows.setValue(9)  # 9 rows of 38.1 mm run off the page
    assert dialog.chosen_sheet() is None
    assert not dialog.make_button.isEnabled()
    assert dialog.sheet_error.text()
    dialog.rows.setValue(7)
    assert dialog.make_button.isEnabled()
    preview = dialog.preview
    scale, left, top = preview._scale()
    x, y = measured.origin(4)  # the fifth label (second row, middle)
    point = QPointF(left + (x + 5) * scale, top + (y + 5) * scale)
    click = QMouseEvent(
        QMouseEvent.Type.MouseButtonPress,
        point,
        preview.mapToGlobal(point),
        Qt.MouseButton.LeftButton,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(preview, click)
    assert dialog.start.value() == 5
    assert preview.start == 5


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_labels_for_marketing_list_who_was_left_out_and_why(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    people: list[int],
    tmp_path: Path,
    language: str,
) -> None:
    apply_language(language)
    dialog = LabelsDialog(services, owner, _everyone(services, owner))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.sheet_choice.setCurrentIndex(dialog.sheet_choice.findData("L7162"))
    dialog.start.setValue(3)
    dialog.purpose.setCurrentIndex(dialog.purpose.findData(MARKETING))
    dialog.file.setText(str(tmp_path / "labels.pdf"))
    result = _made(qtbot, dialog)
    assert result is not None
    assert result.count == 3
    shown = [dialog.left_out.item(i).text() for i in range(dialog.left_out.count())]
    assert len(shown) == 2
    assert any("Peeters" in line for line in shown)
    assert all(":" in line and MARKETING not in line for line in shown)
    assert dialog.outcome.isVisible()
    text = " ".join(p.extract_text() or "" for p in PdfReader(tmp_path / "labels.pdf").pages)
    assert "Lefèvre" in text
    assert "Peeters" not in text
    save(dialog, f"{language}-post-labels", settle=True)
    _keep_pdf(tmp_path / "labels.pdf", f"{language}-labels.pdf")


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_a_letter_per_person_and_an_unknown_field_said_by_name(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    people: list[int],
    tmp_path: Path,
    language: str,
) -> None:
    apply_language(language)
    dialog = MergeLetterDialog(services, owner, _everyone(services, owner))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.texts["nl"].setPlainText("{salutation}\n\nBeste {voornaam},")
    dialog.file.setText(str(tmp_path / "letters.pdf"))
    assert _made(qtbot, dialog) is None
    assert "{voornaam}" in dialog.errors["template"].text()
    assert not (tmp_path / "letters.pdf").exists()
    dialog.texts["nl"].setPlainText(
        "{salutation}\n\nWij openen een nieuwe winkel in {city}. U bent welkom op {date}.\n\n"
        "Met vriendelijke groeten,\n{company}"
    )
    dialog.texts["fr"].setPlainText(
        "{salutation}\n\nNous ouvrons un nouveau magasin près de {city}. Bienvenue le {date}.\n\n"
        "Cordialement,\n{company}"
    )
    result = _made(qtbot, dialog)
    assert result is not None
    assert result.count == len(PEOPLE)
    pages = [p.extract_text() or "" for p in PdfReader(tmp_path / "letters.pdf").pages]
    assert len(pages) == len(PEOPLE)
    assert any("Nous ouvrons" in page and "Lefèvre" in page for page in pages)
    assert any("Wij openen" in page and "Peeters" in page for page in pages)
    save(dialog, f"{language}-post-letter", settle=True)
    assert dialog.logo_button.isVisible()  # the owner may change the letterhead
    not_a_picture = tmp_path / "logo.txt"
    not_a_picture.write_text("no picture", encoding="utf-8")
    assert not dialog.set_logo(not_a_picture)
    assert dialog.errors["logo"].text()
    _keep_pdf(tmp_path / "letters.pdf", f"{language}-letters.pdf")


def _made(qtbot: QtBot, dialog: PostFormMixin) -> PostResult | None:
    """Make the PDF as the Save PDF button does, and wait for the work to end."""
    dialog.result_value = None
    job = dialog.make_pdf()
    assert job is not None
    with qtbot.waitSignal(job.finished, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: dialog.job is None)
    return dialog.result_value


def _keep_pdf(path: Path, name: str) -> None:
    """Keep the PDF beside the screenshots, to look at as pictures."""
    folder = os.environ.get("PRIVACYCRM_SCREENSHOT_DIR")
    if folder:
        Path(folder, name).write_bytes(path.read_bytes())


@pytest.mark.parametrize("how", ["rows", "ctrl+a"])
def test_every_action_on_a_selection_acts_on_the_tag_filtered_list(
    qtbot: QtBot, services: Services, owner: Actor, people: list[int], how: str
) -> None:
    """Labels, letters, export and tagging read the selection the same way: with the tag
    the list is filtered by (labels once printed the whole database for a tag's rows)."""
    from privacycrm_desktop.ui.transfer.export_dialog import selected_ids

    vip = services.tags.create(owner, "VIP")
    services.tags.assign(owner, vip, [people[-1]])
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.show()
    window.model.set_tag(vip)
    assert window.model.rowCount() == 1
    if how == "rows":
        model = window.view.model()
        chosen = QItemSelection(model.index(0, 0), model.index(0, model.columnCount() - 1))
        window.view.selectionModel().select(chosen, QItemSelectionModel.SelectionFlag.Select)
    else:
        window.select_all_matching()
    actions = window.post_actions
    dialogs = {
        "labels": actions.open_labels,
        "letter": actions.open_letter,
        "export": window.export_selected,
        "tag": window.tag_actions.tag_selected,
    }
    for name, open_dialog in dialogs.items():
        action = {"labels": actions.labels_action, "letter": actions.letter_action}.get(name)
        assert action is None or action.isEnabled(), name
        dialog = open_dialog()
        assert dialog is not None, name
        selection = getattr(dialog, "selection", None) or getattr(dialog, "_selection", None)
        assert isinstance(selection, SelectedContacts), name
        assert selection.tag == vip, name
        assert selected_ids(services.contacts, owner, selection) == (people[-1],), name
        dialog.close()
