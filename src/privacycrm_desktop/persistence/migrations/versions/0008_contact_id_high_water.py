"""Contact ids are never reused (issue 16): the highest id ever handed out is kept.

SQLite gives a new row the highest rowid plus one, so after the newest contact was erased
the next one got its id, and the audit trail, the erasure ledger and a restore's replay
named two people. ``id_high_water`` keeps the highest contact id ever used; on SQLite
every insert takes its id above it (persistence/dialect.reserve_contact_ids, also for the
ORM through a ``before_insert`` hook), and a trigger raises it on every delete, whatever
deleted the row. No table is rebuilt (the counter and search triggers stay as they are).

Existing databases are seeded with the highest id any trace still names: the contacts,
the erasure ledger and the audit trail. PostgreSQL's sequence never goes back; it is only
raised to that seed when it is lower.

Keep-until (issue 16): a lasting marketing consent used to leave the date blank (kept
"while consent lasts"), so those contacts never reached the cleanup; now it is due for
re-confirmation. Those blank dates are marked "not computed yet" (an empty reason), and
the app and the CLI compute them at their next start (services.retention.fill_missing).

Revision ID: 0008_contact_id_high_water
Revises: 0007_database_identity
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_contact_id_high_water"
down_revision = "0007_database_identity"
branch_labels = None
depends_on = None

TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS contact_id_high_water AFTER DELETE ON contact "
    "WHEN OLD.id > (SELECT last_id FROM id_high_water WHERE name = 'contact') "
    "BEGIN UPDATE id_high_water SET last_id = OLD.id WHERE name = 'contact'; END"
)


def _highest_used(bind: sa.Connection) -> int:
    postgresql = bind.dialect.name == "postgresql"
    audit_id = "CAST(entity_id AS BIGINT)" if postgresql else "CAST(entity_id AS INTEGER)"
    digits = (
        "entity_id ~ '^[0-9]{1,15}$'"
        if postgresql
        else ("entity_id <> '' AND entity_id NOT GLOB '*[^0-9]*' AND length(entity_id) <= 15")
    )
    queries = (
        "SELECT max(id) FROM contact",
        "SELECT max(contact_id) FROM erasure_ledger",
        # Both pieces are fixed SQL chosen above: nothing from outside.
        f"SELECT max({audit_id}) FROM audit_event WHERE entity = 'contact' AND {digits}",  # noqa: S608
    )
    return max(int(bind.execute(sa.text(q)).scalar() or 0) for q in queries)


def upgrade() -> None:
    op.create_table(
        "id_high_water",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_id_high_water")),
    )
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE contact SET keep_reason = '' WHERE keep_until IS NULL AND keep_reason IN "
            "(SELECT code FROM purpose WHERE retention_trigger = 'consent_withdrawal')"
        )
    )
    highest = _highest_used(bind)
    bind.execute(
        sa.text("INSERT INTO id_high_water (name, last_id) VALUES ('contact', :v)"),
        {"v": highest},
    )
    if bind.dialect.name == "postgresql":
        sequence = bind.execute(sa.text("SELECT pg_get_serial_sequence('contact', 'id')")).scalar()
        # The server's own name for the sequence, not outside input.
        query = f"SELECT last_value, is_called FROM {sequence}"  # noqa: S608
        last, called = bind.execute(sa.text(query)).one()
        if highest > (last if called else 0):
            bind.execute(
                sa.text("SELECT setval(CAST(:s AS regclass), :v)"), {"s": sequence, "v": highest}
            )
        return
    op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TRIGGER IF EXISTS contact_id_high_water")
    op.drop_table("id_high_water")
