"""A deactivated user whose desk must open its connection again is not signed in.

On a server whose login roles are the users' own, deactivating a user makes their login
role NOLOGIN; the connections already open stay. When they are gone (the server
restarted) the desk's check raised the refused connection instead of answering, and the
window it guards stayed unlocked with the list on it (found by an outside attack).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from helpers.pg_users import (
    NEEDS_SERVER,
    OWNER_PASSWORD,
    SAM_NEW_PASSWORD,
    SAM_PASSWORD,
    bar_over,
    server,
)
from privacycrm_desktop.app import OwnRoleSignIn
from privacycrm_desktop.cli import main as cli
from privacycrm_desktop.domain.errors import AuthenticationFailed
from privacycrm_desktop.services.dto import SignInChange

__all__ = ["server"]  # the fixture

pytestmark = NEEDS_SERVER


def test_a_deactivated_user_refused_a_new_connection_is_not_signed_in(
    server: tuple[str, str],
) -> None:
    admin, desk = server
    door = OwnRoleSignIn(desk)
    actor = door.login("sam", SAM_PASSWORD)
    assert door.services is not None
    auth = door.services.auth
    assert auth.still_signed_in(actor)
    assert cli(["--db", admin, "--user", "owner", "user", "deactivate", "sam"]) == 0
    # The server restarts: the desk's connections end, and sam's role may not log in.
    door.services.uow.engine.dispose()

    assert auth.still_signed_in(actor) is False
    door.services.uow.engine.dispose()


def test_a_desk_on_its_own_role_unlocks_only_with_the_password_the_server_takes(
    server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The desk's connections proved sam's password once, at sign-in: its unlock let any
    password through. A reset on another desk locks it, and only the new password
    unlocks; the desk's later connections open with it."""
    admin, desk = server
    door = OwnRoleSignIn(desk)
    actor = door.login("sam", SAM_PASSWORD)
    assert door.services is not None
    auth = door.services.auth
    with pytest.raises(AuthenticationFailed):
        auth.unlock(actor, "not sam's password at all")
    assert auth.unlock(actor, SAM_PASSWORD) == actor

    monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", SAM_NEW_PASSWORD)
    assert cli(["--db", admin, "--user", "owner", "user", "reset-password", "sam"]) == 0
    assert auth.sign_in_change(actor) is SignInChange.RESET
    with pytest.raises(AuthenticationFailed):
        auth.unlock(actor, SAM_PASSWORD)
    bar_over(admin, "sam")  # the old password's sign-ins are over: the new one opens
    again = auth.unlock(actor, SAM_NEW_PASSWORD)
    assert again.credentials_version == actor.credentials_version + 1
    door.services.uow.engine.dispose()  # new connections: with the new password
    assert auth.still_signed_in(again)
    door.services.uow.engine.dispose()


def test_the_owner_resetting_their_own_password_on_their_own_role_goes_on(
    server: tuple[str, str],
) -> None:
    _admin_url, desk = server
    door = OwnRoleSignIn(desk)
    owner = door.login("owner", OWNER_PASSWORD)
    assert door.services is not None
    auth = door.services.auth
    mine = auth.reset_password(owner, "owner", "owner-new-password-long-2")
    assert auth.sign_in_change(owner) is SignInChange.RESET
    door.services.uow.engine.dispose()  # new connections: with the new password
    assert auth.still_signed_in(mine)
    door.services.uow.engine.dispose()


def test_an_empty_password_never_signs_in_or_unlocks_with_the_one_libpq_finds(
    server: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq takes an empty password as none given and falls back to ``PGPASSWORD`` and a
    ``.pgpass`` file: with sam's password there, an empty one unlocked sam's desk."""
    _admin, desk = server
    door = OwnRoleSignIn(desk)
    actor = door.login("sam", SAM_PASSWORD)
    assert door.services is not None
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:*:*:{SAM_PASSWORD}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    monkeypatch.setenv("PGPASSWORD", SAM_PASSWORD)
    # libpq reads a password up to a NUL: "\0guess" was an empty one to it.
    for password in ("", "\0", "\0guess"):
        with pytest.raises(AuthenticationFailed):
            door.services.auth.unlock(actor, password)
        with pytest.raises(AuthenticationFailed):
            OwnRoleSignIn(desk).login("sam", password)
    door.services.uow.engine.dispose()


def test_a_server_that_will_not_take_the_unlocks_connection_says_so_in_one_sentence(
    server: tuple[str, str],
) -> None:
    """The right password while sam's role may open no more connections: a storage
    sentence for the lock screen, not the driver's error (it reached the window raw)."""
    from privacycrm_desktop.domain.errors import StorageError
    from privacycrm_desktop.persistence.postgres import roles

    admin, desk = server
    door = OwnRoleSignIn(desk)
    actor = door.login("sam", SAM_PASSWORD)
    assert door.services is not None
    role = roles.login_role(make_url(admin).database or "", "sam")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER ROLE "{role}" CONNECTION LIMIT 0')
    with pytest.raises(StorageError):
        door.services.auth.unlock(actor, SAM_PASSWORD)
    door.services.uow.engine.dispose()


def _sessions_outlive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resets and deactivations leave the sessions open (as when the owner's desk stopped
    between the commit and ending them, or a server would not let it): what the server's
    functions refuse such a session is then all that stands."""
    from privacycrm_desktop.services import auth

    monkeypatch.setattr(auth, "end_old_sessions", lambda _uow, _name: False)
    monkeypatch.setattr(auth, "bar_and_end_sessions", lambda _uow, _actor, _name: None)


def test_a_connection_opened_before_a_reset_cannot_set_a_password_of_its_choosing(
    server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection sam opened with the old password outlives the reset: through
    ``pcrm_signed_in`` it wrote a hash of a password it chose, signed in with it and had
    the login role follow: the account was back in the old password holder's hands.
    (The reset ends such a connection now; here it could not: ``_sessions_outlive``.)"""
    from privacycrm_desktop.persistence.postgres import roles
    from privacycrm_desktop.services.passwords import hash_password

    _sessions_outlive(monkeypatch)

    admin, desk = server
    role = roles.login_role(make_url(admin).database or "", "sam")
    old = make_url(admin).set(username=role, password=SAM_PASSWORD)
    with psycopg.connect(old.render_as_string(hide_password=False), autocommit=True) as conn:
        monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", SAM_NEW_PASSWORD)
        assert cli(["--db", admin, "--user", "owner", "user", "reset-password", "sam"]) == 0
        bar_over(admin, "sam")
        chosen = hash_password("chosen-by-the-old-holder-1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT pcrm_signed_in(%s, now()::timestamp)", (chosen,))
    with pytest.raises(AuthenticationFailed):
        OwnRoleSignIn(desk).login("sam", "chosen-by-the-old-holder-1")
    door = OwnRoleSignIn(desk)
    door.login("sam", SAM_NEW_PASSWORD)
    assert door.services is not None
    door.services.uow.engine.dispose()


def test_a_server_password_the_role_set_itself_does_not_sign_in(
    server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A role may change its own server password (``ALTER ROLE``): after a reset, a
    connection opened before it set one and signed in with it (the server's password was
    all a desk on its own role proved). The app's password is proven too now. (The
    reset ends such a connection now; here it could not: ``_sessions_outlive``.)"""
    from privacycrm_desktop.persistence.postgres import roles

    _sessions_outlive(monkeypatch)
    admin, desk = server
    role = roles.login_role(make_url(admin).database or "", "sam")
    old = make_url(admin).set(username=role, password=SAM_PASSWORD)
    with psycopg.connect(old.render_as_string(hide_password=False), autocommit=True) as conn:
        monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", SAM_NEW_PASSWORD)
        assert cli(["--db", admin, "--user", "owner", "user", "reset-password", "sam"]) == 0
        bar_over(admin, "sam")
        conn.execute(f"ALTER ROLE \"{role}\" PASSWORD 'x'")  # allowed: its own
        assert conn.execute("SELECT pcrm_own_password_is('$argon2id$x')").fetchone() == (False,)
    with pytest.raises(AuthenticationFailed):
        OwnRoleSignIn(desk).login("sam", "x")
    with psycopg.connect(admin) as conn:  # each refusal is counted: guesses lock too
        assert conn.execute(
            "SELECT failed_logins FROM app_user WHERE username = 'sam'"
        ).fetchone() == (2,)
    # The owner's password still works once the server has it again (the admin's next
    # sign-in of sam through the CLI sets it), and only that one.
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"ALTER ROLE \"{role}\" PASSWORD '{SAM_NEW_PASSWORD}'")
    door = OwnRoleSignIn(desk)
    door.login("sam", SAM_NEW_PASSWORD)
    assert door.services is not None
    door.services.uow.engine.dispose()


def test_a_desk_stores_only_a_language_of_the_app(server: tuple[str, str]) -> None:
    """``pcrm_set_language('zz<x>')`` was accepted, and the next sign-in carried it."""
    from privacycrm_desktop.domain.errors import ValidationFailed
    from privacycrm_desktop.persistence.postgres import roles

    admin, desk = server
    door = OwnRoleSignIn(desk)
    sam = door.login("sam", SAM_PASSWORD)
    assert door.services is not None
    with pytest.raises(ValidationFailed):
        door.services.auth.set_language(sam, "zz<x>")
    door.services.auth.set_language(sam, "fr")
    door.services.uow.engine.dispose()
    role = roles.login_role(make_url(admin).database or "", "sam")
    own = make_url(admin).set(username=role, password=SAM_PASSWORD)
    url = own.render_as_string(hide_password=False)
    with (
        psycopg.connect(url, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InvalidParameterValue),
    ):
        conn.execute("SELECT pcrm_set_language('zz<x>')")
    with psycopg.connect(admin) as conn:
        stored = conn.execute("SELECT language FROM app_user WHERE username = 'sam'").fetchone()
    assert stored == ("fr",)
