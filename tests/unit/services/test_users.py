"""User administration, lockout and the idle-lock setting, with a controlled clock."""

from __future__ import annotations

import datetime as dt

import pytest

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.errors import (
    AuthenticationFailed,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from privacycrm_desktop.services.auth import LOCKOUT, MAX_FAILED_LOGINS
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

GOOD = "another good password"


def _add(svc: Services, owner: Actor, name: str, role: Role) -> Actor:
    svc.auth.add_user(owner, name, GOOD, role)
    return svc.auth.login(name, GOOD)


def _actions(svc: Services, owner: Actor) -> list[str]:
    return [e.action for e in svc.audit.list_events(owner)]


def test_deactivate_and_reactivate(svc: Services, owner: Actor) -> None:
    _add(svc, owner, "anne", Role.OFFICE)
    svc.auth.deactivate_user(owner, "anne")
    with pytest.raises(AuthenticationFailed):
        svc.auth.login("anne", GOOD)
    assert not next(u for u in svc.auth.list_users(owner) if u.username == "anne").active
    svc.auth.reactivate_user(owner, "anne")
    assert svc.auth.login("anne", GOOD).username == "anne"
    assert {"user.deactivate", "user.reactivate"} <= set(_actions(svc, owner))


def test_last_owner_is_never_deactivated_or_demoted(svc: Services, owner: Actor) -> None:
    with pytest.raises(DomainError, match="last active owner"):
        svc.auth.change_role(owner, "owner", Role.SALES)
    second = _add(svc, owner, "boss2", Role.OWNER)
    with pytest.raises(DomainError, match="own account"):
        svc.auth.deactivate_user(owner, "owner")
    svc.auth.change_role(second, "owner", Role.SALES)  # another owner remains
    with pytest.raises(DomainError, match="last active owner"):
        svc.auth.deactivate_user(second, "boss2")
    with pytest.raises(DomainError, match="last active owner"):
        svc.auth.change_role(second, "boss2", Role.READ_ONLY)
    roles = {u.username: u.role for u in svc.auth.list_users(second)}
    assert roles == {"owner": Role.SALES, "boss2": Role.OWNER}


def test_an_inactive_owner_does_not_count(svc: Services, owner: Actor) -> None:
    _add(svc, owner, "boss2", Role.OWNER)
    svc.auth.deactivate_user(owner, "boss2")
    with pytest.raises(DomainError, match="last active owner"):
        svc.auth.change_role(owner, "owner", Role.OFFICE)


def test_reset_password_and_change_role(svc: Services, owner: Actor) -> None:
    _add(svc, owner, "anne", Role.OFFICE)
    with pytest.raises(ValidationFailed):
        svc.auth.reset_password(owner, "anne", "short")
    svc.auth.reset_password(owner, "anne", "a brand new password")
    with pytest.raises(AuthenticationFailed):
        svc.auth.login("anne", GOOD)
    svc.auth.change_role(owner, "anne", Role.SALES)
    assert svc.auth.login("anne", "a brand new password").role is Role.SALES
    with pytest.raises(NotFound):
        svc.auth.reset_password(owner, "nobody", "a brand new password")


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.OWNER])
def test_only_the_owner_manages_users(svc: Services, owner: Actor, role: Role) -> None:
    other = _add(svc, owner, "someone", role)
    calls = [
        lambda: svc.auth.add_user(other, "x", GOOD, Role.SALES),
        lambda: svc.auth.list_users(other),
        lambda: svc.auth.deactivate_user(other, "owner"),
        lambda: svc.auth.reactivate_user(other, "owner"),
        lambda: svc.auth.reset_password(other, "owner", GOOD),
        lambda: svc.auth.change_role(other, "someone", Role.OWNER),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()


def test_lockout_after_ten_failures_lifts_after_fifteen_minutes(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    _add(svc, owner, "anne", Role.OFFICE)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(AuthenticationFailed) as wrong:
            svc.auth.login("anne", "wrong password")
    # Locked: even the right password fails, with the same message as an unknown user.
    with pytest.raises(AuthenticationFailed) as locked:
        svc.auth.login("anne", GOOD)
    with pytest.raises(AuthenticationFailed) as unknown:
        svc.auth.login("nobody-here", GOOD)
    assert str(locked.value) == str(unknown.value) == str(wrong.value)
    assert next(u for u in svc.auth.list_users(owner) if u.username == "anne").locked
    clock.advance(LOCKOUT - dt.timedelta(seconds=1))
    with pytest.raises(AuthenticationFailed):
        svc.auth.login("anne", GOOD)
    clock.advance(dt.timedelta(seconds=1))
    assert svc.auth.login("anne", GOOD).username == "anne"
    assert "user.locked" in _actions(svc, owner)


def test_reset_password_lifts_a_lockout(svc: Services, owner: Actor) -> None:
    _add(svc, owner, "anne", Role.OFFICE)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(AuthenticationFailed):
            svc.auth.login("anne", "wrong password")
    svc.auth.reset_password(owner, "anne", "a brand new password")
    assert svc.auth.login("anne", "a brand new password").username == "anne"


def test_unlock_checks_the_same_user_and_counts_failures(svc: Services, owner: Actor) -> None:
    anne = _add(svc, owner, "anne", Role.OFFICE)
    with pytest.raises(AuthenticationFailed):
        svc.auth.unlock(anne, "wrong password")
    assert svc.auth.unlock(anne, GOOD) == anne
    svc.auth.change_role(owner, "anne", Role.SALES)
    assert svc.auth.unlock(anne, GOOD).role is Role.SALES
    svc.auth.deactivate_user(owner, "anne")
    with pytest.raises(AuthenticationFailed):
        svc.auth.unlock(anne, GOOD)


def test_idle_timeout_is_a_business_setting(svc: Services, owner: Actor) -> None:
    assert svc.auth.idle_timeout() == dt.timedelta(minutes=15)
    svc.auth.set_idle_timeout(owner, 5)
    assert svc.auth.idle_timeout() == dt.timedelta(minutes=5)
    with pytest.raises(ValidationFailed):
        svc.auth.set_idle_timeout(owner, 0)
    office = _add(svc, owner, "anne", Role.OFFICE)
    with pytest.raises(PermissionDenied):
        svc.auth.set_idle_timeout(office, 30)


@pytest.mark.parametrize("name", ["ctl\x1b[31m", "del\x7f", "bidi\u202eevil", "tab\there", ""])
def test_a_user_name_with_a_control_character_is_refused(
    svc: Services, owner: Actor, name: str
) -> None:
    with pytest.raises(ValidationFailed):
        svc.auth.add_user(owner, name, GOOD, Role.OFFICE)
