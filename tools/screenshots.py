"""Regenerate the user guide's pictures from demo data: ``make screenshots``.

For each language (nl, fr, en) the script builds a fresh temporary database (the first-run
set-up, then the demo contacts with a fixed seed and a fixed clock), drives the real
windows offscreen and saves them as ``docs/guide/img/<lang>/<name>.png``: the contact list,
the editor with its sources, the consent dialog, the requests register, the access report
(its PDF pages through ``pdftoppm``), the letter and the cleanup wizard's pages.

The same seed, clock, screen and font give the same pictures, so re-running it does not
churn the files. ``--scale 1.5`` shows the windows at 150 % (``QT_SCALE_FACTOR``) on a
1920x1080 screen, to check that they stay readable; use it with ``--out`` elsewhere.

Usage: ``python tools/screenshots.py [--lang nl fr en] [--out DIR] [--only NAME ...]
[--scale 1.5] [--count 300] [--seed 7]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QWidget

    from privacycrm_desktop.services.dto import Actor
    from privacycrm_desktop.services.registry import Services

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "guide" / "img"
LANGUAGES = ("nl", "fr", "en")
#: Monday 2 March 2026, 10:00: every date in the pictures follows from it.
NOW = dt.datetime(2026, 3, 2, 10, 0)
#: The physical screen; at --scale 1.5 the windows see 1280x720.
SCREEN = (1920, 1080)
WINDOW = (1000, 650)
PASSWORD = "correct horse battery"  # noqa: S105 (a throw-away demo database)

#: The company and the person the guide follows, per language.
STORY = {
    "nl": {
        "company": ("Bakkerij Peeters BV", "Kerkstraat 1, 9000 Gent", "privacy@peeters.be"),
        "person": ("Lotte", "Verstraeten", "Gent", "9000", "Veldstraat 12"),
        "email": "lotte.verstraeten@example.be",
        "phone": "0475 12 34 56",
        "source": "Visitekaartje, Horecabeurs Gent 2026, stand 12",
        "evidence": "Nieuwsbriefkaart ondertekend op de beurs, 1 maart 2026",
        "search": "verstraeten",
        "channel": "e-mail",
    },
    "fr": {
        "company": ("Boulangerie Dubois SRL", "Rue de Fer 12, 5000 Namur", "privacy@dubois.be"),
        "person": ("Zoë", "Lefèvre", "Liège", "4000", "Place Saint-Lambert 1"),
        "email": "zoe.lefevre@example.be",
        "phone": "0475 12 34 56",
        "source": "Carte de visite, salon Horeca Namur 2026, stand 12",
        "evidence": "Carte newsletter signée au salon, 1er mars 2026",
        "search": "lefevre",
        "channel": "e-mail",
    },
    "en": {
        "company": ("Peeters Bakery Ltd", "Kerkstraat 1, 9000 Ghent", "privacy@peeters.be"),
        "person": ("Emma", "Wilson", "Brussels", "1000", "Rue Haute 5"),
        "email": "emma.wilson@example.be",
        "phone": "0475 12 34 56",
        "source": "Business card, Horeca fair Ghent 2026, stand 12",
        "evidence": "Newsletter card signed at the fair, 1 March 2026",
        "search": "wilson",
        "channel": "e-mail",
    },
}


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", nargs="+", choices=LANGUAGES, default=list(LANGUAGES))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", nargs="+", default=None, help="picture names to make")
    parser.add_argument("--scale", type=float, default=None, help="QT_SCALE_FACTOR, e.g. 1.5")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(list(argv))


def configure_qt(scale: float | None, folder: Path) -> None:
    """Offscreen, on one fixed screen, before Qt is imported."""
    config = folder / "screen.json"
    config.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "guide",
                        "x": 0,
                        "y": 0,
                        "width": SCREEN[0],
                        "height": SCREEN[1],
                        "logicalDpi": 96,
                        "logicalBaseDpi": 96,
                        "dpr": 1,
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    if scale:
        os.environ["QT_SCALE_FACTOR"] = str(scale)
    else:
        os.environ.pop("QT_SCALE_FACTOR", None)


class Camera:
    """Saves pictures of widgets into one folder, skipping those not asked for."""

    def __init__(self, folder: Path, only: Sequence[str] | None) -> None:
        self.folder = folder
        self.only = set(only) if only else None
        self.saved: list[Path] = []
        folder.mkdir(parents=True, exist_ok=True)

    def wants(self, name: str) -> bool:
        return self.only is None or name in self.only

    def shoot(self, widget: QWidget, name: str, extra: Sequence[QWidget] = ()) -> None:
        """Save *widget* (and popups *extra* drawn over it where they are on screen)."""
        if not self.wants(name):
            return
        from PySide6.QtGui import QPainter

        settle()
        widget.repaint()
        picture = widget.grab()
        if extra:
            painter = QPainter(picture)
            for popup in extra:
                if popup.isVisible():
                    at = widget.mapFromGlobal(popup.mapToGlobal(popup.rect().topLeft()))
                    painter.drawPixmap(at, popup.grab())
            painter.end()
        path = self.folder / f"{name}.png"
        save_small(picture.toImage(), path)
        self.saved.append(path)

    def pdf_pages(self, pdf: bytes, name: str, pages: int) -> None:
        """Render the first *pages* pages of a PDF (``pdftoppm -r 60``)."""
        if not self.wants(name):
            return
        tool = shutil.which("pdftoppm")
        if tool is None:
            raise SystemExit("pdftoppm is missing: run make system-deps (poppler-utils)")
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "doc.pdf"
            source.write_bytes(pdf)
            subprocess.run(  # noqa: S603 (our own file, a fixed tool)
                [tool, "-png", "-r", "60", "-f", "1", "-l", str(pages), source, Path(tmp) / "p"],
                check=True,
            )
            for number, page in enumerate(sorted(Path(tmp).glob("p-*.png")), start=1):
                from PySide6.QtGui import QImage

                target = self.folder / f"{name}-{number}.png"
                save_small(QImage(str(page)), target)
                self.saved.append(target)


def save_small(image: QImage, path: Path) -> None:
    """A 256-colour PNG, most compressed: a fifth of the size, the same to the eye."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    flags = Qt.ImageConversionFlag.ThresholdDither | Qt.ImageConversionFlag.AvoidDither
    small = image.convertToFormat(QImage.Format.Format_Indexed8, flags)
    assert small.save(str(path), "PNG", 0), path


def settle() -> None:
    """Let background jobs finish and the windows repaint."""
    from PySide6.QtCore import QCoreApplication, QThreadPool

    for _round in range(3):
        QThreadPool.globalInstance().waitForDone(30_000)
        QCoreApplication.processEvents()
        QCoreApplication.sendPostedEvents()


def build(folder: Path, language: str, count: int, seed: int) -> tuple[Services, Actor]:
    """A fresh database in *folder*: set up in *language*, with *count* demo contacts."""
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.clock import FixedClock
    from privacycrm_desktop.services.registry import Services
    from privacycrm_desktop.services.setup import CompanyInput

    engine = create_engine_for(folder / "guide.db")
    migrate(engine)
    services = Services.build(engine, FixedClock(NOW))
    name, address, email = STORY[language]["company"]
    company = CompanyInput(name, address, "0403.170.701", email, language)
    owner = services.setup.initialise(company, "owner", PASSWORD)
    services.demo.generate(owner, count, seed=seed)
    return services, owner


def shoot_language(language: str, camera: Camera, count: int, seed: int) -> None:
    """Every picture of the guide in *language*."""
    from privacycrm_desktop.ui.common.qt_i18n import apply_language

    apply_language(language)
    with tempfile.TemporaryDirectory(prefix="privacycrm-guide-") as tmp:
        services, owner = build(Path(tmp), language, count, seed)
        try:
            _shoot_all(services, owner, language, camera)
        finally:
            services.uow.engine.dispose()


def _shoot_all(services: Services, owner: Actor, language: str, camera: Camera) -> None:
    from PySide6.QtWidgets import QDialog

    from privacycrm_desktop.ui.main_window import MainWindow

    story = STORY[language]
    window = MainWindow(services, owner)
    window.resize(*WINDOW)
    window.show()
    settle()
    # The first contact selected: its card shows beside the list.
    window.view.selectRow(0)
    window.show_card_of_current()
    settle()
    camera.shoot(window, "main-window")

    contact_id = _contact_story(services, owner, window, camera, story)
    _consent_story(services, owner, window, camera, contact_id, story)
    _request_story(services, owner, window, camera, contact_id, story, language)
    _cleanup_story(services, owner, window, camera)
    _language_dialog(window, camera)
    for dialog in window.findChildren(QDialog):
        dialog.close()
    window.close()
    window.deleteLater()
    settle()


def _contact_story(
    services: Services,
    owner: Actor,
    window: QWidget,
    camera: Camera,
    story: dict[str, object],
) -> int:
    """A new contact typed in with its source; then the editor showing where values came from."""
    from privacycrm_desktop.domain.provenance import SourceKind
    from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
    from privacycrm_desktop.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    first, last, city, postcode, street = story["person"]  # type: ignore[misc]
    editor = ContactEditorDialog(
        services.contacts,
        owner,
        None,
        window,
        open_consent=window.open_consent,
        scan_notes=services.disclosures.scan_text,
    )
    editor.show()
    values = {
        "first_name": first,
        "last_name": last,
        "street": street,
        "postcode": postcode,
        "city": city,
    }
    for field, value in values.items():
        editor.editors[field].setText(value)  # type: ignore[attr-defined]
    editor.editors["emails"].setPlainText(str(story["email"]))  # type: ignore[attr-defined]
    editor.editors["phones"].setPlainText(str(story["phone"]))  # type: ignore[attr-defined]
    language_combo = editor.editors["language"]
    language_combo.setCurrentIndex(language_combo.findData(_language_of(story)))  # type: ignore[attr-defined]
    editor.source_kind.setCurrentIndex(editor.source_kind.findData(SourceKind.BUSINESS_CARD))
    editor.source_description.setText(str(story["source"]))
    editor.source_description.setCursorPosition(0)
    camera.shoot(editor, "editor-new")
    editor.source_description.setText("")
    editor.save()  # refused: where did we get this?
    camera.shoot(editor, "editor-source-missing")
    editor.source_description.setText(str(story["source"]))
    editor.save()
    assert editor.saved_id is not None, "the story contact was not saved"
    contact_id = editor.saved_id
    editor.close()
    editor.deleteLater()
    window.model.refresh()

    window.search.setText(str(story["search"]))
    window.apply_search()
    window.view.selectRow(0)
    camera.shoot(window, "main-search")

    editor = ContactEditorDialog(
        services.contacts,
        owner,
        contact_id,
        window,
        open_consent=window.open_consent,
        scan_notes=services.disclosures.scan_text,
    )
    editor.show()
    button = editor.source_buttons["emails"]
    button.setFocus()
    button.explain()
    settle()
    popup = button.popup
    camera.shoot(editor, "editor-sources", [popup] if popup is not None else [])
    if popup is not None:
        popup.hide()
    editor.close()
    editor.deleteLater()
    window.search.setText("")
    window.apply_search()
    return contact_id


def _language_of(story: dict[str, object]) -> str:
    for code, entry in STORY.items():
        if entry is story:
            return code
    return "en"


def _consent_story(
    services: Services,
    owner: Actor,
    window: QWidget,
    camera: Camera,
    contact_id: int,
    story: dict[str, object],
) -> None:
    """Consent for the newsletter by e-mail, with its evidence, before and after Record."""
    from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
    from privacycrm_desktop.ui.consent.consent_panel import ConsentDialog

    dialog = ConsentDialog(
        services.consent,
        services.statements,
        owner,
        contact_id,
        _language_of(story),
        window,
        disclosures=services.disclosures,
    )
    dialog.show()
    purpose = next(
        i for i in range(dialog.purpose.count()) if dialog.purpose.itemData(i) is not None
    )
    marketing = [
        i
        for i in range(dialog.purpose.count())
        if "marketing" in str(dialog.purpose.itemData(i) or "")
    ]
    dialog.purpose.setCurrentIndex(marketing[0] if marketing else purpose)
    dialog.channel.setCurrentIndex(dialog.channel.findData(Channel.EMAIL))
    dialog.status_buttons[ConsentStatus.OPT_IN].setChecked(True)
    methods = [dialog.method.itemData(i) for i in range(dialog.method.count())]
    dialog.method.setCurrentIndex(methods.index(ConsentMethod.SIGNED_PAPER))
    dialog.evidence.setText(str(story["evidence"]))
    dialog.evidence.setCursorPosition(0)
    dialog.opt_out_offered.setChecked(True)
    camera.shoot(dialog, "consent-form")
    dialog.record()
    camera.shoot(dialog, "consent-recorded")
    dialog.close()
    dialog.deleteLater()


def _request_story(
    services: Services,
    owner: Actor,
    window: QWidget,
    camera: Camera,
    contact_id: int,
    story: dict[str, object],
    language: str,
) -> None:
    """An access request: the new-request dialog, the register, the PDF and the letter."""
    from privacycrm_desktop.domain.requests import RequestKind
    from privacycrm_desktop.services.requests import RequestInput
    from privacycrm_desktop.ui.common.rows_model import ROW_ROLE
    from privacycrm_desktop.ui.requests.request_dialogs import LetterDialog, NewRequestDialog
    from privacycrm_desktop.ui.requests.requests_view import RequestsDialog

    # Two older requests on demo contacts: one overdue, one closed soon.
    others = [r.id for r in services.contacts.page(owner, limit=2)]
    services.requests.add(
        owner, RequestInput(RequestKind.ERASURE, (others[0],), NOW.date() - dt.timedelta(days=40))
    )
    services.requests.add(
        owner, RequestInput(RequestKind.OBJECTION, (others[1],), NOW.date() - dt.timedelta(days=26))
    )

    register = RequestsDialog(services, owner, window)
    register.show()
    new = NewRequestDialog(
        lambda text: services.contacts.page(owner, query=text, limit=50),
        NOW.date(),
        register,
    )
    new.show()
    new.kind.setCurrentIndex(new.kind.findData(RequestKind.ACCESS.value))
    new.channel.setText(str(story["channel"]))
    first, last, *_rest = story["person"]  # type: ignore[misc]
    new.requester.setText(f"{first} {last}")
    new.verified.setChecked(True)
    new.method.setText(str(story["email"]))
    new.query.setText(str(story["search"]))
    new.find_contacts()
    for row in range(new.results.count()):
        item = new.results.item(row)
        item.setSelected(item.data(ROW_ROLE) == contact_id)
    camera.shoot(new, "request-new")
    info = new.request_input()
    new.close()
    new.deleteLater()
    request_id = services.requests.add(owner, info)
    register.refresh(select=request_id)
    camera.shoot(register, "requests-register")

    report = services.access_reports.produce(owner, contact_id, None, request_id)
    camera.pdf_pages(report.pdf, "access-report", 2)

    selected = register.selected()
    assert selected is not None
    letter = LetterDialog(services, owner, selected, register)
    letter.show()
    letter.letter.setCurrentIndex(letter.letter.findData("access_cover"))
    letter.refresh()
    camera.shoot(letter, "letter")
    for dialog in (letter, register):
        dialog.close()
        dialog.deleteLater()


def _cleanup_story(services: Services, owner: Actor, window: QWidget, camera: Camera) -> None:
    """The annual cleanup, page by page, up to the report."""
    from PySide6.QtCore import QModelIndex

    from privacycrm_desktop.domain.retention import CleanupAction
    from privacycrm_desktop.ui.retention.cleanup_state import Page
    from privacycrm_desktop.ui.retention.cleanup_wizard import CleanupWizard

    wizard = CleanupWizard(services, owner, window)
    wizard.show()
    camera.shoot(wizard, "cleanup-1-scan")
    if not wizard.total:
        wizard.close()
        return
    wizard.next()
    page = wizard.review_page
    model = page.model
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    # Keep the first two (say why), the rest as proposed.
    page.view.selectRow(0)
    flags = page.view.selectionModel().SelectionFlag
    page.view.selectionModel().select(model.index(1, 0), flags.Select | flags.Rows)
    page.bulk_action.setCurrentIndex(page.bulk_action.findData(CleanupAction.KEEP.value))
    page.apply_bulk.click()
    page.keep_reason.setText(_keep_reason())
    camera.shoot(wizard, "cleanup-2-review")
    wizard.next()
    assert wizard.currentId() == Page.DRY_RUN
    camera.shoot(wizard, "cleanup-3-dry-run")
    # Apply asks once more, naming how many people it erases: the story answers Yes.
    from PySide6.QtWidgets import QMessageBox

    ask = QMessageBox.question
    QMessageBox.question = lambda *_a, **_k: QMessageBox.StandardButton.Yes  # type: ignore[assignment]
    try:
        wizard.next()
    finally:
        QMessageBox.question = ask  # type: ignore[method-assign]
    settle()
    camera.shoot(wizard, "cleanup-4-done")
    wizard.close()
    wizard.deleteLater()


def _keep_reason() -> str:
    from privacycrm_desktop.i18n import current_language

    return {
        "nl": "Lopend geschil over een factuur",
        "fr": "Litige en cours sur une facture",
    }.get(current_language(), "Open dispute about an invoice")


def _language_dialog(window: QWidget, camera: Camera) -> None:
    from PySide6.QtCore import QSettings

    from privacycrm_desktop.i18n import current_language
    from privacycrm_desktop.ui.common.settings import UiSettings
    from privacycrm_desktop.ui.startup.language_dialog import LanguageDialog

    with tempfile.TemporaryDirectory() as tmp:
        settings = UiSettings(QSettings(str(Path(tmp) / "ui.ini"), QSettings.Format.IniFormat))
        dialog = LanguageDialog(settings, current_language(), window)
        dialog.show()
        camera.shoot(dialog, "language-dialog")
        dialog.reject()
        dialog.deleteLater()


def _quiet(_kind: object, _context: object, message: str) -> None:
    if "This plugin does not support" not in message:
        print(message, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Make the pictures; print where they went."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="privacycrm-screens-") as tmp:
        configure_qt(args.scale, Path(tmp))
        from PySide6.QtCore import qInstallMessageHandler
        from PySide6.QtGui import QFont, QFontDatabase
        from PySide6.QtWidgets import QApplication

        # The offscreen platform says what it cannot do (grab the keyboard...): not news.
        qInstallMessageHandler(_quiet)
        app = QApplication.instance() or QApplication(["privacycrm-screenshots"])
        assert isinstance(app, QApplication)
        for font in sorted((ROOT / "resources" / "fonts").glob("DejaVuSans*.ttf")):
            QFontDatabase.addApplicationFont(str(font))
        app.setFont(QFont("DejaVu Sans", 9))
        app.setStyle("Fusion")
        shots: list[Path] = []
        for language in args.lang:
            camera = Camera(args.out / language, args.only)
            shoot_language(language, camera, args.count, args.seed)
            shots += camera.saved
        for path in shots:
            print(path.relative_to(args.out) if path.is_relative_to(args.out) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
