"""The contact list's search finds a contact by the values of its searchable custom
fields, as the role may read them (on both back ends). The condition is built from the
custom fields the services keep (no read of the definitions per search, issue 23): a field
defined later is searched at once, a company's field of the same key is not a contact's.
"""

from __future__ import annotations

import datetime as dt

from privacycrm_desktop.domain.access import FieldAccess, Permission, Role, has_permission
from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind, CustomTarget
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor, ContactFilter, ListFilter
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 20))
PASSWORD = "a long password 1"


def test_search_finds_searchable_custom_values_the_role_may_read(
    svc: Services, owner: Actor
) -> None:
    for definition in (
        CustomFieldDefinition("sector", "Sector", CustomKind.TEXT, searchable=True),
        CustomFieldDefinition(
            "rating", "Rating", CustomKind.TEXT, searchable=True, restricted=True
        ),
        CustomFieldDefinition("remark", "Remark", CustomKind.TEXT),
    ):
        svc.custom_fields.define(owner, definition)
    values = {"sector": "Glasblazerij", "rating": "Wanbetaler", "remark": "Zeilboot"}
    person = svc.contacts.create(
        owner, ContactInput(first_name="An", last_name="Claes", extra=values), CARD
    )
    svc.contacts.create(owner, ContactInput(first_name="Bert", last_name="Maes"), CARD)
    actors = {Role.OWNER: owner}
    for role in Role:
        if role is not Role.OWNER and has_permission(role, Permission.VIEW_CONTACTS):
            svc.auth.add_user(owner, role.value, PASSWORD, role)
            actors[role] = svc.auth.login(role.value, PASSWORD)
    levels = set()
    for role, actor in actors.items():
        access = svc.contacts.field_access(actor)
        for key, value in values.items():
            definition = next(d for d in svc.contacts.custom_fields(actor) if d.key == key)
            level = access.get(definition.name, FieldAccess.HIDDEN)
            levels.add((key, level in (FieldAccess.READ, FieldAccess.WRITE)))
            # The names never hold these words: only the custom value can match.
            readable = level in (FieldAccess.READ, FieldAccess.WRITE)
            expected = [person] if definition.searchable and readable else []
            for query in (value, value[2:7].upper()):
                assert svc.contacts.count(actor, query) == len(expected), (role, key, query)
                rows = svc.contacts.page(actor, query=query, total=len(expected))
                assert [r.id for r in rows] == expected, (role, key, query)
            # In a saved view too (its own condition joined to the search's).
            view = ListFilter(ContactFilter.EXPIRING)
            assert svc.contacts.count(actor, value, view) <= len(expected)
    # The restricted field is readable for one role and not for another.
    assert {("rating", True), ("rating", False)} <= levels


def test_a_field_defined_later_is_searched_and_a_companys_is_not(
    svc: Services, owner: Actor
) -> None:
    svc.contacts.create(owner, ContactInput(first_name="An", last_name="Claes"), CARD)
    assert svc.contacts.count(owner, "Glasblazerij") == 0  # the custom fields read now
    svc.custom_fields.define(
        owner,
        CustomFieldDefinition(
            "sector", "Sector", CustomKind.TEXT, searchable=True, on=CustomTarget.COMPANY
        ),
    )
    svc.companies.add(owner, CompanyInput(name="Acme NV"), CARD, {"sector": "Glasblazerij"})
    assert svc.contacts.count(owner, "Glasblazerij") == 0  # a company's value
    svc.custom_fields.define(
        owner, CustomFieldDefinition("branch", "Branch", CustomKind.TEXT, searchable=True)
    )
    person = svc.contacts.create(
        owner,
        ContactInput(first_name="Bert", last_name="Maes", extra={"branch": "Glasblazerij"}),
        CARD,
    )
    assert svc.contacts.count(owner, "Glasblazerij") == 1
    assert [r.id for r in svc.contacts.page(owner, query="glasblaz")] == [person]
