"""Contacts > Tag selected contacts...: put a tag on the contacts chosen in the list (or
take it off). A new name makes the tag.

When every row of the list is chosen (Ctrl+A), the change is one statement over what the
list shows (its search); otherwise the chosen rows' ids are read as the export does, a
window at a time, and changed in one call.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _, describe_error, format_number, ngettext
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.transfer.export_dialog import SelectedContacts, selected_ids


class TagSelectedDialog(QDialog):
    """Choose a tag (or type a new one) and whether it goes on or comes off."""

    def __init__(
        self,
        services: Services,
        actor: Actor,
        selection: SelectedContacts,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._selection = selection
        #: What the last change did, for the status bar.
        self.outcome = ""
        self.setWindowTitle(_("Tag selected contacts"))
        count = selection.count
        intro = QLabel(
            ngettext("{n} contact selected.", "{n} contacts selected.", count).format(
                n=format_number(count)
            )
        )
        self.tag = QComboBox()
        self.tag.setEditable(True)
        self.tag.setMinimumContentsLength(24)
        for info in services.tags.list(actor):
            self.tag.addItem(info.name, info.id)
        self.tag.setCurrentIndex(-1)
        self.put_on = QRadioButton(_("&Put the tag on them"))
        self.take_off = QRadioButton(_("&Take the tag off them"))
        self.put_on.setChecked(True)
        form = QFormLayout()
        form.addRow(_("T&ag:"), self.tag)
        form.addRow("", self.put_on)
        form.addRow("", self.take_off)
        self.error = ErrorLabel()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        size_window(self)  # its own size, capped to the screen, remembered

    def apply(self) -> None:
        """Change the tag on the selected contacts; close when done."""
        name = self.tag.currentText()
        tags, contacts = self._services.tags, self._services.contacts
        selection = self._selection
        whole = selection.ranges == ((0, selection.total - 1),)
        try:
            if self.put_on.isChecked():
                if whole:
                    matching = contacts.selection(
                        self._actor, selection.query, selection.tag, selection.view
                    )
                    _tag_id, changed = tags.assign_named(
                        self._actor, name, selection=matching, matching=True
                    )
                else:
                    ids = selected_ids(contacts, self._actor, selection) or ()
                    _tag_id, changed = tags.assign_named(self._actor, name, ids)
                text = ngettext(
                    "Tag put on {n} contact.", "Tag put on {n} contacts.", changed
                ).format(n=format_number(changed))
            else:
                tag_id = tags.find(self._actor, name).id
                if whole:
                    matching = contacts.selection(
                        self._actor, selection.query, selection.tag, selection.view
                    )
                    changed = tags.unassign_matching(self._actor, tag_id, matching)
                else:
                    ids = selected_ids(contacts, self._actor, selection) or ()
                    changed = tags.unassign(self._actor, tag_id, ids)
                text = ngettext(
                    "Tag taken off {n} contact.", "Tag taken off {n} contacts.", changed
                ).format(n=format_number(changed))
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return
        self.outcome = text
        self.accept()
