"""The access report reads as a careful clerk writes it: counts in words, each source said
once, numbers formatted, an organisation addressed by name, French spacing, no disclaimer
of ours, and no heading left alone at the bottom of a page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re

import pytest
from pypdf import PdfReader

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.i18n import LANGUAGES, tr_in
from privacycrm_desktop.reports import access_report as report
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

from .access_fixture import CARD, PHONE, make_contact
from .test_access_report import pdf_text


def raw_pages(pdf: bytes) -> list[str]:
    """Each page's text as extracted, spaces (plain or not) kept as they are."""
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_recipient_is_said_in_words_not_as_zero(
    svc: Services, owner: Actor, language: str
) -> None:
    cid = svc.contacts.create(owner, ContactInput(first_name="Ann", last_name="Peeters"), CARD)
    text = pdf_text(svc.access_reports.produce(owner, cid, language).pdf)
    assert tr_in(language, "We have not passed your data to anyone.") in text
    assert not re.search(r"\b0 (recipients|ontvangers|destinataires)\b", text)
    assert "1 purposes" not in text


def test_each_source_is_named_once_not_on_every_row(svc: Services, owner: Actor) -> None:
    cid = make_contact(svc, owner)
    text = pdf_text(svc.access_reports.produce(owner, cid, "en").pdf)
    # Eleven values came from the business card: its description is printed once.
    assert text.count(CARD.description) == 1
    assert "From: Business card: Salon Batibouw; held since 20 February 2026" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_description_that_repeats_the_kind_is_not_printed_twice(
    svc: Services, owner: Actor, language: str
) -> None:
    kind = tr_in(language, "Business card")
    for description in ("Business card", kind.upper()):
        cid = svc.contacts.create(
            owner,
            ContactInput(first_name="Ann", last_name="Maes"),
            SourceInput(SourceKind.BUSINESS_CARD, description, dt.date(2026, 1, 5)),
        )
        text = pdf_text(svc.access_reports.produce(owner, cid, language).pdf)
        assert kind in text
        assert not re.search(rf"{kind}\s?: {kind}", text, re.IGNORECASE), text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_enterprise_and_phone_numbers_are_written_as_people_write_them(
    svc: Services, owner: Actor, language: str
) -> None:
    cid = make_contact(svc, owner)
    produced = svc.access_reports.produce(owner, cid, language)
    text = pdf_text(produced.pdf)
    assert "BE 0403.170.701" in text
    assert "BE0403170701" not in text
    assert "0470 12 34 56" in text  # national: the office is Belgian
    assert PHONE not in text
    # The machine-readable copy keeps the stored, international form.
    assert PHONE in {d["value"] for d in json.loads(produced.json)["data"]}


def test_a_foreign_number_is_international(svc: Services, owner: Actor) -> None:
    cid = svc.contacts.create(owner, ContactInput(first_name="Jan", phones=("+31201234567",)), CARD)
    text = pdf_text(svc.access_reports.produce(owner, cid, "nl").pdf)
    assert "+31 20 123 4567" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_organisation_is_addressed_by_its_name(
    svc: Services, owner: Actor, language: str
) -> None:
    cid = svc.contacts.create(
        owner,
        ContactInput(organisation="Brouwerij De Klok", kind="organisation_address"),
        CARD,
    )
    text = pdf_text(svc.access_reports.produce(owner, cid, language).pdf)
    intro = tr_in(language, "Access report for {name}, drawn up on {date}. Reference: {reference}.")
    assert intro.split("{name}")[0] + "Brouwerij De Klok" in text
    assert f"#{cid}" not in text


def test_french_spaces_its_colons_and_never_starts_a_line_with_one(
    svc: Services, owner: Actor
) -> None:
    cid = make_contact(svc, owner)
    whole = "\n".join(raw_pages(svc.access_reports.produce(owner, cid, "fr").pdf))
    # The rights are "Name : explanation", the enterprise number "Numéro d'entreprise : ...".
    for label in ("Rectification", "Effacement", "Plainte", "Numéro d'entreprise"):
        assert re.search(rf"{label}\s:", whole), label
    # No colon, semicolon, question or exclamation mark glued to the word before it...
    glued = re.findall(r".{0,20}[^\W\d_][:;?!](?:\s|$)", whole)
    assert not glued, glued
    # ...nor left at the start of a line: the space before it does not break.
    assert not re.search(r"^\s*[:;?!]", whole, re.MULTILINE)


def test_french_typography_uses_non_breaking_spaces() -> None:
    assert typography_of("fr", "Numéro : {number}") == "Numéro\u00a0: {number}"
    assert typography_of("fr", "Rectification: si") == "Rectification\u00a0: si"
    assert typography_of("fr", "Vraiment? « Salon »") == "Vraiment\u00a0? «\u00a0Salon\u00a0»"
    # Times, addresses and placeholders keep their colons; other languages are untouched.
    assert typography_of("fr", "à 10:30, https://acme.be {x}") == "à 10:30, https://acme.be {x}"
    assert typography_of("nl", "Nummer: 1") == "Nummer: 1"


@pytest.mark.parametrize("language", LANGUAGES)
def test_what_the_person_receives_has_no_disclaimer(
    svc: Services, owner: Actor, language: str
) -> None:
    cid = make_contact(svc, owner)
    for pdf in (
        svc.access_reports.produce(owner, cid, language).pdf,
        svc.reports.short_notice(owner, language),
    ):
        text = pdf_text(pdf).lower()
        for words in ("legal advice", "juridisch advies", "avis juridique", "conseil juridique"):
            assert words not in text


HEADINGS = (
    "Who we are",
    "In short",
    "Your data and where it came from",
    "Why we keep it",
    "Your consent and objections",
    "Who received your data",
    "Data we did not receive from you",
    "Your rights",
)


def _data(consents: int) -> report.AccessReportData:
    source = report.ReportSource("Business card", "Salon Batibouw", dt.date(2026, 2, 20), True)
    datum = report.ReportDatum("First name", "Zoë", source, dt.date(2026, 2, 20))
    consent = report.ReportConsent(
        dt.date(2026, 3, 1), "Direct marketing with consent", "E-mail", "Opt-in", "E-mail reply"
    )
    return report.AccessReportData(
        controller="Acme BV",
        address="Kerkstraat 1, 9000 Gent",
        vat_number="BE0403170701",
        privacy_email="privacy@acme.be",
        authority="Data Protection Authority",
        subject="Zoë Peeters",
        reference="A-20260302-1",
        generated_on=dt.date(2026, 3, 2),
        data=(datum,) * 6,
        purposes=(),
        keep_until=None,
        consents=(consent,) * consents,
        recipients=(),
        other_sources=(),
    )


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_heading_is_left_alone_at_the_bottom_of_a_page(language: str) -> None:
    """However long the consent history, every page ends with text, never a heading: the
    history grows a row at a time until the headings after it have passed every spot."""
    headings = {typography_of(language, tr_in(language, h)) for h in HEADINGS}
    page_of = re.escape(tr_in(language, "Page {page} of {pages}"))
    footer = re.compile(page_of.replace(r"\{page\}", r"\d+").replace(r"\{pages\}", r"\d+"))
    seen_pages = 0
    for consents in range(20, 75):
        pages = raw_pages(report.render(_data(consents), language))
        seen_pages = max(seen_pages, len(pages))
        for number, page in enumerate(pages[:-1], start=1):
            lines = [line.strip() for line in page.splitlines() if line.strip()]
            body = [ln for ln in lines if "A-20260302-1" not in ln and not footer.fullmatch(ln)]
            assert body[-1] not in headings, (consents, number, body[-3:])
    assert seen_pages >= 2


def typography_of(language: str, value: str) -> str:
    from privacycrm_desktop.reports.styles import typography

    return typography(language, value)


def test_the_counts_are_said_for_one_and_for_several() -> None:
    data = _data(0)
    one = dataclasses.replace(
        data,
        data=data.data[:1],
        purposes=(report.ReportPurpose("Invoicing", "", "Legal obligation", "x", {}),),
        recipients=(report.ReportRecipient("Boekhouder", "", "", "", dt.date(2026, 1, 1)),),
    )
    text = " ".join(report._count_sentences("en", one))
    assert text == (
        "We hold one item of personal data about you. We use it for one purpose. "
        "We passed your data to one recipient."
    )
    # Three disclosures to one accountant: one recipient (the table lists the three).
    again = dataclasses.replace(
        one,
        recipients=tuple(
            report.ReportRecipient(name, "", "", "", dt.date(2026, 1, day))
            for day, name in ((1, "Boekhouder BV"), (2, "boekhouder bv "), (3, "Boekhouder BV"))
        ),
    )
    assert "We passed your data to one recipient." in report._count_sentences("en", again)
    two = dataclasses.replace(
        again,
        recipients=(
            *again.recipients,
            report.ReportRecipient("Drukkerij", "", "", "", dt.date(2026, 2, 1)),
        ),
    )
    assert "We passed your data to 2 recipients." in report._count_sentences("en", two)
    text = " ".join(report._count_sentences("nl", data))
    assert "Wij bewaren 6 persoonsgegevens over u." in text
    assert "Wij hebben uw gegevens aan niemand doorgegeven." in text


@pytest.mark.parametrize(
    ("description", "shown"),
    [
        ("Salon Batibouw", "Business card: Salon Batibouw"),
        ("Business card", "Business card"),
        ("visitekaartje", "Business card"),
        ("Business card, Horeca fair Gent", "Business card: Horeca fair Gent"),
        ("Visitekaartje: beurs", "Business card: beurs"),
        ("Business cards of 2024", "Business card: Business cards of 2024"),
        ("Business card from the fair", "Business card: Business card from the fair"),
        ("Business card - fair", "Business card: fair"),
    ],
)
def test_a_source_is_named_without_repeating_its_kind(description: str, shown: str) -> None:
    source = report.ReportSource("Business card", description, dt.date(2026, 1, 5), True)
    assert report.source_text("en", source) == shown
