"""The tag filter beside the contact list's search and saved views: "Any tag" or one tag
(with its colour), combined with the search and the view by ``ContactService.count`` and
``page`` (their ``tag=``). Only for a role that may see who carries a tag.

The tags are read again each time the list of choices opens or the filter gets the focus,
so a tag made or renamed meanwhile (the tag dialog, Ctrl+T, the editor) is there; the
choice is kept by id.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QComboBox, QWidget

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.tags import TagService
from privacycrm_desktop.ui.common.widgets import swatch


class TagFilter(QComboBox):
    """ "Any tag", then every tag by name; ``tag_chosen`` gives the tag's id or None."""

    tag_chosen = Signal(object)

    def __init__(self, tags: TagService, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tag_filter")
        self._tags = tags
        self._actor = actor
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setMinimumContentsLength(10)
        self.reload()
        self.currentIndexChanged.connect(lambda _index: self.tag_chosen.emit(self.chosen()))

    def chosen(self) -> int | None:
        """The id of the tag chosen; None for any tag."""
        value = self.currentData()
        return int(value) if value is not None else None

    def reload(self) -> None:
        """Read the tags again, keeping the choice (a tag gone: any tag)."""
        keep = self.chosen() if self.count() else None
        self.blockSignals(True)
        self.clear()
        self.addItem(_("Any tag"), None)
        try:
            infos = self._tags.list(self._actor)
        except DomainError:
            infos = []
        for info in infos:
            self.addItem(swatch(info.colour), info.name, info.id)
        index = self.findData(keep) if keep is not None else 0
        self.setCurrentIndex(max(index, 0))
        self.blockSignals(False)
        if keep is not None and index < 0:
            self.tag_chosen.emit(None)

    def set_tag(self, tag_id: int | None) -> None:
        """Choose the tag *tag_id* (None: any tag); emits ``tag_chosen`` when it changes."""
        index = self.findData(tag_id) if tag_id is not None else 0
        if index < 0:
            self.reload()
            index = self.findData(tag_id)
        self.setCurrentIndex(max(index, 0))

    def showPopup(self) -> None:
        """Read the tags again before they are shown."""
        self.reload()
        super().showPopup()

    def focusInEvent(self, event: QFocusEvent) -> None:
        """Read the tags again when the filter gets the focus: the arrow keys choose among
        them without opening the list (a tag just made with Ctrl+T was not there)."""
        self.reload()
        super().focusInEvent(event)
