"""How the auth service meets a PostgreSQL server that enforces the roles.

Where the server enforces the field matrix (``persistence/postgres/``), a desk reaches it
as the signed-in user's own login role, which may not read password hashes nor write
``app_user`` itself: the owner's changes of users go through the server's functions,
and a desk's connection proves its user's password to the server.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.errors import AuthenticationFailed, DomainError, StorageError
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.models import User
from privacycrm_desktop.persistence.postgres import logins, roles
from privacycrm_desktop.persistence.storage_errors import refused_sign_in, storage_error
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.passwords import hash_like, verify_password
from privacycrm_desktop.services.server_roles import count_refused_sign_in, reopen_if_lock_over

log = logging.getLogger(__name__)


def server_roles_connection(session: Session) -> Connection | None:
    """The session's connection when the PostgreSQL server enforces the matrix, else None."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    conn = session.connection()
    return conn if roles.enabled(conn) else None


def server_writes_users(session: Session) -> bool:
    """True where the PostgreSQL server has its functions: the owner's changes of users
    go through ``pcrm_user_change`` (no desk role may write ``app_user`` itself)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    return roles.server_functions(session.connection())


def password_proven(session: Session, user: User, password: str) -> bool:
    """True when *password* is *user*'s.

    A desk on PostgreSQL connects with the user's own login role, so its connection has
    already proved the server's password; desk roles may not read the hashes
    (``persistence.postgres.policy.SECRET_COLUMNS``), so the app's password is proven on
    the server with the stored hash's salt (``pcrm_own_password_salt`` /
    ``pcrm_own_password_is``). A desk connected as someone else's login role proves
    nothing for *user*. Elsewhere the argon2id hash is checked.
    """
    if desk_role(session):
        conn = session.connection()
        own = conn.execute(text("SELECT current_user")).scalar_one()
        if own != roles.login_role(roles.database_name(conn), user.username):
            return False
        # The server's password is not enough: a role may change its own (ALTER ROLE),
        # so after a reset a connection opened before it chose one and signed in with
        # it. The app's hash is proven too, its digest never leaving the server.
        shape = conn.execute(text("SELECT pcrm_own_password_salt()")).scalar()
        candidate = hash_like(shape, password) if shape else None
        if candidate is None:
            return False
        proven = conn.execute(text("SELECT pcrm_own_password_is(:h)"), {"h": candidate})
        return bool(proven.scalar())
    return verify_password(user.password_hash, password)


def desk_role(session: Session) -> bool:
    """True when this session reaches the server as a desk's own login role, which writes
    ``app_user`` only through the server functions."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    conn = session.connection()
    return roles.server_functions(conn) and not roles.is_admin(conn)


def sync_login_role(session: Session, user: User, password: str) -> None:
    """Signed in through a connection that may create roles (the administrator's): give
    the user a login role with this password, so their own connection works from now on."""
    conn = server_roles_connection(session)
    if conn is None:
        return
    database = roles.database_name(conn)
    own = conn.execute(text("SELECT current_user")).scalar_one()
    if own == roles.login_role(database, user.username):
        return
    if roles.is_admin(conn):
        logins.create_login_role(conn, user.username, password, Role(user.role))


def prove_own_password(uow: UnitOfWork, username: str, password: str) -> None:
    """On a desk that reaches the server as *username*'s own login role, prove *password*
    to the server with a connection of its own; elsewhere nothing (the hash is checked).

    The desk's connections proved the password they were opened with, at sign-in: the
    lock screen's password proved nothing by them (any password unlocked), and after a
    reset only the new one opens a new connection. A password other than the one the
    desk connects with (the new one) becomes the desk's: every later unit of *uow* uses
    it. Before connecting, an account whose lock is over is opened again, as at sign-in.

    Raises:
        AuthenticationFailed: The server refused it (counted like a refused sign-in).
    """
    engine = uow.engine
    if engine.dialect.name != "postgresql":
        return
    try:
        with uow() as unit:
            if not desk_role(unit.session):
                return
    except Exception as exc:
        # The server refuses the password this desk connects with: the owner's reset
        # ended its sessions, so it is a desk on its own login role, with a password to
        # prove (an administrator's connection is not refused for a user's reset).
        if not refused_sign_in(exc):
            raise
    url = engine.url.render_as_string(hide_password=False)
    reopen_if_lock_over(url, username)
    fresh = create_engine_for(roles.login_url(url, username, password))
    try:
        with fresh.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        fresh.dispose()
        if refused_sign_in(exc):
            count_refused_sign_in(url, username)  # the server's lockout
            raise AuthenticationFailed from exc
        # Any other failure to connect (the server down, its connection limits): one
        # sentence on the lock screen, not a traceback; the desk stays locked.
        raise (storage_error(exc) or StorageError()) from exc
    if fresh.url == engine.url:
        fresh.dispose()
        return
    uow.rebind(fresh).dispose()


def end_old_sessions(uow: UnitOfWork, username: str) -> bool:
    """After a committed reset or deactivation: end the server sessions *username*'s login
    role already had, which would otherwise keep its rights until they close (the server
    checks a password and LOGIN only when a session opens). True when none is left or
    there is no server role; False when the server would not end them, or this failed:
    the change itself is committed and stays (logged, never raised)."""
    if uow.engine.dialect.name != "postgresql":
        return True  # no server sessions (and no write transaction for nothing)
    try:
        with uow(write=True) as unit:
            conn = server_roles_connection(unit.session)
            if conn is None or not roles.server_functions(conn):
                return True
            if not roles.has_login_role(conn, username):
                return True
            return logins.end_sessions(conn, username) is not None
    except (SQLAlchemyError, DomainError) as exc:
        # A server whose functions predate pcrm_end_sessions (the administrator's next
        # upgrade installs it), or one gone since the commit.
        log.warning("ending the old server sessions failed (%s)", type(exc).__name__)
        return False


def _others_login_role(session: Session, actor: Actor, username: str) -> Connection | None:
    """The session's connection when *username* is another user than *actor* with a login
    role of their own on a server that enforces the roles (a reset's bar applies); else
    None."""
    conn = server_roles_connection(session)
    if conn is None or not roles.has_login_role(conn, username.strip()):
        return None
    target = session.scalar(select(User.id).where(User.username == username.strip()))
    return None if target is None or target == actor.user_id else conn


def bar_and_end_sessions(uow: UnitOfWork, actor: Actor, username: str) -> None:
    """Before and after resetting another user's password on a server with their own
    login role: commit that the role may open no session for a while (``logins.bar_login``,
    measured from this moment), then end the sessions it has, so none is left or can open
    with the old password while the new one is set (the reset bars it in its own
    transaction as well), nor until sign-ins begun with it are over. Nothing for the
    actor's own password (their desk goes on) or elsewhere; a failure to bar is logged and
    the sessions end all the same."""
    if uow.engine.dialect.name != "postgresql":
        return
    try:
        with uow(write=True) as unit:
            conn = _others_login_role(unit.session, actor, username)
            if conn is None:
                return
            logins.bar_login(conn, username.strip())
    except (SQLAlchemyError, DomainError) as exc:
        log.warning("barring the old password's sign-ins failed (%s)", type(exc).__name__)
    end_old_sessions(uow, username.strip())


def new_password_wait(uow: UnitOfWork, actor: Actor, username: str) -> int:
    """Seconds before *username*'s new password opens their own login role after *actor*
    reset it: the server's ``authentication_timeout`` and 2 s (``bar_and_end_sessions``) on a
    server with their own login role, for another user than the actor; else 0."""
    with uow() as unit:
        conn = _others_login_role(unit.session, actor, username)
        if conn is None:
            return 0
        seconds = conn.execute(
            text("SELECT extract(epoch FROM current_setting('authentication_timeout')::interval)")
        ).scalar()
    return int(seconds or 0) + 2
