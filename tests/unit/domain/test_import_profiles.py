"""Real export header rows recognised and mapped whole (no database): the program that
wrote the file, columns beside an e-mail address that are no address, addresses kept
whole, birth date parts, multi-value cells, a preamble above the header and a whole
address in one cell. The files and their sources: tests/data/import/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from privacycrm_desktop.domain.import_addresses import address_group, join_street, split_address
from privacycrm_desktop.domain.import_cells import birth_text, display_name
from privacycrm_desktop.domain.import_files import detect_delimiter, detect_shape, read_table
from privacycrm_desktop.domain.import_formats import ColumnTarget, ImportField, ImportTable
from privacycrm_desktop.domain.import_headers import guess_mapping, guess_target
from privacycrm_desktop.domain.import_profiles import ImportProfile, recognise_profile
from privacycrm_desktop.domain.import_rows import row_values

F = ImportField
CORPUS = Path(__file__).parents[2] / "data" / "import"


def table_of(name: str) -> ImportTable:
    data = (CORPUS / name).read_bytes()
    return read_table(data, detect_shape(data, name))


def mapped(table: ImportTable, field: ImportField) -> list[str]:
    mapping = guess_mapping(table.headers)
    return [h for h, t in zip(table.headers, mapping, strict=True) if t and t.field is field]


def gathered(table: ImportTable, row: int = 0) -> dict[ImportField, str]:
    found = row_values(table.headers, table.rows[row][1], guess_mapping(table.headers))
    assert not found.problems
    values = dict(found.values)
    values[F.EMAIL] = " | ".join(found.emails)
    values[F.PHONE] = " | ".join(found.phones)
    return values


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("outlook_en.csv", ImportProfile.OUTLOOK),
        ("outlook_en_full_header.csv", ImportProfile.OUTLOOK),
        ("outlook_nl_cp1252.csv", ImportProfile.OUTLOOK),
        ("outlook_nl_openxchange.csv", ImportProfile.OUTLOOK),
        ("outlook_fr_full_header.csv", ImportProfile.OUTLOOK),
        ("outlook_de_openxchange.csv", ImportProfile.OUTLOOK),
        ("google_contacts.csv", ImportProfile.GOOGLE),
        ("google_old_roundcube.csv", ImportProfile.GOOGLE),
        ("thunderbird_roundcube.csv", ImportProfile.THUNDERBIRD),
        ("thunderbird_be.tsv", ImportProfile.THUNDERBIRD),
        ("linkedin_connections.csv", ImportProfile.LINKEDIN),
        ("excel_nl_bom_semicolon.csv", ImportProfile.GENERIC),
        ("excel_nl_adres.csv", ImportProfile.GENERIC),
    ],
)
def test_the_program_that_wrote_the_file_is_recognised(name: str, profile: ImportProfile) -> None:
    assert recognise_profile(table_of(name).headers) is profile


@pytest.mark.parametrize(
    ("name", "emails", "names"),
    [
        (
            "outlook_de_openxchange.csv",
            ["E-Mail-Adresse", "E-Mail 2: Adresse", "E-Mail 3: Adresse"],
            [
                "E-Mail: Angezeigter Name",
                "E-Mail 2: Angezeigter Name",
                "E-Mail 3: Angezeigter Name",
            ],
        ),
        (
            "outlook_nl_openxchange.csv",
            ["E-mailadres", "E-mailadres 2", "E-mailadres 3"],
            [
                "Weergavenaam voor e-mail",
                "E-mail, weergegeven naam 2",
                "E-mail, weergegeven naam 3",
            ],
        ),
        (
            "outlook_en_full_header.csv",
            ["E-mail Address", "E-mail 2 Address", "E-mail 3 Address"],
            ["E-mail Display Name", "E-mail 2 Display Name", "E-mail 3 Display Name"],
        ),
        (
            "outlook_fr_full_header.csv",
            ["Adresse de messagerie", "Adresse de messagerie 2", "Adresse de messagerie 3"],
            [
                "Nom complet de l'adresse de messagerie",
                "Nom complet de l'adresse de messagerie 2",
                "Nom complet de l'adresse de messagerie 3",
            ],
        ),
    ],
)
def test_outlook_display_names_and_kinds_are_no_e_mail_addresses(
    name: str, emails: list[str], names: list[str]
) -> None:
    table = table_of(name)
    assert mapped(table, F.EMAIL) == emails
    assert mapped(table, F.EMAIL_NAME) == names


def test_a_real_german_outlook_row_gives_its_three_addresses_only() -> None:
    values = gathered(table_of("outlook_de_openxchange.csv"))
    # Not "SMTP", not "Angezeigter Name (email@...)": the row's three addresses.
    assert values[F.EMAIL] == "email@geschaeftlich.tld | email@privat.tld | email@weitere.tld"
    assert (values[F.FIRST_NAME], values[F.LAST_NAME]) == ("Vorname", "Nachname")
    # The business address whole (street, city, postcode, country of one address) ...
    assert (values[F.STREET], values[F.CITY], values[F.POSTCODE], values[F.COUNTRY]) == (
        "Straße",
        "Stadt",
        "PLZ",
        "Land",
    )
    # ... and the private and other ones in the notes, with the file's own words.
    notes = values[F.NOTES].splitlines()
    assert notes[0] == "Anmerkungen"
    assert notes[1:] == [
        "Privat: Straße, PLZ Stadt, Land",
        "Weitere: Straße (weitere), PLZ Stadt (weitere), Land (weiteres)",
    ]
    assert values[F.BIRTH_DATE] == "10.9.2007"
    assert F.FULL_NAME not in values  # the row names its person: no display name used


def test_a_real_dutch_outlook_row_keeps_its_addresses_apart() -> None:
    values = gathered(table_of("outlook_nl_openxchange.csv"))
    assert values[F.EMAIL] == "hans@wurst.nl | emial 2 | email 3"
    assert values[F.STREET] == "Arbeitsstrasse, Arbeitsstrasse2, Arbeitsstrasse3"
    assert (values[F.CITY], values[F.POSTCODE], values[F.COUNTRY]) == ("Platz", "PLZ", "NRW-NL")
    assert (
        "Huisadres: Hausstrasse, Hausstrasse2, Hausstrasse3, Hausstrasse PLZ " in (values[F.NOTES])
    )


def test_thunderbird_birth_parts_and_its_work_address_first() -> None:
    values = gathered(table_of("thunderbird_roundcube.csv"))
    assert values[F.BIRTH_DATE] == "1970-11-15"
    assert values[F.EMAIL] == "test@domain.tld | next@domain.tld"
    assert values[F.PHONE] == "phone work | phone home | mobile"
    assert (values[F.STREET], values[F.POSTCODE], values[F.CITY], values[F.COUNTRY]) == (
        "Addr work",
        "33-333",
        "Wcity",
        "Poland",
    )
    assert values[F.NOTES] == "Home: Priv address, xx-xxx City, USA"


def test_the_old_google_export_maps_every_address_and_value() -> None:
    table = table_of("google_old_roundcube.csv")
    values = gathered(table)
    assert values[F.EMAIL] == "home@aaa.pl | work@email.pl | unknown@email.com | other@email.com"
    assert (values[F.FIRST_NAME], values[F.LAST_NAME]) == ("Firstname", "Lastname")
    assert values[F.ORGANISATION] == "company"
    assert values[F.BIRTH_DATE] == "1975-12-12"
    # Address 2 says it is the work address (its "Type" column): it comes first.
    assert (values[F.STREET], values[F.CITY], values[F.POSTCODE]) == (
        "work_street",
        "work_city",
        "work_zip",
    )
    assert "Home: home_street, home_zip home_city, home_country" in values[F.NOTES]
    assert "Fax" not in " ".join(mapped(table, F.PHONE))


def test_google_multi_value_cells_give_several_values() -> None:
    values = gathered(table_of("google_multi_value.csv"))
    assert values[F.EMAIL] == "wim@goossens.example | wim.goossens@example.be"
    assert values[F.PHONE] == "+32 470 98 76 54 | +32 3 231 45 67"
    assert (values[F.STREET], values[F.POSTCODE], values[F.CITY]) == ("Meir 1", "2000", "Antwerpen")


def test_a_scalar_cell_with_several_values_keeps_the_others_in_the_notes() -> None:
    headers = ("Last Name", "Organization 1 - Name", "Notes")
    mapping = guess_mapping(headers)
    found = row_values(headers, ("Peeters", "Bakkerij ::: Brouwerij", "Vaste klant"), mapping)
    assert found.values[F.ORGANISATION] == "Bakkerij"
    assert found.values[F.NOTES] == "Vaste klant\nOrganization 1 - Name: Brouwerij"


def test_colons_without_googles_spaces_are_one_value() -> None:
    """Google writes " ::: " between values; a city "::::" or a name "a:::b" is one value
    (the city came back as ":" from a round trip through Google's CSV)."""
    headers = ("Last Name", "Organization 1 - Name", "Address 1 - City")
    mapping = guess_mapping(headers)
    found = row_values(headers, ("a:::b", "::::", "::::"), mapping)
    assert (found.values[F.LAST_NAME], found.values[F.ORGANISATION]) == ("a:::b", "::::")
    assert found.values[F.CITY] == "::::"
    assert F.NOTES not in found.values
    # Separators at a cell's ends or doubled give no value of their own (":::" was
    # stored as an e-mail address).
    headers = ("Last Name", "E-mail 1 - Value")
    found = row_values(headers, ("Peeters", " ::: e1@x.be :::  ::: "), guess_mapping(headers))
    assert found.emails == ("e1@x.be",)


def test_linkedin_notes_preamble_is_skipped() -> None:
    table = table_of("linkedin_connections.csv")
    assert table.shape.delimiter == ","
    assert table.headers[:4] == ("First Name", "Last Name", "URL", "Email Address")
    assert [number for number, _cells in table.rows] == [1, 2]
    assert mapped(table, F.EMAIL) == ["Email Address"]
    assert mapped(table, F.ORGANISATION) == ["Company"]


def test_a_preamble_does_not_hide_a_semicolon_separator() -> None:
    text = 'Notes:\n"Exported, with care"\n\nNaam;Voornaam;E-mail\nPeeters;Jan;jan@example.be\n'
    assert detect_delimiter(text) == ";"


def test_a_header_of_unknown_words_stays_the_header() -> None:
    text = b"Klant,Contact,Wat\nMobile,Home,x\n"
    table = read_table(text, detect_shape(text))
    assert table.headers == ("Klant", "Contact", "Wat")
    assert len(table.rows) == 1


def test_parts_of_two_addresses_are_never_mixed() -> None:
    headers = ("Last Name", "Business Street", "Business Postal Code", "Home City")
    found = row_values(
        headers, ("Wouters", "Stationsplein 1", "2800", "Leuven"), guess_mapping(headers)
    )
    assert (found.values[F.STREET], found.values[F.POSTCODE]) == ("Stationsplein 1", "2800")
    assert F.CITY not in found.values  # not Leuven, the home city
    assert found.values[F.NOTES] == "Home: Leuven"


def test_a_complete_address_wins_over_a_partial_work_address() -> None:
    headers = ("Last Name", "Business City", "Home Street", "Home Postal Code", "Home City")
    cells = ("Maes", "Aalst", "Molenstraat 8", "9420", "Erpe-Mere")
    found = row_values(headers, cells, guess_mapping(headers))
    assert (found.values[F.STREET], found.values[F.CITY]) == ("Molenstraat 8", "Erpe-Mere")
    assert found.values[F.NOTES] == "Business: Aalst"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Kerkstraat 1, 9000 Gent", ("Kerkstraat 1", "9000", "Gent", "")),
        ("Rue Neuve 5, 1000 Bruxelles", ("Rue Neuve 5", "1000", "Bruxelles", "")),
        ("Kerkstraat 1 bus 2, B-9000 Gent", ("Kerkstraat 1 bus 2", "9000", "Gent", "BE")),
        ("Kerkstraat 1 9000 Gent", ("Kerkstraat 1", "9000", "Gent", "")),
        (
            "Lange Lozanastraat 14\n2018 Antwerpen",
            ("Lange Lozanastraat 14", "2018", "Antwerpen", ""),
        ),
        ("Meir 1\n2000 Antwerpen\nBelgium", ("Meir 1", "2000", "Antwerpen", "Belgium")),
        ("Dam 1, 1012 JS Amsterdam, Nederland", ("Dam 1", "1012 JS", "Amsterdam", "Nederland")),
        ("Ergens in de Kempen", ("Ergens in de Kempen", "", "", "")),
    ],
)
def test_a_whole_address_in_one_cell_is_split(text: str, parts: tuple[str, ...]) -> None:
    assert split_address(text) == parts


def test_a_belgian_excel_adres_column_is_split_into_its_fields() -> None:
    table = table_of("excel_nl_adres.csv")
    assert guess_target("Adres") == ColumnTarget(F.ADDRESS)
    first = gathered(table, 0)
    assert (first[F.STREET], first[F.POSTCODE], first[F.CITY]) == ("Kerkstraat 1", "9000", "Gent")
    third = gathered(table, 2)
    assert (third[F.STREET], third[F.POSTCODE], third[F.COUNTRY]) == (
        "Kerkstraat 1 bus 2",
        "9000",
        "BE",
    )
    last = gathered(table, 3)
    assert last[F.STREET] == "Ergens in de Kempen"
    assert F.POSTCODE not in last


@pytest.mark.parametrize(
    ("parts", "text"),
    [
        (("1980", "7", "21"), "1980-07-21"),
        (("", "5", "17"), "--05-17"),
        (("0", "5", "17"), "--05-17"),
        (("1980", "", ""), "1980"),
        (("", "", ""), ""),
        (("1980", "juli", "21"), "1980-juli-21"),
    ],
)
def test_birth_date_parts_make_one_date(parts: tuple[str, str, str], text: str) -> None:
    assert birth_text(*parts) == text


def test_thunderbird_birth_parts_without_a_year() -> None:
    values = gathered(table_of("thunderbird_be.tsv"), 1)
    assert values[F.BIRTH_DATE] == "--05-17"
    first = gathered(table_of("thunderbird_be.tsv"), 0)
    assert first[F.BIRTH_DATE] == "1980-07-21"
    assert first[F.STREET] == "Ottergemsesteenweg 50"  # work first
    assert "Home: Veldstraat 10 bus 3, 9000 Gent, België" in first[F.NOTES]


@pytest.mark.parametrize(
    ("cell", "name"),
    [
        ("Jan Peeters (jan@example.be)", "Jan Peeters"),
        ("Jan Peeters <jan@example.be>", "Jan Peeters"),
        ("jan@example.be", ""),
        ("Jan Peeters", "Jan Peeters"),
    ],
)
def test_the_display_name_is_a_name_not_an_address(cell: str, name: str) -> None:
    assert display_name(cell) == name


def test_the_display_name_names_a_row_that_names_nobody() -> None:
    headers = ("First Name", "Last Name", "E-mail Address", "E-mail Display Name")
    mapping = guess_mapping(headers)
    found = row_values(headers, ("", "", "s@example.be", "Sarah Lievens (s@example.be)"), mapping)
    assert found.values[F.FULL_NAME] == "Sarah Lievens"
    assert found.emails == ("s@example.be",)
    named = row_values(headers, ("Sarah", "L", "s@example.be", "Someone Else"), mapping)
    assert F.FULL_NAME not in named.values


@pytest.mark.parametrize(
    ("header", "rank", "label"),
    [
        ("Business Street", (0, 0), "Business"),
        ("Werkadres 2, straat", (0, 0), "Werkadres"),
        ("Code postal (domicile)", (3, 0), "Domicile"),
        ("Land/Region geschäftlich", (0, 0), "Geschäftlich"),
        ("Weiteres/e Land/Region", (4, 0), "Weiteres"),
        ("Address 2 - City", (2, 2), "Address 2"),
        ("Postcode", (1, 0), ""),
    ],
)
def test_an_address_column_belongs_to_the_address_its_header_names(
    header: str, rank: tuple[int, int], label: str
) -> None:
    group = address_group(header)
    assert (group.rank, group.label) == (rank, label)


def test_street_lines_join_as_an_address_is_written() -> None:
    assert join_street(["Kerkstraat", "12", "bus 3"]) == "Kerkstraat 12 bus 3"
    assert join_street(["Industrieweg 4", "Gebouw B"]) == "Industrieweg 4, Gebouw B"


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("E-mail Type", None),
        ("E-Mail-Typ", None),
        ("Type de messagerie", None),
        ("E-mailtype 2", None),
        ("Assistant's Phone", None),
        ("Land/regio (werk)", F.COUNTRY),
        ("Postleitzahl privat", F.POSTCODE),
        ("Straße geschäftlich 2", F.STREET),
        ("Home ZipCode", F.POSTCODE),
        ("Home Address", F.STREET),
        ("Birth Year", F.BIRTH_YEAR),
        ("Primary Email", F.EMAIL),
        ("Email Address", F.EMAIL),
        ("Connected On", None),
        ("Address 1 - Formatted", F.ADDRESS),
        ("Adresse", F.ADDRESS),
    ],
)
def test_headers_of_real_exports(header: str, field: ImportField | None) -> None:
    target = guess_target(header)
    assert (target.field if target else None) is field


def test_a_header_one_program_reads_its_own_way() -> None:
    assert guess_target("Geburtstag") == ColumnTarget(F.BIRTH_DATE)
    thunderbird = ("Vorname", "Nachname", "Geburtsjahr", "Geburtsmonat", "Geburtstag")
    assert guess_mapping(thunderbird)[-1] == ColumnTarget(F.BIRTH_DAY)
    outlook = ("Vorname", "Straße geschäftlich", "Ort")
    assert guess_mapping(outlook)[-1] is None  # Outlook's office location, not a town


def test_a_plain_address_header_belongs_to_the_address_before_it() -> None:
    # Thunderbird in French names its home and work postcodes and cities alike.
    headers = (
        "Prénom",
        "Nom de famille",
        "Adresse électronique principale",
        "Adresse privée",
        "Ville",
        "Code postal",
        "Adresse professionnelle",
        "Ville",
        "Code postal",
        "Année de naissance",
        "Mois",
        "Jour",
    )
    cells = (
        "Amélie",
        "Lambert",
        "amelie@example.be",
        "Avenue Louise 200",
        "Ixelles",
        "1050",
        "",  # no work street: the work city and postcode still belong to work
        "Bruxelles",
        "1000",
        "1985",
        "4",
        "12",
    )
    mapping = guess_mapping(headers)
    found = row_values(headers, cells, mapping)
    assert (found.values[F.STREET], found.values[F.POSTCODE], found.values[F.CITY]) == (
        "Avenue Louise 200",
        "1050",
        "Ixelles",
    )
    assert found.values[F.NOTES] == "Professionnelle: 1000 Bruxelles"
    assert found.values[F.BIRTH_DATE] == "1985-04-12"


def test_a_title_line_above_an_excel_header_is_skipped() -> None:
    text = (
        "Klantenlijst 2026;;;\r\n"
        "Naam;Voornaam;E-mail;GSM\r\n"
        "Peeters;Jan;jan@example.be;0475 12 34 56\r\n"
    )
    data = text.encode("cp1252")
    table = read_table(data, detect_shape(data, "klanten.csv"))
    assert table.shape.delimiter == ";"
    assert table.headers == ("Naam", "Voornaam", "E-mail", "GSM")
    assert table.rows == [(1, ("Peeters", "Jan", "jan@example.be", "0475 12 34 56"))]


def test_a_numbered_address_without_a_stated_kind_keeps_its_number() -> None:
    headers = ("Last Name", "Address 1 - Type", "Address 1 - Street", "Address 1 - City")
    headers += ("Address 2 - Type", "Address 2 - Street", "Address 2 - City")
    cells = ("Claes", "", "Meir 1", "Antwerpen", "Vakantie", "Zeedijk 5", "Knokke")
    found = row_values(headers, cells, guess_mapping(headers))
    assert (found.values[F.STREET], found.values[F.CITY]) == ("Meir 1", "Antwerpen")
    assert found.values[F.NOTES] == "Vakantie: Zeedijk 5, Knokke"


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        (["Naam", "Adres"], "full_name"),
        (["Nom", "E-mail"], "full_name"),
        (["Naam", "Voornaam"], "last_name"),
        (["Prénom", "Nom"], "last_name"),
    ],
)
def test_naam_alone_is_the_whole_name_beside_a_first_name_the_last(
    headers: list[str], field: str
) -> None:
    from privacycrm_desktop.domain.import_headers import guess_mapping

    mapping = dict(zip(headers, guess_mapping(headers), strict=True))
    name = next(h for h in headers if h in ("Naam", "Nom"))
    target = mapping[name]
    assert target is not None
    assert target.field.value == field
