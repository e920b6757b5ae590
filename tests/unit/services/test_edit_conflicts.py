"""Two desks save the same contact: the second gets the conflict, field by field.

Each desk is its own ``Services`` with its own engine on the same database (the SQLite file,
or the PostgreSQL server), as two app instances on two PCs would be.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.edit_conflicts import Choice, input_from, resolve
from privacycrm_desktop.domain.errors import EditConflict
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026, stand 12", dt.date(2026, 2, 20))
CALL = SourceInput(SourceKind.PHONE_CALL, "She phoned", dt.date(2026, 3, 2))
ZOE = ContactInput(
    first_name="Zoë",
    last_name="Lefèvre",
    emails=("zoe.lefevre@example.be",),
    phones=("+32475123456",),
    street="Rue Haute 1",
    postcode="4000",
    city="Liège",
    notes="Prefers calls after 5 pm",
    relationship=Relationship.CUSTOMER,
)
SECRET_NOTE = "Allergic to nuts, see the file"


@pytest.fixture
def desk_b(db_url: str, clock: FixedClock, owner: Actor) -> Iterator[Services]:
    """A second desk: its own engine and services on the same database."""
    engine = create_engine_for(db_url)
    yield Services.build(engine, clock)
    engine.dispose()


def _changed(detail_input: ContactInput, **values: Any) -> ContactInput:
    return dataclasses.replace(detail_input, **values)


def test_the_second_save_gets_exactly_the_fields_both_changed(
    svc: Services, owner: Actor, desk_b: Services, engine: Engine
) -> None:
    cid = svc.contacts.create(owner, ZOE, CARD)
    marie = _login(svc, owner, desk_b, "marie", Role.SALES)
    mine_loaded = svc.contacts.get(owner, cid)
    hers_loaded = desk_b.contacts.get(marie, cid)
    base = input_from(hers_loaded)

    # Desk A saves first: a new address and a second phone number.
    saved = svc.contacts.update(
        owner,
        cid,
        mine_loaded.version,
        _changed(
            input_from(mine_loaded),
            city="Namur",
            postcode="5000",
            phones=("+32475123456", "+3292234567"),
        ),
        CALL,
    )
    # Desk B saves the version it loaded: another address and a new last name.
    typed = _changed(base, city="Gent", postcode="9000", last_name="Lefèvre-Dubois")
    with pytest.raises(EditConflict) as caught:
        desk_b.contacts.update(marie, cid, hers_loaded.version, typed, CALL, base=base)

    detail = caught.value.detail
    assert detail is not None
    assert detail.version == saved.version
    assert [(c.field, c.base, c.theirs, c.mine) for c in detail.conflicts] == [
        ("postcode", "4000", "5000", "9000"),
        ("city", "Liège", "Namur", "Gent"),
    ]
    assert {c.their_by for c in detail.conflicts} == {"owner"}
    # Showing their values reads restricted fields (her notes): audited as the editor's is.
    assert _restricted_reads(engine, "marie") == ["fields=birth_date,notes"] * 2
    # Only A changed the phones: taken over; only B changed the last name: kept.
    assert detail.taken_over == ("phones",)
    assert detail.merged.phones == ("+32475123456", "+3292234567")
    assert detail.merged.last_name == "Lefèvre-Dubois"
    # Nothing of B's was saved.
    stored = svc.contacts.get(owner, cid)
    assert (stored.version, stored.city, stored.last_name) == (saved.version, "Namur", "Lefèvre")

    # B keeps their city and her own postcode: exactly that is saved, with A's phones.
    chosen = resolve(detail, {"city": Choice.THEIRS, "postcode": Choice.MINE})
    after = desk_b.contacts.update(marie, cid, detail.version, chosen, CALL, base=detail.theirs)
    assert (after.city, after.postcode, after.last_name) == ("Namur", "9000", "Lefèvre-Dubois")
    assert [p.value for p in after.phones] == ["+32475123456", "+3292234567"]
    assert after.version == saved.version + 1


def test_changes_to_different_fields_are_merged_without_asking(
    svc: Services, owner: Actor, desk_b: Services
) -> None:
    cid = svc.contacts.create(owner, ZOE, CARD)
    mine_loaded = svc.contacts.get(owner, cid)
    hers_loaded = desk_b.contacts.get(owner, cid)
    svc.contacts.update(
        owner, cid, mine_loaded.version, _changed(input_from(mine_loaded), city="Namur"), CALL
    )
    base = input_from(hers_loaded)
    after = desk_b.contacts.update(
        owner, cid, hers_loaded.version, _changed(base, last_name="Dubois"), CALL, base=base
    )
    assert (after.city, after.last_name) == ("Namur", "Dubois")
    # Both typed the same value: no conflict either.
    again = desk_b.contacts.update(
        owner, cid, hers_loaded.version, _changed(base, city="Namur"), CALL, base=base
    )
    assert (again.city, again.last_name) == ("Namur", "Dubois")


def test_without_the_loaded_values_every_difference_is_a_conflict(
    svc: Services, owner: Actor
) -> None:
    cid = svc.contacts.create(owner, ZOE, CARD)
    loaded = svc.contacts.get(owner, cid)
    svc.contacts.update(owner, cid, loaded.version, _changed(ZOE, city="Namur"), CALL)
    with pytest.raises(EditConflict) as caught:
        svc.contacts.update(owner, cid, loaded.version, _changed(ZOE, last_name="X"), CALL)
    detail = caught.value.detail
    assert detail is not None
    assert [(c.field, c.base, c.theirs, c.mine) for c in detail.conflicts] == [
        ("last_name", None, "Lefèvre", "X"),
        ("city", None, "Namur", "Liège"),
    ]
    assert svc.contacts.get(owner, cid).last_name == "Lefèvre"


def test_a_third_save_in_between_is_a_new_conflict(
    svc: Services, owner: Actor, desk_b: Services
) -> None:
    cid = svc.contacts.create(owner, ZOE, CARD)
    loaded = desk_b.contacts.get(owner, cid)
    base = input_from(loaded)
    current = svc.contacts.get(owner, cid)
    svc.contacts.update(owner, cid, current.version, _changed(base, city="Namur"), CALL)
    typed = _changed(base, city="Gent")
    with pytest.raises(EditConflict) as first:
        desk_b.contacts.update(owner, cid, loaded.version, typed, CALL, base=base)
    detail = first.value.detail
    assert detail is not None
    # While B chooses, A saves once more.
    current = svc.contacts.get(owner, cid)
    svc.contacts.update(owner, cid, current.version, _changed(base, city="Brugge"), CALL)
    chosen = resolve(detail, {"city": Choice.MINE})
    with pytest.raises(EditConflict) as second:
        desk_b.contacts.update(owner, cid, detail.version, chosen, CALL, base=detail.theirs)
    again = second.value.detail
    assert again is not None
    assert [(c.base, c.theirs, c.mine) for c in again.conflicts] == [("Namur", "Brugge", "Gent")]
    assert svc.contacts.get(owner, cid).city == "Brugge"


def test_a_hidden_field_is_never_revealed_by_a_conflict(
    svc: Services, owner: Actor, desk_b: Services
) -> None:
    cid = svc.contacts.create(owner, ZOE, CARD)
    olga = _login(svc, owner, desk_b, "olga", Role.OFFICE)  # notes and birth date hidden
    loaded = desk_b.contacts.get(olga, cid)
    assert loaded.notes == ""
    current = svc.contacts.get(owner, cid)
    svc.contacts.update(
        owner,
        cid,
        current.version,
        _changed(input_from(current), notes=SECRET_NOTE, birth_date=dt.date(1980, 5, 1)),
        CALL,
        special_confirmed=True,  # the note suggests health data (rule 10): looked at
    )
    svc.contacts.update(
        owner,
        cid,
        current.version + 1,
        _changed(input_from(svc.contacts.get(owner, cid)), city="Namur"),
        CALL,
    )
    base = input_from(loaded)
    with pytest.raises(EditConflict) as caught:
        desk_b.contacts.update(
            olga, cid, loaded.version, _changed(base, city="Gent"), CALL, base=base
        )
    detail = caught.value.detail
    assert detail is not None
    assert [c.field for c in detail.conflicts] == ["city"]
    assert detail.taken_over == ()
    for value in (detail.theirs, detail.merged):
        assert (value.notes, value.birth_date) == ("", None)
    assert "nuts" not in repr(detail)
    assert "1980" not in repr(detail)
    # Her choice keeps the hidden values she never saw.
    desk_b.contacts.update(
        olga,
        cid,
        detail.version,
        resolve(detail, {"city": Choice.MINE}),
        CALL,
        base=detail.theirs,
    )
    stored = svc.contacts.get(owner, cid)
    assert (stored.city, stored.notes, stored.birth_date) == (
        "Gent",
        SECRET_NOTE,
        dt.date(1980, 5, 1),
    )


def test_a_save_winning_between_read_and_write_is_a_conflict_not_an_overwrite(
    svc: Services, owner: Actor, engine: Engine, desk_b: Services
) -> None:
    """On PostgreSQL (READ COMMITTED) another desk can commit after our read: the version
    check of the UPDATE (StaleDataError at flush) must become the same conflict.

    SQLite serialises writers, so the race is staged: at our flush, the version is bumped
    in our transaction (the UPDATE then matches no row, as after a concurrent commit); when
    our transaction has rolled back, desk B's real save commits the change that won.
    """
    cid = svc.contacts.create(owner, ZOE, CARD)
    loaded = svc.contacts.get(owner, cid)
    base = input_from(loaded)
    staged = {"bumped": False, "committed": False}

    def ours(session: Session) -> bool:
        return session.get_bind().pool is engine.pool

    def bump_before_our_flush(session: Session, _context: object, _instances: object) -> None:
        if ours(session) and not staged["bumped"] and session.dirty:
            staged["bumped"] = True
            session.connection().execute(
                text("UPDATE contact SET version = version + 1 WHERE id = :id"), {"id": cid}
            )

    def other_desk_commits(session: Session) -> None:
        if ours(session) and staged["bumped"] and not staged["committed"]:
            staged["committed"] = True
            desk_b.contacts.update(
                owner, cid, loaded.version, _changed(base, city="Namur"), CALL, base=base
            )

    event.listen(Session, "before_flush", bump_before_our_flush)
    event.listen(Session, "after_rollback", other_desk_commits)
    try:
        with pytest.raises(EditConflict) as caught:
            svc.contacts.update(
                owner, cid, loaded.version, _changed(base, city="Gent"), CALL, base=base
            )
    finally:
        event.remove(Session, "before_flush", bump_before_our_flush)
        event.remove(Session, "after_rollback", other_desk_commits)
    assert staged == {"bumped": True, "committed": True}
    detail = caught.value.detail
    assert detail is not None
    assert [(c.field, c.base, c.theirs, c.mine) for c in detail.conflicts] == [
        ("city", "Liège", "Namur", "Gent")
    ]
    stored = svc.contacts.get(owner, cid)
    assert (stored.city, stored.version) == ("Namur", loaded.version + 1)


def _login(svc: Services, owner: Actor, desk: Services, name: str, role: Role) -> Actor:
    svc.auth.add_user(owner, name, "a long enough password", role)
    return desk.auth.login(name, "a long enough password")


def test_two_desks_saving_at_the_same_moment_never_overwrite(
    svc: Services, owner: Actor, engine: Engine, desk_b: Services
) -> None:
    """A real race: desk B starts its save while desk A's save is not yet committed.

    On PostgreSQL B's read of the contact waits for A's row lock (or, without it, B's
    UPDATE finds the version changed: StaleDataError); on SQLite B's BEGIN IMMEDIATE waits
    for A's write lock. Either way B gets the conflict with A's value, never overwrites it.
    """
    cid = svc.contacts.create(owner, ZOE, CARD)
    loaded = svc.contacts.get(owner, cid)
    base = input_from(loaded)
    b_started = threading.Event()
    outcome: dict[str, object] = {}

    def b_is_talking_to_the_database(*_args: object) -> None:
        b_started.set()

    def desk_b_saves() -> None:
        try:
            desk_b.contacts.update(
                owner, cid, loaded.version, _changed(base, city="Gent"), CALL, base=base
            )
            outcome["b"] = "saved"
        except EditConflict as exc:
            outcome["b"] = exc

    thread = threading.Thread(target=desk_b_saves)

    def b_saves_before_a_commits(session: Session) -> None:
        """A has written (holds its locks) but not committed: now B starts saving."""
        if session.get_bind().pool is engine.pool and "a_waited" not in outcome:
            thread.start()
            outcome["a_waited"] = b_started.wait(10)
            time.sleep(0.3)  # B is now blocked in the database, waiting for A

    b_engine = desk_b.uow.engine
    event.listen(Session, "before_commit", b_saves_before_a_commits)
    event.listen(b_engine, "before_cursor_execute", b_is_talking_to_the_database)
    try:
        svc.contacts.update(
            owner, cid, loaded.version, _changed(base, city="Namur"), CALL, base=base
        )
        thread.join(30)
    finally:
        event.remove(Session, "before_commit", b_saves_before_a_commits)
        event.remove(b_engine, "before_cursor_execute", b_is_talking_to_the_database)
    assert outcome["a_waited"] is True
    conflict = outcome["b"]
    assert isinstance(conflict, EditConflict)
    assert conflict.detail is not None
    assert [(c.field, c.theirs, c.mine) for c in conflict.detail.conflicts] == [
        ("city", "Namur", "Gent")
    ]
    assert svc.contacts.get(owner, cid).city == "Namur"


def _restricted_reads(engine: Engine, user: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT detail FROM audit_event WHERE action = 'contact.read_restricted'"
                    " AND actor = :user ORDER BY id"
                ),
                {"user": user},
            ).scalars()
        )
