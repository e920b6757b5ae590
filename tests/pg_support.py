"""A PostgreSQL server for the tests: one migrated template, a database a test.

``tools/pg-test-server.sh start`` (run by ``make test``) starts a throw-away server and
prints its superuser URL, which the Makefile hands over as ``PRIVACYCRM_TEST_PG_ADMIN``.
Without it the PostgreSQL half of the suite is skipped, except in CI (``CI`` set), where a
missing server fails the run instead of passing it silently.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import pytest

ADMIN_ENV = "PRIVACYCRM_TEST_PG_ADMIN"
TEMPLATE = f"pcrm_template_{os.getpid()}"


def admin_url() -> str | None:
    """The superuser URL of the test server, or None when there is none."""
    return os.environ.get(ADMIN_ENV) or None


def require_server() -> str:
    """The admin URL; skip the test without a server (fail in CI)."""
    url = admin_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs a PostgreSQL server: {ADMIN_ENV} is not set")
        pytest.skip(f"no PostgreSQL server ({ADMIN_ENV} not set)")
    return url


def database_url(admin: str, name: str) -> str:
    """The URL of database *name* on the admin URL's server, as the same superuser."""
    from sqlalchemy.engine import make_url

    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def _admin_execute(admin: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


#: Template databases this process has made (one at most).
_templates: set[str] = set()


def _ensure_template(admin: str) -> None:
    """Create and migrate this test process's template database once."""
    if TEMPLATE in _templates:
        return
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate

    _admin_execute(admin, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
    _admin_execute(admin, f"CREATE DATABASE {TEMPLATE}")
    engine = create_engine_for(database_url(admin, TEMPLATE))
    migrate(engine)
    engine.dispose()
    _templates.add(TEMPLATE)


def new_database() -> str:
    """A fresh migrated database of its own; its URL (as the superuser)."""
    admin = require_server()
    _ensure_template(admin)
    return _copy(admin, TEMPLATE, f"pcrm_t_{uuid.uuid4().hex[:16]}")


def _copy(admin: str, template: str, name: str) -> str:
    """Database *name* made anew as a copy of *template*, with its own identity; its URL."""
    _admin_execute(
        admin,
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY WAL_LOG",
    )
    url = database_url(admin, name)
    _own_identity(url)
    return url


def _own_identity(url: str) -> None:
    """A copy of the template would share its database id (migration 0007): give it its
    own, as a database migrated on its own has."""
    from sqlalchemy import text

    from privacycrm_desktop.persistence.database import create_engine_for

    engine = create_engine_for(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE setting SET value = :v WHERE key = 'database.id'"),
                {"v": uuid.uuid4().hex},
            )
    finally:
        engine.dispose()


def drop_database(url: str) -> None:
    """Drop a database made by ``new_database`` (connections still open are ended)."""
    from sqlalchemy.engine import make_url

    admin = admin_url()
    if admin is not None:
        name = make_url(url).database or ""
        if any(snapshot.slot == name for snapshot in _snapshots.values()):
            forget(url)  # a copy of a set-up database: its snapshot holds the roles too
            return
        _admin_execute(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        drop_roles(name)


def drop_roles(database: str) -> None:
    """Drop the cluster-wide roles the server-enforced field rules made for *database*."""
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.postgres import roles

    admin = admin_url()
    if admin is None:
        return
    engine = create_engine_for(admin)
    with engine.begin() as conn:
        roles.drop_roles(conn, database)
    engine.dispose()


def drop_template() -> None:
    """Drop this process's template and initialised copies at the end of the session."""
    admin = admin_url()
    for snapshot in list(_snapshots.values()):
        _forget(snapshot)
    if admin is not None and TEMPLATE in _templates:
        _admin_execute(admin, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")


# -- initialised databases, copied ---------------------------------------------------------
#
# Setting a database up on the server (``setup.initialise``) creates its group roles,
# about 300 grants and the server functions: 0.4 s, for some 250 tests. The roles are
# cluster-wide and named after the database, so an initialised database cannot simply be a
# template for databases of other names. Instead each kind of set-up gets a fixed database
# name (its "slot"): it is set up once, kept as a snapshot database, and every later test
# of that kind gets the slot made anew from the snapshot. The roles stay between tests;
# after each test their state (attributes, passwords, memberships, settings) is compared
# with the state right after the set-up: logins a test added are dropped, anything else
# changed drops the snapshot and its roles, and the next test sets up from scratch.


@dataclass
class Snapshot:
    """An initialised database kept aside for the copies of one kind of set-up."""

    slot: str
    template: str
    value: Any
    datacl: str | None = None
    anchors: bytes | None = None
    roles: dict[str, tuple[str, str]] = field(default_factory=dict)
    members: set[tuple[str, str, str]] = field(default_factory=set)


_snapshots: dict[Hashable, Snapshot] = {}
_slots = count()


def initialised_database(key: Hashable, initialise: Callable[[str], Any]) -> tuple[str, Any]:
    """A database set up by *initialise(url)*, or copied from the snapshot of an earlier
    set-up with the same *key*; its URL and what *initialise* returned.

    *initialise* must close its connections. Call ``release`` with the URL after the test.
    """
    from helpers.databases import give_anchors, saved_anchors

    admin = require_server()
    _ensure_template(admin)
    snapshot = _snapshots.get(key)
    if snapshot is not None:
        url = _copy(admin, snapshot.template, snapshot.slot)
        _admin_execute_params(
            admin,
            "UPDATE pg_database SET datacl = %s::aclitem[] WHERE datname = %s",
            (snapshot.datacl, snapshot.slot),
        )
        give_anchors(url, snapshot.anchors)
        return url, snapshot.value
    slot = f"pcrm_s{next(_slots)}_{os.getpid()}"
    give_anchors(database_url(admin, slot), None)
    url = _copy(admin, TEMPLATE, slot)
    value = initialise(url)
    template = f"{slot}_snapshot"
    _admin_execute(
        admin,
        f"DROP DATABASE IF EXISTS {template} WITH (FORCE)",
        f"CREATE DATABASE {template} TEMPLATE {slot} STRATEGY WAL_LOG",
    )
    snapshot = Snapshot(slot, template, value, anchors=saved_anchors(url))
    snapshot.datacl, snapshot.roles, snapshot.members = _state(admin, slot)
    _snapshots[key] = snapshot
    return url, value


def release(url: str) -> None:
    """After a test on ``initialised_database``: keep its snapshot for the next test when
    the cluster-wide roles are as the set-up left them (logins the test added are dropped),
    or forget it."""
    from sqlalchemy.engine import make_url

    admin = admin_url()
    name = make_url(url).database
    snapshot = next((s for s in _snapshots.values() if s.slot == name), None)
    if admin is None or snapshot is None:
        return
    _admin_execute(admin, f"DROP DATABASE IF EXISTS {snapshot.slot} WITH (FORCE)")
    _datacl, roles, members = _state(admin, snapshot.slot)
    added = roles.keys() - snapshot.roles.keys()
    kept = {name: roles[name][0] for name in roles.keys() - added}
    kept_members = {m for m in members if m[0] not in added and m[1] not in added}
    if kept != {name: state for name, (state, _pw) in snapshot.roles.items()} or (
        kept_members != snapshot.members
    ):
        _forget(snapshot)
        return
    statements = [f'DROP ROLE IF EXISTS "{role}"' for role in sorted(added)]
    # A sign-in sets the user's password again (a new salt): put the set-up's back.
    for name, (_state_then, password) in snapshot.roles.items():
        if roles[name][1] != password and password:
            statements.append(f"ALTER ROLE \"{name}\" PASSWORD '{password}'")
    if statements:
        _admin_execute(admin, *statements)


def forget(url: str) -> None:
    """Drop the snapshot whose slot *url* names, its slot and its roles (if it has one)."""
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    for snapshot in [s for s in _snapshots.values() if s.slot == name]:
        _forget(snapshot)


def _forget(snapshot: Snapshot) -> None:
    """Drop a snapshot, its slot and the slot's roles."""
    admin = admin_url()
    for key, known in list(_snapshots.items()):
        if known is snapshot:
            del _snapshots[key]
    if admin is None:
        return
    _admin_execute(
        admin,
        f"DROP DATABASE IF EXISTS {snapshot.slot} WITH (FORCE)",
        f"DROP DATABASE IF EXISTS {snapshot.template} WITH (FORCE)",
    )
    drop_roles(snapshot.slot)


_ROLE_STATE = """
SELECT rolname, coalesce(rolpassword, ''),
       concat_ws('|', rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
       rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil,
       (SELECT string_agg(array_to_string(s.setconfig, ','), ';' ORDER BY s.setdatabase)
          FROM pg_db_role_setting s WHERE s.setrole = a.oid))
  FROM pg_authid a WHERE starts_with(rolname, %(p)s)
"""
_MEMBERS = """
SELECT r.rolname, m.rolname, g.admin_option::text
  FROM pg_auth_members g JOIN pg_authid r ON r.oid = g.roleid JOIN pg_authid m ON m.oid = g.member
 WHERE starts_with(r.rolname, %(p)s) OR starts_with(m.rolname, %(p)s)
"""


def _state(admin: str, slot: str) -> tuple[str | None, dict[str, str], set[tuple[str, str, str]]]:
    """The slot's database privileges, and the state of its roles and their memberships."""
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute(
            "SELECT datacl::text FROM pg_database WHERE datname = %s", (slot,)
        ).fetchone()
        prefix = {"p": slot + "_"}
        roles = {
            str(n): (str(s), str(p)) for n, p, s in conn.execute(_ROLE_STATE, prefix).fetchall()
        }
        members = {(str(a), str(b), str(c)) for a, b, c in conn.execute(_MEMBERS, prefix)}
    return (row[0] if row else None), roles, members


def _admin_execute_params(admin: str, statement: str, params: tuple[object, ...]) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(statement, params)


def end_login_bar(url: str, username: str, *, open_role: bool = True) -> None:
    """As when the server's sign-ins begun before a reset of *username*'s password are over
    (``pcrm_bar_login`` bars the login role for ``authentication_timeout``): the bar ends
    now and, with *open_role*, the role may log in again, as the next sign-in's
    ``pcrm_sign_in_ready`` lets it (without: that sign-in must). *url* is an
    administrator's URL of the database."""
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "UPDATE pcrm_login_bar SET until = now() AT TIME ZONE 'UTC' - interval '1 second' "
            "WHERE username = %s",
            (username,),
        )
        if open_role:
            conn.execute("SELECT pcrm_sign_in_ready(%s, NULL)", (username,))
