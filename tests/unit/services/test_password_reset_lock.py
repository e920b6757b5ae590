"""A reset password ends the user's sign-in on every desk until the new one is given.

A reset usually means the old password may be known to someone else: like a change of
role or a deactivation, it makes ``still_signed_in`` false for an actor signed in before
it (the password's generation, ``app_user.credentials_version``), and only the new
password unlocks. A sign-in and the rehash of an old hash at sign-in leave the
generation alone. On both back ends (on PostgreSQL through ``pcrm_user_change``).
"""

from __future__ import annotations

import pytest
from alembic import command
from argon2 import PasswordHasher
from sqlalchemy import inspect, text

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.errors import AuthenticationFailed
from privacycrm_desktop.persistence.migrate import alembic_config, migrate
from privacycrm_desktop.services.dto import Actor, SignInChange
from privacycrm_desktop.services.registry import Services

OLD = "anne's first password"
NEW = "anne's brand new password"


def _anne(svc: Services, owner: Actor) -> Actor:
    svc.auth.add_user(owner, "anne", OLD, Role.OFFICE)
    return svc.auth.login("anne", OLD)


def test_a_reset_password_ends_the_sign_in_until_the_new_one_is_given(
    svc: Services, owner: Actor
) -> None:
    anne = _anne(svc, owner)
    assert svc.auth.still_signed_in(anne)
    svc.auth.reset_password(owner, "anne", NEW)
    assert not svc.auth.still_signed_in(anne)
    assert svc.auth.sign_in_change(anne) is SignInChange.RESET
    with pytest.raises(AuthenticationFailed):
        svc.auth.unlock(anne, OLD)
    again = svc.auth.unlock(anne, NEW)
    assert again.credentials_version == anne.credentials_version + 1
    assert (again.user_id, again.role) == (anne.user_id, anne.role)
    assert svc.auth.still_signed_in(again)
    # A second reset: a new generation again.
    svc.auth.reset_password(owner, "anne", OLD)
    assert svc.auth.sign_in_change(again) is SignInChange.RESET


def test_a_changed_role_is_still_a_change_of_access(svc: Services, owner: Actor) -> None:
    anne = _anne(svc, owner)
    svc.auth.change_role(owner, "anne", Role.SALES)
    assert svc.auth.sign_in_change(anne) is SignInChange.ACCESS


def test_a_sign_in_and_a_rehash_at_sign_in_keep_the_generation(svc: Services, owner: Actor) -> None:
    anne = _anne(svc, owner)
    # A hash made with other parameters than today's: the next sign-in renews it.
    weaker = PasswordHasher(time_cost=2, memory_cost=512, parallelism=1).hash(OLD)
    with svc.uow.engine.begin() as conn:
        conn.execute(
            text("UPDATE app_user SET password_hash = :h WHERE username = 'anne'"), {"h": weaker}
        )
    assert svc.auth.login("anne", OLD).credentials_version == anne.credentials_version
    with svc.uow.engine.connect() as conn:
        renewed = conn.execute(
            text("SELECT password_hash FROM app_user WHERE username = 'anne'")
        ).scalar_one()
    assert renewed != weaker
    assert svc.auth.still_signed_in(anne)


def test_the_owner_resetting_their_own_password_goes_on_with_the_new_generation(
    svc: Services, owner: Actor
) -> None:
    anne = _anne(svc, owner)
    assert svc.auth.reset_password(owner, "anne", NEW) == owner
    mine = svc.auth.reset_password(owner, owner.username, "the owner's new password")
    assert mine.credentials_version == owner.credentials_version + 1
    assert svc.auth.still_signed_in(mine)
    # A desk of the owner's still on the old password locks; anne's was locked already.
    assert svc.auth.sign_in_change(owner) is SignInChange.RESET
    assert svc.auth.sign_in_change(anne) is SignInChange.RESET


def _columns(svc: Services) -> set[str]:
    return {c["name"] for c in inspect(svc.uow.engine).get_columns("app_user")}


def _server_texts(svc: Services) -> tuple[str, str]:
    """The notify trigger on app_user and the server's function of the owner's changes."""
    with svc.uow.engine.connect() as conn:
        trigger = conn.execute(
            text(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgname = 'app_user_notify' AND tgrelid = 'app_user'::regclass"
            )
        ).scalar_one()
        function = conn.execute(
            text(
                "SELECT pg_get_functiondef(to_regprocedure("
                "'pcrm_user_change(text, text, text, text, text, text, timestamp)'))"
            )
        ).scalar_one()
    return str(trigger), str(function)


def test_the_migration_goes_down_and_up_again(svc: Services, owner: Actor) -> None:
    anne = _anne(svc, owner)
    postgresql = svc.uow.engine.dialect.name == "postgresql"
    with svc.uow.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0031_list_view_cover")
    assert "credentials_version" not in _columns(svc)
    if postgresql:
        trigger, function = _server_texts(svc)
        assert "UPDATE OF role, active ON" in trigger
        assert "credentials_version" not in function  # it would write a column not there
    assert migrate(svc.uow.engine)
    assert "credentials_version" in _columns(svc)
    if postgresql:
        trigger, function = _server_texts(svc)
        assert "UPDATE OF role, active, credentials_version ON" in trigger
        assert "credentials_version = credentials_version + 1" in function
    assert svc.auth.still_signed_in(anne)
    svc.auth.reset_password(owner, "anne", NEW)
    assert svc.auth.sign_in_change(anne) is SignInChange.RESET
