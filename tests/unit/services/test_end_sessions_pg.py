"""A reset or a deactivation ends the server sessions the user already had.

A PostgreSQL server checks a login role's password and LOGIN only when a session opens: a
connection opened before the owner reset a password or deactivated the user kept every
right of the role until it closed (found by an outside attack: it could read what the role
may, set the role's server password and try guesses of the new one). The owner's change,
once committed, now ends them (``pcrm_end_sessions``); the person's desk then finds its
connection refused and locks with the reason.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from helpers.pg_users import (
    NEEDS_SERVER,
    OWNER_PASSWORD,
    SAM_NEW_PASSWORD,
    SAM_PASSWORD,
    bar_over,
    server,
)
from helpers.stalled_sign_in import StalledSignIn
from privacycrm_desktop.app import OwnRoleSignIn
from privacycrm_desktop.cli import main as cli
from privacycrm_desktop.persistence.postgres import grants, roles
from privacycrm_desktop.services.dto import SignInChange

__all__ = ["server"]  # the fixture (helpers.pg_users)

pytestmark = NEEDS_SERVER


def _own(admin: str, username: str, password: str) -> str:
    """The URL of *username*'s own login role."""
    role = roles.login_role(make_url(admin).database or "", username)
    return make_url(admin).set(username=role, password=password).render_as_string(False)


def _ended(conn: psycopg.Connection) -> bool:
    """True when the server ended the session behind *conn*."""
    try:
        conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return True
    return False


def test_a_reset_ends_the_sessions_the_old_password_opened(
    server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, desk = server
    door = OwnRoleSignIn(desk)
    sam = door.login("sam", SAM_PASSWORD)
    assert door.services is not None
    old = psycopg.connect(_own(admin, "sam", SAM_PASSWORD), autocommit=True)
    owners = psycopg.connect(_own(admin, "owner", OWNER_PASSWORD), autocommit=True)
    try:
        monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", SAM_NEW_PASSWORD)
        assert cli(["--db", admin, "--user", "owner", "user", "reset-password", "sam"]) == 0
        assert _ended(old)
        assert not _ended(owners)  # only sam's
        # Sam's desk: its connections ended too, a new one is refused: a reset, it says.
        assert door.services.auth.sign_in_change(sam) is SignInChange.RESET
        # The new password opens sessions once the old one's sign-ins are over.
        with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
            psycopg.connect(_own(admin, "sam", SAM_NEW_PASSWORD))
        bar_over(admin, "sam", open_role=False)  # the sign-in itself lets the role in
        again = OwnRoleSignIn(desk)
        again.login("sam", SAM_NEW_PASSWORD)
        assert again.services is not None
        again.services.uow.engine.dispose()
    finally:
        old.close()
        owners.close()
        door.services.uow.engine.dispose()


def test_a_deactivation_ends_the_users_sessions(server: tuple[str, str]) -> None:
    admin, desk = server
    door = OwnRoleSignIn(desk)
    sam = door.login("sam", SAM_PASSWORD)
    assert door.services is not None
    old = psycopg.connect(_own(admin, "sam", SAM_PASSWORD), autocommit=True)
    try:
        assert old.execute("SELECT count(*) FROM contact").fetchone() == (0,)
        assert cli(["--db", admin, "--user", "owner", "user", "deactivate", "sam"]) == 0
        assert _ended(old)
        assert door.services.auth.sign_in_change(sam) is SignInChange.ACCESS
    finally:
        old.close()
        door.services.uow.engine.dispose()


def test_the_owners_desk_ends_them_and_keeps_its_own(
    server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the owner's desk on the owner's own role (not the administrator's), for a
    reset of sam's password and of the owner's own: the other sessions end, the desk goes
    on with the new password."""
    admin, desk = server
    door = OwnRoleSignIn(desk)
    owner = door.login("owner", OWNER_PASSWORD)
    assert door.services is not None
    auth = door.services.auth
    sams = psycopg.connect(_own(admin, "sam", SAM_PASSWORD), autocommit=True)
    mine = psycopg.connect(_own(admin, "owner", OWNER_PASSWORD), autocommit=True)
    try:
        assert auth.reset_password(owner, "sam", SAM_NEW_PASSWORD) == owner
        assert _ended(sams)
        assert not _ended(mine)
        again = auth.reset_password(owner, "owner", "owner-new-password-long-3")
        assert _ended(mine)  # a session someone else may have opened with the old one
        assert auth.still_signed_in(again)
        assert door.services.contacts.count(again) == 0
    finally:
        sams.close()
        mine.close()
        door.services.uow.engine.dispose()


def test_no_one_but_the_owner_ends_sessions(server: tuple[str, str]) -> None:
    admin, _desk = server
    with (
        psycopg.connect(_own(admin, "sam", SAM_PASSWORD), autocommit=True) as sam,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        sam.execute("SELECT pcrm_end_sessions('owner')")
    with (
        psycopg.connect(_own(admin, "owner", OWNER_PASSWORD), autocommit=True) as owner,
        pytest.raises(psycopg.errors.InvalidParameterValue),
    ):
        owner.execute("SELECT pcrm_end_sessions('nobody')")


def test_a_login_role_of_an_earlier_version_is_joined_at_the_upgrade(
    server: tuple[str, str],
) -> None:
    """A login role made before the system role joined each one: the server would not end
    its sessions (NULL) until the administrator's upgrade (``grants.enable``) joins it."""
    admin, _desk = server
    database = make_url(admin).database or ""
    system, role = roles.system_role(database), roles.login_role(database, "sam")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'REVOKE "{role}" FROM "{system}"')
    with psycopg.connect(_own(admin, "owner", OWNER_PASSWORD), autocommit=True) as owner:
        assert owner.execute("SELECT pcrm_end_sessions('sam')").fetchone() == (None,)
    engine = create_engine(admin.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            grants.enable(conn)
            joined = conn.execute(
                text("SELECT pg_has_role(:s, :r, 'USAGE')"), {"s": system, "r": role}
            ).scalar()
    finally:
        engine.dispose()
    assert joined is True
    with (
        psycopg.connect(_own(admin, "sam", SAM_PASSWORD), autocommit=True) as old,
        psycopg.connect(_own(admin, "owner", OWNER_PASSWORD), autocommit=True) as owner,
    ):
        assert owner.execute("SELECT pcrm_end_sessions('sam')").fetchone() == (1,)
        assert _ended(old)


def test_a_sign_in_begun_with_the_old_password_does_not_open_after_the_reset(
    server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server reads the password when a sign-in begins; a client may send its proof up
    to ``authentication_timeout`` later. Begun before the reset and finished after it, it
    opened a session with the old password that nothing ended (an outside attack), which
    could then set a server password of its own."""
    admin, _desk = server
    url = make_url(admin)
    role = roles.login_role(url.database or "", "sam")
    stalled = StalledSignIn(
        url.host or "", url.port or 5432, role, url.database or "", SAM_PASSWORD
    )
    try:
        monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", SAM_NEW_PASSWORD)
        assert cli(["--db", admin, "--user", "owner", "user", "reset-password", "sam"]) == 0
        refused = stalled.finish()
    finally:
        stalled.close()
    assert refused is not None
    assert "not permitted to log in" in refused


def test_a_reset_goes_through_while_an_old_session_keeps_setting_its_own_password(
    server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any role may ``ALTER ROLE`` its own password: one of sam's sessions doing so in a
    loop made every reset fail ("tuple concurrently updated"), or set its password
    between the reset's commit and the end of its sessions, and kept the account."""
    import threading

    admin, desk = server
    role = roles.login_role(make_url(admin).database or "", "sam")
    stop = threading.Event()

    def keep_changing() -> None:
        while not stop.is_set():
            try:
                with psycopg.connect(_own(admin, "sam", SAM_PASSWORD), autocommit=True) as conn:
                    while not stop.is_set():
                        conn.execute(f"ALTER ROLE \"{role}\" PASSWORD '{SAM_PASSWORD}'")
            except psycopg.Error:
                if stop.wait(0.001):
                    return

    changer = threading.Thread(target=keep_changing)
    changer.start()
    try:
        monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", SAM_NEW_PASSWORD)
        for _ in range(3):
            assert cli(["--db", admin, "--user", "owner", "user", "reset-password", "sam"]) == 0
    finally:
        stop.set()
        changer.join()
    bar_over(admin, "sam")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(_own(admin, "sam", SAM_PASSWORD))
    door = OwnRoleSignIn(desk)
    door.login("sam", SAM_NEW_PASSWORD)
    assert door.services is not None
    door.services.uow.engine.dispose()


def test_a_role_change_ends_a_session_that_took_its_old_groups_role(
    server: tuple[str, str],
) -> None:
    """``SET ROLE`` to the group keeps that role in the session after the membership is
    revoked: a demoted user went on writing with the old role's rights."""
    from privacycrm_desktop.domain.access import Role

    admin, _desk = server
    group = roles.group_role(make_url(admin).database or "", Role.SALES)
    with psycopg.connect(_own(admin, "sam", SAM_PASSWORD), autocommit=True) as old:
        old.execute(f'SET ROLE "{group}"')
        assert cli(["--db", admin, "--user", "owner", "user", "role", "sam", "read_only"]) == 0
        assert _ended(old)


def _bar_left(admin: str, username: str) -> float:
    """Seconds left of *username*'s bar, by the server's clock."""
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute(
            "SELECT extract(epoch FROM until - clock_timestamp() AT TIME ZONE 'UTC') "
            "FROM pcrm_login_bar WHERE username = %s",
            (username,),
        ).fetchone()
    assert row is not None
    return float(row[0])


def test_a_reset_made_to_wait_does_not_shorten_the_bar(
    server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bar was measured from the reset transaction's start: the public sign-in role,
    holding rows the reset waits for, made it commit seconds later with that much less bar
    left, and a sign-in begun with the old password then finished after it."""
    import threading

    admin, _desk = server
    with psycopg.connect(admin, autocommit=True) as conn:
        timeout = conn.execute(
            "SELECT extract(epoch FROM current_setting('authentication_timeout')::interval)"
        ).fetchone()
    assert timeout is not None
    holder = psycopg.connect(admin)
    holder.execute("SELECT 1 FROM app_user WHERE username = 'sam' FOR UPDATE")
    release = threading.Timer(3.5, holder.commit)  # under the desks' lock timeout (5 s)
    release.start()
    try:
        monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", SAM_NEW_PASSWORD)
        assert cli(["--db", admin, "--user", "owner", "user", "reset-password", "sam"]) == 0
    finally:
        release.join()
        holder.close()
    assert _bar_left(admin, "sam") >= float(timeout[0])


def test_the_right_new_password_refused_during_the_bar_is_not_counted(
    server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each try during the bar counted as a refused sign-in: ten tries of the right new
    password locked the account for a quarter of an hour."""
    from privacycrm_desktop.domain.errors import AuthenticationFailed

    admin, desk = server
    monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", SAM_NEW_PASSWORD)
    assert cli(["--db", admin, "--user", "owner", "user", "reset-password", "sam"]) == 0
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            OwnRoleSignIn(desk).login("sam", SAM_NEW_PASSWORD)
    with psycopg.connect(admin) as conn:
        counted = conn.execute(
            "SELECT failed_logins, locked_until FROM app_user WHERE username = 'sam'"
        ).fetchone()
    assert counted == (0, None)
