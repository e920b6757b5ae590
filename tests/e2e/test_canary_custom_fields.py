"""The canary test for custom fields (issue 21): a field the owner defines at run time,
filled with a unique value, appears in every output, and only where the matrix lets it.

Outputs: ``contacts show`` (JSON and text), the editor's data and the card's, the search
(for a searchable field), CSV and vCard exports (service and CLI), the access report (PDF
text and its JSON, with the owner's label in the person's language), an import mapped to
the field, and erasure (no byte left in the SQLite files; no row on the server).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from privacycrm_desktop.cli import main
from privacycrm_desktop.cli.output import contact_document, jsonable
from privacycrm_desktop.domain.access import FieldAccess, Permission, Role, has_permission
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.errors import PermissionDenied
from privacycrm_desktop.domain.export_formats import ExportFormat
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.i18n import set_language
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.exports import ExportRequest
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

PASSWORD = "canary-password-1"
CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 20))
HOBBY = "Qhobbycanary chess"
SECRET = "Qsecretcanary rating"
TOKENS = {"cf_hobby": "Qhobbycanary", "cf_secret": "Qsecretcanary"}
READABLE = (FieldAccess.READ, FieldAccess.WRITE)
OVERRIDES = {
    (Role.SALES, "cf_secret"): FieldAccess.READ,
    (Role.OFFICE, "cf_hobby"): FieldAccess.HIDDEN,
    (Role.PRIVACY_OFFICER, "cf_secret"): FieldAccess.MASKED,
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
    svc.contacts.create(owner, ContactInput(first_name="Jan", last_name="Smet"), CARD)
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


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())


def _define_hobby(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    argv = ["field", "define", "hobby", "--label", "Hobby", "--label-nl", "Vrijetijdsbesteding"]
    argv += ["--label-fr", "Loisir", "--kind", "text", "--searchable", "--exported"]
    argv += ["--purpose", "customer_relationship", "--category", "relationship"]
    _json(capsys, db, "owner", *argv)


def _files_bytes(db: Path) -> bytes:
    parts = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


def test_a_custom_field_defined_at_run_time_appears_in_every_output(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    backend: str,
    world: tuple[Services, Path, dict[Role, Actor]],
) -> None:
    svc, db, actors = world
    owner = actors[Role.OWNER]
    _define_hobby(capsys, db)
    listed = json.loads(_json(capsys, db, "owner", "field", "list"))["fields"]
    assert [(f["key"], f["kind"], f["labels"]["nl"]) for f in listed] == [
        ("hobby", "text", "Vrijetijdsbesteding")
    ]
    svc.access.invalidate()  # defined by the CLI: this instance reads the catalogue again
    assert "cf_hobby" in {spec.name for spec in svc.access.catalogue()}
    argv = ["contacts", "add", "--first-name", "Piet", "--last-name", "Qlast"]
    argv += ["--language", "nl", "--source-kind", "phone_call", "--source", "Call"]
    argv += ["--field", f"hobby={HOBBY}"]
    contact_id = json.loads(_json(capsys, db, "owner", *argv))["id"]
    # contacts show: the value, its label and its source.
    shown = json.loads(_json(capsys, db, "owner", "contacts", "show", str(contact_id)))
    hobby = shown["custom_fields"]["hobby"]
    assert (hobby["label"], hobby["value"]) == ("Hobby", HOBBY)
    assert hobby["source"]["description"] == "Call"
    _code, shown_text = _cli(capsys, db, "owner", "contacts", "show", str(contact_id))
    assert HOBBY in shown_text
    # The editor's data and the card's.
    assert [(c.key, c.value) for c in svc.contacts.get(owner, contact_id).custom] == [
        ("hobby", HOBBY)
    ]
    assert [c.value for c in svc.contacts.card(owner, contact_id).detail.custom] == [HOBBY]
    # The list's column of it (the cells fetched with each window of rows).
    assert svc.contacts.custom_cells(owner, [contact_id]) == {contact_id: {"cf_hobby": HOBBY}}
    # Search, through the service and the CLI.
    assert svc.contacts.count(owner, "qhobbycanary") == 1
    assert [r.id for r in svc.contacts.page(owner, query="Qhobbycanary")] == [contact_id]
    found = json.loads(_json(capsys, db, "owner", "contacts", "list", "--search", "hobbycanary"))
    assert found["total"] == 1
    # CSV and vCard exports: a column named by the label, an X- property.
    for fmt, suffix in ((ExportFormat.CSV, ".csv"), (ExportFormat.VCARD, ".vcf")):
        out = tmp_path / f"export{suffix}"
        svc.exports.export(owner, ExportRequest(fmt, "customer_relationship", "Printer"), out)
        written = out.read_text(encoding="utf-8-sig")
        assert HOBBY in written, fmt
        if fmt is ExportFormat.CSV:
            assert "Hobby" in written.splitlines()[0]
        else:
            assert f"X-PRIVACYCRM-HOBBY:{HOBBY}" in written
    by_cli = tmp_path / "cli.csv"
    argv = ["export", "--format", "csv", "--out", str(by_cli), "--purpose"]
    argv += ["customer_relationship", "--recipient", "Printer"]
    _json(capsys, db, "owner", *argv)
    assert HOBBY in by_cli.read_text(encoding="utf-8-sig")
    # The access report, in the person's language with the owner's label in it.
    report = svc.access_reports.produce(owner, contact_id)
    assert report.language == "nl"
    pdf_text = _pdf_text(report.pdf)
    assert HOBBY in pdf_text
    assert "Vrijetijdsbesteding" in pdf_text
    assert any(
        d["field"] == "cf_hobby" and d["value"] == HOBBY for d in json.loads(report.json)["data"]
    )
    # An import mapped to the field by hand brings a value in.
    imported = tmp_path / "in.csv"
    imported.write_text("Voornaam,Familienaam,Passie\nAn,Qimported,Qimportcanary go\n")
    argv = ["import", str(imported), "--source-kind", "import_file", "--source", "List"]
    argv += ["--purpose", "customer_relationship", "--map", "Passie=field:hobby"]
    _json(capsys, db, "owner", *argv)
    again = svc.contacts.page(owner, query="Qimported")
    assert len(again) == 1
    assert [c.value for c in svc.contacts.get(owner, again[0].id).custom] == ["Qimportcanary go"]
    # Erasure: the values go, and with them every byte of them.
    for cid in (contact_id, again[0].id):
        svc.erasure.erase(owner, cid, ErasureReason.ERASURE_REQUEST)
    assert svc.contacts.count(owner, "Qhobbycanary") == 0
    with svc.uow() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM custom_value")).scalar() == 0
    if backend == "sqlite":
        raw = _files_bytes(db)
        for token in (b"Qhobbycanary", b"Qimportcanary"):
            at = raw.find(token)
            assert at < 0, raw[max(0, at - 100) : at + 100]
    # The audit trail never holds the value.
    trail = json.dumps(jsonable(svc.audit.list_events(owner, limit=1000)), ensure_ascii=False)
    assert "field.define" in trail
    assert "Qhobbycanary" not in trail


@pytest.mark.parametrize("overridden", [False, True], ids=["defaults", "overrides"])
def test_restricted_custom_fields_reach_no_output_of_a_role_that_may_not_read_them(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    world: tuple[Services, Path, dict[Role, Actor]],
    overridden: bool,
) -> None:
    svc, db, actors = world
    owner = actors[Role.OWNER]
    for key, restricted in (("hobby", False), ("secret", True)):
        definition = CustomFieldDefinition(
            key, key.title(), CustomKind.TEXT, restricted=restricted, searchable=True, exported=True
        )
        svc.custom_fields.define(owner, definition)
    with pytest.raises(PermissionDenied):
        svc.custom_fields.define(
            actors[Role.PRIVACY_OFFICER], CustomFieldDefinition("x", "X", CustomKind.TEXT)
        )
    values = {"hobby": HOBBY, "secret": SECRET}
    contact_id = svc.contacts.create(
        owner, ContactInput(first_name="Piet", last_name="Qlast", extra=values), CARD
    )
    if overridden:
        for (role, field), level in OVERRIDES.items():
            svc.access.set_field_access(owner, role, field, level)
    folder = tmp_path / "exports"
    folder.mkdir()
    for role, actor in actors.items():
        access = svc.contacts.field_access(actor)
        if not overridden:
            # The defaults: a restricted custom field stays with the owner and the officer.
            hidden = access["cf_secret"] is FieldAccess.HIDDEN
            assert hidden == (role not in (Role.OWNER, Role.PRIVACY_OFFICER)), role
        else:
            for (r, field), level in OVERRIDES.items():
                if r is role:
                    assert access[field] is level
        outputs = {
            "cli show": _json(capsys, db, actor.username, "contacts", "show", str(contact_id)),
            "cli show text": _cli(capsys, db, actor.username, "contacts", "show", str(contact_id))[
                1
            ],
            "editor": json.dumps(
                contact_document(svc.contacts.get(actor, contact_id)), ensure_ascii=False
            ),
        }
        card = svc.contacts.card(actor, contact_id).detail
        outputs["list column"] = json.dumps(svc.contacts.custom_cells(actor, [contact_id]))
        if has_permission(role, Permission.EXPORT):
            for fmt, suffix in ((ExportFormat.CSV, ".csv"), (ExportFormat.VCARD, ".vcf")):
                out = folder / f"{role.value}-{overridden}{suffix}"
                request = ExportRequest(fmt, "customer_relationship", "Printer")
                svc.exports.export(actor, request, out)
                outputs[f"export {fmt}"] = out.read_text(encoding="utf-8-sig")
        if has_permission(role, Permission.ACCESS_REPORT):
            report = svc.access_reports.produce(actor, contact_id, "en")
            outputs["report pdf"] = _pdf_text(report.pdf)
            outputs["report json"] = report.json
        for field, token in TOKENS.items():
            level = access[field]
            for where, output in outputs.items():
                # The list shows no column of a restricted field, as it shows none of the
                # fixed restricted ones: its reading is audited, one contact at a time.
                listed = where == "list column" and field == "cf_secret"
                assert (token in output) == (level in READABLE and not listed), (role, field, where)
            # The card leaves restricted fields out, as it does the fixed ones.
            on_card = any(c.name == field and token in c.value for c in card.custom)
            restricted = field == "cf_secret"
            assert on_card == (level in READABLE and not restricted), (role, field, "card")
            # The search finds a value only in a field the role may read.
            count = svc.contacts.count(actor, token)
            assert count == (1 if level in READABLE else 0), (role, field, "search")
            cli_found = json.loads(
                _json(capsys, db, actor.username, "contacts", "list", "--search", token)
            )
            assert cli_found["total"] == count
        # A role that may not change a field cannot import into it either.
        if has_permission(role, Permission.IMPORT):
            sheet = folder / f"{role.value}-{overridden}-in.csv"
            sheet.write_text("Voornaam,Familienaam,Geheim\nAn,Qimported,Qimportsecret\n")
            argv = ["import", str(sheet), "--source-kind", "import_file", "--source", "List"]
            argv += ["--purpose", "customer_relationship", "--map", "Geheim=field:secret"]
            code, said = _cli(capsys, db, actor.username, *argv)
            may = access["cf_secret"] is FieldAccess.WRITE
            assert (code == 0) == may, (role, said)
        # A role that may not change a field cannot fill it in.
        if has_permission(role, Permission.CREATE_CONTACTS) and access["cf_secret"] is not (
            FieldAccess.WRITE
        ):
            with pytest.raises(PermissionDenied):
                svc.contacts.create(
                    actor, ContactInput(last_name="X", extra={"secret": "Qother"}), CARD
                )
