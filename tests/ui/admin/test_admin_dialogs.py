"""User administration, the field matrix and the audit viewer, and who gets which menu."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QLabel
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.audit import AuditFilter
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.admin.audit_view import PAGE, AuditTableModel, AuditViewerDialog
from privacycrm_desktop.ui.admin.field_matrix import FieldMatrixDialog
from privacycrm_desktop.ui.admin.user_admin import UserAdminDialog
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.main_window import MainWindow

GOOD = "another good password"
TODAY = dt.date(2025, 3, 14)
CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2025, 2, 20))


def _user(services: Services, owner: Actor, name: str, role: Role) -> Actor:
    services.auth.add_user(owner, name, GOOD, role)
    return services.auth.login(name, GOOD)


@pytest.mark.parametrize(
    ("role", "users", "matrix", "audit"),
    [
        (Role.OWNER, True, True, True),
        (Role.PRIVACY_OFFICER, False, False, True),
        (Role.SALES, False, False, False),
        (Role.OFFICE, False, False, False),
        (Role.READ_ONLY, False, False, False),
    ],
)
def test_menus_follow_the_role(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    role: Role,
    users: bool,
    matrix: bool,
    audit: bool,
) -> None:
    actor = owner if role is Role.OWNER else _user(services, owner, "someone", role)
    window = MainWindow(services, actor)
    qtbot.addWidget(window)
    menu = window.admin_menu
    shown = set(menu.actions()) if menu is not None else set()
    assert (window.users_action in shown) is users
    assert (window.matrix_action in shown) is matrix
    assert (window.audit_action in shown) is audit
    assert (menu is None) is not (users or matrix or audit)


def test_the_add_user_form_stays_open_with_the_name_when_the_password_is_refused(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QDialog, QDialogButtonBox

    from privacycrm_desktop.ui.admin.user_admin import UserFormDialog

    dialog = UserAdminDialog(services.auth, owner)
    qtbot.addWidget(dialog)
    seen: list[tuple[bool, str, str]] = []

    def fill_in(form: UserFormDialog) -> int:
        qtbot.addWidget(form)
        ok = form.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        form.name.setText("Zoë")
        for password in ("short", GOOD):
            form.password.setText(password)
            form.password_again.setText(password)
            ok.click()
            seen.append(
                (form.result() == QDialog.DialogCode.Accepted, form.name.text(), form.error.text())
            )
        return form.result()

    monkeypatch.setattr(UserFormDialog, "exec", fill_in)
    dialog.ask_add()
    refused, accepted = seen
    assert refused[0] is False
    assert refused[1] == "Zoë"
    assert refused[2]  # the reason, in the form itself
    assert accepted[0] is True
    assert services.auth.login("Zoë", GOOD).role is Role.OFFICE
    assert dialog.selected_user() is not None
    assert dialog.selected_user().username == "Zoë"


def test_user_admin(qtbot: QtBot, services: Services, owner: Actor) -> None:
    dialog = UserAdminDialog(services.auth, owner)
    qtbot.addWidget(dialog)
    assert dialog.add_user("anne", Role.OFFICE, GOOD)
    assert [dialog.model.user_at(r).username for r in range(2)] == ["anne", "owner"]
    assert not dialog.add_user("anne", Role.OFFICE, GOOD)
    assert "taken" in dialog.error.text()
    dialog.select("anne")
    assert dialog.deactivate_selected()
    assert dialog.model.user_at(0).active is False
    assert dialog.reactivate_selected()
    assert dialog.reset_selected("a brand new password")
    assert dialog.note.isHidden()  # no server login role: the new password works at once
    assert dialog.change_selected_role(Role.SALES)
    assert services.auth.login("anne", "a brand new password").role is Role.SALES
    dialog.select("owner")
    assert not dialog.change_selected_role(Role.OFFICE)
    assert "last active owner" in dialog.error.text()


def test_user_admin_modeltester(
    qtmodeltester: ModelTester, services: Services, owner: Actor
) -> None:
    _user(services, owner, "anne", Role.OFFICE)
    dialog = UserAdminDialog(services.auth, owner)
    qtmodeltester.check(dialog.model)


def test_field_matrix_saves_each_change(qtbot: QtBot, services: Services, owner: Actor) -> None:
    dialog = FieldMatrixDialog(services.access, owner)
    qtbot.addWidget(dialog)
    assert dialog.level(Role.OFFICE, "notes") is FieldAccess.HIDDEN
    dialog.set_level(Role.OFFICE, "notes", FieldAccess.READ)
    assert services.access.matrix(owner)[(Role.OFFICE, "notes")] is FieldAccess.READ
    office = Actor(owner.user_id, "x", Role.OFFICE)
    assert services.contacts.field_access(office)["notes"] is FieldAccess.READ
    events = services.audit.list_events(owner, AuditFilter(action="access.set"))
    assert [e.entity_id for e in events] == ["office.notes"]


def test_audit_viewer(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    services: Services,
    owner: Actor,
    database_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    officer = _user(services, owner, "petra", Role.PRIVACY_OFFICER)
    for number in range(PAGE + 20):
        services.contacts.create(owner, ContactInput(last_name=f"Person{number}"), CARD)
    dialog = AuditViewerDialog(services.audit, officer, TODAY)
    qtbot.addWidget(dialog)
    assert dialog.model.rowCount() == PAGE
    assert dialog.model.canFetchMore(dialog.model.index(0, 0).parent())
    # The tester gets a model of its own: a view fetching during a reset confuses it.
    alone = AuditTableModel(services.audit, officer)
    qtmodeltester.check(alone)
    alone.set_filter(AuditFilter(user="petra"))
    qtmodeltester.check(alone)
    total = dialog.model.total
    while dialog.model.canFetchMore(dialog.model.index(0, 0).parent()):
        dialog.model.fetchMore(dialog.model.index(0, 0).parent())
    assert dialog.model.rowCount() == total
    assert "intact" in dialog.chain.text()
    dialog.user.setCurrentIndex(dialog.user.findData("petra"))
    assert {dialog.model.event_at(r).actor for r in range(dialog.model.rowCount())} == {"petra"}
    dialog.user.setCurrentIndex(0)
    dialog.action.setCurrentIndex(dialog.action.findData("contact.create"))
    assert dialog.model.total == PAGE + 20
    dialog.date_to.set_value(dt.date(2025, 3, 13))
    assert dialog.model.total == 0
    dialog.date_to.set_value(None)
    target = tmp_path / "audit.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    dialog.ask_export()
    with target.open(encoding="utf-8", newline="") as exported:
        rows = list(csv.reader(exported))
    assert len(rows) == PAGE + 21
    assert {r[3] for r in rows[1:]} == {"contact.create"}
    # Break the chain: the viewer says where.
    with sqlite3.connect(database_path) as conn:
        conn.execute("UPDATE audit_event SET detail = 'x' WHERE id = 5")
    dialog.check_chain()
    assert "broken at event 5" in dialog.chain.text()


def test_office_editor_has_no_notes_or_birth_date(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    office = _user(services, owner, "olga", Role.OFFICE)
    cid = services.contacts.create(
        owner,
        ContactInput(
            first_name="Anne", last_name="Peeters", notes="Qsecret", birth_date=dt.date(1970, 1, 2)
        ),
        CARD,
    )
    editor = ContactEditorDialog(services.contacts, office, cid)
    qtbot.addWidget(editor)
    editor.show()
    labels = " ".join(w.text() for w in editor.findChildren(QLabel))
    assert "Notes" not in labels
    assert "Birth date" not in labels
    assert "Qsecret" not in editor.editors["notes"].toPlainText()
    # A new contact follows the owner's overrides too.
    services.access.set_field_access(owner, Role.OFFICE, "notes", FieldAccess.WRITE)
    fresh = ContactEditorDialog(services.contacts, office, None)
    qtbot.addWidget(fresh)
    assert fresh.access("notes") is FieldAccess.WRITE


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_no_role_is_named_like_a_menu(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    """ "Administration" was both the French office role and the menu of the owner's tools."""
    from privacycrm_desktop.domain.access import ROLE_LABELS
    from privacycrm_desktop.i18n import _
    from privacycrm_desktop.ui.common.qt_i18n import apply_language

    apply_language(language)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    menus = {a.text().replace("&", "").casefold() for a in window.menuBar().actions()}
    roles = {_(label).casefold() for label in ROLE_LABELS.values()}
    assert len(roles) == len(ROLE_LABELS)
    assert not roles & menus
