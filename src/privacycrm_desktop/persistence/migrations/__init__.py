"""Alembic migrations, run at start-up (see ``privacycrm_desktop.persistence.migrate``)."""
