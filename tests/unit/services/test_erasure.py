"""Erasure that truly erases: a canary in every field, then a byte search of the files."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.erasure import ErasureReason, HoldKeepsContact, UnknownErasureReason
from privacycrm_desktop.domain.errors import PermissionDenied
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SpecialCategory
from privacycrm_desktop.domain.suppression import ErasedPersonRefused
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.disclosures import DisclosureInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CANARY = "qzxcanary"
PHONE_DIGITS = "470918273"


def canary_contact(tag: str = "") -> ContactInput:
    c = CANARY + tag
    return ContactInput(
        first_name=f"{c}first",
        last_name=f"{c}last",
        organisation=f"{c}org",
        emails=(f"{c}mail@example.be", f"{c}two@example.be"),
        phones=(f"+32{PHONE_DIGITS}" if not tag else f"+3247{tag}000000"[:12],),
        street=f"{c}street 1",
        postcode="9000",
        city=f"{c}city",
        notes=f"{c}notes",
        relationship=Relationship.FORMER_CUSTOMER,
        relationship_start=dt.date(2019, 5, 1),
        relationship_end=dt.date(2021, 6, 30),
    )


def fill_everything(svc: Services, owner: Actor, cid: int, db: Engine) -> None:
    """Consent with evidence file, a disclosure, special-category data, an import row."""
    svc.consent.record(
        owner,
        ConsentInput(
            cid,
            "direct_marketing_consent",
            Channel.EMAIL,
            ConsentStatus.OPT_IN,
            ConsentMethod.FORM_BOX_TICKED,
            evidence=f"{CANARY}evidence",
            evidence_file=f"{CANARY}file".encode(),
            evidence_file_name=f"{CANARY}file.pdf",
        ),
    )
    svc.disclosures.record(
        owner,
        DisclosureInput(cid, "Boekhouder BV", "invoicing", ("identity",), dt.date(2026, 1, 5)),
    )
    svc.disclosures.record_special_consent(
        owner, cid, SpecialCategory.HEALTH, ConsentMethod.SIGNED_PAPER, f"{CANARY}special"
    )
    svc.disclosures.record_special(
        owner,
        cid,
        SpecialCategory.HEALTH,
        f"{CANARY}health",
        SourceInput(SourceKind.PHONE_CALL, f"{CANARY}source2", dt.date(2026, 2, 1)),
    )
    with db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO import_batch (file_name, created_at, status) "
                "VALUES ('list.csv', '2026-03-01', 'staged')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO import_staging (batch_id, row_number, payload) VALUES "
                '(1, 1, :p), (1, 2, \'{"first_name": "Other"}\')'
            ),
            {"p": f'{{"email": "{CANARY}mail@example.be"}}'},
        )


def file_bytes(db_path: Path) -> bytes:
    parts = [db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
    return b"".join(p.read_bytes().lower() for p in parts if p.exists())


def test_an_erased_contact_leaves_no_byte_behind(
    svc: Services, owner: Actor, engine: Engine, db_path: Path
) -> None:
    source = SourceInput(SourceKind.BUSINESS_CARD, f"{CANARY}source", dt.date(2026, 2, 20))
    keep = svc.contacts.create(
        owner,
        ContactInput(first_name="Bert", last_name="Keep"),
        dataclasses.replace(source, description="fair"),
    )
    cid = svc.contacts.create(owner, canary_contact(), source)
    fill_everything(svc, owner, cid, engine)
    assert CANARY.encode() in file_bytes(db_path)
    preview = svc.erasure.preview(owner, cid)
    assert (preview.emails, preview.phones, preview.disclosures, preview.special_categories) == (
        2,
        1,
        1,
        1,
    )
    assert not preview.blocked
    result = svc.erasure.erase(owner, cid, ErasureReason.ERASURE_REQUEST)
    assert result.suppressed == 4  # two addresses, one number, name + postcode
    raw = file_bytes(db_path)
    at = raw.find(CANARY.encode())
    assert at < 0, raw[max(0, at - 200) : at + 100]
    assert PHONE_DIGITS.encode() not in raw
    assert svc.contacts.count(owner, CANARY) == 0
    assert svc.contacts.count(owner, f"{CANARY}first") == 0
    assert svc.contacts.count(owner, "Keep") == 1  # the shared source's other contact stays
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM import_staging")).scalar() == 1
        events = conn.execute(
            text("SELECT contact_id, status, channel FROM consent_event ORDER BY id")
        ).all()
        assert events  # kept, not personal any more
        assert all(e[0] is None for e in events)
        assert conn.execute(text("SELECT count(*) FROM disclosure")).scalar() == 1
        ledger = conn.execute(text("SELECT contact_id, reason_code FROM erasure_ledger")).all()
        assert ledger == [(cid, "erasure_request")]
        action = conn.execute(
            text("SELECT action, detail FROM audit_event ORDER BY id DESC LIMIT 1")
        ).one()
        assert action[0] == "contact.erase"
        assert CANARY not in action[1]
    assert keep
    # Typing the same e-mail again is refused, saying when the person asked.
    again = ContactInput(first_name="New", last_name="Person", emails=(f"{CANARY}MAIL@example.be",))
    with pytest.raises(ErasedPersonRefused) as refused:
        svc.contacts.create(owner, again, source)
    assert refused.value.since == dt.date(2026, 3, 2)
    assert "2026-03-02" in str(refused.value)
    hit = svc.contacts.suppression_check(owner, again)
    assert hit is not None
    assert hit.since == dt.date(2026, 3, 2)


def test_anonymising_keeps_a_non_identifying_record(
    svc: Services, owner: Actor, engine: Engine, db_path: Path
) -> None:
    source = SourceInput(SourceKind.SALE, "invoice", dt.date(2026, 2, 20))
    cid = svc.contacts.create(owner, canary_contact(), source)
    svc.erasure.erase(owner, cid, ErasureReason.RETENTION_EXPIRED, anonymise=True)
    assert CANARY.encode() not in file_bytes(db_path)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT kind, relationship, region, customer_since FROM anonymised_record")
        ).one()
        assert tuple(row) == ("person", "former_customer", "90", 2019)
        assert conn.execute(text("SELECT count(*) FROM suppression")).scalar() == 0
    # Expired, not forgotten on request: the person may be entered again.
    assert svc.contacts.create(owner, canary_contact(), source)


def test_a_hold_keeps_the_contact_and_only_owner_or_officer_erase(
    svc: Services, owner: Actor
) -> None:
    source = SourceInput(SourceKind.SALE, "invoice", dt.date(2026, 2, 20))
    cid = svc.contacts.create(owner, canary_contact(), source)
    svc.retention.add_hold(owner, cid, "dispute", dt.date(2027, 1, 1))
    assert svc.erasure.preview(owner, cid).holds == (("dispute", dt.date(2027, 1, 1)),)
    with pytest.raises(HoldKeepsContact):
        svc.erasure.erase(owner, cid, ErasureReason.OTHER)
    svc.auth.add_user(owner, "sam", "sales password 12", Role.SALES)
    sales = svc.auth.login("sam", "sales password 12")
    with pytest.raises(PermissionDenied):
        svc.erasure.preview(sales, cid)
    assert svc.contacts.count(owner, f"{CANARY}first") == 1


def test_reason_text_is_parsed_to_a_code() -> None:
    assert ErasureReason.parse("Erasure request") is ErasureReason.ERASURE_REQUEST
    with pytest.raises(UnknownErasureReason) as refused:
        ErasureReason.parse("asked to be forgotten")
    assert "erasure_request" in str(refused.value)


def test_two_desks_erasing_one_person_end_in_one_erasure(
    svc: Services, owner: Actor, db_url: str
) -> None:
    """Issue 17: on PostgreSQL two desks erasing the same person at once got a raw
    UniqueViolation on uq_suppression_digest, or both "succeeded" with two ledger rows and
    two audit events. Now: one erasure, and "already erased" for the other desk."""
    import threading

    from privacycrm_desktop.domain.erasure import AlreadyErased
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.services.clock import SystemClock

    desks = [Services.build(create_engine_for(db_url), SystemClock()) for _ in range(2)]
    try:
        for round_ in range(4):
            cid = svc.contacts.create(
                owner,
                canary_contact(str(round_)),
                SourceInput(SourceKind.SALE, "x", dt.date(2026, 2, 20)),
            )
            start = threading.Barrier(2)
            outcomes: list[object] = []

            def erase(
                desk: Services, start: threading.Barrier, outcomes: list[object], cid: int
            ) -> None:
                start.wait()
                try:
                    outcomes.append(desk.erasure.erase(owner, cid, ErasureReason.ERASURE_REQUEST))
                except Exception as exc:  # the test looks at what came back
                    outcomes.append(exc)

            threads = [
                threading.Thread(target=erase, args=(desk, start, outcomes, cid)) for desk in desks
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            refused = [o for o in outcomes if isinstance(o, BaseException)]
            assert len(outcomes) == 2
            assert len(refused) == 1, outcomes
            assert isinstance(refused[0], AlreadyErased), refused
            assert "already been erased" in str(refused[0])
            with svc.uow() as uow:
                session = uow.session
                ledger = session.execute(
                    text("SELECT count(*) FROM erasure_ledger WHERE contact_id = :c"), {"c": cid}
                ).scalar()
                audit = session.execute(
                    text(
                        "SELECT count(*) FROM audit_event WHERE action = 'contact.erase' "
                        "AND entity_id = :c"
                    ),
                    {"c": str(cid)},
                ).scalar()
            assert (ledger, audit) == (1, 1)
    finally:
        for desk in desks:
            desk.uow.engine.dispose()


def test_erasure_leaves_nobody_in_the_register_the_audit_or_the_import_history(
    svc: Services, owner: Actor, db_url: str, backend: str, tmp_path: Path
) -> None:
    """Issue 16: after erasure the requests register kept the requester's name and identity
    evidence (also on the erasure request itself), the audit kept "category=health" for
    the contact, and the import history kept "Jan Peeters.vcf"."""
    from privacycrm_desktop.domain.requests import RequestKind, RequestStatus
    from privacycrm_desktop.services.requests import RequestInput

    from .test_imports import run as run_import

    vcf = tmp_path / "Qzxjan Qzxpeeters.vcf"
    vcf.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Qzxjan Qzxpeeters\r\nN:Qzxpeeters;Qzxjan;;;\r\n"
        "EMAIL:qzxjan@example.be\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )
    imported = run_import(svc, owner, vcf)
    assert imported.imported == 1
    with svc.uow() as uow:
        cid = int(uow.session.execute(text("SELECT max(id) FROM contact")).scalar_one())
    svc.disclosures.record_special_consent(
        owner, cid, SpecialCategory.HEALTH, ConsentMethod.SIGNED_PAPER, "signed form"
    )
    svc.disclosures.record_special(
        owner,
        cid,
        SpecialCategory.HEALTH,
        "qzxdiabetes",
        SourceInput(SourceKind.PHONE_CALL, "call", dt.date(2026, 2, 1)),
    )
    evidence = "eID card 592-1234567-89"
    requests = [
        svc.requests.add(
            owner,
            RequestInput(
                kind,
                (cid,),
                channel="letter",
                requester="Qzxrequester Qzxpeeters",
                identity_verified=True,
                identity_method=evidence,
            ),
        )
        for kind in (RequestKind.ACCESS, RequestKind.ERASURE)
    ]
    svc.requests.close(owner, requests[0], "Sent the report to qzxjan@example.be")
    svc.request_actions.carry_out(owner, requests[1])

    # Accountability stays: what kind of request, when received, due and answered.
    for request_id, kind in zip(requests, (RequestKind.ACCESS, RequestKind.ERASURE), strict=True):
        info = svc.requests.get(owner, request_id)
        assert info.kind is kind
        assert info.status is RequestStatus.DONE
        assert info.identity_verified
        assert (info.requester, info.identity_method) == ("", "")
        assert info.received_on <= info.due_on
    with svc.uow() as uow:
        details = list(uow.session.execute(text("SELECT detail FROM audit_event")).scalars())
        files = list(uow.session.execute(text("SELECT file_name FROM import_batch")).scalars())
        categories = list(
            uow.session.execute(text("SELECT product_category FROM consent_event")).scalars()
        )
    assert not [d for d in details if "health" in d]
    assert files == [f"import-{imported.batch_id}.vcf"]
    assert not [c for c in categories if "health" in c]
    needles = [b"qzxjan", b"qzxpeeters", b"qzxrequester", b"592-1234567-89", b"qzxdiabetes"]
    if backend == "sqlite":
        raw = file_bytes(Path(db_url))
        assert [n for n in needles if n in raw] == []
        assert b"category=health" not in raw
