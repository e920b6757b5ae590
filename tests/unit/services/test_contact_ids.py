"""Contact ids are never given to a second person (issues 16 and 17).

SQLite reused the highest rowid after a delete: after the newest contact was erased the
next one got its id, so the audit trail, the erasure ledger and a restore's replay named
two people (a restore then erased Bob because Dave, who had got Bob's old id after an
undone import, had asked to be forgotten). Ids now only go up, on both back ends, after
an erasure, an undone import and a restore, and existing databases migrate.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import alembic_config, migrate
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

from .test_imports import CORPUS
from .test_imports import run as run_import

SOURCE = SourceInput(SourceKind.BUSINESS_CARD, "fair", dt.date(2026, 2, 20))


def _add(svc: Services, owner: Actor, first: str) -> int:
    return svc.contacts.create(owner, ContactInput(first_name=first, last_name="Peeters"), SOURCE)


@pytest.fixture(autouse=True)
def _data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))


def test_the_id_of_an_erased_contact_is_never_given_again(svc: Services, owner: Actor) -> None:
    _add(svc, owner, "Anna")
    newest = _add(svc, owner, "Bob")
    svc.erasure.erase(owner, newest, ErasureReason.ERASURE_REQUEST)
    after = _add(svc, owner, "Carla")
    assert after > newest
    # The bulk path (demo, import) starts above it too.
    svc.erasure.erase(owner, after, ErasureReason.OTHER)
    svc.demo.generate(owner, 3, seed=1)
    with svc.uow() as uow:
        ids = sorted(uow.session.execute(text("SELECT id FROM contact")).scalars())
    assert min(ids[1:]) > after


def test_an_undone_import_frees_no_id(svc: Services, owner: Actor) -> None:
    _add(svc, owner, "Anna")
    result = run_import(svc, owner, CORPUS / "excel_nl_bom_semicolon.csv")
    assert result.batch_id is not None
    with svc.uow() as uow:
        imported = max(uow.session.execute(text("SELECT id FROM contact")).scalars())
    # Four: the sheet's "misschien" consent answer no longer keeps Lars out.
    assert svc.imports.undo(owner, result.batch_id) == 4
    assert _add(svc, owner, "Dave") > imported


def test_a_restore_never_gives_an_id_used_after_the_backup(
    svc: Services, owner: Actor, db_url: str, clock: FixedClock
) -> None:
    """Bob is in the backup; Dave came (and was erased) after it; after the restore the
    next person gets neither id, so a later replay of Dave's erasure cannot hit them."""
    bob = _add(svc, owner, "Bob")
    info = svc.backup.create(owner)
    clock.advance(dt.timedelta(hours=1))
    dave = _add(svc, owner, "Dave")
    eve = _add(svc, owner, "Eve")
    svc.erasure.erase(owner, dave, ErasureReason.ERASURE_REQUEST)
    clock.advance(dt.timedelta(hours=1))
    svc.backup.restore(owner, info.path)
    engine = create_engine_for(db_url)
    try:
        restored = Services.build(engine, clock)
        owner2 = restored.auth.login("owner", "correct horse battery")
        assert restored.contacts.get(owner2, bob).first_name == "Bob"
        assert _add(restored, owner2, "Fien") > max(bob, dave, eve)
    finally:
        engine.dispose()


def test_an_existing_database_migrates_with_its_used_ids_kept(
    svc: Services, owner: Actor, db_url: str, clock: FixedClock
) -> None:
    """A database from before the change whose two newest contacts were erased: after the
    upgrade the ids the erasure ledger and the audit trail name are not handed out."""
    _add(svc, owner, "Anna")
    bob, carla = _add(svc, owner, "Bob"), _add(svc, owner, "Carla")
    svc.erasure.erase(owner, carla, ErasureReason.ERASURE_REQUEST)
    svc.erasure.erase(owner, bob, ErasureReason.ERASURE_REQUEST)
    svc.uow.engine.dispose()
    engine = create_engine_for(db_url)
    try:
        with engine.begin() as conn:  # back to the schema before the change
            command.downgrade(alembic_config(conn), "0006_shared_server")
            assert "id_high_water" not in inspect(conn).get_table_names()
        migrate(engine)
        upgraded = Services.build(engine, clock)
        owner2 = upgraded.auth.login("owner", "correct horse battery")
        assert _add(upgraded, owner2, "Dave") > carla
    finally:
        engine.dispose()
