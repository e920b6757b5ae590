"""An outside tester's findings on the interactions files and the company search, on SQLite
and PostgreSQL: the export names a purpose and a recipient and fills the disclosure ledger,
a person's export holds the interactions they took part in, one import is one transaction
(a killed one leaves nothing), a trial run runs the same checks, bad files are refused
with a sentence, and a company's searchable custom values are found as the role may read
them."""

from __future__ import annotations

import csv
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind, CustomTarget
from privacycrm_desktop.domain.errors import ImportFileUnreadable, ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.disclosures import TransferRefused
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2026, 2, 20))
PURPOSE = "customer_relationship"
PASSWORD = "a long password 1"


def _person(svc: Services, owner: Actor, first: str, email: str = "") -> int:
    data = ContactInput(
        first_name=first,
        last_name="Peeters",
        emails=(email,) if email else (),
        relationship=Relationship.PROSPECT,
    )
    return svc.contacts.create(owner, data, CARD)


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


# -- export -------------------------------------------------------------------------------


def test_an_export_needs_a_purpose_and_a_recipient_and_is_disclosed(
    svc: Services, owner: Actor, engine: Engine, tmp_path: Path
) -> None:
    jan = _person(svc, owner, "Jan", "jan@example.be")
    piet = _person(svc, owner, "Piet")
    svc.activities.add(owner, jan, ActivityInput(ActivityKind.CALL, "Called", people=(piet,)))
    out = tmp_path / "out.csv"
    transfer = svc.activity_transfer
    with pytest.raises(ValidationFailed) as refused:
        transfer.export(owner, out, purpose="nonsense", recipient="")
    assert {p.field for p in refused.value.problems} == {"purpose", "recipient"}
    with pytest.raises(TransferRefused):
        transfer.export(owner, out, purpose=PURPOSE, recipient="Broker X", recipient_own_use=True)
    assert not out.exists()
    assert _count(engine, "SELECT count(*) FROM disclosure") == 0
    done = transfer.export(owner, out, purpose=PURPOSE, recipient="Accountant Y")
    assert done.count == 1
    # Everyone the file is about is in the ledger: the owner and who took part.
    for person in (jan, piet):
        (entry,) = svc.disclosures.disclosures(owner, person)
        assert entry.recipient == "Accountant Y"
    internal = transfer.export(
        owner, tmp_path / "in.csv", purpose=PURPOSE, recipient="Me", recipient_kind=None
    )
    assert internal.count == 1
    assert _count(engine, "SELECT count(*) FROM disclosure") == 2  # none for internal use
    details = [
        str(d)
        for (d,) in engine.connect().execute(
            text("SELECT detail FROM audit_event WHERE action = 'activity.export' ORDER BY id")
        )
    ]
    assert len(details) == 2
    assert "recipient=internal" in details[1]
    assert all("Accountant" not in d and "Called" not in d for d in details)


def test_a_persons_export_holds_what_their_timeline_shows(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    jan = _person(svc, owner, "Jan")
    piet = _person(svc, owner, "Piet")
    company = svc.companies.add(owner, CompanyInput(name="Acme BV"), CARD)
    svc.activities.add(owner, jan, ActivityInput(ActivityKind.CALL, "Own call"))
    svc.activities.add(owner, piet, ActivityInput(ActivityKind.MEETING, "Met", people=(jan,)))
    svc.activities.add_to_company(
        owner, company, ActivityInput(ActivityKind.VISIT, "Plant visit", people=(jan,))
    )
    svc.activities.add(owner, piet, ActivityInput(ActivityKind.NOTE, "Piet alone"))
    shown = {a.summary: a.linked for a in svc.activities.timeline(owner, jan)}
    for profile in ("privacycrm", "teamleader", "odoo"):
        from privacycrm_desktop.domain.activity_csv import ActivityProfile

        out = tmp_path / f"{profile}.csv"
        done = svc.activity_transfer.export(
            owner, out, ActivityProfile(profile), purpose=PURPOSE, recipient="X", contact_id=jan
        )
        with out.open(encoding="utf-8-sig", newline="") as stream:
            rows = list(csv.DictReader(stream))
        assert done.count == len(shown) == 3
        summary = next(h for h in rows[0] if h.lower() in ("summary", "subject"))
        linked = next(h for h in rows[0] if h.lower() == "linked")
        assert {r[summary]: r[linked] == "1" for r in rows} == shown, profile


# -- import -------------------------------------------------------------------------------


def test_a_trial_run_refuses_what_the_real_run_refuses(
    svc: Services, owner: Actor, engine: Engine, tmp_path: Path
) -> None:
    jan = _person(svc, owner, "Jan")
    rows = [["contact_id", "kind", "occurred_at", "summary", "people"]]
    rows += [[str(jan), "call", "2025-03-01", f"Call {i}", ""] for i in range(3)]
    rows += [[str(jan), "call", "2025-03-01", "With a stranger", "999999"]]
    file = _write(tmp_path / "in.csv", rows)
    trial = svc.activity_transfer.import_file(owner, file, dry_run=True)
    assert _count(engine, "SELECT count(*) FROM activity") == 0
    real = svc.activity_transfer.import_file(owner, file)
    assert (trial.imported, trial.refused) == (real.imported, real.refused)
    assert real.imported == 3
    assert [r.reason for r in trial.refused] == ["bad_people"]
    assert _count(engine, "SELECT count(*) FROM activity") == 3


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'contact_id,summary\n1,"never closed\n1,next\n', "quote"),
        (bytes(range(256)) * 100, "binary"),
        (b"", "empty"),
        (b"contact_id,kind,occurred_at,summary\n", "interactions"),
    ],
    ids=["open-quote", "binary", "empty", "header-only"],
)
def test_a_bad_file_is_refused_with_a_sentence_and_nothing_imported(
    svc: Services, owner: Actor, engine: Engine, tmp_path: Path, content: bytes, expected: str
) -> None:
    _person(svc, owner, "Jan")
    file = tmp_path / "bad.csv"
    file.write_bytes(content)
    with pytest.raises(ImportFileUnreadable) as refused:
        svc.activity_transfer.import_file(owner, file)
    assert expected in refused.value.message.lower()
    assert _count(engine, "SELECT count(*) FROM activity") == 0


def test_long_cells_and_utf16_files_are_read(
    svc: Services, owner: Actor, engine: Engine, tmp_path: Path
) -> None:
    jan = _person(svc, owner, "Jan")
    header = "contact_id;kind;occurred_at;summary;details\n"
    line = f"{jan};call;01/03/2025;Gebeld;ok\n"
    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes((header + line + line).encode("utf-16"))
    assert svc.activity_transfer.import_file(owner, utf16).imported == 2
    big = tmp_path / "big.csv"
    big.write_text(header + f"{jan};call;01/03/2025;Long;{'x' * 10_000_000}\n" + line)
    done = svc.activity_transfer.import_file(owner, big)
    assert (done.rows, done.imported, [r.reason for r in done.refused]) == (2, 1, ["invalid"])


CHILD = """
import datetime as dt, sys, time
from pathlib import Path
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services import activities
from privacycrm_desktop.domain.access import Role
plain = activities.record_event
count = 0
def slow(*args, **kwargs):
    # Each logged interaction's audit event: after the fifth, the parent kills us.
    global count
    plain(*args, **kwargs)
    count += 1
    if count == 5:
        print("half", flush=True)
        time.sleep(60)
activities.record_event = slow
engine = create_engine_for(sys.argv[1])
svc = Services.build(engine, FixedClock(dt.datetime(2026, 3, 2, 10, 0)))
svc.activity_transfer.import_file(Actor(1, "owner", Role.OWNER), Path(sys.argv[2]))
"""


@pytest.mark.slow
def test_a_killed_import_leaves_nothing_and_a_second_run_imports_each_row_once(
    svc: Services, owner: Actor, engine: Engine, migrated_url: str, tmp_path: Path
) -> None:
    jan = _person(svc, owner, "Jan")
    rows = [["contact_id", "kind", "occurred_at", "summary"]]
    rows += [[str(jan), "call", "2025-03-01", f"Call {i}"] for i in range(10)]
    file = _write(tmp_path / "in.csv", rows)
    engine.dispose()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, migrated_url, str(file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == b"half"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    time.sleep(0.2)  # PostgreSQL notices the lost connection and rolls back
    assert _count(engine, "SELECT count(*) FROM activity") == 0
    assert _count(engine, "SELECT count(*) FROM audit_event WHERE action LIKE 'activity.%'") == 0
    done = svc.activity_transfer.import_file(owner, file)
    assert done.imported == 10
    assert _count(engine, "SELECT count(*) FROM activity") == 10


# -- company search -----------------------------------------------------------------------


def test_company_search_finds_searchable_custom_values_the_role_may_read(
    svc: Services, owner: Actor
) -> None:
    company = CustomTarget.COMPANY
    for definition in (
        CustomFieldDefinition("sector", "Sector", CustomKind.TEXT, searchable=True, on=company),
        CustomFieldDefinition(
            "rating", "Rating", CustomKind.TEXT, searchable=True, restricted=True, on=company
        ),
        CustomFieldDefinition("remark", "Remark", CustomKind.TEXT, on=company),
    ):
        svc.custom_fields.define(owner, definition)
    values = {"sector": "Glasblazerij", "rating": "Wanbetaler", "remark": "Zeilboot"}
    acme = svc.companies.add(owner, CompanyInput(name="Acme NV"), CARD, values)
    actors = {Role.OWNER: owner}
    for role in Role:
        if role is not Role.OWNER:
            svc.auth.add_user(owner, role.value, PASSWORD, role)
            actors[role] = svc.auth.login(role.value, PASSWORD)
    searched = 0
    for role, actor in actors.items():
        access = svc.companies.field_access(actor)
        if access.get("organisation", FieldAccess.HIDDEN) is FieldAccess.HIDDEN:
            continue
        for key, value in values.items():
            definition = next(d for d in svc.companies.custom_fields(actor) if d.key == key)
            readable = access[definition.name] in (FieldAccess.READ, FieldAccess.WRITE)
            expected = [acme] if definition.searchable and readable else []
            for query in (value, value[2:7].upper()):
                found = [r.id for r in svc.companies.rows(actor, query)]
                assert found == expected, (role, key, query)
                assert svc.companies.count(actor, query) == len(expected)
            searched += 1
    assert searched >= 6
    # The restricted field is readable for one role and not for another (the test
    # covers both cases).
    levels = {
        svc.companies.field_access(a).get("cf_rating", FieldAccess.HIDDEN) for a in actors.values()
    }
    assert FieldAccess.HIDDEN in levels or FieldAccess.MASKED in levels
    assert levels & {FieldAccess.READ, FieldAccess.WRITE}
