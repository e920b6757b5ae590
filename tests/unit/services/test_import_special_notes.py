"""Notes that suggest special-category data, on the import's way in (rule 10): without the
user's confirmation the contact still arrives, without those lines, each listed to check;
with it the notes are kept whole and the import's audit event counts them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from privacycrm_desktop.domain.import_formats import DuplicatePolicy
from privacycrm_desktop.domain.import_values import NOTES_LEFT_OUT
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.models import AuditEvent, Contact
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportPlan, ImportResult
from privacycrm_desktop.services.registry import Services

SOURCE = SourceInput(SourceKind.THIRD_PARTY, "Trade fair list 2026", dt.date(2026, 2, 1))

CSV = (
    "First name,Last name,E-mail,Notes\n"
    'Zoë,Lefèvre,zoe@example.be,"Met at the fair\nDiabetes type 2, no sugar\nCalls on Fridays"\n'
    "Jan,Peeters,jan@example.be,Prefers e-mail\n"
)


def run(svc: Services, owner: Actor, path: Path, confirm_special: bool = False) -> ImportResult:
    preview = svc.imports.preview(owner, path)
    plan = ImportPlan(
        path,
        preview.shape,
        preview.mapping,
        SOURCE,
        "customer_relationship",
        "contract",
        DuplicatePolicy.SKIP,
        confirm_special=confirm_special,
    )
    return svc.imports.run(owner, plan)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def notes_of(svc: Services) -> dict[str, str]:
    with svc.uow() as uow:
        return dict(uow.session.execute(select(Contact.last_name, Contact.notes)).tuples().all())


def last_import_event(svc: Services) -> str:
    with svc.uow() as uow:
        return str(
            uow.session.execute(
                select(AuditEvent.detail)
                .where(AuditEvent.action == "import.run")
                .order_by(AuditEvent.id.desc())
                .limit(1)
            ).scalar_one()
        )


def test_without_confirmation_the_contact_arrives_without_the_special_lines(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    result = run(svc, owner, write(tmp_path, "people.csv", CSV))
    assert (result.imported, result.invalid) == (2, ())
    notes = notes_of(svc)
    assert notes["Lefèvre"] == "Met at the fair\nCalls on Fridays"
    assert notes["Peeters"] == "Prefers e-mail"
    (left_out,) = [v for v in result.to_check if v.message == NOTES_LEFT_OUT]
    assert (left_out.row_number, left_out.column, left_out.field) == (1, "Notes", "notes")
    # The value to check names the words found, never the line it left out.
    assert "diabet" in left_out.raw.lower()
    assert "sugar" not in left_out.raw
    assert "special_confirmed" not in last_import_event(svc)


def test_with_confirmation_the_notes_are_kept_and_the_audit_counts_them(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    result = run(svc, owner, write(tmp_path, "people.csv", CSV), confirm_special=True)
    assert (result.imported, result.invalid) == (2, ())
    assert (
        notes_of(svc)["Lefèvre"] == "Met at the fair\nDiabetes type 2, no sugar\nCalls on Fridays"
    )
    assert not [v for v in result.to_check if v.message == NOTES_LEFT_OUT]
    assert "special_confirmed=1" in last_import_event(svc)
