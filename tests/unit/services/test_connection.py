"""Which database this computer opens (File > Database...)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

import pg_support
from privacycrm_desktop import config
from privacycrm_desktop.domain.errors import StorageFailed, ValidationFailed
from privacycrm_desktop.services import connection
from privacycrm_desktop.services.connection import ServerChoice

OFFICE = ServerChoice("crm.office.lan", 5433, "privacycrm", "anne")


@pytest.fixture(autouse=True)
def _own_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRIVACYCRM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PRIVACYCRM_DB", raising=False)


def test_the_file_here_is_the_default_until_a_server_is_chosen(tmp_path: Path) -> None:
    assert config.default_database() == str(tmp_path / "data" / config.DB_FILE_NAME)
    assert connection.current_choice() is None
    connection.save_choice(OFFICE)
    assert connection.current_choice() == OFFICE
    saved = config.default_database()
    assert make_url(saved).host == "crm.office.lan"
    assert make_url(saved).password is None  # never saved
    connection.save_choice(None)
    assert config.default_database() == str(tmp_path / "data" / config.DB_FILE_NAME)


def test_the_environment_still_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    connection.save_choice(OFFICE)
    monkeypatch.setenv("PRIVACYCRM_DB", "/elsewhere/crm.db")
    assert config.default_database() == "/elsewhere/crm.db"


def test_missing_details_are_named() -> None:
    with pytest.raises(ValidationFailed) as caught:
        connection.server_url(ServerChoice(" ", 0, "", ""))
    assert {p.field for p in caught.value.problems} == {"host", "database", "port"}


def test_trying_a_server_says_what_is_wrong() -> None:
    admin = make_url(pg_support.require_server())
    good = ServerChoice(admin.host or "", admin.port or 5432, "postgres", admin.username or "")
    connection.try_server(good, admin.password or "")
    with pytest.raises(ValidationFailed):
        connection.try_server(good, "not the password")
    with pytest.raises(ValidationFailed):  # a wrong database name is not "unreachable"
        connection.try_server(
            dataclasses.replace(good, database="no_such_db"), admin.password or ""
        )
    with pytest.raises(StorageFailed):
        connection.try_server(ServerChoice("127.0.0.1", 9, "none", "nobody"), "x")
