"""First run and signing in: validation, argon2id, lockout with a controlled clock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.errors import (
    AuthenticationFailed,
    PermissionDenied,
    SetupError,
    ValidationFailed,
)
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

from ..conftest import OWNER_PASSWORD


def test_setup_validates_the_controller(svc: Services) -> None:
    with pytest.raises(ValidationFailed) as caught:
        svc.setup.initialise(
            CompanyInput("", "", "0403.170.702", "not-an-email", "de"), "owner", OWNER_PASSWORD
        )
    fields = {p.field for p in caught.value.problems}
    assert fields == {"name", "address", "vat_number", "privacy_email", "language"}
    assert not svc.setup.is_initialised()


def test_setup_runs_once_and_stores_the_controller(svc: Services, owner: Actor) -> None:
    assert svc.setup.is_initialised()
    company = svc.setup.company()
    assert (company.name, company.vat_number) == ("Acme BV", "BE0403170701")
    with pytest.raises(SetupError):
        svc.setup.initialise(CompanyInput("X", "Y"), "other", OWNER_PASSWORD)


@pytest.mark.real_key_costs
def test_passwords_are_argon2id_hashes(owner: Actor, engine: Engine) -> None:
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM app_user")).scalar_one()
    assert stored.startswith("$argon2id$")
    assert "m=19456,t=2" in stored
    assert OWNER_PASSWORD not in stored


def test_wrong_password_and_unknown_user_get_the_same_answer(svc: Services, owner: Actor) -> None:
    with pytest.raises(AuthenticationFailed) as wrong:
        svc.auth.login("owner", "wrong password!")
    with pytest.raises(AuthenticationFailed) as unknown:
        svc.auth.login("nobody", "wrong password!")
    assert str(wrong.value) == str(unknown.value)
    assert svc.auth.login("owner", OWNER_PASSWORD).role is Role.OWNER


def test_ten_failures_lock_the_account_for_fifteen_minutes(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    for _ in range(10):
        with pytest.raises(AuthenticationFailed):
            svc.auth.login("owner", "wrong password!")
    with pytest.raises(AuthenticationFailed):
        svc.auth.login("owner", OWNER_PASSWORD)
    clock.advance(dt.timedelta(minutes=14, seconds=59))
    with pytest.raises(AuthenticationFailed):
        svc.auth.login("owner", OWNER_PASSWORD)
    clock.advance(dt.timedelta(seconds=2))
    assert svc.auth.login("owner", OWNER_PASSWORD).username == "owner"


def test_only_the_owner_manages_users(svc: Services, owner: Actor) -> None:
    uid = svc.auth.add_user(owner, "piet", "a long password", Role.SALES)
    assert uid > owner.user_id
    piet = svc.auth.login("piet", "a long password")
    with pytest.raises(PermissionDenied):
        svc.auth.add_user(piet, "jos", "a long password", Role.OWNER)
    with pytest.raises(ValidationFailed):
        svc.auth.add_user(owner, "piet", "a long password", Role.SALES)
    with pytest.raises(ValidationFailed):
        svc.auth.add_user(owner, "short", "short", Role.SALES)
    assert [u.username for u in svc.auth.list_users(owner)] == ["owner", "piet"]
