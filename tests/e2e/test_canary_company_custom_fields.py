"""The canary test for custom fields on companies and for the keep rule (issue 21).

A field the owner defines for companies at run time, filled with a unique value, appears in
every company output - ``company show`` (JSON and text), ``company list`` (JSON: the list's
column of it), the service's detail (the editor's and the card's data) and its list cells -
and only where the field matrix lets the role see it. A value past its field's keep period
is listed by the cleanup and erased by it, with no byte of it left in the database files.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from privacycrm_desktop.cli import main
from privacycrm_desktop.cli.output import jsonable
from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.companies import CompanyInput as Company
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.i18n import set_language
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

PASSWORD = "canary-password-1"
CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 20))
TOKENS = {"cf_sector": "Qsectorcanary", "cf_rating": "Qratingcanary"}
READABLE = (FieldAccess.READ, FieldAccess.WRITE)
OVERRIDES = {
    (Role.SALES, "cf_rating"): FieldAccess.READ,
    (Role.OFFICE, "cf_sector"): FieldAccess.HIDDEN,
    (Role.PRIVACY_OFFICER, "cf_rating"): FieldAccess.MASKED,
}


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    set_language("en")


@pytest.fixture
def world(backend: str, db_url: str) -> Iterator[tuple[Services, Path, dict[Role, Actor]]]:
    path = Path(db_url) if backend == "sqlite" else db_url
    engine = create_engine_for(path)
    migrate(engine)
    svc = Services.build(engine, FixedClock(dt.datetime(2026, 3, 2, 10)))
    owner = svc.setup.initialise(CompanyInput("Acme BV", "Markt 1, 9000 Gent"), "owner", PASSWORD)
    actors = {Role.OWNER: owner}
    for role in Role:
        if role is not Role.OWNER:
            svc.auth.add_user(owner, role.value, PASSWORD, role)
            actors[role] = svc.auth.login(role.value, PASSWORD)
    # A neighbour without canaries, so that "found nothing" is not "the table is empty".
    svc.companies.add(owner, Company(name="Neighbour BV"), CARD)
    yield svc, path, actors
    engine.dispose()


def _cli(capsys: pytest.CaptureFixture[str], db: Path, user: str, *argv: str) -> tuple[int, str]:
    code = main(["--db", str(db), "--user", user, *argv])
    out, err = capsys.readouterr()
    return code, out + err


def _json(capsys: pytest.CaptureFixture[str], db: Path, user: str, *argv: str) -> str:
    code, out = _cli(capsys, db, user, *argv, "--format", "json")
    assert code == 0, out
    json.loads(out)
    return out


def _files_bytes(db: Path) -> bytes:
    parts = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


@pytest.mark.parametrize("overridden", [False, True], ids=["defaults", "overrides"])
def test_a_company_custom_field_reaches_every_company_output_the_role_may_see(
    capsys: pytest.CaptureFixture[str],
    world: tuple[Services, Path, dict[Role, Actor]],
    overridden: bool,
) -> None:
    svc, db, actors = world
    owner = actors[Role.OWNER]
    for key, extra in (("sector", ["--searchable"]), ("rating", ["--restricted"])):
        argv = ["field", "define", key, "--label", key.title(), "--kind", "text"]
        _json(capsys, db, "owner", *argv, "--on", "company", *extra)
    listed = json.loads(_json(capsys, db, "owner", "field", "list"))["fields"]
    assert [(f["key"], f["on"], f["restricted"]) for f in listed] == [
        ("sector", "company", False),
        ("rating", "company", True),
    ]
    argv = ["company", "add", "--name", "Qcompany NV", "--source-kind", "phone_call"]
    argv += ["--source", "Call", "--field", f"sector={TOKENS['cf_sector']} bakeries"]
    argv += ["--field", f"rating={TOKENS['cf_rating']} A"]
    company_id = json.loads(_json(capsys, db, "owner", *argv))["id"]
    svc.access.invalidate()  # defined by the CLI: this instance reads the catalogue again
    shown = json.loads(_json(capsys, db, "owner", "company", "show", str(company_id)))
    listed = json.loads(_json(capsys, db, "owner", "company", "list", "--search", "Qcompany"))
    assert listed["companies"][0]["custom_fields"]["sector"] == "Qsectorcanary bakeries"
    sector = shown["custom_fields"]["sector"]
    assert (sector["label"], sector["value"]) == ("Sector", "Qsectorcanary bakeries")
    assert sector["source"]["description"] == "Call"
    # A company's field is not a contact's: no contact output or input carries it.
    assert svc.contacts.custom_fields(owner) == ()
    with pytest.raises(ValidationFailed):
        svc.contacts.create(owner, ContactInput(last_name="X", extra={"sector": "x"}), CARD)
    if overridden:
        for (role, field), level in OVERRIDES.items():
            svc.access.set_field_access(owner, role, field, level)
    for role, actor in actors.items():
        access = svc.companies.field_access(actor)
        if not overridden:
            hidden = access["cf_rating"] is FieldAccess.HIDDEN
            assert hidden == (role not in (Role.OWNER, Role.PRIVACY_OFFICER)), role
        else:
            for (r, field), level in OVERRIDES.items():
                if r is role:
                    assert access[field] is level
        detail = svc.companies.get(actor, company_id)
        outputs = {
            "cli show": _json(capsys, db, actor.username, "company", "show", str(company_id)),
            "cli show text": _cli(capsys, db, actor.username, "company", "show", str(company_id))[
                1
            ],
            "cli list": _json(capsys, db, actor.username, "company", "list"),
            "detail": json.dumps(jsonable(detail.custom), ensure_ascii=False),
            "list cells": json.dumps(svc.companies.custom_cells(actor, [company_id])),
        }
        for field, token in TOKENS.items():
            level = access[field]
            for where, output in outputs.items():
                # A list shows no column of a restricted field: its reading is audited,
                # one company at a time.
                listed = where in ("cli list", "list cells")
                shown = level in READABLE and not (listed and field == "cf_rating")
                assert (token in output) == shown, (role, field, where)
            # A masked value is shown masked, a hidden one not at all.
            listed_keys = {c.name for c in detail.custom}
            assert (field in listed_keys) == (level is not FieldAccess.HIDDEN), (role, field)
        # A role that may not change a field cannot fill it in.
        if svc.companies.may_write(actor) and access["cf_rating"] is not FieldAccess.WRITE:
            with pytest.raises(PermissionDenied):
                svc.companies.add(actor, Company(name="Other"), CARD, {"rating": "Qother"})
    # The audit trail names the fields, never the values.
    trail = json.dumps(jsonable(svc.audit.list_events(owner, limit=1000)), ensure_ascii=False)
    assert "cf_sector" in trail
    assert "Qsectorcanary" not in trail
    assert "Qratingcanary" not in trail


def test_values_past_their_keep_period_are_erased_by_the_cleanup_leaving_no_byte(
    capsys: pytest.CaptureFixture[str],
    backend: str,
    world: tuple[Services, Path, dict[Role, Actor]],
) -> None:
    svc, db, actors = world
    owner = actors[Role.OWNER]
    for key, on, months in (("badge", "contact", "6"), ("visit", "company", "6")):
        argv = ["field", "define", key, "--kind", "text", "--on", on, "--keep-months", months]
        _json(capsys, db, "owner", *argv)
    _json(capsys, db, "owner", "field", "define", "kept", "--kind", "text", "--on", "company")
    listed = json.loads(_json(capsys, db, "owner", "field", "list"))["fields"]
    assert [(f["key"], f["on"], f["keep_months"]) for f in listed] == [
        ("badge", "contact", 6),
        ("visit", "company", 6),
        ("kept", "company", None),
    ]
    svc.access.invalidate()
    person = svc.contacts.create(
        owner,
        ContactInput(first_name="Piet", last_name="Qlast", extra={"badge": "Qbadgecanary"}),
        CARD,
    )
    company = svc.companies.add(
        owner, Company(name="Qkeep NV"), CARD, {"visit": "Qvisitcanary", "kept": "Qkeptcanary"}
    )
    assert isinstance(svc.clock, FixedClock)
    svc.clock.advance(dt.timedelta(days=200))
    expired = svc.cleanup.expired_values(owner)
    assert sorted((e.on.value, e.record_id, e.field) for e in expired) == [
        ("company", company, "cf_visit"),
        ("contact", person, "cf_badge"),
    ]
    # The command line lists them too (its clock is today's: later still).
    listed = json.loads(_json(capsys, db, "owner", "cleanup", "--dry-run"))["expired_values"]
    assert sorted((e["on"], e["id"], e["field"]) for e in listed) == [
        ("company", company, "cf_visit"),
        ("contact", person, "cf_badge"),
    ]
    assert "Qbadgecanary" not in json.dumps(listed)
    assert svc.cleanup.apply(owner).values_erased == 2
    # The values are gone, the records and the value without a rule stay.
    assert svc.contacts.get(owner, person).custom == ()
    assert [c.value for c in svc.companies.get(owner, company).custom] == ["Qkeptcanary"]
    with svc.uow() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM custom_value")).scalar() == 0
        assert uow.session.execute(text("SELECT count(*) FROM company_custom_value")).scalar() == 1
    if backend == "sqlite":
        raw = _files_bytes(db)
        for token in (b"Qbadgecanary", b"Qvisitcanary"):
            at = raw.find(token)
            assert at < 0, raw[max(0, at - 100) : at + 100]
        assert b"Qkeptcanary" in raw  # the search above looks where the values are
    trail = json.dumps(jsonable(svc.audit.list_events(owner, limit=1000)), ensure_ascii=False)
    assert "cleanup.value_expired" in trail
    assert "Qbadgecanary" not in trail
    assert "Qvisitcanary" not in trail
