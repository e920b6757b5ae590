"""Work as the signed-in user's own PostgreSQL login role.

Where the server enforces the field matrix (``persistence/postgres/``), a composition
root that signed a user in through the configured connection calls ``for_user``: from
then on every service reaches the server as that user's login role, so the server refuses
what the matrix hides whatever the app does. On SQLite, or where the server does not
enforce the matrix, the services stay as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from privacycrm_desktop.domain.errors import AuthenticationFailed
from privacycrm_desktop.persistence.database import create_engine_for, is_postgresql
from privacycrm_desktop.persistence.postgres import roles
from privacycrm_desktop.services.dto import Actor

if TYPE_CHECKING:  # not at run time: the registry builds the auth service, which uses this
    from privacycrm_desktop.services.registry import Services


def for_user(services: Services, actor: Actor, password: str) -> Engine | None:
    """Continue *services* as *actor*'s own login role; return the engine left, if any.

    Call it right after ``services.auth.login(actor.username, password)`` succeeded. Every
    service (built already or later) reaches the server as the user from then on; the
    caller disposes of the returned engine when nothing else uses it. Returns None when
    nothing changed: SQLite, a server that does not enforce the matrix, or the user's own
    role already.

    Raises:
        AuthenticationFailed: The server refused the user's own role (no login role yet,
            deactivated, or another password on the server).
    """
    engine = services.uow.engine
    if not is_postgresql(engine):
        return None
    with engine.connect() as conn:
        if not roles.enabled(conn):
            return None
        database = roles.database_name(conn)
        current = conn.execute(text("SELECT current_user")).scalar_one()
    if current == roles.login_role(database, actor.username):
        return None
    url = roles.login_url(
        engine.url.render_as_string(hide_password=False), actor.username, password
    )
    own = create_engine_for(url)
    try:
        with own.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        own.dispose()
        raise AuthenticationFailed from exc
    return services.uow.rebind(own)


def signs_in_as_own_role(url: str) -> bool:
    """True for a PostgreSQL URL that names no user: each person then connects with their
    own login role and password from the start, and the desk holds no other credential."""
    from sqlalchemy.engine import make_url

    from privacycrm_desktop.persistence.database import is_postgresql_url, normalise_url

    return is_postgresql_url(url) and not make_url(normalise_url(url)).username


def own_role_url(url: str, username: str, password: str) -> str:
    """*url* with *username*'s own login role and *password* (see ``signs_in_as_own_role``)."""
    from privacycrm_desktop.persistence.database import normalise_url

    return roles.login_url(normalise_url(url), username, password)


def _sign_in_call(url: str, username: str, function: str) -> None:
    """Call a sign-in function as the database's sign-in role; nothing when the server
    has none (server roles off, or a database from before the server's own roles)."""
    from sqlalchemy.exc import DBAPIError

    from privacycrm_desktop.persistence.database import normalise_url
    from privacycrm_desktop.services.clock import SystemClock

    try:
        engine = create_engine_for(roles.sign_in_url(normalise_url(url)))
    except Exception:
        return
    try:
        with engine.begin() as conn:
            conn.execute(
                text(f"SELECT {function}(:u, :at)"),
                {"u": username.strip(), "at": SystemClock().now()},
            )
    except DBAPIError:
        return
    finally:
        engine.dispose()


def reopen_if_lock_over(url: str, username: str) -> None:
    """Before connecting as *username*'s own role: if their lock is over, the server lets
    the login role connect again (``pcrm_sign_in_ready``)."""
    _sign_in_call(url, username, "pcrm_sign_in_ready")


def count_refused_sign_in(url: str, username: str) -> None:
    """The server refused *username*'s own role: count it like a wrong password on SQLite
    (``pcrm_sign_in_failed`` locks the account and its login role at the limit)."""
    _sign_in_call(url, username, "pcrm_sign_in_failed")
