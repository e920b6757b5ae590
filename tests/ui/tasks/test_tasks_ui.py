"""My day, the task list, the new-task dialog (from the menu and the contact card) and the
reminders: what they change through the services, and screenshots in nl and fr."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.domain.tasks import TaskDraft
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import RequestInput
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.tasks.my_day import MyDayDialog
from privacycrm_desktop.ui.tasks.task_dialog import TaskDialog
from privacycrm_desktop.ui.tasks.task_list import TaskListDialog
from privacycrm_desktop.ui.tasks.task_rows import TASK_ID_ROLE

from ..screens import save

GOOD = "another good password"


@pytest.fixture
def planned(services: Services, owner: Actor, clock: FixedClock) -> dict[str, int]:
    services.demo.generate(owner, 30, seed=5)
    today = services.tasks.now().date()
    first = services.contacts.page(owner, limit=1)[0].id
    made = {
        "late": services.tasks.add(
            owner,
            TaskDraft(
                "Call back about the offer", due_on=today - dt.timedelta(2), contact_id=first
            ),
        ),
        "today": services.tasks.add(
            owner, TaskDraft("Send the price list", due_on=today, due_time=dt.time(16, 30))
        ),
        "week": services.tasks.add(owner, TaskDraft("Order paper", due_on=today + dt.timedelta(1))),
    }
    # A request received four weeks ago: its deadline falls this week.
    received = today - dt.timedelta(days=28)
    services.requests.add(owner, RequestInput(RequestKind.ACCESS, (first,), received))
    return made


def _rows(tree_items: list[QTreeWidgetItem]) -> list[str]:
    return [i.text(0) for i in tree_items]


def _items(dialog: MyDayDialog | TaskListDialog) -> list[QTreeWidgetItem]:
    tree = dialog.tree
    return [tree.topLevelItem(n) for n in range(tree.topLevelItemCount())]


def test_my_day_shows_the_groups_and_ticks_a_task_off(
    qtbot: QtBot, services: Services, owner: Actor, planned: dict[str, int]
) -> None:
    dialog = MyDayDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.show()
    texts = _rows(_items(dialog))
    assert texts[0].startswith("Overdue (1)")
    assert texts.index("Call back about the offer") < texts.index("Send the price list")
    assert any(t.startswith("Answer the request R-") for t in texts)
    late = next(i for i in _items(dialog) if i.data(0, TASK_ID_ROLE) == planned["late"])
    assert late.checkState(0) == Qt.CheckState.Unchecked
    late.setCheckState(0, Qt.CheckState.Checked)
    assert services.tasks.get(owner, planned["late"]).done
    dialog.refresh()
    assert "Call back about the offer" not in _rows(_items(dialog))


def test_a_new_task_from_the_card_is_about_its_contact(
    qtbot: QtBot, services: Services, owner: Actor, planned: dict[str, int]
) -> None:
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.show()
    window.view.selectRow(0)
    qtbot.waitUntil(lambda: window.card.contact_id is not None, timeout=2000)
    contact_id = window.card.contact_id
    assert contact_id is not None
    assert "card_task" in {b.objectName() for b in window.card.buttons.values()}
    window.card.buttons["task"].click()
    dialog = window.findChild(TaskDialog)
    assert isinstance(dialog, TaskDialog)
    assert dialog.about.isChecked()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # no title yet
    dialog.title.setText("Bel terug: offerte")
    dialog.details.setPlainText("Over de prijs")
    dialog.at_time.setChecked(True)
    ok.click()
    assert not dialog.isVisible()
    mine = services.tasks.list_tasks(owner, contact_id=contact_id)
    assert [(t.title, t.details, t.due_time) for t in mine if t.id not in planned.values()] == [
        ("Bel terug: offerte", "Over de prijs", dt.time(9, 0))
    ]
    # Ctrl+D opens My day; Tasks > New task... without a card contact makes a plain task.
    window.task_actions.my_day_action.trigger()
    assert isinstance(window.task_actions.my_day_dialog, MyDayDialog)
    assert window.task_actions.my_day_dialog.isVisible()


def test_a_refused_task_keeps_the_dialog_open_with_the_reason(
    qtbot: QtBot, services: Services, owner: Actor, planned: dict[str, int]
) -> None:
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    dialog = window.task_actions.new_task()
    assert dialog is not None
    dialog.title.setText("x" * 10)
    dialog.due.set_value(None)
    # Handed to a user deactivated meanwhile: refused, the dialog says why and stays.
    services.auth.add_user(owner, "sam", GOOD, Role.SALES)
    dialog.assignee.addItem("sam", services.tasks.user_id(owner, "sam"))
    dialog.assignee.setCurrentIndex(dialog.assignee.count() - 1)
    services.auth.deactivate_user(owner, "sam")
    dialog.accept()
    assert dialog.error.isVisible()
    assert dialog.error.text()
    assert len(services.tasks.list_tasks(owner)) == 3


def test_the_task_list_filters_and_a_role_without_tasks_sees_them_hidden(
    qtbot: QtBot, services: Services, owner: Actor, planned: dict[str, int]
) -> None:
    services.auth.add_user(owner, "olga", GOOD, Role.OFFICE)
    olga = services.auth.login("olga", GOOD)
    services.tasks.add(owner, TaskDraft("For Olga", assignee_id=olga.user_id))
    dialog = TaskListDialog(services, owner)
    qtbot.addWidget(dialog)
    assert len(_items(dialog)) == 3  # mine
    dialog.mine.setChecked(False)
    assert len(_items(dialog)) == 4
    dialog.overdue.setChecked(True)
    assert _rows(_items(dialog)) == ["Call back about the offer"]
    services.access.set_field_access(owner, Role.OFFICE, "tasks", FieldAccess.HIDDEN)
    theirs = TaskListDialog(services, olga)
    qtbot.addWidget(theirs)
    theirs.mine.setChecked(False)
    rows = {i.data(0, TASK_ID_ROLE): i for i in _items(theirs)}
    hidden = rows[planned["late"]]
    assert "Call back" not in hidden.text(0)
    assert not hidden.flags() & Qt.ItemFlag.ItemIsEnabled  # no box to tick


def test_reminders_tell_of_tasks_that_come_due_while_the_app_runs(
    qtbot: QtBot, services: Services, owner: Actor, planned: dict[str, int], clock: FixedClock
) -> None:
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    actions = window.task_actions
    assert actions.check_reminders() == 0  # what was due at start is in My day
    assert not actions.notice.isVisible()
    clock.current = clock.current.replace(hour=16, minute=31)
    window.show()
    assert actions.check_reminders() == 1  # the 16:30 task
    assert actions.notice.isVisible()
    assert "Send the price list" not in actions.notice.text()  # a count, no title
    assert actions.check_reminders() == 0  # once only
    window.lock()
    clock.current = clock.current + dt.timedelta(days=1)
    assert actions.check_reminders() == 0  # nothing read behind the lock


def test_a_task_is_reminded_of_minutes_before_its_time_once(
    qtbot: QtBot, services: Services, owner: Actor, planned: dict[str, int], clock: FixedClock
) -> None:
    from privacycrm_desktop.ui.tasks.menu import REMIND_AHEAD

    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.show()
    actions = window.task_actions
    due = dt.datetime.combine(services.tasks.now().date(), dt.time(16, 30))

    def local(moment: dt.datetime) -> None:  # set the fake clock to local time *moment*
        clock.current = clock.current + (moment - services.tasks.now())

    local(due - REMIND_AHEAD - dt.timedelta(minutes=1))
    assert actions.check_reminders() == 0  # not yet
    assert not actions.notice.isVisible()
    local(due - REMIND_AHEAD + dt.timedelta(minutes=1))
    assert actions.check_reminders() == 1  # the 16:30 task, before its time
    assert actions.notice.isVisible()
    minutes = str(int(REMIND_AHEAD.total_seconds() // 60))
    assert minutes in actions.notice.text()
    assert "Send the price list" not in actions.notice.text()  # a count, no title
    local(due + dt.timedelta(minutes=1))
    assert actions.check_reminders() == 0  # once per task, also when its time comes
    # A task added for in a few minutes is reminded of too; one for tomorrow is not.
    soon = due + dt.timedelta(minutes=5)
    services.tasks.add(owner, TaskDraft("Ring Ann", due_on=soon.date(), due_time=soon.time()))
    tomorrow = soon + dt.timedelta(days=1)
    services.tasks.add(owner, TaskDraft("Later", due_on=tomorrow.date(), due_time=tomorrow.time()))
    actions.show_my_day().close()  # the notice goes when My day is opened
    assert not actions.notice.isVisible()
    assert actions.check_reminders() == 1
    assert actions.notice.isVisible()


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_task_screenshots(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    planned: dict[str, int],
    language: str,
    clock: FixedClock,
) -> None:
    apply_language(language)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    window.view.selectRow(0)
    qtbot.waitUntil(lambda: window.card.contact_id is not None, timeout=2000)
    day = window.task_actions.show_my_day()
    for dialog, name in (
        (day, "my-day"),
        (window.task_actions.show_task_list(), "task-list"),
        (window.task_actions.new_task(), "new-task"),
    ):
        assert dialog is not None
        assert dialog.width() <= 1024
        assert dialog.height() <= 600
        save(dialog, f"{language}-tasks-{name}", settle=True)
        dialog.close()
    save(window, f"{language}-tasks-main-window", settle=True)
    # The reminder of the 16:30 task, a few minutes before.
    clock.current = clock.current + (
        dt.datetime.combine(services.tasks.now().date(), dt.time(16, 25)) - services.tasks.now()
    )
    assert window.task_actions.check_reminders() == 1
    save(window, f"{language}-tasks-reminder", settle=True)


def test_a_requests_deadline_in_my_day_becomes_a_task_with_its_origin(
    qtbot: QtBot, services: Services, owner: Actor, planned: dict[str, int]
) -> None:
    from privacycrm_desktop.domain.tasks import TaskOrigin

    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    day = window.task_actions.show_my_day()
    row = next(i for i in _items(day) if i.text(0).startswith("Answer the request"))
    text, about = row.text(0), row.text(1)  # the rows are made again after the save
    day.tree.itemActivated.emit(row, 0)
    dialog = window.findChild(TaskDialog)
    assert isinstance(dialog, TaskDialog)
    assert dialog.title.text() == text
    assert dialog.about.isChecked()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    made = [t for t in services.tasks.list_tasks(owner) if t.id not in planned.values()]
    assert [(t.origin, t.contact_name, t.due_on) for t in made] == [
        (TaskOrigin.REQUEST_DEADLINE, about, services.tasks.now().date())
    ]
    # My day now lists the new task beside the deadline it came from.
    assert sum(i.text(0) == text for i in _items(day)) == 2


def test_the_menu_and_my_day_open_the_whole_task_list(
    qtbot: QtBot, services: Services, owner: Actor, planned: dict[str, int]
) -> None:
    """The menu entry's and the button's signal carry a "checked" False: it must not be
    taken for a contact (the list then showed the tasks of nobody)."""
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.show()
    window.task_actions.list_action.trigger()
    opened = [d for d in window.findChildren(TaskListDialog) if d.isVisible()]
    assert len(opened) == 1
    assert len(_items(opened[0])) == 3
    opened[0].close()
    day = window.task_actions.show_my_day()
    day.list_button.click()
    opened = [d for d in window.findChildren(TaskListDialog) if d.isVisible()]
    assert len(opened) == 1
    assert len(_items(opened[0])) == 3
