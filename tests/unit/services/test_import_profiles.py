"""Common exports imported whole through the service: Outlook with display names and two
addresses, Thunderbird's tab-separated file, LinkedIn's connections below their preamble,
Google's " ::: " cells and a Belgian Excel list with one address cell. The files and
their sources: tests/data/import/README.md."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from privacycrm_desktop.domain.import_formats import ColumnTarget, DuplicatePolicy, ImportField
from privacycrm_desktop.domain.import_profiles import ImportProfile
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.models import ContactEmail
from privacycrm_desktop.services.dto import Actor, ContactDetail
from privacycrm_desktop.services.imports import ImportPlan, ImportResult
from privacycrm_desktop.services.registry import Services

CORPUS = Path(__file__).parents[2] / "data" / "import"
SOURCE = SourceInput(
    SourceKind.THIRD_PARTY, "Address book of the former owner", dt.date(2026, 2, 1)
)


def run(svc: Services, actor: Actor, name: str, **changes: object) -> ImportResult:
    path = CORPUS / name
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
    return svc.imports.run(actor, dataclasses.replace(plan, **changes))


def by_email(svc: Services, actor: Actor, address: str) -> ContactDetail:
    with svc.uow() as uow:
        contact_id = uow.session.execute(
            select(ContactEmail.contact_id).where(ContactEmail.address == address)
        ).scalar_one()
    return svc.contacts.get(actor, contact_id)


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("outlook_en_full_header.csv", ImportProfile.OUTLOOK),
        ("google_multi_value.csv", ImportProfile.GOOGLE),
        ("thunderbird_be.tsv", ImportProfile.THUNDERBIRD),
        ("linkedin_connections.csv", ImportProfile.LINKEDIN),
        ("excel_nl_adres.csv", ImportProfile.GENERIC),
        ("apple_v30.vcf", ImportProfile.VCARD),
    ],
)
def test_the_preview_names_the_program_that_wrote_the_file(
    svc: Services, owner: Actor, name: str, profile: ImportProfile
) -> None:
    assert svc.imports.preview(owner, CORPUS / name).profile is profile


def test_outlook_with_display_names_and_two_addresses(svc: Services, owner: Actor) -> None:
    result = run(svc, owner, "outlook_en_full_header.csv")
    assert (result.imported, result.invalid_rows) == (3, 0), result.invalid
    els = by_email(svc, owner, "els@drukkerij-maes.be")
    assert [e.value for e in els.emails] == ["els@drukkerij-maes.be", "els.maes@example.be"]
    assert (els.street, els.postcode, els.city, els.country) == (
        "Industrieweg 4",
        "9300",
        "Aalst",
        "BE",
    )
    assert els.notes == "Home: Molenstraat 8, 9420 Erpe-Mere, België"
    koen = by_email(svc, owner, "koen.wouters@example.be")
    # The business street and postcode, never with the home city.
    assert (koen.street, koen.postcode, koen.city) == ("Stationsplein 1", "2800", "")
    assert koen.notes == "Home: Leuven"
    sarah = by_email(svc, owner, "sarah.lievens@example.be")
    assert (sarah.first_name, sarah.last_name) == ("Sarah", "Lievens")


def test_outlook_in_french_with_semicolons(svc: Services, owner: Actor) -> None:
    result = run(svc, owner, "outlook_fr_full_header.csv")
    assert (result.imported, result.invalid_rows) == (1, 0), result.invalid
    amelie = by_email(svc, owner, "amelie.lambert@example.be")
    assert (amelie.first_name, amelie.last_name) == ("Amélie", "Lambert")
    assert (amelie.street, amelie.postcode, amelie.city) == ("Rue Neuve 5", "1000", "Bruxelles")
    assert amelie.notes == "Domicile: Avenue Louise 200, 1050 Ixelles, Belgique"
    assert amelie.birth_date == dt.date(1985, 4, 12)


def test_thunderbird_tab_separated(svc: Services, owner: Actor) -> None:
    result = run(svc, owner, "thunderbird_be.tsv")
    assert (result.imported, result.invalid_rows) == (2, 0), result.invalid
    bart = by_email(svc, owner, "bart.janssens@example.be")
    assert bart.birth_date == dt.date(1980, 7, 21)
    assert (bart.street, bart.postcode, bart.city) == ("Ottergemsesteenweg 50", "9000", "Gent")
    assert bart.notes == "Klant sinds 2019\nHome: Veldstraat 10 bus 3, 9000 Gent, België"
    lien = by_email(svc, owner, "lien.desmet@example.be")
    assert (lien.street, lien.city) == ("Kerkplein 2", "Brugge")


def test_linkedin_connections_below_their_notes(svc: Services, owner: Actor) -> None:
    result = run(svc, owner, "linkedin_connections.csv")
    assert (result.total_rows, result.imported, result.invalid_rows) == (2, 2, 0)
    jan = by_email(svc, owner, "jan.claes@example.be")
    assert (jan.first_name, jan.last_name, jan.organisation) == ("Jan", "Claes", "Claes BV")


def test_google_multi_value_cells(svc: Services, owner: Actor) -> None:
    result = run(svc, owner, "google_multi_value.csv")
    assert (result.imported, result.invalid_rows) == (1, 0), result.invalid
    wim = by_email(svc, owner, "wim.goossens@example.be")
    assert [e.value for e in wim.emails] == ["wim@goossens.example", "wim.goossens@example.be"]
    assert [p.value for p in wim.phones] == ["+32470987654", "+3232314567"]
    assert (wim.street, wim.postcode, wim.city) == ("Meir 1", "2000", "Antwerpen")


def test_a_belgian_excel_list_with_one_address_cell(svc: Services, owner: Actor) -> None:
    result = run(svc, owner, "excel_nl_adres.csv")
    assert (result.imported, result.invalid_rows) == (4, 0), result.invalid
    jan = by_email(svc, owner, "jan.peeters@example.be")
    assert (jan.street, jan.postcode, jan.city, jan.country) == (
        "Kerkstraat 1",
        "9000",
        "Gent",
        "BE",
    )
    marc = by_email(svc, owner, "marc.dubois@example.be")
    assert (marc.street, marc.postcode, marc.city) == ("Rue Neuve 5", "1000", "Bruxelles")
    an = by_email(svc, owner, "an.claes@example.be")
    assert (an.street, an.postcode, an.city) == ("Kerkstraat 1 bus 2", "9000", "Gent")
    tom = by_email(svc, owner, "tom.wouters@example.be")
    assert (tom.street, tom.postcode, tom.city) == ("Ergens in de Kempen", "", "")


def test_the_person_may_map_an_address_cell_as_a_street(svc: Services, owner: Actor) -> None:
    preview = svc.imports.preview(owner, CORPUS / "excel_nl_adres.csv")
    mapping = tuple(
        ColumnTarget(ImportField.STREET) if h == "Adres" else t
        for h, t in zip(preview.headers, preview.mapping, strict=True)
    )
    result = run(svc, owner, "excel_nl_adres.csv", mapping=mapping)
    assert result.imported == 4
    jan = by_email(svc, owner, "jan.peeters@example.be")
    assert (jan.street, jan.postcode) == ("Kerkstraat 1, 9000 Gent", "")
