"""The log dialog's "With:" search field: Enter there runs the search, it does not save the
interaction with only the first person found (a GUI tester's finding)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.contacts import Relationship
from privacycrm_desktop.services.dto import ContactRow
from privacycrm_desktop.ui.contacts.activity_dialog import LogActivityDialog

PEOPLE = {
    "Zoë": [ContactRow(2, "Lefèvre, Zoë", "", "", "", "Gent", Relationship.CUSTOMER, None)],
    "Peeters": [
        ContactRow(3, "Peeters, Jan", "", "", "", "Aalst", Relationship.CUSTOMER, None),
        ContactRow(4, "Peeters, An", "", "", "", "Leuven", Relationship.CUSTOMER, None),
    ],
}


def test_enter_in_the_with_field_searches_and_does_not_save(qtbot: QtBot) -> None:
    saved: list[ActivityInput] = []
    searched: list[str] = []

    def find(query: str) -> list[ContactRow]:
        searched.append(query)
        return PEOPLE.get(query, [])

    dialog = LogActivityDialog(
        saved.append,
        ActivityKind.VISIT,
        dt.datetime(2026, 12, 7, 9, 0),
        find_people=find,
        exclude=1,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.summary.setText("Visited the shop")
    dialog.people_query.setFocus()
    for query in ("Zoë", "Peeters"):
        dialog.people_query.setText(query)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            qtbot.keyClick(dialog.people_query, key)
            assert dialog.isVisible()
            assert not saved  # not accepted
        assert searched[-1] == query
    # the second search listed both Peeters beside the ticked Zoë: tick one, then save
    texts = [dialog.people.item(i).text() for i in range(dialog.people.count())]
    assert any("Peeters, An" in t for t in texts)
    assert any("Peeters, Jan" in t for t in texts)
    dialog.people.item(dialog.people.count() - 1).setCheckState(Qt.CheckState.Checked)
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Return)  # Enter elsewhere still saves
    assert len(saved) == 1
    assert saved[0].people == (2, 4)
    assert dialog.result() == LogActivityDialog.DialogCode.Accepted
