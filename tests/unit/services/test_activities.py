"""Interactions through the service layer, on SQLite and PostgreSQL: logging, the timeline
page by page and by kind, the field matrix, the audit, the special-category check, and the
retention clock running from the last real contact (issue 22)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.errors import NotFound, PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SpecialCategoryUnconfirmed
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2026, 2, 20))


def _user(svc: Services, owner: Actor, name: str, role: Role) -> Actor:
    svc.auth.add_user(owner, name, f"{name} has a good password", role)
    return svc.auth.login(name, f"{name} has a good password")


def _prospect(svc: Services, owner: Actor) -> int:
    data = ContactInput(first_name="Jan", last_name="Peeters", relationship=Relationship.PROSPECT)
    return svc.contacts.create(owner, data, CARD)


def _stored(engine: Engine, cid: int) -> tuple[str | None, str]:
    with engine.connect() as conn:
        until, reason = conn.execute(
            text("SELECT keep_until, keep_reason FROM contact WHERE id = :i"), {"i": cid}
        ).one()
    return (str(until)[:10] if until is not None else None), str(reason)


def test_log_list_and_delete_with_audit_without_text(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock
) -> None:
    cid = _prospect(svc, owner)
    now = clock.now()
    first = svc.activities.add(
        owner,
        cid,
        ActivityInput(
            ActivityKind.CALL, "  Qsummary   asked for a quote ", now - dt.timedelta(days=2)
        ),
    )
    second = svc.activities.add(
        owner,
        cid,
        ActivityInput(
            ActivityKind.EMAIL,
            "Quote sent",
            now - dt.timedelta(hours=1),
            details="Qdetails price list\nsecond line",
            attachment=b"%PDF quote",
            attachment_name="quote.pdf",
            source=SourceInput(SourceKind.PHONE_CALL, "He phoned", None),
        ),
    )
    rows = svc.activities.timeline(owner, cid)
    assert [r.id for r in rows] == [second, first]  # newest first
    assert rows[1].summary == "Qsummary asked for a quote"
    assert rows[0].details == "Qdetails price list\nsecond line"
    assert rows[0].attachment_name == "quote.pdf"
    assert (rows[0].source_kind, rows[0].source) == (SourceKind.PHONE_CALL, "He phoned")
    assert rows[0].recorded_by == "owner"
    assert svc.activities.attachment(owner, second).data == b"%PDF quote"
    with pytest.raises(NotFound):
        svc.activities.attachment(owner, first)
    assert [r.id for r in svc.activities.timeline(owner, cid, kinds={ActivityKind.CALL})] == [first]
    assert svc.activities.count(owner, cid) == 2
    last = svc.activities.last(owner, cid)
    assert last is not None
    assert last.kind is ActivityKind.EMAIL
    svc.activities.delete(owner, second)
    assert [r.id for r in svc.activities.timeline(owner, cid)] == [first]
    with pytest.raises(NotFound):
        svc.activities.delete(owner, second)
    with engine.connect() as conn:
        trail = conn.execute(
            text("SELECT action, detail FROM audit_event WHERE action LIKE 'activity.%'")
        ).all()
    assert sorted(a for a, _d in trail if a != "activity.read_details") == [
        "activity.add",
        "activity.add",
        "activity.attachment_open",
        "activity.delete",
    ]
    # Each page showing restricted details is on record (whose, how many; no text).
    reads = [d for a, d in trail if a == "activity.read_details"]
    assert reads
    assert all(d.startswith(f"contact={cid};shown=") for d in reads)
    assert not any("Q" in str(d) or "quote" in str(d) for _a, d in trail)


def test_checks_on_what_is_typed(svc: Services, owner: Actor, clock: FixedClock) -> None:
    cid = _prospect(svc, owner)
    for bad in (
        ActivityInput(ActivityKind.CALL, "   "),
        ActivityInput(ActivityKind.CALL, "x" * 201),
        ActivityInput(ActivityKind.CALL, "ok", details="y" * 10_001),
        ActivityInput(ActivityKind.CALL, "ok", clock.now() + dt.timedelta(days=1)),
        ActivityInput(ActivityKind.CALL, "bell\x07"),
    ):
        with pytest.raises(ValidationFailed):
            svc.activities.add(owner, cid, bad)
    with pytest.raises(NotFound):
        svc.activities.add(owner, cid + 999, ActivityInput(ActivityKind.CALL, "ok"))
    # The special-category check runs on the summary and on the details.
    for data in (
        ActivityInput(ActivityKind.VISIT, "Talked about his diabetes"),
        ActivityInput(ActivityKind.VISIT, "Visit", details="She is pregnant"),
    ):
        with pytest.raises(SpecialCategoryUnconfirmed):
            svc.activities.add(owner, cid, data)
    confirmed = ActivityInput(ActivityKind.VISIT, "His diabetes", special_confirmed=True)
    assert svc.activities.add(owner, cid, confirmed)
    assert svc.activities.count(owner, cid) == 1


def test_the_timeline_pages_by_cursor_newest_first(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    cid = _prospect(svc, owner)
    start = clock.now() - dt.timedelta(days=30)
    ids = [
        svc.activities.add(
            owner,
            cid,
            # Two at each moment: the id breaks the tie.
            ActivityInput(
                list(ActivityKind)[i % 6], f"item {i}", start + dt.timedelta(hours=i // 2)
            ),
        )
        for i in range(23)
    ]
    seen: list[int] = []
    after = None
    while True:
        page = svc.activities.timeline(owner, cid, after=after, limit=5)
        if not page:
            break
        seen += [r.id for r in page]
        after = page[-1].cursor
    expected = sorted(ids, key=lambda i: ((i - ids[0]) // 2, i), reverse=True)
    assert seen == expected


def test_an_office_desk_logs_a_call_without_reading_the_details_of_others(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    cid = _prospect(svc, owner)
    svc.activities.add(
        owner, cid, ActivityInput(ActivityKind.MEETING, "Meeting", details="Qsecret margin")
    )
    office = _user(svc, owner, "desk", Role.OFFICE)
    reader = _user(svc, owner, "reader", Role.READ_ONLY)
    svc.access.set_field_access(owner, Role.OFFICE, "activity_details", FieldAccess.HIDDEN)
    call = svc.activities.add(office, cid, ActivityInput(ActivityKind.CALL, "Called back"))
    with pytest.raises(PermissionDenied):
        svc.activities.add(office, cid, ActivityInput(ActivityKind.CALL, "x", details="notes"))
    with engine.connect() as conn:
        reads_before = conn.execute(
            text("SELECT count(*) FROM audit_event WHERE action = 'activity.read_details'")
        ).scalar()
    rows = svc.activities.timeline(office, cid)
    with engine.connect() as conn:
        reads_after = conn.execute(
            text("SELECT count(*) FROM audit_event WHERE action = 'activity.read_details'")
        ).scalar()
    assert reads_after == reads_before  # no details shown: nothing restricted read
    assert [r.summary for r in rows] == ["Called back", "Meeting"]
    assert all(r.details is None and r.attachment_name is None for r in rows)
    # Read-only staff see the timeline (not the restricted details) and change nothing.
    assert [r.details for r in svc.activities.timeline(reader, cid)] == [None, None]
    with pytest.raises(PermissionDenied):
        svc.activities.add(reader, cid, ActivityInput(ActivityKind.CALL, "x"))
    with pytest.raises(PermissionDenied):
        svc.activities.delete(reader, call)
    svc.access.set_field_access(owner, Role.READ_ONLY, "activities", FieldAccess.MASKED)
    masked = svc.activities.timeline(reader, cid)
    assert "Called back" not in [r.summary for r in masked]
    assert masked[0].summary.endswith("ack")
    svc.access.set_field_access(owner, Role.READ_ONLY, "activities", FieldAccess.HIDDEN)
    with pytest.raises(PermissionDenied):
        svc.activities.timeline(reader, cid)


def test_a_prospect_called_today_is_not_due_one_silent_too_long_is_and_the_cleanup_says_why(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock
) -> None:
    called = _prospect(svc, owner)
    silent = _prospect(svc, owner)
    typed = _prospect(svc, owner)
    # Collected on 2026-03-02; the prospect rule keeps 12 months after the last interaction.
    assert _stored(engine, called) == ("2027-03-02", "prospect_follow_up")
    clock.advance(dt.timedelta(days=500))  # 2027-07-15
    svc.activities.add(owner, called, ActivityInput(ActivityKind.CALL, "Still interested"))
    assert _stored(engine, called) == ("2028-07-15", "prospect_follow_up")
    meeting_at = dt.datetime(2026, 5, 4, 9, 30)
    svc.activities.add(owner, silent, ActivityInput(ActivityKind.MEETING, "Demo", meeting_at))
    assert _stored(engine, silent) == ("2027-05-04", "prospect_follow_up")
    svc.contacts.update(
        owner,
        typed,
        svc.contacts.get(owner, typed).version,
        ContactInput(
            first_name="Jan",
            last_name="Peeters",
            relationship=Relationship.PROSPECT,
            last_interaction=dt.date(2026, 6, 1),
        ),
        CARD,
    )
    assert _stored(engine, typed) == ("2027-06-01", "prospect_follow_up")
    review = {r.contact_id: r for r in svc.cleanup.review(owner)}
    assert called not in review
    assert (review[silent].last_contact, review[silent].last_kind) == (
        dt.date(2026, 5, 4),
        ActivityKind.MEETING,
    )
    # A typed date later than the logged interactions counts, without a kind.
    svc.activities.add(owner, typed, ActivityInput(ActivityKind.NOTE, "old", meeting_at))
    assert _stored(engine, typed) == ("2027-06-01", "prospect_follow_up")
    assert (review[typed].last_contact, review[typed].last_kind) == (dt.date(2026, 6, 1), None)
    # Deleting the interaction puts the clock back.
    newest = svc.activities.timeline(owner, called)[0].id
    svc.activities.delete(owner, newest)
    assert _stored(engine, called) == ("2027-03-02", "prospect_follow_up")


@pytest.mark.sqlite_only
def test_one_timeline_page_is_one_range_of_its_index(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    cid = _prospect(svc, owner)
    for i in range(3):
        svc.activities.add(owner, cid, ActivityInput(ActivityKind.CALL, f"c{i}"))
    page = svc.activities.timeline(owner, cid, limit=2)
    with engine.connect() as conn:
        plan = " | ".join(
            str(row[3])
            for row in conn.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM activity WHERE contact_id = :c AND "
                    "(occurred_at, id) < (:t, :i) "
                    "ORDER BY occurred_at DESC, id DESC LIMIT 50"
                ),
                {"c": cid, "t": page[-1].occurred_at, "i": page[-1].id},
            )
        )
    # One range: the contact and the cursor both bound the index search.
    assert "ix_activity_contact_time (contact_id=? AND occurred_at<?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # no sort: the index's order, read backwards


@pytest.mark.sqlite_only
def test_the_migration_adds_the_catalogue_fields_to_an_initialised_database(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    from alembic import command

    from privacycrm_desktop.persistence.migrate import alembic_config, migrate

    def fields() -> set[str]:
        with engine.connect() as conn:
            return {
                str(r[0])
                for r in conn.execute(
                    text("SELECT field FROM field_catalogue WHERE field LIKE 'activit%'")
                )
            }

    assert fields() == {"activities", "activity_details"}
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0013_tags")
    assert fields() == set()
    assert migrate(engine)
    assert fields() == {"activities", "activity_details"}


def test_the_erasure_preview_counts_the_interactions_and_erasure_takes_them(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    from privacycrm_desktop.domain.erasure import ErasureReason

    cid = _prospect(svc, owner)
    for i in range(3):
        svc.activities.add(
            owner,
            cid,
            ActivityInput(
                ActivityKind.LETTER,
                f"letter {i}",
                attachment=b"scan",
                attachment_name="scan.pdf",
                source=SourceInput(SourceKind.THIRD_PARTY, f"Qsource{i}", None),
            ),
        )
    assert svc.erasure.preview(owner, cid).interactions == 3
    svc.erasure.erase(owner, cid, ErasureReason.ERASURE_REQUEST)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM activity")).scalar() == 0
        # The sources only the interactions used go with them.
        assert (
            conn.execute(
                text("SELECT count(*) FROM source WHERE description LIKE 'Qsource%'")
            ).scalar()
            == 0
        )


def test_the_cards_list_reads_no_details_and_one_interaction_reads_them_on_record(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    cid = _prospect(svc, owner)
    made = svc.activities.add(
        owner, cid, ActivityInput(ActivityKind.MEETING, "Met", details="Qdetail", attachment=b"x")
    )

    def reads() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM audit_event WHERE action = 'activity.read_details'")
                ).scalar()
                or 0
            )

    before = reads()
    listed = svc.activities.timeline(owner, cid, with_details=False)
    assert (listed[0].details, listed[0].attachment_name) == (None, None)
    assert reads() == before  # nothing restricted read, nothing written
    full = svc.activities.one(owner, made)
    assert (full.details, full.attachment_name) == ("Qdetail", "attachment")
    assert reads() == before + 1
    with pytest.raises(NotFound):
        svc.activities.one(owner, made + 99)
