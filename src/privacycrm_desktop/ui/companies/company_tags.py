"""The tag row under a company's card: a tag to put on (an existing one, or a new name)
or to take off, saved at once through ``services.tags``. Shown to a role that may tag."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.tags import TagInfo, TagService
from privacycrm_desktop.ui.common.widgets import swatch


class CompanyTagsRow(QWidget):
    """Tag: [name] Add tag, Remove tag; ``changed`` after a saved change, ``failed`` with
    the message of a refused one."""

    changed = Signal()
    failed = Signal(str)

    def __init__(self, tags: TagService, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tags = tags
        self._actor = actor
        self.company_id: int | None = None
        self._carried: tuple[TagInfo, ...] = ()
        self.name = QComboBox()
        self.name.setEditable(True)
        self.name.setMinimumContentsLength(8)  # grows with the room: the list beside it needs it
        self.label = QLabel(_("Tag:"))
        self.label.setBuddy(self.name)
        self.add_button = QPushButton(_("Add tag"))
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add)
        self.remove_button = QPushButton(_("Remove tag"))
        self.remove_button.setAutoDefault(False)
        self.remove_button.clicked.connect(self.remove)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.name, 1)
        layout.addWidget(self.add_button)
        layout.addWidget(self.remove_button)
        self.show_company(None, ())

    def show_company(self, company_id: int | None, carried: tuple[TagInfo, ...]) -> None:
        """Offer every tag for *company_id*, which carries *carried*."""
        self.company_id = company_id
        self._carried = carried
        self.name.clear()
        try:
            infos = self._tags.list(self._actor) if company_id is not None else []
        except DomainError:
            infos = []
        for info in infos:
            self.name.addItem(swatch(info.colour), info.name, info.id)
        self.name.setCurrentIndex(-1)
        self.name.setEditText("")
        for widget in (self.name, self.add_button, self.remove_button):
            widget.setEnabled(company_id is not None)

    def add(self) -> int | None:
        """Put the tag named in the field on the company (made when new)."""
        name = self.name.currentText()
        if self.company_id is None or not name.strip():
            return None
        try:
            tag_id, _gained = self._tags.tag_company(self._actor, name, self.company_id)
        except DomainError as error:
            self.failed.emit(describe_error(error))
            return None
        self.changed.emit()
        return tag_id

    def remove(self) -> bool:
        """Take the tag named in the field off the company."""
        name = self.name.currentText().strip()
        if self.company_id is None or not name:
            return False
        try:
            tag_id = self._tags.find(self._actor, name).id
            removed = self._tags.untag_company(self._actor, tag_id, self.company_id)
        except DomainError as error:
            self.failed.emit(describe_error(error))
            return False
        if not removed:
            self.failed.emit(_("The company does not carry this tag."))
            return False
        self.changed.emit()
        return True
