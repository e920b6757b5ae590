"""Mail-merge letter...: one letter per selected contact on the company's letterhead, each
in the contact's language, saved as one PDF.

A tab per language holds that language's text (filled with a short example to start
from); a contact whose language has no text gets the first text there is. The fields a
text may use are listed under the tabs; an unknown one is refused with its name before
anything is printed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.postal import MERGE_FIELDS
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import (
    LANGUAGES,
    _,
    describe_error,
    format_number,
    language_name,
    ngettext,
    tr_in,
)
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
        self.errors["logo"] = ErrorLabel()
        self.logo_button = QPushButton(_("Letterhead &logo..."))
        self.logo_button.setToolTip(_("A PNG or JPEG picture printed at the top of every letter"))
        self.logo_button.clicked.connect(self.choose_logo)
        self.logo_button.setVisible(has_permission(actor.role, Permission.EDIT_SETTINGS))
        middle = QWidget()
        box = QVBoxLayout(middle)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(QLabel(_("The letter, in each language (each person gets their own):")))
        box.addWidget(self.tabs, 1)
        box.addWidget(self.fields_note)
        box.addWidget(self.errors["template"])
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo_button)
        logo_row.addWidget(self.errors["logo"], 1)
        logo_row.addStretch(1)  # the button keeps its own width while no error shows
        box.addLayout(logo_row)
        self.finish_layout(middle)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 84)
        size_window(self)

    def default_name(self) -> str:
        return _("letters") + ".pdf"

    def choose_logo(self) -> None:
        """Ask for the logo's picture and put it on the letterhead."""
        name, _filter = QFileDialog.getOpenFileName(
            self, _("Letterhead logo"), "", _("Pictures (*.png *.jpg *.jpeg)")
        )
        if name:
            self.set_logo(Path(name))

    def set_logo(self, path: Path) -> bool:
        """Put the picture at *path* on the letterhead; False (and why) when refused."""
        self.errors["logo"].show_message("")
        try:
            self._services.post.set_logo(self._actor, path.read_bytes())
        except OSError:
            self.errors["logo"].show_message(_("The picture cannot be read."))
            return False
        except DomainError as error:
            self.errors["logo"].show_message(describe_error(error))
            return False
        self.errors["logo"].show_message("")
        return True

    def templates(self) -> dict[str, str]:
        """Each language's text, as typed."""
        return {language: edit.toPlainText() for language, edit in self.texts.items()}

    def maker(self) -> Callable[[PostSelection, Path], PostResult]:
        services, actor, templates = self._services, self._actor, self.templates()

        def make(selection: PostSelection, out: Path) -> PostResult:
            return services.post.letters(actor, selection, templates, out)

        return make

    def made_message(self, result: PostResult) -> str:
        return ngettext(
            "{count} letter saved in {file}.", "{count} letters saved in {file}.", result.count
        ).format(count=format_number(result.count), file=result.path.name) + self.left_out_sentence(
            result
        )
