"""The canary test for tasks about a person: a unique title and unique details, then every
output path for every role; each shows only where the field matrix lets it (field
``tasks``), and an erasure of the person leaves no byte of them in the database files.

Outputs: the task list (service, ``task list`` JSON and text), "My day" (service and ``task
my-day`` JSON, for the assignee), the tasks on the person's card (``task list --contact``),
the access report's JSON, and the audit trail (never).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from privacycrm_desktop.cli import main
from privacycrm_desktop.cli.output import jsonable
from privacycrm_desktop.domain.access import FieldAccess, Permission, Role, has_permission, mask
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.tasks import TaskDraft
from privacycrm_desktop.i18n import set_language
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

PASSWORD = "canary-password-1"
CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 20))
TITLE = "Qtasktitlecanary offer"
DETAILS = "Qtaskdetailcanary notes"
TOKENS = {"title": (TITLE, "Qtasktitlecanary"), "details": (DETAILS, "Qtaskdetailcanary")}
OVERRIDES = {
    (Role.OFFICE, "tasks"): FieldAccess.HIDDEN,
    (Role.READ_ONLY, "tasks"): FieldAccess.MASKED,
    (Role.SALES, "tasks"): FieldAccess.READ,
    (Role.PRIVACY_OFFICER, "tasks"): FieldAccess.MASKED,
}
READABLE = (FieldAccess.READ, FieldAccess.WRITE)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    set_language("en")


def _world(url: str) -> tuple[Services, dict[Role, Actor], int]:
    engine = create_engine_for(url)
    migrate(engine)
    # The CLI runs on the real clock: the task is due today there too.
    now = dt.datetime.now()
    svc = Services.build(engine, FixedClock(now.replace(hour=8, minute=0)))
    owner = svc.setup.initialise(CompanyInput("Acme BV", "Markt 1, 9000 Gent"), "owner", PASSWORD)
    actors = {Role.OWNER: owner}
    for role in Role:
        if role is not Role.OWNER:
            svc.auth.add_user(owner, role.value, PASSWORD, role)
            actors[role] = svc.auth.login(role.value, PASSWORD)
    person = svc.contacts.create(owner, ContactInput(first_name="Jan", last_name="Smet"), CARD)
    return svc, actors, person


@pytest.fixture
def world(backend: str, db_url: str) -> Iterator[tuple[Services, str, dict[Role, Actor], int]]:
    svc, actors, person = _world(db_url)
    yield svc, db_url, actors, person
    svc.uow.engine.dispose()


def _cli(capsys: pytest.CaptureFixture[str], db: str, user: str, *argv: str) -> str:
    try:
        code = main(["--db", db, "--user", user, *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert code == 0, (argv, err)
    return out


def _check(output: str, level: FieldAccess, where: str) -> None:
    for stored, token in TOKENS.values():
        assert (token in output) == (level in READABLE), (where, token, level)
        if level is FieldAccess.MASKED:
            assert mask(stored) in output, (where, token)


@pytest.mark.parametrize("overridden", [False, True], ids=["defaults", "overrides"])
def test_task_canaries_appear_only_where_the_matrix_allows(
    capsys: pytest.CaptureFixture[str],
    world: tuple[Services, str, dict[Role, Actor], int],
    overridden: bool,
) -> None:
    svc, db, actors, person = world
    owner = actors[Role.OWNER]
    if overridden:
        for (role, field), level in OVERRIDES.items():
            svc.access.set_field_access(owner, role, field, level)
    today = svc.tasks.now().date()
    for actor in actors.values():
        # Each role is given a task about the person, due today: its "My day" holds it.
        svc.tasks.add(
            owner, TaskDraft(TITLE, DETAILS, today, assignee_id=actor.user_id, contact_id=person)
        )
    for role, actor in actors.items():
        level = svc.contacts.field_access(actor)["tasks"]
        day = svc.my_day.my_day(actor)
        outputs = {
            "task list": json.dumps(jsonable(svc.tasks.list_tasks(actor)), ensure_ascii=False),
            "card tasks": json.dumps(
                jsonable(svc.tasks.list_tasks(actor, contact_id=person)), ensure_ascii=False
            ),
            "cli task list": _cli(capsys, db, role.value, "task", "list", "--format", "json"),
            "cli task list text": _cli(capsys, db, role.value, "task", "list"),
            "cli card": _cli(
                capsys, db, role.value, "task", "list", "--contact", str(person), "--format", "json"
            ),
        }
        if level is not FieldAccess.HIDDEN:
            # "My day" shows the title only (the details are one click away).
            assert len(day.items) == 1
            for where, text in {
                "my day": json.dumps(jsonable(day.items), ensure_ascii=False),
                "cli my day": _cli(capsys, db, role.value, "task", "my-day", "--format", "json"),
            }.items():
                assert ("Qtasktitlecanary" in text) == (level in READABLE), (role, where)
                assert "Qtaskdetailcanary" not in text
        else:
            assert day.items[0].hidden
            assert "Qtask" not in json.dumps(jsonable(day.items), ensure_ascii=False)
            assert svc.tasks.list_tasks(actor, contact_id=person) == []
        for where, output in outputs.items():
            if where in ("card tasks", "cli card") and level is FieldAccess.HIDDEN:
                assert "Qtask" not in output, (role, where)
                continue
            if where == "cli task list text":  # a table of titles: no details
                assert ("Qtasktitlecanary" in output) == (level in READABLE), role
                assert "Qtaskdetailcanary" not in output
                continue
            _check(output, level, f"{role} {where}")
        if has_permission(role, Permission.ACCESS_REPORT):
            report = svc.access_reports.produce(actor, person, "en").json
            _check(report, level, f"{role} access report")
    # The audit trail and its export hold no canary, whoever reads it.
    for role in (Role.OWNER, Role.PRIVACY_OFFICER):
        events = svc.audit.list_events(actors[role], limit=1000)
        assert any(e.action == "task.add" for e in events)
        exported = io.StringIO()
        svc.audit.export_csv(actors[role], exported)
        trail = json.dumps(jsonable(events), ensure_ascii=False) + exported.getvalue()
        assert "Qtask" not in trail, role


def test_erasing_the_person_leaves_no_byte_of_their_tasks(database_path: Path) -> None:
    svc, actors, person = _world(str(database_path))
    owner = actors[Role.OWNER]
    other = svc.contacts.create(owner, ContactInput(first_name="An", last_name="Kept"), CARD)
    svc.tasks.add(owner, TaskDraft(TITLE, DETAILS, contact_id=person))
    done = svc.tasks.add(owner, TaskDraft(TITLE + " second", DETAILS, contact_id=person))
    svc.tasks.set_done(owner, done)
    kept = svc.tasks.add(owner, TaskDraft("Visit An", contact_id=other))

    def files() -> bytes:
        parts = [database_path, Path(f"{database_path}-wal"), Path(f"{database_path}-shm")]
        return b"".join(p.read_bytes() for p in parts if p.exists())

    assert b"Qtasktitlecanary" in files()
    svc.erasure.erase(owner, person, ErasureReason.ERASURE_REQUEST)
    raw = files()
    for _stored, token in TOKENS.values():
        assert token.encode() not in raw, token
    assert [t.id for t in svc.tasks.list_tasks(owner, include_done=True)] == [kept]
