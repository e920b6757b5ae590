"""Screenshots of the access-control windows in nl and fr (PRIVACYCRM_SCREENSHOT_DIR), to look at:
the login dialog, user administration, the role matrix, the audit viewer, the lock screen
and the contact editor as the office role sees it."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.admin.audit_view import AuditViewerDialog
from privacycrm_desktop.ui.admin.field_matrix import FieldMatrixDialog
from privacycrm_desktop.ui.admin.user_admin import UserAdminDialog
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.startup.idle import ManualClock
from privacycrm_desktop.ui.startup.login_dialog import LoginDialog

from ..screens import save

GOOD = "another good password"
CARD = SourceInput(SourceKind.BUSINESS_CARD, "Salon Batibouw", dt.date(2025, 2, 20))


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_access_screenshots(qtbot: QtBot, services: Services, owner: Actor, language: str) -> None:
    apply_language(language)
    login = LoginDialog(services.auth)
    qtbot.addWidget(login)
    login.show()
    login.username.setText("nobody")
    login.password.setText("wrong")
    login.sign_in()
    save(login, f"{language}-access-login", settle=True)

    services.auth.add_user(owner, "olga", GOOD, Role.OFFICE)
    services.auth.add_user(owner, "petra", GOOD, Role.PRIVACY_OFFICER)
    services.auth.add_user(owner, "sam", GOOD, Role.SALES)
    services.auth.deactivate_user(owner, "sam")
    office = services.auth.login("olga", GOOD)
    cid = services.contacts.create(
        owner,
        ContactInput(
            first_name="Zoë",
            last_name="Lefèvre",
            phones=("0475 12 34 56",),
            city="Liège",
            postcode="4000",
            notes="Secret",
            birth_date=dt.date(1980, 5, 6),
        ),
        CARD,
    )
    users = UserAdminDialog(services.auth, owner)
    qtbot.addWidget(users)
    users.show()
    users.select("owner")
    users.change_selected_role(Role.OFFICE)  # refused: the last owner
    save(users, f"{language}-access-users", settle=True)

    matrix = FieldMatrixDialog(services.access, owner)
    qtbot.addWidget(matrix)
    matrix.show()
    save(matrix, f"{language}-access-matrix", settle=True)

    editor = ContactEditorDialog(services.contacts, office, cid)
    qtbot.addWidget(editor)
    editor.show()
    save(editor, f"{language}-access-editor-office", settle=True)

    audit = AuditViewerDialog(services.audit, owner, dt.date(2025, 3, 14))
    qtbot.addWidget(audit)
    audit.show()
    save(audit, f"{language}-access-audit", settle=True)

    window = MainWindow(services, office, idle_clock=ManualClock())
    qtbot.addWidget(window)
    window.resize(1000, 600)
    window.show()
    window.lock()
    window.lock_screen.password.setText("wrong password")
    window.lock_screen.try_unlock()
    save(window, f"{language}-access-locked", settle=True)
