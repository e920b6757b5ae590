"""Alembic environment: always run on the connection the app hands over."""

from alembic import context

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
from privacycrm_desktop.persistence.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
