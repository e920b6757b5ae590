"""Exports other programs read, and their round trip: every CSV profile (ours, Outlook,
Google, Belgian Excel in Dutch and French) and vCard 3.0 and 4.0, exported then imported
into the same database (nothing duplicated, also contacts with no e-mail, phone or
postcode) and into a fresh one (every exported value back); the files read by independent
parsers (the csv module, vobject)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
import vobject
from sqlalchemy import func, select

from helpers.databases import fresh_services
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind, Language
from privacycrm_desktop.domain.export_csv import DELIMITERS, CsvProfile
from privacycrm_desktop.domain.export_formats import EXPORT_FIELDS, ExportFormat
from privacycrm_desktop.domain.export_vcard import VcardVersion
from privacycrm_desktop.domain.import_formats import DuplicatePolicy, SkipReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.models import Contact
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor, ContactDetail
from privacycrm_desktop.services.exports import ExportRequest
from privacycrm_desktop.services.imports import ImportPlan, ImportResult
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 1))
FILE = SourceInput(SourceKind.IMPORT_FILE, "Our own export", dt.date(2026, 3, 1))

PEOPLE = (
    ContactInput(
        first_name="Zoë",
        last_name="Lefèvre",
        organisation="Boulangerie Ŝ & Fils; Liège",
        emails=("zoe@example.be", "zoe@example.fr"),
        phones=("+32470123456", "+3225551234"),
        street="Rue de l'Église 5",
        postcode="4000",
        city="Liège",
        language=Language.FR,
        birth_date=dt.date(1931, 7, 13),
        notes='First line, with a comma;\nsecond "line"',
    ),
    # Nothing but a name and a city: found again by the name, the city agreeing.
    ContactInput(first_name="Jan", last_name="Peeters", city="Gent"),
    # A birthday without its year (stored with the year 1604, as address books write it).
    ContactInput(first_name="Els", last_name="Wouters", birth_date=dt.date(1604, 5, 17)),
    # A name and an organisation.
    ContactInput(first_name="Lotte", last_name="Maes", organisation="Bakkerij Maes"),
    # A name at a switchboard (a landline).
    ContactInput(first_name="Piet", last_name="Claes", phones=("+3292254567",)),
    ContactInput(
        kind=ContactKind.ORGANISATION_ADDRESS,
        organisation="Brouwerij De Halve Maan",
        emails=("info@halvemaan.be",),
    ),
    ContactInput(
        first_name="Anke",
        last_name="de Vries",
        emails=("anke@example.nl", "a.devries@example.nl", "anke@example.org", "av@example.com"),
        phones=("+31612345678", "+31201234567", "+32475123456"),
        country="NL",
        language=Language.EN,
        notes='=HYPERLINK("http://evil")',
    ),
    ContactInput(first_name="=cmd", last_name="@Sum", organisation="-1+1", city="+Gent"),
)
#: Notes with special-category data, saved with the user's confirmation (rule 10).
SPECIAL = ContactInput(
    first_name="Mia", last_name="Goossens", notes="Diabetes type 2\nCall mornings"
)
#: Contacts an import brought with values kept as typed (the editor refuses such values):
#: found again by them, or by the name when they identify nobody ("BusinessPhone", 555).
KEPT_AS_TYPED = (
    "First name,Last name,E-mail,Phone\n"
    "Jos,Kept,jos at example.be,BusinessPhone\n"
    ",,piet(at)example.be,\n"
    "Tom,Test,,(905) 555-1234\n"
    "Ann,Demo,ann@example.invalid,\n"
)
#: PEOPLE, SPECIAL and the contacts of KEPT_AS_TYPED.
TOTAL = len(PEOPLE) + 1 + KEPT_AS_TYPED.count("\n") - 1
VARIANTS = [(ExportFormat.CSV, p) for p in CsvProfile] + [
    (ExportFormat.VCARD, v) for v in VcardVersion
]


def variant_id(value: object) -> str:
    return str(getattr(value, "value", value))


@pytest.fixture
def people(svc: Services, owner: Actor) -> list[int]:
    return [svc.contacts.create(owner, data, CARD) for data in PEOPLE]


@pytest.fixture
def everyone(svc: Services, owner: Actor, people: list[int], tmp_path: Path) -> int:
    """PEOPLE, a contact with confirmed special-category notes, and contacts an import
    brought with values kept as typed: TOTAL contacts."""
    svc.contacts.create(owner, SPECIAL, CARD, special_confirmed=True)
    kept = tmp_path / "kept.csv"
    kept.write_text(KEPT_AS_TYPED, encoding="utf-8")
    result = import_file(svc, owner, kept, DuplicatePolicy.SKIP)
    assert (result.imported, len(result.to_check)) == (TOTAL - len(PEOPLE) - 1, 5), result
    assert count(svc) == TOTAL
    return TOTAL


def export(
    svc: Services,
    owner: Actor,
    fmt: ExportFormat,
    variant: CsvProfile | VcardVersion,
    out: Path,
    expected: int = len(PEOPLE),
) -> Path:
    request = ExportRequest(
        fmt,
        "customer_relationship",
        "Ourselves",
        None,
        None,
        csv_profile=variant if isinstance(variant, CsvProfile) else CsvProfile.PRIVACYCRM,
        vcard_version=variant if isinstance(variant, VcardVersion) else VcardVersion.V4,
    )
    result = svc.exports.export(owner, request, out)
    assert result.count == expected
    assert result.variant == variant_id(variant)
    return out


def import_file(
    svc: Services, owner: Actor, path: Path, policy: DuplicatePolicy, confirm: bool = True
) -> ImportResult:
    preview = svc.imports.preview(owner, path)
    plan = ImportPlan(
        path,
        preview.shape,
        preview.mapping,  # the importer's own guess: nothing mapped by hand
        FILE,
        "customer_relationship",
        "contract",
        policy,
        # One's own export: its special-category notes were confirmed once already.
        confirm_special=confirm,
    )
    return svc.imports.run(owner, plan)


def count(svc: Services) -> int:
    with svc.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(Contact)).scalar_one())


def values(detail: ContactDetail, ordered_phones: bool = True) -> dict[str, object]:
    found: dict[str, object] = {"kind": detail.kind}
    for field in EXPORT_FIELDS:
        if field == "company_links":
            # The current place, as a file carries it (the link's own ids differ).
            found[field] = tuple(
                (x.company_name, x.function, x.department) for x in detail.companies if x.current
            )[:1]
            continue
        value = getattr(detail, field)
        if field in ("emails", "phones"):
            value = tuple(v.value for v in value)
            if field == "phones" and not ordered_phones:
                value = tuple(sorted(value))
        found[field] = value
    return found


def all_values(svc: Services, owner: Actor, ordered_phones: bool = True) -> list[dict[str, object]]:
    with svc.uow() as uow:
        ids = list(uow.session.execute(select(Contact.id).order_by(Contact.id)).scalars())
    found = [values(svc.contacts.get(owner, cid), ordered_phones) for cid in ids]
    return sorted(found, key=repr)


@pytest.mark.parametrize(("fmt", "variant"), VARIANTS, ids=variant_id)
def test_our_own_export_imports_into_the_same_database_without_a_duplicate(
    svc: Services,
    owner: Actor,
    everyone: int,
    tmp_path: Path,
    fmt: ExportFormat,
    variant: CsvProfile | VcardVersion,
) -> None:
    before = all_values(svc, owner)
    path = export(svc, owner, fmt, variant, tmp_path / f"all.{fmt.value}", TOTAL)
    skipped = import_file(svc, owner, path, DuplicatePolicy.SKIP)
    assert (skipped.imported, skipped.invalid) == (0, ()), skipped
    assert skipped.skipped == {SkipReason.DUPLICATE: TOTAL}
    merged = import_file(svc, owner, path, DuplicatePolicy.MERGE)
    assert (merged.imported, merged.merged, merged.conflicts) == (0, TOTAL, 0)
    assert count(svc) == TOTAL
    assert all_values(svc, owner) == before


@pytest.mark.parametrize(("fmt", "variant"), VARIANTS, ids=variant_id)
def test_an_export_imported_into_a_fresh_database_loses_nothing(
    svc: Services,
    owner: Actor,
    everyone: int,
    tmp_path: Path,
    sqlite_template: Path,
    backend: str,
    fmt: ExportFormat,
    variant: CsvProfile | VcardVersion,
) -> None:
    path = export(svc, owner, fmt, variant, tmp_path / f"all.{fmt.value}", TOTAL)
    # Outlook has a column per kind of number: a mobile comes back in another place.
    ordered = variant is not CsvProfile.OUTLOOK
    with fresh_services(
        sqlite_template, tmp_path, FixedClock(dt.datetime(2026, 3, 2, 10)), backend
    ) as (
        fresh,
        fresh_owner,
    ):
        result = import_file(fresh, fresh_owner, path, DuplicatePolicy.SKIP)
        assert (result.imported, result.invalid, result.skipped) == (TOTAL, (), {})
        assert all_values(fresh, fresh_owner, ordered) == all_values(svc, owner, ordered)
        # Imported again into the fresh database: found by what identifies each person
        # (the UIDs name the other database's contacts).
        again = import_file(fresh, fresh_owner, path, DuplicatePolicy.SKIP)
        assert (again.imported, again.skipped) == (0, {SkipReason.DUPLICATE: TOTAL})


def test_a_card_changed_since_our_export_is_found_by_its_uid(
    svc: Services, owner: Actor, people: list[int], tmp_path: Path
) -> None:
    path = export(svc, owner, ExportFormat.VCARD, VcardVersion.V4, tmp_path / "all.vcf")
    # Jan moved while the file was away: his name alone (the city differs) would not do.
    text = path.read_bytes().decode("utf-8").replace(";Gent;", ";Brugge;")
    assert "Brugge" in text
    path.write_bytes(text.encode("utf-8"))
    result = import_file(svc, owner, path, DuplicatePolicy.SKIP)
    assert result.skipped == {SkipReason.DUPLICATE: len(PEOPLE)}
    # Without its UID, it is somebody else (another Jan Peeters in Brugge).
    lines = [line for line in text.split("\r\n") if not line.startswith("UID:")]
    path.write_bytes("\r\n".join(lines).encode("utf-8"))
    result = import_file(svc, owner, path, DuplicatePolicy.SKIP)
    assert (result.imported, result.skipped) == (1, {SkipReason.DUPLICATE: len(PEOPLE) - 1})


# -- the files, read by independent parsers ---------------------------------------------------


def read_csv(path: Path, profile: CsvProfile) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=DELIMITERS[profile]))


def test_each_csv_profile_has_its_programs_columns(
    svc: Services, owner: Actor, people: list[int], tmp_path: Path
) -> None:
    files = {
        p: export(svc, owner, ExportFormat.CSV, p, tmp_path / f"{p.value}.csv") for p in CsvProfile
    }
    own = read_csv(files[CsvProfile.PRIVACYCRM], CsvProfile.PRIVACYCRM)
    assert own[0]["UID"].startswith("urn:uuid:")
    assert own[0]["Phone"] == "+32470123456"

    (zoe, *_rest, anke, evil) = read_csv(files[CsvProfile.OUTLOOK], CsvProfile.OUTLOOK)
    assert (zoe["First Name"], zoe["Last Name"], zoe["Company"]) == (
        "Zoë",
        "Lefèvre",
        "Boulangerie Ŝ & Fils; Liège",
    )
    assert (zoe["E-mail Address"], zoe["E-mail 2 Address"]) == ("zoe@example.be", "zoe@example.fr")
    # The mobile in "Mobile Phone", the landline in "Business Phone"; no quote before them.
    assert (zoe["Mobile Phone"], zoe["Business Phone"]) == ("+32 470 12 34 56", "+32 2 555 12 34")
    assert (zoe["Business City"], zoe["Business Postal Code"]) == ("Liège", "4000")
    assert zoe["Business Country/Region"] == "Belgium"
    assert (zoe["Birthday"], zoe["Language"]) == ("1931-07-13", "French")
    assert anke["E-mail 4 Address"] == "av@example.com"
    assert anke["Business Country/Region"] == "Netherlands"
    assert anke["Notes"] == '\'=HYPERLINK("http://evil")'
    assert (evil["First Name"], evil["Last Name"], evil["Company"], evil["Business City"]) == (
        "'=cmd",
        "'@Sum",
        "'-1+1",
        "'+Gent",
    )

    (zoe, *_rest) = read_csv(files[CsvProfile.GOOGLE], CsvProfile.GOOGLE)
    assert (zoe["First Name"], zoe["Organization Name"]) == ("Zoë", "Boulangerie Ŝ & Fils; Liège")
    assert (zoe["E-mail 1 - Value"], zoe["E-mail 2 - Value"]) == (
        "zoe@example.be",
        "zoe@example.fr",
    )
    assert (zoe["Phone 1 - Label"], zoe["Phone 1 - Value"]) == ("Mobile", "+32 470 12 34 56")
    assert (zoe["Phone 2 - Label"], zoe["Phone 2 - Value"]) == ("Work", "+32 2 555 12 34")
    assert (zoe["Address 1 - Street"], zoe["Address 1 - Postal Code"]) == (
        "Rue de l'Église 5",
        "4000",
    )

    raw = files[CsvProfile.EXCEL_NL].read_bytes().decode("utf-8-sig")
    assert raw.startswith("Voornaam;Achternaam;Organisatie;E-mail;E-mail 2;E-mail 3;E-mail 4;")
    (zoe, *_rest, anke, _evil) = read_csv(files[CsvProfile.EXCEL_NL], CsvProfile.EXCEL_NL)
    # As a Belgian dials: text to a spreadsheet, never a formula.
    assert (zoe["Telefoon"], zoe["Telefoon 2"]) == ("0470 12 34 56", "02 555 12 34")
    assert anke["Telefoon"] == "00 31 6 12345678"
    assert (zoe["Land"], zoe["Taal"], zoe["Geboortedatum"]) == ("België", "Frans", "13/07/1931")
    assert (anke["Land"], anke["Taal"]) == ("Nederland", "Engels")
    (zoe, *_rest) = read_csv(files[CsvProfile.EXCEL_FR], CsvProfile.EXCEL_FR)
    assert (zoe["Prénom"], zoe["Nom"], zoe["Société"], zoe["Localité"]) == (
        "Zoë",
        "Lefèvre",
        "Boulangerie Ŝ & Fils; Liège",
        "Liège",
    )
    assert (zoe["Pays"], zoe["Langue"], zoe["Téléphone"]) == (
        "Belgique",
        "français",
        "0470 12 34 56",
    )
    for profile, path in files.items():
        text = path.read_bytes().decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITERS[profile]):
            for cell in row:
                # No cell a spreadsheet would run: a formula start is quoted, except a
                # number of "+", digits and spaces and a birthday without its year
                # (--MM-DD): nothing in either can call anything.
                assert not cell.startswith(("=", "@", "\t", "\r")), (path.name, cell)
                if cell.startswith("-"):
                    assert re.fullmatch(r"--\d{2}-\d{2}", cell), (path.name, cell)
                if cell.startswith("+"):
                    assert cell[1:].replace(" ", "").isdigit(), (path.name, cell)


@pytest.mark.parametrize("version", list(VcardVersion), ids=variant_id)
def test_vobject_reads_every_card_with_its_values(
    svc: Services, owner: Actor, people: list[int], tmp_path: Path, version: VcardVersion
) -> None:
    path = export(svc, owner, ExportFormat.VCARD, version, tmp_path / "all.vcf")
    text = path.read_bytes().decode("utf-8")  # CRLF kept
    cards = list(vobject.readComponents(text))
    assert len(cards) == len(PEOPLE)
    assert all(c.version.value == version.value for c in cards)
    uids = [c.uid.value for c in cards]
    assert len(set(uids)) == len(PEOPLE)
    assert all(u.startswith("urn:uuid:") for u in uids)
    zoe, jan, els, lotte, piet, brewery, anke, _evil = cards
    # A birthday without its year, as each version writes one.
    if version is VcardVersion.V4:
        assert els.bday.value == "--0517"
    else:
        assert (els.bday.value, els.bday.params["X-APPLE-OMIT-YEAR"]) == ("1604-05-17", ["1604"])
    assert (zoe.n.value.given, zoe.n.value.family) == ("Zoë", "Lefèvre")
    assert zoe.org.value == ["Boulangerie Ŝ & Fils; Liège"]
    assert [e.value for e in zoe.email_list] == ["zoe@example.be", "zoe@example.fr"]
    tels = [t.value for t in zoe.tel_list]
    if version is VcardVersion.V4:
        assert tels == ["tel:+32470123456", "tel:+3225551234"]
        assert zoe.bday.value == "19310713"
    else:
        assert tels == ["+32 470 12 34 56", "+32 2 555 12 34"]
        assert zoe.bday.value == "1931-07-13"
        assert [t.params["TYPE"] for t in zoe.tel_list] == [["CELL", "PREF"], ["VOICE"]]
    address = zoe.adr.value
    assert (address.street, address.code, address.city, address.country) == (
        "Rue de l'Église 5",
        "4000",
        "Liège",
        "Belgique",
    )
    assert zoe.note.value == PEOPLE[0].notes
    # No empty property: no address made of the default country alone.
    for card in (jan, lotte, piet, brewery):
        assert "adr" not in card.contents or card.adr.value.city
    assert "adr" not in lotte.contents
    assert anke.adr.value.country == "Netherlands"
    assert brewery.fn.value == "Brouwerij De Halve Maan"
    lines = text.replace("\r\n ", "").split("\r\n")
    assert len(lines) > 6 * len(PEOPLE)
    for line in lines:
        if line and line != "N:;;;;":  # vCard 3.0 requires N, an organisation's is empty
            _name, _sep, value = line.partition(":")
            assert value.strip(";"), line


def test_csv_and_vcard_of_one_contact_have_the_same_uid(
    svc: Services, owner: Actor, people: list[int], tmp_path: Path
) -> None:
    own = read_csv(
        export(svc, owner, ExportFormat.CSV, CsvProfile.PRIVACYCRM, tmp_path / "a.csv"),
        CsvProfile.PRIVACYCRM,
    )
    cards = list(
        vobject.readComponents(
            export(svc, owner, ExportFormat.VCARD, VcardVersion.V4, tmp_path / "a.vcf").read_text(
                encoding="utf-8"
            )
        )
    )
    assert [r["UID"] for r in own] == [c.uid.value for c in cards]


@pytest.mark.parametrize(
    ("profile", "cell"),
    [
        (CsvProfile.OUTLOOK, "--05-17"),
        (CsvProfile.GOOGLE, "--05-17"),
        (CsvProfile.EXCEL_NL, "17/05"),
    ],
    ids=variant_id,
)
def test_a_birthday_without_its_year_is_written_as_the_program_reads_one(
    svc: Services, owner: Actor, people: list[int], tmp_path: Path, profile: CsvProfile, cell: str
) -> None:
    path = export(svc, owner, ExportFormat.CSV, profile, tmp_path / "all.csv")
    delimiter = ";" if profile is CsvProfile.EXCEL_NL else ","
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig")), delimiter=delimiter))
    els = next(row for row in rows if "Els" in row)
    # Not behind the quote that keeps a formula from running: nothing in it can run.
    assert cell in els
    assert "1604" not in ",".join(els)


@pytest.mark.parametrize("version", list(VcardVersion), ids=variant_id)
def test_a_card_without_a_name_is_shown_by_its_address_or_number_and_comes_back_nameless(
    svc: Services,
    owner: Actor,
    tmp_path: Path,
    version: VcardVersion,
    sqlite_template: Path,
    backend: str,
) -> None:
    only_mail = ContactInput(emails=("zoe@example.be",))
    only_phone = ContactInput(phones=("+32475123456",))
    for data in (only_mail, only_phone):
        svc.contacts.create(owner, data, CARD)
    path = export(svc, owner, ExportFormat.VCARD, version, tmp_path / "nameless.vcf", 2)
    cards = list(vobject.readComponents(path.read_text("utf-8")))
    assert sorted(c.fn.value for c in cards) == ["+32475123456", "zoe@example.be"]
    with fresh_services(
        sqlite_template, tmp_path, FixedClock(dt.datetime(2026, 3, 2, 10)), backend
    ) as (fresh, fresh_owner):
        result = import_file(fresh, fresh_owner, path, DuplicatePolicy.SKIP)
        assert (result.imported, result.invalid) == (2, ())
        assert all_values(fresh, fresh_owner) == all_values(svc, owner)
