"""A PostgreSQL server for the tests (issue 10): one migrated template, a database a test.

``tools/pg-test-server.sh start`` (run by ``make test``) starts a throw-away server and
prints its superuser URL, which the Makefile hands over as ``PRIVACYCRM_TEST_PG_ADMIN``.
Without it the PostgreSQL half of the suite is skipped, except in CI (``CI`` set), where a
missing server fails the run instead of passing it silently.
"""

from __future__ import annotations

import os
import uuid

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
    name = f"pcrm_t_{uuid.uuid4().hex[:16]}"
    _admin_execute(admin, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
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
    """Drop this process's template at the end of the session."""
    admin = admin_url()
    if admin is not None and TEMPLATE in _templates:
        _admin_execute(admin, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
