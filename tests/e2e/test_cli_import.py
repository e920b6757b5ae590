"""``import FILE``, ``import list`` and ``import undo BATCH`` through the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from .test_cli import INIT, SOURCE, ZOE, _env, db, run, run_json  # noqa: F401 (fixtures: the autouse environment, the file)

CORPUS = Path(__file__).parents[1] / "data" / "import"
IMPORT = ["--source-kind", "third_party", "--source", "Fair list", "--purpose"]


@pytest.fixture
def ready(capsys: pytest.CaptureFixture[str], db: Path) -> Path:  # noqa: F811 (fixture)
    """An initialised database with Zoë in it."""
    code, _out, err = run(capsys, db, *INIT, user=None)
    assert code == 0, err
    assert run_json(capsys, db, *ZOE, *SOURCE, "2024-05-01") == {"id": 1}
    return db


def test_import_prints_counts_by_outcome_and_reason(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    path = CORPUS / "excel_nl_bom_semicolon.csv"
    dry = run_json(
        capsys, ready, "import", str(path), *IMPORT, "customer_relationship", "--dry-run"
    )
    assert dry["dry_run"] is True
    assert dry["batch_id"] is None
    assert run_json(capsys, ready, "contacts", "list")["total"] == 1
    # The sheet's "misschien" consent answer records nothing and is a value to look at:
    # Lars arrives all the same.
    done = run_json(capsys, ready, "import", str(path), *IMPORT, "customer_relationship")
    assert done == {
        "profile": "generic",
        "mapping": [
            {"column": "Naam", "field": "last_name"},
            {"column": "Voornaam", "field": "first_name"},
            {"column": "E-mail", "field": "email"},
            {"column": "GSM", "field": "phone"},
            {"column": "Straat", "field": "street"},
            {"column": "Postcode", "field": "postcode"},
            {"column": "Gemeente", "field": "city"},
            {"column": "Taal", "field": "language"},
            {"column": "Nieuwsbrief", "field": "consent"},
        ],
        "id": 1,
        "batch_id": 1,
        "dry_run": False,
        "total_rows": 4,
        "imported": 4,
        "merged": 0,
        "conflicts": 0,
        "skipped": {"erased": 0, "objected": 0, "duplicate": 0, "duplicate_in_file": 0},
        "invalid_rows": 0,
        "invalid_by_reason": {},
        "problems": [],
        "cancelled": False,
        "to_check_count": 1,
        "to_check": [
            {
                "row": 4,
                "column": "Nieuwsbrief",
                "field": "consent",
                "value": "misschien",
                "message": "misschien is not a consent answer (yes or no): no consent recorded.",
            }
        ],
        "defaults": {
            "country": {"value": "BE", "rows": 4},
            "language": {"value": "nl", "rows": 0},
        },
    }
    again = run_json(capsys, ready, "import", str(path), *IMPORT, "customer_relationship")
    assert again["skipped"]["duplicate"] == 4
    assert again["batch_id"] is None
    code, out, err = run(capsys, ready, "import", str(path), *IMPORT, "customer_relationship")
    assert code == 0, err
    assert "4 skipped: already a contact" in out


def test_reasons_are_written_out_and_a_file_of_invalid_rows_fails(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    path = tmp_path / "nobody.csv"
    path.write_text("Postcode,City,Extra\n9000,Gent,\n1000,Brussel,,surplus\n")
    invalid = tmp_path / "fix.csv"
    code, out, err = run(
        capsys,
        ready,
        "import",
        str(path),
        *IMPORT,
        "customer_relationship",
        "--invalid-out",
        str(invalid),
        "--format",
        "json",
    )
    assert code == 1
    assert err.strip() == "No row of the file can be imported."
    done = json.loads(out)
    assert (done["imported"], done["invalid_rows"]) == (0, 2)
    # Every reason written out, none a template with blanks.
    assert done["invalid_by_reason"] == {
        "Nothing identifies a person or organisation: no name, e-mail address or phone number.": 2,
        "This row has 4 cells but the header has 3.": 1,
    }
    assert "{value}" not in out
    assert "{cells}" not in out
    assert "Gent" in invalid.read_text(encoding="utf-8-sig")


def test_the_default_country_of_an_import_reads_its_phone_numbers(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    path = tmp_path / "toronto.csv"
    path.write_text(
        "First Name,Last Name,Mobile Phone,Postal Code\n"
        "Ann,Lee,(416) 736-2100,M5V 2T6\n"
        "Bob,Roy,(905) 555-1234,\n"
    )
    code, out, err = run(
        capsys,
        ready,
        "import",
        str(path),
        *IMPORT,
        "customer_relationship",
        "--country",
        "Canada",
        "--dry-run",
    )
    assert code == 0, err  # a country may be given by its name too
    assert "1 value needs a look (kept as typed or in the notes)" in out
    assert "  row 2, Mobile Phone: (905) 555-1234 looks like a made-up number (555)" in out
    assert "2 rows name no country: Canada taken" in out
    done = run_json(
        capsys, ready, "import", str(path), *IMPORT, "customer_relationship", "--country", "CA"
    )
    assert (done["imported"], done["to_check_count"]) == (2, 1)
    assert done["to_check"][0]["message"] == (
        "(905) 555-1234 looks like a made-up number (555): kept, to be checked."
    )
    assert done["defaults"]["country"] == {"value": "CA", "rows": 2}
    shown = run_json(capsys, ready, "contacts", "show", "2")
    assert [p["value"] for p in shown["phones"]] == ["+14167362100"]
    code, _out, err = run(
        capsys, ready, "import", str(path), *IMPORT, "customer_relationship", "--country", "Xx"
    )
    assert code == 2
    assert "--country" in err


def test_the_check_names_the_program_that_wrote_the_file(
    capsys: pytest.CaptureFixture[str], ready: Path
) -> None:
    path = CORPUS / "linkedin_connections.csv"
    dry = run_json(
        capsys, ready, "import", str(path), *IMPORT, "customer_relationship", "--dry-run"
    )
    assert dry["profile"] == "linkedin"
    assert dry["mapping"][:4] == [
        {"column": "First Name", "field": "first_name"},
        {"column": "Last Name", "field": "last_name"},
        {"column": "URL", "field": "note_line"},
        {"column": "Email Address", "field": "email"},
    ]
    assert (dry["total_rows"], dry["imported"], dry["invalid_rows"]) == (2, 2, 0)
    outlook = CORPUS / "outlook_en_full_header.csv"
    code, out, err = run(
        capsys, ready, "import", str(outlook), *IMPORT, "customer_relationship", "--dry-run"
    )
    assert code == 0, err
    assert "The file was read as an Outlook export." in out
    assert "3 imported" in out


def test_import_list_and_undo(capsys: pytest.CaptureFixture[str], ready: Path) -> None:
    path = CORPUS / "google_contacts.csv"
    done = run_json(capsys, ready, "import", str(path), *IMPORT, "customer_relationship")
    assert done["imported"] == 2
    [batch] = run_json(capsys, ready, "import", "list")
    assert batch["id"] == done["batch_id"]
    assert (batch["contacts"], batch["undoable"], batch["undone"]) == (2, True, False)
    undone = run_json(capsys, ready, "import", "undo", str(batch["id"]))
    assert undone == {"id": batch["id"], "removed": 2}
    assert run_json(capsys, ready, "contacts", "list")["total"] == 1
    code, _out, err = run(capsys, ready, "import", "undo", str(batch["id"]))
    assert code == 1
    assert len(err.strip().splitlines()) == 1


def test_legal_basis_mapping_and_format_options(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(
        "Achternaam|Voornaam|Mail|Opt-in post\nPeeters|Jan|jan@example.be|ja\n".encode("cp1252")
    )
    done = run_json(
        capsys,
        ready,
        "import",
        str(path),
        *IMPORT,
        "direct_marketing_consent",
        "--legal-basis",
        "consent",
        "--encoding",
        "cp1252",
        "--delimiter",
        "|",
        "--map",
        "Mail=email",
        "--map",
        "Opt-in post=consent:direct_marketing_consent:post",
        "--obtained",
        "2026-01-15",
    )
    assert done["imported"] == 1
    shown = run_json(capsys, ready, "contacts", "show", "2")
    assert shown["emails"][0]["value"] == "jan@example.be"
    assert shown["emails"][0]["source"]["obtained_on"] == "2026-01-15"


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["import", "FILE", "--source", "x", "--purpose", "p"], 2, "--source-kind"),
        (["import", "undo"], 2, "BATCH"),
        (["import", "no-such-file.csv", *IMPORT, "customer_relationship"], 1, "opened"),
        (["import", str(CORPUS / "outlook_en.csv"), *IMPORT, "nonsense"], 1, "purpose"),
        (
            [
                "import",
                str(CORPUS / "outlook_en.csv"),
                *IMPORT,
                "customer_relationship",
                "--map",
                "Nope=email",
            ],
            2,
            "Nope",
        ),
        (
            [
                "import",
                str(CORPUS / "outlook_en.csv"),
                "--source-kind",
                "third_party",
                "--source",
                " ",
                "--purpose",
                "customer_relationship",
            ],
            1,
            "source",
        ),
    ],
)
def test_refusals_and_usage_errors(
    capsys: pytest.CaptureFixture[str], ready: Path, argv: list[str], code: int, words: str
) -> None:
    got, out, err = run(capsys, ready, *argv)
    assert got == code, err
    assert out == ""
    assert words in err
    assert len(err.strip().splitlines()) == 1
    assert run_json(capsys, ready, "contacts", "list")["total"] == 1


def test_a_birthday_without_a_year_is_shown_without_one(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    path = tmp_path / "els.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:4.0\r\nN:Wouters;Els\r\nBDAY:--0517\r\nEND:VCARD\r\n")
    assert (
        run_json(capsys, ready, "import", str(path), *IMPORT, "customer_relationship")["imported"]
        == 1
    )
    shown = run_json(capsys, ready, "contacts", "show", "2")
    assert shown["birth_date"] == "--05-17"
    code, out, err = run(capsys, ready, "contacts", "show", "2")
    assert code == 0, err
    assert "--05-17" in out
    assert "1604" not in out


def test_the_text_says_which_filled_columns_were_not_imported(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    path = tmp_path / "outlook.csv"
    path.write_text(
        "First Name,Last Name,E-mail Address,Job Title,Hobby,Web Page,Pager\n"
        "An,Maes,an@example.be,Baker,Bread,,\n"
    )
    code, out, err = run(
        capsys, ready, "import", str(path), *IMPORT, "customer_relationship", "--dry-run"
    )
    assert code == 0, err
    # The filled one is named; the empty ones are not worth a word.
    assert "Columns not imported: Hobby\n" in out
    assert "1 row read\n" in out


def test_notes_with_special_category_data_are_kept_only_with_confirm_special(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    path = tmp_path / "fair.csv"
    path.write_text(
        "First name,Last name,E-mail,Notes\nJan,Peeters,jan@x.be,diabetes patient\n",
        encoding="utf-8",
    )
    args = ("import", str(path), *IMPORT, "customer_relationship")
    dry = run_json(capsys, ready, *args, "--dry-run")
    assert dry["imported"] == 1
    (left_out,) = dry["to_check"]
    assert left_out["field"] == "notes"
    assert left_out["value"].startswith("diabet")  # the word found, not the line
    assert "--confirm-special" not in left_out["message"]
    done = run_json(capsys, ready, *args, "--confirm-special")
    assert (done["imported"], done["to_check_count"]) == (1, 0)
    shown = run_json(capsys, ready, "contacts", "show", "2")  # Zoë is 1
    assert shown["notes"] == "diabetes patient"


def test_a_merge_says_which_values_it_did_not_take(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text("First name,Last name,E-mail,City\nJan,Peeters,jan@x.be,Gent\n", "utf-8")
    again = tmp_path / "again.csv"
    again.write_text("First name,Last name,E-mail,City\nJan,Peeters,jan@x.be,Brugge\n", "utf-8")
    args = (*IMPORT, "customer_relationship", "--duplicates", "merge")
    assert run_json(capsys, ready, "import", str(first), *args)["imported"] == 1
    code, out, err = run(capsys, ready, "import", str(again), *args)
    assert code == 0, err
    assert "1 merged row had another value for a field the contact already had" in out


def test_a_card_with_a_line_that_is_no_property_arrives_with_the_line_in_its_notes(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    # Seen on main (issue 19): the line refused the whole card, so the contact was lost.
    path = tmp_path / "broken.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Wouters;Els\r\nEMAIL;TYPE=INTERNET els@example.be\r\n"
        "TEL:+32 475 12 34 56\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nnothing but this\r\nEND:VCARD\r\n"
    )
    done = run_json(capsys, ready, "import", str(path), *IMPORT, "customer_relationship")
    assert (done["imported"], done["invalid_rows"]) == (1, 1)
    # The line is a value to check, with its row and reason, not only a line of the notes.
    (check,) = done["to_check"]
    assert (check["row"], check["column"]) == (1, "Not read")
    assert check["message"].endswith("kept in the notes.")
    assert list(done["invalid_by_reason"]) == [
        "Nothing identifies a person or organisation: no name, e-mail address or phone number."
    ]
    shown = run_json(capsys, ready, "contacts", "show", "2")
    assert shown["last_name"] == "Wouters"
    assert shown["notes"] == "Not read: EMAIL;TYPE=INTERNET els@example.be"


def test_an_american_file_s_dates_are_read_month_first_all_of_them(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    # Seen on main (issue 19): "05/06/1980" became the 5th of June in a file whose other
    # date, "5/17/1980", shows it writes the month first.
    path = tmp_path / "outlook_us.csv"
    path.write_text(
        "First Name,Last Name,E-mail Address,Birthday\n"
        "Ann,Smith,ann@example.com,5/17/1980\n"
        "Bob,Jones,bob@example.com,05/06/1980\n"
    )
    done = run_json(capsys, ready, "import", str(path), *IMPORT, "customer_relationship")
    assert done["imported"] == 2
    listed = run_json(capsys, ready, "contacts", "list", "--search", "bob@example.com")
    shown = run_json(capsys, ready, "contacts", "show", str(listed["contacts"][0]["id"]))
    assert shown["birth_date"] == "1980-05-06"


@pytest.mark.parametrize(
    ("lang", "header", "reason"),
    [
        (None, "Problem", "This row has 4 cells but the header has 3."),
        ("fr", "Problème", "Cette ligne a 4 cellules, mais l'en-tête en a 3."),
    ],
)
def test_the_invalid_rows_file_is_in_the_language_of_the_cli(
    capsys: pytest.CaptureFixture[str],
    db: Path,  # noqa: F811 (fixture)
    tmp_path: Path,
    lang: str | None,
    header: str,
    reason: str,
) -> None:
    # The owner is stored with Dutch; the CLI speaks English (LANG=C), or French with
    # --lang fr: the file follows the CLI, as its other messages do.
    code, _out, err = run(capsys, db, *INIT, "--language", "nl", user=None)
    assert code == 0, err
    path = tmp_path / "people.csv"
    path.write_text("First Name,Last Name,City\nAnn,Peeters,Gent\nBob,Smet,Gent,surplus\n")
    invalid = tmp_path / "fix.csv"
    extra = ["--lang", lang] if lang else []
    code, _out, err = run(
        capsys,
        db,
        *extra,
        "import",
        str(path),
        *IMPORT,
        "customer_relationship",
        "--invalid-out",
        str(invalid),
    )
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(invalid.read_text(encoding="utf-8-sig"))))
    assert rows == [["First Name", "Last Name", "City", header], ["Bob", "Smet", "Gent", reason]]
