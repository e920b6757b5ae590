"""Big imports: rows checked by worker processes, chunks written while they check.

The pool's thresholds are lowered so a few hundred rows take the path of 100,000: worker
processes check the rows, and with the skip and create policies full chunks are written
while the analysis goes on. Every outcome must equal the in-process, read-then-write run.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.import_formats import DuplicatePolicy, SkipReason
from privacycrm_desktop.domain.import_headers import guess_mapping
from privacycrm_desktop.domain.suppression import HashKind, SuppressionReason, suppression_digest
from privacycrm_desktop.persistence.models import Contact, ImportBatch, Suppression
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportPlan, ImportResult
from privacycrm_desktop.services.imports import analyse as import_analyse
from privacycrm_desktop.services.imports import pool as import_pool
from privacycrm_desktop.services.imports import write as import_write
from privacycrm_desktop.services.imports.pool import RowChecker, RowPlan, ValidRow, check_rows
from privacycrm_desktop.services.marketing_facts import ensure_salt
from privacycrm_desktop.services.registry import Services

from .test_imports import SOURCE, contact_by_email, count_contacts

HEADER = "First Name;Last Name;E-mail Address;Mobile Phone;Business Postal Code;Newsletter"
FIRSTS = ("Jan", "Zoë", "Hélène", "Pieter", "An", "Mohamed", "Lotte", "Élodie")
LASTS = ("Peeters", "Lefèvre", "Dubois", "Janssens", "De Smet", "El Amrani", "Maes")


def big_file(tmp_path: Path, rows: int) -> Path:
    """Rows of every kind: valid, invalid, twice in the file, already a contact,
    suppressed, with and without a consent answer."""
    lines = [HEADER]
    for n in range(rows):
        first, last = FIRSTS[n % len(FIRSTS)], LASTS[n % len(LASTS)]
        postcode = 1000 + n % 50
        twice = 0
        if n % 29 == 3 and n > 60:  # the name, postcode and mobile of an earlier row
            twice = n // 2
        elif n % 41 == 7:  # the name, postcode and e-mail address of an earlier row
            twice = n // 3
        if twice:
            m = twice
            first, last, postcode = FIRSTS[m % len(FIRSTS)], LASTS[m % len(LASTS)], 1000 + m % 50
        elif n % 97 == 50:  # the name and postcode of a contact (and of the first row)
            first, last, postcode = "Jan", "Peeters", 1000
        email = f"person{n}@example.be"
        phone = f"0475 {n:06d}"
        if n % 29 == 3 and n > 60:
            email, phone = "", f"0475 {twice:06d}"
        newsletter = ("ja", "nee", "")[n % 3]
        if n % 37 == 5:
            email = "not-an-address@"  # invalid
        elif n % 41 == 7:
            email = f"person{n // 3}@example.be"  # twice in the file
        elif n % 43 == 9:
            email = "existing@example.be"  # already a contact
        elif n % 47 == 11:
            email = "gone@example.be"  # asked to be forgotten
        if n % 53 == 13:
            phone = "12"  # invalid
        lines.append(f"{first};{last};{email};{phone};{postcode};{newsletter}")
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def prepare(svc: Services, owner: Actor) -> None:
    """A contact some rows duplicate, and an address on the suppression list."""
    existing = ContactInput(first_name="Ex", last_name="Isting", emails=("existing@example.be",))
    svc.contacts.create(owner, existing, SOURCE)
    # The name and postcode of the file's first row and a few more.
    same_name = ContactInput(first_name="Jan", last_name="Peeters", postcode="1000")
    svc.contacts.create(owner, same_name, SOURCE)
    with svc.uow(write=True) as uow:
        salt = ensure_salt(uow.session)
        uow.session.add(
            Suppression(
                hash_kind=HashKind.EMAIL.value,
                digest=suppression_digest(salt, HashKind.EMAIL, "gone@example.be"),
                reason=SuppressionReason.ERASURE.value,
                created_at=dt.datetime(2026, 1, 1),
            )
        )


def plan_for(svc: Services, owner: Actor, path: Path, policy: DuplicatePolicy) -> ImportPlan:
    preview = svc.imports.preview(owner, path)
    assert preview.mapping[-1] is not None  # the newsletter column records consent
    return ImportPlan(
        path=path,
        shape=preview.shape,
        mapping=preview.mapping,
        source=SOURCE,
        purpose_code="customer_relationship",
        legal_basis="contract",
        duplicates=policy,
    )


def small_sizes(monkeypatch: pytest.MonkeyPatch, pooled: bool) -> None:
    """A few hundred rows go the way of 100,000: tasks of 100 rows, blocks of 50, chunks of
    40; through worker processes when *pooled*, else all in this process."""
    monkeypatch.setattr(import_pool, "POOL_MIN_ROWS", 1 if pooled else 10**9)
    monkeypatch.setattr(import_pool, "TASK_ROWS", 100)
    monkeypatch.setattr(import_analyse, "_BLOCK", 50)
    monkeypatch.setattr(import_write, "CHUNK", 40)


def snapshot(svc: Services, batch_id: int) -> dict[str, Any]:
    """What a batch wrote, without the ids (contacts are numbered in their file order)."""
    with svc.uow() as uow:
        conn = uow.session.connection()
        ids = list(
            conn.scalars(
                select(Contact.id).where(Contact.import_batch_id == batch_id).order_by(Contact.id)
            )
        )
        rank = {cid: n for n, cid in enumerate(ids)}
        skip = {"id", "source_id", "import_batch_id"}
        columns = [c for c in Contact.__table__.c if c.name not in skip]
        contacts = [
            tuple(row)
            for row in conn.execute(
                select(*columns).where(Contact.id.in_(ids)).order_by(Contact.id)
            )
        ]
        points = sorted(
            (rank[cid], kind, value, position)
            for kind, table, column in (
                ("email", "contact_email", "address"),
                ("phone", "contact_phone", "number"),
            )
            for cid, value, position in conn.execute(
                text(f"SELECT contact_id, {column}, position FROM {table}")
            )
            if cid in rank
        )
        fts = sorted(
            (rank[cid], *rest)
            for cid, *rest in conn.execute(
                text("SELECT rowid, name, organisation, emails, phones, place FROM contact_fts")
            )
            if cid in rank
        )
        consents = sorted(
            (rank[cid], channel, status, evidence, point)
            for cid, channel, status, evidence, point in conn.execute(
                text(
                    "SELECT contact_id, channel, status, evidence, contact_point_hash "
                    "FROM consent_event"
                )
            )
            if cid in rank
        )
    return {"contacts": contacts, "points": points, "fts": fts, "consents": consents}


def counts(result: ImportResult) -> tuple[object, ...]:
    return (
        result.total_rows,
        result.imported,
        result.merged,
        result.skipped,
        result.invalid,
        result.invalid_rows,
        result.cancelled,
        result.conflicts,
    )


@pytest.mark.slow
@pytest.mark.parametrize("policy", list(DuplicatePolicy))
def test_a_pooled_import_writes_what_an_in_process_import_writes(
    svc: Services,
    owner: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    policy: DuplicatePolicy,
) -> None:
    prepare(svc, owner)
    plan = plan_for(svc, owner, big_file(tmp_path, 330), policy)
    outcomes = []
    for pooled in (False, True):
        small_sizes(monkeypatch, pooled)
        seen: list[tuple[int, int]] = []
        result = svc.imports.run(
            owner, plan, lambda done, total, seen=seen: seen.append((done, total))
        )
        assert result.batch_id is not None
        assert [done for done, _total in seen] == sorted(done for done, _total in seen)
        assert seen[-1] == (660, 660)
        outcomes.append((counts(result), snapshot(svc, result.batch_id)))
        assert svc.imports.undo(owner, result.batch_id) == result.imported
    (in_process, in_process_rows), (pooled_counts, pooled_rows) = outcomes
    assert pooled_counts == in_process
    assert pooled_rows == in_process_rows
    result_skipped = in_process[3]
    assert isinstance(result_skipped, dict)
    assert result_skipped[SkipReason.ERASED] > 0
    if policy is DuplicatePolicy.SKIP:
        assert result_skipped[SkipReason.DUPLICATE] > 0
        assert result_skipped[SkipReason.DUPLICATE_IN_FILE] > 0
    assert len(pooled_rows["consents"]) > 0


def test_rows_checked_by_workers_equal_rows_checked_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_pool, "TASK_ROWS", 100)
    headers = tuple(HEADER.split(";"))
    good = ("Jan", "Peeters", "p{n}@example.be", "0475 123456", "9000", "ja")
    # A bad e-mail address or phone number no longer refuses a row: nothing identifies this.
    bad = ("", "", "", "", "9000", "misschien")
    rows = [
        (n, tuple(cell.format(n=n) for cell in (good if n % 5 else bad))) for n in range(1, 351)
    ]
    salt = "ab" * 32
    plan = RowPlan(
        headers,
        guess_mapping(headers, "direct_marketing_consent"),
        dt.date(2026, 3, 2),
        (salt, frozenset({HashKind.EMAIL.value})),
    )
    with RowChecker(plan, rows, block=50, workers=2) as checker:
        assert checker.workers == 2
        pooled = [row for block in checker.blocks() for row in block]
    assert pooled == check_rows(plan, rows)
    valid = [row for row in pooled if isinstance(row, ValidRow)]
    assert len(valid) == 280
    assert valid[0].digests == (
        (HashKind.EMAIL.value, suppression_digest(salt, HashKind.EMAIL, "p1@example.be")),
    )


@pytest.mark.slow
def test_a_broken_pool_leaves_the_rest_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_pool, "TASK_ROWS", 100)
    headers = ("First Name", "Last Name", "E-mail Address")
    rows = [(n, (f"P{n}", "Peeters", f"p{n}@example.be")) for n in range(1, 1001)]
    plan = RowPlan(headers, guess_mapping(headers), dt.date(2026, 3, 2))
    with RowChecker(plan, rows, block=50, workers=1) as checker:
        pool = checker._pool
        assert pool is not None
        for process in list(pool._processes.values()):
            os.kill(process.pid, signal.SIGKILL)
        checked = [row for block in checker.blocks() for row in block]
        assert checker.workers == 0
    assert checked == check_rows(plan, rows)


def wait_for_no_workers() -> None:
    deadline = time.monotonic() + 15
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert multiprocessing.active_children() == []


class Stop(Exception):
    pass


def test_cancel_while_workers_check_keeps_whole_chunks_and_stops_the_workers(
    svc: Services, owner: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_sizes(monkeypatch, pooled=True)
    plan = plan_for(svc, owner, big_file(tmp_path, 600), DuplicatePolicy.SKIP)

    def progress(done: int, total: int) -> None:
        if done >= 300:  # checked 250 rows or so and written some chunks
            raise Stop

    result = svc.imports.run(owner, plan, progress)
    assert result.cancelled
    assert result.batch_id is not None
    assert result.imported > 0
    assert result.imported % 40 == 0  # whole chunks only
    assert count_contacts(svc) == result.imported
    with svc.uow() as uow:
        batch = uow.session.get(ImportBatch, result.batch_id)
        assert batch is not None
        assert (batch.status, batch.imported) == ("cancelled", result.imported)
    wait_for_no_workers()
    assert svc.imports.undo(owner, result.batch_id) == result.imported
    assert count_contacts(svc) == 0


def test_a_cancel_before_the_first_chunk_writes_nothing(
    svc: Services, owner: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_sizes(monkeypatch, pooled=True)
    monkeypatch.setattr(import_write, "CHUNK", 200)  # more than the first blocks place

    def progress(done: int, total: int) -> None:
        if done > 0:
            raise Stop

    result = svc.imports.run(
        owner, plan_for(svc, owner, big_file(tmp_path, 600), DuplicatePolicy.SKIP), progress
    )
    assert result.cancelled
    assert result.batch_id is None
    assert count_contacts(svc) == 0
    wait_for_no_workers()


@pytest.mark.sqlite_only  # the stored text of a date and time
def test_bulk_rows_store_dates_and_times_as_core_does(
    svc: Services, owner: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer hands SQLite text it formats itself: the same text Core writes (the test
    clock's time has no microseconds, which Python's own adapter would leave out)."""
    small_sizes(monkeypatch, pooled=False)
    result = svc.imports.run(
        owner, plan_for(svc, owner, big_file(tmp_path, 60), DuplicatePolicy.SKIP)
    )
    cid = contact_by_email(svc, owner, "person1@example.be")
    with svc.uow() as uow:
        conn = uow.session.connection()
        batch_time = conn.execute(
            text("SELECT created_at FROM import_batch WHERE id = :id"), {"id": result.batch_id}
        ).scalar_one()
        stored = conn.execute(
            text(
                "SELECT c.created_at, c.updated_at, c.keep_until, e.recorded_at, p.recorded_at "
                "FROM contact c JOIN contact_email e ON e.contact_id = c.id "
                "JOIN contact_phone p ON p.contact_id = c.id WHERE c.id = :id"
            ),
            {"id": cid},
        ).one()
    assert batch_time == "2026-03-02 10:00:00.000000"
    assert stored[:2] == (batch_time, batch_time)
    assert stored[3:] == (batch_time, batch_time)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", stored[2])


TRICKY_ADDRESSES = (
    "jan@example.be",
    "Jan.Peeters@EXAMPLE.BE",
    "zoë@exämple.be",
    "x@xn--exmple-cua.be",
    "info@ＥＸＡＭＰＬＥ．be",
    "a@localhost",
    "a@test",
    "a@example..be",
    "a@-example.be",
    "a@exa_mple.be",
    "a@123.45",
    "a@" + "x" * 64 + ".be",
    "a@example.be.",
    "a@[127.0.0.1]",
    "not-an-address@",
    "@example.be",
)


def verdicts() -> list[str]:
    from privacycrm_desktop.domain.normalize import InvalidValue, normalise_email

    found = []
    for _round in range(2):  # the second round from the remembered checks
        for address in TRICKY_ADDRESSES:
            try:
                found.append(normalise_email(address))
            except InvalidValue as exc:
                found.append(f"{exc.message} {exc.params}")
    return found


def test_remembered_domain_checks_give_the_same_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    module = importlib.import_module("email_validator.validate_email")
    monkeypatch.setattr(module, "validate_email_domain_name", module.validate_email_domain_name)
    before = verdicts()
    assert import_pool.remember_domain_checks()
    assert hasattr(module.validate_email_domain_name, "cache_info")
    assert verdicts() == before
    assert module.validate_email_domain_name.cache_info().hits > 0
    assert sum(v.endswith("@example.be") for v in before) == 6  # 3 addresses, 2 rounds


def test_on_the_server_chunks_are_written_behind_the_analysis_as_they_would_be_in_line(
    svc: Services, owner: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from privacycrm_desktop.services.imports.behind import WriteBehind

    prepare(svc, owner)
    plan = plan_for(svc, owner, big_file(tmp_path, 330), DuplicatePolicy.SKIP)
    small_sizes(monkeypatch, pooled=True)
    server = svc.uow.engine.dialect.name == "postgresql"
    writers: list[str] = []
    create = import_write.Writer.create

    def noted(self: import_write.Writer, conn: Any, new: Any) -> list[int]:
        writers.append(threading.current_thread().name)
        return create(self, conn, new)

    monkeypatch.setattr(import_write.Writer, "create", noted)
    outcomes = []
    for behind in (False, True):
        monkeypatch.setattr(import_write, "WriteBehind", lambda threaded, b=behind: WriteBehind(b))
        writers.clear()
        result = svc.imports.run(owner, plan)
        assert result.batch_id is not None
        outcomes.append((counts(result), snapshot(svc, result.batch_id)))
        assert svc.imports.undo(owner, result.batch_id) == result.imported
        # The chunks filled while the analysis goes on go to the thread, what is left at
        # its end is written in line.
        in_thread = [name.startswith("import-write") for name in writers]
        assert len(writers) > 2
        assert in_thread[0] == behind
        assert not in_thread[-1]
    assert outcomes[0] == outcomes[1]
    # The service writes behind on the server only.
    monkeypatch.undo()
    assert import_write.WriteBehind is WriteBehind
    small_sizes(monkeypatch, pooled=True)
    monkeypatch.setattr(import_write.Writer, "create", noted)
    writers.clear()
    result = svc.imports.run(owner, plan)
    assert any(name.startswith("import-write") for name in writers) == server


def test_a_chunk_failing_behind_the_analysis_stops_the_run_with_the_chunks_before_kept(
    svc: Services, owner: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from privacycrm_desktop.services.imports.behind import WriteBehind

    plan = plan_for(svc, owner, big_file(tmp_path, 330), DuplicatePolicy.SKIP)
    small_sizes(monkeypatch, pooled=True)
    monkeypatch.setattr(import_write, "WriteBehind", lambda threaded: WriteBehind(True))
    create = import_write.Writer.create
    calls: list[int] = []

    def third_fails(self: import_write.Writer, conn: Any, new: Any) -> list[int]:
        calls.append(len(new))
        if len(calls) == 3:
            raise RuntimeError("the third chunk")
        return create(self, conn, new)

    monkeypatch.setattr(import_write.Writer, "create", third_fails)
    with pytest.raises(RuntimeError, match="the third chunk"):
        svc.imports.run(owner, plan)
    assert len(calls) == 3  # nothing written after the failed chunk
    assert count_contacts(svc) == 80
    with svc.uow() as uow:
        batch = uow.session.scalars(select(ImportBatch)).one()
        assert (batch.status, batch.imported) == ("failed", 80)
