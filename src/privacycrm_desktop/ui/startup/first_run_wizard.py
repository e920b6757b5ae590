"""The first-run wizard: interface language, the company (the controller), the owner account.

Validation is the services' own (``validate_company``, the password policy); problems are
shown next to their field and the wizard stays on the page.
"""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from privacycrm_desktop.domain.errors import DomainError, ValidationFailed
from privacycrm_desktop.i18n import _, current_language, describe_error
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.passwords import MIN_PASSWORD_LENGTH
from privacycrm_desktop.services.setup import CompanyInput, SetupService, validate_company
from privacycrm_desktop.ui.common.widgets import ErrorLabel, show_problems
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.startup.login_dialog import language_combo


class Page(IntEnum):
    """The wizard's pages, in order."""

    LANGUAGE = 0
    COMPANY = 1
    OWNER = 2


class _FormPage(QWizardPage):
    """A page of labelled fields, each with an error line under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.general_error = ErrorLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addWidget(self.general_error)
        self.labels: dict[str, QLabel] = {}
        self.errors: dict[str, ErrorLabel] = {}

    def add_field(self, name: str, editor: QWidget) -> None:
        if isinstance(editor, QLineEdit):
            # Wide enough for an address, in characters: it follows the font and scaling.
            editor.setMinimumWidth(editor.fontMetrics().averageCharWidth() * 30)
        label = QLabel()
        label.setBuddy(editor)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        self.errors[name] = ErrorLabel()
        column.addWidget(self.errors[name])
        self.labels[name] = label
        self.form.addRow(label, box)

    def set_labels(self, texts: dict[str, str]) -> None:
        for name, text in texts.items():
            self.labels[name].setText(text)


class LanguagePage(_FormPage):
    """Choose the interface language; the rest of the wizard follows it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.language = language_combo(current_language())
        self.add_field("language", self.language)
        # A new desk in an office that shares a server joins it instead of starting afresh.
        self.server_note = QLabel()
        self.server_note.setWordWrap(True)
        self.server_button = QPushButton()
        self.form.addRow(self.server_note)
        self.form.addRow(self.server_button)

    def retranslate(self) -> None:
        self.setTitle(_("Welcome to PrivacyCRM"))
        self.intro.setText(_("Choose the language of the program. You can change it later."))
        self.set_labels({"language": _("&Language:")})
        self.server_note.setText(
            _("Does your office already keep its contacts on a shared PostgreSQL server?")
        )
        self.server_button.setText(_("Use the office's &server..."))
        from privacycrm_desktop.domain.contacts import LANGUAGE_LABELS, Language

        for index in range(self.language.count()):
            code = Language(str(self.language.itemData(index)))
            self.language.setItemText(index, _(LANGUAGE_LABELS[code]))


class CompanyPage(_FormPage):
    """The business that holds the data: it is named in every report and letter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit()
        self.address = QLineEdit()
        self.vat_number = QLineEdit()
        self.privacy_email = QLineEdit()
        for field, editor in (
            ("name", self.name),
            ("address", self.address),
            ("vat_number", self.vat_number),
            ("privacy_email", self.privacy_email),
        ):
            self.add_field(field, editor)
        self.registerField("company_name*", self.name)
        self.registerField("company_address*", self.address)
        self.registerField("vat_number", self.vat_number)
        self.registerField("privacy_email", self.privacy_email)

    def retranslate(self) -> None:
        self.setTitle(_("Your business"))
        self.intro.setText(
            _(
                "The business that keeps the contacts is named in privacy notices, "
                "access reports and letters."
            )
        )
        self.set_labels(
            {
                "name": _("Company &name:"),
                "address": _("&Address:"),
                "vat_number": _("&Enterprise or VAT number:"),
                "privacy_email": _("&Privacy e-mail address:"),
            }
        )
        self.vat_number.setPlaceholderText(_("For example: BE 0403.170.701"))

    def company(self, language: str) -> CompanyInput:
        """The values entered, as the services take them."""
        return CompanyInput(
            name=self.name.text(),
            address=self.address.text(),
            vat_number=self.vat_number.text(),
            privacy_email=self.privacy_email.text(),
            language=language,
        )

    def validatePage(self) -> bool:
        wizard = self.wizard()
        assert isinstance(wizard, FirstRunWizard)
        try:
            validate_company(self.company(wizard.language()))
        except ValidationFailed as exc:
            show_problems(self.errors, exc.problems, self.general_error)
            return False
        show_problems(self.errors, [], self.general_error)
        return True


class OwnerPage(_FormPage):
    """The owner's account: the first user, who may add the others."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password_again = QLineEdit()
        for editor in (self.password, self.password_again):
            editor.setEchoMode(QLineEdit.EchoMode.Password)
        self.add_field("username", self.username)
        self.add_field("password", self.password)
        self.add_field("password_again", self.password_again)
        self.registerField("username*", self.username)
        self.registerField("password*", self.password)
        self.registerField("password_again*", self.password_again)

    def retranslate(self) -> None:
        self.setTitle(_("Your account"))
        self.intro.setText(
            _("You are the owner: you can add users for your staff later.")
            + " "
            + _("The password needs at least {count} characters.").format(count=MIN_PASSWORD_LENGTH)
        )
        self.set_labels(
            {
                "username": _("&User name:"),
                "password": _("&Password:"),
                "password_again": _("Password &again:"),
            }
        )

    def validatePage(self) -> bool:
        wizard = self.wizard()
        assert isinstance(wizard, FirstRunWizard)
        show_problems(self.errors, [], self.general_error)
        if self.password.text() != self.password_again.text():
            self.errors["password_again"].show_message(_("The two passwords differ."))
            return False
        return wizard.initialise(self)


class FirstRunWizard(QWizard):
    """Set up a new database; ``actor`` is the signed-in owner afterwards."""

    def __init__(
        self, setup: SetupService, parent: QWidget | None = None, *, language: str | None = None
    ) -> None:
        """*language*: the one to start in (the app passes this PC's, which before any
        choice is the system's); None keeps the current one."""
        super().__init__(parent)
        if language is not None:
            from privacycrm_desktop.ui.common.qt_i18n import apply_language

            apply_language(language)
        self._setup = setup
        self.actor: Actor | None = None
        #: True when the person chose a shared server instead (it opens at once).
        self.database_changed = False
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.language_page = LanguagePage()
        self.company_page = CompanyPage()
        self.owner_page = OwnerPage()
        self.setPage(Page.LANGUAGE, self.language_page)
        self.setPage(Page.COMPANY, self.company_page)
        self.setPage(Page.OWNER, self.owner_page)
        self.setStartId(Page.LANGUAGE)
        self.language_page.language.currentIndexChanged.connect(self._on_language)
        self.language_page.server_button.clicked.connect(self.choose_server)
        self.retranslate()
        size_window(self)

    def choose_server(self) -> QDialog:
        """Open File > Database...'s dialog; a server chosen there replaces this set-up."""
        from privacycrm_desktop.ui.startup.database_dialog import DatabaseDialog

        dialog = DatabaseDialog(self)
        dialog.server.setChecked(True)

        def chosen() -> None:
            if dialog.choice() is not None:
                self.database_changed = True
                self.reject()

        dialog.accepted.connect(chosen)
        dialog.open()
        return dialog

    def language(self) -> str:
        """The interface language chosen on the first page."""
        return str(self.language_page.language.currentData())

    def _on_language(self) -> None:
        from privacycrm_desktop.ui.common.qt_i18n import apply_language

        apply_language(self.language())
        self.retranslate()

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.setWindowTitle(_("Set up PrivacyCRM"))
        for page in (self.language_page, self.company_page, self.owner_page):
            page.retranslate()
        for which, text in (
            (QWizard.WizardButton.BackButton, _("< &Back")),
            (QWizard.WizardButton.NextButton, _("&Next >")),
            (QWizard.WizardButton.FinishButton, _("&Finish")),
            (QWizard.WizardButton.CancelButton, _("Cancel")),
        ):
            self.setButtonText(which, text)

    def initialise(self, page: OwnerPage) -> bool:
        """Create the company and the owner; on a refusal show why and stay on the page."""
        company = self.company_page.company(self.language())
        try:
            self.actor = self._setup.initialise(company, page.username.text(), page.password.text())
        except ValidationFailed as exc:
            show_problems(page.errors, exc.problems, page.general_error)
            return False
        except DomainError as exc:
            page.general_error.show_message(describe_error(exc))
            return False
        return True
