"""The CLI speaks the user's language down to argparse's own "usage:" and "error:" lines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from privacycrm_desktop.cli import main
from privacycrm_desktop.i18n import set_language


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language("en")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", ["utilisation : ", "erreur : ", "choix non valide : 'lisst'"]),
        ("nl", ["gebruik: ", "fout: ", "ongeldige keuze: 'lisst'"]),
        ("en", ["usage: ", "error: ", "invalid choice: 'lisst'"]),
    ],
)
def test_a_mistyped_command_is_explained_in_the_language(
    capsys: pytest.CaptureFixture[str], language: str, expected: list[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--lang", language, "contacts", "lisst"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    for text in expected:
        assert text in err
    if language != "en":
        assert "error:" not in err
        assert "invalid choice" not in err


def test_a_missing_argument_and_the_help_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--lang", "fr", "contacts", "show"])
    assert "les arguments suivants sont obligatoires" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        main(["--lang", "fr", "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert "afficher cette aide et quitter" in out
    assert "show this help message" not in out
