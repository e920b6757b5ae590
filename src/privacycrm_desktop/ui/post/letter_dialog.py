"""Mail-merge letter...: one letter per selected contact on the company's letterhead, each
in the contact's language, saved as one PDF.

A tab per language holds that language's text (filled with a short example to start
from); a contact whose language has no text gets the first text there is. The fields a
text may use are listed under the tabs; an unknown one is refused with its name before
anything is printed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTabWidget, QVBoxLayout, QWidget

from privacycrm_desktop.domain.postal import MERGE_FIELDS
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import LANGUAGES, _, format_number, language_name, ngettext, tr_in
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.post import PostResult, PostSelection
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.post.post_form import PostFormMixin
from privacycrm_desktop.ui.transfer.export_dialog import SelectedContacts

#: The example each language's text starts with (translated into that language).
STARTER = N_("{salutation}\n\nWrite your letter here.\n\nKind regards,\n\n{company}")


class MergeLetterDialog(PostFormMixin):
    """A mail-merge letter for the selected contacts, saved as one PDF."""

    def __init__(
        self,
        services: Services,
        actor: Actor,
        selection: SelectedContacts | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(services, actor, selection, parent)
        self.setWindowTitle(_("Mail-merge letter"))
        self.tabs = QTabWidget()
        self.texts: dict[str, QPlainTextEdit] = {}
        for language in LANGUAGES:
            edit = QPlainTextEdit(tr_in(language, STARTER))
            edit.setTabChangesFocus(True)
            self.texts[language] = edit
            self.tabs.addTab(edit, language_name(language))
        fields = ", ".join("{" + name + "}" for name in MERGE_FIELDS)
        self.fields_note = QLabel(_("Fields you may use: {fields}.").format(fields=fields))
        self.fields_note.setWordWrap(True)
        self.fields_note.setToolTip(
            "\n".join(f"{{{name}}}: {_(meaning)}" for name, meaning in MERGE_FIELDS.items())
        )
        self.errors["template"] = ErrorLabel()
        middle = QWidget()
        box = QVBoxLayout(middle)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(QLabel(_("The letter, in each language (each person gets their own):")))
        box.addWidget(self.tabs, 1)
        box.addWidget(self.fields_note)
        box.addWidget(self.errors["template"])
        self.finish_layout(middle)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 84)
        size_window(self)

    def default_name(self) -> str:
        return _("letters") + ".pdf"

    def templates(self) -> dict[str, str]:
        """Each language's text, as typed."""
        return {language: edit.toPlainText() for language, edit in self.texts.items()}

    def make(self, selection: PostSelection, out: Path) -> PostResult:
        return self._services.post.letters(self._actor, selection, self.templates(), out)

    def made_message(self, result: PostResult) -> str:
        return ngettext(
            "{count} letter saved in {file}.", "{count} letters saved in {file}.", result.count
        ).format(count=format_number(result.count), file=result.path.name) + self.left_out_sentence(
            result
        )
