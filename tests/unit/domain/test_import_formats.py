"""Import rules without a database: encoding and separator detection, the vCard pre-pass,
header guesses in English, Dutch and French, and the cell rules."""

from __future__ import annotations

import codecs
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacycrm_desktop.domain.consent import Channel, ConsentStatus
from privacycrm_desktop.domain.errors import ImportFileUnreadable
from privacycrm_desktop.domain.import_files import (
    decode,
    detect_delimiter,
    detect_encoding,
    detect_shape,
    read_table,
)
from privacycrm_desktop.domain.import_formats import ColumnTarget, FileFormat, ImportField
from privacycrm_desktop.domain.import_headers import guess_target
from privacycrm_desktop.domain.import_rows import read_row
from privacycrm_desktop.domain.import_values import birth_date, consent_answer, country_code
from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.person_names import split_full_name

F = ImportField


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + "Prénom;Nom".encode(), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + "Prénom\tNom".encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + "Prénom\tNom".encode("utf-16-be"), "utf-16"),
        ("First,Last\nJan,Peeters".encode("utf-16-le"), "utf-16-le"),
        ("First,Last\nJan,Peeters".encode("utf-16-be"), "utf-16-be"),
        ("Prénom;Nom".encode(), "utf-8"),
        ("Prénom;Nom;Société".encode("cp1252"), "cp1252"),
        (b"Name\x81\x8d", "iso-8859-1"),  # bytes cp1252 leaves undefined
        (b"plain ascii", "utf-8"),
    ],
)
def test_encoding_bom_first_then_utf8_then_cp1252(data: bytes, encoding: str) -> None:
    assert detect_encoding(data) == encoding
    decode(data, encoding)  # and it reads


def test_an_unknown_or_wrong_encoding_is_refused() -> None:
    with pytest.raises(ImportFileUnreadable):
        decode(b"x", "no-such-codec")
    with pytest.raises(ImportFileUnreadable) as refused:
        decode("é".encode("cp1252"), "utf-8")
    assert refused.value.params == {"encoding": "utf-8"}


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3", ","),
        ("a;b;c\n1;2;3", ";"),
        ("a\tb\tc", "\t"),
        ("a|b|c", "|"),
        ('"Name, first";"Name, last";Mail\n', ";"),  # commas inside quotes do not count
        ('"Street;number",City,Zip\n', ","),
        ("single column\nvalue", ","),
    ],
)
def test_the_separator_is_counted_in_the_header_line(text: str, delimiter: str) -> None:
    assert detect_delimiter(text) == delimiter


def test_a_vcard_is_recognised_by_its_content_not_its_name() -> None:
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jan\r\nEND:VCARD\r\n"
    assert detect_shape(card, "contacts.csv").format is FileFormat.VCARD
    assert detect_shape(b"First,Last\n", "contacts.vcf").format is FileFormat.CSV


def test_vcards_become_rows_and_a_line_that_is_no_property_a_note() -> None:
    data = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Peeters;Jan\r\nEMAIL:a@b.be\r\nEMAIL:c@d.be\r\n"
        b"TEL:0475 12 34 56\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nthis is no property\r\nEND:VCARD\r\n"
    )
    table = read_table(data, detect_shape(data))
    assert table.headers[:7] == ("FN", "N (family)", "N (given)", "ORG", "EMAIL", "EMAIL 2", "TEL")
    assert table.rows[0][1][:7] == ("", "Peeters", "Jan", "", "a@b.be", "c@d.be", "0475 12 34 56")
    # A card of nothing but such a line arrives as a row; the import refuses it for
    # want of a name, e-mail or phone (tests/e2e/test_cli_import.py).
    assert table.broken == []
    assert table.rows[1][0] == 2
    assert table.rows[1][1][table.headers.index("Not read")] == "this is no property"
    assert table.row_count == 2


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("First Name", F.FIRST_NAME),
        ("Voornaam", F.FIRST_NAME),
        ("Prénom", F.FIRST_NAME),
        ("Last Name", F.LAST_NAME),
        ("Achternaam", F.LAST_NAME),
        ("Nom de famille", F.LAST_NAME),
        ("Name", F.FULL_NAME),
        ("E-mail 2 Address", F.EMAIL),
        ("E-mail 1 - Value", F.EMAIL),
        ("E-mailadres", F.EMAIL),
        ("Adresse de messagerie", F.EMAIL),
        ("Courriel", F.EMAIL),
        ("Mobile Phone", F.PHONE),
        ("GSM", F.PHONE),
        ("Tél. mobile", F.PHONE),
        ("Telefoon privé", F.PHONE),
        ("Business Street", F.STREET),
        ("Huisadres, straat", F.STREET),
        ("Rue (domicile)", F.STREET),
        ("Business Postal Code", F.POSTCODE),
        ("Code postal", F.POSTCODE),
        ("Woonplaats", F.CITY),
        ("Localité", F.CITY),
        ("Home Country/Region", F.COUNTRY),
        ("Pays/Région (bureau)", F.COUNTRY),
        ("Taal", F.LANGUAGE),
        ("Verjaardag", F.BIRTH_DATE),
        ("Date de naissance", F.BIRTH_DATE),
        ("Notities", F.NOTES),
        ("Remarques", F.NOTES),
        ("Bedrijf", F.ORGANISATION),
        ("Société", F.ORGANISATION),
        ("Organization Name", F.ORGANISATION),
        ("Business Fax", F.NOTE_LINE),
        ("Job Title", F.FUNCTION),
        ("Functie", F.FUNCTION),
        ("Department", F.DEPARTMENT),
        ("Organization 1 - Title", F.FUNCTION),
        ("Middle Name", F.NOTE_LINE),
    ],
)
def test_known_headers_are_guessed(header: str, field: ImportField) -> None:
    assert guess_target(header) == ColumnTarget(field)


@pytest.mark.parametrize(
    "header", ["Assistant's Phone", "E-mail 1 - Label", "Phone 1 - Type", "Pager 2", "Hobby", ""]
)
def test_other_columns_are_left_out(header: str) -> None:
    assert guess_target(header) is None


def test_a_consent_column_is_mapped_only_with_a_purpose() -> None:
    assert guess_target("Nieuwsbrief") is None
    assert guess_target("Nieuwsbrief", "news") == ColumnTarget(F.CONSENT, "news", "email")
    assert guess_target("Toestemming SMS", "news") == ColumnTarget(F.CONSENT, "news", "sms")
    assert guess_target("Consentement courrier", "news") == ColumnTarget(
        F.CONSENT, "news", Channel.POST.value
    )


@pytest.mark.parametrize(
    ("cell", "status"),
    [
        ("yes", ConsentStatus.OPT_IN),
        ("Ja", ConsentStatus.OPT_IN),
        ("OUI", ConsentStatus.OPT_IN),
        ("1", ConsentStatus.OPT_IN),
        ("true", ConsentStatus.OPT_IN),
        ("x", ConsentStatus.OPT_IN),
        ("no", ConsentStatus.OPT_OUT),
        ("nee", ConsentStatus.OPT_OUT),
        ("Non", ConsentStatus.OPT_OUT),
        ("0", ConsentStatus.OPT_OUT),
        ("FALSE", ConsentStatus.OPT_OUT),
        ("", None),
        ("  ", None),
    ],
)
def test_consent_answers(cell: str, status: ConsentStatus | None) -> None:
    assert consent_answer(cell) is status


@pytest.mark.parametrize("cell", ["maybe", "misschien", "peut-être", "2"])
def test_other_consent_answers_are_refused(cell: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        consent_answer(cell)


@pytest.mark.parametrize(
    ("cell", "date"),
    [
        ("1980-12-31", dt.date(1980, 12, 31)),
        ("19801231", dt.date(1980, 12, 31)),
        ("31/12/1980", dt.date(1980, 12, 31)),
        ("31.12.1980", dt.date(1980, 12, 31)),
        ("5/3/1980", dt.date(1980, 3, 5)),  # day first, as in Belgium
        ("3/15/1980", dt.date(1980, 3, 15)),  # month first when the day cannot be a month
        ("1980-12-31T00:00:00Z", dt.date(1980, 12, 31)),
        ("0/0/00", None),
        # A birthday without a year has the year vCard writers use for it (1604).
        ("--1231", dt.date(1604, 12, 31)),
        ("--12-31", dt.date(1604, 12, 31)),
        ("16040517", dt.date(1604, 5, 17)),
        ("1850-03-04", dt.date(1850, 3, 4)),
        ("", None),
    ],
)
def test_birth_dates(cell: str, date: dt.date | None) -> None:
    assert birth_date(cell) == date


@pytest.mark.parametrize(
    "cell", ["yesterday", "31/31/1980", "1980-02-30", "circa 1800", "1500-01-01"]
)
def test_invalid_birth_dates(cell: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        birth_date(cell)


def test_country_names_and_full_names() -> None:
    assert [country_code(c) for c in ("België", "Belgique", "Belgium", "be", "Pays-Bas")] == [
        "BE",
        "BE",
        "BE",
        "BE",
        "NL",
    ]
    assert split_full_name("Jan Van den Broeck") == ("Jan", "Van den Broeck")
    assert split_full_name("Van den Broeck, Jan") == ("Jan", "Van den Broeck")


def test_a_row_keeps_every_value_it_cannot_use_and_says_which() -> None:
    headers = ("Voornaam", "Achternaam", "E-mail", "E-mail 2", "GSM", "Postcode", "Taal")
    mapping = (
        ColumnTarget(F.FIRST_NAME),
        ColumnTarget(F.LAST_NAME),
        ColumnTarget(F.EMAIL),
        ColumnTarget(F.EMAIL),
        ColumnTarget(F.PHONE),
        ColumnTarget(F.POSTCODE),
        ColumnTarget(F.LANGUAGE),
    )
    cells = ("Jan", "Peeters", "ok@example.be", "kapot@", "12", "99", "klingon")
    row = read_row(7, headers, cells, mapping, dt.date(2026, 3, 2))
    assert not isinstance(row, list)
    assert [(v.row_number, v.column, v.field, v.raw) for v in row.to_check] == [
        (7, "E-mail 2", "emails", "kapot@"),
        (7, "GSM", "phones", "12"),
        (7, "Postcode", "postcode", "99"),
        (7, "Taal", "language", "klingon"),
    ]
    assert row.contact.emails == ("ok@example.be", "kapot@")
    assert row.contact.phones == ("12",)
    assert (row.contact.postcode, row.contact.country) == ("99", "")
    assert row.defaulted == {"language"}
    good = read_row(
        8,
        headers,
        ("Jan", "Peeters", "OK@Example.be", "", "0475 12 34 56", "9000", "fr"),
        mapping,
        dt.date(2026, 3, 2),
    )
    assert not isinstance(good, list)
    assert good.contact.emails == ("OK@example.be",)
    assert good.contact.phones == ("+32475123456",)
    assert good.contact.language.value == "fr"
    assert good.filled == {"first_name", "last_name", "postcode", "language"}
    assert (good.to_check, good.defaulted) == ((), {"country"})


@given(st.text(st.characters(max_codepoint=127)))
def test_the_ascii_fast_path_of_fold_changes_nothing(text: str) -> None:
    import unicodedata

    slow = text
    for _ in range(2):
        decomposed = unicodedata.normalize("NFKD", slow)
        slow = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    assert fold(text) == slow


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('first_name,last_name,email\n"Jan,Peeters,jan@example.be\nAn,Claes,an@example.be\n', 2),
        ('first_name;last_name;notes\nJan;Peeters;x\nAn;Claes;"one\ntwo\n', 3),
    ],
)
def test_a_quote_never_closed_refuses_the_file_naming_its_line(text: str, line: int) -> None:
    """Read leniently, the open quote would swallow every later row into one cell."""
    data = text.encode()
    with pytest.raises(ImportFileUnreadable) as refused:
        read_table(data, detect_shape(data, "contacts.csv"))
    assert refused.value.params == {"line": line}


@pytest.mark.parametrize(
    "text",
    [
        'first_name,last_name,notes\nJan,Peeters,"one\ntwo"\nAn,Claes,x\n',
        'first_name,last_name,notes\nJan,Peeters,x\nAn,Claes,"one\r\ntwo"\r\n',
        'first_name,last_name,notes\nJan,Peeters,5" disk\nAn,Claes,x\n',
    ],
)
def test_closed_quotes_over_lines_and_stray_quotes_keep_every_row(text: str) -> None:
    data = text.encode()
    table = read_table(data, detect_shape(data, "contacts.csv"))
    assert [row[1][:2] for row in table.rows] == [("Jan", "Peeters"), ("An", "Claes")]
