"""Signing in and managing users: argon2id, lockout after repeated failures."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from privacycrm_desktop.domain.access import Permission, Role, require
from privacycrm_desktop.domain.errors import (
    AuthenticationFailed,
    FieldProblem,
    ValidationFailed,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.models import User
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor, UserInfo
from privacycrm_desktop.services.passwords import (
    burn_time,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)

MAX_FAILED_LOGINS = 10
LOCKOUT = dt.timedelta(minutes=15)


class AuthService:
    """Signs users in and lets the owner manage them."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def login(self, username: str, password: str) -> Actor:
        """Check the password; raise ``AuthenticationFailed`` (one message for every cause)."""
        now = self._clock.now()
        with self._uow(write=True) as uow:
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
            if not verify_password(user.password_hash, password):
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
                # Commit the count, then refuse: the failure must be remembered.
                session.commit()
                raise AuthenticationFailed
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = now
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            record_event(
                session,
                actor=user.username,
                action="user.login",
                entity="app_user",
                entity_id=user.id,
                at=now,
            )
            return Actor(user.id, user.username, Role(user.role), user.language)

    def add_user(
        self, actor: Actor, username: str, password: str, role: Role, language: str = "en"
    ) -> int:
        """Create a user (owner only); return the new id."""
        require(actor.role, Permission.MANAGE_USERS)
        name = username.strip()
        if not name or len(name) > 100 or any(ch.isspace() for ch in name):
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
        """Remember the user's UI language."""
        with self._uow(write=True) as uow:
            user = uow.session.get(User, actor.user_id)
            if user is not None:
                user.language = language
