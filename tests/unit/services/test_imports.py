"""Importing contacts from files: the corpus of real-world shapes, suppression,
duplicates and merges with provenance, consent columns, limits, cancel and undo."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind
from privacycrm_desktop.domain.edit_conflicts import input_from
from privacycrm_desktop.domain.errors import (
    ImportFileUnreadable,
    ImportPlanInvalid,
    ImportUndoRefused,
    PermissionDenied,
    ValidationFailed,
)
from privacycrm_desktop.domain.import_formats import (
    ColumnTarget,
    DuplicatePolicy,
    FileFormat,
    ImportField,
    SkipReason,
)
from privacycrm_desktop.domain.import_rows import NOTHING_IDENTIFIES
from privacycrm_desktop.domain.import_values import MATCHES_SEVERAL
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.suppression import HashKind, SuppressionReason, suppression_digest
from privacycrm_desktop.persistence.models import (
    AuditEvent,
    ConsentEvent,
    Contact,
    ContactEmail,
    ContactPhone,
    FieldProvenance,
    ImportBatch,
    Source,
    Suppression,
)
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportPlan, ImportResult
from privacycrm_desktop.services.imports import write as import_write
from privacycrm_desktop.services.marketing_facts import ensure_salt
from privacycrm_desktop.services.registry import Services

CORPUS = Path(__file__).parents[2] / "data" / "import"
SOURCE = SourceInput(SourceKind.THIRD_PARTY, "Trade fair list 2026", dt.date(2026, 2, 1))
HAND = SourceInput(SourceKind.PHONE_CALL, "Called us", dt.date(2026, 3, 2))


def plan_for(
    svc: Services,
    actor: Actor,
    path: Path,
    duplicates: DuplicatePolicy = DuplicatePolicy.SKIP,
    **changes: object,
) -> ImportPlan:
    preview = svc.imports.preview(actor, path)
    plan = ImportPlan(
        path=path,
        shape=preview.shape,
        mapping=preview.mapping,
        source=SOURCE,
        purpose_code="customer_relationship",
        legal_basis="contract",
        duplicates=duplicates,
    )
    return dataclasses.replace(plan, **changes)


def run(svc: Services, actor: Actor, path: Path, **kwargs: object) -> ImportResult:
    return svc.imports.run(actor, plan_for(svc, actor, path, **kwargs))


def contact_by_email(svc: Services, actor: Actor, address: str) -> int:
    with svc.uow() as uow:
        return int(
            uow.session.execute(
                select(ContactEmail.contact_id).where(ContactEmail.address == address)
            ).scalar_one()
        )


def count_contacts(svc: Services) -> int:
    with svc.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(Contact)).scalar_one())


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# -- the corpus ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "file_format", "encoding", "delimiter", "rows"),
    [
        ("outlook_en.csv", FileFormat.CSV, "utf-8", ",", 2),
        ("outlook_nl_cp1252.csv", FileFormat.CSV, "cp1252", ";", 2),
        ("outlook_fr_utf16.txt", FileFormat.CSV, "utf-16", "\t", 2),
        ("google_contacts.csv", FileFormat.CSV, "utf-8", ",", 2),
        ("excel_nl_bom_semicolon.csv", FileFormat.CSV, "utf-8-sig", ";", 4),
        ("excel_fr_bom_semicolon.csv", FileFormat.CSV, "utf-8-sig", ";", 2),
        ("outlook_v21_qp.vcf", FileFormat.VCARD, "utf-8", "", 2),
        ("apple_v30.vcf", FileFormat.VCARD, "utf-8", "", 2),
        ("vcard_40.vcf", FileFormat.VCARD, "utf-8", "", 1),
    ],
)
def test_every_shape_of_the_corpus_is_detected(
    svc: Services,
    owner: Actor,
    name: str,
    file_format: FileFormat,
    encoding: str,
    delimiter: str,
    rows: int,
) -> None:
    preview = svc.imports.preview(owner, CORPUS / name)
    assert preview.shape.format is file_format
    assert preview.shape.encoding == encoding
    assert preview.shape.delimiter == delimiter
    assert preview.row_count == rows
    assert len(preview.sample) == rows
    assert all(len(r) == len(preview.headers) for r in preview.sample)
    mapped = {t.field for t in preview.mapping if t is not None}
    assert {ImportField.EMAIL} <= mapped
    assert mapped & {ImportField.LAST_NAME, ImportField.FULL_NAME}


def test_outlook_english_export(svc: Services, owner: Actor) -> None:
    result = run(svc, owner, CORPUS / "outlook_en.csv")
    assert (result.imported, result.invalid_rows) == (2, 0)
    jan = svc.contacts.get(owner, contact_by_email(svc, owner, "jan.peeters@example.be"))
    assert (jan.first_name, jan.last_name, jan.organisation) == (
        "Jan",
        "Peeters",
        "Bakkerij Peeters",
    )
    assert [p.value for p in jan.phones] == ["+3292254567", "+32475123456"]  # fax left out
    assert (jan.street, jan.postcode, jan.city, jan.country) == (
        "Kerkstraat 12",
        "9000",
        "Gent",
        "BE",
    )
    assert jan.birth_date == dt.date(1980, 3, 15)  # Outlook in English: month first
    zoe = svc.contacts.get(owner, contact_by_email(svc, owner, "zoe.lefevre@example.be"))
    assert [e.value for e in zoe.emails] == ["zoe.lefevre@example.be", "zoe@example.org"]
    assert zoe.birth_date is None  # Outlook's 0/0/00
    assert zoe.notes == "Line one\r\nline two"  # a quoted newline stays in its cell
    assert (zoe.city, zoe.country) == ("Liège", "BE")


def test_outlook_dutch_export_in_cp1252_with_semicolons(svc: Services, owner: Actor) -> None:
    result = run(svc, owner, CORPUS / "outlook_nl_cp1252.csv")
    assert result.imported == 2
    emile = svc.contacts.get(owner, contact_by_email(svc, owner, "emile@example.be"))
    assert (emile.first_name, emile.organisation) == ("Émile", "Café Het Hoekske")
    assert emile.notes == 'Houdt van "koffie"; zegt hij'
    assert emile.birth_date == dt.date(1975, 5, 12)  # day first
    ann = svc.contacts.get(owner, contact_by_email(svc, owner, "ann.desmet@example.be"))
    assert [p.value for p in ann.phones] == ["+3223456789"]


def test_outlook_french_export_in_utf16(svc: Services, owner: Actor) -> None:
    result = run(svc, owner, CORPUS / "outlook_fr_utf16.txt")
    assert result.imported == 2
    helene = svc.contacts.get(owner, contact_by_email(svc, owner, "helene.dubois@example.be"))
    assert (helene.first_name, helene.last_name, helene.city) == ("Hélène", "Dubois", "Namur")
    assert helene.birth_date == dt.date(1982, 7, 1)


def test_google_contacts_export(svc: Services, owner: Actor) -> None:
    result = run(svc, owner, CORPUS / "google_contacts.csv")
    assert result.imported == 2
    lotte = svc.contacts.get(owner, contact_by_email(svc, owner, "lotte.janssens@example.be"))
    assert [e.value for e in lotte.emails] == [
        "lotte.janssens@example.be",
        "l.janssens@work.example",
    ]
    assert (lotte.street, lotte.postcode, lotte.city) == (
        "Lange Lozanastraat 14",
        "2018",
        "Antwerpen",
    )
    pieter = svc.contacts.get(owner, contact_by_email(svc, owner, "pieter.claes@example.be"))
    assert pieter.notes == 'Met "aanhalingstekens", en komma'
    assert pieter.organisation == "Claes & Co"


def test_excel_french_sheet_with_bom_semicolons_and_consent(svc: Services, owner: Actor) -> None:
    result = run(svc, owner, CORPUS / "excel_fr_bom_semicolon.csv")
    assert result.imported == 2
    julie_id = contact_by_email(svc, owner, "julie.lambert@example.be")
    julie = svc.contacts.get(owner, julie_id)
    assert (julie.first_name, julie.language.value, julie.birth_date) == (
        "Julie",
        "fr",
        dt.date(1985, 12, 24),
    )
    assert julie.notes == "Préfère\nle courrier"
    history = svc.consent.history(owner, julie_id)
    assert [(e.status, e.method) for e in history] == [
        (ConsentStatus.OPT_IN, ConsentMethod.IMPORTED_RECORD)
    ]
    assert history[0].evidence == "excel_fr_bom_semicolon.csv, row 1"


def test_consent_cells_yes_no_blank_and_nonsense(svc: Services, owner: Actor) -> None:
    # An answer that is neither yes nor no records nothing and is a value to look at: the
    # contact itself arrives.
    result = run(svc, owner, CORPUS / "excel_nl_bom_semicolon.csv")
    assert (result.imported, result.invalid_rows) == (4, 0)
    assert [(v.row_number, v.column, v.field, v.raw) for v in result.to_check] == [
        (4, "Nieuwsbrief", "consent", "misschien")
    ]
    sofie = svc.consent.history(owner, contact_by_email(svc, owner, "sofie.wouters@example.be"))
    tom = svc.consent.history(owner, contact_by_email(svc, owner, "tom.maes@example.be"))
    eva = svc.consent.history(owner, contact_by_email(svc, owner, "eva.jacobs@example.be"))
    lars = svc.consent.history(owner, contact_by_email(svc, owner, "lars.hermans@example.be"))
    assert [(e.purpose, e.channel, e.status) for e in sofie] == [
        ("direct_marketing_consent", Channel.EMAIL, ConsentStatus.OPT_IN)
    ]
    assert [e.status for e in tom] == [ConsentStatus.OPT_OUT]
    assert eva == []  # a blank cell records nothing
    assert lars == []  # nor does an answer that is no answer


def test_a_blank_consent_cell_never_erases_an_existing_consent(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    run(svc, owner, CORPUS / "excel_nl_bom_semicolon.csv")
    again = write(
        tmp_path,
        "again.csv",
        "Naam;Voornaam;E-mail;Nieuwsbrief\nWouters;Sofie;sofie.wouters@example.be;\n",
    )
    result = run(svc, owner, again, duplicates=DuplicatePolicy.MERGE)
    assert result.merged == 1
    sofie = svc.consent.history(owner, contact_by_email(svc, owner, "sofie.wouters@example.be"))
    assert [e.status for e in sofie] == [ConsentStatus.OPT_IN]


def test_vcard_21_from_outlook_with_quoted_printable(svc: Services, owner: Actor) -> None:
    result = run(svc, owner, CORPUS / "outlook_v21_qp.vcf")
    assert (result.imported, result.invalid_rows) == (2, 0)
    jozef = svc.contacts.get(owner, contact_by_email(svc, owner, "jozef@vermeulen-bouw.example.be"))
    assert (jozef.first_name, jozef.last_name, jozef.organisation) == (
        "Jozef",
        "Vermeulen",
        "Vermeulen Bouw",
    )
    assert [p.value for p in jozef.phones] == ["+3234567890", "+32495445566"]
    assert (jozef.street, jozef.postcode, jozef.city, jozef.country) == (
        "Grote Markt 1 Bus 3",
        "2000",
        "Antwerpen",
        "BE",
    )
    assert jozef.notes == "Klant sinds 2010, belt liefst 's ochtends. Café om de hoek."
    rene = svc.contacts.get(owner, contact_by_email(svc, owner, "rene.leonard@example.be"))
    assert (rene.first_name, rene.last_name) == ("René", "Léonard")


def test_vcard_30_and_40(svc: Services, owner: Actor) -> None:
    assert run(svc, owner, CORPUS / "apple_v30.vcf").imported == 2
    bram = svc.contacts.get(owner, contact_by_email(svc, owner, "bram.goossens@example.be"))
    assert [e.value for e in bram.emails] == ["bram.goossens@example.be", "bram@work.example"]
    assert (bram.city, bram.birth_date) == ("Kortrijk", dt.date(1979, 11, 3))
    assert bram.notes == "Ontmoet op de beurs, Kortrijk Xpo"
    inge = svc.contacts.get(owner, contact_by_email(svc, owner, "inge@willems.example"))
    assert inge.organisation == "Willems BV"
    assert inge.notes == "Lange notitie die over meerdere regels gevouwen is."
    assert run(svc, owner, CORPUS / "vcard_40.vcf").imported == 1
    nathalie = svc.contacts.get(owner, contact_by_email(svc, owner, "nathalie.simon@example.be"))
    assert [p.value for p in nathalie.phones] == ["+32498123456"]
    assert (nathalie.language.value, nathalie.birth_date) == ("fr", dt.date(1988, 7, 4))
    assert (nathalie.street, nathalie.city) == ("Rue Neuve 1", "Bruxelles")


def test_a_broken_vcard_is_one_invalid_row(svc: Services, owner: Actor, tmp_path: Path) -> None:
    text = (
        CORPUS / "vcard_40.vcf"
    ).read_text() + "BEGIN:VCARD\r\nVERSION:3.0\r\nN\r\nEND:VCARD\r\n"
    result = run(svc, owner, write(tmp_path, "cards.vcf", text))
    assert (result.imported, result.invalid_rows) == (1, 1)
    # Its one line is no property: kept aside, nothing is left that identifies anyone.
    assert result.invalid[0].message.startswith("Nothing identifies a person")


# -- provenance and validation -------------------------------------------------------------


def test_imported_values_carry_the_batch_source_and_purpose(svc: Services, owner: Actor) -> None:
    result = run(svc, owner, CORPUS / "outlook_en.csv")
    detail = svc.contacts.get(owner, contact_by_email(svc, owner, "jan.peeters@example.be"))
    assert detail.provenance["city"].description == "Trade fair list 2026"
    assert detail.provenance["city"].kind is SourceKind.THIRD_PARTY
    assert detail.provenance["city"].obtained_on == dt.date(2026, 2, 1)
    assert {e.source.description for e in detail.emails} == {"Trade fair list 2026"}
    assert detail.keep_until is not None
    with svc.uow() as uow:
        source = uow.session.execute(
            select(Source).where(Source.import_batch_id == result.batch_id)
        ).scalar_one()
        batch = uow.session.get(ImportBatch, result.batch_id)
        assert batch is not None
        assert (batch.imported, batch.legal_basis, batch.status) == (2, "contract", "done")
        assert source.purpose_id == batch.purpose_id is not None
        detail = uow.session.execute(
            select(AuditEvent.detail).where(AuditEvent.action == "import.run")
        ).scalar_one()
    assert detail == "imported=2;merged=0;skipped=0;invalid=0;cancelled=0"
    # Found by the search like a contact entered by hand.
    assert svc.contacts.count(owner, "Peeters") == 1
    assert svc.contacts.count(owner, "0475 12") == 1


def test_a_row_is_refused_only_when_nothing_identifies_it_or_the_row_is_broken(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "mixed.csv",
        "First Name,Last Name,E-mail Address,Mobile Phone,Postal Code,Birthday\n"
        "Ok,Person,ok@example.be,0475 11 11 11,9000,1980-01-01\n"
        "Bad,Mail,not-an-address,0475 22 22 22,9000,\n"
        ",,nobody@example.be,,,\n"
        "Bad,Everything,x@,123,99,31/31/1999\n"
        "Too,Many,cells@example.be,,,,surplus\n"
        ",,,,9000,1980-01-01\n"
        "n/a,?,onbekend,-,9000,\n",
    )
    result = run(svc, owner, path)
    assert (result.total_rows, result.imported, result.invalid_rows) == (7, 4, 3)
    assert [(p.row_number, p.column, p.message) for p in result.invalid] == [
        (5, "", "This row has {cells} cells but the header has {columns}."),
        (6, "", NOTHING_IDENTIFIES),
        (7, "", NOTHING_IDENTIFIES),  # fillers name nobody
    ]
    assert [(v.row_number, v.column, v.field, v.raw) for v in result.to_check] == [
        (2, "E-mail Address", "emails", "not-an-address"),
        (4, "E-mail Address", "emails", "x@"),
        (4, "Mobile Phone", "phones", "123"),
        (4, "Postal Code", "postcode", "99"),
        (4, "Birthday", "birth_date", "31/31/1999"),
    ]
    assert count_contacts(svc) == 4
    with svc.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(ContactEmail)).scalar() == 4
    # Kept as typed where the field can hold it; the unreadable birth date in the notes.
    everything = svc.contacts.get(owner, contact_by_email(svc, owner, "x@"))
    assert [p.value for p in everything.phones] == ["123"]
    assert (everything.postcode, everything.birth_date) == ("99", None)
    assert everything.notes == "Birthday: 31/31/1999"
    nobody = svc.contacts.get(owner, contact_by_email(svc, owner, "nobody@example.be"))
    assert (nobody.first_name, nobody.last_name) == ("", "")


def test_invalid_rows_are_saved_for_correction(svc: Services, owner: Actor, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mixed.csv",
        "Voornaam;Achternaam;E-mail\nJan;Peeters;jan@example.be\n=cmd;Rare;geen-adres;extra\n",
    )
    plan = plan_for(svc, owner, path)
    result = svc.imports.run(owner, plan)
    out = tmp_path / "to_fix.csv"
    assert svc.imports.save_invalid_rows(owner, plan, result, out, language="nl") == 1
    text = out.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0].split(";")[:3] == ["Voornaam", "Achternaam", "E-mail"]
    assert lines[1].startswith("'=cmd;Rare;geen-adres;")  # neutralised for Excel
    assert "4 cellen" in lines[1]


def test_a_ten_megabyte_note_keeps_its_contact_and_its_beginning(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(
        'First Name,Last Name,Notes\nOk,Person,short\nLong,Note,"' + "x" * 10_000_000 + '"\n'
    )
    result = run(svc, owner, path)
    assert (result.imported, result.invalid_rows) == (2, 0)
    (cut,) = result.to_check
    assert (cut.row_number, cut.column, cut.message) == (
        2,
        "Notes",
        "Too long: the first {limit} characters were kept.",
    )
    assert len(cut.raw) <= 50  # the check does not carry the ten megabytes
    with svc.uow() as uow:
        notes = uow.session.scalar(select(Contact.notes).where(Contact.last_name == "Note"))
    assert notes == "x" * 20_000


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"First Name,Last Name\n", "The file holds no contacts."),
        (b"\x00\x01\x02\x03binary\x00\x00", "The file holds binary data, not text."),
    ],
)
def test_unreadable_files_are_refused(
    svc: Services, owner: Actor, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileUnreadable) as refused:
        svc.imports.preview(owner, path)
    assert refused.value.message == message


def test_a_file_over_the_limit_is_refused_before_reading(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:
        handle.truncate(51 * 1024 * 1024)
    with pytest.raises(ImportFileUnreadable) as refused:
        svc.imports.preview(owner, path)
    assert refused.value.params == {"limit": 50}


def test_a_wrong_encoding_chosen_by_hand_is_refused(svc: Services, owner: Actor) -> None:
    preview = svc.imports.preview(owner, CORPUS / "outlook_nl_cp1252.csv")
    shape = dataclasses.replace(preview.shape, encoding="utf-8")
    with pytest.raises(ImportFileUnreadable):
        svc.imports.preview(owner, CORPUS / "outlook_nl_cp1252.csv", shape)


# -- the plan --------------------------------------------------------------------------------


def test_source_purpose_and_legal_basis_are_mandatory(svc: Services, owner: Actor) -> None:
    path = CORPUS / "outlook_en.csv"
    bad = [
        {"source": SourceInput(SourceKind.THIRD_PARTY, "  ")},
        {"source": SourceInput(None, "List")},
        {"purpose_code": "no_such_purpose"},
        {"legal_basis": ""},
    ]
    for changes in bad:
        with pytest.raises(ImportPlanInvalid):
            svc.imports.check(owner, plan_for(svc, owner, path, **changes))
    assert count_contacts(svc) == 0


def test_a_consent_column_needs_purpose_and_channel(svc: Services, owner: Actor) -> None:
    path = CORPUS / "excel_nl_bom_semicolon.csv"
    plan = plan_for(svc, owner, path)
    mapping = tuple(
        ColumnTarget(ImportField.CONSENT) if t and t.field is ImportField.CONSENT else t
        for t in plan.mapping
    )
    with pytest.raises(ImportPlanInvalid) as refused:
        svc.imports.run(owner, dataclasses.replace(plan, mapping=mapping))
    assert refused.value.problems[0].params == {"column": "Nieuwsbrief"}
    assert count_contacts(svc) == 0


def test_roles_without_import_or_field_rights_are_refused(svc: Services, owner: Actor) -> None:
    path = CORPUS / "outlook_en.csv"
    office = dataclasses.replace(owner, role=Role.OFFICE)
    with pytest.raises(PermissionDenied):
        svc.imports.preview(office, path)
    # Sales may import, but may not fill in birth dates (read-only for them).
    sales = dataclasses.replace(owner, role=Role.SALES)
    with pytest.raises(ImportPlanInvalid) as refused:
        svc.imports.run(sales, plan_for(svc, owner, path))
    assert refused.value.problems[0].params == {"column": "Birthday"}
    plan = plan_for(svc, owner, path)
    mapping = tuple(None if t and t.field is ImportField.BIRTH_DATE else t for t in plan.mapping)
    assert svc.imports.run(sales, dataclasses.replace(plan, mapping=mapping)).imported == 2


def test_a_check_writes_nothing(svc: Services, owner: Actor) -> None:
    result = svc.imports.check(owner, plan_for(svc, owner, CORPUS / "google_contacts.csv"))
    assert (result.batch_id, result.imported) == (None, 2)
    assert count_contacts(svc) == 0
    assert svc.imports.batches(owner) == []


# -- suppression ---------------------------------------------------------------------------


def suppress(svc: Services, kind: HashKind, value: str, reason: SuppressionReason) -> None:
    with svc.uow(write=True) as uow:
        salt = ensure_salt(uow.session)
        uow.session.add(
            Suppression(
                hash_kind=kind.value,
                digest=suppression_digest(salt, kind, value),
                reason=reason.value,
                created_at=dt.datetime(2026, 1, 1),
            )
        )


def test_people_on_the_suppression_list_are_skipped_and_counted(
    svc: Services, owner: Actor
) -> None:
    suppress(svc, HashKind.EMAIL, "Jan.Peeters@example.be", SuppressionReason.ERASURE)
    suppress(svc, HashKind.NAME_POSTCODE, "Zoe Lefevre|4000", SuppressionReason.OBJECTION)
    result = run(svc, owner, CORPUS / "outlook_en.csv")
    assert result.imported == 0
    assert result.skipped == {SkipReason.ERASED: 1, SkipReason.OBJECTED: 1}
    assert result.batch_id is None
    assert count_contacts(svc) == 0


def test_an_erased_person_is_recognised_by_a_landline_too(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    # A landline finds no duplicate, but the suppression list still knows it.
    suppress(svc, HashKind.PHONE, "+3292254567", SuppressionReason.ERASURE)
    path = write(
        tmp_path,
        "back.csv",
        "First Name,Last Name,Business Phone\nJan,Peeters,09 225 45 67\n",
    )
    result = run(svc, owner, path)
    assert result.skipped == {SkipReason.ERASED: 1}
    assert count_contacts(svc) == 0


def test_an_unsubscribed_contact_in_the_file_is_skipped(svc: Services, owner: Actor) -> None:
    cid = svc.contacts.create(
        owner,
        ContactInput(first_name="Lotte", last_name="J", emails=("lotte.janssens@example.be",)),
        HAND,
    )
    svc.consent.unsubscribe(owner, cid)
    result = run(svc, owner, CORPUS / "google_contacts.csv", duplicates=DuplicatePolicy.CREATE)
    assert result.skipped == {SkipReason.OBJECTED: 1}
    assert result.imported == 1


# -- duplicates ----------------------------------------------------------------------------


def test_duplicates_of_existing_contacts_skip_merge_or_create(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    existing = svc.contacts.create(
        owner,
        ContactInput(
            first_name="JAN",
            last_name="Peeters",
            emails=("JAN.PEETERS@example.be",),
            organisation="Andere Naam",
        ),
        HAND,
    )
    # By name + postcode, accents and case folded.
    svc.contacts.create(
        owner, ContactInput(first_name="zoe", last_name="LEFEVRE", postcode="4000"), HAND
    )
    skipped = run(svc, owner, CORPUS / "outlook_en.csv")
    assert skipped.skipped == {SkipReason.DUPLICATE: 2}
    assert count_contacts(svc) == 2
    clock.advance(dt.timedelta(hours=1))
    merged = run(svc, owner, CORPUS / "outlook_en.csv", duplicates=DuplicatePolicy.MERGE)
    assert (merged.merged, merged.imported) == (2, 0)
    assert merged.conflicts == 1  # Jan's organisation differs: kept, not overwritten
    jan = svc.contacts.get(owner, existing)
    assert jan.organisation == "Andere Naam"
    assert jan.first_name == "JAN"
    assert jan.city == "Gent"
    assert [p.value for p in jan.phones] == ["+3292254567", "+32475123456"]
    # Each merged value keeps its own source; the old ones keep theirs.
    assert jan.provenance["city"].description == "Trade fair list 2026"
    assert jan.provenance["organisation"].description == "Called us"
    assert jan.emails[0].source.description == "Called us"
    assert jan.phones[0].source.description == "Trade fair list 2026"
    assert svc.contacts.count(owner, "Gent") == 1  # the index knows the merged city
    created = run(svc, owner, CORPUS / "outlook_en.csv", duplicates=DuplicatePolicy.CREATE)
    assert created.imported == 2
    assert count_contacts(svc) == 4


def test_duplicates_inside_the_file(svc: Services, owner: Actor, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "twice.csv",
        "First Name,Last Name,E-mail Address,Mobile Phone,City\n"
        "Jan,Peeters,jan@example.be,,\n"
        "Jan,Peeters,JAN@example.be,0475 12 34 56,Gent\n"
        "Other,Person,other@example.be,0475 12 34 56,\n",
    )
    skip = svc.imports.check(owner, plan_for(svc, owner, path))
    assert (skip.imported, skip.skipped) == (2, {SkipReason.DUPLICATE_IN_FILE: 1})
    merge = run(svc, owner, path, duplicates=DuplicatePolicy.MERGE)
    # Row 3 shares Jan's mobile once row 2 is merged, but its name and e-mail address
    # are another person's: it is a contact of its own, and Jan gets nothing of it.
    assert (merge.imported, merge.merged) == (2, 1)
    jan = svc.contacts.get(owner, contact_by_email(svc, owner, "jan@example.be"))
    assert jan.city == "Gent"
    assert [p.value for p in jan.phones] == ["+32475123456"]
    assert [e.value for e in jan.emails] == ["jan@example.be"]
    assert count_contacts(svc) == 2


def test_colleagues_sharing_a_switchboard_are_two_people(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "office.csv",
        "First Name,Last Name,E-mail Address,Business Phone,Mobile Phone\n"
        "Jan,Peeters,jan@acme.be,09 225 45 67,0475 12 34 56\n"
        "Piet,Claes,piet@acme.be,09 225 45 67,0486 11 22 33\n",
    )
    skip = svc.imports.check(owner, plan_for(svc, owner, path))
    assert (skip.imported, skip.skipped) == (2, {})
    merge = run(svc, owner, path, duplicates=DuplicatePolicy.MERGE)
    assert (merge.imported, merge.merged) == (2, 0)
    jan = svc.contacts.get(owner, contact_by_email(svc, owner, "jan@acme.be"))
    assert [e.value for e in jan.emails] == ["jan@acme.be"]
    assert [p.value for p in jan.phones] == ["+3292254567", "+32475123456"]
    # A third colleague later, at the same switchboard: not a duplicate of either.
    later = write(
        tmp_path,
        "later.csv",
        "First Name,Last Name,Business Phone\nAn,Maes,09 225 45 67\n",
    )
    again = run(svc, owner, later, duplicates=DuplicatePolicy.MERGE)
    assert (again.imported, again.merged) == (1, 0)
    # The same person at the switchboard again is found by name and number.
    same = write(
        tmp_path,
        "same.csv",
        "First Name,Last Name,Business Phone,City\nAn,Maes,+32 9 225 45 67,Gent\n",
    )
    found = run(svc, owner, same, duplicates=DuplicatePolicy.MERGE)
    assert (found.imported, found.merged) == (0, 1)
    assert count_contacts(svc) == 3


def test_a_shared_mobile_or_address_with_another_name_is_no_duplicate(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    svc.contacts.create(
        owner,
        ContactInput(
            first_name="Jan",
            last_name="Peeters",
            emails=("info@peeters.be",),
            phones=("+32475123456",),
        ),
        HAND,
    )
    path = write(
        tmp_path,
        "family.csv",
        "First Name,Last Name,E-mail Address,Mobile Phone\n"
        "Marie,Peeters,info@peeters.be,\n"
        ",Peeters,marie@peeters.be,0475 12 34 56\n"
        "J.,Peeters,,0475 12 34 56\n",
    )
    result = run(svc, owner, path, duplicates=DuplicatePolicy.MERGE)
    # Marie shares the address but not the name; the second row shares the mobile and
    # may have the name, but not the e-mail address; "J. Peeters" at Jan's mobile is Jan.
    assert (result.imported, result.merged) == (2, 1)
    assert count_contacts(svc) == 3


def test_a_contact_with_only_a_name_and_organisation_is_found_again(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    svc.contacts.create(
        owner, ContactInput(first_name="Zoë", last_name="Lefèvre", organisation="Bakkerij"), HAND
    )
    svc.contacts.create(owner, ContactInput(first_name="Lotte", last_name="Maes"), HAND)
    svc.contacts.create(
        owner,
        ContactInput(kind=ContactKind.ORGANISATION_ADDRESS, organisation="Brouwerij De Halve Maan"),
        HAND,
    )
    path = write(
        tmp_path,
        "again.csv",
        "First Name,Last Name,Company,City\n"
        "zoe,LEFEVRE,bakkerij,\n"
        "Lotte,Maes,,\n"
        ",,Brouwerij De Halve Maan,\n"
        "Lotte,Maes,Other Company,\n",
    )
    result = run(svc, owner, path)
    # The last Lotte has an organisation the stored one has not: she may be another.
    assert (result.imported, result.skipped) == (1, {SkipReason.DUPLICATE: 3})


# -- cancel and undo -----------------------------------------------------------------------


def many_rows(tmp_path: Path, count: int) -> Path:
    lines = ["First Name,Last Name,E-mail Address"]
    lines += [f"P{i},Person{i},p{i}@example.be" for i in range(count)]
    return write(tmp_path, "many.csv", "\n".join(lines) + "\n")


class Stop(Exception):
    pass


def test_cancel_while_reading_writes_nothing(svc: Services, owner: Actor, tmp_path: Path) -> None:
    def progress(done: int, total: int) -> None:
        if done > 0:
            raise Stop

    result = svc.imports.run(owner, plan_for(svc, owner, many_rows(tmp_path, 1200)), progress)
    assert result.cancelled
    assert result.batch_id is None
    assert count_contacts(svc) == 0


def test_cancel_while_writing_keeps_whole_chunks_and_can_be_undone(
    svc: Services, owner: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_write, "CHUNK", 100)
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= 250 + 200:  # reading 250 rows, then two chunks written
            raise Stop

    result = svc.imports.run(owner, plan_for(svc, owner, many_rows(tmp_path, 250)), progress)
    assert result.cancelled
    assert result.imported == 200
    assert seen[-1] == (450, 500)
    assert count_contacts(svc) == result.imported
    assert result.batch_id is not None
    with svc.uow() as uow:
        emails = uow.session.execute(select(func.count()).select_from(ContactEmail)).scalar()
        batch = uow.session.get(ImportBatch, result.batch_id)
        assert batch is not None
        assert (batch.status, batch.imported) == ("cancelled", result.imported)
    assert emails == result.imported
    assert svc.imports.undo(owner, result.batch_id) == result.imported
    assert count_contacts(svc) == 0


def test_undo_removes_the_whole_batch(svc: Services, owner: Actor) -> None:
    before = svc.contacts.create(owner, ContactInput(first_name="Keep", last_name="Me"), HAND)
    result = run(svc, owner, CORPUS / "excel_nl_bom_semicolon.csv")
    assert result.batch_id is not None
    assert svc.contacts.count(owner) == 5
    [row] = svc.imports.batches(owner)
    assert (row.contacts, row.undoable, row.undone, row.created_by) == (4, True, False, "owner")
    assert svc.imports.undo(owner, result.batch_id) == 4
    assert svc.contacts.count(owner) == 1  # the counting triggers kept up
    assert svc.contacts.count(owner, "Wouters") == 0  # gone from the index
    assert svc.contacts.get(owner, before).first_name == "Keep"
    with svc.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(ConsentEvent)).scalar() == 0
        assert (
            uow.session.execute(
                select(func.count())
                .select_from(Source)
                .where(Source.import_batch_id == result.batch_id)
            ).scalar()
            == 0
        )
        actions = list(
            uow.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("import.%"))
                .order_by(AuditEvent.id)
            )
        )
    assert actions == ["import.run", "import.undo"]
    [row] = svc.imports.batches(owner)
    assert (row.undone, row.undoable) == (True, False)
    with pytest.raises(ImportUndoRefused):
        svc.imports.undo(owner, result.batch_id)


def test_undo_is_refused_once_a_contact_was_edited(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    result = run(svc, owner, CORPUS / "outlook_en.csv")
    assert result.batch_id is not None
    cid = contact_by_email(svc, owner, "jan.peeters@example.be")
    detail = svc.contacts.get(owner, cid)
    clock.advance(dt.timedelta(minutes=5))
    svc.contacts.update(
        owner,
        cid,
        detail.version,
        ContactInput(
            first_name="Jan", last_name="Peeters-Edited", emails=("jan.peeters@example.be",)
        ),
        HAND,
    )
    assert svc.imports.batches(owner)[0].undoable is False
    with pytest.raises(ImportUndoRefused) as refused:
        svc.imports.undo(owner, result.batch_id)
    assert refused.value.edited == 1
    assert count_contacts(svc) == 2


def test_undo_takes_back_what_a_merge_added(svc: Services, owner: Actor, clock: FixedClock) -> None:
    existing = svc.contacts.create(
        owner,
        ContactInput(first_name="Jan", last_name="Peeters", emails=("jan.peeters@example.be",)),
        HAND,
    )
    version = svc.contacts.get(owner, existing).version
    clock.advance(dt.timedelta(hours=1))
    result = run(svc, owner, CORPUS / "outlook_en.csv", duplicates=DuplicatePolicy.MERGE)
    assert (result.merged, result.imported) == (1, 1)
    merged = svc.contacts.get(owner, existing)
    assert merged.version == version + 1  # an editor open before the merge must reload
    assert merged.city == "Gent"
    assert result.batch_id is not None
    clock.advance(dt.timedelta(hours=1))
    assert svc.imports.undo(owner, result.batch_id) == 1
    back = svc.contacts.get(owner, existing)
    assert (back.city, back.street, back.birth_date, back.phones) == ("", "", None, ())
    assert [e.value for e in back.emails] == ["jan.peeters@example.be"]
    assert "city" not in {
        f for f in back.provenance if back.provenance[f].description == "Trade fair list 2026"
    }
    assert svc.contacts.count(owner, "Gent") == 0
    with svc.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(FieldProvenance)).scalar() == 0


def test_keep_until_dates_are_what_a_recompute_gives(svc: Services, owner: Actor) -> None:
    run(svc, owner, CORPUS / "excel_nl_bom_semicolon.csv")  # with and without consents
    run(svc, owner, CORPUS / "outlook_en.csv")

    def dates() -> list[tuple[int, object, str]]:
        with svc.uow() as uow:
            return list(
                uow.session.execute(
                    select(Contact.id, Contact.keep_until, Contact.keep_reason).order_by(Contact.id)
                ).tuples()
            )

    before = dates()
    assert all(reason for _id, _until, reason in before)
    svc.retention.recompute_all()
    assert dates() == before


@pytest.mark.sqlite_only  # SQLite's query plans
def test_duplicate_look_ups_use_indexes(svc: Services, owner: Actor) -> None:
    from sqlalchemy import event

    svc.contacts.create(
        owner,
        ContactInput(
            first_name="Jan",
            last_name="Peeters",
            emails=("JAN.PEETERS@example.be",),
            postcode="9000",
        ),
        HAND,
    )
    captured: list[tuple[str, object]] = []

    def capture(
        _conn: object, _cursor: object, statement: str, params: object, *_a: object
    ) -> None:
        if " IN (" in statement and "FROM contact" in statement:
            captured.append((statement, params))

    engine = svc.uow.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        result = run(svc, owner, CORPUS / "outlook_en.csv")
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert result.skipped == {SkipReason.DUPLICATE: 1}  # found despite the case
    plans = []
    with engine.connect() as conn:
        for statement, params in captured[:3]:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            plans.append(" ".join(str(r[-1]) for r in rows))
    assert len(plans) == 3
    assert "INDEX ix_contact_email_address" in plans[0]
    assert "INDEX ix_contact_phone_number" in plans[1]
    # By name: an index that starts with the sort name (the list's, or the duplicate
    # finder's name + postcode one).
    assert re.search(r"INDEX ix_contact_(sort|name_postcode) \(sort_name=\?", plans[2]), plans[2]
    assert not any(p.startswith("SCAN") for p in plans)


def test_undo_removes_a_consent_merged_on_its_own(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    sofie = svc.contacts.create(
        owner,
        ContactInput(
            first_name="Sofie",
            last_name="Wouters",
            emails=("sofie.wouters@example.be",),
            phones=("0478 12 12 12",),
            street="Dorpsstraat 1",
            postcode="3000",
            city="Leuven",
        ),
        HAND,
    )
    version = svc.contacts.get(owner, sofie).version
    clock.advance(dt.timedelta(hours=1))
    result = run(
        svc, owner, CORPUS / "excel_nl_bom_semicolon.csv", duplicates=DuplicatePolicy.MERGE
    )
    assert (result.merged, result.imported) == (1, 3)
    assert svc.contacts.get(owner, sofie).version == version  # nothing new but the consent
    assert [e.status for e in svc.consent.history(owner, sofie)] == [ConsentStatus.OPT_IN]
    assert result.batch_id is not None
    assert svc.imports.undo(owner, result.batch_id) == 3
    assert svc.consent.history(owner, sofie) == []
    assert svc.contacts.get(owner, sofie).first_name == "Sofie"


def test_values_kept_as_typed_are_reviewed_and_do_not_stop_a_save(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "world.csv",
        "First Name,Last Name,E-mail Address,Business Phone,Business Postal Code,"
        "Business Country/Region,Birthday\n"
        "Bob,Smith,bob@example.com,(905) 555-1234,K1A 0B1,Canada,--05-17\n"
        "Ann,Lee,ann@example.com,BusinessPhone,99,België,1850-03-04\n"
        "Kim,Park,kim@example.com,,75001,,\n"
        "Lou,Dee,lou@example.invalid,,,,\n",
    )
    result = run(svc, owner, path)
    assert (result.imported, result.invalid_rows) == (4, 0)
    bob = contact_by_email(svc, owner, "bob@example.com")
    ann = contact_by_email(svc, owner, "ann@example.com")
    kim = contact_by_email(svc, owner, "kim@example.com")
    issues = {i.contact_id: i.problems for i in svc.quality.review(owner)}
    assert issues[bob] == (
        ("The phone number {value} looks made up (555)", {"value": "+19055551234"}),
    )
    assert issues[ann] == (
        ("The phone number {value} could not be read", {"value": "BusinessPhone"}),
        (
            "The postcode {value} does not fit the country {country}",
            {"value": "99", "country": "BE"},
        ),
    )
    assert issues[kim] == (("The address has no country", {}),)
    lou = contact_by_email(svc, owner, "lou@example.invalid")
    assert issues[lou] == (
        ("The e-mail address {value} could not be read", {"value": "lou@example.invalid"}),
    )
    # A birthday without a year is stored (year 1604) and is no problem to review.
    assert svc.contacts.get(owner, bob).birth_date == dt.date(1604, 5, 17)
    # The editor saves Ann with her unreadable number and postcode unchanged...
    detail = svc.contacts.get(owner, ann)
    data = dataclasses.replace(input_from(detail), city="Gent")
    saved = svc.contacts.update(owner, ann, detail.version, data, SOURCE)
    assert (saved.city, [p.value for p in saved.phones], saved.postcode, saved.birth_date) == (
        "Gent",
        ["BusinessPhone"],
        "99",
        dt.date(1850, 3, 4),
    )
    # ... but a new value must be one it can read.
    with pytest.raises(ValidationFailed):
        svc.contacts.update(
            owner, ann, saved.version, dataclasses.replace(data, postcode="98"), SOURCE
        )


def test_a_contact_with_only_an_e_mail_address_is_listed_by_it(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "mail.csv",
        "E-mail Address,Mobile Phone\ninfo.only@example.be,\n,0475 99 88 77\n",
    )
    assert run(svc, owner, path).imported == 2
    names = {row.name for row in svc.contacts.page(owner)}
    assert {"info.only@example.be", "+32475998877"} <= names


def test_values_kept_as_typed_or_made_up_are_no_duplicate_keys(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    # Test files give everybody the same placeholder: each person still arrives.
    path = write(
        tmp_path,
        "placeholders.csv",
        "First Name,Last Name,E-mail Address,Business Phone,Mobile Phone\n"
        "Ann,Lee,not-an-address@,BusinessPhone,+1 905 555 1234\n"
        "Bob,Roy,not-an-address@,BusinessPhone,+1 905 555 1234\n",
    )
    result = run(svc, owner, path)
    assert (result.imported, sum(result.skipped.values())) == (2, 0)
    assert len(result.to_check) == 6


def test_a_person_with_a_new_e_mail_address_is_found_by_name_and_mobile(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    svc.contacts.create(
        owner,
        ContactInput(
            first_name="Jan",
            last_name="Peeters",
            emails=("jan@example.be",),
            phones=("+32475111111",),
            postcode="9000",
        ),
        HAND,
    )
    path = write(
        tmp_path,
        "moved.csv",
        "First Name,Last Name,E-mail Address,Mobile Phone,Home Postal Code\n"
        "Jan,Peeters,jan.new@example.be,0475 11 11 11,9000\n",
    )
    result = run(svc, owner, path, duplicates=DuplicatePolicy.MERGE)
    assert (result.imported, result.merged) == (0, 1)
    jan = svc.contacts.get(owner, contact_by_email(svc, owner, "jan@example.be"))
    assert [e.value for e in jan.emails] == ["jan@example.be", "jan.new@example.be"]


def test_a_row_two_people_could_be_is_merged_into_neither(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    for first in ("Jan", "Marie"):
        svc.contacts.create(
            owner,
            ContactInput(first_name=first, last_name="Peeters", emails=("family@peeters.be",)),
            HAND,
        )
    path = write(
        tmp_path,
        "family.csv",
        "First Name,Last Name,E-mail Address,Mobile Phone\n,,family@peeters.be,0476 22 22 22\n",
    )
    result = run(svc, owner, path, duplicates=DuplicatePolicy.MERGE)
    assert (result.imported, result.merged) == (1, 0)
    assert [(c.row_number, c.message, c.params) for c in result.to_check] == [
        (1, MATCHES_SEVERAL, {"count": 2})
    ]
    with svc.uow() as uow:
        numbers = uow.session.scalars(select(ContactPhone.number)).all()
    assert numbers == ["+32476222222"]  # the new contact's, neither Jan's nor Marie's


def test_a_merge_takes_an_address_whole_or_not_at_all(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    svc.contacts.create(
        owner,
        ContactInput(
            first_name="Jan",
            last_name="Peeters",
            emails=("jan@example.be",),
            postcode="9000",
            city="Gent",
        ),
        HAND,
    )
    svc.contacts.create(
        owner, ContactInput(first_name="An", last_name="Maes", emails=("an@example.be",)), HAND
    )
    path = write(
        tmp_path,
        "moved.csv",
        "First Name,Last Name,E-mail Address,Home Street,Home Postal Code,Home City\n"
        "Jan,Peeters,jan@example.be,Nieuwstraat 9,2000,Antwerpen\n"
        "An,Maes,an@example.be,Nieuwstraat 9,2000,Antwerpen\n",
    )
    result = run(svc, owner, path, duplicates=DuplicatePolicy.MERGE)
    assert (result.merged, result.conflicts) == (2, 1)
    jan = svc.contacts.get(owner, contact_by_email(svc, owner, "jan@example.be"))
    # Never "Nieuwstraat 9, 9000 Gent": Jan keeps his address, the other one is a conflict.
    assert (jan.street, jan.postcode, jan.city) == ("", "9000", "Gent")
    an = svc.contacts.get(owner, contact_by_email(svc, owner, "an@example.be"))
    assert (an.street, an.postcode, an.city) == ("Nieuwstraat 9", "2000", "Antwerpen")


def test_a_stray_nul_character_costs_no_contact(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "nul.csv",
        "First name,Last name,E-mail\nJan,Peeters,jan@x.be\n"
        "An,Cl\0aes,an@x.be\nEls,Wouters,e@x.be\n",
    )
    result = run(svc, owner, path)
    assert (result.imported, result.invalid) == (3, ())
    assert svc.contacts.count(owner, "Claes") == 1


def test_a_value_kept_in_the_notes_is_not_cut_when_the_notes_are_long(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    name = "Van " + "Lange" * 60  # longer than a last name may be: kept in the notes
    path = tmp_path / "long.csv"
    path.write_text(f'First Name,Last Name,E-mail,Notes\nJan,{name},jan@x.be,"{"y" * 19_990}"\n')
    result = run(svc, owner, path)
    assert result.imported == 1
    with svc.uow() as uow:
        notes = str(uow.session.scalar(select(Contact.notes)))
    assert name in notes
    assert len(notes) <= 20_000
    assert notes.startswith("y" * 1_000)


def test_columns_without_a_field_of_their_own_are_kept_in_the_notes(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "outlook.csv",
        "First Name,Last Name,Job Title,Department,Business Fax,Web Page,E-mail Address\n"
        "Jan,Peeters,Zaakvoerder,Verkoop,09 222 33 44,https://peeters.be,jan@x.be\n",
    )
    result = run(svc, owner, path)
    assert result.imported == 1
    jan = svc.contacts.get(owner, contact_by_email(svc, owner, "jan@x.be"))
    assert jan.notes.splitlines() == [
        "Job Title: Zaakvoerder",
        "Department: Verkoop",
        "Business Fax: 09 222 33 44",
        "Web Page: https://peeters.be",
    ]
    vcf = write(
        tmp_path,
        "card.vcf",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Claes;An;;;\r\nFN:An Claes\r\nEMAIL:an@x.be\r\n"
        "NICKNAME:Anneke\r\nURL:https://an.be\r\nX-ABRELATEDNAMES:Piet\r\nEND:VCARD\r\n",
    )
    assert run(svc, owner, vcf).imported == 1
    an = svc.contacts.get(owner, contact_by_email(svc, owner, "an@x.be"))
    assert an.notes.splitlines() == ["Nickname: Anneke", "Website: https://an.be", "Related: Piet"]
