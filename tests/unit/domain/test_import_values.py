"""Reading the values real contact files hold: countries by any name, postcodes where
their format is known, phone numbers of any country, birthdays with or without a year,
and the values kept as typed (or in the notes) that need a look."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privacycrm_desktop.domain.contacts import NO_YEAR, ContactInput, has_year, validate_contact
from privacycrm_desktop.domain.countries import find_country, is_country_code
from privacycrm_desktop.domain.duplicates import MADE_UP_NUMBER
from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.import_formats import ColumnTarget
from privacycrm_desktop.domain.import_formats import ImportField as F
from privacycrm_desktop.domain.import_rows import NOTHING_IDENTIFIES, ImportedRow, read_row
from privacycrm_desktop.domain.import_values import (
    COUNTRY_UNKNOWN,
    PHONE_EXTENSION,
    PHONE_KEPT,
    PHONE_PLACEHOLDER,
    POSTCODE_KEPT,
    birth_date,
    country_for,
    country_language,
    month_first,
    read_phone,
)
from privacycrm_desktop.domain.normalize import phone_search_tokens
from privacycrm_desktop.domain.postcodes import countries_of, postcode_in

TODAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Canada", "CA"),
        ("U.S.A.", "US"),
        ("USA", "US"),
        ("United States of America", "US"),
        ("UK", "GB"),
        ("Schweiz", "CH"),
        ("Suisse", "CH"),
        ("Österreich", "AT"),
        ("OSTERREICH", "AT"),
        ("Perú", "PE"),
        ("Duitsland", "DE"),
        ("Allemagne", "DE"),
        ("Verenigde Staten", "US"),
        ("États-Unis", "US"),
        ("Kanada", "CA"),
        ("Japon", "JP"),
        ("Nieuw-Zeeland", "NZ"),
        ("Bosnia and Herzegovina", "BA"),
        ("ca", "CA"),
        ("JP", "JP"),
    ],
)
def test_every_country_by_its_name_in_four_languages_or_its_code(text: str, code: str) -> None:
    assert find_country(text) == code


def test_every_iso_country_has_a_name_in_dutch_french_english_and_german() -> None:
    from babel import Locale

    for language in ("nl", "fr", "en", "de"):
        territories = Locale(language).territories
        for code in ("BE", "CA", "AT", "PE", "ZA", "KR"):
            assert find_country(territories[code]) == code
    assert is_country_code("BE")
    assert not is_country_code("ZZ")
    assert not is_country_code("EU")


@pytest.mark.parametrize("text", ["Atlantis", "Moon", "XY", ""])
def test_an_unknown_country_is_none(text: str) -> None:
    assert find_country(text) is None


@pytest.mark.parametrize(
    ("text", "country", "written"),
    [
        ("9000", "BE", "9000"),
        ("B-9000", "BE", "9000"),
        ("1234ab", "NL", "1234 AB"),
        ("1234 AB", "NL", "1234 AB"),
        ("75001", "FR", "75001"),
        ("F-75001", "FR", "75001"),
        ("10115", "DE", "10115"),
        ("L-1234", "LU", "L-1234"),
        ("1234", "LU", "L-1234"),
        ("sw1a1aa", "GB", "SW1A 1AA"),
        ("K1A0B1", "CA", "K1A 0B1"),
        ("02134-1234", "US", "02134-1234"),
    ],
)
def test_postcodes_of_countries_whose_format_is_known(
    text: str, country: str, written: str
) -> None:
    assert postcode_in(text, country) == written


@pytest.mark.parametrize(
    ("text", "country"), [("0999", "BE"), ("1234", "NL"), ("7500", "FR"), ("ABC", "DE")]
)
def test_a_postcode_that_does_not_fit_its_country(text: str, country: str) -> None:
    assert postcode_in(text, country) is None


def test_which_countries_a_postcode_fits() -> None:
    assert countries_of("1234 AB") == ["NL"]
    assert "BE" in countries_of("9000")
    assert countries_of("ABC") == []


@pytest.mark.parametrize(
    ("text", "region", "value", "reason"),
    [
        ("0475 12 34 56", "BE", "+32475123456", None),
        ("(905) 555-1234", "CA", "+19055551234", PHONE_PLACEHOLDER),
        ("(905) 555-1234", "BE", "(905) 555-1234", PHONE_KEPT),
        ("+1 212 736 5000", "BE", "+12127365000", None),
        ("BusinessPhone", "BE", "BusinessPhone", PHONE_KEPT),
        ("06 12345678", "NL", "+31612345678", None),
        ("123", "BE", "123", PHONE_KEPT),
        # An extension: E.164 has none, the number alone would lose it.
        ("02 512 34 56 ext. 123", "BE", "02 512 34 56 ext. 123", PHONE_EXTENSION),
        ("+1 212 736 5000 x42", "BE", "+1 212 736 5000 x42", PHONE_EXTENSION),
    ],
)
def test_phone_numbers_of_any_country(
    text: str, region: str, value: str, reason: str | None
) -> None:
    assert read_phone(text, region) == (value, reason)


def test_a_number_kept_as_typed_is_searchable_by_its_digits() -> None:
    assert phone_search_tokens("(905) 555-1234") == "9055551234"
    assert phone_search_tokens("BusinessPhone") == "BusinessPhone"


@pytest.mark.parametrize(
    ("postcode", "phones", "country", "by_default"),
    [
        ("9000", [], "BE", True),
        ("", [], "BE", True),
        ("", ["+31 20 123 4567"], "BE", True),  # no address: a number moves nobody
        ("1234 AB", [], "NL", False),
        ("8001", ["+41 44 668 18 00"], "CH", False),
        ("75001", ["0033 1 42 68 53 00"], "FR", False),
        ("75001", [], "", False),  # France, Germany, Italy, Spain...: unsure
        ("SW1A 1AA", [], "GB", False),
    ],
)
def test_a_missing_country_is_decided_by_the_postcode_and_phone(
    postcode: str, phones: list[str], country: str, by_default: bool
) -> None:
    assert country_for(postcode, phones, "BE") == (country, by_default)


HEADERS = ("Name", "E-mail", "Phone", "Postcode", "Country", "Birthday", "Notes")
MAPPING = tuple(
    ColumnTarget(f)
    for f in (F.FULL_NAME, F.EMAIL, F.PHONE, F.POSTCODE, F.COUNTRY, F.BIRTH_DATE, F.NOTES)
)


def _row(*cells: str, country: str = "BE") -> ImportedRow:
    row = read_row(3, HEADERS, cells, MAPPING, TODAY, default_country=country)
    assert isinstance(row, ImportedRow), row
    return row


def test_a_north_american_contact_arrives_whole() -> None:
    row = _row("Bob Smith", "bob@example.com", "(905) 555-1234", "K1A 0B1", "Canada", "", "")
    assert (row.contact.country, row.contact.postcode) == ("CA", "K1A 0B1")
    assert row.contact.phones == ("+19055551234",)
    assert [(v.field, v.message) for v in row.to_check] == [("phones", PHONE_PLACEHOLDER)]
    assert row.contact.language.value == "en"  # the country's, said to be a default
    assert row.defaulted == {"language"}


def test_the_import_default_country_reads_the_phone_numbers() -> None:
    row = _row("Bob Smith", "", "(212) 736-5000", "", "", "", "", country="US")
    assert (row.contact.country, row.contact.phones) == ("US", ("+12127365000",))
    assert row.defaulted == {"country", "language"}


def test_an_unknown_country_is_kept_in_the_notes_never_replaced_by_the_default() -> None:
    row = _row("Jan Peeters", "", "", "", "Atlantis", "", "Klant sinds 2010")
    assert row.contact.country == ""
    assert row.contact.notes == "Klant sinds 2010\nCountry: Atlantis"
    assert [(v.column, v.field, v.raw, v.message) for v in row.to_check] == [
        ("Country", "country", "Atlantis", COUNTRY_UNKNOWN)
    ]
    assert "country" not in row.defaulted


def test_a_postcode_not_of_its_country_is_kept_as_typed() -> None:
    row = _row("Jan Peeters", "", "", "99999", "België", "", "")
    assert (row.contact.postcode, row.contact.country) == ("99999", "BE")
    assert [(v.field, v.message, v.params) for v in row.to_check] == [
        ("postcode", POSTCODE_KEPT, {"value": "99999", "country": "BE"})
    ]


@pytest.mark.parametrize(
    ("cell", "date", "notes"),
    [
        ("--05-17", dt.date(1604, 5, 17), ""),
        ("--0517", dt.date(1604, 5, 17), ""),
        ("16040101", dt.date(1604, 1, 1), ""),
        ("1850-03-04", dt.date(1850, 3, 4), ""),
        ("circa 1800", None, "Birthday: circa 1800"),
        ("2030-01-01", None, "Birthday: 2030-01-01"),
    ],
)
def test_birthdays_with_or_without_a_year_and_text_kept(
    cell: str, date: dt.date | None, notes: str
) -> None:
    row = _row("Jan Peeters", "", "", "", "", cell, "")
    assert (row.contact.birth_date, row.contact.notes) == (date, notes)
    assert [v.field for v in row.to_check] == (["birth_date"] if notes else [])
    if date is not None:
        assert has_year(date) is (date.year != 1604)


def test_a_contact_with_only_an_e_mail_address_or_only_a_phone_number_arrives() -> None:
    only_mail = _row("", "info@example.be", "", "", "", "", "")
    assert only_mail.contact.emails == ("info@example.be",)
    assert (only_mail.contact.first_name, only_mail.contact.last_name) == ("", "")
    only_phone = _row("", "", "0475 12 34 56", "", "", "", "")
    assert only_phone.contact.phones == ("+32475123456",)
    named = _row("Peeters, Jan", "jan@example.be", "", "", "", "", "")
    assert (named.contact.first_name, named.contact.last_name) == ("Jan", "Peeters")


def test_a_row_is_refused_only_when_nothing_identifies_a_person() -> None:
    refused = read_row(3, HEADERS, ("", "", "", "9000", "BE", "1980-01-01", "x"), MAPPING, TODAY)
    assert isinstance(refused, list)
    assert [p.message for p in refused] == [NOTHING_IDENTIFIES]


def test_a_name_the_editor_would_refuse_goes_to_the_notes() -> None:
    long_name = "x" * 300
    row = _row(long_name, "jan@example.be", "", "", "", "", "")
    assert (row.contact.first_name, row.contact.last_name) == ("", "")
    assert row.contact.notes == f"Name: {long_name}"
    assert {v.field for v in row.to_check} == {"last_name"}


def test_the_editor_keeps_a_stored_value_it_cannot_read_when_left_unchanged() -> None:
    stored = ContactInput(first_name="Bob", phones=("(905) 555-1234",), postcode="99", country="BE")
    settled = ContactInput(phones=stored.phones, postcode=stored.postcode)
    assert validate_contact(stored, TODAY, settled=settled).phones == ("(905) 555-1234",)
    with pytest.raises(ValidationFailed) as refused:
        validate_contact(stored, TODAY)
    assert {p.field for p in refused.value.problems} == {"phones", "postcode"}
    changed = ContactInput(first_name="Bob", phones=("(905) 555-9999",), country="BE")
    with pytest.raises(ValidationFailed):
        validate_contact(changed, TODAY, settled=settled)


def test_the_editor_takes_a_birthday_without_a_year_and_an_old_date() -> None:
    assert validate_contact(
        ContactInput(first_name="A", birth_date=dt.date(1604, 2, 29)), TODAY
    ).birth_date == dt.date(1604, 2, 29)
    assert validate_contact(ContactInput(first_name="A", birth_date=dt.date(1850, 1, 1)), TODAY)
    with pytest.raises(ValidationFailed):
        validate_contact(ContactInput(first_name="A", birth_date=dt.date(1500, 1, 1)), TODAY)


def test_the_editor_reads_a_phone_number_in_the_contact_s_country() -> None:
    checked = validate_contact(
        ContactInput(first_name="A", phones=("020 123 4567",), country="NL"), TODAY
    )
    assert checked.phones == ("+31201234567",)


_CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(phone=_CELL, postcode=_CELL, country=_CELL, birthday=_CELL, email=_CELL)
@settings(max_examples=300, deadline=None)
def test_a_named_row_always_arrives_and_passes_the_editor_s_rules(
    phone: str, postcode: str, country: str, birthday: str, email: str
) -> None:
    headers = ("Name", "E-mail", "Phone", "Postcode", "Country", "Birthday", "Notes")
    cells = ("Jan Peeters", email, phone, postcode, country, birthday, "")
    row = read_row(3, headers, cells, MAPPING, TODAY)
    assert isinstance(row, ImportedRow), row
    contact = row.contact
    # What is stored can be stored: no control characters, within the columns' sizes.
    for value in (*contact.phones, *contact.emails, contact.postcode, contact.notes):
        assert value.isprintable() or "\n" in value
        assert "\x00" not in value
    assert all(len(p) <= 32 for p in contact.phones)
    assert all(len(e) <= 320 for e in contact.emails)
    assert len(contact.postcode) <= 20
    assert len(contact.country) in (0, 2)
    settled = ContactInput(emails=contact.emails, phones=contact.phones, postcode=contact.postcode)
    assert validate_contact(contact, TODAY, settled=settled) == contact


@pytest.mark.parametrize(
    ("shown", "first", "last"),
    [
        ("Jan Peeters (jan@example.be)", "Jan", "Peeters"),
        ("Jan Peeters <jan@example.be>", "Jan", "Peeters"),
        ("jan@example.be", "", ""),
        ("Peeters, Jan", "Jan", "Peeters"),
    ],
)
def test_a_display_name_gives_the_name_without_the_address(
    shown: str, first: str, last: str
) -> None:
    row = _row(shown, "jan@example.be", "", "", "", "", "")
    assert (row.contact.first_name, row.contact.last_name) == (first, last)


@pytest.mark.parametrize(
    ("country", "postcode", "language"),
    [
        ("BE", "9000", "nl"),  # Gent
        ("BE", "2000", "nl"),  # Antwerpen
        ("BE", "1000", "fr"),  # Brussels: its majority's
        ("BE", "4000", "fr"),  # Liège
        ("BE", "4700", "de"),  # Eupen: the German-speaking community
        ("BE", "", "nl"),
        ("LU", "1661", "fr"),
        ("NL", "1012 AB", "nl"),
    ],
)
def test_a_missing_language_is_the_region_s(country: str, postcode: str, language: str) -> None:
    assert country_language(country, postcode).value == language


@pytest.mark.parametrize("cell", ["0/0/00", "0-0-00", "0.0.00", "00.00.0000"])
def test_outlook_s_no_date_in_every_language_is_no_birth_date(cell: str) -> None:
    assert birth_date(cell) is None


@pytest.mark.parametrize(
    ("cell", "address"),
    [
        ("Jan Peeters <jan@x.be>", "jan@x.be"),
        ("<jan@x.be>", "jan@x.be"),
        ("mailto:jan@x.be", "jan@x.be"),
        ("MAILTO:jan%40x.be?subject=Hi", "jan@x.be"),
        ("jan@x.be.", "jan@x.be"),
        ('"Peeters, Jan" <jan@x.be>', "jan@x.be"),
        ("jan at x.be", "jan at x.be"),
        ("n/a", "n/a"),
    ],
)
def test_the_address_in_an_email_cell(cell: str, address: str) -> None:
    from privacycrm_desktop.domain.import_values import email_in

    assert email_in(cell) == address


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        # American Outlook: one date shows the order, the others follow it.
        (["5/17/1980", "05/06/1980", ""], True),
        (["17/05/1980", "05/06/1980"], False),  # Belgian: day first
        (["05/06/1980", "03.04.1975"], False),  # nothing tells: day first
        (["5/17/1980", "17/5/1980"], False),  # both kinds: each date as it says
        (["1980-05-17", "--05-17", "text"], False),
        (["12/31"], True),  # without a year too
    ],
)
def test_a_column_of_dates_is_read_in_one_order(column: list[str], expected: bool) -> None:
    assert month_first(column) is expected


def test_an_ambiguous_date_follows_its_column() -> None:
    # Seen on main (issue 19): in an American export "05/06/1980" became the 5th of June.
    assert birth_date("05/06/1980", months_first=True) == dt.date(1980, 5, 6)
    assert birth_date("05/06/1980") == dt.date(1980, 6, 5)
    assert birth_date("5/17/1980") == dt.date(1980, 5, 17)
    assert birth_date("17/5/1980", months_first=True) == dt.date(1980, 5, 17)
    assert birth_date("12/01", months_first=True) == dt.date(NO_YEAR, 12, 1)


def _read_by_phonenumbers(text: str, region: str) -> tuple[str, str | None]:
    """``read_phone`` as phonenumbers alone reads a number (the reference of its short cut)."""
    import phonenumbers

    candidate = " ".join(text.split())
    try:
        number = phonenumbers.parse(candidate, region or None)
    except phonenumbers.NumberParseException:
        return candidate, PHONE_KEPT
    if not phonenumbers.is_valid_number(number):
        return candidate, PHONE_KEPT
    if number.extension:
        return candidate, PHONE_EXTENSION
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, PHONE_PLACEHOLDER if MADE_UP_NUMBER.fullmatch(e164) else None


def test_a_belgian_mobile_number_is_read_without_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    import phonenumbers

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr(phonenumbers, "parse", refuse)
    assert read_phone("0470/12.34.56", "BE") == ("+32470123456", None)
    assert read_phone(" 0499 99 99 99 ", "BE") == ("+32499999999", None)


def test_the_short_cut_reads_every_number_as_phonenumbers_does() -> None:
    rng = random.Random(19)
    texts = ["0470 12 34 56", "0440 12 34 56", "04701234567", "047012345", "-0470123456."]
    for _n in range(4000):
        digits = "0" + rng.choice("344456789") + "".join(rng.choice("0123456789") for _ in range(8))
        digits = digits[: rng.choice((9, 10, 10, 10, 11))]
        text = "".join(d + rng.choice(("", "", " ", ".", "/", "-", "  ", "x", "٣")) for d in digits)
        texts.append(rng.choice(("", " ", "-", "+", "(")) + text)
    for text in texts:
        for region in ("BE", "NL"):
            assert read_phone(text, region) == _read_by_phonenumbers(text, region), text
