"""Mnemonics chosen at run time: unique, on word starts when possible, clashes resolved."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot

from privacycrm_desktop.ui.common.mnemonics import assign_mnemonics, mnemonic_of, without_mnemonic


def labels(qtbot: QtBot, *texts: str) -> list[QLabel]:
    made = [QLabel(t) for t in texts]
    for label in made:
        qtbot.addWidget(label)
    return made


def test_word_starts_first_and_every_letter_once(qtbot: QtBot) -> None:
    first, last, city = labels(qtbot, "First name:", "Last name:", "City:")
    assign_mnemonics([first, last, city])
    assert [first.text(), last.text(), city.text()] == ["&First name:", "&Last name:", "&City:"]


def test_an_early_label_does_not_take_the_only_letter_a_later_one_has(qtbot: QtBot) -> None:
    # "Ab" could take a or b; "A" only a: a matching gives both a letter.
    ab, a = labels(qtbot, "Ab", "A")
    found = assign_mnemonics([ab, a])
    assert sorted(found) == ["a", "b"]
    assert a.text() == "&A"
    assert ab.text() == "A&b"


def test_a_clash_between_two_translations_is_resolved(qtbot: QtBot) -> None:
    channel, contact = labels(qtbot, "&Canal :", "&Contact :")
    find = QPushButton("&Chercher")
    qtbot.addWidget(find)
    assign_mnemonics([channel, contact, find])
    letters = [mnemonic_of(w.text()) for w in (channel, contact, find)]
    assert letters[0] == "c"  # the first keeps its letter
    assert None not in letters
    assert len(set(letters)) == 3
    assert without_mnemonic(contact.text()) == "Contact :"


def test_ampersands_and_accents(qtbot: QtBot) -> None:
    consent, accented = labels(qtbot, "Consent && marketing", "Été")
    assign_mnemonics([consent, accented])
    assert consent.text().count("&&") == 1
    assert mnemonic_of(consent.text()) == "c"
    # Alt+É is hard to type: the mnemonic goes on a plain letter.
    assert accented.text() == "É&té"
    assert without_mnemonic("A && B &c") == "A && B c"
