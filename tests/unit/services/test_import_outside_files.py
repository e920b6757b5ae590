"""Files shaped like the real ones an outside attack imported (December 2026), each of
which lost or mangled a contact: reproduced in a few lines here (the originals' licences
are noted in the attack's report, not copied)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from privacycrm_desktop.domain.import_formats import DuplicatePolicy
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportPlan, ImportResult
from privacycrm_desktop.services.registry import Services

SOURCE = SourceInput(SourceKind.THIRD_PARTY, "Files from other programs", dt.date(2026, 2, 1))


def imported(svc: Services, actor: Actor, path: Path) -> ImportResult:
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
    return svc.imports.run(actor, plan)


def names(svc: Services, actor: Actor) -> list[tuple[str, str]]:
    rows = svc.contacts.page(actor, limit=100)
    return sorted(
        (contact.first_name, contact.last_name)
        for contact in (svc.contacts.get(actor, row.id) for row in rows)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A German list (Tine 2.0's test files): "Name" beside "Vorname" is the surname.
        (
            "Vorwahl_Tel;Telefonnummer;Name;Vorname;und_so_weiter\n0190;800;Muster;Max;x\n",
            [("Max", "Muster")],
        ),
        # A full-name column beside the first name: the rest of it is the last name.
        (
            "Full Name,First Name,E-mail\nJan Peeters,Jan,jan@example.be\n"
            "PEETERS Marie,Marie,marie@example.be\n",
            [("Jan", "Peeters"), ("Marie", "PEETERS")],
        ),
    ],
)
def test_a_name_column_beside_a_first_name_keeps_the_surname(
    svc: Services, owner: Actor, tmp_path: Path, text: str, expected: list[tuple[str, str]]
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    result = imported(svc, owner, path)
    assert result.imported == len(expected)
    assert names(svc, owner) == expected
