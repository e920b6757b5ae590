"""The access report: complete, literal, embedded fonts, reproducible, guarded.

Set PRIVACYCRM_REPORT_DIR to keep the PDFs and look at them (pdftoppm -png -r 60 ...).
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.errors import PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.i18n import describe_error
from privacycrm_desktop.persistence.models import AuditEvent
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.exports import ExportNotWritten
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import RequestInput

from .access_fixture import (
    BOUGHT,
    CARD,
    EMAIL,
    ORGANISATION,
    PHONE,
    RECIPIENTS,
    VALUES,
    make_contact,
)

needs_poppler = pytest.mark.skipif(shutil.which("pdffonts") is None, reason="no poppler-utils")

RIGHTS = {
    "nl": ("Rectificatie", "Wissing", "Bezwaar", "Beperking", "Overdraagbaarheid", "Klacht"),
    "fr": ("Rectification", "Effacement", "Opposition", "Limitation", "Portabilité", "Plainte"),
    "en": ("Rectification", "Erasure", "Objection", "Restriction", "Portability", "Complaint"),
}
AUTHORITY = {
    "nl": "Gegevensbeschermingsautoriteit",
    "fr": "Autorité de protection des données",
    "en": "Data Protection Authority",
}


def pdf_text(pdf: bytes, name: str = "report") -> str:
    keep = os.environ.get("PRIVACYCRM_REPORT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / f"{name}.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def fonts(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True)
    return [line.split() for line in out.stdout.splitlines()[2:] if line.strip()]


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_report_holds_every_datum_source_recipient_and_right(
    svc: Services, owner: Actor, language: str
) -> None:
    cid = make_contact(svc, owner)
    report = svc.access_reports.produce(owner, cid, language)
    assert report.language == language
    text = pdf_text(report.pdf, f"access-{language}")
    # The number as people write it at a Belgian office; the JSON keeps the stored form.
    for value in (*VALUES.values(), ORGANISATION, EMAIL, "0470 12 34 56", "1984"):
        if value != VALUES["organisation"]:
            assert value in text, value
    for source in (CARD.description, BOUGHT.description):
        assert source in text
    for recipient in RECIPIENTS:
        assert recipient in text
    for right in RIGHTS[language]:
        assert right in text, right
    assert AUTHORITY[language] in text
    assert "Acme BV" in text
    assert "Kerkstraat 1, 9000 Gent" in text
    assert {"nl": "Pagina 1 van", "fr": "Page 1 sur", "en": "Page 1 of"}[language] in text
    assert report.reference in text
    document = json.loads(report.json)
    assert {d["value"] for d in document["data"]} >= {EMAIL, PHONE, ORGANISATION}
    assert {r["name"] for r in document["recipients"]} == set(RECIPIENTS)
    assert document["consent_history"][0]["purpose"] == "direct_marketing_consent"


def test_the_default_language_is_the_contacts(svc: Services, owner: Actor) -> None:
    cid = make_contact(svc, owner, language="fr")
    report = svc.access_reports.produce(owner, cid)
    assert report.language == "fr"
    assert "Vos droits" in pdf_text(report.pdf)
    with pytest.raises(ValidationFailed):
        svc.access_reports.produce(owner, cid, "de")


@needs_poppler
def test_reports_are_byte_identical_and_fonts_embedded(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    cid = make_contact(svc, owner)
    rid = svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,)))
    first = svc.access_reports.save(owner, cid, tmp_path / "1.pdf", language="nl", request_id=rid)
    second = svc.access_reports.produce(owner, cid, "nl", request_id=rid)
    assert first.pdf == second.pdf
    assert first.json == second.json
    assert first.reference == f"R-2026-{rid:04d}"
    rows = fonts(first.pdf, tmp_path)
    assert rows
    for row in rows:
        assert "DejaVuSans" in row[0]
        assert row[-5] == "yes", row  # emb
    # Giving it (saved) is on record, without any value; making it in memory is not.
    assert given(svc) == [f"language=nl;request={rid}"]


def given(svc: Services) -> list[str]:
    """The details of the "access report made" events."""
    with svc.uow() as uow:
        return list(
            uow.session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == "report.access")
            )
        )


@pytest.mark.parametrize("fault", ["folder", "full", "copy"])
def test_a_report_that_could_not_be_written_is_not_on_record_as_given(
    svc: Services, owner: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    cid = make_contact(svc, owner)
    folder = tmp_path / "reports"
    folder.mkdir()
    out, copy = folder / "r.pdf", folder / "r.json"
    if fault == "folder":
        out = folder / "no such folder" / "r.pdf"
    elif fault == "copy":  # the PDF written, its copy not: no report given, no PDF left
        copy = folder / "no such folder" / "r.json"
    else:

        def full(_fd: int) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ExportNotWritten) as refused:
        svc.access_reports.save(owner, cid, out, json_out=copy, language="en")
    if fault == "full":
        assert describe_error(refused.value).startswith("The disk is full")
    assert list(folder.iterdir()) == []
    assert given(svc) == []
    monkeypatch.undo()
    svc.access_reports.save(owner, cid, folder / "r.pdf", json_out=folder / "r.json")
    assert sorted(p.name for p in folder.iterdir()) == ["r.json", "r.pdf"]
    assert given(svc) == ["language=nl;request=-"]


HOSTILE = {
    "first_name": "<font color=red>Rood</font>",
    "last_name": "Smith & <Wesson",
    "organisation": "O" * 150,
    "city": "שלום תל אביב",
    "street": "Straat 😀 🎉 1",
    "notes": ("A" * 300 + " " + "<para>&amp; <b>not bold</b> ]]> &#0; " * 130)[:5000],
}


@needs_poppler
def test_hostile_values_print_literally(svc: Services, owner: Actor, tmp_path: Path) -> None:
    cid = make_contact(svc, owner, **HOSTILE)
    report = svc.access_reports.produce(owner, cid, "en")
    text = pdf_text(report.pdf, "access-hostile")
    assert "<font color=red>Rood</font>" in text
    assert "Smith & <Wesson" in text
    assert "<para>&amp; <b>not bold</b> ]]>" in text
    # The 300-character word is split over lines but every letter is there.
    assert text.replace(" ", "").count("A" * 300) >= 1
    assert "Straat" in text
    assert any(word in text for word in ("שלום", "םולש"))
    assert len(PdfReader(io.BytesIO(report.pdf)).pages) >= 2
    for row in fonts(report.pdf, tmp_path):
        assert row[-5] == "yes", row


@pytest.mark.parametrize("role", [Role.SALES, Role.OFFICE, Role.READ_ONLY])
def test_only_owner_and_privacy_officer_produce_it(svc: Services, owner: Actor, role: Role) -> None:
    cid = make_contact(svc, owner)
    svc.auth.add_user(owner, "someone", "some password 1", role)
    actor = svc.auth.login("someone", "some password 1")
    with pytest.raises(PermissionDenied):
        svc.access_reports.produce(actor, cid)
    with pytest.raises(PermissionDenied):
        svc.access_reports.where_from(actor, cid)


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_where_did_you_get_my_data(svc: Services, owner: Actor, language: str) -> None:
    cid = make_contact(svc, owner, language=language)
    text = svc.access_reports.where_from(owner, cid)
    assert CARD.description in text
    assert BOUGHT.description in text
    assert "Acme BV" in text
    assert {"nl": "Visitekaartje", "fr": "Carte de visite", "en": "Business card"}[language] in text
    # The fields are named in the person's language too.
    assert {"nl": "Achternaam", "fr": "Nom", "en": "Last name"}[language] in text
    if language != "en":
        assert "Last name" not in text


def test_a_long_word_in_a_table_cell_is_cut_not_lost(svc: Services, owner: Actor) -> None:
    from privacycrm_desktop.domain.contacts import ContactInput
    from privacycrm_desktop.domain.provenance import SourceInput, SourceKind

    word = "B" * 300
    cid = svc.contacts.create(
        owner,
        ContactInput(first_name="Ann", organisation="C" * 200),
        SourceInput(SourceKind.THIRD_PARTY, word, CARD.obtained_on),
    )
    text = pdf_text(svc.access_reports.produce(owner, cid, "en").pdf, "access-long-word")
    squeezed = text.replace(" ", "")
    assert word in squeezed
    assert "C" * 200 in squeezed


@pytest.mark.parametrize(
    ("language", "country"), [("nl", "Nederland"), ("fr", "Pays-Bas"), ("en", "Netherlands")]
)
def test_the_country_is_named_in_the_subjects_language(
    svc: Services, owner: Actor, language: str, country: str
) -> None:
    """CLDR's name (Babel), not the code: "NL" reads "Pays-Bas" in a French report."""
    cid = make_contact(svc, owner, country="NL", postcode="1012 AB")
    text = pdf_text(svc.access_reports.produce(owner, cid, language).pdf)
    assert re.search(rf"\b{country}\b", text)  # "Nederlands", the language, does not count
