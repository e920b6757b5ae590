"""The main window: search, the contact list, and the actions on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QToolTip,
    QWidget,
)

from privacycrm_desktop.domain.access import ROLE_LABELS, Permission, has_permission
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _, describe_error, format_number, ngettext
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.admin.admin_windows import AdminWindowsMixin
from privacycrm_desktop.ui.admin.custom_fields_entry import add_custom_fields_entry
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.settings import UiSettings
from privacycrm_desktop.ui.common.window_size import capped, screen_room
from privacycrm_desktop.ui.companies.menu import add_companies_entry
from privacycrm_desktop.ui.consent.marketing_menu import add_marketing_menu
from privacycrm_desktop.ui.contacts.contact_table_model import Column, ContactTableModel
from privacycrm_desktop.ui.contacts.contact_table_view import ContactTableView
from privacycrm_desktop.ui.contacts.workspace import WorkspaceMixin, office_country
from privacycrm_desktop.ui.post.post_menu import add_post_actions
from privacycrm_desktop.ui.requests.access_report_action import add_action as add_access_report
from privacycrm_desktop.ui.requests.requests_menu import add_requests_menu
from privacycrm_desktop.ui.retention.retention_actions import add_retention_actions
from privacycrm_desktop.ui.startup import lock_switches as locks
from privacycrm_desktop.ui.startup.first_paint import FirstPaintMixin
from privacycrm_desktop.ui.startup.idle import IdleClock, IdleWatcher
from privacycrm_desktop.ui.startup.lock_screen import LockScreen
from privacycrm_desktop.ui.startup.start_choices import StartChoicesMixin
from privacycrm_desktop.ui.startup.window_lock import WindowLockMixin
from privacycrm_desktop.ui.tags.tag_menu import add_tag_actions
from privacycrm_desktop.ui.tasks.menu import add_task_actions

if TYPE_CHECKING:
    from privacycrm_desktop.ui.consent.consent_panel import ConsentDialog
    from privacycrm_desktop.ui.contacts.change_watch import ChangeWatcher
    from privacycrm_desktop.ui.retention.retention_actions import RetentionActions

#: Each list column's width in average characters (name and e-mail also take the extra width).
COLUMN_CHARS = {
    Column.NAME: 26,
    Column.ORGANISATION: 24,
    Column.EMAIL: 31,
    Column.PHONE: 18,
    Column.CITY: 17,
    Column.RELATIONSHIP: 19,
    Column.KEEP_UNTIL: 18,
}

#: Results must show within 100 ms of the last keystroke: a short pause (so typing is not
#: interrupted) plus one search (median 12 ms, worst 42 ms on a million contacts, bench/).
SEARCH_DELAY_MS = 50


class MainWindow(
    AdminWindowsMixin,
    StartChoicesMixin,
    WorkspaceMixin,
    FirstPaintMixin,
    WindowLockMixin,
    QMainWindow,
):
    """Search and browse contacts; open, create and save them through the services."""

    #: Rows chosen or let go, Ctrl+A, the list reloaded or the window locked: the actions
    #: on a selection (export, tags, labels, letters) enable themselves on it.
    selection_changed = Signal()
    #: Follows other desks' changes once started (start_change_watch).
    change_watch: ChangeWatcher | None = None
    #: The contact list (the workspace and the lock use it).
    model: ContactTableModel
    #: The expiry counts, erase and cleanup (its own feature package).
    retention: RetentionActions

    def __init__(
        self,
        services: Services,
        actor: Actor,
        settings: UiSettings | None = None,
        idle_clock: IdleClock | None = None,
    ) -> None:
        super().__init__()
        self._services = services
        self._actor = actor
        self._settings = settings
        self.start_first_paint_watch()
        self.setWindowTitle(_("PrivacyCRM"))

        self.home_country = office_country(services)
        self.model = ContactTableModel(
            services.contacts, actor, self, home_country=self.home_country
        )
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("Search by name, organisation, e-mail, phone or place"))
        self.search.setClearButtonEnabled(True)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(self.search_timer.start)

        self.view = ContactTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.view.horizontalHeader().sortIndicatorChanged.connect(self._on_sort_indicator)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Shift/Ctrl+click, Ctrl+A: kept as row ranges (a million rows selected fetch none).
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        self._size_columns()
        self.view.doubleClicked.connect(self.open_index)
        self.view.activated.connect(self.open_index)
        self.view.follow_field_access(self._services.contacts.field_access(self._actor))

        central = self._make_workspace()
        self._make_lock(central, idle_clock)

        self.count_label = QLabel()
        self.statusBar().addWidget(self.count_label, 1)
        user = QLabel(
            _("Signed in as {user} ({role})").format(
                user=actor.username, role=_(ROLE_LABELS[actor.role])
            )
        )
        self.statusBar().addPermanentWidget(user)
        self._make_actions()
        add_marketing_menu(self, services, actor)
        self.requests_menu = add_requests_menu(self, services, actor, self.after_first_paint)
        self.retention = add_retention_actions(self, services, actor, self.after_first_paint)
        self.model.modelReset.connect(self.update_count)
        self._connect_workspace()
        self.update_count()
        self._restore_geometry()
        # The list, or on an empty database the sentence in its place: whichever paints.
        self.watch_first_paint(self.view, self.empty_state)

    def _size_columns(self) -> None:
        # Widths in characters: the row fits a 1000-pixel window, keep-until date in view.
        header = self.view.horizontalHeader()
        header.setDefaultSectionSize(180)
        char = self.view.fontMetrics().averageCharWidth()
        for column, chars in COLUMN_CHARS.items():
            # The title fits too ("Conserver jusqu'au"), with its margins and sort arrow.
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            needed = header.fontMetrics().horizontalAdvance(title) + 4 * char
            fits = header.sectionSizeFromContents(column).width()
            self.view.setColumnWidth(column, max(chars * char, needed, fits))

    def _make_lock(self, central: QWidget, idle_clock: IdleClock | None) -> None:
        # The lock screen takes the list's place; the list's model is emptied meanwhile.
        self.lock_screen = LockScreen(self._services.auth, self._actor)
        self.lock_screen.unlocked.connect(self.unlock)
        self._before_lock: dict[locks.Switch, bool] = {}
        self._hidden_by_lock: list[QDialog] = []
        self.pages = QStackedWidget()
        self.pages.addWidget(central)
        self.pages.addWidget(self.lock_screen)
        self.setCentralWidget(self.pages)
        timeout = self._services.auth.idle_timeout()
        self.idle = IdleWatcher(timeout, self.lock, idle_clock, self)

    def _make_actions(self) -> None:
        self.new_action = QAction(_("&New contact..."), self)
        self.new_action.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.new_action.triggered.connect(self.new_contact)
        self.new_action.setEnabled(has_permission(self._actor.role, Permission.CREATE_CONTACTS))
        self.open_action = QAction(_("&Open contact"), self)
        self.open_action.setShortcuts([QKeySequence(Qt.Key.Key_Return)])
        self.open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.open_action.triggered.connect(self.open_current)
        self.view.addAction(self.open_action)
        self.find_action = QAction(_("&Find"), self)
        self.find_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        self.find_action.triggered.connect(self.focus_search)
        self.quit_action = QAction(_("&Quit"), self)
        self.quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        self.quit_action.triggered.connect(self.close)

        self.language_action = QAction(_("&Language..."), self)
        self.language_action.triggered.connect(self.choose_language)
        self.database_action = QAction(_("&Database..."), self)
        self.database_action.triggered.connect(self.choose_database)

        file_menu = self.menuBar().addMenu(_("&File"))
        self._add_import_actions(file_menu)
        file_menu.addAction(self.language_action)
        if has_permission(self._actor.role, Permission.EDIT_SETTINGS):
            file_menu.addAction(self.database_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.contacts_menu = self.menuBar().addMenu(_("&Contacts"))
        for action in (self.new_action, self.open_action, self.find_action):
            self.contacts_menu.addAction(action)
        self._add_export_action()
        self.access_report_action = add_access_report(self, self._actor)
        self.companies_action = add_companies_entry(
            self, self.contacts_menu, self._services, self._actor
        )
        self.addAction(self.find_action)
        self._make_admin_actions()
        services = self._services  # custom fields, tags, tasks (Ctrl+D: My day), the post:
        self.custom_fields_action = add_custom_fields_entry(
            self, self.admin_menu, services, self._actor
        )
        self.tag_actions = add_tag_actions(self, services, self._actor)
        self.task_actions = add_task_actions(self, services, self._actor)
        self.post_actions = add_post_actions(self, services, self._actor)

    def _make_admin_actions(self) -> None:
        """Administration entries, only for the roles that may use them."""
        role = self._actor.role
        self.users_action = QAction(_("&Users..."), self)
        self.users_action.triggered.connect(self.open_users)
        self.matrix_action = QAction(_("&Field access per role..."), self)
        self.matrix_action.triggered.connect(self.open_field_matrix)
        self.audit_action = QAction(_("&Audit trail..."), self)
        self.audit_action.triggered.connect(self.open_audit)
        self.lock_action = QAction(_("&Lock now"), self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(self.lock)
        self.idle_action = QAction(_("&Idle lock time..."), self)
        self.idle_action.triggered.connect(self.ask_idle_time)
        self.backups_action = QAction(_("&Backups..."), self)
        self.backups_action.triggered.connect(self.open_backups)
        self.duplicates_action = QAction(_("&Duplicates..."), self)
        self.duplicates_action.triggered.connect(self.open_duplicates)
        allowed = [
            (self.users_action, has_permission(role, Permission.MANAGE_USERS)),
            (self.matrix_action, has_permission(role, Permission.EDIT_FIELD_MATRIX)),
            (self.audit_action, has_permission(role, Permission.VIEW_AUDIT)),
            (self.idle_action, has_permission(role, Permission.EDIT_SETTINGS)),
            (self.backups_action, has_permission(role, Permission.BACKUP)),
            (self.duplicates_action, has_permission(role, Permission.MERGE_CONTACTS)),
        ]
        self.admin_menu = None
        if any(ok for _action, ok in allowed):
            self.admin_menu = self.menuBar().addMenu(_("&Administration"))
            for action, ok in allowed:
                if ok:
                    self.admin_menu.addAction(action)
        self.contacts_menu.addSeparator()
        self.contacts_menu.addAction(self.lock_action)
        self.addAction(self.lock_action)

    # -- behaviour ----------------------------------------------------------------------

    def focus_search(self) -> None:
        """Put the cursor in the search field, its text selected."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def apply_search(self) -> None:
        """Filter the list by the search text (from two characters; fewer shows all)."""
        self.search_timer.stop()
        self.model.set_query(self.search.text())

    def update_count(self) -> None:
        """Show how many contacts the list holds, with the locale's digit grouping; an
        empty list says why and what to do."""
        count = self.model.rowCount()
        number = format_number(count)
        self.count_label.setText(
            ngettext("{count} contact", "{count} contacts", count).format(count=number)
        )
        self._show_empty_state(count)

    def _on_sort_indicator(self, column: int, order: Qt.SortOrder) -> None:
        if not self.model.is_sortable(column):
            # Only indexed columns sort: put the indicator back where the rows are.
            header = self.view.horizontalHeader()
            current = (
                Qt.SortOrder.DescendingOrder
                if self.model.descending
                else Qt.SortOrder.AscendingOrder
            )
            header.blockSignals(True)
            header.setSortIndicator(int(self.model.sort_column), current)
            header.blockSignals(False)
            # Said, not silently ignored: the click did nothing, and this is why; beside
            # the title clicked (the status bar's count and expiry links stay in view).
            middle = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
            at = header.mapToGlobal(QPoint(middle, header.height()))
            QToolTip.showText(at, self.model.unsortable_note(column), header)

    def open_current(self) -> None:
        """Open the selected contact."""
        self.open_index(self.view.currentIndex())

    def open_index(self, index: QModelIndex) -> None:
        """Open the contact on *index*'s row in the editor."""
        contact = self.model.contact_at(index.row()) if index.isValid() else None
        if contact is not None:
            self.edit_contact(contact.id)

    def new_contact(self) -> None:
        """Open an empty editor."""
        self.edit_contact(None)

    def edit_contact(self, contact_id: int | None) -> QDialog | None:
        """The editor (modal; imported on first use), then the saved or "Open it" contact."""
        from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog

        try:
            dialog = ContactEditorDialog(
                self._services.contacts,
                self._actor,
                contact_id,
                self,
                open_consent=self.open_consent,
                scan_notes=self._services.disclosures.scan_text,
                consent=self._services.consent,
                statements=self._services.statements,
                home_country=office_country(self._services),
                links=(self._services.companies, self._services.tags, self._services.clock),
            )
        except DomainError as exc:
            messages.warning(self, _("PrivacyCRM"), describe_error(exc))
            return None
        saved: list[int] = []
        dialog.contact_saved.connect(saved.append)
        dialog.exec()
        if saved:
            self.model.refresh()
            self.select_contact(saved[-1])
        if dialog.open_instead is not None:
            self.select_contact(dialog.open_instead)
            self.edit_contact(dialog.open_instead)
        return dialog

    def select_contact(self, contact_id: int, scan: int = 2000) -> bool:
        """Select and show *contact_id* when it is among the list's first *scan* rows; else
        show it on the card all the same, nothing selected in the list (a contact just
        saved whose name sorts past them: at 100,000 contacts the card said "Choose a
        contact" after Save). True when it was selected in the list."""
        for row in range(min(self.model.rowCount(), scan)):
            contact = self.model.contact_at(row)
            if contact is not None and contact.id == contact_id:
                index = self.model.index(row, 0)
                self.view.setCurrentIndex(index)
                self.view.scrollTo(index)
                return True
        self.view.clearSelection()
        self.card.show_contact(contact_id)
        return False

    def open_consent(self, contact_id: int, language: str) -> ConsentDialog:
        """Open the contact's "Consent & marketing" dialog (modal)."""
        from privacycrm_desktop.ui.consent.consent_panel import ConsentDialog

        dialog = ConsentDialog(
            self._services.consent,
            self._services.statements,
            self._actor,
            contact_id,
            language,
            self,
            disclosures=self._services.disclosures,
        )
        dialog.exec()
        return dialog

    # -- export -------------------------------------------------------------------------

    def _add_export_action(self) -> None:
        """Contacts > Export selected... (Ctrl+E), for the roles that may export."""
        self.export_action = QAction(_("&Export selected..."), self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.triggered.connect(self.export_selected)
        self._may_export = has_permission(self._actor.role, Permission.EXPORT)
        if self._may_export:
            self.contacts_menu.addAction(self.export_action)
            self.addAction(self.export_action)
        self.view.selectionModel().selectionChanged.connect(
            lambda *_args: self._update_export_action()
        )
        self.model.modelReset.connect(self._update_export_action)
        self.model.layoutChanged.connect(self._update_export_action)
        self._update_export_action()

    def _update_export_action(self) -> None:
        selected = self.view.selectionModel().hasSelection() or self.all_matching
        self.export_action.setEnabled(self._may_export and selected and not self.locked)
        self.selection_changed.emit()

    def export_selected(self) -> QDialog | None:
        """Open the export dialog for the selected contacts."""
        from privacycrm_desktop.ui.transfer.export_dialog import ExportDialog
        from privacycrm_desktop.ui.transfer.selection import selected_contacts

        selection = selected_contacts(self)
        if not self._may_export or selection is None:
            return None
        dialog = ExportDialog(self._services, self._actor, selection, self)
        dialog.exported.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        dialog.open()
        return dialog

    # -- import -------------------------------------------------------------------------

    def _add_import_actions(self, menu: QMenu) -> None:
        """File > Import contacts... (Ctrl+I) and Import history..., for who may import."""
        self.import_action = QAction(_("&Import contacts..."), self)
        self.import_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_action.triggered.connect(self.open_import)
        self.import_history_action = QAction(_("Import &history..."), self)
        self.import_history_action.triggered.connect(self.open_import_history)
        if has_permission(self._actor.role, Permission.IMPORT):
            menu.addAction(self.import_action)
            menu.addAction(self.import_history_action)
            menu.addSeparator()
            self.addAction(self.import_action)
        else:
            self.import_action.setEnabled(False)

    def _contacts_changed(self) -> None:
        self.model.refresh()
        self.retention.update()

    def open_import(self) -> QDialog:
        """The import wizard; the list follows each import and undo."""
        from privacycrm_desktop.ui.transfer.import_wizard import ImportWizard

        wizard = ImportWizard(self._services, self._actor, self)
        wizard.contacts_changed.connect(self._contacts_changed)
        wizard.open()
        return wizard

    def open_import_history(self) -> QDialog:
        """The past imports, with "Undo import"."""
        from privacycrm_desktop.ui.transfer.import_history import ImportHistoryDialog

        dialog = ImportHistoryDialog(self._services, self._actor, self)
        dialog.contacts_changed.connect(self._contacts_changed)
        dialog.open()
        return dialog

    # -- administration -----------------------------------------------------------------

    def refresh_list(self) -> None:
        """Show the contact list anew."""
        self.model.refresh()

    def ask_idle_time(self) -> None:
        """Ask after how many idle minutes the window locks (a business setting)."""
        from privacycrm_desktop.services.auth_idle import MAX_IDLE_MINUTES

        current = int(self._services.auth.idle_timeout().total_seconds() // 60)
        minutes, ok = QInputDialog.getInt(
            self,
            _("Idle lock time"),
            _("Lock the window after this many minutes without activity:"),
            current,
            1,
            MAX_IDLE_MINUTES,
        )
        if not ok:
            return
        try:
            self._services.auth.set_idle_timeout(self._actor, minutes)
        except DomainError as exc:
            messages.warning(self, _("PrivacyCRM"), describe_error(exc))
            return
        self.idle.set_timeout(self._services.auth.idle_timeout())

    # -- the idle lock ------------------------------------------------------------------

    def start_idle_lock(self) -> None:
        """Start watching for activity (the app does this once the window shows)."""
        app = QApplication.instance()
        if app is not None:
            self.idle.start(app)

    # -- other desks --------------------------------------------------------------------

    def start_change_watch(self, poll_interval: float | None = None) -> None:
        """Follow contacts changed on other desks (the app starts it after showing)."""
        from privacycrm_desktop.ui.contacts.change_watch import ChangeWatcher

        if self.change_watch is None:
            self.change_watch = ChangeWatcher(self, self._services, self._actor)
        self.change_watch.start(poll_interval)

    # -- window state -------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        saved = self._settings.geometry("main") if self._settings else None
        if saved is not None and self.restoreGeometry(saved):
            # Saved on a bigger screen (or a docked laptop): shrink onto this one.
            if not self.isMaximized():
                self.resize(capped(self.size(), self))
            return
        # First start: 1000 x 640, or what the screen holds (a 1024 x 600 netbook), with
        # room left for the title bar, so the status bar is never below the screen's edge.
        self.resize(QSize(1000, 640).boundedTo(screen_room(self)))

    def open_backups(self) -> None:
        """The Backups dialog; after a restore the app closes (no backup at closing)."""
        from privacycrm_desktop.ui.admin.automatic_backup import AutomaticBackups
        from privacycrm_desktop.ui.admin.backup_dialog import BackupDialog

        watching = self.change_watch is not None and self.change_watch.running
        if self.change_watch is not None:
            self.change_watch.stop()  # its connection would hold the file a restore swaps
        dialog = BackupDialog(self._services.backup, self._actor, self)
        dialog.exec()
        if dialog.restored is not None:
            for automatic in self.findChildren(AutomaticBackups):
                automatic.done = True
            self.close()
        elif watching:
            self.start_change_watch()

    def export_access_report_for_selected(self) -> QDialog | None:
        """The access report of the contact selected in the list (Ctrl+R)."""
        from privacycrm_desktop.ui.requests import access_report_dialog as access_report

        return access_report.for_selected(self, self._services, self._actor, self._settings)

    def closeEvent(self, event: QCloseEvent) -> None:
        app = QApplication.instance()
        if app is not None:
            self.idle.stop(app)
        if self.change_watch is not None:
            self.change_watch.stop()
        if self._settings is not None:
            self._settings.set_geometry("main", self.saveGeometry())
            self._save_workspace_state(self._settings)
        super().closeEvent(event)
