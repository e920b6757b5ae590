"""A database of its own on the test server with an owner and sam (sales), each with a
login role of their own (the sign-in and session tests on PostgreSQL)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from privacycrm_desktop.cli import main as cli

ADMIN = os.environ.get("PRIVACYCRM_TEST_PG_ADMIN")
OWNER_PASSWORD = "owner-password-long-1"
SAM_PASSWORD = "sam-password-long-12"
SAM_NEW_PASSWORD = "sam-new-password-long-34"

#: The mark of a module of such tests: skipped without the test server.
NEEDS_SERVER = pytest.mark.skipif(
    not ADMIN, reason="no PostgreSQL server (PRIVACYCRM_TEST_PG_ADMIN not set)"
)


def _admin(database: str) -> str:
    assert ADMIN is not None
    return make_url(ADMIN).set(database=database).render_as_string(hide_password=False)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """(administrator URL, desk URL) of a new database with its owner and sam (sales)."""
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", OWNER_PASSWORD)
    name = f"still_signed_in_{secrets.token_hex(4)}"
    with psycopg.connect(_admin("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    admin = _admin(name)
    desk = make_url(admin).set(username=None, password=None).render_as_string()
    try:
        init = ["init", "--owner", "owner", "--company", "Test BV", "--address", "Kerkstraat 1"]
        assert cli(["--db", admin, *init]) == 0
        monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", SAM_PASSWORD)
        assert cli(["--db", admin, "--user", "owner", "user", "add", "sam", "--role", "sales"]) == 0
        yield admin, desk
    finally:
        with psycopg.connect(_admin("postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            for row in conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (f"{name}%",)
            ).fetchall():
                conn.execute(f'DROP ROLE IF EXISTS "{row[0]}"')


def bar_over(admin: str, username: str, *, open_role: bool = True) -> None:
    """The bar of a reset of *username*'s password is over (``pg_support.end_login_bar``)."""
    import pg_support

    pg_support.end_login_bar(admin, username, open_role=open_role)
