"""Files shaped like the real ones an outside attack imported (December 2026), each of
which lost or mangled a contact: reproduced in a few lines here (the originals' licences
are noted in the attack's report, not copied)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from privacycrm_desktop.domain.errors import ImportFileUnreadable
from privacycrm_desktop.domain.import_formats import DuplicatePolicy
from privacycrm_desktop.domain.import_values import PHONE_EXTENSION
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.i18n import describe_error
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportPlan, ImportResult
from privacycrm_desktop.services.registry import Services

SOURCE = SourceInput(SourceKind.THIRD_PARTY, "Files from other programs", dt.date(2026, 2, 1))


def imported(svc: Services, actor: Actor, path: Path) -> ImportResult:
    preview = svc.imports.preview(actor, path)
    plan = ImportPlan(
        path=path,
        shape=preview.shape,
        mapping=preview.mapping,
        source=SOURCE,
        purpose_code="customer_relationship",
        legal_basis="contract",
        duplicates=DuplicatePolicy.SKIP,
    )
    return svc.imports.run(actor, plan)


def names(svc: Services, actor: Actor) -> list[tuple[str, str]]:
    rows = svc.contacts.page(actor, limit=100)
    return sorted(
        (contact.first_name, contact.last_name)
        for contact in (svc.contacts.get(actor, row.id) for row in rows)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A German list (Tine 2.0's test files): "Name" beside "Vorname" is the surname.
        (
            "Vorwahl_Tel;Telefonnummer;Name;Vorname;und_so_weiter\n0190;800;Muster;Max;x\n",
            [("Max", "Muster")],
        ),
        # A full-name column beside the first name: the rest of it is the last name.
        (
            "Full Name,First Name,E-mail\nJan Peeters,Jan,jan@example.be\n"
            "PEETERS Marie,Marie,marie@example.be\n",
            [("Jan", "Peeters"), ("Marie", "PEETERS")],
        ),
    ],
)
def test_a_name_column_beside_a_first_name_keeps_the_surname(
    svc: Services, owner: Actor, tmp_path: Path, text: str, expected: list[tuple[str, str]]
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    result = imported(svc, owner, path)
    assert result.imported == len(expected)
    assert names(svc, owner) == expected


def people(svc: Services, actor: Actor) -> list[tuple[str, str, str, str]]:
    """(first name, last name, organisation, notes) of every contact."""
    rows = svc.contacts.page(actor, limit=100)
    return sorted(
        (contact.first_name, contact.last_name, contact.organisation, contact.notes)
        for contact in (svc.contacts.get(actor, row.id) for row in rows)
    )


def test_a_display_name_that_names_a_company_is_the_organisation_not_a_surname(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    # Outlook and Thunderbird show a company's address by the company's name: "Acme NV"
    # became the person "Acme" "NV", or Jan's surname.
    path = tmp_path / "outlook.csv"
    path.write_text(
        "Display Name,First Name,Last Name,Company,E-mail\n"
        "Acme NV,,,,info@acme.be\n"
        "Acme NV,Jan,,,jan@acme.be\n"
        "SPRL Dupont,Marie,Dupont,,marie@dupont.be\n"
        "De Smurf,Piet,,,piet@example.be\n"
        "Beta GmbH,Anna,Berg,Gamma BV,anna@example.de\n"
        "Maria Sa,,,,maria@example.pt\n",
        encoding="utf-8",
    )
    assert imported(svc, owner, path).imported == 6
    assert people(svc, owner) == [
        ("", "", "Acme NV", ""),
        ("Anna", "Berg", "Gamma BV", "Display Name: Beta GmbH"),
        ("Jan", "", "Acme NV", ""),
        ("Maria", "Sa", "", ""),
        ("Marie", "Dupont", "SPRL Dupont", ""),
        # A display name that does not hold the first name is no surname: kept.
        ("Piet", "", "", "Display Name: De Smurf"),
    ]


def test_a_csv_without_a_header_row_is_refused_whole_not_its_first_contact_lost(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    # Thunderbird's test file: two people, no line naming the columns. Read as the
    # header, John's line was lost and Jane's e-mail left unmapped.
    path = tmp_path / "no_header.csv"
    path.write_text(
        "John Doe,John,Doe,john@doe.invalid\nJane Doe,Jane,Doe,jane@doe.invalid\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFileUnreadable) as refused:
        svc.imports.preview(owner, path)
    assert "john@doe.invalid" in describe_error(refused.value)
    assert "Nothing was imported" in describe_error(refused.value)
    assert svc.contacts.count(owner) == 0


def write_card(tmp_path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path = tmp_path / "card.vcf"
    path.write_bytes("\r\n".join([*lines, ""]).encode(encoding))
    return path


def test_a_folded_label_parameter_does_not_glue_the_home_address_to_the_work_one(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    # RFC 6350's example as node-vcf ships it: each ADR's LABEL="..." is folded inside
    # its quotes; the second address was read as more lines of the first.
    path = write_card(
        tmp_path,
        [
            "BEGIN:VCARD",
            "VERSION:4.0",
            "N:Gump;Forrest;;;",
            "FN:Forrest Gump",
            'ADR;TYPE=work;LABEL="100 Waters Edge\\nBaytown, LA 30314\\nUnited States of A',
            ' merica":;;100 Waters Edge;Baytown;LA;30314;United States of America',
            'ADR;TYPE=home;LABEL="42 Plantation St.\\nBaytown, LA 30314\\nUnited States of',
            '  America":;;42 Plantation St.;Baytown;LA;30314;United States of America',
            "EMAIL:forrestgump@example.com",
            "END:VCARD",
        ],
    )
    assert imported(svc, owner, path).imported == 1
    [row] = svc.contacts.page(owner, limit=10)
    contact = svc.contacts.get(owner, row.id)
    kept = " ".join([contact.street, contact.city, contact.postcode, contact.notes])
    assert "100 Waters Edge" in kept
    assert "42 Plantation St." in kept
    assert "LABEL" not in kept


def test_a_card_that_declares_its_8_bit_charset_once_is_read_in_it(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    # A phone that wrote LABEL;CHARSET=Windows-1251 wrote the name in it too (FolkerKinzel's
    # Ukrainian card): the name was read as Windows-1252, "Êëè÷êî".
    path = write_card(
        tmp_path,
        [
            "BEGIN:VCARD",
            "VERSION:2.1",
            "N:Кличко;Віталій",
            "TEL;CELL:+380441234567",
            "LABEL;CHARSET=Windows-1251:Київ",
            "END:VCARD",
        ],
        encoding="cp1251",
    )
    assert imported(svc, owner, path).imported == 1
    assert names(svc, owner) == [("Віталій", "Кличко")]


def test_a_card_charset_does_not_garble_latin_1_values_it_does_not_declare(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    # The card declares Windows-1251 on its label only; its name and note are Latin-1
    # (cp1252) bytes. Read in Windows-1251 they were "Jьrgen Mьller", "а Paris".
    path = tmp_path / "card.vcf"
    path.write_bytes(
        b"\r\n".join(
            [
                b"BEGIN:VCARD",
                b"VERSION:2.1",
                "N:Müller;Jürgen".encode("cp1252"),
                b"TEL;CELL:+4930123456",
                "LABEL;CHARSET=Windows-1251:Київ".encode("cp1251"),
                "NOTE:Rendez-vous à Paris".encode("cp1252"),
                b"END:VCARD",
                b"",
            ]
        )
    )
    assert imported(svc, owner, path).imported == 1
    assert names(svc, owner) == [("Jürgen", "Müller")]
    [row] = svc.contacts.page(owner, limit=10)
    notes = svc.contacts.get(owner, row.id).notes
    assert "Rendez-vous à Paris" in notes
    assert "Київ" in notes


def test_an_escaped_colon_in_a_note_is_a_colon(svc: Services, owner: Actor, tmp_path: Path) -> None:
    path = write_card(
        tmp_path,
        [
            "BEGIN:VCARD",
            "VERSION:3.0",
            "N:Launig;Stephan;;;",
            "EMAIL:stephan@example.de",
            "NOTE:Website: http\\://www.example.de\\nOpen 08\\:00-15\\:30",
            "END:VCARD",
        ],
    )
    assert imported(svc, owner, path).imported == 1
    [row] = svc.contacts.page(owner, limit=10)
    assert "http://www.example.de" in svc.contacts.get(owner, row.id).notes
    assert "08:00-15:30" in svc.contacts.get(owner, row.id).notes


def test_rows_inside_a_stray_quote_are_refused_not_put_in_one_persons_notes(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    # The CLI attack's file: row 4 opens a quote, row 801 closes one: the 797 rows
    # between became Bo's notes and Bo got row 801's address, reported as imported.
    rows = [f"P{n},Name{n},p{n}@example.be" for n in range(1, 1001)]
    rows[3] = 'Bo,"Smet,bo@example.be'
    rows[800] = 'Ce,De "Vos",ce@example.be'
    path = tmp_path / "stray.csv"
    path.write_text("First name,Last name,E-mail\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ImportFileUnreadable) as refused:
        svc.imports.preview(owner, path)
    message = describe_error(refused.value)
    assert "line 5" in message
    assert "Nothing was imported" in message
    assert svc.contacts.count(owner) == 0


def test_a_note_over_several_lines_is_still_one_value(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "notes.csv"
    path.write_text(
        'First name,Last name,Notes\nJan,Peeters,"Met, koffie\nDinsdag, of woensdag\nBel eerst"\n',
        encoding="utf-8",
    )
    assert imported(svc, owner, path).imported == 1


def test_a_number_without_its_plus_that_reads_in_two_countries_is_kept_to_check(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    # Outlook 2003 (ical4j's test card): a German and a Polish number, their "+" left
    # out, on a German contact: read as two German numbers, +4949... and +4948....
    path = write_card(
        tmp_path,
        [
            "BEGIN:VCARD",
            "VERSION:2.1",
            "N:Antoni;Jozef",
            "TEL;WORK;VOICE:49 631 234 341",
            "TEL;HOME;VOICE:48 691 342 341",
            "ADR;WORK:;;Hauptstr. 1;Kaiserslautern;;67655;Deutschland",
            "END:VCARD",
        ],
    )
    result = imported(svc, owner, path)
    assert result.imported == 1
    [row] = svc.contacts.page(owner, limit=10)
    assert [p.value for p in svc.contacts.get(owner, row.id).phones] == [
        "49 631 234 341",
        "48 691 342 341",
    ]
    assert sorted(c.raw for c in result.to_check if c.field == "phones") == [
        "48 691 342 341",
        "49 631 234 341",
    ]


def test_a_note_whose_lines_hold_the_separator_is_not_a_stray_quote(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    # The second attack: three note lines of exactly the file's width were refused as
    # rows inside a stray quote, though every quote of the file stood where one may.
    path = tmp_path / "order.csv"
    path.write_text(
        'name,email,notes\nAn Aa,an@example.be,"Order:\na,b,c\na,b,c\na,b,c"\n'
        "Bo Bb,bo@example.be,ok\n",
        encoding="utf-8",
    )
    assert imported(svc, owner, path).imported == 2


def test_a_phone_extension_is_kept_with_its_number_and_flagged(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    # RFC 6350's example: "tel:+1-418-656-9254;ext=102" arrived as +14186569254, the
    # extension gone; a CSV's "ext. 123" too (E.164 holds no extension).
    path = write_card(
        tmp_path,
        [
            "BEGIN:VCARD",
            "VERSION:4.0",
            "N:Perreault;Simon;;;",
            'TEL;VALUE=uri;TYPE="work,voice";PREF=1:tel:+1-418-656-9254;ext=102',
            "TEL;VALUE=uri;TYPE=cell:tel:+1-418-262-6501",
            "END:VCARD",
        ],
    )
    result = imported(svc, owner, path)
    assert result.imported == 1
    csv_path = tmp_path / "ext.csv"
    csv_path.write_text(
        "First name,Last name,Phone\nJan,Peeters,+32 2 512 34 56 ext. 123\n", encoding="utf-8"
    )
    csv_result = imported(svc, owner, csv_path)
    assert csv_result.imported == 1
    stored = {
        contact.first_name: [p.value for p in contact.phones]
        for contact in (svc.contacts.get(owner, r.id) for r in svc.contacts.page(owner, limit=10))
    }
    assert stored == {
        "Simon": ["+1-418-656-9254 ext. 102", "+14182626501"],
        "Jan": ["+32 2 512 34 56 ext. 123"],
    }
    checks = [(c.raw, c.message) for c in (*result.to_check, *csv_result.to_check)]
    assert checks == [
        ("+1-418-656-9254 ext. 102", PHONE_EXTENSION),
        ("+32 2 512 34 56 ext. 123", PHONE_EXTENSION),
    ]
