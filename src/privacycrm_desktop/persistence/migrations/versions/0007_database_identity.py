"""Each database gets an identity (issue 15): a random id in ``setting`` (``database.id``).

Backups record it in their sealed manifest, so a backup of another database (another
company's) is recognised and refused unless the owner chooses to replace this company's
data with it. A new database gets its id here too (a new database is migrated to head).

Revision ID: 0007_database_identity
Revises: 0006_shared_server
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0007_database_identity"
down_revision = "0006_shared_server"
branch_labels = None
depends_on = None

KEY = "database.id"


def upgrade() -> None:
    bind = op.get_bind()
    present = bind.execute(
        sa.text("SELECT count(*) FROM setting WHERE key = :key"), {"key": KEY}
    ).scalar()
    if not present:
        bind.execute(
            sa.text("INSERT INTO setting (key, value) VALUES (:key, :value)"),
            {"key": KEY, "value": uuid.uuid4().hex},
        )


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM setting WHERE key = :key"), {"key": KEY})
