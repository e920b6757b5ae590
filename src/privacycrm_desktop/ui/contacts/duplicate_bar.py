"""The editor's duplicate warning: a bar above the form, not a dialog, while the user types.

"A contact with this e-mail address exists: Peeters, Zoë — Open it". It names the first
stored contact found (``ContactService.duplicates``) and says how many more there are.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from privacycrm_desktop.domain.duplicates import MatchKind
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import _, ngettext
from privacycrm_desktop.services.contact_duplicates import DuplicateHit

#: What the stored contact shares with the form, as the warning says it.
KIND_TEXTS = {
    MatchKind.EMAIL: N_("A contact with this e-mail address exists: {name}"),
    MatchKind.MOBILE: N_("A contact with this mobile number exists: {name}"),
    MatchKind.NAME_POSTCODE: N_("A contact with this name and postcode exists: {name}"),
}


class DuplicateBar(QFrame):
    """Hidden while nothing matches; ``open_requested`` carries the stored contact's id."""

    open_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicateBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#duplicateBar { background: #fff4ce; border: 1px solid #e0c36c; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # it names a contact
        self.label.setStyleSheet("color: #3d2e00;")
        self.open_button = QPushButton(_("Open it"))
        self.open_button.setAutoDefault(False)
        self.open_button.clicked.connect(self._open)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.open_button)
        self.hits: list[DuplicateHit] = []
        self.hide()

    def show_hits(self, hits: Sequence[DuplicateHit]) -> None:
        """Warn about the first of *hits*; hide the bar when there are none."""
        self.hits = list(hits)
        if not hits:
            self.hide()
            return
        first = hits[0]
        text = _(KIND_TEXTS.get(first.kind, KIND_TEXTS[MatchKind.EMAIL])).format(
            name=first.name or _("(name hidden for your role)")
        )
        if len(hits) > 1:
            more = len(hits) - 1
            text += " " + ngettext("(and {count} other)", "(and {count} others)", more).format(
                count=more
            )
        self.label.setText(text)
        self.show()

    def _open(self) -> None:
        if self.hits:
            self.open_requested.emit(self.hits[0].contact_id)


__all__ = ["KIND_TEXTS", "DuplicateBar"]
