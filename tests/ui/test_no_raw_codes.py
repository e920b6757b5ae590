"""Every window and dialog of the ui package, built in nl, fr and en on a demo office, shows
words a person reads: no audit action, data category, language or role code, no
``app_user 4`` or ``#2001``, no count without the language's digit grouping and no ISO date.

The windows are found by walking the ``ui`` package, so a new dialog needs a way to be
built here (``BUILDERS``) or a reason why not (``NOT_BUILT``)."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6 import QtGui
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QTabWidget,
    QWidget,
    QWizard,
)
from pytestqt.qtbot import QtBot

import privacycrm_desktop.ui as ui_package
from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.audit_actions import (
    ENTITY_LABELS,
    INTERNAL_RECIPIENT,
    SYSTEM_ACTORS,
    AuditAction,
)
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.export_csv import CsvProfile
from privacycrm_desktop.domain.export_formats import ExportFormat
from privacycrm_desktop.domain.export_vcard import VcardVersion
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
from privacycrm_desktop.domain.label_sheets import SHEETS
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.purposes import DATA_CATEGORY_LABELS
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.i18n import LANGUAGES, tr_in
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.exports import ExportRequest
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import RequestInfo, RequestInput
from privacycrm_desktop.ui.common.qt_i18n import apply_language

from .screens import save

GOOD = "another good password"
CARD = SourceInput(SourceKind.BUSINESS_CARD, "Salon Batibouw", dt.date(2025, 2, 20))
DEMO_COUNT = 3_500


def window_classes() -> list[type[QWidget]]:
    """Every dialog and main window the ui package defines."""
    found: list[type[QWidget]] = []
    for module_info in pkgutil.walk_packages(ui_package.__path__, f"{ui_package.__name__}."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and value.__module__ == module.__name__
                and issubclass(value, (QDialog, QMainWindow))
            ):
                found.append(value)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


# -- the demo office -----------------------------------------------------------------------


class Office:
    """The demo data the windows show, made once per test."""

    #: Zoë's names (``test_markup_in_a_name_is_shown_as_typed`` gives her markup).
    FIRST_NAME, LAST_NAME = "Zoë", "Lefèvre"

    def __init__(self, services: Services, owner: Actor, tmp_path: Path) -> None:
        self.services, self.owner, self.tmp_path = services, owner, tmp_path
        services.demo.generate(owner, DEMO_COUNT, seed=7)
        self.zoe = services.contacts.create(
            owner,
            ContactInput(
                first_name=self.FIRST_NAME,
                last_name=self.LAST_NAME,
                emails=("zoe@example.be",),
                phones=("0475 12 34 56",),
                city="Liège",
                postcode="4000",
                language="nl",
                notes="Suit un traitement contre le diabète; diabetes type 2.",
            ),
            CARD,
            special_confirmed=True,
        )
        # An interaction on her timeline (the main window's card shows it).
        services.activities.add(
            owner,
            self.zoe,
            ActivityInput(ActivityKind.VISIT, "Showroom", details="Liked the blue model"),
        )
        auth = services.auth
        auth.add_user(owner, "petra", GOOD, Role.PRIVACY_OFFICER)
        auth.add_user(owner, "olga", GOOD, Role.OFFICE)
        auth.add_user(owner, "sam", GOOD, Role.SALES)
        auth.change_role(owner, "olga", Role.PRIVACY_OFFICER)
        auth.deactivate_user(owner, "sam")
        self.request = services.requests.add(
            owner, RequestInput(RequestKind.ACCESS, (self.zoe,), services.requests.today())
        )
        services.requests.add(
            owner,
            RequestInput(
                RequestKind.ERASURE, (self.zoe,), services.requests.today() - dt.timedelta(40)
            ),
        )
        services.consent.record(
            owner,
            ConsentInput(
                self.zoe,
                "direct_marketing_consent",
                Channel.EMAIL,
                ConsentStatus.OPT_IN,
                ConsentMethod.FORM_BOX_TICKED,
                "web form 1",
            ),
        )
        # A disclosure in the ledger, with its data categories.
        services.exports.export(
            owner,
            ExportRequest(
                format=ExportFormat.CSV,
                purpose="customer_relationship",
                recipient="Drukkerij Peeters NV",
                contact_ids=(self.zoe,),
            ),
            tmp_path / "zoe.csv",
        )
        # A file kept within the company: its purpose is stored by code, its recipient
        # as "internal", the fields left out by name.
        services.exports.export(
            owner,
            ExportRequest(
                format=ExportFormat.VCARD,
                purpose="customer_relationship",
                recipient="Onthaal",
                recipient_kind=None,
                contact_ids=(self.zoe,),
            ),
            tmp_path / "zoe.vcf",
        )
        self.backup = services.backup.create(owner)
        services.backup.create(None)  # an automatic one: the app is its actor

    def request_info(self) -> RequestInfo:
        return self.services.requests.get(self.owner, self.request)


def _builders() -> dict[str, Callable[[Office], QWidget]]:
    from privacycrm_desktop.domain.companies import CompanyInput, LegalForm
    from privacycrm_desktop.domain.contacts import Relationship
    from privacycrm_desktop.ui.admin.audit_view import AuditViewerDialog
    from privacycrm_desktop.ui.admin.backup_dialog import BackupDialog
    from privacycrm_desktop.ui.admin.field_matrix import FieldMatrixDialog
    from privacycrm_desktop.ui.admin.user_admin import UserAdminDialog, UserFormDialog
    from privacycrm_desktop.ui.common.settings import UiSettings
    from privacycrm_desktop.ui.companies.companies_window import CompaniesDialog
    from privacycrm_desktop.ui.companies.company_editor import CompanyEditorDialog
    from privacycrm_desktop.ui.companies.link_dialog import LinkPersonDialog
    from privacycrm_desktop.ui.consent.consent_panel import ConsentDialog
    from privacycrm_desktop.ui.consent.disclosure_dialog import DisclosureDialog
    from privacycrm_desktop.ui.consent.marketing_dialog import MarketingListDialog
    from privacycrm_desktop.ui.consent.purposes_dialog import PurposesDialog
    from privacycrm_desktop.ui.consent.statement_dialog import StatementDialog
    from privacycrm_desktop.ui.contacts.activity_dialog import LogActivityDialog
    from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
    from privacycrm_desktop.ui.duplicates.company_merge_dialog import CompanyMergeDialog
    from privacycrm_desktop.ui.duplicates.merge_dialog import MergeDialog
    from privacycrm_desktop.ui.duplicates.review_dialog import DuplicateReviewDialog
    from privacycrm_desktop.ui.main_window import MainWindow
    from privacycrm_desktop.ui.requests.access_report_dialog import AccessReportDialog
    from privacycrm_desktop.ui.requests.request_dialogs import LetterDialog, NewRequestDialog
    from privacycrm_desktop.ui.requests.requests_view import RequestsDialog
    from privacycrm_desktop.ui.retention.cleanup_wizard import CleanupWizard
    from privacycrm_desktop.ui.retention.quality_dialog import QualityDialog
    from privacycrm_desktop.ui.retention.retention_actions import ErasePreviewDialog
    from privacycrm_desktop.ui.startup.database_dialog import DatabaseDialog
    from privacycrm_desktop.ui.startup.language_dialog import LanguageDialog
    from privacycrm_desktop.ui.startup.login_dialog import LoginDialog
    from privacycrm_desktop.ui.startup.upgrade_progress import UpgradeDialog
    from privacycrm_desktop.ui.transfer.export_dialog import ExportDialog, SelectedContacts
    from privacycrm_desktop.ui.transfer.import_history import ImportHistoryDialog
    from privacycrm_desktop.ui.transfer.import_wizard import ImportWizard

    def main_window(o: Office) -> QWidget:
        window = MainWindow(o.services, o.owner)
        window.resize(1024, 600)
        return window

    def export(o: Office) -> QWidget:
        from privacycrm_desktop.services.dto import ContactSort

        total = o.services.contacts.count(o.owner, "")
        selection = SelectedContacts("", next(iter(ContactSort)), False, ((0, total - 1),), total)
        return ExportDialog(o.services, o.owner, selection)

    def new_request(o: Office) -> QWidget:
        dialog = NewRequestDialog(
            lambda q: o.services.contacts.page(o.owner, query=q, limit=50),
            o.services.requests.today(),
        )
        dialog.query.setText("Lefèvre")
        dialog.find_contacts()  # the people found, by name, without their number
        return dialog

    def audit(o: Office) -> QWidget:
        return AuditViewerDialog(o.services.audit, o.owner, o.services.requests.today())

    def tag_selected(o: Office) -> QWidget:
        from privacycrm_desktop.services.dto import ContactSort
        from privacycrm_desktop.ui.tags.tag_selected import TagSelectedDialog

        total = o.services.contacts.count(o.owner, "")
        selection = SelectedContacts("", next(iter(ContactSort)), False, ((0, 0),), total)
        return TagSelectedDialog(o.services, o.owner, selection)

    def custom_fields(o: Office) -> QWidget:
        from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind
        from privacycrm_desktop.ui.admin.custom_fields_dialog import CustomFieldsDialog

        # A field of each kind, so the table has rows to read.
        for kind in CustomKind:
            choices = ("A", "B") if kind is CustomKind.CHOICE else ()
            definition = CustomFieldDefinition(f"f_{kind.value}", kind.value, kind, choices=choices)
            o.services.custom_fields.define(o.owner, definition)
        return CustomFieldsDialog(o.services.custom_fields, o.owner)

    def cleanup(o: Office) -> QWidget:
        from privacycrm_desktop.domain.companies import CompanyInput
        from privacycrm_desktop.domain.custom_fields import (
            CustomFieldDefinition,
            CustomKind,
            CustomTarget,
        )
        from privacycrm_desktop.domain.provenance import SourceInput, SourceKind

        # Values past their fields' keep period, on a contact and a company: the scan and
        # the review name the fields and whose values go. The fields are defined as from
        # the command line: the key as the label, the labels per language beside it.
        s = o.services
        fields = {"customer_no": CustomTarget.CONTACT, "visit_notes": CustomTarget.COMPANY}
        if not any(d.key in fields for d in s.custom_fields.definitions(o.owner)):
            for key, on in fields.items():
                words = key.replace("_", " ").capitalize()
                labels = tuple((lang, f"{words} ({lang})") for lang in sorted(LANGUAGES))
                s.custom_fields.define(
                    o.owner,
                    CustomFieldDefinition(
                        key, key, CustomKind.TEXT, labels=labels, on=on, keep_months=1
                    ),
                )
            clock = s.clock
            assert isinstance(clock, FixedClock)
            now = clock.current
            clock.current = now - dt.timedelta(days=70)  # recorded ten weeks ago
            card = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw")
            s.contacts.create(
                o.owner,
                ContactInput(first_name="An", last_name="Peeters", extra={"customer_no": "K-1"}),
                card,
            )
            s.companies.add(
                o.owner, CompanyInput(name="Bakkerij Peeters"), card, {"visit_notes": "x"}
            )
            clock.current = now
        return CleanupWizard(s, o.owner)

    def post(kind: str) -> Callable[[Office], QWidget]:
        def make(o: Office) -> QWidget:
            from privacycrm_desktop.services.dto import ContactSort
            from privacycrm_desktop.ui.post.labels_dialog import LabelsDialog
            from privacycrm_desktop.ui.post.letter_dialog import MergeLetterDialog

            total = o.services.contacts.count(o.owner, "")
            everyone = ((0, total - 1),)
            selection = SelectedContacts("", next(iter(ContactSort)), False, everyone, total)
            dialog = (LabelsDialog if kind == "labels" else MergeLetterDialog)(
                o.services, o.owner, selection
            )
            # After printing: what was made and who was left out, with the reason.
            dialog.file.setText(str(o.tmp_path / f"{kind}.pdf"))
            dialog.purpose.setCurrentIndex(dialog.purpose.findData("direct_marketing_consent"))
            job = dialog.make_pdf()
            assert job is not None
            deadline = time.monotonic() + 30
            while dialog.job is not None and time.monotonic() < deadline:
                QApplication.processEvents()
                time.sleep(0.01)
            return dialog

        return make

    def tags(o: Office) -> QWidget:
        from privacycrm_desktop.ui.tags.tags_dialog import TagsDialog

        # A tag on a contact (the same one each time), so the table has a row to read.
        o.services.tags.assign_named(o.owner, "VIP", [o.zoe])
        return TagsDialog(o.services.tags, o.owner)

    def editor(o: Office) -> QWidget:
        from privacycrm_desktop.domain.companies import CompanyInput, LinkInput
        from privacycrm_desktop.domain.provenance import SourceInput, SourceKind

        card = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw")
        # A place at a company and a tag, so the editor's section has rows to read.
        s = o.services
        if not s.companies.links_of(o.owner, o.zoe):
            company = s.companies.add(o.owner, CompanyInput(name="Brouwerij Zoë NV"), card)
            s.companies.link(o.owner, o.zoe, company, LinkInput("Zaakvoerster", "Directie"), card)
        s.tags.assign_named(o.owner, "VIP", [o.zoe])
        links = (s.companies, s.tags, s.clock)
        return ContactEditorDialog(s.contacts, o.owner, o.zoe, links=links)

    def link_company(o: Office) -> QWidget:
        from privacycrm_desktop.ui.companies.link_dialog import LinkCompanyDialog

        return LinkCompanyDialog(
            lambda q: o.services.companies.search(o.owner, q),
            "Zoë Lefèvre",
            o.services.requests.today(),
        )

    def with_tasks(o: Office) -> Services:
        # Tasks of every group (once), one about Zoë, handed on and ticked off: "My day",
        # the task list and the audit trail show them.
        from privacycrm_desktop.domain.tasks import TaskDraft

        tasks = o.services.tasks
        if not tasks.list_tasks(o.owner, include_done=True):
            today = tasks.now().date()
            about = tasks.add(
                o.owner, TaskDraft("Call back", due_on=today - dt.timedelta(2), contact_id=o.zoe)
            )
            tasks.add(o.owner, TaskDraft("Price list", due_on=today, due_time=dt.time(16, 30)))
            done = tasks.add(o.owner, TaskDraft("Order paper", due_on=today))
            tasks.set_done(o.owner, done)
            tasks.reassign(o.owner, about, o.owner.user_id)
        return o.services

    def task_dialog(o: Office) -> QWidget:
        from privacycrm_desktop.ui.tasks.task_dialog import TaskDialog

        s = o.services
        return TaskDialog(s.tasks.users(o.owner), o.owner.user_id, s.tasks.now().date(), "Zoë")

    def my_day(o: Office) -> QWidget:
        from privacycrm_desktop.ui.tasks.my_day import MyDayDialog

        return MyDayDialog(with_tasks(o), o.owner)

    def task_list(o: Office) -> QWidget:
        from privacycrm_desktop.ui.tasks.task_list import TaskListDialog

        dialog = TaskListDialog(with_tasks(o), o.owner)
        dialog.show_done.setChecked(True)
        return dialog

    def audit_with_tasks(o: Office) -> QWidget:
        with_tasks(o)
        return audit(o)

    return {
        "LinkCompanyDialog": link_company,
        "MyDayDialog": my_day,
        "TaskListDialog": task_list,
        "TaskDialog": task_dialog,
        "AuditViewerDialog": audit_with_tasks,
        "TagsDialog": tags,
        "TagSelectedDialog": tag_selected,
        "LabelsDialog": post("labels"),
        "MergeLetterDialog": post("letter"),
        "BackupDialog": lambda o: BackupDialog(o.services.backup, o.owner),
        "FieldMatrixDialog": lambda o: FieldMatrixDialog(o.services.access, o.owner),
        "CustomFieldsDialog": custom_fields,
        "UserFormDialog": lambda o: UserFormDialog(
            "x", name=True, role=Role.PRIVACY_OFFICER, password=True
        ),
        "UserAdminDialog": lambda o: UserAdminDialog(o.services.auth, o.owner),
        "ConsentDialog": lambda o: ConsentDialog(
            o.services.consent,
            o.services.statements,
            o.owner,
            o.zoe,
            "nl",
            disclosures=o.services.disclosures,
        ),
        "DisclosureDialog": lambda o: DisclosureDialog(
            o.services.disclosures,
            o.services.statements,
            o.owner,
            o.zoe,
            o.services.requests.today(),
        ),
        "MarketingListDialog": lambda o: MarketingListDialog(o.services, o.owner),
        "PurposesDialog": lambda o: PurposesDialog(o.services.statements, o.owner),
        "StatementDialog": lambda o: StatementDialog(o.services.statements, o.owner),
        "ContactEditorDialog": editor,
        "LogActivityDialog": lambda o: LogActivityDialog(
            lambda data: o.services.activities.add(o.owner, o.zoe, data),
            ActivityKind.MEETING,
            o.services.activities.now(),
            find_people=lambda query: o.services.contacts.page(o.owner, query=query),
        ),
        "MainWindow": main_window,
        "NewRequestDialog": new_request,
        "LetterDialog": lambda o: LetterDialog(o.services, o.owner, o.request_info()),
        "RequestsDialog": lambda o: RequestsDialog(o.services, o.owner),
        "CleanupWizard": cleanup,
        "QualityDialog": lambda o: QualityDialog(o.services.quality, o.owner, lambda _id: None),
        "ErasePreviewDialog": lambda o: ErasePreviewDialog(
            o.services.erasure.preview(o.owner, o.zoe)
        ),
        "DatabaseDialog": lambda o: DatabaseDialog(),
        "UpgradeDialog": lambda o: UpgradeDialog(),
        "LanguageDialog": lambda o: LanguageDialog(UiSettings(), "nl"),
        "LoginDialog": lambda o: LoginDialog(o.services.auth),
        "ExportDialog": export,
        "ImportHistoryDialog": lambda o: ImportHistoryDialog(o.services, o.owner),
        "ImportWizard": lambda o: ImportWizard(o.services, o.owner),
        "AccessReportDialog": lambda o: AccessReportDialog(
            o.services.contacts.page(o.owner, limit=1)[0],
            [o.request_info()],
            o.services.requests.today(),
            UiSettings(),
        ),
        "CompaniesDialog": lambda o: CompaniesDialog(o.services, o.owner),
        "DuplicateReviewDialog": lambda o: DuplicateReviewDialog(o.services, o.owner),
        "CompanyMergeDialog": lambda o: CompanyMergeDialog(
            o.services,
            o.owner,
            [
                o.services.companies.add(
                    o.owner,
                    CompanyInput(name=name, legal_form=form, relationship=relationship),
                    SourceInput(SourceKind.BUSINESS_CARD, "Beurs", o.services.requests.today()),
                )
                for name, form, relationship in (
                    ("Brouwerij Het Anker", LegalForm.NV, Relationship.CUSTOMER),
                    ("Het Anker", LegalForm.BV, Relationship.SUPPLIER),
                )
            ],
        ),
        "MergeDialog": lambda o: MergeDialog(
            o.services, o.owner, [c.id for c in o.services.contacts.page(o.owner, limit=2)]
        ),
        "CompanyEditorDialog": lambda o: CompanyEditorDialog(),
        "LinkPersonDialog": lambda o: LinkPersonDialog(
            lambda q: o.services.contacts.page(o.owner, query=q, limit=50),
            "Brouwerij De Halve Maan",
            o.services.requests.today(),
        ),
    }


#: Dialogs this test does not build, and why (each is checked by its own tests).
NOT_BUILT = {
    "ConflictDialog": "shows two people's edits of one contact: tests/ui/contacts",
    "RestoreConfirmDialog": "needs a restore plan of a second database: tests/ui/admin",
    "RecoveryDialog": "shown only when the database file is damaged: tests/ui/startup",
    "FirstRunWizard": "runs before any data exists: tests/ui/test_screenshots.py",
    "EditorFormMixin": "a part of ContactEditorDialog, built as that",
    "EditorFlowMixin": "a part of ContactEditorDialog, built as that",
    "PostFormMixin": "the frame of LabelsDialog and MergeLetterDialog, built as those",
}


def _exercise(qtbot: QtBot, window: QWidget) -> None:
    """Bring out what a window shows only after a step: the register's details of a
    selected request, a built marketing list, a selected contact."""
    from privacycrm_desktop.ui.consent.marketing_dialog import MarketingListDialog
    from privacycrm_desktop.ui.main_window import MainWindow
    from privacycrm_desktop.ui.requests.requests_view import RequestsDialog
    from privacycrm_desktop.ui.retention.cleanup_state import Page
    from privacycrm_desktop.ui.retention.cleanup_wizard import CleanupWizard

    if isinstance(window, RequestsDialog):
        window.view.selectRow(0)
    elif isinstance(window, MarketingListDialog):
        job = window.build()
        assert job is not None
        with qtbot.waitSignal(job.finished, timeout=20_000):
            pass
        assert window.model.rowCount() > 0
    elif isinstance(window, MainWindow):
        window.view.selectRow(0)
    elif isinstance(window, CleanupWizard):
        window.next()  # the review: the contacts and the values past their keep period
        assert window.currentId() == Page.REVIEW
        assert window.review_page.values.rowCount() > 0


# -- what a person reads -------------------------------------------------------------------


def _columns(model: QAbstractItemModel, parent: QModelIndex) -> int:
    try:
        return model.columnCount(parent)
    except TypeError:  # a list model keeps columnCount private in PySide
        return 1


def _model_texts(model: QAbstractItemModel, parent: QModelIndex | None = None) -> Iterator[str]:
    parent = parent or QModelIndex()
    if not parent.isValid():
        for column in range(_columns(model, parent)):
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                title = model.headerData(column, Qt.Orientation.Horizontal, role)
                if isinstance(title, str):
                    yield title
    rows = min(model.rowCount(parent), 300)
    for row in range(rows):
        for column in range(_columns(model, parent)):
            index = model.index(row, column, parent)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.data(index, role)
                if isinstance(value, str):
                    yield value
            if column == 0 and index.isValid() and model.rowCount(index) > 0:
                yield from _model_texts(model, index)


def visible_texts(window: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) for every string the window shows: titles, labels, buttons, tool
    tips, combo items, placeholders and the cells and headers of every item view."""
    yield "title", window.windowTitle()
    if isinstance(window, QWizard):
        for page_id in window.pageIds():
            page = window.page(page_id)
            yield "page title", page.title()
            yield "page subtitle", page.subTitle()
    if isinstance(window, QMainWindow):
        for action in window.findChildren(type(window.menuBar().addAction("x"))):
            yield "action", action.text()
            yield "action tip", action.toolTip()
    for widget in window.findChildren(QWidget):
        kind = type(widget).__name__
        tip = widget.toolTip()
        if tip:
            yield f"{kind} tip", tip
        if isinstance(widget, (QLabel, QAbstractButton)):
            yield kind, widget.text()
        elif isinstance(widget, QGroupBox):
            yield kind, widget.title()
        elif isinstance(widget, QLineEdit):
            yield f"{kind} placeholder", widget.placeholderText()
        elif isinstance(widget, QComboBox):
            for i in range(widget.count()):
                yield kind, widget.itemText(i)
        elif isinstance(widget, QTabWidget):
            for i in range(widget.count()):
                yield kind, widget.tabText(i)
        if (
            isinstance(widget, QAbstractItemView)
            and not isinstance(widget, QHeaderView)  # its titles come with the view's model
            and widget.model() is not None
        ):
            for text in _model_texts(widget.model()):
                yield kind, text


def _raw_code_patterns(language: str) -> list[tuple[str, re.Pattern[str]]]:
    token = r"(?<![\w.]){}(?![\w])"
    patterns = [
        (f"audit action {a.value}", re.compile(token.format(re.escape(a.value))))
        for a in AuditAction
    ]
    patterns += [
        (f"role code {r.value}", re.compile(token.format(re.escape(r.value))))
        for r in Role
        if "_" in r.value
    ]
    # A role code without "_" alone in a cell (not "owner": the demo's owner is called so).
    patterns += [
        (f"role code {r.value}", re.compile(rf"^{re.escape(r.value)}$"))
        for r in Role
        if "_" not in r.value and r is not Role.OWNER
    ]
    patterns += [
        (f"data category {code}", re.compile(rf"(^|, ){re.escape(code)}(,|$)"))
        for code, label in DATA_CATEGORY_LABELS.items()
        if tr_in(language, label) != code
    ]
    patterns += [(f"language code {c}", re.compile(rf"^\s*{c}\s*$")) for c in LANGUAGES]
    patterns += [
        ("snake_case code", re.compile(r"(?<![\w.@/\\{-])[a-z]+(?:_[a-z]+)+(?![\w.@/\\}-])")),
        # Field names listed as stored ("birth date,notes"): people put a space after a comma.
        ("list of codes", re.compile(r"[a-z],[a-z]")),
    ]
    # A code read as a record's number: "Purpose no. customer relationship".
    patterns += [
        (f"code as a number {label}", re.compile(re.escape(numbered) + r"[^\W\d]"))
        for label in ENTITY_LABELS.values()
        if "{id}" in label and (numbered := tr_in(language, label, id="")).rstrip() != numbered
    ]
    # An export's or a field's code as a detail's value ("format: csv", "notes, birth date").
    values = [f.value for f in ExportFormat] + [p.value for p in CsvProfile]
    values += [INTERNAL_RECIPIENT, *(v.value for v in VcardVersion)]
    values += [name.replace("_", " ") for name in FIELDS_BY_NAME if "_" in name]
    patterns += [
        (f"code value {v}", re.compile(rf"(?:\s?:|,) {re.escape(v)}(?:,|\s·|$)")) for v in values
    ]
    # The app's own work named as it is stored ("automatic backup").
    patterns += [
        (f"system actor {a}", re.compile(rf"^{re.escape(a)}$"))
        for a, label in SYSTEM_ACTORS.items()
        if tr_in(language, label) != a
    ]
    patterns += [
        ("record id", re.compile(rf"\b(?:{'|'.join(ENTITY_LABELS)}) \d+|#\d+")),
        ("key=value", re.compile(r"\b[a-z_]{3,}=\S")),
        ("ISO date", re.compile(r"\d{4}-\d{2}-\d{2}")),
    ]
    return patterns


#: Four or more digits that are not a count: a reference (R-2026-0005), a year in a date,
#: a postcode before its town, a phone number or e-mail address, a clock time.
_NOT_COUNTS = re.compile(
    r"R-\d{4}-\d{4}"
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{4}\b"
    r"|\b\d{1,2}\.? [^\W\d]+\.? \d{4}\b"
    r"|\b[^\W\d]+\.? \d{1,2},? \d{4}\b"
    r"|\b[^\W\d]+ \d{4}\b(?! [a-zà-ÿ])"
    r"|\b\d{4} [A-ZÀ-Ý]"
    r"|[+\d][\d ]{8,}\d"
    r"|\S+@\S+"
    r"|\b\d{4}\b(?=\))"
    r"|[\w./\\-]+\.(?:csv|pdf|db|txt|vcf|json|pcrmbak|sqlite)\b"
    # A folder's path (a backup folder under /tmp/pytest-of-x/pytest-1004/...): a name.
    r"|(?<!\S)(?:[A-Za-z]:)?[/\\][^\s/\\]+(?:[/\\][^\s/\\]*)+"
    # The product names of label sheets ("L7160"): names, not counts.
    r"|\b(?:" + "|".join(SHEETS) + r")\b"
)
_UNGROUPED = re.compile(r"(?<![\d.,\u00a0\u202f ])\d{4,}(?![\d.,\u00a0\u202f]\d)")


_TAGS = re.compile(r"<[^>]+>")


def problems_in(texts: Iterator[tuple[str, str]], language: str) -> list[str]:
    patterns = _raw_code_patterns(language)
    found = []
    for where, text in texts:
        if not text:
            continue
        for line in _TAGS.sub("", text).splitlines():
            for name, pattern in patterns:
                if pattern.search(line):
                    found.append(f"{where}: {name}: {line!r}")
            numbers = _UNGROUPED.search(_NOT_COUNTS.sub(" ", line))
            if numbers:
                found.append(f"{where}: unformatted number {numbers.group()}: {line!r}")
    return found


# -- the tests -----------------------------------------------------------------------------


def test_every_window_class_is_built_or_says_why_not() -> None:
    names = {cls.__name__ for cls in window_classes()}
    assert names == set(_builders()) | set(NOT_BUILT), (
        f"no way to build: {sorted(names - set(_builders()) - set(NOT_BUILT))}; "
        f"gone: {sorted(set(_builders()) | set(NOT_BUILT) - names)}"
    )


def test_the_checks_catch_what_they_are_for() -> None:
    bad = [
        ("a", "user.deactivate"),
        ("b", "app_user 4"),
        ("c", "role=privacy_officer"),
        ("d", "Contacts: #2001"),
        ("e", "nl"),
        ("f", "30820 verlopen"),
        ("g", "2026-03-01 10:00"),
        ("h", "identity, contact"),
        ("i", "Doeleinde nr. customer_relationship"),
        ("j", "Doeleinde nr. customer relationship"),
        ("k", "formaat: csv · variant: privacycrm · ontvanger: internal"),
        ("l", "restricted: birth date,notes"),
        ("m", "automatic backup"),
        ("n", "variante\u00a0: 4.0"),
    ]
    assert len({p.split(":")[0] for p in problems_in(iter(bad), "nl")}) == len(bad)
    good = [
        ("a", "30.820 verlopen"),
        ("b", "R-2026-0005"),
        ("c", "2 maart 2026 om 10:00"),
        ("d", "Place Saint-Lambert 1, 4000 Liège"),
        ("e", "+32 475 12 34 56"),
        ("f", "Gebruiker gedeactiveerd"),
        ("g", "12/03/2026"),
        ("h", "formaat: vCard (adresboek) · variant: vCard 4.0 (huidige adresboeken)"),
        ("i", "Doeleinde: customer relationship"),
        ("j", "C:\\Users\\petra\\my_files\\zoe.csv"),
        ("k", "Map: /tmp/pytest-of-root/pytest-1004/test_backup0/backups"),
        ("l", "D:\\Back-ups 2026\\crm"),
    ]
    assert problems_in(iter(good), "nl") == []


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_no_window_shows_a_raw_code_or_unformatted_number(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path, language: str
) -> None:
    office = Office(services, owner, tmp_path)
    apply_language(language)
    problems: list[str] = []
    for name, build in _builders().items():
        window = build(office)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        _exercise(qtbot, window)
        problems += [f"{name}: {p}" for p in problems_in(visible_texts(window), language)]
        if name in ("AuditViewerDialog", "NewRequestDialog"):
            window.resize(1024, 600)
            save(window, f"{language}-words-{name}")
        window.close()
    assert not problems, "\n".join(problems)


class MarkupOffice(Office):
    """The office with a contact named in markup (an outside attack's ``<b>Bold</b>``)."""

    FIRST_NAME, LAST_NAME = "<b>Zoë</b>", "<img src=x> &amp; <i>it</i>"


def test_markup_in_a_name_is_shown_as_typed(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    """Every window that names the contact shows ``<b>`` as typed: no label, whatever
    window it is in, lets Qt read the name as markup (its title in bold, its image
    fetched, the erasure confirmation naming someone else)."""
    office = MarkupOffice(services, owner, tmp_path)
    apply_language("en")
    rendered: list[str] = []
    named = 0
    for name, build in _builders().items():
        window = build(office)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        _exercise(qtbot, window)
        for label in window.findChildren(QLabel):
            text = label.text()
            if "<img src=x>" not in text:
                continue
            named += 1
            shown_as_markup = label.textFormat() == Qt.TextFormat.RichText or (
                label.textFormat() == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text)
            )
            if shown_as_markup:
                rendered.append(f"{name}: {label.objectName() or type(label).__name__}: {text}")
        window.close()
    assert named >= 3  # the windows that name her were found
    assert not rendered, "\n".join(rendered)
