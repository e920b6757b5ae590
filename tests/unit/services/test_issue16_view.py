"""Issue 16: what a role may not see stays unseen, and answers are complete (every path)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.consent import ConsentMethod
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import PermissionDenied
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SpecialCategory
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

SOURCE = SourceInput(SourceKind.PHONE_CALL, "Called us", dt.date(2026, 3, 2))


def user(svc: Services, owner: Actor, role: Role) -> Actor:
    name = f"u_{role.value}"
    svc.auth.add_user(owner, name, "a long password 1", role)
    return svc.auth.login(name, "a long password 1")


# -- 1. written special-category consent --------------------------------------------------


def test_special_consent_category_and_evidence_are_withheld_from_roles_not_seeing_them(
    svc: Services, owner: Actor
) -> None:
    cid = svc.contacts.create(owner, ContactInput(first_name="Zoë"), SOURCE)
    svc.disclosures.record_special_consent(
        owner, cid, SpecialCategory.HEALTH, ConsentMethod.SIGNED_PAPER, "diabetes form ref 12"
    )
    from privacycrm_desktop.persistence.models import ConsentEvent

    with svc.uow(write=True) as uow:
        event = uow.session.query(ConsentEvent).one()
        event.evidence_file = b"%PDF scan"
        event.evidence_file_name = "zoe-diabetes.pdf"
        event_id = event.id
    mine = svc.consent.history(owner, cid)
    assert mine[0].product_category == "special:health"
    assert mine[0].evidence == "diabetes form ref 12"
    assert not mine[0].withheld
    assert svc.consent.evidence_file(owner, event_id).data == b"%PDF scan"
    for role in (Role.READ_ONLY, Role.OFFICE, Role.SALES):
        other = user(svc, owner, role)
        (seen,) = svc.consent.history(other, cid)
        assert seen.withheld
        assert "health" not in repr(seen)
        assert "diabetes" not in repr(seen)
        with pytest.raises(PermissionDenied):
            svc.consent.evidence_file(other, event_id)


# -- 2. no order by a hidden field -----------------------------------------------------------


def test_sorting_by_a_hidden_field_does_not_order_by_it(svc: Services, owner: Actor) -> None:
    from privacycrm_desktop.domain.access import FieldAccess
    from privacycrm_desktop.services.dto import ContactSort

    # Names in one order, cities in the opposite one.
    for name, city in (("Aerts", "Zottegem"), ("Baert", "Namur"), ("Claes", "Aalst")):
        svc.contacts.create(owner, ContactInput(first_name="An", last_name=name, city=city), SOURCE)
    svc.access.set_field_access(owner, Role.OFFICE, "city", FieldAccess.HIDDEN)
    clerk = user(svc, owner, Role.OFFICE)
    by_city = svc.contacts.page(owner, sort=ContactSort.CITY)
    assert [r.city for r in by_city] == ["Aalst", "Namur", "Zottegem"]
    for descending in (False, True):
        seen = svc.contacts.page(clerk, sort=ContactSort.CITY, descending=descending)
        names = [r.name for r in seen]
        assert names == sorted(names, reverse=descending)
        assert all(r.city == "" and "city" in r.hidden for r in seen)
    assert svc.contacts.allowed_sort(clerk, ContactSort.CITY) is ContactSort.NAME
    assert svc.contacts.allowed_sort(owner, ContactSort.CITY) is ContactSort.CITY
    # A role that may read no name gets the order of entry: nothing hidden is given away.
    for field in ("first_name", "last_name"):
        svc.access.set_field_access(owner, Role.OFFICE, field, FieldAccess.HIDDEN)
    assert svc.contacts.allowed_sort(clerk, ContactSort.NAME) is None
    rows = svc.contacts.page(clerk, sort=ContactSort.NAME)
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert [r.id for r in svc.contacts.page(clerk, query="Aalst")] == []  # city hidden


# -- 5. one way to write a file ----------------------------------------------------------------

#: Writers that are not personal-data outputs, or make their owner-only file themselves:
#: the database, backups and their manifests, the saved connection, the integrity-check
#: record, the export (its own 0600 temporary file, published after its audit entry) and
#: the evidence viewer's 0600 temporary copy.
_OWN_WRITERS = {
    "config.py",
    "services/storage.py",
    "services/exports.py",
    "services/private_files.py",
    "ui/consent/consent_panel.py",
}


def test_every_output_file_is_written_through_the_owner_only_helper() -> None:
    import re
    from pathlib import Path

    import privacycrm_desktop

    root = Path(privacycrm_desktop.__file__).parent
    writes = re.compile(r"\.write_bytes\(|\.write_text\(|\bopen\([^)]*[\"']w|\.open\([\"']w")
    offenders = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name in _OWN_WRITERS or name.startswith("persistence/"):
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if writes.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []


def test_the_helper_writes_owner_only_and_replaces_a_readable_file(tmp_path: Path) -> None:
    import os

    from privacycrm_desktop.services.private_files import private_text, write_private

    old = os.umask(0o022)
    try:
        target = tmp_path / "letter.txt"
        target.write_text("old")
        target.chmod(0o644)
        write_private(target, "Geachte mevrouw")
        assert (target.read_text(), target.stat().st_mode & 0o777) == ("Geachte mevrouw", 0o600)

        def half_written() -> None:
            with private_text(tmp_path / "half.csv") as out:
                out.write("a;b\n")
                raise RuntimeError

        with pytest.raises(RuntimeError):
            half_written()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["letter.txt"]
    finally:
        os.umask(old)


# -- 7, 8. the access report: every record, special-category data, the written consent ----


def pdf_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def two_records(svc: Services, owner: Actor) -> tuple[int, int, int]:
    from privacycrm_desktop.domain.requests import RequestKind
    from privacycrm_desktop.services.requests import RequestInput

    first = svc.contacts.create(
        owner,
        ContactInput(first_name="Jan", last_name="Peeters", emails=("jan@peeters.be",)),
        SOURCE,
    )
    second = svc.contacts.create(
        owner,
        ContactInput(first_name="J.", last_name="Peeters", emails=("jp@werk.example",)),
        SOURCE,
    )
    svc.disclosures.record_special_consent(
        owner, first, SpecialCategory.HEALTH, ConsentMethod.SIGNED_PAPER, "form ref 12"
    )
    svc.disclosures.record_special(owner, first, SpecialCategory.HEALTH, "diabetes type 2", SOURCE)
    request = svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (first, second)))
    return first, second, request


def test_the_access_report_covers_every_record_of_the_request(svc: Services, owner: Actor) -> None:
    import json

    from privacycrm_desktop.services.access_report import AccessReport

    first, second, request = two_records(svc, owner)

    def covers_both(report: AccessReport) -> None:
        text = pdf_text(report.pdf)
        assert "jan@peeters.be" in text
        assert "jp@werk.example" in text
        assert f"#{first} Jan Peeters" in text
        assert f"#{second} J. Peeters" in text
        document = json.loads(report.json)
        assert document["contact_ids"] == [first, second]
        values = {(d["contact_id"], d["value"]) for d in document["data"]}
        assert {(first, "jan@peeters.be"), (second, "jp@werk.example")} <= values

    covers_both(svc.access_reports.produce(owner, first, "en", request))
    covers_both(svc.access_reports.produce_for_request(owner, request, "en"))
    # Without a request, one record as before.
    alone = svc.access_reports.produce(owner, second, "en")
    assert "jan@peeters.be" not in pdf_text(alone.pdf)


def test_the_access_report_holds_special_category_data_and_names_the_written_consent(
    svc: Services, owner: Actor
) -> None:
    import json

    from privacycrm_desktop.domain.access import FieldAccess

    first, _second, request = two_records(svc, owner)
    report = svc.access_reports.produce(owner, first, "en", request)
    text = pdf_text(report.pdf)
    assert "diabetes type 2" in text
    assert "Written consent for special-category data: Health" in text
    document = json.loads(report.json)
    assert {
        "contact_id": first,
        "field": "special_categories.health",
        "value": "diabetes type 2",
        "held_since": "2026-03-02",
        "source": None,
    } in document["data"]
    (written,) = [c for c in document["consent_history"] if c.get("special_category")]
    assert written["special_category"] == "health"
    # A privacy officer the owner hid special categories from gets neither.
    svc.access.set_field_access(
        owner, Role.PRIVACY_OFFICER, "special_categories", FieldAccess.HIDDEN
    )
    officer = user(svc, owner, Role.PRIVACY_OFFICER)
    hidden = svc.access_reports.produce_for_request(officer, request, "en")
    text = pdf_text(hidden.pdf)
    assert "diabetes" not in text
    assert "Health" not in text
    assert "health" not in hidden.json
    assert "Written consent for special-category data" in text


# -- 10. the special-category check on every way into the notes ---------------------------


def test_notes_suggesting_special_categories_need_a_confirmation(
    svc: Services, owner: Actor
) -> None:
    from privacycrm_desktop.domain.special_categories import SpecialCategoryUnconfirmed

    union = ContactInput(first_name="Piet", last_name="Claes", notes="Lid van de vakbond ABVV")
    with pytest.raises(SpecialCategoryUnconfirmed):
        svc.contacts.create(owner, union, SOURCE)
    assert svc.contacts.count(owner) == 0
    cid = svc.contacts.create(owner, union, SOURCE, special_confirmed=True)
    assert svc.contacts.get(owner, cid).notes == "Lid van de vakbond ABVV"
    # An edit that changes the notes is checked too; one that leaves them is not.
    detail = svc.contacts.get(owner, cid)
    from privacycrm_desktop.domain.edit_conflicts import input_from

    loaded = input_from(detail)
    import dataclasses

    renamed = svc.contacts.update(
        owner, cid, detail.version, dataclasses.replace(loaded, city="Gent"), SOURCE
    )
    sick = dataclasses.replace(loaded, city="Gent", notes="diabetes patiënt")
    with pytest.raises(SpecialCategoryUnconfirmed):
        svc.contacts.update(owner, cid, renamed.version, sick, SOURCE)
    assert svc.contacts.get(owner, cid).notes == "Lid van de vakbond ABVV"
    plain = ContactInput(first_name="An", notes="Belt liever na 17 uur")
    assert svc.contacts.create(owner, plain, SOURCE) > 0


def test_an_import_row_with_special_category_notes_arrives_without_them_unless_confirmed(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    import dataclasses

    from sqlalchemy import select

    from privacycrm_desktop.domain.import_formats import DuplicatePolicy
    from privacycrm_desktop.domain.import_values import NOTES_LEFT_OUT
    from privacycrm_desktop.persistence.models import Contact
    from privacycrm_desktop.services.imports import ImportPlan

    svc.contacts.create(
        owner, ContactInput(first_name="Els", last_name="Wouters", emails=("els@x.be",)), SOURCE
    )
    path = tmp_path / "fair.csv"
    path.write_text(
        "Voornaam;Achternaam;E-mail;Opmerkingen\n"
        "Jan;Peeters;jan@x.be;diabetes patiënt\n"
        "An;Claes;an@x.be;belt na 17 uur\n"
        "Els;Wouters;els@x.be;Lid van de vakbond ABVV\n",
        encoding="utf-8",
    )
    preview = svc.imports.preview(owner, path)
    plan = ImportPlan(
        path=path,
        shape=preview.shape,
        mapping=preview.mapping,
        source=SOURCE,
        purpose_code="customer_relationship",
        legal_basis="contract",
        duplicates=DuplicatePolicy.MERGE,
    )
    checked = svc.imports.check(owner, plan)
    flagged = sorted(v.row_number for v in checked.to_check if v.message == NOTES_LEFT_OUT)
    assert flagged == [1, 3]  # a new contact and a merge into Els alike
    assert checked.invalid == ()
    result = svc.imports.run(owner, plan)
    assert (result.imported, result.merged, result.invalid_rows) == (2, 1, 0)

    def notes() -> dict[str, str]:
        with svc.uow() as uow:
            rows = uow.session.execute(select(Contact.last_name, Contact.notes)).tuples()
            return dict(rows.all())

    assert notes() == {"Wouters": "", "Peeters": "", "Claes": "belt na 17 uur"}
    svc.imports.undo(owner, result.batch_id)
    confirmed = svc.imports.run(owner, dataclasses.replace(plan, confirm_special=True))
    assert (confirmed.imported, confirmed.merged) == (2, 1)
    assert notes()["Peeters"] == "diabetes patiënt"
    assert notes()["Wouters"] == "Lid van de vakbond ABVV"


# -- 11. a person who asked to be forgotten is recognised under a sub-address or swapped ---


def test_a_forgotten_person_is_recognised_with_a_sub_address_or_swapped_names(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    from privacycrm_desktop.domain.erasure import ErasureReason
    from privacycrm_desktop.domain.import_formats import SkipReason
    from privacycrm_desktop.domain.suppression import ErasedPersonRefused
    from privacycrm_desktop.services.imports import ImportPlan

    jan = ContactInput(
        first_name="Jan", last_name="Van Peeters", emails=("jan@peeters.be",), postcode="9000"
    )
    cid = svc.contacts.create(owner, jan, SOURCE)
    svc.erasure.erase(owner, cid, ErasureReason.ERASURE_REQUEST)
    for again in (
        ContactInput(first_name="Jan", emails=("Jan+news@Peeters.be",)),
        ContactInput(first_name="Van Peeters", last_name="Jan", postcode="9000"),
        ContactInput(first_name="Peeters", last_name="Jan Van", postcode="9000"),
    ):
        with pytest.raises(ErasedPersonRefused):
            svc.contacts.create(owner, again, SOURCE)
    assert svc.contacts.count(owner) == 0
    # Someone else entirely is not refused.
    assert svc.contacts.create(
        owner, ContactInput(first_name="Jana", emails=("jana@x.be",)), SOURCE
    )
    # An import recognises the sub-address too.
    path = tmp_path / "list.csv"
    path.write_text("Voornaam;E-mail\nJan;jan+promo@peeters.be\n", encoding="utf-8")
    preview = svc.imports.preview(owner, path)
    plan = ImportPlan(
        path=path,
        shape=preview.shape,
        mapping=preview.mapping,
        source=SOURCE,
        purpose_code="customer_relationship",
        legal_basis="contract",
    )
    assert svc.imports.check(owner, plan).skipped[SkipReason.ERASED] == 1


def test_a_forgotten_gmail_address_is_recognised_with_other_dots_or_googlemail(
    svc: Services, owner: Actor
) -> None:
    # Seen on main (issue 19's outside test): Gmail ignores the dots of an address, so
    # the same person came back in as "janpeeters@gmail.com".
    from privacycrm_desktop.domain.erasure import ErasureReason
    from privacycrm_desktop.domain.suppression import ErasedPersonRefused

    cid = svc.contacts.create(
        owner, ContactInput(first_name="Jan", emails=("Jan.Peeters+shop@gmail.com",)), SOURCE
    )
    svc.erasure.erase(owner, cid, ErasureReason.ERASURE_REQUEST)
    for address in ("janpeeters@gmail.com", "j.an.peeters@googlemail.com", "jan.peeters@gmail.com"):
        with pytest.raises(ErasedPersonRefused):
            svc.contacts.create(owner, ContactInput(first_name="Jan", emails=(address,)), SOURCE)
    # Dots count elsewhere: another provider's jan.peeters is not janpeeters.
    assert svc.contacts.create(
        owner, ContactInput(first_name="Jan", emails=("janpeeters@telenet.be",)), SOURCE
    )


def test_a_tagged_address_on_the_list_covers_the_plain_one(svc: Services, owner: Actor) -> None:
    from privacycrm_desktop.domain.erasure import ErasureReason
    from privacycrm_desktop.domain.suppression import ErasedPersonRefused

    cid = svc.contacts.create(
        owner, ContactInput(first_name="Zoë", emails=("zoe+shop@example.be",)), SOURCE
    )
    svc.erasure.erase(owner, cid, ErasureReason.ERASURE_REQUEST)
    for address in ("zoe@example.be", "zoe+other@example.be"):
        with pytest.raises(ErasedPersonRefused):
            svc.contacts.create(owner, ContactInput(first_name="Z", emails=(address,)), SOURCE)


def test_suppression_entries_of_older_lists_still_match(svc: Services, owner: Actor) -> None:
    """Lists written by older versions hold the plain normalised forms: still recognised."""
    from privacycrm_desktop.domain.suppression import (
        ErasedPersonRefused,
        HashKind,
        SuppressionReason,
        suppression_digest,
    )
    from privacycrm_desktop.persistence.models import Suppression
    from privacycrm_desktop.services.marketing_facts import ensure_salt

    with svc.uow(write=True) as uow:
        salt = ensure_salt(uow.session)
        for kind, value in (
            (HashKind.EMAIL, "an@claes.be"),
            (HashKind.NAME_POSTCODE, "An Claes|2000"),
        ):
            uow.session.add(
                Suppression(
                    hash_kind=kind.value,
                    digest=suppression_digest(salt, kind, value),  # the old form
                    reason=SuppressionReason.ERASURE.value,
                    created_at=dt.datetime(2025, 1, 1),
                )
            )
    for again in (
        ContactInput(first_name="An", emails=("an+x@claes.be",)),
        ContactInput(first_name="Claes", last_name="An", postcode="2000"),
        ContactInput(first_name="An", last_name="Claes", postcode="2000"),
    ):
        with pytest.raises(ErasedPersonRefused):
            svc.contacts.create(owner, again, SOURCE)


# -- 9. times a person reads are local, winter and summer -----------------------------------


@pytest.fixture
def brussels(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This computer stands in Brussels (CET in winter, CEST in summer)."""
    import time

    monkeypatch.setenv("TZ", "Europe/Brussels")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("stored", "local", "zone"),
    [
        (dt.datetime(2026, 1, 14, 23, 40), "2026-01-15T00:40:00+01:00", "CET"),  # winter
        (dt.datetime(2026, 7, 14, 22, 40), "2026-07-15T00:40:00+02:00", "CEST"),  # summer
    ],
)
def test_times_people_read_are_local_with_their_zone(
    svc: Services,
    owner: Actor,
    clock: object,
    brussels: None,
    stored: dt.datetime,
    local: str,
    zone: str,
) -> None:
    import json

    from privacycrm_desktop.domain.consent import Channel, ConsentStatus
    from privacycrm_desktop.i18n import local_clock, local_date
    from privacycrm_desktop.services.clock import FixedClock
    from privacycrm_desktop.services.consent_dto import ConsentInput

    assert isinstance(clock, FixedClock)
    cid = svc.contacts.create(owner, ContactInput(first_name="Zoë", emails=("z@x.be",)), SOURCE)
    clock.current = stored
    svc.consent.record(
        owner,
        ConsentInput(
            cid,
            "direct_marketing_consent",
            Channel.EMAIL,
            ConsentStatus.OPT_IN,
            ConsentMethod.FORM_BOX_TICKED,
            evidence="web form 4711",
        ),
    )
    (event,) = svc.consent.history(owner, cid)
    assert event.recorded_at == stored  # storage stays UTC
    assert local_clock(event.recorded_at) == f"00:40 {zone}"
    assert local_date(event.recorded_at) == dt.date.fromisoformat(local[:10])
    report = svc.access_reports.produce(owner, cid, "en")
    (entry,) = json.loads(report.json)["consent_history"]
    assert entry["recorded_at"] == local
    day = dt.date.fromisoformat(local[:10])
    assert f"{day.day} {day:%B} {day.year}" in pdf_text(report.pdf).split("Your consent")[1]


def test_the_local_clock_names_its_zone_in_winter_and_summer(brussels: None) -> None:
    from privacycrm_desktop.i18n import local_clock

    assert local_clock(dt.datetime(2026, 1, 15, 3, 40), seconds=True) == "04:40:00 CET"
    assert local_clock(dt.datetime(2026, 7, 15, 2, 40), zone=False) == "04:40"


def test_where_did_you_get_my_data_names_the_sources_of_every_record(
    svc: Services, owner: Actor
) -> None:
    first, _second, _request = two_records(svc, owner)
    third_party = SourceInput(SourceKind.THIRD_PARTY, "Members list 2025", dt.date(2025, 11, 3))
    other = svc.contacts.create(
        owner, ContactInput(first_name="P.", last_name="Peeters"), third_party
    )
    text = svc.access_reports.where_from(owner, first, "en", also=(first, other))
    assert "Called us" in text
    assert "Members list 2025" in text
    assert "Members list 2025" not in svc.access_reports.where_from(owner, first, "en")
