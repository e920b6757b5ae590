"""The main window's workspace: the list with its saved views, the card of the selected
contact, the empty states, the keyboard path between search and list, and the selection
by query.

Kept apart from ``main_window`` (a mixin of it) so the window's other parts stay small.

Selecting all (Ctrl+A) selects no model row: it sets ``all_matching``, meaning "every
contact the search and the view give", which is instant at a million contacts; the export
then takes the whole list as the service pages it, off the UI thread.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QByteArray, QEvent, QItemSelectionModel, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.consent import ConsentMethod
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.normalize import DEFAULT_REGION
from privacycrm_desktop.i18n import _, describe_error, format_number, ngettext
from privacycrm_desktop.services.dto import ContactFilter, ListFilter
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.mnemonics import assign_mnemonics, mnemonic_of
from privacycrm_desktop.ui.common.row_ranges import row_count
from privacycrm_desktop.ui.contacts.contact_card import ContactCardWidget
from privacycrm_desktop.ui.contacts.contact_table_model import Column
from privacycrm_desktop.ui.contacts.list_views import EmptyState, SelectionBanner, ViewChooser
from privacycrm_desktop.ui.tags.tag_filter import TagFilter

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtWidgets import QLineEdit

    from privacycrm_desktop.services.dto import Actor
    from privacycrm_desktop.services.registry import Services
    from privacycrm_desktop.ui.common.settings import UiSettings
    from privacycrm_desktop.ui.contacts.contact_table_model import ContactTableModel
    from privacycrm_desktop.ui.contacts.contact_table_view import ContactTableView

    _Base = QMainWindow
else:
    _Base = object

#: Narrower than this, the card goes below the list instead of beside it.
CARD_BESIDE_MIN_WIDTH = 1100
#: The card follows the current row after this pause (arrow keys held down read none).
CARD_DELAY_MS = 40
#: Columns that take the window's extra width (a maximised window), in this order.
STRETCHED = (Column.NAME, Column.EMAIL)
_WIDTHS_KEY = "main/columns"


def office_country(services: Services) -> str:
    """The office's country (numbers shown nationally), Belgium before the set-up."""
    try:
        return services.setup.company().home_country
    except DomainError:
        return DEFAULT_REGION


class _Retention(Protocol):
    """What the workspace uses of the window's retention part (a feature of its own)."""

    status: QLabel

    def erase(self) -> object: ...


class _SearchKeys(QObject):
    """Down or Enter in the search field: on to the list's first row."""

    def __init__(self, go_to_list: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._go_to_list = go_to_list

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            keys = (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter)
            if event.key() in keys and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
                self._go_to_list()
                return True
        return False


class WorkspaceMixin(_Base):
    """The list's surroundings in the main window (``MainWindow`` provides the rest)."""

    _services: Services
    _actor: Actor
    _settings: UiSettings | None
    home_country: str
    model: ContactTableModel
    view: ContactTableView
    search: QLineEdit
    retention: _Retention

    if TYPE_CHECKING:

        def after_first_paint(self, job: Callable[[], object]) -> None:
            """The window's (``FirstPaintMixin``)."""

    #: The texts the Alt+letters were given to, as they were before.
    _mnemonic_texts: dict[QLabel | QAbstractButton, str]
    #: Every contact of the search and view is selected (no model row is).
    all_matching: bool = False
    #: The list's own colours while all rows show as selected.
    _list_palette: QPalette | None = None
    #: The search and view of the selection by query.
    _matching_key: tuple[str, ListFilter, int | None] | None = None

    # -- building -----------------------------------------------------------------------

    def _make_workspace(self) -> QWidget:
        """The search row, the banner, the list (or its empty state) and the card."""
        self._mnemonic_texts = {}
        self.search_label = QLabel(_("&Search:"))
        self.search_label.setBuddy(self.search)
        self.view_chooser = ViewChooser(self._services.contacts.filters(self._actor))
        self.view_label = QLabel(_("S&how:"))
        self.view_label.setBuddy(self.view_chooser)
        top = QHBoxLayout()
        top.addWidget(self.search_label)
        top.addWidget(self.search, 1)
        top.addWidget(self.view_label)
        top.addWidget(self.view_chooser)
        #: The tag filter, for a role that may see who carries a tag.
        self.tag_filter: TagFilter | None = None
        self.tag_label = QLabel(_("Tagged:"))
        if self._services.tags.readable(self._actor):
            self.tag_filter = TagFilter(self._services.tags, self._actor)
            self.tag_label.setBuddy(self.tag_filter)
            top.addWidget(self.tag_label)
            top.addWidget(self.tag_filter)
        self.selection_banner = SelectionBanner()
        self.empty_state = EmptyState()
        self.list_pages = QStackedWidget()
        self.list_pages.addWidget(self.view)
        self.list_pages.addWidget(self.empty_state)
        self.card = ContactCardWidget(
            self._services.contacts,
            self._actor,
            self.home_country,
            available=self._card_action_available,
            # Its interactions: made right after the first paint (``_make_card_timeline``).
            activities=lambda: self._services.activities,
        )
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("main_splitter")
        self.splitter.addWidget(self.list_pages)
        self.splitter.addWidget(self.card)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.card.setMinimumWidth(self.fontMetrics().averageCharWidth() * 30)
        self.card.setMinimumHeight(self.fontMetrics().height() * 6)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(self.selection_banner)
        layout.addWidget(self.splitter, 1)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        for column in STRETCHED:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        # The stretched ones never narrower than their titles (with the sort arrow).
        fits = max(header.sectionSizeFromContents(column).width() for column in STRETCHED)
        header.setMinimumSectionSize(fits)
        self._make_column_chooser()
        return central

    def _make_column_chooser(self) -> None:
        """The header's menu choosing the columns: the custom fields' columns (the owner's
        fields the role sees) start hidden, a click on one shows it."""
        header = self.view.horizontalHeader()
        for number in range(len(self.model.custom_fields)):
            self.view.setColumnHidden(len(Column) + number, True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda point: self.column_menu().exec(header.mapToGlobal(point))
        )

    def column_menu(self) -> QMenu:
        """A checkable entry per column but the name; toggling one shows or hides it."""
        menu = QMenu(self.view)
        for column in range(1, self.model.columnCount()):
            title = self.model.headerData(column, Qt.Orientation.Horizontal)
            action = menu.addAction(str(title))
            action.setCheckable(True)
            action.setChecked(not self.view.isColumnHidden(column))
            action.toggled.connect(lambda shown, c=column: self.view.setColumnHidden(c, not shown))
        return menu

    def _connect_workspace(self) -> None:
        """Signals and shortcuts, once the window's actions exist."""
        self.view_chooser.view_chosen.connect(self.apply_view)
        if self.tag_filter is not None:
            self.tag_filter.tag_chosen.connect(self.apply_tag)
        selection = self.view.selectionModel()
        selection.selectionChanged.connect(lambda *_args: self._selection_changed())
        self.card_timer = QTimer(self)
        self.card_timer.setSingleShot(True)
        self.card_timer.setInterval(CARD_DELAY_MS)
        self.card_timer.timeout.connect(self.show_card_of_current)
        selection.currentRowChanged.connect(lambda *_args: self.card_timer.start())
        self.model.modelReset.connect(self._list_changed)
        self.model.layoutChanged.connect(self._order_changed)
        self.card.action.connect(self._card_action)
        self.card.company_chosen.connect(self.open_company)
        self.selection_banner.clear_requested.connect(self.clear_all_matching)
        self.search_keys = _SearchKeys(self.go_to_list, self)
        self.search.installEventFilter(self.search_keys)
        self.view.select_all_callback = self.select_all_matching
        self.view.escape_callback = self._back_to_search
        self.retention.status.linkActivated.connect(self.apply_status_link)
        self._assign_mnemonics()
        self._restore_workspace_state()
        self.after_first_paint(self._make_card_timeline)
        self.after_first_paint(self.model.read_bookmarks_ahead)

    def _make_card_timeline(self) -> None:
        """The card's interactions, not needed by the first paint: made right after it,
        their button's Alt+letter then given with the others."""
        if self.card.timeline is not None:
            self._assign_mnemonics()

    def _assign_mnemonics(self) -> None:
        """Alt+letter unique in the window, in its language: the menus keep theirs, then
        the search row's labels, the card's buttons and the banner's take free letters."""
        menus = [mnemonic_of(action.text()) for action in self.menuBar().actions()]
        widgets: list[QLabel | QAbstractButton] = [self.search_label, self.view_label]
        if self.tag_filter is not None:
            widgets.append(self.tag_label)
        widgets += [*self.card.buttons.values(), self.selection_banner.clear_button]
        if self.card.timeline_made is not None:
            widgets.append(self.card.timeline_made.log_button)
        # Again once the card's interactions are made (after the first paint): from the
        # texts as they were, so the letters come out as if all had been there at once.
        for widget in widgets:
            text = self._mnemonic_texts.setdefault(widget, widget.text())
            widget.setText(text)
        assign_mnemonics(widgets, [m for m in menus if m])

    def _taken_letters(self) -> list[str]:
        """The Alt+letters the window's menus, labels and buttons use."""
        texts = [action.text() for action in self.menuBar().actions()]
        texts += [self.search_label.text(), self.view_label.text(), self.tag_label.text()]
        texts += [button.text() for button in self.card.buttons.values()]
        texts.append(self.selection_banner.clear_button.text())
        if self.card.timeline_made is not None:
            texts.append(self.card.timeline_made.log_button.text())
        return [m for m in (mnemonic_of(t) for t in texts) if m]

    # -- views and the search -----------------------------------------------------------

    def apply_view(self, view: ListFilter) -> None:
        """Show the contacts of the saved *view* (with the search text)."""
        if self.view_chooser.chosen() != view:
            self.view_chooser.set_view(view)  # comes back here through view_chosen
            return
        self.model.set_view(view)

    def apply_tag(self, tag_id: int | None) -> None:
        """Show only the contacts carrying the tag *tag_id* (None: any), with the search
        and the view."""
        if self.tag_filter is not None and self.tag_filter.chosen() != tag_id:
            self.tag_filter.set_tag(tag_id)  # comes back here through tag_chosen
            return
        self.model.set_tag(tag_id)

    def apply_status_link(self, link: str) -> None:
        """A count in the status bar was clicked ("expired", "expiring"): show them
        (not while locked: the list stays empty until the password is given)."""
        if self.locked:  # type: ignore[attr-defined]
            return
        self.apply_view(ListFilter(ContactFilter(link)))

    def clear_search(self) -> None:
        """Empty the search field and show the view's contacts at once."""
        self.search.clear()
        self.apply_search()  # type: ignore[attr-defined]
        self.search.setFocus()

    def show_all(self) -> None:
        """Back to every contact: no view, no tag, no search."""
        self.apply_view(ListFilter())
        self.apply_tag(None)
        self.clear_search()

    def go_to_list(self) -> None:
        """From the search field to the list's first row (Down or Enter)."""
        self.apply_search()  # type: ignore[attr-defined]
        if self.model.rowCount() == 0:
            return
        column = next((c for c in Column if not self.view.isColumnHidden(c)), Column.KEEP_UNTIL)
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        flags = QItemSelectionModel.SelectionFlag
        self.view.selectionModel().setCurrentIndex(
            self.model.index(0, column), flags.ClearAndSelect | flags.Rows
        )

    def _back_to_search(self) -> None:
        self.focus_search()  # type: ignore[attr-defined]

    def _show_empty_state(self, count: int) -> None:
        """The list, or when it has no row, why and what to do."""
        if count:
            self.list_pages.setCurrentWidget(self.view)
            return
        actions: list[tuple[str, Callable[[], object]]] = []
        query = self.model.query
        if query or self.model.view.active or self.model.tag is not None:
            if query:
                text = _("No contact matches “{query}”.").format(query=query)
                actions.append((_("&Clear the search"), self.clear_search))
            elif self.model.view.active:
                text = _("No contact in this view.")
            else:
                text = _("No contact carries this tag.")
            if self.model.view.active or self.model.tag is not None:
                actions.append((_("Show &all contacts"), self.show_all))
        else:
            text = _("No contacts yet: New contact (Ctrl+N) or Import…")
            if has_permission(self._actor.role, Permission.CREATE_CONTACTS):
                actions.append((_("&New contact..."), self.new_contact))  # type: ignore[attr-defined]
            if has_permission(self._actor.role, Permission.IMPORT):
                actions.append((_("&Import contacts..."), self.open_import))  # type: ignore[attr-defined]
        self.empty_state.show_message(text, actions)
        assign_mnemonics(self.empty_state.action_buttons, self._taken_letters())
        self.list_pages.setCurrentWidget(self.empty_state)

    # -- the selection by query -----------------------------------------------------------

    def select_all_matching(self) -> None:
        """Ctrl+A: every contact of the search and view, without selecting model rows."""
        count = self.model.rowCount()
        if count == 0:
            return
        self.view.selectionModel().clearSelection()
        self.all_matching = True
        self._matching_key = (self.model.query, self.model.view, self.model.tag)
        self._show_all_matching()

    def _show_all_matching(self) -> None:
        count = self.model.rowCount()
        self.selection_banner.label.setText(
            ngettext(
                "{count} contact in the list is selected.",
                "All {count} contacts in the list are selected.",
                count,
            ).format(count=format_number(count))
        )
        self.selection_banner.show()
        # The rows look selected (a million of them are not, one by one).
        if self._list_palette is None:
            self._paint_all_selected()
        self.card.show_nothing(
            ngettext("{count} contact selected.", "{count} contacts selected.", count).format(
                count=format_number(count)
            )
        )
        self._update_export_action()  # type: ignore[attr-defined]

    def _paint_all_selected(self) -> None:
        palette = self.view.palette()
        self._list_palette = QPalette(palette)
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            highlight = palette.color(group, QPalette.ColorRole.Highlight)
            text = palette.color(group, QPalette.ColorRole.HighlightedText)
            palette.setColor(group, QPalette.ColorRole.Base, highlight)
            palette.setColor(group, QPalette.ColorRole.AlternateBase, highlight)
            palette.setColor(group, QPalette.ColorRole.Text, text)
        self.view.setPalette(palette)

    def clear_all_matching(self) -> None:
        """Back to an ordinary selection (none)."""
        if not self.all_matching:
            return
        self.all_matching = False
        self._matching_key = None
        self.selection_banner.hide()
        if self._list_palette is not None:
            self.view.setPalette(self._list_palette)
            self._list_palette = None
        self.card.show_nothing()
        self._update_export_action()  # type: ignore[attr-defined]

    def _selection_changed(self) -> None:
        if self.all_matching and self.view.selectionModel().hasSelection():
            self.clear_all_matching()

    def _list_changed(self) -> None:
        # A reload of the same search and view (another desk's change, a new order) keeps
        # a selection by query: it is the same query; its count may have changed.
        same = self._matching_key == (self.model.query, self.model.view, self.model.tag)
        if self.all_matching and same and self.model.rowCount():
            self._show_all_matching()
            return
        self.clear_all_matching()
        self.card.show_nothing()

    def _order_changed(self) -> None:
        """The same list in a new order (the model's only layout change): the contact on
        the card stays there, selected again when among the rows the list looks through
        (it went back to "Select a contact" at each sort)."""
        shown = self.card.contact_id
        if shown is None or self.all_matching:
            self._list_changed()
            return
        self.select_contact(shown)  # type: ignore[attr-defined]

    # -- the card -----------------------------------------------------------------------

    def show_card_of_current(self) -> None:
        """Read the current row's contact onto the card (one service call)."""
        self.card_timer.stop()
        # Counted from the row ranges: a range of a million rows is one range.
        selected = row_count(self.view.selectionModel())
        index = self.view.currentIndex()
        if self.all_matching or not index.isValid() or selected > 1:
            if selected > 1:
                self.card.show_nothing(
                    ngettext(
                        "{count} contact selected.", "{count} contacts selected.", selected
                    ).format(count=format_number(selected))
                )
            return
        row = self.model.contact_at(index.row())
        self.card.show_contact(None if row is None else row.id)

    def _card_action_available(self, name: str) -> bool:
        if name == "access_report":
            return callable(getattr(self, "export_access_report_for_selected", None))
        return True

    def _card_action(self, name: str, contact_id: int) -> None:
        """A button of the card: the window's own action for the contact."""
        if name == "edit":
            self.edit_contact(contact_id)  # type: ignore[attr-defined]
        elif name == "consent":
            card = self.card.card
            language = card.detail.language.value if card is not None else "nl"
            self.open_consent(contact_id, language)  # type: ignore[attr-defined]
        elif name == "access_report":
            getattr(self, "export_access_report_for_selected")()  # noqa: B009 (added by the reports)
        elif name == "unsubscribe":
            self.unsubscribe_contact(contact_id)
        elif name == "erase":
            self.retention.erase()
        elif name == "export":
            self.export_selected()  # type: ignore[attr-defined]
        elif name == "task":
            getattr(self, "task_actions").new_task(contact_id)  # noqa: B009 (ui/tasks adds it)
        if self.card.contact_id == contact_id:
            self.card.show_contact(contact_id)  # what the action changed shows

    def open_company(self, company_id: int) -> QDialog:
        """The card's company name was clicked: the Companies window on its card."""
        from privacycrm_desktop.ui.companies.companies_window import CompaniesDialog

        dialog = CompaniesDialog(self._services, self._actor, self)
        dialog.open_company(company_id)
        dialog.open()
        return dialog

    def unsubscribe_contact(self, contact_id: int) -> bool:
        """After confirmation, opt the contact out of all direct marketing everywhere."""
        answer = messages.question(
            self,
            _("Unsubscribe from all direct marketing"),
            _(
                "This person will no longer receive any direct marketing, on any channel, "
                "from any list or export. Their e-mail addresses and phone numbers go on the "
                "suppression list. Continue?"
            ),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            self._services.consent.unsubscribe(self._actor, contact_id, ConsentMethod.IN_PERSON)
        except DomainError as exc:
            messages.warning(self, _("PrivacyCRM"), describe_error(exc))
            return False
        self.statusBar().showMessage(_("Unsubscribed from all direct marketing."), 10_000)
        return True

    # -- layout and what is remembered --------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_card()

    def _place_card(self) -> None:
        """Beside the list on a wide window, below it on a narrow one."""
        wanted = (
            Qt.Orientation.Horizontal
            if self.width() >= CARD_BESIDE_MIN_WIDTH
            else Qt.Orientation.Vertical
        )
        if self.splitter.orientation() == wanted:
            return
        beside = wanted == Qt.Orientation.Horizontal
        self.card.arrange_buttons(3 if beside else len(self.card.buttons) or 1)
        self.card.arrange_content(beside)
        if self._settings is not None:
            self._settings.set_state(self._splitter_key(), self.splitter.saveState())
        self.splitter.setOrientation(wanted)
        saved = self._settings.state(self._splitter_key()) if self._settings else None
        if saved is not None and self.splitter.restoreState(saved):
            self.splitter.setOrientation(wanted)  # the state holds one of its own
            return
        total = self.width() if beside else max(self.splitter.height(), 1)
        list_share = total * 3 // 4 if beside else total * 3 // 5
        self.splitter.setSizes([list_share, total - list_share])

    def _splitter_key(self) -> str:
        beside = self.splitter.orientation() == Qt.Orientation.Horizontal
        return "main/splitter-" + ("beside" if beside else "below")

    def _restore_workspace_state(self) -> None:
        if self._settings is None:
            return
        saved = self._settings.state(_WIDTHS_KEY)
        if saved is not None:
            try:
                widths = json.loads(bytes(saved.data()).decode())
            except ValueError:
                widths = {}
            for column in Column:
                width = widths.get(column.name) if isinstance(widths, dict) else None
                if column not in STRETCHED and isinstance(width, int) and width > 0:
                    self.view.setColumnWidth(column, width)
        splitter = self._settings.state(self._splitter_key())
        if splitter is not None:
            orientation = self.splitter.orientation()
            self.splitter.restoreState(splitter)
            self.splitter.setOrientation(orientation)

    def _save_workspace_state(self, settings: UiSettings) -> None:
        """Column widths (those not stretched) and the splitter, for the next start."""
        widths = {
            column.name: self.view.columnWidth(column)
            for column in Column
            if column not in STRETCHED and not self.view.isColumnHidden(column)
        }
        settings.set_state(_WIDTHS_KEY, QByteArray(json.dumps(widths).encode()))
        settings.set_state(self._splitter_key(), self.splitter.saveState())
