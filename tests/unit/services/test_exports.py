"""Export of contacts to CSV and vCard: permissions, field access, logging, refusals."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
import vobject
from sqlalchemy import Engine, event, select

from privacycrm_desktop.domain.access import FieldAccess, Permission, Role, has_permission, mask
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind
from privacycrm_desktop.domain.errors import NotFound, PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.export_formats import ExportFormat
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.purposes import RecipientKind
from privacycrm_desktop.i18n import describe_error
from privacycrm_desktop.persistence.models import AuditEvent, Recipient
from privacycrm_desktop.persistence.record_models import Disclosure
from privacycrm_desktop.services.disclosures import DisclosureInput, TransferRefused
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.exports import ExportNotWritten, ExportRequest
from privacycrm_desktop.services.registry import Services

from ..conftest import OWNER_PASSWORD

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2026, 2, 20))
PURPOSE = "customer_relationship"


@pytest.fixture
def people(svc: Services, owner: Actor) -> list[int]:
    zoe = svc.contacts.create(
        owner,
        ContactInput(
            first_name="Zoë",
            last_name="Lefèvre",
            organisation="=Boulangerie",
            emails=("zoe@example.be", "zoe@example.fr"),
            phones=("0470 12 34 56",),
            street="Rue Haute 5",
            postcode="4000",
            city="Liège",
            language="fr",
            birth_date=dt.date(1931, 7, 13),
            notes="Allergic to nuts?\nCall after 5 pm",
        ),
        CARD,
        special_confirmed=True,  # the note suggests health data (rule 10): looked at
    )
    jan = svc.contacts.create(owner, ContactInput(first_name="Jan", last_name="Smet"), CARD)
    info = svc.contacts.create(
        owner,
        ContactInput(
            kind=ContactKind.ORGANISATION_ADDRESS,
            organisation="Info BV",
            emails=("info@example.be",),
        ),
        CARD,
    )
    return [zoe, jan, info]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Where the exports go (the database lives in tmp_path)."""
    path = tmp_path / "exports"
    path.mkdir()
    return path


def user(svc: Services, owner: Actor, role: Role) -> Actor:
    svc.auth.add_user(owner, role.value, OWNER_PASSWORD, role)
    return svc.auth.login(role.value, OWNER_PASSWORD)


def request(fmt: ExportFormat = ExportFormat.CSV, **changes: object) -> ExportRequest:
    values: dict[str, object] = {
        "format": fmt,
        "purpose": PURPOSE,
        "recipient": "Printer NV",
        "contact_ids": None,
    }
    values.update(changes)
    return ExportRequest(**values)


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def events(svc: Services, action: str) -> list[tuple[str, str]]:
    """(entity id, detail) of every audit event of *action*."""
    with svc.uow() as uow:
        return list(
            uow.session.execute(
                select(AuditEvent.entity_id, AuditEvent.detail).where(AuditEvent.action == action)
            ).tuples()
        )


def test_the_owner_exports_chosen_contacts_as_csv(
    svc: Services, owner: Actor, people: list[int], folder: Path
) -> None:
    zoe, _jan, info = people
    out = folder / "contacts.csv"
    result = svc.exports.export(owner, request(contact_ids=(info, zoe, info)), out)
    assert result.count == 2
    assert result.path == out
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    got = rows(out)
    assert [r["PrivacyCRM no."] for r in got] == [str(info), str(zoe)]
    assert got[1]["First name"] == "Zoë"
    assert got[1]["Organisation"] == "'=Boulangerie"
    assert (got[1]["E-mail"], got[1]["E-mail 2"]) == ("zoe@example.be", "zoe@example.fr")
    assert got[1]["Phone"] == "+32470123456"  # a number: nothing in it can run
    assert got[1]["Notes"] == "Allergic to nuts?\nCall after 5 pm"
    assert got[1]["Birth date"] == "1931-07-13"
    assert got[0]["Organisation"] == "Info BV"
    # Only the finished file is left in the folder: no temporary file.
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_no_ids_exports_every_contact(
    svc: Services, owner: Actor, people: list[int], folder: Path
) -> None:
    out = folder / "all.vcf"
    result = svc.exports.export(owner, request(ExportFormat.VCARD), out)
    assert result.count == 3
    cards = list(vobject.readComponents(out.read_text(encoding="utf-8")))
    assert [c.fn.value for c in cards] == ["Zoë Lefèvre", "Jan Smet", "Info BV"]
    assert cards[0].version.value == "4.0"
    assert cards[0].bday.value == "19310713"
    assert [t.value for t in cards[0].tel_list] == ["tel:+32470123456"]
    assert cards[2].kind.value == "org"
    assert "kind" not in cards[0].contents


def test_the_export_is_audited_without_personal_values(
    svc: Services, owner: Actor, people: list[int], folder: Path
) -> None:
    svc.exports.export(owner, request(ExportFormat.VCARD), folder / "a.vcf")
    ((entity_id, text),) = events(svc, "export.contacts")
    assert entity_id == PURPOSE
    detail = dict(part.split("=", 1) for part in text.split(";"))
    assert detail["format"] == "vcard"
    assert detail["variant"] == "4.0"
    assert detail["count"] == "3"
    assert detail["disclosures"] == "3"
    assert detail["restricted"] == "birth_date,notes"
    with svc.uow() as uow:
        recipient = uow.session.execute(select(Recipient.id, Recipient.name)).one()
    assert detail["recipient"] == str(recipient.id)
    assert recipient.name == "Printer NV"
    for value in ("Zoë", "Lefèvre", "zoe@", "32470123456", "1931", "Allergic", "Printer"):
        assert value not in text


def test_a_third_party_gets_a_disclosure_per_contact(
    svc: Services, owner: Actor, people: list[int], folder: Path
) -> None:
    zoe, jan, _info = people
    svc.exports.export(
        owner,
        request(
            contact_ids=(zoe, jan),
            recipient="Accountant BV",
            recipient_kind=RecipientKind.INDEPENDENT,
        ),
        folder / "a.csv",
    )
    ledger = svc.disclosures.disclosures(owner, zoe)
    assert [(d.recipient, d.recipient_kind, d.purpose) for d in ledger] == [
        ("Accountant BV", "independent", PURPOSE)
    ]
    # Tags are a fact of the customer relationship.
    assert ledger[0].categories == ("identity", "contact", "address", "notes", "relationship")
    assert ledger[0].disclosed_on == dt.date(2026, 3, 2)
    assert [r.name for r in svc.disclosures.recipients_to_notify(owner, jan)] == ["Accountant BV"]
    assert svc.disclosures.disclosures(owner, people[2]) == []


def test_an_internal_export_records_no_disclosure(
    svc: Services, owner: Actor, people: list[int], folder: Path
) -> None:
    result = svc.exports.export(
        owner, request(recipient="Our sales team", recipient_kind=None), folder / "a.csv"
    )
    assert result.recipient_id is None
    assert result.disclosures == 0
    with svc.uow() as uow:
        assert uow.session.scalars(select(Disclosure)).all() == []
        assert uow.session.scalars(select(Recipient)).all() == []
    ((_purpose, detail),) = events(svc, "export.contacts")
    assert "recipient=internal" in detail


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_an_export_for_the_recipient_s_own_use_is_refused_and_logged(
    svc: Services, owner: Actor, people: list[int], folder: Path, fmt: ExportFormat
) -> None:
    out = folder / "sister.csv"
    with pytest.raises(TransferRefused):
        svc.exports.export(
            owner, request(fmt, recipient="Group Sister NV", recipient_own_use=True), out
        )
    assert list(folder.iterdir()) == []
    ((_recipient, refusal),) = events(svc, "transfer.refused")
    assert refusal == "what=export"
    assert events(svc, "export.contacts") == []
    # The recipient is remembered: without the declaration it is refused again.
    with pytest.raises(TransferRefused):
        svc.exports.export(owner, request(fmt, recipient="Group  Sister NV"), out)
    assert not out.exists()
    assert len(events(svc, "transfer.refused")) == 2


def test_a_recipient_refused_in_the_ledger_is_refused_for_exports_too(
    svc: Services, owner: Actor, people: list[int], folder: Path
) -> None:
    with pytest.raises(TransferRefused):
        svc.disclosures.record(
            owner,
            DisclosureInput(
                people[0], "Sister NV", PURPOSE, (), dt.date(2026, 3, 2), own_marketing=True
            ),
        )
    with pytest.raises(TransferRefused):
        svc.exports.export(owner, request(recipient="Sister NV"), folder / "a.csv")
    with pytest.raises(TransferRefused):
        svc.exports.export(
            owner, request(recipient="Sister NV", recipient_kind=None), folder / "a.csv"
        )


@pytest.mark.parametrize("role", list(Role))
def test_only_roles_with_the_export_permission_may_export(
    svc: Services, owner: Actor, people: list[int], folder: Path, role: Role
) -> None:
    actor = owner if role is Role.OWNER else user(svc, owner, role)
    out = folder / "a.csv"
    if has_permission(role, Permission.EXPORT):
        assert svc.exports.export(actor, request(), out).count == 3
    else:
        with pytest.raises(PermissionDenied):
            svc.exports.export(actor, request(), out)
        assert not out.exists()
        assert events(svc, "export.contacts") == []


def test_hidden_fields_have_no_column_and_no_property(
    svc: Services, owner: Actor, people: list[int], folder: Path
) -> None:
    svc.access.set_field_access(owner, Role.SALES, "notes", FieldAccess.HIDDEN)
    svc.access.set_field_access(owner, Role.SALES, "phones", FieldAccess.MASKED)
    svc.access.set_field_access(owner, Role.SALES, "birth_date", FieldAccess.MASKED)
    sales = user(svc, owner, Role.SALES)
    assert "notes" not in svc.exports.fields(sales)
    svc.exports.export(sales, request(), folder / "a.csv")
    svc.exports.export(sales, request(ExportFormat.VCARD), folder / "a.vcf")
    csv_text = (folder / "a.csv").read_text(encoding="utf-8-sig")
    vcf_text = (folder / "a.vcf").read_text(encoding="utf-8")
    got = rows(folder / "a.csv")
    assert "notes" not in got[0]
    assert got[0]["Phone"] == mask("+32470123456")
    assert got[0]["Birth date"] == ""  # a masked date is left out
    assert "NOTE" not in vcf_text
    assert "BDAY" not in vcf_text
    (card, *_rest) = vobject.readComponents(vcf_text)
    assert card.tel.value == mask("+32470123456")
    for text in (csv_text, vcf_text):
        assert "Allergic" not in text
        assert "1931" not in text
        assert "470123" not in text
    for _purpose, detail in events(svc, "export.contacts"):
        # The masked birth date left as a column (empty); notes, hidden, did not.
        assert detail.endswith(";restricted=birth_date")


def test_bad_requests_change_nothing(
    svc: Services, owner: Actor, people: list[int], folder: Path
) -> None:
    out = folder / "a.csv"
    with pytest.raises(ValidationFailed) as failed:
        svc.exports.export(owner, request(purpose="selling the file", recipient="  "), out)
    assert {p.field for p in failed.value.problems} == {"purpose", "recipient"}
    with pytest.raises(ValidationFailed):
        svc.exports.export(owner, request(contact_ids=()), out)
    with pytest.raises(NotFound):
        svc.exports.export(owner, request(contact_ids=(people[0], 9999)), out)
    with pytest.raises(ExportNotWritten):
        svc.exports.export(owner, request(), folder / "no such folder" / "a.csv")
    assert list(folder.iterdir()) == []
    assert events(svc, "export.contacts") == []
    with svc.uow() as uow:
        assert uow.session.scalars(select(Disclosure)).all() == []


class Stop(Exception):
    pass


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_a_cancelled_export_leaves_no_file_and_no_record(
    svc: Services, owner: Actor, folder: Path, fmt: ExportFormat, monkeypatch: pytest.MonkeyPatch
) -> None:
    from privacycrm_desktop.services import exports

    monkeypatch.setattr(exports, "CHUNK", 2)
    for n in range(5):
        svc.contacts.create(owner, ContactInput(first_name=f"P{n}", last_name="Peeters"), CARD)
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= 4:
            raise Stop

    out = folder / "a.out"
    out.write_text("the previous export")
    with pytest.raises(Stop):
        svc.exports.export(owner, request(fmt), out, progress)
    assert seen == [(0, 5), (2, 5), (4, 5)]
    assert [p.name for p in folder.iterdir()] == ["a.out"]
    assert out.read_text() == "the previous export"
    assert events(svc, "export.contacts") == []
    seen.clear()
    svc.exports.export(owner, request(fmt), out, lambda d, t: seen.append((d, t)))
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert "Peeters" in out.read_text(encoding="utf-8-sig")


def test_a_full_disk_leaves_no_file_and_no_record(
    svc: Services, owner: Actor, people: list[int], folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ExportNotWritten) as refused:
        svc.exports.export(owner, request(), folder / "a.csv")
    # The cause named (an outside attack read "check the folder and its permissions").
    assert describe_error(refused.value).startswith("The disk is full")
    assert list(folder.iterdir()) == []
    assert events(svc, "export.contacts") == []


@pytest.mark.sqlite_only
def test_an_export_reads_the_database_without_mapping_its_file(
    svc: Services, owner: Actor, people: list[int], folder: Path, engine: Engine
) -> None:
    """Every page of a mapped file read once stays resident: a million contacts exported
    would grow the process by the size of the database. The export reads through SQLite's
    page cache instead, and the connection keeps its map size for everything else."""
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        result = svc.exports.export(owner, request(ExportFormat.CSV), folder / "all.csv")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert result.count == len(people)
    unmapped = seen.index("PRAGMA mmap_size=0")
    reads = [n for n, sql in enumerate(seen) if "FROM contact" in sql]
    assert reads
    assert all(unmapped < n for n in reads)
    restored = next(n for n, sql in enumerate(seen) if sql.startswith("PRAGMA mmap_size=1"))
    assert restored > max(reads)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == 1073741824
