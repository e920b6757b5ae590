"""Issue 16 through the CLI: no bulk dump through ``contacts list``, hidden is not empty,
files written owner-only, the special-category check on ``contacts add --notes``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# The CLI suite's environment, runner and init command (the autouse ``_env`` fixture too).
from .test_cli_users_audit import INIT, PASSWORD, _env, run  # noqa: F401
from .test_cli_users_audit import NEW_PASSWORD as OFFICE_PASSWORD


@pytest.fixture
def db(backend: str, db_url: str, capsys: pytest.CaptureFixture[str]) -> Path:
    path = Path(db_url) if backend == "sqlite" else db_url
    assert run(capsys, path, *INIT, user=None)[0] == 0
    code, _out, err = run(capsys, path, "demo", "--count", "250")
    assert code == 0, err
    return path


def office(capsys: pytest.CaptureFixture[str], db: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    assert run(capsys, db, "user", "add", "olga", "--role", "office")[0] == 0
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", OFFICE_PASSWORD)
    return "olga"


def test_contacts_list_is_a_screenful_more_is_an_export(
    capsys: pytest.CaptureFixture[str], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = office(capsys, db, monkeypatch)
    code, out, err = run(
        capsys, db, "contacts", "list", "--limit", "100000", "--format", "json", user=user
    )
    assert code == 1
    assert out == ""
    assert "export" in err
    # A screenful still works, as docs/architecture.md's CLI contract says.
    code, out, err = run(
        capsys, db, "contacts", "list", "--limit", "200", "--format", "json", user=user
    )
    assert code == 0, err
    listing = json.loads(out)
    assert listing["total"] == 250
    assert len(listing["contacts"]) == 200
    code, out, err = run(capsys, db, "contacts", "list", "--format", "json", user=user)
    assert code == 0, err
    assert len(json.loads(out)["contacts"]) == 50


def test_a_hidden_field_is_marked_hidden_not_shown_empty(
    capsys: pytest.CaptureFixture[str], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = office(capsys, db, monkeypatch)  # office: notes and birth date hidden
    code, out, err = run(capsys, db, "contacts", "show", "1", "--format", "json", user=user)
    assert code == 0, err
    shown = json.loads(out)
    assert "notes" not in shown
    assert "birth_date" not in shown
    assert {"notes", "birth_date"} <= set(shown["hidden"])
    assert "first_name" in shown
    code, out, err = run(capsys, db, "contacts", "show", "1", user=user)
    assert code == 0, err
    notes_line = next(line for line in out.splitlines() if line.startswith("Notes"))
    assert "[hidden]" in notes_line
    # The owner sees the notes (empty or not): no hidden marks.
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    code, out, err = run(capsys, db, "contacts", "show", "1", "--format", "json")
    owner_view = json.loads(out)
    assert "notes" in owner_view
    assert owner_view["hidden"] == []


def test_a_hidden_list_column_is_marked_hidden(
    capsys: pytest.CaptureFixture[str], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from privacycrm_desktop.domain.access import FieldAccess, Role
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.services.clock import SystemClock
    from privacycrm_desktop.services.registry import Services

    engine = create_engine_for(str(db))
    services = Services.build(engine, SystemClock())
    owner = services.auth.login("owner", PASSWORD)
    services.access.set_field_access(owner, Role.OFFICE, "city", FieldAccess.HIDDEN)
    engine.dispose()
    user = office(capsys, db, monkeypatch)
    code, out, err = run(
        capsys, db, "contacts", "list", "--limit", "3", "--format", "json", user=user
    )
    assert code == 0, err
    rows = json.loads(out)["contacts"]
    assert all("city" not in row and row["hidden"] == ["city"] for row in rows)
    code, out, err = run(capsys, db, "contacts", "list", "--limit", "3", user=user)
    assert out.splitlines()[1].rstrip().count("[hidden]") == 1


# -- 5. every file written holds personal data: owner-only --------------------------------


def test_every_file_the_cli_writes_is_owner_only(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    import os

    old = os.umask(0o022)  # a usual desktop umask: plain writes would come out 0644
    try:
        out = tmp_path / "out"
        out.mkdir()
        stale = out / "report.pdf"
        stale.write_bytes(b"old")  # an existing file readable by others is replaced
        stale.chmod(0o644)
        commands = [
            ["export-report", "1", "--out", str(stale), "--json", str(out / "report.json")],
            [
                "marketing",
                "list",
                "--purpose",
                "direct_marketing_consent",
                "--channel",
                "post",
                "--out",
                str(out / "list.csv"),
                "--recipient",
                "Mail BV",
            ],
            [
                "export",
                "--format",
                "csv",
                "--out",
                str(out / "all.csv"),
                "--purpose",
                "invoicing",
                "--recipient",
                "Accountant BV",
                "1",
            ],
            [
                "export",
                "--format",
                "vcard",
                "--out",
                str(out / "all.vcf"),
                "--purpose",
                "invoicing",
                "--recipient",
                "Accountant BV",
                "1",
            ],
        ]
        source = tmp_path / "in.csv"
        # A row that names nobody is the one an import refuses (into invalid.csv).
        source.write_text(
            "first_name;last_name;email;postcode\nAn;Peeters;an@example.be;\n;;;9000\n", "utf-8"
        )
        commands.append(
            [
                "import",
                str(source),
                "--source-kind",
                "third_party",
                "--source",
                "Fair list",
                "--purpose",
                "customer_relationship",
                "--invalid-out",
                str(out / "invalid.csv"),
            ]
        )
        for argv in commands:
            code, _out, err = run(capsys, db, *argv)
            assert code == 0, (argv, err)
    finally:
        os.umask(old)
    written = sorted(p.name for p in out.iterdir())
    assert written == ["all.csv", "all.vcf", "invalid.csv", "list.csv", "report.json", "report.pdf"]
    for path in out.iterdir():
        assert oct(path.stat().st_mode & 0o777) == oct(0o600), path.name


# -- 10. contacts add --notes: the special-category check ---------------------------------


def test_contacts_add_refuses_special_category_notes_without_confirmation(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    add = ["contacts", "add", "--first-name", "Piet", "--last-name", "Vakbondslid"]
    add += ["--notes", "Lid van de vakbond ABVV", "--source-kind", "sale", "--source", "Shop"]
    code, out, err = run(capsys, db, *add, "--format", "json")
    assert code == 1
    assert "--confirm-special" in err
    assert "vakbond" in err
    code, out, err = run(
        capsys, db, "contacts", "list", "--search", "Vakbondslid", "--format", "json"
    )
    assert json.loads(out)["total"] == 0
    code, out, err = run(capsys, db, *add, "--confirm-special", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["id"] > 0
