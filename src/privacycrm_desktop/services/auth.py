"""Signing in and managing users: argon2id, lockout after repeated failures, idle lock.

The owner adds, deactivates, reactivates users, resets passwords and changes roles; the
last active owner can never be deactivated or demoted (there would be nobody left to
administer the database).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import replace

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import Permission, Role, require
from privacycrm_desktop.domain.errors import (
    AuthenticationFailed,
    DomainError,
    FieldProblem,
    NotFound,
    StorageFull,
    StorageLocked,
    StorageReadOnly,
    ValidationFailed,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import LANGUAGES
from privacycrm_desktop.persistence.models import User
from privacycrm_desktop.persistence.postgres import logins, roles
from privacycrm_desktop.persistence.postgres.sign_in_sql import LOCKOUT_MINUTES, MAX_FAILED_LOGINS
from privacycrm_desktop.persistence.storage_errors import refused_password, refused_sign_in
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import AUDIT_WAIT_MS, note_server_events, record_event
from privacycrm_desktop.services.audit_spool import event_values
from privacycrm_desktop.services.auth_idle import IdleLockSettings
from privacycrm_desktop.services.auth_server import (
    bar_and_end_sessions,
    desk_role,
    end_old_sessions,
    new_password_wait,
    password_proven,
    prove_own_password,
    server_roles_connection,
    server_writes_users,
    sync_login_role,
)
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor, SignInChange, UserInfo
from privacycrm_desktop.services.passwords import (
    burn_time,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)

LOCKOUT = dt.timedelta(minutes=LOCKOUT_MINUTES)
LAST_OWNER = N_(
    "The last active owner cannot be deactivated or given another role; "
    "make another user owner first."
)


class AuthService(IdleLockSettings):
    """Signs users in and lets the owner manage them."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def login(self, username: str, password: str) -> Actor:
        """Check the password; raise ``AuthenticationFailed`` (one message for every cause).

        When the sign-in cannot be written now (another program holds the write lock, the
        file is read-only, the disk is full) the user may still sign in to look things up
        (``_login_deferred``); its audit event (or a wrong password's count) waits for the
        next write transaction instead of being lost. Every save then says why
        it cannot.
        """
        try:
            return self._login(username, password)
        except (StorageReadOnly, StorageFull, StorageLocked):
            return self._login_deferred(username, password)

    def _login_deferred(self, username: str, password: str) -> Actor:
        """The same checks as ``_login``, reading only; what it would write is deferred."""
        now = self._clock.now()
        with self._uow() as uow:
            user = uow.session.execute(
                select(User).where(User.username == username.strip())
            ).scalar_one_or_none()
            usable = (
                user is not None
                and user.active
                and not (user.locked_until is not None and user.locked_until > now)
            )
            if user is None or not usable:
                burn_time(password)
                raise AuthenticationFailed
            user_id, name = user.id, user.username
            if not password_proven(uow.session, user, password):
                self._uow.defer(lambda session: _count_failure(session, user_id, now))
                raise AuthenticationFailed
            actor = _actor_of(user)

        event = event_values(
            actor=name,
            action="user.login",
            entity="app_user",
            entity_id=user_id,
            at=now,
            detail="deferred=1",
        )

        def write(session: Session) -> None:
            if desk_role(session):
                # A desk role writes its own bookkeeping through the server (no UPDATE on
                # app_user); this unit runs as the signed-in user's own login role.
                session.execute(text("SELECT pcrm_signed_in(NULL, :at)"), {"at": now})
            else:
                signed_in = session.get(User, user_id)
                if signed_in is not None:
                    signed_in.failed_logins = 0
                    signed_in.last_login_at = now
            record_event(session, **{**event, "at": now})  # type: ignore[arg-type]

        self._uow.defer(write, event)
        return actor

    def _login(self, username: str, password: str) -> Actor:
        now = self._clock.now()
        with self._uow(write=True, wait_ms=AUDIT_WAIT_MS) as uow:
            session = uow.session
            user = session.execute(
                select(User).where(User.username == username.strip())
            ).scalar_one_or_none()
            if user is None:
                burn_time(password)
                raise AuthenticationFailed
            locked = user.locked_until is not None and user.locked_until > now
            if locked or not user.active:
                burn_time(password)
                raise AuthenticationFailed
            desk = desk_role(session)
            if not password_proven(session, user, password):
                if desk:
                    # Its connection proved the server's password, not the app's: the
                    # server counted the refusal (pcrm_own_password_is); kept.
                    session.commit()
                    raise AuthenticationFailed
                if roles.server_functions(session.connection()):
                    # The server counts and locks, its login role included.
                    session.execute(
                        text("SELECT pcrm_sign_in_failed(:u, :at)"),
                        {"u": user.username, "at": now},
                    )
                    session.commit()
                    raise AuthenticationFailed
                _count_failure(session, user.id, now)
                # Commit the count, then refuse: the failure must be remembered.
                session.commit()
                raise AuthenticationFailed
            # A desk cannot read the hash (nor needs to): it is renewed where it is read.
            rehash = (
                None if desk or not needs_rehash(user.password_hash) else hash_password(password)
            )
            if roles.server_functions(session.connection()):
                # A lock that is over opens the login role again (postgres/sign_in_sql.py).
                session.execute(
                    text("SELECT pcrm_sign_in_ready(:u, :at)"), {"u": user.username, "at": now}
                )
            if desk:
                # The server writes the caller's own bookkeeping (postgres/sign_in_sql.py).
                session.execute(text("SELECT pcrm_signed_in(NULL, :at)"), {"at": now})
            else:
                user.failed_logins = 0
                user.locked_until = None
                user.last_login_at = now
                if rehash is not None:
                    user.password_hash = rehash
            sync_login_role(session, user, password)
            record_event(
                session,
                actor=user.username,
                action="user.login",
                entity="app_user",
                entity_id=user.id,
                at=now,
            )
            return _actor_of(user)

    def add_user(
        self, actor: Actor, username: str, password: str, role: Role, language: str = "en"
    ) -> int:
        """Create a user (owner only); return the new id."""
        require(actor.role, Permission.MANAGE_USERS)
        name = username.strip()
        if (
            not name
            or len(name) > 100
            # no spaces, and no control or format characters (an escape sequence in a
            # name would reach every listing and terminal)
            or any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in name)
        ):
            raise ValidationFailed(
                [FieldProblem("username", N_("Choose a user name without spaces."))]
            )
        check_password_policy(password, name)
        password_hash = hash_password(password)
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            taken = session.execute(
                select(func.count(User.id)).where(User.username == name)
            ).scalar()
            if taken:
                raise ValidationFailed([FieldProblem("username", N_("This user name is taken."))])
            if server_writes_users(session):
                # No desk role writes app_user: the server adds the user and audits it.
                new_id = int(
                    session.execute(
                        text(
                            "SELECT pcrm_user_change(:actor, 'user.add', :name, :role, :hash, "
                            ":language, :at)"
                        ),
                        {
                            "actor": actor.username,
                            "name": name,
                            "role": Role(role).value,
                            "hash": password_hash,
                            "language": language,
                            "at": now,
                        },
                    ).scalar_one()
                )
                note_server_events(session)
                if (conn := server_roles_connection(session)) is not None:
                    logins.create_login_role(conn, name, password, Role(role))
                return new_id
            user = User(
                username=name,
                role=Role(role).value,
                password_hash=password_hash,
                active=True,
                language=language,
                failed_logins=0,
                created_at=now,
            )
            session.add(user)
            session.flush()
            if (conn := server_roles_connection(session)) is not None:
                logins.create_login_role(conn, name, password, Role(role))
            record_event(
                session,
                actor=actor.username,
                action="user.add",
                entity="app_user",
                entity_id=user.id,
                at=now,
                detail=f"role={user.role}",
            )
            return user.id

    def list_users(self, actor: Actor) -> list[UserInfo]:
        """All users (owner only)."""
        require(actor.role, Permission.MANAGE_USERS)
        now = self._clock.now()
        with self._uow() as uow:
            users = uow.session.scalars(select(User).order_by(User.username)).all()
            return [
                UserInfo(
                    id=u.id,
                    username=u.username,
                    role=Role(u.role),
                    active=u.active,
                    language=u.language,
                    locked=u.locked_until is not None and u.locked_until > now,
                )
                for u in users
            ]

    def set_language(self, actor: Actor, language: str) -> None:
        """Remember the user's UI language (one of ``i18n.LANGUAGES``; the server function
        refuses any other, so a desk role cannot store text the sign-in then carries)."""
        if language not in LANGUAGES:
            raise ValidationFailed([FieldProblem("language", N_("Choose a language."))])
        with self._uow(write=True) as uow:
            if desk_role(uow.session):
                uow.session.execute(text("SELECT pcrm_set_language(:l)"), {"l": language})
                return
            user = uow.session.get(User, actor.user_id)
            if user is not None:
                user.language = language

    # -- administration (owner only) ----------------------------------------------------

    def _target(self, session: Session, username: str) -> User:
        user = session.execute(
            select(User).where(User.username == username.strip())
        ).scalar_one_or_none()
        if user is None:
            raise NotFound(N_("No user named {name}."), name=username.strip())
        return user

    @staticmethod
    def _is_last_owner(session: Session, user: User) -> bool:
        if user.role != Role.OWNER.value or not user.active:
            return False
        owners = session.execute(
            select(func.count(User.id)).where(User.role == Role.OWNER.value, User.active)
        ).scalar()
        return (owners or 0) <= 1

    def _change(
        self,
        session: Session,
        actor: Actor,
        action: str,
        user: User,
        *,
        role: Role | None = None,
        password_hash: str | None = None,
    ) -> None:
        """Make the change *action* through the server (``pcrm_user_change``), which
        checks the same rules and appends the audit event; *user* is read again after."""
        session.flush()
        session.execute(
            text("SELECT pcrm_user_change(:actor, :action, :name, :role, :hash, NULL, :at)"),
            {
                "actor": actor.username,
                "action": action,
                "name": user.username,
                "role": None if role is None else role.value,
                "hash": password_hash,
                "at": self._clock.now(),
            },
        )
        note_server_events(session)
        session.expire(user)

    def _audit(
        self, session: Session, actor: Actor, action: str, user: User, detail: str = ""
    ) -> None:
        record_event(
            session,
            actor=actor.username,
            action=action,
            entity="app_user",
            entity_id=user.id,
            at=self._clock.now(),
            detail=detail,
        )

    def deactivate_user(self, actor: Actor, username: str) -> None:
        """Stop *username* from signing in (owner only); never the last active owner.

        Raises:
            PermissionDenied: The actor is not the owner.
            NotFound: No such user.
            DomainError: The user is the last active owner, or the actor.
        """
        require(actor.role, Permission.MANAGE_USERS)
        with self._uow(write=True) as uow:
            user = self._target(uow.session, username)
            if self._is_last_owner(uow.session, user):
                raise DomainError(LAST_OWNER)
            if user.id == actor.user_id:
                raise DomainError(N_("You cannot deactivate your own account."))
            if user.active and server_writes_users(uow.session):
                self._change(uow.session, actor, "user.deactivate", user)
            elif user.active:
                user.active = False
                self._audit(uow.session, actor, "user.deactivate", user)
            if (conn := server_roles_connection(uow.session)) is not None:
                logins.set_active(conn, user.username, False)
        end_old_sessions(self._uow, username.strip())

    def reactivate_user(self, actor: Actor, username: str) -> None:
        """Let a deactivated user sign in again, with a clean lockout state (owner only)."""
        require(actor.role, Permission.MANAGE_USERS)
        with self._uow(write=True) as uow:
            user = self._target(uow.session, username)
            if not user.active and server_writes_users(uow.session):
                self._change(uow.session, actor, "user.reactivate", user)
            elif not user.active:
                user.active = True
                user.failed_logins, user.locked_until = 0, None
                self._audit(uow.session, actor, "user.reactivate", user)
            if (conn := server_roles_connection(uow.session)) is not None:
                logins.set_active(conn, user.username, True)

    def reset_password(self, actor: Actor, username: str, new_password: str) -> Actor:
        """Give *username* a new password and lift a lockout (owner only).

        The password's generation goes one up: every desk where the user is signed in
        locks and asks for the new password (``still_signed_in``); on a server their
        sessions end. Returns *actor*, with the new generation when it was their own.

        Raises:
            PermissionDenied: The actor is not the owner.
            NotFound: No such user.
            ValidationFailed: The password breaks the policy.
        """
        require(actor.role, Permission.MANAGE_USERS)
        check_password_policy(new_password, username.strip())
        password_hash = hash_password(new_password)
        bar_and_end_sessions(self._uow, actor, username)
        with self._uow(write=True) as uow:
            user = self._target(uow.session, username)
            if server_writes_users(uow.session):
                self._change(
                    uow.session, actor, "user.password_reset", user, password_hash=password_hash
                )
            else:
                user.password_hash = password_hash
                user.failed_logins, user.locked_until = 0, None
                user.credentials_version += 1
                self._audit(uow.session, actor, "user.password_reset", user)
            if (conn := server_roles_connection(uow.session)) is not None:
                logins.create_login_role(conn, user.username, new_password, Role(user.role))
                logins.set_active(conn, user.username, user.active)
                if user.id != actor.user_id:
                    logins.bar_login(conn, user.username)  # as committed: no gap
            own = replace(actor, credentials_version=user.credentials_version)
            mine, name = user.id == actor.user_id, user.username
        if not mine:
            bar_and_end_sessions(self._uow, actor, name)  # the bar from the commit on
            return actor
        prove_own_password(self._uow, own.username, new_password)  # this desk's new password
        end_old_sessions(self._uow, name)
        return own

    def change_role(self, actor: Actor, username: str, role: Role) -> None:
        """Give *username* another role (owner only); the last active owner stays owner."""
        require(actor.role, Permission.MANAGE_USERS)
        role = Role(role)
        with self._uow(write=True) as uow:
            user = self._target(uow.session, username)
            if user.role == role.value:
                return
            if self._is_last_owner(uow.session, user):
                raise DomainError(LAST_OWNER)
            if server_writes_users(uow.session):
                self._change(uow.session, actor, "user.role", user, role=role)
            else:
                old, user.role = user.role, role.value
                self._audit(uow.session, actor, "user.role", user, f"from={old};to={role.value}")
            conn = server_roles_connection(uow.session)
            if conn is not None and roles.has_login_role(conn, user.username):
                logins.set_app_role(conn, user.username, role)
        # A session that took its old group's role (SET ROLE) would keep its rights.
        end_old_sessions(self._uow, username.strip())

    # -- the server enforces the matrix (PostgreSQL) -----------------------------------

    def server_roles_enabled(self) -> bool:
        """True on a PostgreSQL database whose server enforces the field matrix."""
        with self._uow() as uow:
            return server_roles_connection(uow.session) is not None

    def enable_server_roles(self, actor: Actor, password: str) -> None:
        """Make the PostgreSQL server enforce the field matrix (owner only, once).

        Creates one group role per app role with the privileges the matrix allows and a
        login role for the signed-in owner with *password*; the others get theirs when
        they next sign in through this connection, or when their password is reset.
        The connection must be allowed to create roles (the administrator's).

        Raises:
            PermissionDenied: The actor is not the owner.
            AuthenticationFailed: *password* is not the owner's.
            DomainError: The database is not on PostgreSQL.
        """
        require(actor.role, Permission.MANAGE_USERS)
        with self._uow(write=True) as uow:
            session = uow.session
            if session.get_bind().dialect.name != "postgresql":
                raise DomainError(N_("Only a PostgreSQL server can enforce the field rules."))
            user = session.get(User, actor.user_id)
            if user is None or not verify_password(user.password_hash, password):
                raise AuthenticationFailed
            conn = session.connection()
            from privacycrm_desktop.persistence.postgres import grants  # server only

            grants.enable(conn)
            logins.create_login_role(conn, user.username, password, Role(user.role))
            self._audit(session, actor, "server_roles.enable", user)

    # -- the idle lock --------------------------------------------------------------------

    def still_signed_in(self, actor: Actor) -> bool:
        """Whether *actor*'s user is still active, with the role and the password they
        signed in with (the owner may change them on another desk)."""
        return self.sign_in_change(actor) is None

    def sign_in_change(self, actor: Actor) -> SignInChange | None:
        """What ended *actor*'s sign-in since they signed in, None when nothing did: their
        password reset (a new generation), their role changed or their account
        deactivated; a server refusing their login role counts as access."""
        query = select(User.role, User.active, User.credentials_version).where(
            User.id == actor.user_id
        )
        try:
            with self._uow() as uow:
                row = uow.session.execute(query).first()
        except Exception as exc:
            # A connection opened again (a server restart; the owner's change ended this
            # desk's sessions): a refused password is a reset.
            if refused_sign_in(exc):
                return SignInChange.RESET if refused_password(exc) else SignInChange.ACCESS
            raise
        if row is not None and row.credentials_version != actor.credentials_version:
            return SignInChange.RESET
        if row is None or not row.active or row.role != actor.role.value:
            return SignInChange.ACCESS
        return None

    def unlock(self, actor: Actor, password: str) -> Actor:
        """Check the signed-in user's password again after the idle lock.

        Failures count towards the lockout like any sign-in; the returned actor carries
        the user's current role and password generation (the owner may have changed
        them meanwhile). A desk on its user's own login role proves the password to the
        server first (``prove_own_password``).

        Raises:
            AuthenticationFailed: Wrong password, or the account is locked or inactive.
        """
        prove_own_password(self._uow, actor.username, password)
        again = self.login(actor.username, password)
        if again.user_id != actor.user_id:
            raise AuthenticationFailed
        return again

    def new_password_wait(self, actor: Actor, username: str) -> int:
        """Seconds before *username*'s new password opens their own server login role after
        the actor reset it (the reset's bar, ``bar_and_end_sessions``); 0 when nothing waits."""
        return new_password_wait(self._uow, actor, username)


def _actor_of(user: User) -> Actor:
    """The signed-in *user* as the services take them, with their password's generation."""
    return Actor(user.id, user.username, Role(user.role), user.language, user.credentials_version)


def _count_failure(session: Session, user_id: int, now: dt.datetime) -> None:
    """Count a wrong password; the tenth in a row locks the account for a while (audited)."""
    user = session.get(User, user_id)
    if user is None:
        return
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = now + LOCKOUT
        user.failed_logins = 0
        record_event(
            session,
            actor=user.username,
            action="user.locked",
            entity="app_user",
            entity_id=user.id,
            at=now,
        )
