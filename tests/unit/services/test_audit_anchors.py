"""Issue 15: the audit chain against its anchors (anchor file, backups, server table).

Each tampering is done as someone with a SQL client on the database (a separate
connection, no app code), on SQLite and on PostgreSQL; on main every one of them passed the
chain check. The check must now fail and name the anchor that caught it.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.audit import AuditRecord, chain_hash
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.audit import AuditCheck
from privacycrm_desktop.services.audit_anchors import AnchorFile
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 20))


@pytest.fixture(autouse=True)
def _data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A server database's backups go to the data folder: one of the test's own.
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))


def fill(svc: Services, owner: Actor, contacts: int = 14) -> None:
    for n in range(contacts):
        svc.contacts.create(owner, ContactInput(first_name=f"Anne{n}"), CARD)


def events(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT id, at, actor, action, entity, entity_id, detail, prev_hash, hash "
                    "FROM audit_event ORDER BY id"
                )
            )
        ]


def _record(row: tuple[object, ...], event_id: int) -> AuditRecord:
    return AuditRecord(*(str(v) for v in row[1:7]), event_id=str(event_id))


def rechain(engine: Engine, keep: list[tuple[object, ...]]) -> None:
    """Replace the whole trail by *keep*, renumbered 1.. and correctly chained, and move the
    stored head: what a writer of the database does to hide a deletion."""
    prev = "0" * 64
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event"))
        for number, row in enumerate(keep, start=1):
            new = chain_hash(prev, _record(row, number))
            conn.execute(
                text(
                    "INSERT INTO audit_event (id, at, actor, action, entity, entity_id, detail, "
                    "prev_hash, hash) VALUES (:id, :at, :actor, :action, :entity, :eid, :detail, "
                    ":prev, :hash)"
                ),
                {
                    "id": number,
                    "at": row[1],
                    "actor": row[2],
                    "action": row[3],
                    "entity": row[4],
                    "eid": row[5],
                    "detail": row[6],
                    "prev": prev,
                    "hash": new,
                },
            )
            prev = new
        conn.execute(
            text("UPDATE setting SET value = :v WHERE key = 'audit.head'"),
            {"v": f"{len(keep)}:{prev}"},
        )


def delete_newest_three_and_rewrite_head(engine: Engine) -> None:
    rows = events(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id > :n"), {"n": len(rows) - 3})
        head = rows[-4]
        conn.execute(
            text("UPDATE setting SET value = :v WHERE key = 'audit.head'"),
            {"v": f"{head[0]}:{head[8]}"},
        )


def delete_eight_in_the_middle_and_rechain(engine: Engine) -> None:
    rows = events(engine)
    rechain(engine, rows[:5] + rows[13:])


def forge_an_append(engine: Engine) -> None:
    rows = events(engine)
    last = rows[-1]
    record = AuditRecord(
        at=dt.datetime(2026, 3, 2, 11, 0).isoformat(timespec="microseconds"),
        actor="owner",
        action="contact.delete",
        entity="contact",
        entity_id="1",
        detail="",
        event_id=str(int(str(last[0])) + 1),
    )
    new = chain_hash(str(last[8]), record)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_event (id, at, actor, action, entity, entity_id, detail, "
                "prev_hash, hash) VALUES (:id, :at, 'owner', 'contact.delete', 'contact', '1', "
                "'', :prev, :hash)"
            ),
            {"id": int(record.event_id), "at": record.at, "prev": last[8], "hash": new},
        )
        conn.execute(
            text("UPDATE setting SET value = :v WHERE key = 'audit.head'"),
            {"v": f"{record.event_id}:{new}"},
        )


def delete_newest_and_the_head_row(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = (SELECT max(id) FROM audit_event)"))
        conn.execute(text("DELETE FROM setting WHERE key = 'audit.head'"))


TAMPERINGS = {
    "newest three deleted, head rewritten": (delete_newest_three_and_rewrite_head, "removed"),
    "eight in the middle deleted, re-chained": (delete_eight_in_the_middle_and_rechain, "removed"),
    "forged append": (forge_an_append, "added"),
    "newest and head row deleted": (delete_newest_and_the_head_row, "removed"),
}


def anchor_kinds(result: AuditCheck) -> set[str]:
    return {p.anchor.kind for p in result.problems}


@pytest.mark.parametrize("case", list(TAMPERINGS))
def test_each_tampering_is_caught_and_the_anchor_named(
    svc: Services, owner: Actor, engine: Engine, backend: str, case: str
) -> None:
    fill(svc, owner)
    before = svc.audit.check()
    assert before.ok, [p.describe(str) for p in before.problems]
    # The chain alone (as on main) does not see any of these.
    tamper, kind = TAMPERINGS[case]
    tamper(engine)
    assert svc.audit.verify() is None
    result = svc.audit.check()
    assert not result.ok
    assert kind in {p.kind for p in result.problems}
    # The anchor that caught it is named in the sentence.
    expected = "server" if backend == "postgresql" else "file"
    caught = [p for p in result.problems if p.anchor.kind == expected]
    assert caught, [p.describe(str) for p in result.problems]
    sentence = caught[0].describe(str)
    if expected == "file":
        assert str(AnchorFile.for_engine(engine).path) in sentence
    else:
        assert "server's anchor table" in sentence


def test_the_messages_say_what_happened(svc: Services, owner: Actor, engine: Engine) -> None:
    fill(svc, owner)
    count = len(events(engine))
    delete_newest_three_and_rewrite_head(engine)
    sentences = [p.describe(str) for p in svc.audit.check().problems]
    assert any(
        f"has {count - 3} events but" in s and f"recorded {count}: events were removed" in s
        for s in sentences
    ), sentences


def test_one_forged_event_is_named_alone(
    svc: Services, owner: Actor, engine: Engine, backend: str
) -> None:
    """One event added by hand is "Event 47", never "Events 47 to 47"."""
    fill(svc, owner)
    forge_an_append(engine)
    forged = int(str(events(engine)[-1][0]))
    added = [p for p in svc.audit.check().problems if p.kind == "added"]
    assert added
    for problem in added:
        sentence = problem.describe(str)
        assert sentence.startswith(f"Event {forged} "), sentence
        assert " to " not in sentence.split(":")[0], sentence


@pytest.mark.parametrize(
    "case", ["newest three deleted, head rewritten", "eight in the middle deleted, re-chained"]
)
def test_a_backup_made_before_catches_truncation_and_rechaining(
    svc: Services, owner: Actor, engine: Engine, case: str
) -> None:
    fill(svc, owner)
    info = svc.backup.create(owner)
    tamper, _kind = TAMPERINGS[case]
    tamper(engine)
    result = svc.audit.check()
    from_backup = [p for p in result.problems if p.anchor.kind == "backup"]
    assert from_backup, [p.describe(str) for p in result.problems]
    assert info.path.name in from_backup[0].describe(str)


def test_a_backup_knows_only_its_past(svc: Services, owner: Actor, engine: Engine) -> None:
    fill(svc, owner)
    svc.backup.create(owner)
    # Only the "backup.create" event comes after the backup: its removal is the anchor
    # file's and the server's to see, not the backup's.
    delete_newest_and_the_head_row(engine)
    result = svc.audit.check()
    assert not [p for p in result.problems if p.anchor.kind == "backup"]
    assert not result.ok


def test_the_manifest_records_the_event_count(svc: Services, owner: Actor, engine: Engine) -> None:
    fill(svc, owner, contacts=3)
    count = len(events(engine))
    info = svc.backup.create(owner)
    assert info.audit_events == count
    assert info.audit_head.startswith(f"{count}:")


def test_app_actions_after_a_forgery_do_not_hide_it(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    fill(svc, owner, contacts=3)
    forge_an_append(engine)
    fill(svc, owner, contacts=2)  # the app goes on, chaining onto the forged event
    result = svc.audit.check()
    assert "added" in {p.kind for p in result.problems}


def test_an_untouched_trail_and_its_own_restore_are_not_reported(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock
) -> None:
    fill(svc, owner, contacts=3)
    info = svc.backup.create(owner)
    # A day later: rotation keeps one backup a day, manual ones included.
    clock.advance(dt.timedelta(days=1))
    fill(svc, owner, contacts=3)
    svc.backup.create(owner)
    assert svc.audit.check().ok
    clock.advance(dt.timedelta(minutes=5))
    svc.backup.restore(owner, info.path)
    # The trail is shorter than the newer backup and the anchor file: a restore, not a
    # removal. The restored trail is anchored again from here on.
    result = svc.audit.check()
    assert result.ok, [p.describe(str) for p in result.problems]
    fill(svc, owner, contacts=2)
    assert svc.audit.check().ok


@pytest.mark.sqlite_only
def test_the_anchor_file_is_the_owners_only(svc: Services, owner: Actor, engine: Engine) -> None:
    fill(svc, owner, contacts=1)
    anchor_file = AnchorFile.for_engine(engine)
    assert anchor_file is not None
    mode = stat.S_IMODE(os.stat(anchor_file.path).st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(os.stat(anchor_file.path.parent).st_mode) & 0o077 == 0


def test_a_restore_at_another_desk_is_not_a_removal_here(
    svc: Services,
    owner: Actor,
    engine: Engine,
    clock: FixedClock,
    backend: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two desks (two settings folders) on one database: desk B's anchor file still names
    events of the history desk A's restore replaced; they are not reported as removed."""
    if backend != "postgresql":
        pytest.skip("two desks share a server database")
    here = os.environ["PRIVACYCRM_CONFIG_DIR"]
    monkeypatch.setenv("PRIVACYCRM_CONFIG_DIR", str(tmp_path / "desk-b"))
    desk_b = Services.build(engine, clock)
    monkeypatch.setenv("PRIVACYCRM_CONFIG_DIR", here)
    fill(svc, owner, contacts=2)
    info = svc.backup.create(owner)
    other = desk_b.auth.login("owner", "correct horse battery")
    fill(desk_b, other, contacts=3)
    clock.advance(dt.timedelta(minutes=5))
    svc.backup.restore(owner, info.path)
    monkeypatch.setenv("PRIVACYCRM_CONFIG_DIR", str(tmp_path / "desk-b"))
    result = desk_b.audit.check()
    assert "file" in {a.kind for a in result.anchors}
    assert result.ok, [p.describe(str) for p in result.problems]


@pytest.mark.sqlite_only
def test_anchor_lines_reach_the_disk_once_a_burst_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person's action is flushed at once; a burst gets one fsync, then one from the
    timer (or at exit), so no line stays only in memory for long."""
    from privacycrm_desktop.services import audit_anchors

    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(audit_anchors.os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    anchor_file = AnchorFile(tmp_path / "a.anchors", "db")
    for n in range(1, 6):
        anchor_file.record([(n + 1, "a" * 64, "2026-03-02T10:00:00.000000")])
    assert len(synced) == 1
    anchor_file.flush()  # what the timer does a second later
    assert len(synced) == 2
    log = anchor_file.read()
    assert log is not None
    assert sorted(log.entries) == [2, 3, 4, 5, 6]


def append_until(svc: Services, owner: Actor, engine: Engine, count: int) -> None:
    """Ordinary app actions (contact creations) until the trail has *count* events again."""
    n = 100
    while len(events(engine)) < count:
        svc.contacts.create(owner, ContactInput(first_name=f"Bert{n}"), CARD)
        n += 1


def file_problems_of(result: AuditCheck) -> list[str]:
    return [p.describe(str) for p in result.problems if p.anchor.kind == "file"]


@pytest.mark.parametrize(
    "case", ["newest three deleted, head rewritten", "newest and head row deleted"]
)
def test_app_actions_that_reuse_deleted_numbers_do_not_hide_the_deletion(
    svc: Services, owner: Actor, engine: Engine, case: str
) -> None:
    """The app's next events take the numbers of the deleted ones: the anchor file then
    names those numbers twice, and the first hash it saw stays the anchor."""
    fill(svc, owner)
    count = len(events(engine))
    tamper, _kind = TAMPERINGS[case]
    tamper(engine)
    assert not svc.audit.check().ok
    append_until(svc, owner, engine, count)
    assert svc.audit.verify() is None
    result = svc.audit.check()
    assert not result.ok
    caught = file_problems_of(result)
    assert caught, [p.describe(str) for p in result.problems]
    path = str(AnchorFile.for_engine(engine).path)
    assert path in caught[0]
    assert {"changed"} <= {p.kind for p in result.problems if p.anchor.kind == "file"}


def test_an_id_named_twice_with_another_hash_is_reported_even_when_the_chain_agrees(
    tmp_path: Path,
) -> None:
    """The second line for a number is itself evidence, whatever the chain holds now."""
    from privacycrm_desktop.persistence.audit_anchor import ChainPositions
    from privacycrm_desktop.services.audit_anchors import file_anchor, file_problems

    anchor_file = AnchorFile(tmp_path / "a.anchors", "db")
    at = "2026-03-02T10:00:00.000000"
    anchor_file.record([(1, "a" * 64, at), (2, "b" * 64, at)])
    anchor_file.record([(2, "c" * 64, at)])
    log = anchor_file.read()
    assert log is not None
    assert log.entries[2] == ("b" * 64, at)  # the first hash stays
    for chain_head in ("b" * 64, "c" * 64):
        chain = ChainPositions({1: "a" * 64, 2: chain_head}, "")
        problems = file_problems(chain, log, file_anchor(anchor_file, log), added=True)
        assert [(p.kind, p.event) for p in problems] == [("changed", 2)]
    # A restore starts the file over: the history before it is forgotten.
    anchor_file.start_over((2, "d" * 64, at))
    log = anchor_file.read()
    assert log is not None
    chain = ChainPositions({1: "a" * 64, 2: "d" * 64}, "")
    assert file_problems(chain, log, file_anchor(anchor_file, log), added=True) == []


def test_an_emptied_trail_begun_again_is_a_removal_not_a_new_start(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    """Deleting every event and the head row, then one ordinary action (event 1 again):
    the anchor file does not start over, it reports the removal."""
    fill(svc, owner, contacts=3)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event"))
        conn.execute(text("DELETE FROM setting WHERE key = 'audit.head'"))
    fill(svc, owner, contacts=1)
    assert [row[0] for row in events(engine)] == [1]
    assert svc.audit.verify() is None
    result = svc.audit.check()
    assert not result.ok
    caught = [p for p in result.problems if p.anchor.kind == "file"]
    assert {"removed", "changed"} <= {p.kind for p in caught}, [
        p.describe(str) for p in result.problems
    ]
    path = str(AnchorFile.for_engine(engine).path)
    assert all(path in p.describe(str) for p in caught)
    anchor_file = AnchorFile.for_engine(engine)
    assert anchor_file is not None
    assert not any(line.startswith("r ") for line in anchor_file.path.read_text().splitlines())


def test_restoring_the_same_backup_twice_is_not_reported(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock
) -> None:
    """Both restore events land on the same number; the backup set aside by the second
    restore holds the first one: another history line, not a removal."""
    fill(svc, owner, contacts=3)
    info = svc.backup.create(owner)
    clock.advance(dt.timedelta(days=1))
    fill(svc, owner, contacts=3)
    clock.advance(dt.timedelta(minutes=5))
    svc.backup.restore(owner, info.path)
    fill(svc, owner, contacts=2)
    assert svc.audit.check().ok
    clock.advance(dt.timedelta(minutes=5))
    svc.backup.restore(owner, info.path)
    result = svc.audit.check()
    assert result.ok, [p.describe(str) for p in result.problems]
    fill(svc, owner, contacts=1)
    result = svc.audit.check()
    assert result.ok, [p.describe(str) for p in result.problems]


def test_a_demo_database_passes_the_check(svc: Services, owner: Actor, engine: Engine) -> None:
    """The demo writes its event through a session of its own: it reaches the anchor file."""
    fill(svc, owner, contacts=1)
    assert svc.demo.generate(owner, 30) == 30
    result = svc.audit.check()
    assert result.ok, [p.describe(str) for p in result.problems]
    anchor_file = AnchorFile.for_engine(engine)
    assert anchor_file is not None
    log = anchor_file.read()
    assert log is not None
    assert max(row[0] for row in events(engine)) in log.entries


@pytest.mark.sqlite_only
def test_a_forged_restore_in_place_of_deleted_events_does_not_hide_them(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock
) -> None:
    """The newest three events replaced by a "backup.restore" event of a later time, then
    ordinary actions: the anchor file's lines for those numbers are older than that
    "restore", but the file never saw it, so they still count."""
    fill(svc, owner)
    rows = events(engine)
    count = len(rows)
    clock.advance(dt.timedelta(minutes=1))
    event_id = count - 2
    record = AuditRecord(
        at=clock.now().isoformat(timespec="microseconds"),
        actor="owner",
        action="backup.restore",
        entity="backup",
        entity_id="",
        detail="",
        event_id=str(event_id),
    )
    prev = str(rows[event_id - 2][8])
    new = chain_hash(prev, record)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id >= :n"), {"n": event_id})
        conn.execute(
            text(
                "INSERT INTO audit_event (id, at, actor, action, entity, entity_id, detail, "
                "prev_hash, hash) VALUES (:id, :at, 'owner', 'backup.restore', 'backup', '', "
                "'', :prev, :hash)"
            ),
            {"id": event_id, "at": record.at, "prev": prev, "hash": new},
        )
        conn.execute(
            text("UPDATE setting SET value = :v WHERE key = 'audit.head'"),
            {"v": f"{event_id}:{new}"},
        )
    clock.advance(dt.timedelta(minutes=1))
    append_until(svc, owner, engine, count)
    assert svc.audit.verify() is None
    result = svc.audit.check()
    assert not result.ok
    assert file_problems_of(result), [p.describe(str) for p in result.problems]


@pytest.mark.sqlite_only
def test_a_database_set_up_anew_at_the_same_place_has_its_own_anchors(
    tmp_path: Path, clock: FixedClock
) -> None:
    """Deleting the file and setting up again is a new database, not a rewritten trail; the
    earlier database's anchor file is kept beside, renamed."""
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.setup import CompanyInput

    path = tmp_path / "crm.db"
    company = CompanyInput("Acme BV", "Kerkstraat 1, 9000 Gent", "0403.170.701")
    for attempt in range(2):
        for leftover in tmp_path.glob("crm.db*"):
            leftover.unlink()
        engine = create_engine_for(str(path))
        migrate(engine)
        services = Services.build(engine, clock)
        owner = services.setup.initialise(company, "owner", "correct horse battery")
        fill(services, owner, contacts=3 - attempt)
        result = services.audit.check()
        assert result.ok, [p.describe(str) for p in result.problems]
        anchor_file = AnchorFile.for_engine(engine)
        engine.dispose()
    assert anchor_file is not None
    kept = list(anchor_file.path.parent.glob(anchor_file.path.name + ".before-*"))
    assert len(kept) == 1


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_an_anchors_time_is_local_and_in_the_language(tmp_path: Path, language: str) -> None:
    from privacycrm_desktop.i18n import current_language, format_moment, set_language, tr_in
    from privacycrm_desktop.services.audit_anchors import AnchorLog, file_anchor

    written = dt.datetime(2026, 12, 7, 1, 22)
    before = current_language()
    set_language(language)
    try:
        anchor = file_anchor(
            AnchorFile(tmp_path / "a.anchors", "db"), AnchorLog(last_at=written.isoformat())
        )
        sentence = anchor.describe(lambda m: tr_in(language, m))
    finally:
        set_language(before)
    assert "2026-12-07" not in sentence
    assert format_moment(written, language) in sentence
