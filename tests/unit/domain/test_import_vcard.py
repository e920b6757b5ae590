"""vCard files as real programs write them, read into rows (``domain.import_vcard``).

The files in tests/data/import/vcard_real are other projects' test files (Android's vCard
library, ez-vcard; sources and licences in its README.md); the short cards written here
show one shape each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from privacycrm_desktop.domain import import_vcard
from privacycrm_desktop.domain.import_files import detect_shape, read_table
from privacycrm_desktop.domain.import_formats import FileFormat, ImportTable
from privacycrm_desktop.domain.import_vcard import GROUP_CARD, birthday
from privacycrm_desktop.domain.vcard_text import prepare_vcard_text

REAL = Path(__file__).parents[2] / "data" / "import" / "vcard_real"


def table_of(data: bytes | str, name: str = "cards.vcf") -> ImportTable:
    raw = data.encode() if isinstance(data, str) else data
    return read_table(raw, detect_shape(raw, name))


def rows(table: ImportTable) -> list[dict[str, str]]:
    """Each row's filled cells by header."""
    return [
        {h: c for h, c in zip(table.headers, cells, strict=True) if c} for _n, cells in table.rows
    ]


def card(*lines: str, version: str = "3.0") -> str:
    return "\r\n".join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD", ""])


def test_a_card_after_comment_lines_is_a_vcard_whatever_the_file_name() -> None:
    data = b"# Exported contacts\r\n#\r\n" + card("N:Peeters;Jan").encode()
    shape = detect_shape(data, "contacts.txt")
    assert shape.format is FileFormat.VCARD
    assert rows(read_table(data, shape)) == [{"N (family)": "Peeters", "N (given)": "Jan"}]
    assert detect_shape(b"# a;b\r\nFirst;Last\r\n", "x.csv").format is FileFormat.CSV


@pytest.mark.parametrize(
    "opening",
    [
        "\r\n\r\n\ufeff",  # files joined together: blank lines, then a byte-order mark
        "\ufeff\r\n \r\n",  # a byte-order mark, then blank lines
        "\u200b",  # a zero-width space
        "item1.",  # a group prefix on BEGIN itself
    ],
)
def test_a_card_after_a_mark_blank_lines_or_a_group_is_a_vcard(opening: str) -> None:
    # Read as CSV, every contact of the file was lost (a "BEGIN:VCARD" column).
    second = "\ufeff" + card("N:Claes;Piet", "item1.EMAIL;type=INTERNET:piet@example.be")
    data = (opening + card("N:Peeters;Jan") + second).encode()
    for name in ("contacts.txt", "contacts.vcf"):
        shape = detect_shape(data, name)
        assert shape.format is FileFormat.VCARD
        assert [(r["N (given)"], r.get("EMAIL", "")) for r in rows(read_table(data, shape))] == [
            ("Jan", ""),
            ("Piet", "piet@example.be"),
        ]


def test_a_utf_8_mark_before_latin_1_bytes_is_no_reason_to_refuse_the_file() -> None:
    # The mark said UTF-8, the names are Latin-1: the file was refused ("not written in
    # utf-8-sig"), and read in cp1252 its mark "ï»¿" made the card a CSV header.
    data = b"\xef\xbb\xbf" + card("N:Müller;Jürgen", version="2.1").encode("cp1252")
    shape = detect_shape(data, "contacts.vcf")
    assert (shape.format, shape.encoding) == (FileFormat.VCARD, "cp1252")
    assert rows(read_table(data, shape)) == [{"N (family)": "Müller", "N (given)": "Jürgen"}]


@pytest.mark.parametrize(
    "text",
    [
        "BEGIN:VCARD;EMAIL\r\nx;jan@example.be\r\n",
        "BEGIN:VCARD,N,EMAIL\r\nx,Peeters,jan@example.be\r\n",
        "FN,N,EMAIL,TEL\r\nJan Peeters,Peeters,jan@example.be,+32470123456\r\n",
    ],
)
def test_a_csv_whose_headers_look_like_vcard_properties_is_csv(text: str) -> None:
    for name in ("contacts.csv", "contacts.vcf"):
        assert detect_shape(text.encode(), name).format is FileFormat.CSV


def test_the_pre_pass_joins_continuations_decodes_and_escapes_bare_commas() -> None:
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\n"
        "NOTE;ENCODING=QUOTED-PRINTABLE:one, two=\r\nthree=0D=0Afour\r\n"
        "ADR:;;Street 1, box 2;City;;1000;BE\r\n"
        "END:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:a, b\\, c\r\n folded\r\nN:X;Jan,Piet\r\nEND:VCARD\r\n"
    )
    (first, one), (second, two) = prepare_vcard_text(text)
    assert (first, second) == (1, 2)
    assert "NOTE:one\\, twothree\\nfour" in one.splitlines()
    assert "ADR:;;Street 1\\, box 2;City;;1000;BE" in one.splitlines()
    assert "NOTE:a\\, b\\, cfolded" in two.splitlines()
    assert "N:X;Jan,Piet" in two.splitlines()  # a 3.0 list separator stays


def test_ios_cr_cr_lf_line_ends_and_a_photo() -> None:
    table = table_of((REAL / "android_v30_ios_613_multiline.vcf").read_bytes())
    assert table.broken == []
    (bob,) = rows(table)
    assert bob["N (given)"] == "Bob"
    assert bob["N (family)"] == "Smith"
    assert bob["ORG"] == "Smith Auto Repair"
    assert (bob["EMAIL"], bob["TEL"]) == ("bob@smithauto.com", "(650) 555-1212")


@pytest.mark.parametrize(
    "photo",
    [
        "PHOTO;VALUE=uri:data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==",
        "PHOTO:data:image/png;base64,iVBORw0KGgo=",
        "PHOTO;ENCODING=b;TYPE=JPEG:not base64 at all!!",
        "PHOTO;encoding=b;type=JPEG:/9j/4AAQ\r\n SkZJRg",
        "LOGO;ENCODING=BASE64;TYPE=GIF:R0lGODlh",
    ],
)
def test_a_photo_never_loses_its_card(photo: str) -> None:
    table = table_of(card("N:Peeters;Jan;;;", photo, "EMAIL:jan@example.be"))
    assert table.broken == []
    assert rows(table)[0]["EMAIL"] == "jan@example.be"


def test_a_broken_base64_photo_in_2_1_and_its_blank_line() -> None:
    table = table_of((REAL / "android_v21_malformed_photo.vcf").read_bytes())
    assert (table.broken, rows(table)) == ([], [{"FN": "fullname", "N (family)": "name"}])


def test_every_card_of_an_android_export_arrives() -> None:
    table = table_of((REAL / "ezvcard_John_Doe_ANDROID.vcf").read_bytes())
    assert table.broken == []
    found = rows(table)
    assert len(found) == 6
    assert [r.get("EMAIL") for r in found[:2]] == ["john.doe@company.com", "jane.doe@company.com"]
    assert found[2]["FN"] == "Ñ Ñ Ñ Ñ Ñ"
    assert found[5]["EMAIL"] == "henry@company.com"


def test_comment_lines_are_dropped_but_not_a_quoted_printable_continuation() -> None:
    table = table_of((REAL / "android_v21_invalid_comment_line.vcf").read_bytes())
    (row,) = rows(table)
    assert row["NOTE"] == (
        "This is an (sharp ->#<- sharp) example. This message must NOT be ignored."
    )
    assert row["FN"] == "Conference Call"


@pytest.mark.parametrize(
    ("line", "note"),
    [
        # No CHARSET: UTF-8 when the bytes are UTF-8...
        ("NOTE;ENCODING=QUOTED-PRINTABLE:Caf=C3=A9 om de hoek", "Café om de hoek"),
        # ...else the file's encoding (cp1252 on Belgian Windows).
        ("NOTE;ENCODING=QUOTED-PRINTABLE:Caf=E9 om de hoek", "Café om de hoek"),
        ("NOTE;quoted-printable:Caf=C3=A9", "Café"),
        ("NOTE;encoding=quoted-printable;charset=utf-8:Caf=C3=A9", "Café"),
        ("NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Caf=E9", "Café"),
        ("NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=SHIFT_JIS:=83=81=83=82", "メモ"),
        ("NOTE;ENCODING=b;CHARSET=utf-8:Q2Fmw6k=", "Café"),
        ("NOTE;ENCODING=QUOTED-PRINTABLE:one=0D=0Atwo", "one\ntwo"),
    ],
)
def test_encoded_values_are_decoded(line: str, note: str) -> None:
    table = table_of(card("N:Peeters;Jan", line, version="2.1"))
    assert rows(table)[0]["NOTE"] == note


def test_soft_line_breaks_across_blank_lines_keep_the_name_whole() -> None:
    # A 2.1 file whose line ends were doubled: each soft line break ("=" at the end of a
    # line) is followed by a blank line. The name's continuations went to the lines not
    # read: the contact was "Jan", not "Jantje".
    lines = [
        "N;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Peeters;Jan=",
        "tje;;;",
        "FN;ENCODING=QUOTED-PRINTABLE:Jan=",
        "tje Peeters",
        "TEL:+32470123456",
    ]
    [found] = rows(table_of(card(*lines, version="2.1").replace("\r\n", "\r\n\r\n")))
    assert (found["N (given)"], found["N (family)"], found["FN"]) == (
        "Jantje",
        "Peeters",
        "Jantje Peeters",
    )
    assert "Not read" not in found


@pytest.mark.parametrize(
    ("lines", "note"),
    [
        # RFC 2045: white space after a soft line break's "=" was added in transport.
        (["NOTE;ENCODING=QUOTED-PRINTABLE:Bel na 18u=  ", "of later"], "Bel na 18uof later"),
        # A folded line that ends in a soft line break continues on the next line.
        (["NOTE;ENCODING=QUOTED-PRINTABLE:first", " second=", "third"], "first secondthird"),
        # An encoded character split by a soft line break.
        (["NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:caf=C3=", "=A9"], "café"),
        # A blank line after a soft line break, then a property: the value ended there.
        (["NOTE;ENCODING=QUOTED-PRINTABLE:one=", "", "TEL:+32470123456"], "one"),
    ],
)
def test_quoted_printable_soft_line_breaks_follow_rfc_2045(lines: list[str], note: str) -> None:
    [found] = rows(table_of(card("N:Peeters;Jan", *lines, "TEL:+32470123456", version="2.1")))
    assert found["NOTE"] == note
    assert found["TEL"] == "+32470123456"


def test_a_file_mixing_utf_8_and_latin_1_cards_reads_both() -> None:
    data = (
        card("N:Léonard;René", "NOTE:Café", version="2.1").encode()
        + card("N:Dubois;Chloé", version="2.1").encode("cp1252")
        + card("N;CHARSET=ISO-8859-1:Müller;Jörg", version="2.1").encode("latin-1")
    )
    shape = detect_shape(data)
    assert shape.encoding == "cp1252"
    found = rows(read_table(data, shape))
    assert [(r["N (given)"], r["N (family)"]) for r in found] == [
        ("René", "Léonard"),
        ("Chloé", "Dubois"),
        ("Jörg", "Müller"),
    ]
    assert found[0]["NOTE"] == "Café"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Cyrillic names with no CHARSET of their own: read in the card's Windows-1251.
        ("N:Кличко;Віталій".encode("cp1251"), ("Віталій", "Кличко")),
        ("N:Олег;Ян".encode("cp1251"), ("Ян", "Олег")),
        # A Latin "i" typed for the Ukrainian "і".
        ("N:Кличко;Вiталiй".encode("cp1251"), ("Вiталiй", "Кличко")),
        # Latin-1 bytes the card's Windows-1251 would misread ("Mьller", "а"): kept as
        # the file's encoding reads them.
        ("N:Müller;Jürgen".encode("cp1252"), ("Jürgen", "Müller")),
        ("N:Lefèvre;à".encode("cp1252"), ("à", "Lefèvre")),
        ("N:Çelik;Ümit".encode("cp1252"), ("Ümit", "Çelik")),
        ("N:Hélène;Léa".encode("cp1252"), ("Léa", "Hélène")),
    ],
)
def test_a_card_charset_reads_only_the_values_it_reads_as_words(
    name: bytes, expected: tuple[str, str]
) -> None:
    data = b"\r\n".join(
        [
            b"BEGIN:VCARD",
            b"VERSION:2.1",
            name,
            "LABEL;CHARSET=Windows-1251:Київ".encode("cp1251"),
            b"END:VCARD",
            b"",
        ]
    )
    [found] = rows(table_of(data))
    assert (found["N (given)"], found["N (family)"]) == expected


def test_shift_jis_raw_values_are_read_in_their_charset() -> None:
    for name in ("android_v21_japanese_1.vcf", "android_v21_japanese_3.vcf"):
        table = table_of((REAL / name).read_bytes(), name)
        assert table.broken == []
    assert rows(table_of((REAL / "android_v21_japanese_1.vcf").read_bytes()))[0]["N (family)"] == (
        "安藤ロイド"
    )
    japanese_3 = rows(table_of((REAL / "android_v21_japanese_3.vcf").read_bytes()))[0]
    # 表 is 0x95 0x5C in Shift_JIS: its second byte is no backslash escape.
    assert japanese_3["FN"] == "伊能 圭一 伊予"


def test_cards_with_properties_vobject_refuses_still_arrive() -> None:
    table = table_of((REAL / "ezvcard_John_Doe_LOTUS_NOTES.vcf").read_bytes())
    assert table.broken == []
    (john,) = rows(table)
    assert (john["N (given)"], john["N (family)"]) == ("John Johny", "Doe I")
    assert john["EMAIL 2"] == "billy_bob@gmail.com"
    assert john["BDAY"] == "1980-05-21"
    text = card("N:Peeters;Jan", "PROFILE:VCard", "X-FOO;X-BAR=1:baz", "FOO:bar", "SOUND:x")
    assert table_of(text).broken == []


def test_an_agent_is_no_contact_and_does_not_break_its_card() -> None:
    agent_21 = card(
        "N:Peeters;Jan",
        "AGENT:",
        "BEGIN:VCARD",
        "VERSION:2.1",
        "N:Assistent;An",
        "END:VCARD",
        "TEL:0475 12 34 56",
        version="2.1",
    )
    agent_30 = card(
        "N:Wouters;Sofie",
        "AGENT:BEGIN:VCARD\\nFN:Joe Friday\\nTEL:+1-919-555-7878\\nEND:VCARD\\n",
        "EMAIL:sofie@example.be",
    )
    inline = card("N:Claes;Piet", "AGENT:BEGIN:VCARD", "N:Inner;Agent", "END:VCARD", "TEL:1")
    table = table_of(agent_21 + agent_30 + inline)
    assert table.broken == []
    assert [(r["N (family)"], r.get("TEL"), r.get("EMAIL")) for r in rows(table)] == [
        ("Peeters", "0475 12 34 56", None),
        ("Wouters", None, "sofie@example.be"),
        ("Claes", "1", None),
    ]
    assert [n for n, _cells in table.rows] == [1, 2, 3]


def test_cards_nested_without_agent_are_cards_of_their_own() -> None:
    table = table_of((REAL / "android_v21_nest.vcf").read_bytes())
    numbers = [n for n, _cells in table.rows]
    found = [(r["N (family)"], r.get("TEL")) for r in rows(table)]
    assert list(zip(numbers, found, strict=True)) == [
        (1, ("parent", "1")),
        (2, ("nest1", None)),
        (3, ("nest2", None)),
    ]


def test_a_line_that_is_no_property_is_kept_in_the_notes_and_the_card_arrives() -> None:
    # Seen on main (issue 19): one such line refused the whole card.
    text = card("N:Een;Jan") + card("N:Twee;Jan", "EMAIL;TYPE=INTERNET jan@example.be")
    table = table_of(text + card("N:Drie;Jan", "this is no property", "TEL:0475123456"))
    assert table.broken == []
    _een, twee, drie = rows(table)
    assert (twee["N (family)"], twee["Not read"]) == (
        "Twee",
        "EMAIL;TYPE=INTERNET jan@example.be",
    )
    assert (drie["TEL"], drie["Not read"]) == ("0475123456", "this is no property")


def test_a_broken_card_is_reported_by_number_and_its_neighbours_arrive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No known text makes vobject refuse what is left of a card once its bad lines are
    # out; the reader still reports such a card by number rather than failing the file.
    real = import_vcard.card_values

    def refuse_twee(vcard: Any) -> Any:
        if vcard.n.value.family == "Twee":
            raise ValueError("unreadable")
        return real(vcard)

    monkeypatch.setattr(import_vcard, "card_values", refuse_twee)
    text = card("N:Een;Jan") + card("N:Twee;Jan") + card("N:Drie;Jan")
    table = table_of(text + "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Vier;Jan\r\n")  # no END
    assert [(p.row_number, p.column) for p in table.broken] == [(2, "VCARD")]
    assert [(n, cells[1]) for n, cells in table.rows] == [(1, "Een"), (3, "Drie"), (4, "Vier")]


def test_a_raw_line_break_in_a_property_left_out_does_not_break_the_card() -> None:
    # Thunderbird's export writes a custom field's carriage return as it is.
    text = card("N:Twee;Contact", "X-CUSTOM3;VALUE=TEXT:custom\r3", "EMAIL:twee@example.be")
    table = table_of(text)
    assert table.broken == []
    (twee,) = rows(table)
    assert (twee["N (family)"], twee["EMAIL"]) == ("Twee", "twee@example.be")


def test_a_21_line_broken_before_a_space_keeps_the_space() -> None:
    # vCard 2.1 breaks a long line before white space that belongs to the value; 3.0
    # inserts a space of its own, which goes.
    v21 = card("N:Peeters;Jan", "NOTE:Belt na de", " middag", version="2.1")
    v30 = card("N:Peeters;Jan", "NOTE:Belt na de", " middag")
    assert rows(table_of(v21))[0]["NOTE"] == "Belt na de middag"
    assert rows(table_of(v30))[0]["NOTE"] == "Belt na demiddag"


def test_a_property_vobject_refuses_is_kept_in_the_notes_and_the_card_arrives() -> None:
    text = card(
        "N:Peeters;Jan",
        'TEL;TYPE="cell:0475 12 34 56',  # a quote never closed
        "EMAIL;=x:jan@example.be",  # a parameter without a name
        "EMAIL:peeters@example.be",
    )
    table = table_of(text)
    assert table.broken == []
    (jan,) = rows(table)
    assert (jan["TEL"], jan["EMAIL"]) == ("0475 12 34 56", "peeters@example.be")
    assert jan["Not read"] == "EMAIL;=x:jan@example.be"


def test_groups_and_apple_labels() -> None:
    table = table_of((REAL / "ezvcard_John_Doe_IPHONE.vcf").read_bytes())
    assert table.broken == []
    (john,) = rows(table)
    assert john["EMAIL"] == "john.doe@ibm.com"
    # The preferred (cell) number first, the grouped one kept; fax and pager in the notes.
    assert [john[h] for h in ("TEL", "TEL 2", "TEL 3", "TEL 4")] == [
        "905-555-1234",
        "905-666-1234",
        "905-777-1234",
        "905-222-1234",
    ]
    notes = john["NOTE"].splitlines()
    assert "Fax: 905-888-1234" in notes
    assert "Pager: 905-111-1234" in notes
    # The preferred home address is the contact's; the work one is kept in the notes.
    assert (john["ADR (street)"], john["ADR (city)"]) == ("Silicon Alley 5", "New York")
    assert "Work address: Street4 Building 6 Floor 8, 12345 New York, USA" in notes
    assert john["ORG (unit)"] == "Accounting"  # the department: a company link


def test_one_coherent_address_the_others_in_the_notes() -> None:
    text = card(
        "N:Peeters;Jan",
        "ADR;TYPE=home:;;Kerkstraat 1;Gent;;9000;België",
        "ADR;TYPE=work:;Bus 3;Industrieweg 5;Kortrijk;West-Vlaanderen;8500;BE",
        "ADR;TYPE=other:;;;;;;",
        "NOTE:Klant",
    )
    (jan,) = rows(table_of(text))
    assert (
        jan["ADR (street)"],
        jan["ADR (postcode)"],
        jan["ADR (city)"],
        jan["ADR (country)"],
    ) == ("Industrieweg 5 Bus 3", "8500", "Kortrijk, West-Vlaanderen", "BE")
    assert jan["NOTE"] == "Klant\nHome address: Kerkstraat 1, 9000 Gent, België"
    preferred = card(
        "N:Peeters;Jan",
        "ADR;TYPE=work:;;Industrieweg 5;Kortrijk;;8500;BE",
        "ADR;TYPE=home,pref:;;Kerkstraat 1;Gent;;9000;BE",
    )
    (jan,) = rows(table_of(preferred))
    assert (jan["ADR (street)"], jan["ADR (city)"]) == ("Kerkstraat 1", "Gent")
    assert jan["NOTE"] == "Work address: Industrieweg 5, 8500 Kortrijk, BE"


def test_a_note_with_raw_line_breaks_is_one_note() -> None:
    text = card("N:Peeters;Jan", "NOTE:Klant sinds 2010", "belt liefst 's ochtends", "TEL:1")
    (jan,) = rows(table_of(text))
    assert (jan["NOTE"], jan["TEL"]) == ("Klant sinds 2010\nbelt liefst 's ochtends", "1")


def test_a_21_address_continued_with_a_backslash() -> None:
    (row,) = rows(table_of((REAL / "android_v21_adr_multiple_line.vcf").read_bytes()))
    assert row["ADR (street)"] == "Grindelberg 999"
    assert row["NOTE"] == (
        "Website: http://bogus.com/\n"
        "Home address: Hermann v. Brevern 9999999 Packstation 999, 99999 Hamburg, Deutschland"
    )
    assert row["BDAY"] == "2008-12-03"


def test_po_box_and_extended_address_join_the_street() -> None:
    text = card("N:Peeters;Jan", "ADR:PO Box 12;Building B;Main Street 1;Toronto;ON;M5V;Canada")
    (jan,) = rows(table_of(text))
    assert jan["ADR (street)"] == "Main Street 1, Building B, PO Box 12"
    assert jan["ADR (city)"] == "Toronto, ON"


def test_preferred_values_first_each_once_and_a_display_name_left_out() -> None:
    (smith,) = rows(table_of((REAL / "android_v21_pref_handling.vcf").read_bytes()))
    assert [smith["TEL"], smith["TEL 2"], smith["TEL 3"]] == ["2", "1", "3"]
    assert smith["ORG"] == "Company"
    assert "Organisation: Mystery" in smith["NOTE"].splitlines()
    (omega,) = rows(table_of((REAL / "android_v21_invalid_multiple_line.vcf").read_bytes()))
    assert omega["EMAIL"] == "omega@example.com"
    text = card(
        "N:Peeters;Jan",
        "EMAIL:jan@example.be",
        "EMAIL;TYPE=pref:Jan@Example.be",
        "EMAIL;PREF=1:jan.peeters@example.be",
        "TEL;VALUE=uri;TYPE=cell:tel:+32-475-12-34-56",
    )
    (jan,) = rows(table_of(text))
    assert (jan["EMAIL"], jan["EMAIL 2"], jan.get("EMAIL 3")) == (
        "Jan@Example.be",
        "jan.peeters@example.be",
        None,
    )
    assert jan["TEL"] == "+32-475-12-34-56"


def test_fax_and_pager_numbers_go_to_the_notes() -> None:
    # Roundcube's type words ("homefax") beside the standard ones.
    text = card(
        "N:Peeters;Jan",
        "TEL;TYPE=work:09 123 45 67",
        "TEL;TYPE=homefax:09 765 43 21",
        "TEL;TYPE=work,fax:09 111 11 11",
        "TEL;TYPE=pager:0475 00 00 00",
    )
    (jan,) = rows(table_of(text))
    assert (jan["TEL"], jan.get("TEL 2")) == ("09 123 45 67", None)
    assert jan["NOTE"].splitlines() == [
        "Fax: 09 765 43 21",
        "Fax: 09 111 11 11",
        "Pager: 0475 00 00 00",
    ]


def test_job_title_is_a_column_and_an_address_label_without_adr_is_kept_in_the_notes() -> None:
    text = card(
        "N:Peeters;Jan",
        "TITLE:Zaakvoerder",
        "TITLE:Voorzitter",
        "LABEL;TYPE=work:Industrieweg 5\\n8500 Kortrijk",
        "NOTE:Klant",
    )
    (jan,) = rows(table_of(text))
    # The first title is the function (the import links it with the organisation, or
    # keeps it in the notes without one); a second one is a line of the notes.
    assert jan["TITLE"] == "Zaakvoerder"
    assert jan["NOTE"].splitlines() == [
        "Klant",
        "Job title: Voorzitter",
        "Address: Industrieweg 5, 8500 Kortrijk",
    ]
    with_adr = card(
        "N:Peeters;Jan", "ADR:;;Industrieweg 5;Kortrijk;;8500;BE", "LABEL:Industrieweg 5"
    )
    assert "NOTE" not in rows(table_of(with_adr))[0]


def test_an_address_as_display_name_is_no_name() -> None:
    text = card("FN:test1@example.be", "EMAIL;TYPE=INTERNET:test1@example.be")
    assert rows(table_of(text)) == [{"EMAIL": "test1@example.be"}]


def test_more_values_than_a_contact_holds_go_to_the_notes() -> None:
    emails = [f"EMAIL:p{i}@example.be" for i in range(12)]
    (row,) = rows(table_of(card("N:Peeters;Jan", *emails)))
    assert row["EMAIL 10"] == "p9@example.be"
    assert row["NOTE"] == "E-mail: p10@example.be\nE-mail: p11@example.be"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("--0517", "--05-17"),
        ("--05-17", "--05-17"),
        ("16040517", "--05-17"),  # CardBook and Apple: the year 1604 means none
        ("1604-05-17", "--05-17"),
        ("1980-05-17T00:00:00Z", "1980-05-17"),
        ("19800517", "1980-05-17"),
        ("1980-05-17", "1980-05-17"),
        ("circa 1800", "circa 1800"),
    ],
)
def test_birthdays_become_iso_or_month_day(value: str, expected: str) -> None:
    assert birthday(value) == expected


def test_apple_omit_year_and_rfc_6350() -> None:
    text = card("N:Peeters;Jan", "BDAY;X-APPLE-OMIT-YEAR=1900:1900-05-17")
    assert rows(table_of(text))[0]["BDAY"] == "--05-17"
    (simon,) = rows(table_of((REAL / "ezvcard_rfc6350-example.vcf").read_bytes()))
    assert (simon["BDAY"], simon["LANG"]) == ("--02-03", "fr")
    assert simon["TEL"] == "+1-418-656-9254 ext. 102"  # tel: URI's ;ext=102 kept
    # N's suffix "ing. jr,M.Sc.": the generational part stays with the name.
    assert (simon["N (given)"], simon["N (family)"]) == ("Simon", "Perreault jr")
    assert "Title: ing. M.Sc." in simon["NOTE"].splitlines()


def test_names_from_n_from_fn_and_organisation_cards() -> None:
    text = (
        card("FN:Jan Van den Broeck", "EMAIL:jan@example.be")
        + card("N:;;;;", "FN:De Smet")
        + card("N:Doe;John;Richter,James;Mr.;Sr.", "FN:Mr. John Richter James Doe Sr.")
        + card("FN:Acme NV", "ORG:Acme NV", "EMAIL:info@acme.example")
        + card("ORG:Proximus;Sales", "EMAIL:sales@proximus.example")
        + card("N:;;;;", "FN:Bakkerij Peeters", "ORG:Bakkerij Peeters", "X-ABShowAs:COMPANY")
        + card("KIND:org", "FN:Stad Gent", "ORG:Stad Gent")
    )
    found = rows(table_of(text))
    # FN-only cards keep FN for the row reader, which splits it the Belgian way.
    assert found[0] == {"FN": "Jan Van den Broeck", "EMAIL": "jan@example.be"}
    assert found[1] == {"FN": "De Smet"}
    assert (found[2]["N (given)"], found[2]["N (family)"]) == ("John Richter James", "Doe Sr.")
    two_one = card("N:Doe;John;Richter,James;;", version="2.1")
    assert rows(table_of(two_one))[0]["N (given)"] == "John Richter James"
    assert "NOTE" not in found[2]  # "Mr." is no title worth keeping
    assert [r.get("FN", "") for r in found[3:]] == ["", "", "", ""]
    assert [r["ORG"] for r in found[3:]] == ["Acme NV", "Proximus", "Bakkerij Peeters", "Stad Gent"]


@pytest.mark.parametrize("kind", ["KIND:group", "X-ADDRESSBOOKSERVER-KIND:group", "kind:Group"])
def test_a_group_card_is_no_contact_and_says_so(kind: str) -> None:
    text = card("FN:Klanten", kind, "MEMBER:urn:uuid:1") + card("N:Peeters;Jan", "EMAIL:jan@x.be")
    table = table_of(text)
    (jan,) = rows(table)
    assert jan["EMAIL"] == "jan@x.be"
    (left_out,) = table.broken
    assert left_out.message == GROUP_CARD
