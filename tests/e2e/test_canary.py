"""The canary test: a unique value in every field that a role may lose, then
every output path for every role; the value shows only where the matrix lets it.

Output paths so far: the list (rows), search (count and rows), the editor's data, the
audit viewer and its CSV export, and the CLI's ``contacts list`` / ``contacts show`` in
JSON and text. Later issues add theirs (exports, reports, duplicate detection).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from privacycrm_desktop.cli import main
from privacycrm_desktop.cli.output import contact_document, contact_row_document, jsonable
from privacycrm_desktop.domain.access import FieldAccess, Role, mask
from privacycrm_desktop.domain.contacts import ContactInput
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
#: field -> (the value typed in, the value as stored, a token found only in that value)
CANARIES: dict[str, tuple[object, str, str]] = {
    "first_name": ("Qfirstcanary", "Qfirstcanary", "Qfirstcanary"),
    "last_name": ("Qlastcanary", "Qlastcanary", "Qlastcanary"),
    "organisation": ("Qorgcanary BV", "Qorgcanary BV", "Qorgcanary"),
    "emails": ("qmailcanary@example.be", "qmailcanary@example.be", "qmailcanary"),
    "phones": ("0470 98 76 54", "+32470987654", "470987654"),
    "street": ("Qstreetcanary 5", "Qstreetcanary 5", "Qstreetcanary"),
    "postcode": ("8793", "8793", "8793"),
    "city": ("Qcitycanary", "Qcitycanary", "Qcitycanary"),
    "birth_date": (dt.date(1931, 7, 13), "1931-07-13", "1931-07-13"),
    "notes": ("Qnotescanary secret", "Qnotescanary secret", "Qnotescanary"),
}
#: What a search box would be given to find each value.
SEARCH = {"phones": "0470987654", "organisation": "Qorgcanary", "street": "Qstreetcanary"}
#: Fields a list row carries; the editor and ``contacts show`` carry all of them.
LIST_FIELDS = {"first_name", "last_name", "organisation", "emails", "phones", "city"}
#: Search columns and the fields that must all be readable for the column to be searched.
SEARCH_GROUPS = {
    "first_name": ("first_name", "last_name"),
    "last_name": ("first_name", "last_name"),
    "organisation": ("organisation",),
    "emails": ("emails",),
    "phones": ("phones",),
    "street": ("street", "postcode", "city"),
    "postcode": ("street", "postcode", "city"),
    "city": ("street", "postcode", "city"),
}
OVERRIDES = {
    (Role.OFFICE, "city"): FieldAccess.HIDDEN,
    (Role.OFFICE, "emails"): FieldAccess.MASKED,
    (Role.OFFICE, "notes"): FieldAccess.READ,
    (Role.READ_ONLY, "first_name"): FieldAccess.MASKED,
    (Role.READ_ONLY, "birth_date"): FieldAccess.MASKED,
    (Role.SALES, "organisation"): FieldAccess.HIDDEN,
    (Role.SALES, "phones"): FieldAccess.READ,
    (Role.PRIVACY_OFFICER, "notes"): FieldAccess.MASKED,
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
    values = {name: typed for name, (typed, _s, _t) in CANARIES.items()}
    values["emails"] = (values["emails"],)
    values["phones"] = (values["phones"],)
    contact_id = svc.contacts.create(owner, ContactInput(**values), CARD)
    # A neighbour without canaries, so that "found nothing" is not "the table is empty".
    svc.contacts.create(owner, ContactInput(first_name="Jan", last_name="Smet"), CARD)
    yield svc, path, actors, contact_id
    engine.dispose()


def cli_json(capsys: pytest.CaptureFixture[str], db: Path, user: str, *argv: str) -> str:
    code = main(["--db", str(db), "--user", user, *argv, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    json.loads(out)
    return out


def cli_text(capsys: pytest.CaptureFixture[str], db: Path, user: str, *argv: str) -> str:
    code = main(["--db", str(db), "--user", user, *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def check(output: str, field: str, level: FieldAccess, carried: bool, where: str) -> None:
    """The canary of *field* is in *output* exactly when readable; masked shows the tail."""
    _typed, stored, token = CANARIES[field]
    shown = token in output
    assert shown == (carried and level in READABLE), (where, field, level)
    if carried and level is FieldAccess.MASKED and field != "birth_date":
        assert mask(stored) in output, (where, field)


@pytest.mark.parametrize("overridden", [False, True], ids=["defaults", "overrides"])
def test_canaries_appear_only_where_the_matrix_allows(
    capsys: pytest.CaptureFixture[str],
    world: tuple[Services, Path, dict[Role, Actor], int],
    overridden: bool,
) -> None:
    svc, db, actors, contact_id = world
    owner = actors[Role.OWNER]
    if overridden:
        for (role, field), level in OVERRIDES.items():
            svc.access.set_field_access(owner, role, field, level)
    for role, actor in actors.items():
        access = svc.contacts.field_access(actor)
        if overridden:
            for (r, field), level in OVERRIDES.items():
                if r is role:
                    assert access[field] is level
        rows = svc.contacts.page(actor)
        assert len(rows) == 2
        list_out = json.dumps([contact_row_document(r) for r in rows], ensure_ascii=False)
        detail_out = json.dumps(jsonable(svc.contacts.get(actor, contact_id)), ensure_ascii=False)
        doc_out = json.dumps(
            contact_document(svc.contacts.get(actor, contact_id)), ensure_ascii=False
        )
        cli_list = cli_json(capsys, db, actor.username, "contacts", "list")
        cli_show = cli_json(capsys, db, actor.username, "contacts", "show", str(contact_id))
        cli_list_text = cli_text(capsys, db, actor.username, "contacts", "list")
        cli_show_text = cli_text(capsys, db, actor.username, "contacts", "show", str(contact_id))
        for field in CANARIES:
            level = access[field]
            check(list_out, field, level, field in LIST_FIELDS, f"{role} list")
            check(cli_list, field, level, field in LIST_FIELDS, f"{role} cli list")
            check(cli_list_text, field, level, field in LIST_FIELDS, f"{role} cli list text")
            check(detail_out, field, level, True, f"{role} editor data")
            check(doc_out, field, level, True, f"{role} editor document")
            check(cli_show, field, level, True, f"{role} cli show")
            check(cli_show_text, field, level, True, f"{role} cli show text")
            # Search: a value is found only through a column the role may read in full.
            query = SEARCH.get(field, CANARIES[field][2])
            group = SEARCH_GROUPS.get(field, ())
            findable = bool(group) and all(access[f] in READABLE for f in group)
            count = svc.contacts.count(actor, query)
            found = svc.contacts.page(actor, query=query)
            assert count == len(found) == (1 if findable else 0), (role, field, query)
            assert all(r.id == contact_id for r in found)
            cli_found = json.loads(
                cli_json(capsys, db, actor.username, "contacts", "list", "--search", query)
            )
            assert cli_found["total"] == count, (role, field)
    # The audit trail and its export hold no canary, whoever reads it.
    for role in (Role.OWNER, Role.PRIVACY_OFFICER):
        events = svc.audit.list_events(actors[role], limit=1000)
        assert any(e.action == "contact.read_restricted" for e in events)
        exported = io.StringIO()
        svc.audit.export_csv(actors[role], exported)
        # Timestamps are left out: their digits can hold a short canary (a postcode) by chance.
        stamps = {e.at for e in events}
        trail = json.dumps(jsonable(events), ensure_ascii=False) + exported.getvalue()
        for stamp in stamps:
            trail = trail.replace(stamp, "")
        for field, (_typed, stored, token) in CANARIES.items():
            assert token not in trail, (role, field)
            if field != "birth_date":
                assert stored[-5:] not in trail, (role, field)


@pytest.mark.parametrize("overridden", [False, True], ids=["defaults", "overrides"])
def test_the_access_report_shows_only_what_the_role_may_see(
    world: tuple[Services, Path, dict[Role, Actor], int], overridden: bool, tmp_path: Path
) -> None:
    """Issue 6: the PDF and its JSON copy follow the matrix; other roles are refused."""
    from pypdf import PdfReader

    from privacycrm_desktop.domain.access import Permission, has_permission
    from privacycrm_desktop.domain.errors import PermissionDenied

    svc, _db, actors, contact_id = world
    owner = actors[Role.OWNER]
    if overridden:
        for (role, field), level in OVERRIDES.items():
            svc.access.set_field_access(owner, role, field, level)
    for role, actor in actors.items():
        if not has_permission(role, Permission.ACCESS_REPORT):
            with pytest.raises(PermissionDenied):
                svc.access_reports.produce(actor, contact_id, "en")
            with pytest.raises(PermissionDenied):
                svc.access_reports.where_from(actor, contact_id, "en")
            continue
        # Saved as the app and the CLI give it, so that it is on record.
        pdf = tmp_path / f"{role.value}.pdf"
        report = svc.access_reports.save(actor, contact_id, pdf, language="en")
        assert pdf.read_bytes() == report.pdf
        reader = PdfReader(io.BytesIO(report.pdf))
        pdf_text = " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())
        # Dates are written out in the report ("13 July 1931"), so that is the token.
        pdf_text = pdf_text.replace("13 July 1931", "1931-07-13")
        # Phone numbers are printed as people write them ("0470 98 76 54"): the token is in
        # their digits.
        pdf_text = pdf_text.replace("0470 98 76 54", "0470987654")
        copy = report.json.replace("13 July 1931", "1931-07-13")
        access = svc.contacts.field_access(actor)
        for field in CANARIES:
            check(pdf_text, field, access[field], True, f"{role} access report")
            check(copy, field, access[field], True, f"{role} access report JSON")
    for role in (Role.OWNER, Role.PRIVACY_OFFICER):
        trail = json.dumps(jsonable(svc.audit.list_events(actors[role], limit=1000)))
        assert "report.access" in trail
        for _typed, _stored, token in CANARIES.values():
            assert token not in trail


def _exported_text(path: Path) -> str:
    """An exported file as text: vCard lines unfolded, its basic dates written as ISO."""
    text = path.read_bytes().decode("utf-8-sig")
    if path.suffix == ".vcf":
        text = text.replace("\r\n ", "").replace("BDAY:19310713", "BDAY:1931-07-13")
    return text


@pytest.mark.parametrize("overridden", [False, True], ids=["defaults", "overrides"])
def test_exports_carry_canaries_only_where_the_matrix_allows(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    world: tuple[Services, Path, dict[Role, Actor], int],
    overridden: bool,
) -> None:
    """Issue 7: CSV and vCard exports, through the service and the CLI, follow the matrix;
    a field hidden from the role has no column and no property at all."""
    from privacycrm_desktop.domain.access import Permission, has_permission
    from privacycrm_desktop.domain.errors import PermissionDenied
    from privacycrm_desktop.domain.export_formats import ExportFormat
    from privacycrm_desktop.services.exports import ExportRequest

    svc, db, actors, _contact_id = world
    owner = actors[Role.OWNER]
    if overridden:
        for (role, field), level in OVERRIDES.items():
            svc.access.set_field_access(owner, role, field, level)
    folder = tmp_path / "exports"
    folder.mkdir()
    exported = 0
    for role, actor in actors.items():
        access = svc.contacts.field_access(actor)
        for fmt, suffix in ((ExportFormat.CSV, ".csv"), (ExportFormat.VCARD, ".vcf")):
            request = ExportRequest(fmt, "customer_relationship", "Canary Printer NV")
            by_service = folder / f"{role.value}-service{suffix}"
            by_cli = folder / f"{role.value}-cli{suffix}"
            argv = ["--db", str(db), "--user", actor.username, "--format", "json", "export"]
            argv += ["--format", fmt.value, "--out", str(by_cli)]
            argv += ["--purpose", "customer_relationship", "--recipient", "Canary Printer NV"]
            if not has_permission(role, Permission.EXPORT):
                with pytest.raises(PermissionDenied):
                    svc.exports.export(actor, request, by_service)
                assert main(argv) == 1
                capsys.readouterr()
                assert not by_service.exists()
                assert not by_cli.exists()
                continue
            svc.exports.export(actor, request, by_service)
            code = main(argv)
            out, err = capsys.readouterr()
            assert code == 0, err
            assert json.loads(out)["count"] == 2
            exported += 2  # files, one per path
            for path in (by_service, by_cli):
                text = _exported_text(path)
                assert "Smet" in text  # the neighbour is there: the file is not empty
                for field in CANARIES:
                    check(text, field, access[field], True, f"{role} {path.name}")
                if fmt is ExportFormat.CSV:
                    header = text.splitlines()[0].casefold()  # the columns' names in words
                    assert ("notes" in header) == (access["notes"] is not FieldAccess.HIDDEN)
                    assert ("birth date" in header) == (
                        access["birth_date"] is not FieldAccess.HIDDEN
                    )
                else:
                    assert ("\r\nNOTE" in text) == (access["notes"] is not FieldAccess.HIDDEN)
                    assert ("\r\nBDAY" in text) == (access["birth_date"] in READABLE), role
    assert exported >= 4
    # The trail of those exports names fields and counts, never a value.
    for role in (Role.OWNER, Role.PRIVACY_OFFICER):
        events = svc.audit.list_events(actors[role], limit=1000)
        assert sum(e.action == "export.contacts" for e in events) == exported
        stamps = {e.at for e in events}
        trail = json.dumps(jsonable(events), ensure_ascii=False)
        for stamp in stamps:
            trail = trail.replace(stamp, "")
        for _typed, _stored, token in CANARIES.values():
            assert token not in trail
