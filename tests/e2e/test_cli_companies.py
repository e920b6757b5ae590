"""``company add|list|show|link`` as scripts use them, on both back ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli import PASSWORD
from helpers.databases import copy_migrated, prepared_file, prepared_on_server
from privacycrm_desktop.cli import main
from privacycrm_desktop.i18n import set_language

pytestmark = pytest.mark.real_key_costs

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
ZOE = ["contacts", "add", "--first-name", "Zoë", "--last-name", "Lefèvre"]
SOURCE = ["--source-kind", "business_card", "--source", "Trade fair Gent"]
BREWERY = [
    "company",
    "add",
    "--name",
    "Brouwerij Zoë",
    "--vat",
    "0403.170.701",
    "--street",
    "Kerkstraat 1",
    "--postcode",
    "9000",
    "--city",
    "Gent",
    "--country",
    "BE",
]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    set_language("en")


def run(capsys: pytest.CaptureFixture[str], db: Path | str, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["--db", str(db), "--user", "owner", *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], db: Path | str, *argv: str) -> object:
    code, out, err = run(capsys, db, *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


_READY: dict[str, Path] = {}


@pytest.fixture
def ready(
    capsys: pytest.CaptureFixture[str],
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path | str:
    """A set-up database with Zoë (id 1) in it."""

    def fill(target: Path | str) -> None:
        assert main(["--db", str(target), *INIT]) == 0
        capsys.readouterr()
        assert run_json(capsys, target, *ZOE, *SOURCE) == {"id": 1}

    if backend == "postgresql":
        return prepared_on_server(request, "cli companies: set up, with Zoë", fill)
    if "file" not in _READY:
        _READY["file"] = prepared_file(tmp_path_factory.mktemp("ready"), fill)
    db = Path(request.getfixturevalue("db_url"))
    copy_migrated(_READY["file"], db)
    return db


def test_add_list_show_and_link_a_company(
    capsys: pytest.CaptureFixture[str], ready: Path | str
) -> None:
    created = run_json(capsys, ready, *BREWERY, *SOURCE)
    assert created == {"id": 1}
    listed = run_json(capsys, ready, "company", "list", "--search", "brouwerij zoe")
    assert isinstance(listed, dict)
    assert listed["total"] == 1
    assert listed["companies"][0]["vat"] == "BE 0403.170.701"
    nothing = run_json(capsys, ready, "company", "list", "--search", "nothing")
    assert isinstance(nothing, dict)
    assert nothing["total"] == 0
    link = run_json(capsys, ready, "company", "link", "1", "1", "--function", "Aankoper")
    assert isinstance(link, dict)
    assert isinstance(link["id"], int)
    shown = run_json(capsys, ready, "company", "show", "1")
    assert isinstance(shown, dict)
    assert shown["vat"] == "BE0403170701"
    assert shown["vat_display"] == "BE 0403.170.701"
    assert shown["sources"]["name"]["kind"] == "business_card"
    assert [(p["contact_id"], p["function"]) for p in shown["people"]] == [(1, "Aankoper")]
    person = run_json(capsys, ready, "contacts", "show", "1")
    assert isinstance(person, dict)
    assert [(c["company_name"], c["function"]) for c in person["companies"]] == [
        ("Brouwerij Zoë", "Aankoper")
    ]
    # The text output of each.
    code, out, err = run(capsys, ready, "company", "show", "1")
    assert code == 0, err
    assert "BE 0403.170.701" in out
    assert "Aankoper" in out
    code, out, err = run(capsys, ready, "company", "list")
    assert code == 0, err
    assert "Brouwerij Zoë" in out


def test_a_wrong_enterprise_number_or_no_source_is_refused_with_one_line(
    capsys: pytest.CaptureFixture[str], ready: Path | str
) -> None:
    code, out, err = run(capsys, ready, *BREWERY[:4], "--vat", "BE 0403.170.702", *SOURCE)
    assert code == 1
    assert out == ""
    assert err.strip()
    code, _out, err = run(capsys, ready, *BREWERY)
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    listed = run_json(capsys, ready, "company", "list")
    assert isinstance(listed, dict)
    assert listed["total"] == 0


def test_moving_a_person_keeps_the_old_link_as_history(
    capsys: pytest.CaptureFixture[str], ready: Path | str
) -> None:
    run_json(capsys, ready, *BREWERY, *SOURCE)
    run_json(capsys, ready, "company", "add", "--name", "Bakkerij Peeters", *SOURCE)
    run_json(capsys, ready, "company", "link", "1", "1", "--since", "2024-01-01")
    run_json(capsys, ready, "company", "link", "1", "2", "--move", *SOURCE)
    person = run_json(capsys, ready, "contacts", "show", "1")
    assert isinstance(person, dict)
    links = [(c["company_id"], c["ended_on"] is None) for c in person["companies"]]
    assert links == [(2, True), (1, False)]


def test_the_cleanup_lists_companies_without_people(
    capsys: pytest.CaptureFixture[str], ready: Path | str
) -> None:
    run_json(capsys, ready, *BREWERY, *SOURCE)
    run_json(capsys, ready, "company", "add", "--name", "Bakkerij Peeters", *SOURCE)
    run_json(capsys, ready, "company", "link", "1", "1")
    document = run_json(capsys, ready, "cleanup", "--dry-run")
    assert isinstance(document, dict)
    assert document["companies_without_people"] == [2]


def test_contacts_show_leaves_out_what_the_role_may_not_see(
    capsys: pytest.CaptureFixture[str], ready: Path | str
) -> None:
    run_json(capsys, ready, *BREWERY, *SOURCE)
    run_json(capsys, ready, "company", "link", "1", "1", "--function", "Qcanaryfunction")
    from privacycrm_desktop.domain.access import FieldAccess, Role
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.services.registry import Services

    engine = create_engine_for(ready)
    try:
        svc = Services.build(engine)
        owner = svc.auth.login("owner", PASSWORD)
        svc.auth.add_user(owner, "sam", PASSWORD, Role.SALES)
        svc.access.set_field_access(owner, Role.SALES, "organisation", FieldAccess.HIDDEN)
    finally:
        engine.dispose()
    try:
        code = main(
            ["--db", str(ready), "--user", "sam", "contacts", "show", "1", "--format", "json"]
        )
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert code == 0, err
    person = json.loads(out)
    assert person["companies"] == [
        {k: v for k, v in person["companies"][0].items() if k != "company_name"}
    ]
    assert "Brouwerij" not in out
    assert "Qcanaryfunction" in out
