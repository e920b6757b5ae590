"""Property tests over role x field x operation: the policy, and the services enforcing it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.databases import fresh_services
from privacycrm_desktop.domain.access import (
    DEFAULT_FIELD_MATRIX,
    FieldAccess,
    Permission,
    Role,
    field_access,
    has_permission,
)
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind, Language, Relationship
from privacycrm_desktop.domain.errors import PermissionDenied
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

FIELDS = [spec.name for spec in FIELD_CATALOGUE]
roles = st.sampled_from(list(Role))
levels = st.sampled_from(list(FieldAccess))
fields = st.sampled_from(FIELDS)
overrides = st.dictionaries(st.tuples(roles, fields), levels, max_size=20)
CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 20))
#: A value for each field a contact form can fill, different from the form's default.
FILLED: dict[str, object] = {
    "kind": ContactKind.ORGANISATION_ADDRESS,
    "first_name": "Nele",
    "last_name": "Maes",
    "organisation": "Maes BV",
    "emails": ("nele@example.be",),
    "phones": ("0475 11 22 33",),
    "street": "Veldstraat 3",
    "postcode": "9000",
    "city": "Gent",
    "country": "NL",
    "language": Language.FR,
    "birth_date": dt.date(1980, 5, 6),
    "notes": "Call on Mondays",
    "relationship": Relationship.CUSTOMER,
    "relationship_start": dt.date(2020, 1, 1),
    "relationship_end": dt.date(2025, 1, 1),
    "last_interaction": dt.date(2025, 6, 1),
}
#: Each example on a database of its own: a copy of the migrated SQLite template (cloning a
#: PostgreSQL database per example would take minutes; the server's own field rules have
#: their tests in test_pg_privileges.py).
SLOW = settings(max_examples=40, deadline=None)


@given(role=roles, field=fields, extra=overrides, level=levels)
def test_an_override_wins(
    role: Role, field: str, extra: dict[tuple[Role, str], FieldAccess], level: FieldAccess
) -> None:
    assert field_access(role, field, {**extra, (role, field): level}) is level


@given(role=roles, field=fields, extra=overrides)
def test_without_an_override_the_default_holds(
    role: Role, field: str, extra: dict[tuple[Role, str], FieldAccess]
) -> None:
    extra.pop((role, field), None)
    assert field_access(role, field, extra) is DEFAULT_FIELD_MATRIX[(role, field)]


@given(role=roles, name=st.text(min_size=1).filter(lambda n: n not in FIELDS), extra=overrides)
def test_an_unlisted_field_is_hidden(
    role: Role, name: str, extra: dict[tuple[Role, str], FieldAccess]
) -> None:
    assert field_access(role, name, extra) is FieldAccess.HIDDEN


def test_the_defaults_follow_the_issue() -> None:
    matrix = DEFAULT_FIELD_MATRIX
    for field in FIELDS:
        assert matrix[(Role.OWNER, field)] is FieldAccess.WRITE
        assert matrix[(Role.PRIVACY_OFFICER, field)] is FieldAccess.WRITE
    for role in (Role.SALES, Role.OFFICE, Role.READ_ONLY):
        assert matrix[(role, "special_categories")] is FieldAccess.HIDDEN
    assert matrix[(Role.SALES, "notes")] is FieldAccess.WRITE
    for field in ("notes", "birth_date"):
        assert matrix[(Role.OFFICE, field)] is FieldAccess.HIDDEN
    assert all(matrix[(Role.READ_ONLY, f)] is not FieldAccess.WRITE for f in FIELDS)
    assert matrix[(Role.READ_ONLY, "phones")] is FieldAccess.MASKED
    assert not has_permission(Role.OFFICE, Permission.EXPORT)
    assert not has_permission(Role.SALES, Permission.ERASE)
    assert not has_permission(Role.PRIVACY_OFFICER, Permission.MANAGE_USERS)
    assert has_permission(Role.PRIVACY_OFFICER, Permission.VIEW_AUDIT)


def _apply(svc: Services, owner: Actor, extra: dict[tuple[Role, str], FieldAccess]) -> None:
    for (role, field), level in extra.items():
        svc.access.set_field_access(owner, role, field, level)


def _reset(svc: Services, owner: Actor, extra: dict[tuple[Role, str], FieldAccess]) -> None:
    for role, field in extra:
        svc.access.set_field_access(owner, role, field, DEFAULT_FIELD_MATRIX[(role, field)])


@pytest.mark.slow
@SLOW
@given(role=roles, field=st.sampled_from(sorted(FILLED)), extra=overrides)
def test_create_refuses_any_field_the_role_may_not_write(
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
    role: Role,
    field: str,
    extra: dict[tuple[Role, str], FieldAccess],
) -> None:
    folder = tmp_path_factory.mktemp("example")
    with fresh_services(sqlite_template, folder) as (svc, owner):
        _apply(svc, owner, extra)
        try:
            actor = Actor(owner.user_id, owner.username, role)
            data = dataclasses.replace(ContactInput(last_name="Base"), **{field: FILLED[field]})
            if field == "kind":
                data = dataclasses.replace(data, organisation="Base BV")
            filled = {"last_name", field} | ({"organisation"} if field == "kind" else set())
            writable = all(field_access(role, f, extra) is FieldAccess.WRITE for f in filled)
            allowed = writable and has_permission(role, Permission.CREATE_CONTACTS)
            try:
                new_id = svc.contacts.create(actor, data, CARD)
            except PermissionDenied:
                assert not allowed
            else:
                assert allowed
                assert svc.contacts.get(owner, new_id).id == new_id
        finally:
            _reset(svc, owner, extra)


@pytest.mark.slow
@SLOW
@given(role=roles, field=st.sampled_from(sorted(FILLED)), extra=overrides)
def test_update_never_changes_a_field_the_role_may_not_write(
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
    role: Role,
    field: str,
    extra: dict[tuple[Role, str], FieldAccess],
) -> None:
    folder = tmp_path_factory.mktemp("example")
    with fresh_services(sqlite_template, folder) as (svc, owner):
        base = ContactInput(last_name="Base", organisation="Base BV")
        cid = svc.contacts.create(owner, base, CARD)
        before = svc.contacts.get(owner, cid)
        changed = dataclasses.replace(base, **{field: FILLED[field]})
        actor = Actor(owner.user_id, owner.username, role)
        _apply(svc, owner, extra)
        try:
            svc.contacts.update(actor, cid, before.version, changed, CARD)
        except PermissionDenied:
            assert not has_permission(role, Permission.EDIT_CONTACTS)
            return
        finally:
            _reset(svc, owner, extra)
        # Read back with the shipped matrix, under which the owner sees everything.
        after = svc.contacts.get(owner, cid)
        if field_access(role, field, extra) is FieldAccess.WRITE:
            assert getattr(after, field) != getattr(before, field)
        else:
            assert getattr(after, field) == getattr(before, field)
