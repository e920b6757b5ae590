"""The canary test for company data: a unique company name and a unique function, then every
output path for every role; each shows only where the field matrix lets it.

The company's values follow the organisation's row of the matrix; the person's link
(function, department) follows ``company_links``. Outputs: the person's data (service and
``contacts show`` JSON and text), the company card and list (service and ``company show``,
``company list`` JSON), the access report's JSON, and the audit trail (never).
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
from privacycrm_desktop.domain.companies import CompanyInput as Company
from privacycrm_desktop.domain.companies import LinkInput
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import PermissionDenied
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
COMPANY = "Qcompanycanary NV"
FUNCTION = "Qfunctioncanary"
DEPARTMENT = "Qdeptcanary"
#: Each canary, the matrix row it follows, and its token.
CANARIES = {
    "company": ("organisation", COMPANY, "Qcompanycanary"),
    "function": ("company_links", FUNCTION, "Qfunctioncanary"),
    "department": ("company_links", DEPARTMENT, "Qdeptcanary"),
}
OVERRIDES = {
    (Role.OFFICE, "company_links"): FieldAccess.HIDDEN,
    (Role.READ_ONLY, "company_links"): FieldAccess.MASKED,
    (Role.SALES, "organisation"): FieldAccess.HIDDEN,
    (Role.PRIVACY_OFFICER, "organisation"): FieldAccess.MASKED,
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
def world(
    backend: str, db_url: str
) -> Iterator[tuple[Services, Path, dict[Role, Actor], int, int]]:
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
    company = svc.companies.add(owner, Company(name=COMPANY), CARD)
    svc.companies.add(owner, Company(name="Neighbour BV"), CARD)
    svc.companies.link(owner, person, company, LinkInput(FUNCTION, DEPARTMENT), CARD)
    yield svc, path, actors, person, company
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


@pytest.mark.parametrize("overridden", [False, True], ids=["defaults", "overrides"])
def test_company_canaries_appear_only_where_the_matrix_allows(
    capsys: pytest.CaptureFixture[str],
    world: tuple[Services, Path, dict[Role, Actor], int, int],
    overridden: bool,
) -> None:
    svc, db, actors, person, company = world
    owner = actors[Role.OWNER]
    if overridden:
        for (role, field), level in OVERRIDES.items():
            svc.access.set_field_access(owner, role, field, level)
    for role, actor in actors.items():
        access = svc.contacts.field_access(actor)
        links = access["company_links"]
        # The company's name reaches the person's data only through a visible link.
        name_in_person = access["organisation"] if links is not FieldAccess.HIDDEN else links
        person_outputs = {
            "person data": json.dumps(
                jsonable(svc.contacts.get(actor, person)), ensure_ascii=False
            ),
            "cli contacts show": _cli(
                capsys, db, role.value, "contacts", "show", str(person), "--format", "json"
            )[1],
            "cli contacts show text": _cli(capsys, db, role.value, "contacts", "show", str(person))[
                1
            ],
        }
        for where, output in person_outputs.items():
            _check(output, "company", name_in_person, f"{role} {where}")
            _check(output, "function", links, f"{role} {where}")
            _check(output, "department", links, f"{role} {where}")
        if access["organisation"] is FieldAccess.HIDDEN:
            with pytest.raises(PermissionDenied):
                svc.companies.get(actor, company)
            code, _out = _cli(capsys, db, role.value, "company", "show", str(company))
            assert code == 1
            continue
        company_outputs = {
            "company card": json.dumps(
                jsonable(svc.companies.get(actor, company)), ensure_ascii=False
            ),
            "cli company show": _cli(
                capsys, db, role.value, "company", "show", str(company), "--format", "json"
            )[1],
        }
        for where, output in company_outputs.items():
            _check(output, "company", access["organisation"], f"{role} {where}")
            _check(output, "function", links, f"{role} {where}")
            _check(output, "department", links, f"{role} {where}")
        listed = json.dumps(jsonable(svc.companies.rows(actor)), ensure_ascii=False)
        _check(listed, "company", access["organisation"], f"{role} company list")
        assert FUNCTION not in listed
        if has_permission(role, Permission.ACCESS_REPORT):
            report = svc.access_reports.produce(actor, person, "en").json
            _check(report, "company", name_in_person, f"{role} access report")
            _check(report, "function", links, f"{role} access report")
    # The audit trail and its export hold no canary, whoever reads it.
    for role in (Role.OWNER, Role.PRIVACY_OFFICER):
        events = svc.audit.list_events(actors[role], limit=1000)
        assert any(e.action == "company.link" for e in events)
        exported = io.StringIO()
        svc.audit.export_csv(actors[role], exported)
        trail = json.dumps(jsonable(events), ensure_ascii=False) + exported.getvalue()
        for _field, _stored, token in CANARIES.values():
            assert token not in trail, (role, token)


def _exported(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig").replace("\r\n ", "")


@pytest.mark.parametrize("overridden", [False, True], ids=["defaults", "overrides"])
def test_company_canaries_in_the_card_and_every_export_then_gone_with_the_person(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    world: tuple[Services, Path, dict[Role, Actor], int, int],
    overridden: bool,
) -> None:
    """The card, every CSV profile and both vCard versions (service and CLI) carry the
    company, function and department only where the matrix allows; the person's erasure
    takes the link, function and department (no byte left), and the company stays."""
    from privacycrm_desktop.domain.erasure import ErasureReason
    from privacycrm_desktop.domain.errors import NotFound
    from privacycrm_desktop.domain.export_csv import CsvProfile
    from privacycrm_desktop.domain.export_formats import ExportFormat
    from privacycrm_desktop.domain.export_vcard import VcardVersion
    from privacycrm_desktop.services.exports import ExportRequest

    svc, db, actors, person, company = world
    owner = actors[Role.OWNER]
    if overridden:
        for (role, field), level in OVERRIDES.items():
            svc.access.set_field_access(owner, role, field, level)
    folder = tmp_path / "exports"
    folder.mkdir()
    requests = [
        (
            f"csv-{p.value}",
            ExportRequest(ExportFormat.CSV, "customer_relationship", "X", csv_profile=p),
        )
        for p in CsvProfile
    ] + [
        (
            f"vcard-{v.value}",
            ExportRequest(ExportFormat.VCARD, "customer_relationship", "X", vcard_version=v),
        )
        for v in VcardVersion
    ]
    for role, actor in actors.items():
        access = svc.contacts.field_access(actor)
        links = access["company_links"]
        name_in_person = access["organisation"] if links is not FieldAccess.HIDDEN else links
        card = json.dumps(jsonable(svc.contacts.card(actor, person)), ensure_ascii=False)
        for canary, level in (
            ("company", name_in_person),
            ("function", links),
            ("department", links),
        ):
            _check(card, canary, level, f"{role} card")
        if not has_permission(role, Permission.EXPORT):
            continue
        outputs: dict[str, str] = {}
        for name, request in requests:
            path = folder / f"{role.value}-{name}.out"
            svc.exports.export(actor, request, path)
            outputs[name] = _exported(path)
        by_cli = folder / f"{role.value}-cli.csv"
        code, _out = _cli(
            capsys,
            db,
            actor.username,
            "export",
            "--format",
            "csv",
            "--out",
            str(by_cli),
            "--purpose",
            "customer_relationship",
            "--recipient",
            "X",
        )
        assert code == 0
        outputs["cli csv"] = _exported(by_cli)
        for where, text in outputs.items():
            assert "Smet" in text  # the person is in the file
            _check(text, "company", name_in_person, f"{role} {where}")
            _check(text, "function", links, f"{role} {where}")
            _check(text, "department", links, f"{role} {where}")
    # The person's erasure: the link, function and department go; the company stays.
    svc.erasure.erase(owner, person, ErasureReason.ERASURE_REQUEST)
    for actor in actors.values():
        with pytest.raises(NotFound):
            svc.contacts.card(actor, person)
    kept = svc.companies.get(owner, company)
    assert kept.values.name == COMPANY
    assert kept.people == ()
    if isinstance(db, Path):
        stored = b"".join(f.read_bytes() for f in db.parent.iterdir() if f.name.startswith(db.name))
        for token in (FUNCTION, DEPARTMENT):
            assert token.encode() not in stored, token
        assert COMPANY.encode() in stored
