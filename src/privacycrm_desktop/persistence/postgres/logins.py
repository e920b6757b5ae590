"""The login roles of app users: created and changed through ``pcrm_manage_login`` (the
owner's desk or the administrator); passwords travel as SCRAM verifiers computed on the
desk, never as the password itself.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.persistence.postgres.roles import database_name, has_login_role, login_role


def scram_verifier(conn: Connection, role_name: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of *password* for *role_name*, computed on this desk by
    libpq (``PQencryptPasswordConn``): the password itself never reaches the server."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    pgconn = raw.pgconn
    verifier = pgconn.encrypt_password(password.encode(), role_name.encode(), b"scram-sha-256")
    return bytes(verifier).decode("ascii")


def create_login_role(conn: Connection, username: str, password: str, app_role: Role) -> str:
    """Create (or update) the LOGIN role of *username*, member of its app role's group only.

    Runs through ``pcrm_manage_login`` (the owner's desk or the administrator): the
    password travels as a SCRAM verifier computed here. Returns the login role's name.
    """
    name = login_role(database_name(conn), username)
    _manage(conn, username, scram_verifier(conn, name, password), Role(app_role), True)
    return name


def _manage(
    conn: Connection, username: str, verifier: str | None, role: Role | None, active: bool | None
) -> None:
    conn.execute(
        text("SELECT pcrm_manage_login(:u, :v, :r, :a)"),
        {"u": username, "v": verifier, "r": role.value if role else None, "a": active},
    )


def set_password(conn: Connection, username: str, password: str) -> None:
    """Give the login role of *username* a new password (as a SCRAM verifier)."""
    name = login_role(database_name(conn), username)
    _manage(conn, username, scram_verifier(conn, name, password), None, None)


def set_app_role(conn: Connection, username: str, app_role: Role) -> None:
    """Make the login role of *username* a member of *app_role*'s group role only."""
    _manage(conn, username, None, Role(app_role), None)


def set_active(conn: Connection, username: str, active: bool) -> None:
    """LOGIN again, or NOLOGIN for a deactivated user (their sessions cannot start)."""
    if has_login_role(conn, username):
        _manage(conn, username, None, None, active)


def end_sessions(conn: Connection, username: str) -> int | None:
    """End the server sessions the login role of *username* already has (``pcrm_end_sessions``,
    the owner's desk or the administrator; this connection's own stays): run after a reset
    or a deactivation is committed. How many ended; None when the server would not let the
    system role end them (they end when closed)."""
    ended = conn.execute(text("SELECT pcrm_end_sessions(:u)"), {"u": username}).scalar()
    return None if ended is None else int(ended)


def bar_login(conn: Connection, username: str) -> None:
    """Let the login role of *username* open no session until the server's sign-ins begun
    with its old password are over (``pcrm_bar_login``): around a reset of their password."""
    if conn.execute(text("SELECT to_regprocedure('pcrm_bar_login(text)')")).scalar() is None:
        return  # a server whose functions predate it (the administrator's upgrade adds it)
    conn.execute(text("SELECT pcrm_bar_login(:u)"), {"u": username})
