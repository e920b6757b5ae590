"""The cleanup: summary, review, apply with progress and cancel, and a crash during apply."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.retention import CleanupAction, Selection
from privacycrm_desktop.services import cleanup as cleanup_module
from privacycrm_desktop.services.cleanup import CleanupPlan, CleanupService
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

SOURCE = SourceInput(SourceKind.EVENT, "fair", dt.date(2026, 2, 20))
LATER = dt.datetime(2028, 6, 1, 9, 0)


def populate(svc: Services, owner: Actor, n: int, start: int = 0) -> list[int]:
    ids = []
    for i in range(start, start + n):
        customer = i % 3 == 0
        ids.append(
            svc.contacts.create(
                owner,
                ContactInput(
                    first_name=f"Name{i}",
                    last_name=f"Person{i}",
                    emails=(f"p{i}@example.be",),
                    phones=(f"+3247000{i:04d}",),
                    postcode="9000",
                    relationship=(
                        Relationship.FORMER_CUSTOMER if customer else Relationship.PROSPECT
                    ),
                    relationship_end=dt.date(2026, 1, 1) if customer else None,
                ),
                SOURCE,
            )
        )
    return ids


def test_summary_review_dry_run_and_apply(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock
) -> None:
    ids = populate(svc, owner, 6)
    cleanup = CleanupService(svc.uow, clock)
    assert cleanup.summary(owner) == []
    clock.advance(LATER - clock.now())
    summary = {r.reason: (r.count, r.action) for r in cleanup.summary(owner)}
    assert summary == {
        "customer_relationship": (2, CleanupAction.ANONYMISE),
        "prospect_follow_up": (4, CleanupAction.ERASE),
    }
    rows = cleanup.review(owner)
    assert [r.contact_id for r in rows][:2] == [ids[1], ids[2]]  # oldest date first
    assert rows[0].name == "Person1, Name1"
    dry = cleanup.apply(owner, dry_run=True)
    assert dry.by_action == {"anonymise": 2, "erase": 4}
    assert len(cleanup.summary(owner)) == 2  # a dry run changes nothing
    with pytest.raises(ValidationFailed):
        cleanup.apply(owner, CleanupPlan(overrides={ids[1]: CleanupAction.KEEP}))
    seen: list[tuple[int, int]] = []
    plan = CleanupPlan(
        overrides={ids[1]: CleanupAction.KEEP, ids[2]: CleanupAction.ASK_CONSENT},
        selection=Selection.all().with_checked([ids[4]], False),
        keep_reason="still in talks",
    )
    outcome = cleanup.apply(owner, plan, progress=lambda d, t: seen.append((d, t)))
    assert outcome.by_action == {"anonymise": 2, "erase": 1, "keep": 1, "ask_consent": 1}
    assert outcome.skipped == 1
    assert seen[-1] == (6, 6)
    assert [r.contact_id for r in cleanup.review(owner)] == [ids[4]]
    assert svc.contacts.count(owner, "person0") == 0  # anonymised: gone from search
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM anonymised_record")).scalar() == 2
        assert conn.execute(text("SELECT count(*) FROM contact")).scalar() == 3
        hold = conn.execute(
            text("SELECT until FROM retention_hold WHERE contact_id = :c"), {"c": ids[1]}
        ).scalar()
        assert str(hold) == "2029-06-01"


def test_cancelling_keeps_what_was_applied(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of two: the cancel comes between the first batch and the second.
    monkeypatch.setattr(cleanup_module, "APPLY_BATCH", 2)
    populate(svc, owner, 5)
    clock.advance(LATER - clock.now())
    cleanup = CleanupService(svc.uow, clock)

    class Stop(Exception):
        pass

    def progress(done: int, total: int) -> None:
        if done == 2:
            raise Stop

    with pytest.raises(Stop):
        cleanup.apply(owner, progress=progress)
    assert sum(r.count for r in cleanup.summary(owner)) == 3
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM erasure_ledger")).scalar() == 2


CHILD = """
import datetime as dt, sys
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.cleanup import CleanupService
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.domain.access import Role
import privacycrm_desktop.services.cleanup as cleanup_module
# Small batches (each one transaction), so kills land inside a batch and between batches.
cleanup_module.APPLY_BATCH = 7
engine = create_engine_for(sys.argv[1])
svc = Services.build(engine, FixedClock(dt.datetime(2028, 6, 1, 9, 0)))
actor = Actor(1, "owner", Role.OWNER)
print("ready", flush=True)
CleanupService(svc.uow, FixedClock(dt.datetime(2028, 6, 1, 9, 0))).apply(actor)
"""


def _state(engine: Engine, cid: int) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(
            int(conn.execute(text(q), {"c": cid}).scalar() or 0)
            for q in (
                "SELECT count(*) FROM contact WHERE id = :c",
                "SELECT count(*) FROM contact_email WHERE contact_id = :c",
                "SELECT count(*) FROM contact_phone WHERE contact_id = :c",
                "SELECT count(*) FROM contact_fts WHERE rowid = :c",
                "SELECT count(*) FROM erasure_ledger WHERE contact_id = :c",
                "SELECT count(*) FROM audit_event WHERE action LIKE 'contact.%' "
                "AND entity_id = CAST(:c AS TEXT) AND action != 'contact.create'",
            )
        )


@pytest.mark.slow
def test_a_process_killed_during_apply_leaves_each_contact_whole_or_gone(
    svc: Services, owner: Actor, engine: Engine, db_path: Path
) -> None:
    ids = populate(svc, owner, 40)
    engine.dispose()
    rng = random.Random(5)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    kills = rounds = 0
    deadline = time.monotonic() + 20
    # The apply is fast: a run may finish before the kill lands. Then new contacts are
    # made and the process is started again, until enough kills hit a running apply.
    while kills < 4 and time.monotonic() < deadline:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert child.stdout is not None
        child.stdout.readline()  # imports done: the apply loop starts now
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        kills += child.returncode == -signal.SIGKILL
        states = {cid: _state(engine, cid) for cid in ids}
        for cid, state in states.items():
            assert state in ((1, 1, 1, 1, 0, 0), (0, 0, 0, 0, 1, 1)), (cid, state)
        if all(s[0] == 0 for s in states.values()):
            rounds += 1
            ids = populate(svc, owner, 40, start=40 * rounds)
            engine.dispose()
    assert kills >= 4
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_the_report_has_counts_and_no_personal_data(
    svc: Services, owner: Actor, clock: FixedClock, tmp_path: Path
) -> None:
    import io

    from pypdf import PdfReader

    populate(svc, owner, 3)
    clock.advance(LATER - clock.now())
    outcome = svc.cleanup.apply(owner)
    pdf = svc.cleanup.report_pdf(owner, outcome, "nl")
    words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "owner" in words
    assert "Person1" not in words
    assert "p1@example.be" not in words
    (tmp_path / "cleanup.pdf").write_bytes(pdf)
    shots = os.environ.get("PRIVACYCRM_SCREENSHOT_DIR")
    if shots:
        for lang in ("nl", "fr"):
            Path(shots, f"cleanup-report-{lang}.pdf").write_bytes(
                svc.cleanup.report_pdf(owner, outcome, lang)
            )
