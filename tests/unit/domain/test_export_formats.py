"""CSV and vCard writing of exported contacts: pure formatting."""

from __future__ import annotations

import csv
import io

import pytest
import vobject
from hypothesis import given
from hypothesis import strategies as st

from privacycrm_desktop.domain.contacts import ContactKind
from privacycrm_desktop.domain.csv_cells import FORMULA_STARTS, neutralise, phone_cell, restore
from privacycrm_desktop.domain.export_csv import CsvExportWriter
from privacycrm_desktop.domain.export_formats import (
    EXPORT_FIELDS,
    FIELD_CATEGORIES,
    ExportContact,
    data_categories,
)
from privacycrm_desktop.domain.export_vcard import VcardExportWriter, vcard

ZOE = ExportContact(
    id=7,
    first_name="Zoë",
    last_name="Lefèvre-Dupont",
    organisation="Boulangerie Ŝ & Fils; Liège",
    emails=("zoe@example.be", "z.lefevre@example.fr"),
    phones=("+32470123456", "+3225551234"),
    street="Rue de l'Église 5",
    postcode="4000",
    city="Liège",
    country="BE",
    language="fr",
    birth_date="1931-07-13",
    notes="First line, with a comma;\nsecond line: \\ backslash",
    tags=("Beurs Gent", "=VIP"),
)


def write_csv(contacts: list[ExportContact], fields: tuple[str, ...] = EXPORT_FIELDS) -> bytes:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    emails = max((len(c.emails) for c in contacts), default=0)
    phones = max((len(c.phones) for c in contacts), default=0)
    writer = CsvExportWriter(stream, fields, emails, phones)
    for contact in contacts:
        writer.write(contact)
    stream.flush()
    return raw.getvalue()


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_starts_with_a_bom_and_ends_rows_in_crlf() -> None:
    data = write_csv([ZOE])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\xef\xbb\xbf") == 1
    assert data.endswith(b"\r\n")
    header = CsvExportWriter(io.StringIO(), EXPORT_FIELDS, 2, 2).header()
    assert data.split(b"\r\n")[0] == b"\xef\xbb\xbf" + ",".join(header).encode()


def test_csv_holds_every_value_and_numbered_email_and_phone_columns() -> None:
    (row,) = read_csv(write_csv([ZOE]))
    assert list(row) == [
        "PrivacyCRM no.",
        "UID",
        "First name",
        "Last name",
        "Organisation",
        "E-mail",
        "E-mail 2",
        "Phone",
        "Phone 2",
        "Street",
        "Postcode",
        "City",
        "Country",
        "Language",
        "Birth date",
        "Notes",
        "Tags",
        "Function",
        "Department",
    ]
    assert row["First name"] == "Zoë"
    assert row["Organisation"] == "Boulangerie Ŝ & Fils; Liège"
    assert (row["E-mail"], row["E-mail 2"]) == ZOE.emails
    # A number is only "+" and digits: nothing in it can run, so it stays a number.
    assert (row["Phone"], row["Phone 2"]) == ("+32470123456", "+3225551234")
    assert row["Notes"] == ZOE.notes
    assert row["Birth date"] == "1931-07-13"
    # The tags in one cell, separated as the import splits them.
    assert row["Tags"] == "Beurs Gent, =VIP"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\n"])
def test_csv_neutralises_cells_a_spreadsheet_would_run(start: str) -> None:
    evil = ExportContact(
        id=1,
        first_name=f'{start}HYPERLINK("http://evil")',
        last_name=f"{start}1+1",
        notes=f"{start}cmd|' /C calc'!A0",
        city=f"{start}SUM(A1)",
    )
    (row,) = read_csv(write_csv([evil]))
    for field, column in (
        ("first_name", "First name"),
        ("last_name", "Last name"),
        ("notes", "Notes"),
        ("city", "City"),
    ):
        assert row[column].startswith("'" + start), column
        assert row[column][1:] == getattr(evil, field)


def test_csv_has_no_column_for_a_field_left_out() -> None:
    fields = tuple(f for f in EXPORT_FIELDS if f not in ("notes", "phones", "birth_date"))
    (row,) = read_csv(write_csv([ZOE], fields))
    assert "notes" not in row
    assert "phone" not in row
    assert "birth_date" not in row
    data = write_csv([ZOE], fields).decode("utf-8-sig")
    assert "backslash" not in data
    assert "32470123456" not in data
    assert "1931" not in data


def test_csv_pads_contacts_with_fewer_emails() -> None:
    plain = ExportContact(id=2, first_name="Jan", emails=("jan@example.be",))
    rows = read_csv(write_csv([ZOE, plain]))
    assert rows[1]["E-mail"] == "jan@example.be"
    assert rows[1]["E-mail 2"] == ""
    assert rows[1]["Phone"] == rows[1]["Phone 2"] == ""


def parse(text: str) -> list[vobject.base.Component]:
    return list(vobject.readComponents(text))


def test_vcard_is_version_4_and_parses_back() -> None:
    text = vcard(ZOE, EXPORT_FIELDS)
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert text.endswith("END:VCARD\r\n")
    assert "\n" not in text.replace("\r\n", "")
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75, line  # folded at 75 octets (RFC 6350 3.2)
    (card,) = parse(text)
    assert card.version.value == "4.0"
    assert card.n.value.given == "Zoë"
    assert card.n.value.family == "Lefèvre-Dupont"
    assert card.fn.value == "Zoë Lefèvre-Dupont"
    assert card.org.value == ["Boulangerie Ŝ & Fils; Liège"]
    assert [e.value for e in card.email_list] == list(ZOE.emails)
    assert [t.value for t in card.tel_list] == ["tel:+32470123456", "tel:+3225551234"]
    assert all(t.params["VALUE"] == ["uri"] for t in card.tel_list)
    assert [t.params["TYPE"] for t in card.tel_list] == [["cell"], ["voice"]]
    address = card.adr.value
    # The country by name in the contact's language, its code as RFC 8605's CC.
    assert (address.street, address.code, address.city, address.country) == (
        "Rue de l'Église 5",
        "4000",
        "Liège",
        "Belgique",
    )
    assert card.adr.params["CC"] == ["BE"]
    assert card.lang.value == "fr"
    assert card.bday.value == "19310713"
    assert card.note.value == ZOE.notes


def test_long_lines_fold_at_75_octets_between_characters() -> None:
    contact = ExportContact(id=1, first_name="李" * 30, last_name="é" * 30, notes="x" * 200)
    text = vcard(contact, EXPORT_FIELDS)
    lines = text.split("\r\n")
    assert max(len(line.encode("utf-8")) for line in lines) <= 75
    assert any(line.startswith(" ") for line in lines)  # something was folded
    (card,) = parse(text)
    assert card.n.value.given == "李" * 30
    assert card.note.value == "x" * 200


def test_vcard_escapes_newlines_and_separators_in_notes() -> None:
    text = vcard(ZOE, EXPORT_FIELDS)
    unfolded = text.replace("\r\n ", "")
    assert "NOTE:First line\\, with a comma\\;\\nsecond line: \\\\ backslash\r\n" in unfolded


def test_vcard_has_no_property_for_a_field_left_out() -> None:
    fields = ("organisation", "emails", "city")
    text = vcard(ZOE, fields)
    (card,) = parse(text)
    names = {child.name for child in card.getChildren()}
    assert names == {"VERSION", "FN", "ORG", "EMAIL", "ADR"}
    for hidden in ("Zoë", "Lefèvre", "32470123456", "1931", "backslash", "4000", "Église"):
        assert hidden not in text
    # Without a name, the organisation is the formatted name.
    assert card.fn.value == ZOE.organisation


@pytest.mark.parametrize(
    "name",
    [
        "<b>Jan</b>",
        "Jan &amp; <script>alert(1)</script>",
        'O\'Brien "The Boss"',
        "BEGIN:VCARD",
        "Anne\\nMarie",
        "=cmd|' /C calc'!A0",
        "Ἀλέξανδρος 李",
    ],
)
def test_markup_like_and_odd_names_come_back_as_typed(name: str) -> None:
    contact = ExportContact(id=3, first_name=name, last_name=name, notes=name)
    (card,) = parse(vcard(contact, EXPORT_FIELDS))
    assert card.n.value.given == name
    assert card.note.value == name
    (row,) = read_csv(write_csv([contact]))
    expected = "'" + name if name.startswith("=") else name
    assert row["First name"] == expected


def test_an_organisation_address_is_an_organisation_card() -> None:
    info = ExportContact(
        id=4, kind=ContactKind.ORGANISATION_ADDRESS, organisation="Info BV", emails=("info@x.be",)
    )
    (card,) = parse(vcard(info, EXPORT_FIELDS))
    assert card.kind.value == "org"
    assert card.fn.value == "Info BV"
    assert "n" not in card.contents
    person = ExportContact(id=5, kind=ContactKind.PERSON, first_name="Jan")
    assert "KIND" not in vcard(person, EXPORT_FIELDS)  # "individual" is the default


def test_vcard_writer_writes_one_card_per_contact() -> None:
    stream = io.StringIO(newline="")
    writer = VcardExportWriter(stream, EXPORT_FIELDS)
    writer.write(ZOE)
    writer.write(ExportContact(id=2, first_name="Jan", last_name="Smet"))
    cards = parse(stream.getvalue())
    assert [c.fn.value for c in cards] == ["Zoë Lefèvre-Dupont", "Jan Smet"]


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85"),
    max_size=40,
)


_NOTES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85")
    | st.sampled_from("\r\n\t,;:\\"),
    max_size=60,
)


@given(first=_TEXT, last=_TEXT, organisation=_TEXT, notes=_NOTES)
def test_any_text_survives_a_vcard_and_a_csv(
    first: str, last: str, organisation: str, notes: str
) -> None:
    contact = ExportContact(
        id=1, first_name=first, last_name=last, organisation=organisation, notes=notes
    )
    text = vcard(contact, EXPORT_FIELDS)
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    (card,) = parse(text)
    if first or last:
        assert (card.n.value.given, card.n.value.family) == (first, last)
    if organisation:
        assert card.org.value == [organisation]
    if notes:
        assert card.note.value == notes.replace("\r\n", "\n").replace("\r", "\n")
    (row,) = read_csv(write_csv([contact]))
    for column, value in (("First name", first), ("Organisation", organisation)):
        cell = row[column]
        assert cell == value or (cell == "'" + value and value[:1] in "=+-@\t\r\n")


@given(cell=st.text(alphabet=st.sampled_from("'=+-@\t\r\nab é"), max_size=8) | _TEXT)
def test_neutralised_cells_are_safe_and_restore_exactly(cell: str) -> None:
    safe = neutralise(cell)
    assert not safe.startswith(FORMULA_STARTS)
    assert restore(safe) == cell
    assert safe in (cell, "'" + cell)


def test_every_exported_field_has_a_ledger_category() -> None:
    from privacycrm_desktop.domain.purposes import DATA_CATEGORY_LABELS

    assert set(FIELD_CATEGORIES) == set(EXPORT_FIELDS)
    assert set(FIELD_CATEGORIES.values()) <= set(DATA_CATEGORY_LABELS)
    assert data_categories(("emails", "first_name", "phones")) == ("identity", "contact")
    assert data_categories(()) == ()


@pytest.mark.parametrize("separator", ["\x85", "\x0b", "\x0c", "\u2028", "\u2029", "\x1e", "\r"])
def test_every_line_separator_in_a_note_stays_inside_the_note(separator: str) -> None:
    """Issue 16: a raw line separator in a NOTE split the line on re-import and the text
    after it became a property of its own: an extra e-mail address."""
    from privacycrm_desktop.domain.import_files import detect_shape, read_table

    notes = f"Call back{separator}EMAIL:evil@attacker.example{separator}END:VCARD"
    contact = ExportContact(id=9, first_name="Zoë", emails=("zoe@example.be",), notes=notes)
    text = vcard(contact, EXPORT_FIELDS)
    assert not set(text.replace("\r\n", "")) & set("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
    (card,) = parse(text)
    assert [e.value for e in card.contents["email"]] == ["zoe@example.be"]
    assert card.note.value == "Call back\nEMAIL:evil@attacker.example\nEND:VCARD"
    data = text.encode("utf-8")
    table = read_table(data, detect_shape(data, "export.vcf"))
    assert table.row_count == 1
    ((_number, cells),) = table.rows
    row = dict(zip(table.headers, cells, strict=False))
    assert "evil@attacker.example" not in " ".join(
        value for header, value in row.items() if "mail" in header.casefold()
    )
    assert any("evil@attacker.example" in value for value in row.values())


@pytest.mark.parametrize(
    ("number", "cell"),
    [
        ("+32 475 12 34 56", "+32 475 12 34 56"),
        ("+32475123456", "+32475123456"),
        ("0475 12 34 56", "0475 12 34 56"),
        ("+1+1", "'+1+1"),
        ("+32 475 HYPERLINK", "'+32 475 HYPERLINK"),
        ("-1234567", "'-1234567"),
        ("=1234567", "'=1234567"),
        ("+12", "'+12"),
        ("••••••••456", "••••••••456"),
        ("+1 650-253-0000", "+1 650-253-0000"),
        ("+81 3-1234-5678", "+81 3-1234-5678"),
        ("+1 (905) 555.1234", "+1 (905) 555.1234"),
        ("+1-A1", "'+1-A1"),
    ],
)
def test_a_phone_number_stays_a_number_and_nothing_else_runs(number: str, cell: str) -> None:
    assert phone_cell(number) == cell
    assert restore(phone_cell(number)) == number


@given(cell=st.text(alphabet=st.sampled_from("'=+-@\t\r\n0123456789 ab"), max_size=14))
def test_phone_cells_run_nothing_and_restore_exactly(cell: str) -> None:
    safe = phone_cell(cell)
    assert restore(safe) == cell
    if safe.startswith(FORMULA_STARTS):
        # Only "+", digits and spaces: no function, no cell, no program to name.
        assert set(safe) <= set("+0123456789 ")


@pytest.mark.parametrize(
    ("language", "first", "email_2", "number"),
    [
        ("nl", "Voornaam", "E-mail 2", "PrivacyCRM-nummer"),
        ("fr", "Prénom", "E-mail 2", "N° PrivacyCRM"),
        ("en", "First name", "E-mail 2", "PrivacyCRM no."),
    ],
)
def test_our_own_csv_names_its_columns_in_words_the_import_recognises(
    language: str, first: str, email_2: str, number: str
) -> None:
    from privacycrm_desktop.domain.import_formats import ImportField
    from privacycrm_desktop.domain.import_headers import guess_target

    header = CsvExportWriter(io.StringIO(), EXPORT_FIELDS, 2, 2, language=language).header()
    assert (header[0], header[2], header[6]) == (number, first, email_2)
    assert not any("_" in name for name in header)  # no raw keys ("first_name", "email_2")
    targets = [guess_target(name) for name in header]
    assert targets[0] is None  # our number: the UID finds the contact again
    assert targets[1] is not None
    assert targets[1].field is ImportField.UID
    assert all(t is not None for t in targets[1:]), list(zip(header, targets, strict=True))
