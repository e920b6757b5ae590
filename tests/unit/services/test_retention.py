"""Stored keep-until dates, holds, the warning counts and the scan's query plan."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.retention import expired_query, expired_summary_query

CARD = SourceInput(SourceKind.BUSINESS_CARD, "fair", dt.date(2026, 2, 20))


def stored(engine: Engine, contact_id: int) -> tuple[str | None, str]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT keep_until, keep_reason FROM contact WHERE id = :i"), {"i": contact_id}
        ).one()
    # SQLite hands dates back as text, PostgreSQL as dates.
    return (None if row[0] is None else str(row[0])), row[1]


def prospect(svc: Services, owner: Actor, name: str = "Peeters") -> int:
    return svc.contacts.create(
        owner, ContactInput(first_name="An", last_name=name, emails=(f"{name}@example.be",)), CARD
    )


def test_create_update_consent_and_holds_keep_the_date_current(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock
) -> None:
    cid = prospect(svc, owner)
    assert stored(engine, cid) == ("2027-03-02", "prospect_follow_up")
    detail = svc.contacts.get(owner, cid)
    svc.contacts.update(
        owner,
        cid,
        detail.version,
        ContactInput(
            first_name="An",
            last_name="Peeters",
            emails=("Peeters@example.be",),
            relationship=Relationship.FORMER_CUSTOMER,
            relationship_start=dt.date(2020, 1, 1),
            relationship_end=dt.date(2021, 1, 31),
        ),
        CARD,
    )
    assert stored(engine, cid) == ("2031-01-31", "invoicing")
    assert svc.contacts.get(owner, cid).version == detail.version + 1  # the date did not bump it
    hold = svc.retention.add_hold(owner, cid, "dispute about invoice 12", dt.date(2032, 6, 30))
    assert stored(engine, cid) == ("2032-06-30", "hold")
    assert [h.reason for h in svc.retention.holds(owner, cid)] == ["dispute about invoice 12"]
    svc.retention.remove_hold(owner, hold)
    assert stored(engine, cid) == ("2031-01-31", "invoicing")
    svc.consent.record(
        owner,
        ConsentInput(
            cid,
            "direct_marketing_consent",
            Channel.EMAIL,
            ConsentStatus.OPT_IN,
            ConsentMethod.FORM_BOX_TICKED,
            evidence="web form 12",
        ),
    )
    # A lasting consent no longer blanks the date: invoices are kept longer here.
    assert stored(engine, cid) == ("2031-01-31", "invoicing")
    clock.advance(dt.timedelta(days=40))
    svc.consent.unsubscribe(owner, cid)
    assert stored(engine, cid) == ("2031-01-31", "invoicing")


def test_a_hold_needs_a_reason_and_a_future_end(svc: Services, owner: Actor) -> None:
    cid = prospect(svc, owner)
    with pytest.raises(ValidationFailed):
        svc.retention.add_hold(owner, cid, "  ", dt.date(2030, 1, 1))
    with pytest.raises(ValidationFailed):
        svc.retention.add_hold(owner, cid, "dispute", dt.date(2020, 1, 1))


def test_counts_and_bulk_recompute(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock
) -> None:
    first = prospect(svc, owner, "Aerts")
    clock.advance(dt.timedelta(days=340))
    prospect(svc, owner, "Claes")
    with engine.begin() as conn:
        conn.execute(text("UPDATE contact SET keep_until = NULL, keep_reason = ''"))
    assert svc.retention.recompute_all(chunk=1) == 2
    assert stored(engine, first) == ("2027-03-02", "prospect_follow_up")
    counts = svc.retention.counts(owner)
    assert (counts.expired, counts.expiring) == (0, 1)
    clock.advance(dt.timedelta(days=60))
    counts = svc.retention.counts(owner)
    assert (counts.expired, counts.expiring) == (1, 0)


@pytest.mark.parametrize("summary", [False, True])
@pytest.mark.sqlite_only  # SQLite's query plans
def test_the_scan_reads_the_keep_until_index_only(engine: Engine, summary: bool) -> None:
    day = dt.date(2026, 1, 1)
    query = expired_summary_query(day, ["hold", "invoicing"]) if summary else expired_query(day)
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        plan = " ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    if summary:
        expected = "COVERING INDEX ix_contact_keep_reason (keep_reason=? AND keep_until<?)"
    else:
        expected = "COVERING INDEX ix_contact_keep_until (keep_until<?)"
    assert expected in plan
    # No sorting of the matches (that made the summary 4x slower on a million contacts),
    # and no full scan of the table.
    assert "TEMP B-TREE" not in plan
    assert "SCAN" not in plan


def _opt_in(svc: Services, owner: Actor, cid: int) -> None:
    svc.consent.record(
        owner,
        ConsentInput(
            cid,
            "direct_marketing_consent",
            Channel.EMAIL,
            ConsentStatus.OPT_IN,
            ConsentMethod.FORM_BOX_TICKED,
            evidence="newsletter form",
        ),
    )


def test_a_newsletter_opt_in_keeps_an_end_date_and_reaches_the_cleanup(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock
) -> None:
    """Issue 16: recording a newsletter opt-in blanked the keep-until date, so the contact
    never reached the cleanup. A lasting consent is now due for re-confirmation 24 months
    (a setting) after it was given, and the cleanup lists it and proposes to ask again."""
    from privacycrm_desktop.domain.retention import CleanupAction

    cid = prospect(svc, owner)
    _opt_in(svc, owner, cid)
    assert stored(engine, cid) == ("2028-03-02", "consent_reconfirmation")
    assert svc.retention.reconfirm_months() == 24
    assert svc.retention.set_reconfirm_months(owner, 18) == 1
    assert stored(engine, cid) == ("2027-09-02", "consent_reconfirmation")
    with pytest.raises(ValidationFailed):
        svc.retention.set_reconfirm_months(owner, 0)
    clock.advance(dt.timedelta(days=400))
    _opt_in(svc, owner, cid)  # confirmed again: the horizon starts over
    assert stored(engine, cid) == ("2028-10-06", "consent_reconfirmation")
    clock.advance(dt.timedelta(days=600))
    summary = {r.reason: (r.count, r.action, r.label) for r in svc.cleanup.summary(owner)}
    assert summary == {
        "consent_reconfirmation": (1, CleanupAction.ASK_CONSENT, "Consent due for re-confirmation")
    }


def test_blank_dates_of_older_versions_are_computed_after_the_upgrade(
    svc: Services, owner: Actor, engine: Engine, db_url: str, clock: FixedClock
) -> None:
    from alembic import command

    from privacycrm_desktop.persistence.migrate import alembic_config, migrate

    cid = prospect(svc, owner)
    _opt_in(svc, owner, cid)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0006_shared_server")
        # What the older version stored for a lasting consent.
        conn.execute(
            text("UPDATE contact SET keep_until = NULL, keep_reason = 'direct_marketing_consent'")
        )
    migrate(engine)
    assert stored(engine, cid) == (None, "")  # marked "not computed yet"
    assert svc.retention.fill_missing() == 1  # what the app and the CLI do at start
    assert stored(engine, cid) == ("2028-03-02", "consent_reconfirmation")


def test_after_a_bulk_recompute_on_the_server_every_page_of_contact_is_all_visible(
    svc: Services, owner: Actor, engine: Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recompute rewrites every contact; its VACUUM must put every page back in the
    visibility map (index-only scans). A page another session holds pinned at that moment
    (here: an open cursor on the first page, let go after a second) is skipped by a plain
    VACUUM and stays out of the map; the recompute's VACUUM waits for it."""
    import threading

    import psycopg
    from sqlalchemy.engine import make_url

    import privacycrm_desktop.services.retention as retention
    from privacycrm_desktop.persistence.bulk_writes import vacuum_analyze

    if backend != "postgresql":
        pytest.skip("the visibility map is PostgreSQL's")
    svc.demo.generate(owner, 3000)
    vacuums: list[str] = []

    def pinned_vacuum(engine_: Engine, table: str) -> None:
        # A reader holds page 0 while the VACUUM starts, then moves on.
        url = make_url(engine.url.render_as_string(hide_password=False))
        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq) as reader:
            reader.execute("DECLARE pin CURSOR FOR SELECT id FROM contact")
            reader.execute("FETCH 1 FROM pin")
            release = threading.Timer(1.0, reader.execute, ("CLOSE pin",))
            release.start()
            try:
                vacuum_analyze(engine_, table)
            finally:
                release.join()
        vacuums.append(table)

    monkeypatch.setattr(retention, "vacuum_analyze", pinned_vacuum)
    assert svc.retention.recompute_all() == 3000
    assert vacuums == ["contact"]
    with engine.connect() as conn:
        pages, visible = conn.execute(
            text("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'contact'")
        ).one()
    assert pages > 10
    assert visible == pages
