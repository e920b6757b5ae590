"""The PostgreSQL roles of a database, by name, and what a connection can tell about them.

On a shared PostgreSQL server each app user connects with a login role of their own
(``<db>_u_<username>``), member of one NOLOGIN group role per app role (``<db>_office``).
The NOLOGIN system role ``<db>_system`` owns the schema, the tables and the server
functions; the sign-in role ``<db>_signin`` may only count a refused sign-in. Identifiers
are quoted by psycopg; everything here takes a SQLAlchemy connection on PostgreSQL.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.errors import AuthenticationFailed
from privacycrm_desktop.persistence.postgres.sign_in_sql import SIGN_IN_PASSWORD

_MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1, in bytes


def ident(conn: Connection, name: str) -> str:
    """*name* as a PostgreSQL identifier, quoted by psycopg."""
    from psycopg import sql

    raw = conn.connection.dbapi_connection
    return sql.Identifier(name).as_string(raw)  # type: ignore[arg-type]


def literal(conn: Connection, value: str) -> str:
    """*value* as a PostgreSQL string literal, quoted by psycopg."""
    from psycopg import sql

    raw = conn.connection.dbapi_connection
    return sql.Literal(value).as_string(raw)  # type: ignore[arg-type]


def run_sql(conn: Connection, statement: str) -> None:
    """Execute composed DDL through the driver (no parameter parsing of ``%``)."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(statement.encode())
    finally:
        cursor.close()


def bounded_name(name: str) -> str:
    """*name*, or a stable shortened form when longer than PostgreSQL keeps."""
    if len(name.encode()) <= _MAX_IDENTIFIER:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return name.encode()[: _MAX_IDENTIFIER - 17].decode(errors="ignore") + "_" + digest


def database_name(conn: Connection) -> str:
    """The current database's name."""
    return str(conn.execute(text("SELECT current_database()")).scalar_one())


def group_role(database: str, role: Role) -> str:
    """The NOLOGIN role standing for app role *role* in *database*: ``<db>_office``."""
    return bounded_name(f"{database}_{Role(role).value}")


def login_role(database: str, username: str) -> str:
    """The LOGIN role of app user *username* in *database*: ``<db>_u_<username>``."""
    return bounded_name(f"{database}_u_{username}")


def system_role(database: str) -> str:
    """The NOLOGIN role that owns the tables and the server functions: ``<db>_system``.

    Nobody signs in as it; no desk role is a member. The administrator who sets the
    database up joins it (to migrate); the functions it owns run as it and check the
    caller from the server session (``session_user``), never from a table a desk writes.
    """
    return bounded_name(f"{database}_system")


def sign_in_role(database: str) -> str:
    """The LOGIN role a desk uses to count a refused sign-in: ``<db>_signin``.

    Its password is public (``sign_in_sql.SIGN_IN_PASSWORD``): it reads no table and
    may only call ``pcrm_sign_in_failed`` and ``pcrm_sign_in_ready``.
    """
    return bounded_name(f"{database}_signin")


def login_url(url: str, username: str, password: str) -> str:
    """*url* (host and database as configured) with the user's own role and password.

    Raises:
        AuthenticationFailed: *password* is empty or holds a NUL (libpq reads up to it):
            libpq would take it as none given and
            connect with ``PGPASSWORD`` or a ``.pgpass`` file's password instead (an empty
            password unlocked a desk whose user's password was in such a file).
    """
    if not password or "\0" in password:
        # libpq reads the password up to a NUL: "\0..." is an empty one to it.
        raise AuthenticationFailed
    parsed = make_url(url)
    role = login_role(parsed.database or "", username)
    return parsed.set(username=role, password=password).render_as_string(hide_password=False)


def sign_in_url(url: str) -> str:
    """*url* (host and database as configured) with the sign-in role."""
    parsed = make_url(url)
    role = sign_in_role(parsed.database or "")
    return parsed.set(username=role, password=SIGN_IN_PASSWORD).render_as_string(
        hide_password=False
    )


def role_exists(conn: Connection, name: str) -> bool:
    found = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
    return found.scalar() is not None


def enabled(conn: Connection) -> bool:
    """True when this database's group roles exist (the server enforces the matrix)."""
    if conn.dialect.name != "postgresql":
        return False
    return role_exists(conn, group_role(database_name(conn), Role.OWNER))


def server_functions(conn: Connection) -> bool:
    """True when this database has the server functions (``enable`` ran); cached per
    connection."""
    if conn.dialect.name != "postgresql":
        return False
    cached = conn.info.get("pcrm_functions")
    if cached is None:
        cached = bool(
            conn.execute(text("SELECT to_regprocedure('pcrm_caller()') IS NOT NULL")).scalar()
        )
        conn.info["pcrm_functions"] = cached
    return bool(cached)


def is_admin(conn: Connection) -> bool:
    """True for the administrator's connection (a superuser or a member of the system
    role), False for a desk's own login role."""
    return bool(
        conn.execute(
            text(
                "SELECT r.rolsuper OR (s.oid IS NOT NULL AND pg_has_role(current_user, s.oid, "
                "'MEMBER')) FROM pg_roles r LEFT JOIN pg_roles s ON s.rolname = :s "
                "WHERE r.rolname = current_user"
            ),
            {"s": system_role(database_name(conn))},
        ).scalar()
    )


def may_create_roles(conn: Connection) -> bool:
    """True when this connection's role may create roles (a superuser or CREATEROLE)."""
    return bool(
        conn.execute(
            text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        ).scalar()
    )


def has_login_role(conn: Connection, username: str) -> bool:
    """True when *username* has a login role in this database."""
    return role_exists(conn, login_role(database_name(conn), username))


def drop_roles(conn: Connection, database: str) -> None:
    """Drop every role of *database* (its login and group roles); for tests and removal.

    Run it after the database itself is dropped, or its grants keep the roles alive.
    """
    prefix = database.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
    rows = conn.execute(
        text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p ORDER BY rolcanlogin DESC"),
        {"p": prefix + "\\_%"},
    )
    for (name,) in rows.all():
        run_sql(conn, f"DROP ROLE IF EXISTS {ident(conn, str(name))}")
