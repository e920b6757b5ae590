"""The data quality review: stale, unreachable, nameless and badly formed contacts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import PermissionDenied
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

SOURCE = SourceInput(SourceKind.EVENT, "fair", dt.date(2026, 2, 20))


def test_the_review_lists_what_needs_correcting(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock
) -> None:
    fine = svc.contacts.create(
        owner, ContactInput(first_name="An", last_name="Fine", emails=("an@example.be",)), SOURCE
    )
    unreachable = svc.contacts.create(owner, ContactInput(first_name="No", last_name="Way"), SOURCE)
    imported = svc.contacts.create(
        owner, ContactInput(first_name="Bad", last_name="Mail", emails=("b@example.be",)), SOURCE
    )
    with engine.begin() as conn:  # as an import of older data could have left it
        conn.execute(
            text("UPDATE contact SET primary_email = 'b@example' WHERE id = :i"), {"i": imported}
        )
    issues = {i.contact_id: [p for p, _params in i.problems] for i in svc.quality.review(owner)}
    assert fine not in issues
    assert issues[unreachable] == ["No e-mail address, phone number or street"]
    assert issues[imported] == ["The e-mail address is not valid"]
    clock.advance(dt.timedelta(days=3 * 366))
    issues = {i.contact_id: i.problems for i in svc.quality.review(owner, years=3)}
    assert issues[fine] == (("No interaction for {years} years", {"years": 3}),)
    assert len(svc.quality.review(owner, years=3, limit=2)) == 2


def test_only_cleanup_roles_see_it(svc: Services, owner: Actor) -> None:
    from privacycrm_desktop.domain.access import Role

    svc.auth.add_user(owner, "sam", "sales password 12", Role.SALES)
    with pytest.raises(PermissionDenied):
        svc.quality.review(svc.auth.login("sam", "sales password 12"))
