"""The engine's rules: pragmas, owner-only file, migrations that keep every row."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
from privacycrm_desktop.persistence import (  # noqa: F401 (their tables)
    activity_models,
    audit_anchor,
    company_models,
    custom_field_models,
    digest_models,
    merge_models,
    record_models,
    task_models,
)
from privacycrm_desktop.persistence import migrate as migrate_module
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    MigrationError,
    alembic_config,
    current_revision,
    migrate,
)
from privacycrm_desktop.persistence.models import PERSONAL_COLUMNS, Base
from privacycrm_desktop.persistence.sqlite_driver import sqlite3


def test_pragmas_hold_on_every_connection(engine: Engine) -> None:
    with engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "secure_delete")
        }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "secure_delete": 1,
    }


def test_database_file_is_readable_by_its_owner_only(engine: Engine, db_path: Path) -> None:
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_head_revision_constant_matches_alembic(engine: Engine) -> None:
    with engine.connect() as conn:
        script = ScriptDirectory.from_config(alembic_config(conn))
    assert script.get_current_head() == HEAD_REVISION
    assert current_revision(engine) == HEAD_REVISION


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        diff = compare_metadata(context, Base.metadata)
    # The FTS5 shadow tables are not models; nothing else may differ.
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name.startswith("contact_fts"))]
    assert diff == []


def test_migrating_twice_does_nothing(engine: Engine) -> None:
    assert migrate(engine) is False


def test_every_personal_column_is_in_the_field_catalogue() -> None:
    personal_tables = {
        "contact",
        "contact_email",
        "contact_phone",
        "special_category_datum",
        "company_link",
        "contact_tag",
        "task",
    }
    bookkeeping = {
        "id",
        "contact_id",
        "kind",
        "version",
        "source_id",
        "import_batch_id",
        "created_by",
        "created_at",
        "updated_at",
        "recorded_at",
        "recorded_by",
        "position",
        "keep_until",
        "keep_reason",
        "consent_event_id",
        # A task's own bookkeeping: its time, people, links and state.
        "due_on",
        "due_time",
        "assignee_id",
        "company_id",
        "origin",
        "done_at",
        "done_by",
    }
    # Every table holding custom values: a row naming its custom field.
    value_tables = {
        table.name
        for table in Base.metadata.sorted_tables
        if any(fk.column.table.name == "custom_field" for fk in table.foreign_keys)
    }
    assert {"custom_value", "company_custom_value"} <= value_tables
    for table in Base.metadata.sorted_tables:
        if table.name not in (*personal_tables, *value_tables):
            continue
        for column in table.columns:
            if column.name in (*bookkeeping, "field_id"):
                continue
            key = f"{table.name}.{column.name}"
            if table.name in value_tables:
                # Its field is the one its row names (a custom field of the catalogue).
                assert key in custom_field_models.CUSTOM_VALUE_COLUMNS, key
                continue
            assert key in PERSONAL_COLUMNS, f"{key} holds personal data but is not catalogued"
            assert PERSONAL_COLUMNS[key] in FIELDS_BY_NAME


_BATCH_MIGRATION = '''"""Test-only migration: a batch ALTER that copies the contact table."""

import sqlalchemy as sa
from alembic import op

revision = "0999_test_copy_contact"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact", recreate="always") as batch:
        batch.add_column(sa.Column("test_flag", sa.Integer(), nullable=True))


def downgrade() -> None:
    pass
'''


def _add_contact_with_children(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO app_user (id, username, role, password_hash, active, language, "
        "failed_logins, created_at) VALUES (1, 'o', 'owner', 'x', 1, 'en', 0, '2026-01-01')"
    )
    conn.execute(
        "INSERT INTO source (id, kind, description, obtained_on, created_at) "
        "VALUES (1, 'sale', 'shop', '2026-01-01', '2026-01-01')"
    )
    for cid in range(1, 51):
        conn.execute(
            "INSERT INTO contact (id, kind, first_name, last_name, organisation, street, postcode,"
            " city, country, language, notes, relationship, sort_name, primary_email,"
            " primary_phone, source_id, created_at, updated_at, version) VALUES"
            " (?, 'person', 'A', 'B', '', '', '', '', 'BE', 'nl', '', 'customer', 'b a', '', '',"
            " 1, '2026-01-01', '2026-01-01', 1)",
            (cid,),
        )
        conn.execute(
            "INSERT INTO contact_email (contact_id, address, position, source_id, recorded_at)"
            " VALUES (?, ?, 0, 1, '2026-01-01')",
            (cid, f"p{cid}@example.be"),
        )
    conn.commit()
    conn.close()


@pytest.fixture
def scripts_with_batch_migration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    scripts = tmp_path / "scripts"
    shutil.copytree(MIGRATIONS_DIR, scripts)
    (scripts / "versions" / "0999_test.py").write_text(
        _BATCH_MIGRATION.replace("{head}", HEAD_REVISION)
    )
    monkeypatch.setattr(migrate_module, "MIGRATIONS_DIR", scripts)
    return scripts


@pytest.mark.usefixtures("scripts_with_batch_migration")
def test_a_table_copying_migration_keeps_every_child_row(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    engine = create_engine_for(db)
    migrate(engine, target=HEAD_REVISION)
    _add_contact_with_children(db)
    assert migrate(engine, target="0999_test_copy_contact") is True
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM contact")).scalar() == 50
        assert conn.execute(text("SELECT count(*) FROM contact_email")).scalar() == 50
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    # The copy dropped the counting triggers; the migration put them back and recounted.
    with engine.begin() as conn:
        assert conn.execute(text("SELECT n FROM contact_count")).scalar() == 50
        conn.execute(text("DELETE FROM contact WHERE id <= 5"))
        assert conn.execute(text("SELECT n FROM contact_count")).scalar() == 45
        # And the trigger copying a changed sort name to the contact's tags.
        names = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'contact'"
        ).scalars()
        assert "contact_tag_sort_name" in set(names)
    engine.dispose()


_DANGLING_MIGRATION = '''"""Test-only migration: probes the pragma, leaves a dangling row."""

import sqlalchemy as sa
from alembic import op

revision = "0999_test_dangling"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    flag = op.get_bind().exec_driver_sql("PRAGMA foreign_keys").scalar()
    op.create_table("fk_seen", sa.Column("value", sa.Integer()))
    op.execute(f"INSERT INTO fk_seen VALUES ({flag})")
    op.execute(
        "INSERT INTO contact_email (contact_id, address, position, source_id, recorded_at)"
        " VALUES (4242, 'nobody@example.be', 0, 1, '2026-01-01')"
    )


def downgrade() -> None:
    pass
'''


def test_a_migration_leaving_dangling_rows_is_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = tmp_path / "scripts"
    shutil.copytree(MIGRATIONS_DIR, scripts)
    (scripts / "versions" / "0999_dangling.py").write_text(
        _DANGLING_MIGRATION.replace("{head}", HEAD_REVISION)
    )
    monkeypatch.setattr(migrate_module, "MIGRATIONS_DIR", scripts)
    db = tmp_path / "m.db"
    engine = create_engine_for(db)
    migrate(engine, target=HEAD_REVISION)
    _add_contact_with_children(db)
    with pytest.raises(MigrationError, match="dangling"):
        migrate(engine, target="0999_test_dangling")
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM contact_email")).scalar() == 50
        probe = text("SELECT name FROM sqlite_master WHERE name = 'fk_seen'")
        tables = conn.execute(probe).all()
        assert tables == []
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_foreign_keys_are_off_while_migrating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = tmp_path / "scripts"
    shutil.copytree(MIGRATIONS_DIR, scripts)
    migration = _DANGLING_MIGRATION.replace("{head}", HEAD_REVISION)
    migration = migration.split("    op.execute(\n")[0]  # keep only the pragma probe
    (scripts / "versions" / "0999_probe.py").write_text(migration)
    monkeypatch.setattr(migrate_module, "MIGRATIONS_DIR", scripts)
    engine = create_engine_for(tmp_path / "p.db")
    migrate(engine, target=HEAD_REVISION)
    migrate(engine, target="0999_test_dangling")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM fk_seen")).scalar() == 0
    engine.dispose()


def test_a_postgresql_engine_gives_the_partial_index_its_condition() -> None:
    """The model names no ``postgresql_where`` (it would load SQLAlchemy's PostgreSQL dialect
    into every start on SQLite, issue 23): an engine for PostgreSQL adds it, so the model's
    index is as partial on PostgreSQL as on SQLite. Nothing connects here."""
    from sqlalchemy.schema import CreateIndex

    table = Base.metadata.tables["contact"]
    (index,) = (i for i in table.indexes if i.name == "ix_contact_import_batch_id")
    engine = create_engine_for("postgresql://nobody@localhost:1/nothing")
    try:
        ddl = str(CreateIndex(index).compile(dialect=engine.dialect))
    finally:
        engine.dispose()
    assert ddl.endswith("WHERE import_batch_id IS NOT NULL"), ddl
