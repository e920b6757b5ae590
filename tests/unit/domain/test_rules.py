"""Pure rules: deadlines, consent state, access policy, audit chain."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacycrm_desktop.domain.access import (
    DEFAULT_FIELD_MATRIX,
    FieldAccess,
    Permission,
    Role,
    field_access,
    has_permission,
    mask,
)
from privacycrm_desktop.domain.audit import GENESIS_HASH, AuditRecord, chain_hash
from privacycrm_desktop.domain.consent import Channel, ConsentFact, ConsentStatus, current_status
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE
from privacycrm_desktop.domain.requests import add_months, due_date


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), dt.date(2028, 2, 29)),
        (dt.date(2026, 3, 15), dt.date(2026, 4, 15)),
        (dt.date(2026, 12, 31), dt.date(2027, 1, 31)),
    ],
)
def test_due_date_is_one_month_clamped(received: dt.date, due: dt.date) -> None:
    assert due_date(received) == due


def test_extension_is_at_most_two_months() -> None:
    assert due_date(dt.date(2026, 1, 31), 2) == dt.date(2026, 4, 30)
    with pytest.raises(ValueError, match="two months"):
        due_date(dt.date(2026, 1, 31), 3)


@given(st.dates(dt.date(1990, 1, 1), dt.date(2090, 1, 1)), st.integers(0, 40))
def test_add_months_never_overshoots_the_month(day: dt.date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day <= day.day


def _fact(status: ConsentStatus, minute: int) -> ConsentFact:
    return ConsentFact("newsletter", Channel.EMAIL, status, dt.datetime(2026, 1, 1, 9, minute))


def test_latest_consent_event_decides_and_ties_go_to_the_least_permissive() -> None:
    today = dt.date(2026, 2, 1)
    events = [_fact(ConsentStatus.OPT_IN, 0), _fact(ConsentStatus.OPT_OUT, 5)]
    assert current_status(events, "newsletter", Channel.EMAIL, today) is ConsentStatus.OPT_OUT
    tie = [_fact(ConsentStatus.OPT_IN, 5), _fact(ConsentStatus.OPT_OUT, 5)]
    assert current_status(tie, "newsletter", Channel.EMAIL, today) is ConsentStatus.OPT_OUT
    assert current_status(events, "newsletter", Channel.POST, today) is None


def test_every_role_has_an_entry_for_every_catalogued_field() -> None:
    for role in Role:
        for spec in FIELD_CATALOGUE:
            assert (role, spec.name) in DEFAULT_FIELD_MATRIX


@given(st.sampled_from(list(Role)), st.text(min_size=1, max_size=20))
def test_unlisted_fields_are_hidden(role: Role, name: str) -> None:
    if all(spec.name != name for spec in FIELD_CATALOGUE):
        assert field_access(role, name) is FieldAccess.HIDDEN


def test_special_categories_are_hidden_from_sales_and_office() -> None:
    for role in (Role.SALES, Role.OFFICE, Role.READ_ONLY):
        assert field_access(role, "special_categories") is FieldAccess.HIDDEN
    assert field_access(Role.OFFICE, "notes") is FieldAccess.HIDDEN
    assert not has_permission(Role.OFFICE, Permission.EXPORT)
    assert not has_permission(Role.PRIVACY_OFFICER, Permission.MANAGE_USERS)
    assert has_permission(Role.OWNER, Permission.MANAGE_USERS)


def test_mask_keeps_only_the_last_characters() -> None:
    assert mask("+32475123456") == "•••••••••456"
    assert mask("12") == "••"


def test_chain_hash_changes_with_any_field() -> None:
    record = AuditRecord("2026-01-01T00:00:00", "owner", "contact.create", "contact", "1", "")
    base = chain_hash(GENESIS_HASH, record)
    assert chain_hash(GENESIS_HASH, record) == base
    changed = AuditRecord("2026-01-01T00:00:00", "owner", "contact.create", "contact", "2", "")
    assert chain_hash(GENESIS_HASH, changed) != base
    assert chain_hash("1" * 64, record) != base
