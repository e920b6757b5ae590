"""``privacycrm-cli labels`` and ``letter``: the marketing rules by post decide who is in,
the JSON summary names who was left out and why, unknown template fields are refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from helpers.cli import PASSWORD
from privacycrm_desktop.cli import main
from privacycrm_desktop.domain.label_sheets import SHEETS
from privacycrm_desktop.i18n import set_language

pytestmark = pytest.mark.real_key_costs

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
SOURCE = ["--source-kind", "business_card", "--source", "Trade fair Gent"]
NEWSLETTER = "direct_marketing_consent"
#: first name, last name, street, postcode, city, country, language, consent by post
PEOPLE = (
    ("Zoë", "Lefèvre", "Rue Haute 3", "4000", "Liège", "BE", "fr", "opt-in"),
    ("Jan", "Peeters", "Kerkstraat 1", "9000", "Gent", "BE", "nl", "opt-out"),
    ("An", "Claes", "Veldstraat 2", "9000", "Gent", "BE", "nl", None),
    ("Marie", "Martin", "Rue de Rivoli 5", "75001", "Paris", "FR", "fr", "opt-in"),
)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    set_language("en")


def run(
    capsys: pytest.CaptureFixture[str], db: Path, *argv: str, user: str | None = "owner"
) -> tuple[int, str, str]:
    args = ["--db", str(db)] + (["--user", user] if user else []) + list(argv)
    try:
        code = main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    path = tmp_path / "crm.db"
    code, _out, err = run(capsys, path, *INIT, user=None)
    assert code == 0, err
    for number, (first, last, street, pc, city, country, lang, status) in enumerate(PEOPLE, 1):
        code, _out, err = run(
            capsys,
            path,
            "contacts",
            "add",
            *("--first-name", first, "--last-name", last, "--street", street),
            *("--postcode", pc, "--city", city, "--country", country, "--language", lang),
            *SOURCE,
        )
        assert code == 0, err
        if status:
            code, _out, err = run(
                capsys,
                path,
                *("consent", "record", str(number), "--purpose", NEWSLETTER),
                *("--channel", "post", "--status", status, "--method", "form_box_ticked"),
                *("--evidence", "paper form"),
            )
            assert code == 0, err
    return path


def test_labels_for_marketing_leave_out_who_may_not_be_written_to(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "labels.pdf"
    code, stdout, err = run(
        capsys,
        db,
        *("labels", "--layout", "3x7", "--purpose", NEWSLETTER, "--output", str(out)),
        *("--start", "4", "--format", "json"),
    )
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["count"] == 2
    left = {entry["id"]: entry["reason"] for entry in summary["left_out"]}
    assert left == {2: "Opted out", 3: "No consent recorded"}
    printed = " ".join(page.extract_text() or "" for page in PdfReader(out).pages)
    assert "Lefèvre" in printed
    assert "FRANCE" in printed
    assert "Peeters" not in printed


@pytest.mark.parametrize("layout", [*SHEETS, "2x8"])
def test_every_named_sheet_and_a_measured_one_by_ids(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path, layout: str
) -> None:
    out = tmp_path / f"{layout}.pdf"
    code, stdout, err = run(
        capsys, db, "labels", "--layout", layout, "--ids", "2", "3", "--output", str(out)
    )
    assert code == 0, err
    assert "2 labels written" in stdout
    # As docs/architecture.md writes it: --out and the ids at the end.
    code, stdout, err = run(capsys, db, "labels", "--layout", layout, "--out", str(out), "1")
    assert code == 0, err
    assert "1 label written" in stdout
    assert out.read_bytes().startswith(b"%PDF")


def test_a_custom_sheet_by_its_measurements_and_one_that_does_not_fit(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "custom.pdf"
    custom = ["--layout", "custom", "--columns", "3", "--rows", "8", "--margins", "12.9,7.21"]
    code, _stdout, err = run(
        capsys,
        db,
        *("labels", *custom, "--size", "63.5x33.9", "--pitch", "66.04,33.9"),
        *("--output", str(out)),
    )
    assert code == 0, err
    code, _stdout, err = run(
        capsys,
        db,
        *("labels", *custom, "--size", "63.5x40", "--pitch", "66.04,40"),
        *("--output", str(tmp_path / "no.pdf")),
    )
    assert code != 0
    assert "foot" in err
    assert not (tmp_path / "no.pdf").exists()


def test_a_letter_in_each_language_and_an_unknown_field_refused(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    nl, fr = tmp_path / "nl.txt", tmp_path / "fr.txt"
    nl.write_text("{salutation}\n\nWij schrijven u in {city}.", encoding="utf-8")
    fr.write_text("{salutation}\n\nNous vous écrivons à {city}.", encoding="utf-8")
    out = tmp_path / "letters.pdf"
    code, stdout, err = run(
        capsys,
        db,
        *("letter", "--template", str(nl), "--template-fr", str(fr), "--output", str(out)),
        *("--format", "json"),
    )
    assert code == 0, err
    assert json.loads(stdout)["count"] == 4
    pages = [page.extract_text() or "" for page in PdfReader(out).pages]
    assert len(pages) == 4
    assert any("Nous vous écrivons à Liège" in page for page in pages)
    assert any("Wij schrijven u in Gent" in page for page in pages)
    bad = tmp_path / "bad.txt"
    bad.write_text("Beste {voornaam}", encoding="utf-8")
    code, _stdout, err = run(
        capsys, db, "letter", "--template", str(bad), "--output", str(tmp_path / "x.pdf")
    )
    assert code != 0
    assert "{voornaam}" in err
    assert "{first_name}" in err


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (["--tag", "mailing"], {"Lefèvre", "Claes"}),
        (["--view", "opted_in:post"], {"Lefèvre", "Martin"}),
        (["--view", "relationship:prospect"], {"Lefèvre", "Peeters", "Claes", "Martin"}),
    ],
)
def test_chosen_by_a_tag_or_a_saved_view(
    capsys: pytest.CaptureFixture[str],
    db: Path,
    tmp_path: Path,
    choice: list[str],
    expected: set[str],
) -> None:
    code, _out, err = run(capsys, db, "tag", "add", "mailing", "1", "3")
    assert code == 0, err
    out = tmp_path / "labels.pdf"
    code, stdout, err = run(
        capsys, db, "labels", "--layout", "L7163", *choice, "--output", str(out), "--format", "json"
    )
    assert code == 0, err
    assert json.loads(stdout)["count"] == len(expected)
    printed = " ".join(page.extract_text() or "" for page in PdfReader(out).pages)
    assert {name for _f, name, *_ in PEOPLE if name in printed} == expected


def test_a_logo_on_the_letterhead_from_the_command_line(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (60, 20), (0, 120, 60)).save(logo)
    code, stdout, err = run(capsys, db, "letterhead", "--logo", str(logo), "--format", "json")
    assert code == 0, err
    assert json.loads(stdout) == {"logo": True}
    text = tmp_path / "t.txt"
    text.write_text("{salutation}", encoding="utf-8")
    out = tmp_path / "l.pdf"
    code, _stdout, err = run(
        capsys, db, "letter", "--template", str(text), "--ids", "1", "--output", str(out)
    )
    assert code == 0, err
    assert len(PdfReader(out).pages[0].images) == 1
    code, _stdout, err = run(capsys, db, "letterhead", "--logo", str(text))
    assert code != 0
    assert "PNG or JPEG" in err
