"""PostgreSQL backups: which pg_dump is used, and how it gets the password."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import BackupFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.i18n import describe_error
from privacycrm_desktop.persistence import pg_dump
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

SOURCE = SourceInput(SourceKind.BUSINESS_CARD, "fair", dt.date(2026, 2, 20))


@pytest.fixture(autouse=True)
def _postgresql_only(backend: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if backend != "postgresql":
        pytest.skip("pg_dump is for PostgreSQL databases")
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))


def _script(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def _only(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Find the programs in *folder* only (not on PATH, not in /usr/lib/postgresql)."""
    monkeypatch.setattr(pg_dump, "SEARCH_ROOTS", ())
    monkeypatch.setenv("PATH", str(folder))


def test_a_missing_or_too_old_pg_dump_is_a_clear_error(
    svc: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = svc.backup.settings(owner).folder
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _only(monkeypatch, bin_dir)
    with pytest.raises(BackupFailed) as missing:
        svc.backup.create(owner)
    assert "were not found" in describe_error(missing.value)
    assert "niet gevonden" in describe_error(missing.value, "nl")
    for name in ("pg_dump", "pg_restore"):
        _script(bin_dir, name, f'echo "{name} (PostgreSQL) 9.6.24"')
    with pytest.raises(BackupFailed) as old:
        svc.backup.create(owner)
    assert "older than the database server" in describe_error(old.value)
    assert not folder.exists() or list(folder.iterdir()) == []  # nothing left behind
    assert svc.backup.list(owner) == []


def test_the_password_reaches_pg_dump_only_through_its_environment(
    svc: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str
) -> None:
    real = pg_dump.find_tools()
    log = tmp_path / "calls.log"
    bin_dir = tmp_path / "bin"
    for name, target in (("pg_dump", real.dump), ("pg_restore", real.restore)):
        _script(
            bin_dir,
            name,
            "{ printf 'ARGV:'; printf ' %s' \"$@\"; "
            "printf '\\nPW:%s\\n' \"${PGPASSWORD:-}\"; }"
            f' >> "{log}"\nexec "{target}" "$@"',
        )
    _only(monkeypatch, bin_dir)
    monkeypatch.setenv("PGPASSWORD", "not-this-one")  # the parent's PG* settings stay out
    info = svc.backup.create(owner)
    assert info.verified
    password = make_url(db_url).password
    assert password
    calls = log.read_text()
    argv = [line for line in calls.splitlines() if line.startswith("ARGV:")]
    assert any("--format=custom" in line for line in argv)
    assert any("--list" in line for line in argv)
    assert all(str(password) not in line for line in argv)
    assert f"PW:{password}" in calls
    assert "not-this-one" not in calls
    assert os.environ["PGPASSWORD"] == "not-this-one"


def _files(db_url: str) -> dict[str, int]:
    from sqlalchemy import text

    from privacycrm_desktop.persistence.database import create_engine_for

    engine = create_engine_for(db_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT relname, relfilenode FROM pg_class WHERE relkind = 'r'")
            ).tuples()
            return {str(name): int(node) for name, node in found}
    finally:
        engine.dispose()


def test_an_erasure_on_the_server_leaves_no_bytes_of_the_person_in_its_pages(
    svc: Services, owner: Actor, db_url: str
) -> None:
    from privacycrm_desktop.domain.erasure import ErasureReason

    from .test_backup_restore import X_MAIL, X_NAME, assert_no_page_holds, make_x, pages_holding

    x = make_x(svc, owner)
    svc.contacts.create(owner, ContactInput(first_name="Bert", last_name="Keep"), SOURCE)
    assert pages_holding(db_url, X_NAME.encode())  # the test can see him while he is there
    files_before = _files(db_url)
    svc.erasure.erase(owner, x, ErasureReason.ERASURE_REQUEST)
    # The erasure itself rewrote the small tables it touched (VACUUM FULL: new files).
    files_after = _files(db_url)
    for table in ("contact", "contact_email", "contact_fts", "source"):
        assert files_after[table] != files_before[table], table
    assert_no_page_holds(db_url, X_NAME, X_MAIL, "qzxrestorenotes")
    assert pages_holding(db_url, b"bert")  # the others stay


def test_an_erasure_on_the_server_rewrites_only_the_tables_it_changed(
    svc: Services, owner: Actor, db_url: str
) -> None:
    """The clean-up after one erasure costs what the erasure touched: the tables it
    deleted or updated rows in are rewritten, the others (tasks, holds, interactions,
    custom values, ...: none of the person's rows) are not (their files stay)."""
    from privacycrm_desktop.domain.erasure import ErasureReason
    from privacycrm_desktop.services.erasure import ERASURE_TABLES

    from .test_backup_restore import make_x

    x = make_x(svc, owner)
    svc.contacts.create(owner, ContactInput(first_name="Bert", last_name="Keep"), SOURCE)
    files_before = _files(db_url)
    svc.erasure.erase(owner, x, ErasureReason.ERASURE_REQUEST)
    files_after = _files(db_url)
    rewritten = {t for t in ERASURE_TABLES if files_after.get(t) != files_before.get(t)}
    assert {"contact", "contact_email", "contact_fts"} <= rewritten
    for untouched in ("task", "retention_hold", "activity", "custom_value", "import_staging"):
        assert untouched not in rewritten, untouched


def test_an_erasure_on_the_server_cleans_every_table_it_changed(
    svc: Services, owner: Actor, db_url: str
) -> None:
    """The register keeps a request about the person without the requester's name: the
    stripped row's old version, name and all, leaves the pages too (the rights requests
    were not among the tables cleaned after an erasure)."""
    from privacycrm_desktop.domain.erasure import ErasureReason
    from privacycrm_desktop.domain.requests import RequestKind
    from privacycrm_desktop.services.requests import RequestInput

    from .test_backup_restore import assert_no_page_holds, make_x, pages_holding

    x = make_x(svc, owner)
    svc.requests.add(
        owner, RequestInput(RequestKind.ERASURE, (x,), requester="Qzxrequester Janssens")
    )
    assert pages_holding(db_url, b"qzxrequester")
    svc.erasure.erase(owner, x, ErasureReason.ERASURE_REQUEST)
    assert_no_page_holds(db_url, "qzxrequester")


def live_items_holding(db_url: str, needle: bytes) -> dict[str, int]:
    """PostgreSQL: per table or b-tree index, how many of its *items* (heap rows with
    storage, index entries) hold *needle*: what a row or an index still points to, as
    opposed to stale bytes in a page's free space (pageinspect)."""
    import psycopg

    libpq = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    found: dict[str, int] = {}
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        relations = conn.execute(
            "SELECT c.oid::regclass::text, c.relkind, coalesce(a.amname, ''), "
            "pg_relation_size(c.oid) / current_setting('block_size')::int "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_am a ON a.oid = c.relam "
            "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 'i', 't')"
        ).fetchall()
        for name, kind, method, blocks in relations:
            hits = 0
            for block in range(int(blocks)):
                if kind in ("r", "t"):
                    items = conn.execute(
                        "SELECT t_data FROM heap_page_items(get_raw_page(%s, %s)) "
                        "WHERE t_data IS NOT NULL",
                        (str(name), block),
                    ).fetchall()
                    data = [bytes(row[0]) for row in items]
                elif method == "btree" and block > 0:  # block 0: the metapage
                    items = conn.execute(
                        "SELECT data FROM bt_page_items(get_raw_page(%s, %s))", (str(name), block)
                    ).fetchall()
                    data = [bytes.fromhex(str(row[0]).replace(" ", "")) for row in items if row[0]]
                else:
                    continue
                hits += sum(needle.lower() in d.lower() for d in data)
            if hits:
                found[str(name)] = hits
    return found


def test_past_the_rewrite_size_an_erasure_leaves_no_row_or_index_entry_of_the_person(
    svc: Services, owner: Actor, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a changed table is larger than ``FULL_VACUUM_BYTES`` nothing is rewritten
    (a rewrite costs the table's size); the plain VACUUM still removes every row version
    and every index entry holding the person (index clean-up forced: PostgreSQL would
    skip the indexes for a handful of dead rows and keep their entries). What then stays
    is documented: bytes in the pages' free space until reused."""
    import time

    from privacycrm_desktop.domain.erasure import ErasureReason
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.services.erasure import ERASURE_TABLES

    from .test_backup_restore import X_MAIL, X_NAME, make_x

    monkeypatch.setattr(pg_dump, "FULL_VACUUM_BYTES", 0)
    x = make_x(svc, owner)
    svc.contacts.create(owner, ContactInput(first_name="Bert", last_name="Keep"), SOURCE)
    assert live_items_holding(db_url, X_MAIL.encode())  # the test sees him while he is there
    files_before = _files(db_url)
    svc.erasure.erase(owner, x, ErasureReason.ERASURE_REQUEST)
    assert _files(db_url) == files_before  # no table was rewritten
    needles = (X_NAME.encode(), X_MAIL.encode(), b"qzxrestorenotes")
    for _attempt in range(3):
        found = {n: live_items_holding(db_url, n) for n in needles}
        if not any(found.values()):
            break
        # Another session's snapshot on the shared server may keep a dead row a moment.
        time.sleep(0.5)
        engine = create_engine_for(db_url)
        try:
            pg_dump.vacuum(engine, ERASURE_TABLES)
        finally:
            engine.dispose()
    assert not any(found.values()), found
    assert live_items_holding(db_url, b"bert")  # the others stay


def test_the_plain_vacuum_removes_the_index_entries_of_a_few_dead_rows_in_a_large_table(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One value stripped from one row among 20,000 (as an erasure strips a consent
    event): left to itself, VACUUM skips the indexes when so few pages hold dead rows, and
    the old entry, with the value, stays in the index; the erasure's VACUUM forces their
    clean-up."""
    from sqlalchemy import text

    from privacycrm_desktop.persistence.database import create_engine_for

    monkeypatch.setattr(pg_dump, "FULL_VACUUM_BYTES", 0)
    engine = create_engine_for(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE pcrm_vacuum_probe (id int PRIMARY KEY, v text)"))
            conn.execute(text("CREATE INDEX pcrm_vacuum_probe_v ON pcrm_vacuum_probe (v)"))
            conn.execute(
                text(
                    "INSERT INTO pcrm_vacuum_probe SELECT i, "
                    "CASE WHEN i = 10000 THEN 'qzxprobe' ELSE 'filler-' || i END "
                    "FROM generate_series(1, 20000) AS i"
                )
            )
        assert pg_dump.vacuum(engine, ("pcrm_vacuum_probe",))  # nothing dead yet
        assert live_items_holding(db_url, b"qzxprobe") == {
            "pcrm_vacuum_probe": 1,
            "pcrm_vacuum_probe_v": 1,
        }
        with engine.begin() as conn:
            conn.execute(text("UPDATE pcrm_vacuum_probe SET v = 'stripped' WHERE id = 10000"))
        assert pg_dump.vacuum(engine, ("pcrm_vacuum_probe",))
    finally:
        engine.dispose()
    assert live_items_holding(db_url, b"qzxprobe") == {}


def test_a_restore_gives_the_server_roles_their_grants_back(
    svc: Services, owner: Actor, db_url: str, clock: object
) -> None:
    """The dump is put back without owners and grants; where the server enforces the
    field matrix, the system role owns the tables again and the office role still cannot
    read the hidden columns (and can read the others)."""
    from sqlalchemy import text

    import pg_support
    from privacycrm_desktop.domain.access import Role
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.postgres import roles

    from .test_backup_restore import make_x

    database = make_url(db_url).database or ""
    try:
        svc.auth.enable_server_roles(owner, "correct horse battery")
        make_x(svc, owner)
        info = svc.backup.create(owner)
        svc.backup.restore(owner, info.path)
        office = roles.group_role(database, Role.OFFICE)
        engine = create_engine_for(db_url)
        try:
            with engine.connect() as conn:

                def may(column: str) -> bool:
                    return bool(
                        conn.execute(
                            text("SELECT has_column_privilege(:r, 'contact', :c, 'SELECT')"),
                            {"r": office, "c": column},
                        ).scalar()
                    )

                assert may("first_name")
                assert not may("notes")
                assert not may("birth_date")
                owner_of = conn.execute(
                    text("SELECT tableowner FROM pg_tables WHERE tablename = 'contact'")
                ).scalar()
                # The system role owns them (no desk role, the owner's neither).
                assert owner_of == roles.system_role(database)
        finally:
            engine.dispose()
    finally:
        svc.uow.engine.dispose()
        pg_support.drop_database(db_url)
        admin = create_engine_for(pg_support.require_server())
        try:
            with admin.begin() as conn:
                roles.drop_roles(conn, database)
        finally:
            admin.dispose()


def test_after_a_restore_the_connections_keep_their_own_settings(
    svc: Services, owner: Actor
) -> None:
    """The restored script sets lock_timeout 0 and an empty search_path for itself; the
    app's pooled connections must come back with their own (a lock wait stays bounded)."""
    from contextlib import ExitStack

    from sqlalchemy import text

    engine = svc.uow.engine
    with engine.connect() as conn:
        expected = conn.execute(text("SHOW lock_timeout")).scalar()
    assert expected not in (None, "0")
    info = svc.backup.create(owner)
    svc.backup.restore(owner, info.path)
    with ExitStack() as stack:
        conns = [stack.enter_context(engine.connect()) for _ in range(engine.pool.size())]
        for conn in conns:
            assert conn.execute(text("SHOW lock_timeout")).scalar() == expected
            assert conn.execute(text("SHOW search_path")).scalar() == '"$user", public'
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"


def test_the_erasure_canary_leaves_no_byte_in_the_servers_pages(
    svc: Services, owner: Actor, db_url: str
) -> None:
    """test_erasure's canary on the server: every table the erasure touches (a staged
    import row too), then no table or index page holds any of it."""
    import dataclasses

    from privacycrm_desktop.domain.erasure import ErasureReason

    from .test_backup_restore import assert_no_page_holds
    from .test_erasure import CANARY, PHONE_DIGITS, canary_contact, fill_everything

    source = SourceInput(SourceKind.BUSINESS_CARD, f"{CANARY}source", dt.date(2026, 2, 20))
    svc.contacts.create(
        owner,
        ContactInput(first_name="Bert", last_name="Keep"),
        dataclasses.replace(source, description="fair"),
    )
    cid = svc.contacts.create(owner, canary_contact(), source)
    fill_everything(svc, owner, cid, svc.uow.engine)
    result = svc.erasure.erase(owner, cid, ErasureReason.ERASURE_REQUEST)
    assert result.suppressed == 4
    assert_no_page_holds(db_url, CANARY, PHONE_DIGITS)
    assert svc.contacts.count(owner, "Keep") == 1


def test_a_restore_takes_only_rows_from_the_dump_never_its_sql(
    svc: Services, owner: Actor, db_url: str, tmp_path: Path
) -> None:
    """A dump's schema runs as the administrator: a crafted backup whose schema holds a
    function (here one that makes a role, in a CHECK that every row of ``setting`` runs)
    must not run it. The schema comes from the app's migrations, the rows from the dump."""
    import uuid

    from sqlalchemy import text

    import pg_support
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import alembic_config
    from privacycrm_desktop.persistence.postgres.write_log import create_write_log_tables

    svc.contacts.create(owner, ContactInput(first_name="Bert", last_name="Keep"), SOURCE)
    marker = "pcrm_pwned_" + uuid.uuid4().hex[:8]
    source = create_engine_for(db_url)
    try:
        with source.begin() as conn:
            conn.execute(
                text(
                    "CREATE FUNCTION public.pwn(n integer) RETURNS integer LANGUAGE plpgsql "
                    "AS $f$ BEGIN IF current_database() <> "
                    f"'{make_url(db_url).database}' THEN EXECUTE 'CREATE ROLE {marker}'; "
                    "END IF; RETURN n; END $f$"
                )
            )
            conn.execute(
                text("ALTER TABLE setting ADD CONSTRAINT evil CHECK (public.pwn(length(key)) > 0)")
            )
        crafted = tmp_path / "crafted.dump"
        pg_dump.dump(source, crafted)
    finally:
        source.dispose()
    target_url = pg_support.new_database()
    target = create_engine_for(target_url)
    try:
        from alembic import command

        with target.begin() as conn:

            def run_sql(sql: str) -> None:
                conn.exec_driver_sql(sql)

            def build_schema() -> None:
                command.upgrade(alembic_config(conn), "head")
                create_write_log_tables(run_sql)

            pg_dump.load_dump(conn, crafted, build_schema)
        with target.connect() as conn:
            names = conn.execute(text("SELECT last_name FROM contact")).scalars().all()
            made = conn.execute(
                text("SELECT count(*) FROM pg_roles WHERE rolname = :m"), {"m": marker}
            ).scalar()
            functions = conn.execute(
                text("SELECT count(*) FROM pg_proc WHERE proname = 'pwn'")
            ).scalar()
        assert "Keep" in names  # the rows came back
        assert (made, functions) == (0, 0)  # the dump's SQL did not run, nor stay
    finally:
        target.dispose()
        pg_support.drop_database(target_url)
        admin = create_engine_for(db_url)
        try:
            with admin.begin() as conn:
                conn.execute(text(f"DROP ROLE IF EXISTS {marker}"))
        finally:
            admin.dispose()
