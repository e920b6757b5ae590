"""A database of the schema before companies migrates: each organisation text becomes one
company (the same name folded and trimmed once) linked to its people, nothing lost."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Iterator

import pytest
from alembic import command
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from helpers.databases import OwnerSetup
from privacycrm_desktop.domain.companies import company_key
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    migrate,
)
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.registry import Services

BEFORE = "0011_list_view_index"
HEAD_REVISION_COMPANIES = "0012_companies"
CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2026, 2, 20))
CALL = SourceInput(SourceKind.PHONE_CALL, "She moved to the brewery", dt.date(2026, 3, 1))


@pytest.fixture
def old_engine(migrated_url: str) -> Iterator[Engine]:
    """A database of today's schema; the test takes it back to the revision before
    companies (``back_before_companies``) once its contacts are in."""
    engine = create_engine_for(migrated_url)
    migrate(engine)
    yield engine
    engine.dispose()


def back_before_companies(engine: Engine) -> None:
    """Alembic's downgrade to the revision before companies: the contacts keep their
    organisation texts, as a database of that time held them."""
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), BEFORE)
    assert current_revision(engine) == BEFORE


def test_each_organisation_text_becomes_one_company_linked_to_its_people(
    old_engine: Engine, clock: FixedClock, owner_setup: OwnerSetup
) -> None:
    svc = Services.build(old_engine, clock)
    owner = owner_setup.initialise(svc)
    people = {
        "zoe": ContactInput(first_name="Zoë", last_name="Lefèvre", organisation="Brouwerij Zoë NV"),
        "jan": ContactInput(
            first_name="Jan", last_name="Peeters", organisation="BROUWERIJ  ZOE nv"
        ),
        "an": ContactInput(first_name="An", last_name="Claes", organisation="Bakkerij Peeters"),
        "piet": ContactInput(first_name="Piet", last_name="Smet"),
        "info": ContactInput(
            kind=ContactKind.ORGANISATION_ADDRESS,
            organisation="Bakkerij Peeters",
            emails=("info@bakkerij-peeters.be",),
        ),
    }
    ids = {key: svc.contacts.create(owner, data, CARD) for key, data in people.items()}
    back_before_companies(old_engine)
    # An's organisation was changed later, with a source of its own (written as the
    # version before companies did: its reading of a contact already asks for them).
    with old_engine.begin() as conn:
        source = conn.execute(
            text(
                "INSERT INTO source (kind, description, obtained_on, created_at) "
                "VALUES ('phone_call', :d, :on, :at) RETURNING id"
            ),
            {"d": CALL.description, "on": CALL.obtained_on, "at": clock.now()},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO field_provenance (contact_id, field, source_id, recorded_at) "
                "VALUES (:c, 'organisation', :s, :at)"
            ),
            {"c": ids["an"], "s": source, "at": clock.now()},
        )
        conn.execute(
            text("UPDATE contact SET organisation = 'Bakkerij Peeters ' WHERE id = :c"),
            {"c": ids["an"]},
        )
    with old_engine.connect() as conn:
        before = conn.execute(text("SELECT id, organisation FROM contact ORDER BY id")).all()

    assert migrate(old_engine) is True
    assert current_revision(old_engine) == HEAD_REVISION
    with old_engine.connect() as conn:
        companies = conn.execute(text("SELECT id, name, name_key FROM company ORDER BY id")).all()
        links = conn.execute(
            text("SELECT contact_id, company_id, ended_on FROM company_link ORDER BY contact_id")
        ).all()
        after = conn.execute(text("SELECT id, organisation FROM contact ORDER BY id")).all()
    # The same name once, named as its first contact wrote it.
    assert [(c.name, c.name_key) for c in companies] == [
        ("Brouwerij Zoë NV", "brouwerij zoe nv"),
        ("Bakkerij Peeters", "bakkerij peeters"),
    ]
    brewery, bakery = (c.id for c in companies)
    assert {(row.contact_id, row.company_id) for row in links} == {
        (ids["zoe"], brewery),
        (ids["jan"], brewery),
        (ids["an"], bakery),
        (ids["info"], bakery),
    }
    assert all(row.ended_on is None for row in links)
    # Nothing lost: the organisation texts stay as they were.
    assert [tuple(r) for r in after] == [tuple(r) for r in before]

    # The app opens it: the companies, their people, the person's card.
    svc = Services.build(old_engine, clock)
    assert svc.companies.count(owner) == 2
    assert {p.contact_id for p in svc.companies.get(owner, brewery).people} == {
        ids["zoe"],
        ids["jan"],
    }
    an_links = svc.contacts.get(owner, ids["an"]).companies
    assert [x.company_name for x in an_links] == ["Bakkerij Peeters"]
    # The link keeps the source of the organisation value it came from.
    assert an_links[0].source is not None
    assert an_links[0].source.kind is SourceKind.PHONE_CALL
    assert svc.contacts.get(owner, ids["piet"]).companies == ()
    # A new company after the migration gets the next id on both back ends.
    from privacycrm_desktop.domain.companies import CompanyInput

    new = svc.companies.add(owner, CompanyInput(name="Nieuwe Firma"), CARD)
    assert new == 3


@given(st.text(max_size=60))
def test_the_migration_keys_names_as_the_app_does(name: str) -> None:
    """A company the migration made is found again by the key of a name typed later."""
    path = MIGRATIONS_DIR / "versions" / f"{HEAD_REVISION_COMPANIES}.py"
    spec = importlib.util.spec_from_file_location("companies_revision", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module._fold(name) == company_key(name)
