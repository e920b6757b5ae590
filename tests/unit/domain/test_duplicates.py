"""What identifies a person in an import: keys, mobile numbers, and the check that two
records sharing a key do not disagree (domain.duplicates); our own UIDs (contact_uid)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from privacycrm_desktop.domain.contact_uid import contact_uid, uid_contact_id
from privacycrm_desktop.domain.duplicates import (
    MatchKind,
    identifying_email,
    is_mobile,
    match_keys,
    names_agree,
    person,
    same_person,
)


@pytest.mark.parametrize(
    ("number", "mobile"),
    [
        ("+32475123456", True),
        ("+32456123456", True),
        ("+3292254567", False),  # a Ghent landline
        ("+3225551234", False),
        ("+31612345678", True),
        ("+33612345678", True),
        ("+33142685300", False),
        ("+447911123456", True),
        ("+12015550123", False),  # FIXED_LINE_OR_MOBILE: may be a switchboard
        ("(905) 555-1234", False),  # kept as typed
    ],
)
def test_mobile_numbers_are_told_from_fixed_lines(number: str, mobile: bool) -> None:
    assert is_mobile(number) is mobile


def test_a_landline_alone_is_no_key_but_beside_a_name_it_is() -> None:
    keys = match_keys(person("Jan", "Peeters", phones=["+3292254567", "+32475123456"]))
    assert (MatchKind.MOBILE, "+32475123456") in keys
    assert all(not (k is MatchKind.MOBILE and v == "+3292254567") for k, v in keys)
    assert (MatchKind.NAME_PHONE, "jan peeters|+3292254567") in keys
    assert match_keys(person("", "", phones=["+3292254567"])) == []


def test_keys_of_names_fold_accents_case_and_order() -> None:
    a = match_keys(person("Zoë", "Lefèvre", organisation="Bakkerij  X", postcode="4000"))
    b = match_keys(person("LEFEVRE", "zoe", organisation="bakkerij x", postcode=" 4000"))
    assert a == b
    assert {k for k, _v in a} == {MatchKind.NAME_POSTCODE, MatchKind.NAME_ORGANISATION}
    assert match_keys(person("Lotte", "Maes")) == [(MatchKind.NAME, "lotte maes")]
    assert match_keys(person("", "", organisation="Acme")) == [(MatchKind.ORGANISATION, "acme")]


def test_names_agree_with_initials_and_parts() -> None:
    assert names_agree(("jan", "peeters"), ("j", "peeters"))
    assert names_agree(("peeters",), ("jan", "peeters"))
    assert not names_agree(("jan", "peeters"), ("marie", "peeters"))
    assert not names_agree(("m", "peeters"), ("jan", "peeters"))


def test_records_that_disagree_are_two_people() -> None:
    jan = person("Jan", "Peeters", emails=["jan@x.be"], phones=["+32475123456"])
    assert same_person(jan, person("J.", "Peeters", phones=["+32475123456"]), MatchKind.MOBILE)
    assert not same_person(jan, person("Piet", "Claes", phones=["+32475123456"]), MatchKind.MOBILE)
    # Same mobile, the other's e-mail address: not attached to Jan.
    other = person("", "Peeters", emails=["piet@x.be"], phones=["+32475123456"])
    assert not same_person(jan, other, MatchKind.MOBILE)
    # Same e-mail address, a new mobile: the same person.
    moved = person("Jan", "Peeters", emails=["jan@x.be"], phones=["+32486112233"])
    assert same_person(jan, moved, MatchKind.EMAIL)
    born = person("Jan", "Peeters", postcode="9000", birth_date=dt.date(1950, 1, 1))
    son = person("Jan", "Peeters", postcode="9000", birth_date=dt.date(1980, 1, 1))
    assert not same_person(born, son, MatchKind.NAME_POSTCODE)
    assert not same_person(
        person("Lotte", "Maes", city="Gent"), person("Lotte", "Maes", city="Brugge"), MatchKind.NAME
    )


def test_our_uids_name_our_contacts_only() -> None:
    uid = contact_uid("a" * 32, 4711)
    assert uid.startswith("urn:uuid:")
    assert uid == contact_uid("a" * 32, 4711)
    assert uid_contact_id("a" * 32, uid) == 4711
    assert uid_contact_id("a" * 32, uid.upper().replace("URN:UUID:", "")) == 4711
    assert uid_contact_id("b" * 32, uid) is None
    assert uid_contact_id("a" * 32, "urn:uuid:0e5e7c4a-8f34-4b8e-9e6c-4b0e3f1c2d3e") is None
    assert uid_contact_id("a" * 32, "1234") is None
    import uuid

    parsed = uuid.UUID(uid.removeprefix("urn:uuid:"))
    assert (parsed.version, parsed.variant) == (8, uuid.RFC_4122)


def test_a_namesake_at_the_same_postcode_with_another_mobile_or_street_is_somebody_else() -> None:
    jan = person(
        "Jan", "Peeters", emails=["jan@a.be"], phones=["+32475010101"], postcode="9000",
        street="Kerkstraat 1",
    )  # fmt: skip
    namesake = person(
        "Jan", "Peeters", emails=["jan@b.be"], phones=["+32475020202"], postcode="9000",
        street="Veldstraat 99",
    )  # fmt: skip
    assert not same_person(jan, namesake, MatchKind.NAME_POSTCODE)
    assert not same_person(
        jan, person("Jan", "Peeters", emails=["jan@b.be"], postcode="9000", street="Veldstraat 9"),
        MatchKind.NAME_POSTCODE,
    )  # fmt: skip
    # A new e-mail address and nothing else that differs: still Jan.
    new_address = person("Jan", "Peeters", emails=["jan@new.be"], postcode="9000")
    assert same_person(jan, new_address, MatchKind.NAME_POSTCODE)


def test_a_person_and_an_organisations_record_are_never_one() -> None:
    sales = person("", "", "Beta BV", emails=["sales@beta.be"], phones=["+3232223344"])
    gert = person("Gert", "Vos", "Beta BV", emails=["sales@beta.be"])
    assert not same_person(sales, gert, MatchKind.EMAIL)
    assert not same_person(gert, sales, MatchKind.EMAIL)
    assert not same_person(gert, sales, MatchKind.UID)
    # A row with only the address (no name, no organisation) is still the person's.
    assert same_person(gert, person("", "", emails=["sales@beta.be"]), MatchKind.EMAIL)


def test_a_uid_names_its_contact_unless_the_row_is_somebody_else_altogether() -> None:
    jan = person("Jan", "Peeters", emails=["jan@x.be"], phones=["+32475123456"], city="Gent")
    moved = person("Jan", "Peeters", emails=["jan@x.be"], city="Brugge")
    assert same_person(jan, moved, MatchKind.UID)
    married = person("Jan", "Claes", emails=["jan@x.be"])
    assert same_person(jan, married, MatchKind.UID)
    piet = person("Piet", "d'Hondt", emails=["piet@y.be"], phones=["+32486000000"])
    assert not same_person(jan, piet, MatchKind.UID)


def test_the_quick_answers_of_names_agree_are_those_of_the_full_comparison() -> None:
    from privacycrm_desktop.domain.duplicates import _words_agree

    rng = random.Random(19)
    words = ["jan", "j", "peeters", "p", "marie", "m", "van", "v", "de", "d", "jans"]
    for _n in range(20_000):
        a = tuple(sorted(rng.choice(words) for _ in range(rng.randint(1, 4))))
        b = tuple(sorted(rng.choice(words) for _ in range(rng.randint(1, 4))))
        short, long = (a, b) if len(a) <= len(b) else (b, a)
        assert names_agree(a, b) == _words_agree(short, long), (a, b)


def test_name_keys_are_the_keys_of_a_record_without_points() -> None:
    from privacycrm_desktop.domain.duplicates import name_keys

    rng = random.Random(19)
    firsts = ["", "Jan", "J.", "Zoë", " Marie  Claire "]
    lasts = ["", "Peeters", "Van den Broeck", "d'Hondt"]
    organisations = ["", "Bakkerij Peeters", "  ACME   nv ", "Électricité"]
    postcodes = ["", "9000", " 1234 ab ", "B-1000"]
    for _n in range(2_000):
        values = (
            rng.choice(firsts),
            rng.choice(lasts),
            rng.choice(organisations),
            rng.choice(postcodes),
        )
        first, last, organisation, postcode = values
        expected = match_keys(person(first, last, organisation, (), (), postcode))
        assert name_keys(*values) == expected, values


@pytest.mark.parametrize(
    ("text", "identifies"),
    [
        ("zoe@example.be", True),
        ("zoe@example.invalid", True),
        ("jan at example.be", True),
        ("n/a", False),
        ("geen", False),
        # Half an address says nobody's: a file of a thousand "not-an-address@" cells
        # made them all candidates of one another (issue 19's benchmark).
        ("not-an-address@", False),
        ("@example.be", False),
        (" @ ", False),
    ],
)
def test_which_e_mail_values_say_whose_they_are(text: str, identifies: bool) -> None:
    assert identifying_email(text) is identifies
