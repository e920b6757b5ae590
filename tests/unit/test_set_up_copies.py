"""Set-up databases copied between tests (tests/helpers/databases.py, tests/pg_support.py):
each copy holds what the set-up wrote and nothing a test wrote, has an identity of its own,
and on the server a test that changed the set-up's roles never hands them to the next."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

import pg_support
from helpers.databases import OwnerSetup, copy_initialised
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.models import Setting
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw", dt.date(2026, 1, 2))
SETUP = OwnerSetup(
    CompanyInput("Copy BV", "Kerkstraat 1, 9000 Gent", "0403.170.701"), "boss", "a long secret 1"
)


def _identity_and_names(url: str) -> tuple[str, list[str]]:
    engine = create_engine_for(url)
    services = Services.build(engine, FixedClock(dt.datetime(2026, 1, 5, 9, 0)))
    try:
        with services.uow() as uow:
            identity = uow.session.scalar(select(Setting.value).where(Setting.key == "database.id"))
        owner = services.auth.login(SETUP.username, SETUP.password)
        names = [row.name for row in services.contacts.page(owner)]
        return str(identity), names
    finally:
        engine.dispose()


def _add_contact(url: str, last_name: str) -> None:
    engine = create_engine_for(url)
    services = Services.build(engine, FixedClock(dt.datetime(2026, 1, 5, 9, 0)))
    try:
        owner = services.auth.login(SETUP.username, SETUP.password)
        services.contacts.create(owner, ContactInput(last_name=last_name), CARD)
    finally:
        engine.dispose()


def test_sqlite_copies_hold_the_set_up_and_not_each_others_rows(
    sqlite_template: Path, tmp_path: Path
) -> None:
    clock = FixedClock(dt.datetime(2026, 1, 5, 9, 0))
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    owner = copy_initialised(sqlite_template, first, SETUP, clock)
    assert owner is not None
    assert owner.username == "boss"
    _add_contact(str(first), "Peeters")
    assert copy_initialised(sqlite_template, second, SETUP, clock) == owner
    first_id, first_names = _identity_and_names(str(first))
    second_id, second_names = _identity_and_names(str(second))
    assert first_names == ["Peeters"]
    assert second_names == []
    assert first_id != second_id
    # an existing file is left as it is
    assert copy_initialised(sqlite_template, first, SETUP, clock) is None
    assert _identity_and_names(str(first))[1] == ["Peeters"]


def _login_roles(slot: str) -> set[str]:
    admin = pg_support.require_server()
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", (slot + "_u_",)
        )
        return {str(name) for (name,) in rows}


@pytest.mark.postgresql
def test_server_copies_keep_the_roles_only_while_no_test_changed_them() -> None:
    from sqlalchemy.engine import make_url

    from privacycrm_desktop.domain.access import Role
    from privacycrm_desktop.persistence.postgres import logins

    clock = FixedClock(dt.datetime(2026, 1, 5, 9, 0))
    calls: list[str] = []

    def initialise(url: str) -> object:
        calls.append(url)
        return SETUP.initialise_at(url, clock)

    key = ("copies test", *SETUP.key(clock))
    url, owner = pg_support.initialised_database(key, initialise)
    slot = make_url(url).database or ""
    try:
        _add_contact(url, "Peeters")
        first_id = _identity_and_names(url)[0]
        # A test that adds a user: its login role goes, the copy stays.
        engine = create_engine_for(url)
        services = Services.build(engine, clock)
        services.auth.add_user(owner, "clerk", "another secret 2", Role.OFFICE)
        engine.dispose()
        assert _login_roles(slot) == {f"{slot}_u_boss", f"{slot}_u_clerk"}
        pg_support.release(url)
        assert _login_roles(slot) == {f"{slot}_u_boss"}

        again, owner_again = pg_support.initialised_database(key, initialise)
        assert (again, owner_again, len(calls)) == (url, owner, 1)
        second_id, names = _identity_and_names(again)
        assert names == []
        assert second_id != first_id
        # The same copy, signed in through the server as the owner's own role.
        assert _identity_and_names(logins_url(again))[1] == []

        # A test that changes the owner's password on the server: the next copy has the
        # set-up's password again, in its rows and in its role.
        engine = create_engine_for(again)
        with engine.begin() as conn:
            logins.set_password(conn, "boss", "changed secret 3")
        engine.dispose()
        pg_support.release(again)
        third, _owner = pg_support.initialised_database(key, initialise)
        assert len(calls) == 1
        assert _identity_and_names(logins_url(third))[1] == []

        # A test that changes what a role may do: the copy and its roles are forgotten.
        with psycopg.connect(pg_support.require_server(), autocommit=True) as conn:
            conn.execute(f'ALTER ROLE "{slot}_u_boss" CREATEDB')
        pg_support.release(third)
        assert _login_roles(slot) == set()
        fourth, _owner = pg_support.initialised_database(key, initialise)
        assert len(calls) == 2
        assert _identity_and_names(logins_url(fourth))[1] == []
    finally:
        pg_support.forget(calls[-1])


def logins_url(url: str) -> str:
    from privacycrm_desktop.persistence.postgres import roles

    return roles.login_url(url, SETUP.username, SETUP.password)
