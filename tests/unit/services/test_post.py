"""Labels and letters for the post: marketing rules decide who is in, the output is on
record like every other, templates refuse unknown fields, each letter in its language."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.audit_actions import ACTION_LABELS, AuditAction
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, Language
from privacycrm_desktop.domain.errors import PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.label_sheets import find_sheet
from privacycrm_desktop.domain.marketing import REASON_LABELS, Reason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.models import AuditEvent
from privacycrm_desktop.persistence.record_models import Disclosure
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.disclosures import TransferRefused
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.post import NO_ADDRESS, PostSelection
from privacycrm_desktop.services.registry import Services

from ..conftest import OWNER_PASSWORD

FAIR = SourceInput(SourceKind.EVENT, "Beurs Gent", dt.date(2026, 2, 1))
MARKETING = "direct_marketing_consent"
TICKED = ConsentMethod.FORM_BOX_TICKED
PEOPLE = {
    "opted_in": ("Ann", "Peeters", "Kerkstraat 1", "9000", "Gent", "BE", Language.NL),
    "opted_out": ("Bert", "Claes", "Veldstraat 2", "9000", "Gent", "BE", Language.NL),
    "no_consent": ("Chloé", "Dubois", "Rue Haute 3", "1000", "Bruxelles", "BE", Language.FR),
    "abroad": ("Marie", "Martin", "Rue de Rivoli 5", "75001", "Paris", "FR", Language.FR),
    "no_street": ("Dirk", "Maes", "", "", "", "BE", Language.NL),
}


def _people(svc: Services, owner: Actor) -> dict[str, int]:
    ids = {}
    for key, (first, last, street, postcode, city, country, language) in PEOPLE.items():
        ids[key] = svc.contacts.create(
            owner,
            ContactInput(
                first_name=first,
                last_name=last,
                street=street,
                postcode=postcode,
                city=city,
                country=country,
                language=language,
            ),
            FAIR,
        )
    for key, status in (
        ("opted_in", ConsentStatus.OPT_IN),
        ("abroad", ConsentStatus.OPT_IN),
        ("no_street", ConsentStatus.OPT_IN),
        ("opted_out", ConsentStatus.OPT_OUT),
    ):
        svc.consent.record(
            owner,
            ConsentInput(
                ids[key], MARKETING, Channel.POST, status, ConsentMethod.FORM_BOX_TICKED, "x"
            ),
        )
    return ids


def _text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _events(svc: Services, action: str) -> list[tuple[str, str]]:
    """The (action, detail) of every audit event of *action*."""
    with svc.uow() as uow:
        query = select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.action == action)
        return [(a, d) for a, d in uow.session.execute(query).tuples()]


def test_for_marketing_only_those_the_rules_allow_by_post_get_a_label(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    ids = _people(svc, owner)
    out = tmp_path / "labels.pdf"
    result = svc.post.labels(
        owner, PostSelection(purpose=MARKETING), find_sheet("3x7"), out, language="nl"
    )
    assert result.count == 2
    reasons = {left.contact_id: left.reason for left in result.left_out}
    assert reasons == {
        ids["opted_out"]: REASON_LABELS[Reason.OPTED_OUT],
        ids["no_consent"]: REASON_LABELS[Reason.NO_CONSENT],
        ids["no_street"]: REASON_LABELS[Reason.NO_CONTACT_POINT],
    }
    printed = _text(out)
    assert "Ann Peeters" in printed
    assert "FRANKRIJK" in printed  # the country abroad, in the sender's language
    for key in ("opted_out", "no_consent", "no_street"):
        assert PEOPLE[key][1] not in printed
    ((action, detail),) = _events(svc, "post.labels")
    assert detail.startswith("layout=L7160;count=2;left_out=3;recipient=internal")
    for first, last, *_ in PEOPLE.values():
        assert first not in detail
        assert last not in detail
    assert AuditAction(action) in ACTION_LABELS


def test_for_another_purpose_everyone_with_an_address_is_in_and_a_printer_is_in_the_ledger(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    ids = _people(svc, owner)
    out = tmp_path / "labels.pdf"
    selection = PostSelection(purpose="customer_relationship", recipient="Drukkerij Print NV")
    result = svc.post.labels(owner, selection, find_sheet("2x8"), out, start=5)
    assert result.count == 4
    assert [(x.contact_id, x.reason) for x in result.left_out] == [(ids["no_street"], NO_ADDRESS)]
    with svc.uow() as uow:
        disclosed = set(uow.session.scalars(select(Disclosure.contact_id)))
    assert disclosed == set(ids.values()) - {ids["no_street"]}
    assert result.disclosures == 4
    ((_, detail),) = _events(svc, "post.labels")
    assert f"recipient={result.recipient_id};disclosures=4" in detail


def test_a_chosen_few_and_a_recipient_for_its_own_use_is_refused(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    ids = _people(svc, owner)
    selection = PostSelection(contact_ids=(ids["abroad"], ids["opted_in"], 999_999))
    result = svc.post.labels(owner, selection, find_sheet("L7163"), tmp_path / "a.pdf")
    assert result.count == 2
    # An id that names nobody is said (seen: skipped without a word).
    assert [(left.contact_id, left.reason) for left in result.left_out] == [
        (999_999, "No such contact (erased, merged into another or never entered)")
    ]
    with pytest.raises(TransferRefused):  # asked once for its own use: remembered
        svc.disclosures.refuse_transfer(owner, "Adressenhandel BV", "export")
    with pytest.raises(TransferRefused):
        svc.post.labels(
            owner,
            PostSelection(contact_ids=(ids["abroad"],), recipient="Adressenhandel BV"),
            find_sheet("L7163"),
            tmp_path / "b.pdf",
        )
    assert not (tmp_path / "b.pdf").exists()


def test_a_role_that_sees_the_street_masked_may_not_print_labels(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    _people(svc, owner)
    svc.access.set_field_access(owner, Role.SALES, "street", FieldAccess.MASKED)
    svc.auth.add_user(owner, "sales", OWNER_PASSWORD, Role.SALES)
    sales = svc.auth.login("sales", OWNER_PASSWORD)
    with pytest.raises(PermissionDenied):
        svc.post.labels(sales, PostSelection(), find_sheet("3x7"), tmp_path / "x.pdf")
    assert not list(tmp_path.glob("*.pdf*"))


def test_each_letter_is_in_the_person_s_language_on_the_letterhead(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    ids = _people(svc, owner)
    templates = {
        "nl": "{salutation}\n\nUw adres is {city}. Datum {date}.",
        "fr": "{salutation}\n\nVotre ville est {city}. Date {date}.",
    }
    out = tmp_path / "letters.pdf"
    selection = PostSelection(contact_ids=(ids["opted_in"], ids["abroad"]))
    result = svc.post.letters(owner, selection, templates, out)
    assert result.count == 2
    pages = [page.extract_text() or "" for page in PdfReader(str(out)).pages]
    assert len(pages) == 2
    by_city = {("Gent" if "Peeters" in p else "Paris"): p for p in pages}
    assert "Uw adres is Gent" in by_city["Gent"]
    assert "2 maart 2026" in by_city["Gent"]
    assert "Votre ville est Paris" in by_city["Paris"]
    assert "2 mars 2026" in by_city["Paris"]
    assert "FRANCE" in by_city["Paris"]  # the country line, in French for a French letter
    for page in pages:
        assert "Acme BV" in page  # the letterhead
        assert "0403.170.701" in page
    ((_, detail),) = _events(svc, "post.letters")
    assert "count=2" in detail


def test_an_unknown_field_is_refused_before_anything_is_written(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    _people(svc, owner)
    with pytest.raises(ValidationFailed) as caught:
        svc.post.letters(owner, PostSelection(), {"nl": "Beste {voornaam}"}, tmp_path / "x.pdf")
    assert caught.value.problems[0].params["unknown"] == "{voornaam}"
    assert not list(tmp_path.glob("*.pdf*"))
    assert not _events(svc, "post.letters")


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (90, 30), (20, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_owner_puts_a_logo_on_the_letterhead_and_takes_it_off(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    ids = _people(svc, owner)
    selection = PostSelection(contact_ids=(ids["opted_in"],))
    svc.post.set_logo(owner, _png())
    svc.post.letters(owner, selection, {"nl": "{salutation}"}, tmp_path / "a.pdf")
    assert len(PdfReader(str(tmp_path / "a.pdf")).pages[0].images) == 1
    with pytest.raises(ValidationFailed):
        svc.post.set_logo(owner, b"%PDF-1.4 not a picture")
    svc.post.set_logo(owner, None)
    svc.post.letters(owner, selection, {"nl": "{salutation}"}, tmp_path / "b.pdf")
    assert not PdfReader(str(tmp_path / "b.pdf")).pages[0].images
    assert [d for _a, d in _events(svc, "settings.logo")] == ["logo=1", "logo=0"]
    svc.auth.add_user(owner, "sales", OWNER_PASSWORD, Role.SALES)
    with pytest.raises(PermissionDenied):
        svc.post.set_logo(svc.auth.login("sales", OWNER_PASSWORD), _png())
