"""A database of an earlier schema with demo contacts migrates to today's, and the app's
main window opens it: at the revision before tags on companies (0013) and before companies
(0011, its organisation texts then become linked companies). A small count here; the
100,000-contact figure comes from bench/bench_companies_migration.py."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from helpers.databases import OwnerSetup
from privacycrm_desktop.domain.companies import CompanyInput, company_key
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import (
    HEAD_REVISION,
    alembic_config,
    current_revision,
    migrate,
)
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.companies.companies_window import CompaniesDialog
from privacycrm_desktop.ui.main_window import MainWindow

COUNT = 120
CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2025, 2, 20))


@pytest.mark.parametrize("before", ["0013_tags", "0011_list_view_index"])
def test_a_demo_database_of_an_earlier_schema_migrates_and_opens(
    qtbot: QtBot, migrated_url: str, clock: FixedClock, owner_setup: OwnerSetup, before: str
) -> None:
    engine = create_engine_for(migrated_url)
    migrate(engine)
    owner = owner_setup.initialise(Services.build(engine, clock))
    Services.build(engine, clock).demo.generate(owner, COUNT, seed=11)
    with engine.connect() as conn:
        companies_before = conn.execute(text("SELECT count(*) FROM company")).scalar_one()
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), before)
    assert current_revision(engine) == before
    with engine.connect() as conn:
        texts = conn.execute(text("SELECT organisation FROM contact")).scalars().all()
        tables = set(conn.execute(text("SELECT name FROM sqlite_master")).scalars())
    assert "company_tag" not in tables
    engine.dispose()

    engine = create_engine_for(migrated_url)
    assert migrate(engine) is True
    assert current_revision(engine) == HEAD_REVISION
    services = Services.build(engine, clock)
    actor = services.auth.login(owner_setup.username, owner_setup.password)
    distinct = {company_key(t) for t in texts if t.strip()}
    assert distinct  # the demo's people work somewhere
    if before == "0011_list_view_index":
        # Every organisation text became one company, linked to its people.
        assert services.companies.count(actor) == len(distinct)
        with engine.connect() as conn:
            unlinked = conn.execute(
                text(
                    "SELECT count(*) FROM contact c WHERE trim(c.organisation) <> '' AND NOT "
                    "EXISTS (SELECT 1 FROM company_link l WHERE l.contact_id = c.id)"
                )
            ).scalar_one()
        assert unlinked == 0
    else:
        assert services.companies.count(actor) == companies_before
        if not companies_before:  # the demo makes organisation texts, no companies
            services.companies.add(actor, CompanyInput(name="Na migratie NV"), CARD)
    # The new table works: a company takes a tag.
    first = services.companies.rows(actor, limit=1)[0]
    services.tags.tag_company(actor, "Na migratie", first.id)
    assert [t.name for t in services.companies.get(actor, first.id).tags] == ["Na migratie"]

    window = MainWindow(services, actor)
    qtbot.addWidget(window)
    window.show()
    assert window.model.rowCount() == len(texts)
    linked = next(
        row.id
        for row in (window.model.contact_at(i) for i in range(window.model.rowCount()))
        if row is not None and row.organisation
    )
    window.select_contact(linked)
    window.show_card_of_current()
    card = window.card.card
    assert card is not None
    if before == "0011_list_view_index":
        assert card.detail.companies
        assert card.detail.companies[0].company_name in window.card.body.text()
    dialog = CompaniesDialog(services, actor, window)
    qtbot.addWidget(dialog)
    assert dialog.model.rowCount() == min(services.companies.count(actor), 200)
    engine.dispose()
