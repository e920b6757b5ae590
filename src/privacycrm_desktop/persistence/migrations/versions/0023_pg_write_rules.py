"""PostgreSQL: the server refuses forged authors and future dates on the interactions,
their linked people, the tasks and the custom values (persistence/postgres/write_rules.py);
SQLite unchanged.

With plain SQL a desk role could name another user as the author of a row, date a custom
value or an interaction in the future (its keep period never passes, a person's keep-until
date stretches to then), rewrite another user's interaction or link anyone to one. The
rules are triggers owned by the system role: installed here on a database whose server
enforces the roles, and by ``grants.enable`` on every other (a new server, and each
migration and upgrade of the server's functions, whose version now covers them). No
table or column changes.

Revision ID: 0023_pg_write_rules
Revises: 0022_pg_indexes
"""

from alembic import op

revision = "0023_pg_write_rules"
down_revision = "0022_pg_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from privacycrm_desktop.persistence.postgres import grants, roles

    if roles.enabled(bind):
        grants.install_rules(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from privacycrm_desktop.persistence.postgres.write_rules import drop_write_rules

    drop_write_rules(op.execute)
