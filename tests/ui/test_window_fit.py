"""Every window and dialog of the app fits a 1024 x 600 screen in nl, fr and en.

The windows are found by walking the ``privacycrm_desktop.ui`` package, so a new dialog
fails here until ``FACTORIES`` knows how to make it. Each is shown on a screen whose free
area is 1024 x 600 (the app asks ``available_geometry``), and then: the window with its
title bar fits; no visible widget lies outside the window or its parent (a scroll area's
content may scroll); no single-line label is cut off and no wrapped one is clipped; no
button is narrower than its text. A screenshot of each is saved (tests/ui/screens.py).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QDialog,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QWidget,
    QWizard,
)
from pytestqt.qtbot import QtBot

import privacycrm_desktop.ui as ui_package
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import widgets
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.common.settings import UiSettings
from privacycrm_desktop.ui.common.widgets import ElidedLabel
from privacycrm_desktop.ui.common.window_size import frame_room, size_key

from .screens import save

SCREEN = QRect(0, 0, 1024, 600)


def window_classes() -> list[type[QWidget]]:
    """Every dialog, wizard and main window class defined in the ui package."""
    found: list[type[QWidget]] = []
    for info in pkgutil.walk_packages(ui_package.__path__, ui_package.__name__ + "."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and value.__module__ == module.__name__
                and issubclass(value, QDialog | QMainWindow)
                # A mixin holds part of a window's code (the editor's form): not a window.
                and not value.__name__.endswith("Mixin")
            ):
                found.append(value)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


class Desk:
    """A database with contacts, the owner, and what the dialogs need to show."""

    def __init__(self, services: Services, owner: Actor, tmp_path: Path) -> None:
        from privacycrm_desktop.domain.requests import RequestKind
        from privacycrm_desktop.services.requests import RequestInput

        self.services = services
        self.owner = owner
        self.tmp_path = tmp_path
        services.demo.generate(owner, 40, seed=5)
        page = services.contacts.page(owner, limit=1)
        self.contact_id = page[0].id
        request = services.requests.add(owner, RequestInput(RequestKind.ACCESS, (self.contact_id,)))
        self.request = next(r for r in services.requests.list_requests(owner) if r.id == request)


def _main_window(desk: Desk) -> QWidget:
    from privacycrm_desktop.ui.main_window import MainWindow

    return MainWindow(desk.services, desk.owner)


def _editor(desk: Desk) -> QWidget:
    from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog

    s = desk.services
    return ContactEditorDialog(
        s.contacts,
        desk.owner,
        desk.contact_id,
        open_consent=lambda *_a: None,
        links=(s.companies, s.tags, s.clock),
    )


def _consent(desk: Desk) -> QWidget:
    from privacycrm_desktop.ui.consent.consent_panel import ConsentDialog

    s = desk.services
    return ConsentDialog(
        s.consent, s.statements, desk.owner, desk.contact_id, disclosures=s.disclosures
    )


def _disclosures(desk: Desk) -> QWidget:
    from privacycrm_desktop.ui.consent.disclosure_dialog import DisclosureDialog

    s = desk.services
    return DisclosureDialog(
        s.disclosures, s.statements, desk.owner, desk.contact_id, s.consent.today()
    )


def _conflict(desk: Desk) -> QWidget:
    from privacycrm_desktop.ui.contacts.conflict_dialog import ConflictDialog

    from .contacts.test_conflict_dialog import _every_field_conflicts

    return ConflictDialog(_every_field_conflicts())


def _restore(desk: Desk) -> QWidget:
    from privacycrm_desktop.ui.admin.backup_dialog import RestoreConfirmDialog

    backup = desk.services.backup.create(desk.owner, to=desk.tmp_path / "backups")
    plan = desk.services.backup.plan_restore(desk.owner, backup.path)
    return RestoreConfirmDialog(plan)


def _recovery(desk: Desk) -> QWidget:
    from privacycrm_desktop.i18n import _
    from privacycrm_desktop.ui.startup.recovery_dialog import RecoveryDialog

    return RecoveryDialog(
        desk.tmp_path / "contacts.db",
        _("the file is damaged, or it is not a PrivacyCRM database."),
        backup_folder=desk.tmp_path / "none",
    )


def _user_form(desk: Desk) -> QWidget:
    from privacycrm_desktop.domain.access import Role
    from privacycrm_desktop.i18n import _
    from privacycrm_desktop.ui.admin.user_admin import UserFormDialog

    return UserFormDialog(_("New user"), name=True, role=Role.OFFICE, password=True)


def _first_run(desk: Desk) -> QWidget:
    from privacycrm_desktop.ui.startup.first_run_wizard import FirstRunWizard

    return FirstRunWizard(desk.services.setup)


def _report(desk: Desk) -> QWidget:
    from privacycrm_desktop.ui.requests.access_report_dialog import AccessReportDialog

    contact = desk.services.contacts.page(desk.owner, limit=1)[0]
    today = desk.services.requests.today()
    return AccessReportDialog(contact, [desk.request], today, UiSettings(_ini(desk.tmp_path)))


def _link_person(desk: Desk) -> QWidget:
    from privacycrm_desktop.ui.companies.link_dialog import LinkPersonDialog

    return LinkPersonDialog(
        lambda q: desk.services.contacts.page(desk.owner, query=q, limit=50),
        "Brouwerij De Halve Maan",
        desk.services.requests.today(),
    )


def _link_company(desk: Desk) -> QWidget:
    from privacycrm_desktop.ui.companies.link_dialog import LinkCompanyDialog

    return LinkCompanyDialog(
        lambda q: desk.services.companies.search(desk.owner, q),
        "Zoë Lefèvre",
        desk.services.requests.today(),
    )


def _log_activity(desk: Desk) -> QWidget:
    from privacycrm_desktop.domain.activities import ActivityKind
    from privacycrm_desktop.ui.contacts.activity_dialog import LogActivityDialog

    return LogActivityDialog(
        lambda data: desk.services.activities.add(desk.owner, desk.contact_id, data),
        ActivityKind.CALL,
        desk.services.activities.now(),
        # The "With:" row of the people who took part: the tallest form.
        find_people=lambda query: desk.services.contacts.page(desk.owner, query=query),
    )


def _with_tasks(desk: Desk) -> Services:
    """The desk's services, with tasks of every group for the owner (once)."""
    import datetime as dt

    from privacycrm_desktop.domain.tasks import TaskDraft

    tasks = desk.services.tasks
    if not tasks.list_tasks(desk.owner):
        today = tasks.now().date()
        for days, title in ((-2, "Call back about the offer"), (0, "Send the price list")):
            due = today + dt.timedelta(days=days)
            tasks.add(desk.owner, TaskDraft(title, due_on=due, contact_id=desk.contact_id))
        tasks.add(desk.owner, TaskDraft("Order paper", due_on=today + dt.timedelta(days=1)))
    return desk.services


def _task_dialog(desk: Desk) -> QWidget:
    from privacycrm_desktop.ui.tasks.task_dialog import TaskDialog

    s = desk.services
    return TaskDialog(
        s.tasks.users(desk.owner), desk.owner.user_id, s.tasks.now().date(), "Lefèvre, Zoë"
    )


def _two_companies(d: Any) -> list[int]:
    """Two companies alike, for the company merge dialog."""
    from privacycrm_desktop.domain.companies import CompanyInput
    from privacycrm_desktop.domain.provenance import SourceInput, SourceKind

    source = SourceInput(SourceKind.BUSINESS_CARD, "Beurs", d.services.requests.today())
    return [
        d.services.companies.add(
            d.owner, CompanyInput(name=f"Brouwerij Het Anker {n}", city="Mechelen"), source
        )
        for n in ("", "NV")
    ]


def _factories() -> dict[str, Callable[[Desk], QWidget]]:
    """How to make each window class (by its qualified name) on a desk."""

    def simple(path: str, *args: Callable[[Desk], object]) -> tuple[str, Callable[[Desk], QWidget]]:
        module, name = path.rsplit(".", 1)

        def make(desk: Desk) -> QWidget:
            cls = getattr(importlib.import_module(f"privacycrm_desktop.ui.{module}"), name)
            made: QWidget = cls(*(arg(desk) for arg in args))
            return made

        return f"privacycrm_desktop.ui.{path}", make

    services: Callable[[Desk], object] = lambda d: d.services  # noqa: E731
    owner: Callable[[Desk], object] = lambda d: d.owner  # noqa: E731
    return dict(
        [
            simple(
                "admin.audit_view.AuditViewerDialog",
                lambda d: d.services.audit,
                owner,
                lambda d: d.services.consent.today(),
            ),
            ("privacycrm_desktop.ui.admin.backup_dialog.RestoreConfirmDialog", _restore),
            simple("admin.backup_dialog.BackupDialog", lambda d: d.services.backup, owner),
            simple("admin.field_matrix.FieldMatrixDialog", lambda d: d.services.access, owner),
            simple(
                "admin.custom_fields_dialog.CustomFieldsDialog",
                lambda d: d.services.custom_fields,
                owner,
            ),
            ("privacycrm_desktop.ui.admin.user_admin.UserFormDialog", _user_form),
            simple("admin.user_admin.UserAdminDialog", lambda d: d.services.auth, owner),
            ("privacycrm_desktop.ui.consent.consent_panel.ConsentDialog", _consent),
            ("privacycrm_desktop.ui.consent.disclosure_dialog.DisclosureDialog", _disclosures),
            simple("consent.marketing_dialog.MarketingListDialog", services, owner),
            simple(
                "consent.purposes_dialog.PurposesDialog", lambda d: d.services.statements, owner
            ),
            simple(
                "consent.statement_dialog.StatementDialog", lambda d: d.services.statements, owner
            ),
            ("privacycrm_desktop.ui.contacts.conflict_dialog.ConflictDialog", _conflict),
            ("privacycrm_desktop.ui.contacts.contact_editor.ContactEditorDialog", _editor),
            ("privacycrm_desktop.ui.contacts.activity_dialog.LogActivityDialog", _log_activity),
            ("privacycrm_desktop.ui.main_window.MainWindow", _main_window),
            ("privacycrm_desktop.ui.requests.access_report_dialog.AccessReportDialog", _report),
            simple("companies.companies_window.CompaniesDialog", services, owner),
            simple("companies.company_editor.CompanyEditorDialog"),
            simple("tags.tags_dialog.TagsDialog", lambda d: d.services.tags, owner),
            simple("duplicates.review_dialog.DuplicateReviewDialog", services, owner),
            simple(
                "duplicates.merge_dialog.MergeDialog",
                services,
                owner,
                lambda d: [c.id for c in d.services.contacts.page(d.owner, limit=2)],
            ),
            simple(
                "duplicates.company_merge_dialog.CompanyMergeDialog",
                services,
                owner,
                _two_companies,
            ),
            simple("tags.tag_selected.TagSelectedDialog", services, owner, _everyone),
            simple("tasks.my_day.MyDayDialog", _with_tasks, owner),
            simple("tasks.task_list.TaskListDialog", _with_tasks, owner),
            ("privacycrm_desktop.ui.tasks.task_dialog.TaskDialog", _task_dialog),
            simple("post.labels_dialog.LabelsDialog", services, owner, _everyone),
            simple("post.letter_dialog.MergeLetterDialog", services, owner, _everyone),
            (
                "privacycrm_desktop.ui.companies.link_dialog.LinkPersonDialog",
                _link_person,
            ),
            (
                "privacycrm_desktop.ui.companies.link_dialog.LinkCompanyDialog",
                _link_company,
            ),
            simple(
                "requests.request_dialogs.NewRequestDialog",
                lambda d: lambda _q: [],
                lambda d: d.services.requests.today(),
            ),
            simple("requests.request_dialogs.LetterDialog", services, owner, lambda d: d.request),
            simple("requests.requests_view.RequestsDialog", services, owner),
            simple("retention.cleanup_wizard.CleanupWizard", services, owner),
            simple(
                "retention.quality_dialog.QualityDialog",
                lambda d: d.services.quality,
                owner,
                lambda d: lambda _id: None,
            ),
            simple(
                "retention.retention_actions.ErasePreviewDialog",
                lambda d: d.services.erasure.preview(d.owner, d.contact_id),
            ),
            simple("startup.database_dialog.DatabaseDialog"),
            simple("startup.upgrade_progress.UpgradeDialog"),
            ("privacycrm_desktop.ui.startup.first_run_wizard.FirstRunWizard", _first_run),
            simple(
                "startup.language_dialog.LanguageDialog",
                lambda d: UiSettings(_ini(d.tmp_path)),
                lambda d: "en",
            ),
            simple("startup.login_dialog.LoginDialog", lambda d: d.services.auth),
            ("privacycrm_desktop.ui.startup.recovery_dialog.RecoveryDialog", _recovery),
            simple("transfer.export_dialog.ExportDialog", services, owner, _everyone),
            simple("transfer.import_history.ImportHistoryDialog", services, owner),
            simple("transfer.import_wizard.ImportWizard", services, owner),
        ]
    )


def _ini(folder: Path) -> QSettings:

    return QSettings(str(folder / "ui.ini"), QSettings.Format.IniFormat)


def _everyone(desk: Desk) -> object:
    from privacycrm_desktop.services.dto import ContactSort
    from privacycrm_desktop.ui.transfer.export_dialog import SelectedContacts

    total = desk.services.contacts.count(desk.owner, "")
    return SelectedContacts(
        query="", sort=ContactSort.NAME, descending=False, ranges=((0, total - 1),), total=total
    )


FACTORIES = _factories()


def _first_run_pages(wizard: QWidget, desk: Desk, qtbot: QtBot) -> Iterator[None]:
    from privacycrm_desktop.ui.startup.first_run_wizard import FirstRunWizard

    assert isinstance(wizard, FirstRunWizard)
    wizard.next()
    yield
    wizard.company_page.name.setText("Brasserie Zoë")
    wizard.company_page.address.setText("Place Saint-Lambert 1, 4000 Liège")
    wizard.company_page.vat_number.setText("0403.170.701")
    wizard.next()
    yield


def _import_pages(wizard: QWidget, desk: Desk, qtbot: QtBot) -> Iterator[None]:
    from privacycrm_desktop.ui.transfer.import_wizard import ImportWizard

    from .transfer.import_files import excel_csv
    from .transfer.test_import_wizard import fill_origin

    assert isinstance(wizard, ImportWizard)
    wizard.file_page.path.setText(str(excel_csv(desk.tmp_path)))
    for _page in ("preview", "mapping", "origin"):
        wizard.next()
        yield
    fill_origin(wizard)
    yield
    wizard.next()  # duplicates
    yield
    wizard.next()  # the check, a dry run in the background
    qtbot.waitUntil(lambda: wizard.checked is not None, timeout=20_000)
    yield


def _cleanup_pages(wizard: QWidget, desk: Desk, qtbot: QtBot) -> Iterator[None]:
    from privacycrm_desktop.ui.retention.cleanup_wizard import CleanupWizard

    assert isinstance(wizard, CleanupWizard)
    wizard.next()  # review
    yield
    wizard.next()  # the dry run, in the background
    qtbot.waitUntil(wizard.dry_run_page.isComplete, timeout=20_000)
    yield


#: The later pages of each wizard, reached as a person would (the first is measured as
#: any window).
WIZARD_PAGES: dict[str, Callable[[QWidget, Desk, QtBot], Iterator[None]]] = {
    "privacycrm_desktop.ui.startup.first_run_wizard.FirstRunWizard": _first_run_pages,
    "privacycrm_desktop.ui.transfer.import_wizard.ImportWizard": _import_pages,
    "privacycrm_desktop.ui.retention.cleanup_wizard.CleanupWizard": _cleanup_pages,
}


def test_every_window_class_has_a_factory() -> None:
    """A dialog added to the app is measured here too: this fails until it is listed."""
    classes = window_classes()
    names = {f"{c.__module__}.{c.__qualname__}" for c in classes}
    assert names - FACTORIES.keys() == set(), "add these to FACTORIES"
    assert FACTORIES.keys() - names == set(), "these are gone from the app"
    wizards = {f"{c.__module__}.{c.__qualname__}" for c in classes if issubclass(c, QWizard)}
    assert wizards == WIZARD_PAGES.keys(), "say how to reach each wizard's pages"


@pytest.fixture
def small_screen(monkeypatch: pytest.MonkeyPatch) -> QRect:
    """Every lookup of the free screen area answers 1024 x 600."""
    original = widgets.available_geometry
    for info in pkgutil.walk_packages(ui_package.__path__, ui_package.__name__ + "."):
        module = importlib.import_module(info.name)
        if getattr(module, "available_geometry", None) is original:
            monkeypatch.setattr(module, "available_geometry", lambda _w: QRect(SCREEN))
    monkeypatch.setattr(widgets, "available_geometry", lambda _w: QRect(SCREEN))
    return SCREEN


#: Text sizes of the desktops: 9 points is Windows' and the tests' default, 11 GNOME's
#: (Ubuntu's); KDE uses 10. Windows grow with the text, so both ends are measured.
DESKTOP_POINTS = (9, 11)


@pytest.fixture(params=DESKTOP_POINTS, ids=lambda p: f"{p}pt")
def desktop_font(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[int]:
    """The application's text at a desktop's size, for one test."""
    before = qapp.font()
    font = qapp.font()
    font.setPointSize(request.param)
    qapp.setFont(font)
    yield request.param
    qapp.setFont(before)


def _inside_scrolled_content(widget: QWidget, window: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def _text(widget: QLabel | QAbstractButton) -> str:
    return widget.text().replace("&&", "\0").replace("&", "").replace("\0", "&")


def problems_of(window: QWidget) -> list[str]:
    """What a person would not see whole in *window*, as it is laid out now."""
    found: list[str] = []
    # The title bar and side borders of the frame (the offscreen platform draws none).
    frame = frame_room(window)
    if (window.size() + frame).boundedTo(SCREEN.size()) != window.size() + frame:
        found.append(
            f"window {window.width()}x{window.height()} (+{frame.width()}x{frame.height()} frame)"
        )
    for child in window.findChildren(QWidget):
        if not child.isVisibleTo(window) or child.isWindow():
            continue
        name = f"{type(child).__name__} {child.objectName() or ''}".strip()
        if isinstance(child, QLabel | QAbstractButton) and _text(child):
            name += f" {_text(child)[:40]!r}"
        # What a scroll area holds may lie beyond its edges: it scrolls into view. Its
        # texts must still be whole.
        if not _inside_scrolled_content(child, window):
            at = QRect(child.mapTo(window, child.rect().topLeft()), child.size())
            if not window.rect().contains(at):
                size = window.size().toTuple()
                found.append(f"{name} at {at.getRect()} outside the window {size}")
                continue
            parent = child.parentWidget()
            if parent is not None and not parent.rect().contains(child.geometry()):
                found.append(f"{name} at {child.geometry().getRect()} outside its parent")
                continue
        if isinstance(child, QLabel) and not isinstance(child, ElidedLabel) and _text(child):
            if child.wordWrap():
                needed = child.heightForWidth(child.width())
                if needed > child.height() + 1:
                    found.append(f"{name}: {child.height()} px high, needs {needed}")
            elif child.sizeHint().width() > child.width() + 1:
                found.append(f"{name}: {child.width()} px wide, needs {child.sizeHint().width()}")
        if isinstance(child, QPushButton) and _text(child):
            needed = child.fontMetrics().horizontalAdvance(_text(child))
            if needed > child.width():
                found.append(f"{name}: {child.width()} px wide, text {needed}")
        if isinstance(child, QHeaderView):
            found += _cut_sections(child)
    return found


def _cut_sections(header: QHeaderView) -> list[str]:
    """The column titles of a list or table that do not fit their sections: the size the
    header asks for its text (margins, and the sort arrow when the list sorts) against
    the section's width."""
    model = header.model()
    if header.orientation() != Qt.Orientation.Horizontal or model is None:
        return []
    found = []
    for logical in range(header.count()):
        size = header.sectionSize(logical)
        if header.isSectionHidden(logical) or size == 0:
            continue
        title = model.headerData(logical, Qt.Orientation.Horizontal)
        if not isinstance(title, str) or not title:
            continue
        needed = header.sectionSizeFromContents(logical).width()
        if needed > size + 1:
            view = header.parentWidget()
            where = view.objectName() if view is not None else ""
            found.append(f"column {title!r} of {where or 'a list'}: {size} px wide, needs {needed}")
    return found


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
@pytest.mark.parametrize("qualified", sorted(FACTORIES))
def test_the_window_fits_a_1024_by_600_screen(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    tmp_path: Path,
    small_screen: QRect,
    desktop_font: int,
    language: str,
    qualified: str,
) -> None:
    apply_language(language)
    desk = Desk(services, owner, tmp_path)
    window = FACTORIES[qualified](desk)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(50)
    short = qualified.rsplit(".", 1)[1]
    short = f"{short}-{desktop_font}pt"
    save(window, f"{language}-fit-{short}", settle=True)
    problems = problems_of(window)
    if isinstance(window, QWizard):
        pages = {window.currentId()}
        for _step in WIZARD_PAGES[qualified](window, desk, qtbot):
            QApplication.processEvents()
            pages.add(window.currentId())
            save(window, f"{language}-fit-{short}-{window.currentId()}", settle=True)
            problems += [f"page {window.currentId()}: {p}" for p in problems_of(window)]
        # Every page was seen (the import's last two run the import itself).
        assert len(pages) >= len(window.pageIds()) - (2 if "Import" in short else 1)
    if isinstance(window, QMainWindow):
        # The idle lock puts its own page in the list's place, with a wrong password tried.
        window_any: Any = window
        window_any.lock()
        lock_screen = window_any.lock_screen
        lock_screen.password.setText("not the password")
        lock_screen.try_unlock()
        save(window, f"{language}-fit-{short}-locked", settle=True)
        problems += [f"locked: {p}" for p in problems_of(window)]
    assert not problems, f"{short} in {language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("qualified", sorted(k for k in FACTORIES if not k.endswith(".MainWindow")))
def test_each_dialog_remembers_its_size_within_the_screen(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    tmp_path: Path,
    small_screen: QRect,
    qualified: str,
) -> None:
    """Closed at a size, a dialog opens at that size next time; a size saved on a bigger
    screen is shrunk to this one."""
    from PySide6.QtCore import QSize

    from privacycrm_desktop.ui.common.settings import UiSettings, share_settings
    from privacycrm_desktop.ui.common.window_size import memory_of

    settings = UiSettings(_ini(tmp_path))
    share_settings(settings)
    try:
        desk = Desk(services, owner, tmp_path)
        first = FACTORIES[qualified](desk)
        qtbot.addWidget(first)
        assert memory_of(first) is not None
        first.show()
        first.resize(first.minimumSizeHint().expandedTo(QSize(300, 200)) + QSize(37, 23))
        kept = first.size()
        first.close()
        again = FACTORIES[qualified](desk)
        qtbot.addWidget(again)
        assert again.size() == kept
        # Another language's texts have other lengths: its own size, not this one.
        apply_language("fr")
        try:
            french = FACTORIES[qualified](desk)
            qtbot.addWidget(french)
            assert french.size() != kept
        finally:
            apply_language("en")

        settings.set_window_size(size_key(again), QSize(1900, 1000))
        big = FACTORIES[qualified](desk)
        qtbot.addWidget(big)
        frame = frame_room(big)
        assert big.width() + frame.width() <= SCREEN.width()
        assert big.height() + frame.height() <= SCREEN.height()
    finally:
        share_settings(None)


def test_the_main_window_saved_on_a_bigger_screen_opens_within_this_one(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path, small_screen: QRect
) -> None:
    """The main window keeps its whole geometry (position too); one saved on a docked
    laptop's big screen is shrunk to the netbook's, status bar in view."""
    from privacycrm_desktop.ui.common.settings import UiSettings
    from privacycrm_desktop.ui.main_window import MainWindow

    settings = UiSettings(_ini(tmp_path))
    big = QWidget()
    qtbot.addWidget(big)
    big.resize(1800, 1000)
    settings.set_geometry("main", big.saveGeometry())
    window = MainWindow(services, owner, settings)
    qtbot.addWidget(window)
    frame = frame_room(window)
    assert window.width() + frame.width() <= SCREEN.width()
    assert window.height() + frame.height() <= SCREEN.height()
    window.show()
    window.resize(700, 450)
    window.close()
    again = MainWindow(services, owner, settings)
    qtbot.addWidget(again)
    assert again.size().toTuple() == (700, 450)


def test_the_measure_sees_a_cut_label_a_narrow_button_and_a_widget_off_the_window(
    qtbot: QtBot,
) -> None:
    """The checks above can fail: each kind of fault, made on purpose, is reported."""
    from PySide6.QtWidgets import QVBoxLayout

    window = QDialog()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    cut = QLabel("A label far too long for the width it was given")
    cut.setFixedWidth(60)
    wrapped = QLabel("A wrapped label " * 12)
    wrapped.setWordWrap(True)
    wrapped.setFixedSize(120, 20)
    narrow = QPushButton("A button with a long text")
    narrow.setFixedWidth(40)
    for widget in (cut, wrapped, narrow):
        layout.addWidget(widget)
    from PySide6.QtWidgets import QTableWidget

    table = QTableWidget(1, 2)
    table.setHorizontalHeaderLabels(["Conserver jusqu'au", "Nom"])
    table.setSortingEnabled(True)
    table.setColumnWidth(0, 60)
    layout.addWidget(table)
    window.resize(400, 300)
    off = QPushButton("Off", window)
    off.setGeometry(380, 280, 80, 30)
    window.show()
    qtbot.waitExposed(window)
    found = "\n".join(problems_of(window))
    assert "far too long" in found
    assert "A wrapped label" in found
    assert "long text" in found
    assert "'Off'" in found
    assert 'column "Conserver jusqu\'au"' in found
    assert len(problems_of(window)) == 5
    window.resize(1100, 300)
    assert "window 1100x300" in "\n".join(problems_of(window))
