"""Values the CLI refuses before anything is stored, each with one line naming its option:
a country code that is no country, an implausible date, a source dated in the future."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_cli import INIT, SOURCE, ZOE, _env, db, run, run_json  # noqa: F401 (fixtures: the autouse environment, the file)

ADD = ["contacts", "add", "--first-name", "Ann", "--last-name", "Peeters"]
BY_PHONE = ["--source-kind", "phone_call", "--source", "phoned in"]
IMPORT = [*BY_PHONE, "--purpose", "customer_relationship"]
COMPANY = ["company", "add", "--name", "Brouwerij Zoë", *BY_PHONE]


@pytest.fixture
def ready(capsys: pytest.CaptureFixture[str], db: Path) -> Path:  # noqa: F811 (fixture)
    """An initialised database with Zoë in it."""
    code, _out, err = run(capsys, db, *INIT, user=None)
    assert code == 0, err
    assert run_json(capsys, db, *ZOE, *SOURCE, "2024-05-01") == {"id": 1}
    return db


def refused(capsys: pytest.CaptureFixture[str], ready: Path, *argv: str, code: int = 2) -> str:
    """The one line of stderr of a refused command; nothing on stdout, no new contact."""
    got, out, err = run(capsys, ready, *argv)
    assert got == code, err
    assert out == ""
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize("code", ["XX", "ZZ", "zz", "QO", "EU"])
def test_a_country_code_that_is_no_country_is_refused(
    capsys: pytest.CaptureFixture[str], ready: Path, code: str
) -> None:
    line = refused(capsys, ready, *ADD, *BY_PHONE, "--country", code)
    assert line.endswith("argument --country: use a two-letter country code such as BE")
    line = refused(capsys, ready, *COMPANY, "--country", code)
    assert "--country" in line
    assert run_json(capsys, ready, "contacts", "list")["total"] == 1
    assert run_json(capsys, ready, "company", "list")["total"] == 0
    # A country is still taken by its code or its name.
    assert run_json(capsys, ready, *ADD, *BY_PHONE, "--country", "nl") == {"id": 2}
    assert run_json(capsys, ready, "contacts", "show", "2")["country"] == "NL"


def test_a_name_cannot_be_made_to_show_reversed(
    capsys: pytest.CaptureFixture[str], ready: Path
) -> None:
    # U+202E RIGHT-TO-LEFT OVERRIDE would show "\u202esneeteP" as "Peteens".
    added = run_json(
        capsys,
        ready,
        "contacts",
        "add",
        "--first-name",
        "\u202enA",
        "--last-name",
        "\u2066sneeteP\u2069",
        "--notes",
        "\u202eplease call",
        *BY_PHONE,
    )
    shown = run_json(capsys, ready, "contacts", "show", str(added["id"]))
    assert (shown["first_name"], shown["last_name"], shown["notes"]) == (
        "nA",
        "sneeteP",
        "please call",
    )
    arabic = run_json(
        capsys, ready, "contacts", "add", "--first-name", "محمد", "--last-name", "العلي", *BY_PHONE
    )
    shown = run_json(capsys, ready, "contacts", "show", str(arabic["id"]))
    assert (shown["first_name"], shown["last_name"]) == ("محمد", "العلي")


@pytest.mark.parametrize("day", ["1000-01-01", "1026-05-01", "1899-12-31"])
def test_a_date_before_1900_is_refused_naming_its_option(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path, day: str
) -> None:
    expected = f"{day} lies before 1900: check the year"
    line = refused(capsys, ready, *ADD, *BY_PHONE, "--source-date", day)
    assert line.endswith(f"argument --source-date: {expected}")
    line = refused(
        capsys, ready, "request", "add", "--kind", "access", "--contact", "1", "--received", day
    )
    assert line.endswith(f"argument --received: {expected}")
    path = tmp_path / "list.csv"
    path.write_text("First Name,Last Name\nAnn,Peeters\n")
    line = refused(capsys, ready, "import", str(path), *IMPORT, "--obtained", day)
    assert line.endswith(f"argument --obtained: {expected}")
    assert run_json(capsys, ready, "contacts", "list")["total"] == 1
    assert run_json(capsys, ready, *ADD, *BY_PHONE, "--source-date", "1900-01-01") == {"id": 2}


def test_a_birth_date_follows_the_editors_rule(
    capsys: pytest.CaptureFixture[str], ready: Path
) -> None:
    """An ancestor's 1850 birthday is taken, as in the editor and an import; centuries back
    is a typing mistake, refused naming the option."""
    added = run_json(capsys, ready, *ADD, *BY_PHONE, "--birth-date", "1850-03-01")
    shown = run_json(capsys, ready, "contacts", "show", str(added["id"]))
    assert shown["birth_date"] == "1850-03-01"
    line = refused(capsys, ready, *ADD, *BY_PHONE, "--birth-date", "1026-05-01")
    assert line.endswith("argument --birth-date: 1026-05-01 lies before 1605: check the year")


def test_an_import_dated_in_the_future_names_the_option(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_text("First Name,Last Name\nAnn,Peeters\n")
    line = refused(capsys, ready, "import", str(path), *IMPORT, "--obtained", "2999-01-01", code=1)
    assert line == "privacycrm-cli: --obtained: A source cannot be dated in the future."
    # Every value the plan refuses is named by its option, all on the one line.
    line = refused(
        capsys,
        ready,
        "import",
        str(path),
        *BY_PHONE,
        "--purpose",
        "nonsense",
        "--obtained",
        "2999-01-01",
        code=1,
    )
    assert line.startswith("privacycrm-cli: --obtained: A source cannot be dated in the future.")
    assert "--purpose: Choose a purpose from the register." in line
    assert run_json(capsys, ready, "contacts", "list")["total"] == 1
