"""The canary test for interactions (issue 22): a unique summary, details, attached file
name and attached bytes, then every output path for every role; each shows only where the
field matrix lets it, the audit trail never, and an erasure leaves no byte of any of them
in the database, its WAL and shared-memory files or the app's data folder.

Kind, date and summary follow the matrix row ``activities``; details and the attached file
the restricted ``activity_details``. Outputs: the timeline (service), ``activity list`` in
JSON and text, the attached file, the access report's JSON, the audit trail.
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
from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.errors import NotFound, PermissionDenied
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
SUMMARY = "Qsummarycanary called"
DETAILS = "Qdetailscanary wants a discount"
FILE_NAME = "Qfilenamecanary.pdf"
FILE_BYTES = b"%PDF-1.4 Qbytescanary"
#: Each canary, the matrix row it follows, the value stored, and its token.
CANARIES = {
    "summary": ("activities", SUMMARY, "Qsummarycanary"),
    "details": ("activity_details", DETAILS, "Qdetailscanary"),
    "file name": ("activity_details", FILE_NAME, "Qfilenamecanary"),
}
OVERRIDES = {
    (Role.OFFICE, "activity_details"): FieldAccess.HIDDEN,
    (Role.READ_ONLY, "activities"): FieldAccess.MASKED,
    (Role.SALES, "activities"): FieldAccess.HIDDEN,
    (Role.PRIVACY_OFFICER, "activity_details"): FieldAccess.MASKED,
}
READABLE = (FieldAccess.READ, FieldAccess.WRITE)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    set_language("en")


@pytest.fixture
def world(backend: str, db_url: str) -> Iterator[tuple[Services, Path, dict[Role, Actor], int]]:
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
    person = svc.contacts.create(owner, ContactInput(first_name="Jan", last_name="Smet"), CARD)
    svc.activities.add(owner, person, ActivityInput(ActivityKind.NOTE, "Neighbour note"))
    svc.activities.add(
        owner,
        person,
        ActivityInput(
            ActivityKind.CALL,
            SUMMARY,
            dt.datetime(2026, 3, 1, 15, 30),
            details=DETAILS,
            attachment=FILE_BYTES,
            attachment_name=FILE_NAME,
        ),
    )
    yield svc, path, actors, person
    engine.dispose()


def _cli(capsys: pytest.CaptureFixture[str], db: Path, user: str, *argv: str) -> tuple[int, str]:
    try:
        code = main(["--db", str(db), "--user", user, *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, _err = capsys.readouterr()
    return code, out


def _check(output: str, canary: str, level: FieldAccess, where: str) -> None:
    _field, stored, token = CANARIES[canary]
    assert (token in output) == (level in READABLE), (where, canary, level)
    if level is FieldAccess.MASKED:
        assert mask(stored) in output, (where, canary)
    assert "Qbytescanary" not in output, where  # the file's bytes only on opening it


@pytest.mark.parametrize("overridden", [False, True], ids=["defaults", "overrides"])
def test_interaction_canaries_appear_only_where_the_matrix_allows(
    capsys: pytest.CaptureFixture[str],
    world: tuple[Services, Path, dict[Role, Actor], int],
    overridden: bool,
) -> None:
    svc, db, actors, person = world
    owner = actors[Role.OWNER]
    if overridden:
        for (role, field), level in OVERRIDES.items():
            svc.access.set_field_access(owner, role, field, level)
    shown = 0
    for role, actor in actors.items():
        access = svc.contacts.field_access(actor)
        summary, details = access["activities"], access["activity_details"]
        # Details are reached through the timeline only: hidden with it.
        details_seen = details if summary is not FieldAccess.HIDDEN else FieldAccess.HIDDEN
        if summary is FieldAccess.HIDDEN:
            with pytest.raises(PermissionDenied):
                svc.activities.timeline(actor, person)
            assert _cli(capsys, db, role.value, "activity", "list", str(person))[0] == 1
        else:
            outputs = {
                "timeline": json.dumps(
                    jsonable(svc.activities.timeline(actor, person)), ensure_ascii=False
                ),
                "cli list json": _cli(
                    capsys, db, role.value, "activity", "list", str(person), "--format", "json"
                )[1],
                "cli list text": _cli(capsys, db, role.value, "activity", "list", str(person))[1],
            }
            for where, output in outputs.items():
                assert "Neighbour note" in output or summary is FieldAccess.MASKED, where
                _check(output, "summary", summary, f"{role} {where}")
                _check(output, "details", details, f"{role} {where}")
                if where != "cli list text":  # the table shows a mark, not the name
                    _check(output, "file name", details, f"{role} {where}")
                shown += 1
            call = next(
                a for a in svc.activities.timeline(actor, person) if a.kind is ActivityKind.CALL
            )
            if details in READABLE:
                assert svc.activities.attachment(actor, call.id).data == FILE_BYTES
            else:
                with pytest.raises(PermissionDenied):
                    svc.activities.attachment(actor, call.id)
        if has_permission(role, Permission.ACCESS_REPORT):
            from pypdf import PdfReader

            produced = svc.access_reports.produce(actor, person, "en")
            pages = PdfReader(io.BytesIO(produced.pdf)).pages
            printed = " ".join(" ".join(p.extract_text() or "" for p in pages).split())
            for where, report in (("access report", produced.json), ("PDF", printed)):
                _check(report, "summary", summary, f"{role} {where}")
                _check(report, "details", details_seen, f"{role} {where}")
                _check(report, "file name", details_seen, f"{role} {where}")
            assert "1 March 2026" in printed  # the date in words, in the report's language
            if role is Role.OWNER:
                dutch = svc.access_reports.produce(actor, person, "nl").pdf
                words = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(dutch)).pages)
                assert "1 maart 2026" in " ".join(words.split())
    assert shown >= 9
    # The audit trail and its export hold no canary, whoever reads it.
    for role in (Role.OWNER, Role.PRIVACY_OFFICER):
        events = svc.audit.list_events(actors[role], limit=1000)
        assert any(e.action == "activity.add" for e in events)
        exported = io.StringIO()
        svc.audit.export_csv(actors[role], exported)
        trail = json.dumps(jsonable(events), ensure_ascii=False) + exported.getvalue()
        for _field, _stored, token in CANARIES.values():
            assert token not in trail, (role, token)
        assert "Qbytescanary" not in trail


def _bytes_everywhere(db: Path, folder: Path) -> bytes:
    parts = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    if folder.exists():
        parts += [p for p in folder.rglob("*") if p.is_file()]
    return b"".join(p.read_bytes() for p in parts if p.exists())


@pytest.mark.sqlite_only
def test_erasure_leaves_no_byte_of_interactions(
    world: tuple[Services, Path, dict[Role, Actor], int], tmp_path: Path
) -> None:
    svc, db, actors, person = world
    owner = actors[Role.OWNER]
    tokens = [t.encode() for _f, _s, t in CANARIES.values()] + [b"Qbytescanary"]
    before = _bytes_everywhere(db, tmp_path / "data")
    assert all(token in before for token in tokens)
    svc.erasure.erase(owner, person, ErasureReason.ERASURE_REQUEST)
    raw = _bytes_everywhere(db, tmp_path / "data")
    for token in tokens:
        at = raw.find(token)
        assert at < 0, (token, raw[max(0, at - 100) : at + 60])
    with pytest.raises(NotFound):
        svc.activities.timeline(owner, person)


def test_a_linked_person_sees_the_interaction_as_the_matrix_allows(
    capsys: pytest.CaptureFixture[str], world: tuple[Services, Path, dict[Role, Actor], int]
) -> None:
    svc, db, actors, person = world
    owner = actors[Role.OWNER]
    for (role, field), level in OVERRIDES.items():
        svc.access.set_field_access(owner, role, field, level)
    other = svc.contacts.create(owner, ContactInput(first_name="Piet", last_name="Smet"), CARD)
    svc.activities.add(
        owner,
        other,
        ActivityInput(ActivityKind.MEETING, SUMMARY, details=DETAILS, people=(person,)),
    )
    for role, actor in actors.items():
        access = svc.contacts.field_access(actor)
        summary, details = access["activities"], access["activity_details"]
        if summary is FieldAccess.HIDDEN:
            assert _cli(capsys, db, role.value, "activity", "list", str(other))[0] == 1
            continue
        code, listed = _cli(
            capsys, db, role.value, "activity", "list", str(other), "--format", "json"
        )
        assert code == 0
        _check(listed, "summary", summary, f"{role} linked list")
        _check(listed, "details", details, f"{role} linked list")
        assert json.loads(listed)["activities"][0]["linked"] is False
        code, listed = _cli(
            capsys, db, role.value, "activity", "list", str(person), "--format", "json"
        )
        assert any(a["linked"] for a in json.loads(listed)["activities"]), role


@pytest.mark.sqlite_only
def test_erasing_a_linked_person_leaves_no_byte_of_them_and_keeps_the_other_interaction(
    world: tuple[Services, Path, dict[Role, Actor], int], tmp_path: Path
) -> None:
    svc, db, actors, person = world
    owner = actors[Role.OWNER]
    linked = svc.contacts.create(
        owner, ContactInput(first_name="Qlinkedcanary", last_name="Qlinkedsurname"), CARD
    )
    made = svc.activities.add(
        owner, person, ActivityInput(ActivityKind.MEETING, "Met the two", people=(linked,))
    )
    tokens = [b"Qlinkedcanary", b"Qlinkedsurname"]
    before = _bytes_everywhere(db, tmp_path / "data")
    assert all(token in before for token in tokens)
    svc.erasure.erase(owner, linked, ErasureReason.ERASURE_REQUEST)
    raw = _bytes_everywhere(db, tmp_path / "data")
    for token in tokens:
        at = raw.find(token)
        assert at < 0, (token, raw[max(0, at - 100) : at + 60])
    kept = {a.id: a for a in svc.activities.timeline(owner, person)}
    assert kept[made].people == ()
    with pytest.raises(NotFound):
        svc.activities.timeline(owner, linked)


DISCLOSED = ("--purpose", "customer_relationship", "--recipient", "Accountant X")


@pytest.mark.parametrize("overridden", [False, True], ids=["defaults", "overrides"])
def test_the_csv_export_of_interactions_follows_the_matrix_for_every_role(
    capsys: pytest.CaptureFixture[str],
    world: tuple[Services, Path, dict[Role, Actor], int],
    tmp_path: Path,
    overridden: bool,
) -> None:
    svc, db, actors, _person = world
    owner = actors[Role.OWNER]
    if overridden:
        for (role, field), level in OVERRIDES.items():
            svc.access.set_field_access(owner, role, field, level)
    written = 0
    for role, actor in actors.items():
        access = svc.contacts.field_access(actor)
        summary, details = access["activities"], access["activity_details"]
        for profile in ("privacycrm", "teamleader", "odoo"):
            out = tmp_path / f"{role.value}-{profile}.csv"
            code, _out = _cli(
                capsys, db, role.value, "activity", "export", str(out),
                "--format-profile", profile, *DISCLOSED,
            )  # fmt: skip
            allowed = has_permission(role, Permission.EXPORT) and summary is not FieldAccess.HIDDEN
            assert (code == 0) == allowed, (role, profile, code)
            if not allowed:
                assert not out.exists()
                continue
            content = out.read_text(encoding="utf-8-sig")
            _check(content, "summary", summary, f"{role} {profile} export")
            _check(content, "details", details, f"{role} {profile} export")
            if profile == "privacycrm":  # the only one with the attached file's name
                _check(content, "file name", details, f"{role} {profile} export")
            written += 1
    assert written >= 3
    events = svc.audit.list_events(owner, limit=1000)
    assert any(e.action == "activity.export" for e in events)
    trail = json.dumps(jsonable(events), ensure_ascii=False)
    for _field, _stored, token in CANARIES.values():
        assert token not in trail
