"""Around the contact list: the saved views chooser, the empty states and the banner of a
selection by query ("all 1,000,000 contacts in the list are selected").

The views are chosen in SQL by the contact service (``ListFilter``); these widgets only
offer them and say what the list shows.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from privacycrm_desktop.domain.consent import CHANNEL_LABELS, Channel
from privacycrm_desktop.domain.contacts import RELATIONSHIP_LABELS, Relationship
from privacycrm_desktop.i18n import N_, _
from privacycrm_desktop.services.dto import ContactFilter, ListFilter

#: The label of each view without a channel or relationship.
FILTER_LABELS = {
    ContactFilter.ALL: N_("All contacts"),
    ContactFilter.EXPIRED: N_("Expired"),
    ContactFilter.EXPIRING: N_("Expiring within 30 days"),
    ContactFilter.RECONSENT: N_("Due for re-consent"),
}
#: Views per channel and per relationship: a label with the channel's or relationship's.
PER_CHANNEL_LABELS = {
    ContactFilter.NO_CONSENT: N_("No consent: {channel}"),
    ContactFilter.OPTED_IN: N_("Opted in: {channel}"),
}
RELATIONSHIP_VIEW_LABEL = N_("Relationship: {relationship}")


def all_views(kinds: tuple[ContactFilter, ...]) -> list[tuple[str, ListFilter]]:
    """Every view of *kinds* (those the role may use) with its label, in menu order."""
    views: list[tuple[str, ListFilter]] = []
    for kind in kinds:
        if kind in FILTER_LABELS:
            views.append((_(FILTER_LABELS[kind]), ListFilter(kind)))
        elif kind in PER_CHANNEL_LABELS:
            for channel in Channel:
                label = _(PER_CHANNEL_LABELS[kind]).format(channel=_(CHANNEL_LABELS[channel]))
                views.append((label, ListFilter(kind, channel=channel)))
        elif kind is ContactFilter.RELATIONSHIP:
            for relationship in Relationship:
                label = _(RELATIONSHIP_VIEW_LABEL).format(
                    relationship=_(RELATIONSHIP_LABELS[relationship])
                )
                views.append((label, ListFilter(kind, relationship=relationship)))
    return views


class ViewChooser(QComboBox):
    """The saved views; emits ``view_chosen`` with the chosen one."""

    view_chosen = Signal(object)

    def __init__(self, kinds: tuple[ContactFilter, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("list_view")
        self._views = all_views(kinds)
        for label, view in self._views:
            self.addItem(label)
            if view.kind is ContactFilter.RECONSENT:
                self.insertSeparator(self.count())
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.currentIndexChanged.connect(lambda _index: self.view_chosen.emit(self.chosen()))

    def chosen(self) -> ListFilter:
        """The view chosen."""
        index = self.currentIndex()
        # The separator takes an index of its own: count the items before it that are views.
        labels = [label for label, _view in self._views]
        text = self.itemText(index)
        return self._views[labels.index(text)][1] if text in labels else ListFilter()

    def set_view(self, view: ListFilter) -> None:
        """Choose *view* (emits ``view_chosen`` when it changes)."""
        for label, candidate in self._views:
            if candidate == view:
                self.setCurrentIndex(self.findText(label))
                return


class EmptyState(QWidget):
    """What the list's place shows when it has no row: a sentence and the way on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Called once, at the first paint (the start-up benchmark, on an empty database).
        self.first_paint_callback: Callable[[], None] | None = None
        self.setObjectName("empty_state")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.buttons = QHBoxLayout()
        self._buttons: list[QPushButton] = []
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addLayout(self.buttons)
        layout.addStretch(2)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        callback, self.first_paint_callback = self.first_paint_callback, None
        if callback is not None:
            callback()

    def show_message(self, text: str, actions: list[tuple[str, Callable[[], object]]]) -> None:
        """Show *text* and a button per (label, slot) of *actions*."""
        self.message.setText(text)
        while self.buttons.count():
            item = self.buttons.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._buttons = []
        self.buttons.addStretch(1)
        for label, slot in actions:
            button = QPushButton(label)
            button.clicked.connect(slot)
            self.buttons.addWidget(button)
            self._buttons.append(button)
        self.buttons.addStretch(1)

    @property
    def action_buttons(self) -> list[QPushButton]:
        """The buttons shown (tests press them)."""
        return list(self._buttons)


class SelectionBanner(QWidget):
    """ "All N contacts in the list are selected", with a way to clear the selection."""

    clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("selection_banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.clear_button = QPushButton(_("Clear selection"))
        self.clear_button.clicked.connect(self.clear_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.clear_button)
        self.hide()
