"""Who and when on the interactions, their people, the tasks and the custom values, enforced
by the PostgreSQL server itself (persistence/postgres/write_rules.py).

An outside tester, as the sales and office desk roles with plain SQL (and the app's
``application_name``), dated custom values and interactions in the future, named another
user as an interaction's author, rewrote another user's interaction and linked anyone to
one. Each of those writes is refused here over each desk role's own login role, while the
same statements written honestly (the caller as author, the server's time) pass, and the
app's own path over those roles keeps working. The administrator (restore, migrations) is
not bound. PostgreSQL only: skipped without ``PRIVACYCRM_TEST_PG_ADMIN``, a failure in CI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

import pg_support
from conftest import COMPANY, OWNER, OWNER_PASSWORD
from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind, CustomTarget
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.tasks import TaskDraft
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import alembic_config
from privacycrm_desktop.persistence.postgres import roles, write_rules
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2025, 2, 20))
#: The desk roles the tester used, and a password for each.
DESKS = {Role.SALES: ("sam", "sales-password-pass-2"), Role.OFFICE: ("olga", "office-pass-3")}
#: A role that merges (and undoes merges).
OFFICER = ("pia", "privacy-officer-pass-1")
#: The app's clock in these tests: in the past of the server's (as in the rest of the suite).
CLOCK = dt.datetime(2025, 3, 14, 10, 0)


@dataclass
class Server:
    url: str
    ids: dict[str, int]

    def conninfo(self, role: Role) -> str:
        from psycopg.conninfo import make_conninfo

        username, password = OFFICER if role is Role.PRIVACY_OFFICER else DESKS[role]
        own = make_url(roles.login_url(self.url, username, password))
        return make_conninfo(
            host=own.host,
            port=own.port,
            dbname=own.database,
            user=own.username,
            password=password,
            application_name="privacycrm",
        )


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """A server enforcing the roles: the owner's interaction, task and custom values (of a
    person and of a company), and one interaction logged by each desk through the app."""
    url = pg_support.new_database()
    engine = create_engine_for(url)
    try:
        services = Services.build(engine, FixedClock(CLOCK))
        services.setup.initialise(COMPANY, OWNER, OWNER_PASSWORD)
        owner = services.auth.login(OWNER, OWNER_PASSWORD)
        assert services.auth.server_roles_enabled()
        for role, (name, password) in DESKS.items():
            services.auth.add_user(owner, name, password, role)
        services.auth.add_user(owner, *OFFICER, Role.PRIVACY_OFFICER)
        for key, on in (("qopen", CustomTarget.CONTACT), ("qcopen", CustomTarget.COMPANY)):
            services.custom_fields.define(
                owner, CustomFieldDefinition(key, key, CustomKind.TEXT, on=on)
            )
        zoe = services.contacts.create(
            owner, ContactInput(last_name="Zoë", extra={"qopen": "Qvalue"}), CARD
        )
        jan = services.contacts.create(owner, ContactInput(last_name="Jan"), CARD)
        company = services.companies.add(
            owner, CompanyInput(name="Qcompany"), CARD, {"qcopen": "Qcompanyvalue"}
        )
        call = services.activities.add(owner, zoe, ActivityInput(ActivityKind.CALL, "Called"))
        task = services.tasks.add(owner, TaskDraft("Call back", contact_id=zoe))
    finally:
        engine.dispose()
    ids = {"zoe": zoe, "jan": jan, "company": company, "call": call, "task": task}
    for role, (name, password) in DESKS.items():
        desk = create_engine_for(roles.login_url(url, name, password))
        try:
            services = Services.build(desk, FixedClock(CLOCK))
            actor = services.auth.login(name, password)
            ids[f"own_{role.value}"] = services.activities.add(
                actor, zoe, ActivityInput(ActivityKind.VISIT, "Visited")
            )
        finally:
            desk.dispose()
    admin = create_engine_for(url)
    try:
        with admin.connect() as conn:
            for key, sql in (
                ("owner", f"SELECT id FROM app_user WHERE username = '{OWNER}'"),
                ("field", "SELECT id FROM custom_field WHERE key = 'qopen'"),
                ("cfield", "SELECT id FROM custom_field WHERE key = 'qcopen'"),
                ("source", f"SELECT source_id FROM contact WHERE id = {zoe}"),
            ):
                ids[key] = int(conn.execute(text(sql)).scalar_one())
    finally:
        admin.dispose()
    yield Server(url, ids)
    pg_support.drop_database(url)


#: The caller's own app user, and the server's time as the app stores it (naive UTC).
ME = "(SELECT id FROM app_user WHERE pcrm_login_role(username) = session_user)"
NOW = "(now() AT TIME ZONE 'UTC')"

#: The tester's writes, and more of the same kind: each refused to every desk role.
FORGED = {
    "a contact's custom value dated in the future": (
        "UPDATE custom_value SET recorded_at = '2099-01-01' WHERE field_id = {field}"
    ),
    "a company's custom value dated in the future": (
        "UPDATE company_custom_value SET recorded_at = '2099-01-01' WHERE field_id = {cfield}"
    ),
    "a new custom value dated in the future": (
        "INSERT INTO custom_value (contact_id, field_id, value, source_id, recorded_at, "
        "recorded_by) VALUES ({jan}, {field}, 'x', {source}, '2099-01-01', " + ME + ")"
    ),
    "a new custom value in another user's name": (
        "INSERT INTO custom_value (contact_id, field_id, value, source_id, recorded_at, "
        "recorded_by) VALUES ({jan}, {field}, 'x', {source}, " + NOW + ", {owner})"
    ),
    "a custom value's author changed": "UPDATE custom_value SET recorded_by = " + ME,
    "a custom value changed in place": "UPDATE custom_value SET value = 'x'",
    "a custom value moved to another person": "UPDATE custom_value SET contact_id = {jan}",
    "an interaction in the future": (
        "INSERT INTO activity (contact_id, kind, occurred_at, summary, details, recorded_by, "
        "recorded_at) VALUES ({zoe}, 'call', '2099-01-01', 'FORGED', '', " + ME + ", now())"
    ),
    "an interaction in another user's name": (
        "INSERT INTO activity (contact_id, kind, occurred_at, summary, details, recorded_by, "
        "recorded_at) VALUES ({zoe}, 'call', '2025-01-01', 'FORGED', '', {owner}, " + NOW + ")"
    ),
    "an interaction beyond the app's slack and the clocks' difference": (
        "INSERT INTO activity (contact_id, kind, occurred_at, summary, details, recorded_by, "
        "recorded_at) VALUES ({zoe}, 'call', " + NOW + " + interval '15 minutes', 'FORGED', "
        "'', " + ME + ", " + NOW + ")"
    ),
    "an interaction recorded in the future": (
        "INSERT INTO activity (contact_id, kind, occurred_at, summary, details, recorded_by, "
        "recorded_at) VALUES ({zoe}, 'call', '2025-01-01', 'FORGED', '', " + ME + ", "
        "'2099-01-01')"
    ),
    "another user's interaction rewritten": (
        "UPDATE activity SET summary = 'x', recorded_by = " + ME + " WHERE id = {call}"
    ),
    "another user's interaction's summary rewritten": (
        "UPDATE activity SET summary = 'x' WHERE id = {call}"
    ),
    "one's own interaction moved in time": (
        "UPDATE activity SET occurred_at = '2099-01-01' WHERE recorded_by = " + ME
    ),
    "another user's interaction moved in time": (
        "UPDATE activity SET occurred_at = '2099-01-01' WHERE id = {call}"
    ),
    "an interaction moved to another person": "UPDATE activity SET contact_id = {jan}",
    "anyone linked to another user's interaction": (
        "INSERT INTO activity_person (activity_id, contact_id) VALUES ({call}, {jan})"
    ),
    "anyone linked to one's own interaction logged before": (
        "INSERT INTO activity_person (activity_id, contact_id) SELECT id, {jan} FROM activity "
        "WHERE recorded_by = " + ME
    ),
    "anyone linked to one's own interaction after an UPDATE changing nothing": (
        "UPDATE activity SET summary = summary WHERE recorded_by = " + ME + "; "
        "INSERT INTO activity_person (activity_id, contact_id) SELECT id, {jan} FROM activity "
        "WHERE recorded_by = " + ME
    ),
    "a task in another user's name": (
        "INSERT INTO task (title, details, assignee_id, origin, created_by, created_at) "
        "VALUES ('t', '', {owner}, 'manual', {owner}, " + NOW + ")"
    ),
    "a task created in the future": (
        "INSERT INTO task (title, details, assignee_id, origin, created_by, created_at) "
        "VALUES ('t', '', {owner}, 'manual', " + ME + ", '2099-01-01')"
    ),
    "a task's author changed": "UPDATE task SET created_by = " + ME,
    "a task's creation moved": "UPDATE task SET created_at = '2099-01-01'",
    "a task ticked off in the future": (
        "UPDATE task SET done_at = '2099-01-01', done_by = " + ME + " WHERE id = {task}"
    ),
    "a task ticked off in another user's name": (
        "UPDATE task SET done_at = " + NOW + ", done_by = {owner} WHERE id = {task}"
    ),
    "a task's title rewritten": "UPDATE task SET title = 'x' WHERE id = {task}",
    "a task moved to another person": "UPDATE task SET contact_id = {jan} WHERE id = {task}",
}

#: The same kinds of write made honestly: each passes for every desk role (the rules refuse
#: the forgeries, not the writes).
HONEST = {
    "a new custom value of one's own, now": (
        "INSERT INTO custom_value (contact_id, field_id, value, source_id, recorded_at, "
        "recorded_by) VALUES ({jan}, {field}, 'x', {source}, " + NOW + ", " + ME + ")"
    ),
    "a custom value removed and written again, as the app saves one": (
        "DELETE FROM custom_value WHERE contact_id = {zoe} AND field_id = {field}; "
        "INSERT INTO custom_value (contact_id, field_id, value, source_id, recorded_at, "
        "recorded_by) VALUES ({zoe}, {field}, 'y', {source}, '2025-03-14 10:00', " + ME + ")"
    ),
    "an interaction of one's own with a person linked, as the app logs one": (
        "INSERT INTO activity (contact_id, kind, occurred_at, summary, details, recorded_by, "
        "recorded_at) VALUES ({zoe}, 'call', '2025-01-01', 'Honest', '', "
        + ME
        + ", "
        + NOW
        + "); INSERT INTO activity_person (activity_id, contact_id) "
        "SELECT max(id), {jan} FROM activity"
    ),
    "an interaction at the app's slack, on a desk whose clock is a little ahead": (
        "INSERT INTO activity (contact_id, kind, occurred_at, summary, details, recorded_by, "
        "recorded_at) VALUES ({zoe}, 'call', " + NOW + " + interval '9 minutes', 'Honest', "
        "'', " + ME + ", " + NOW + " + interval '4 minutes')"
    ),
    "another user's interaction deleted": "DELETE FROM activity WHERE id = {call}",
    "a task of one's own": (
        "INSERT INTO task (title, details, assignee_id, origin, created_by, created_at) "
        "VALUES ('t', '', {owner}, 'manual', " + ME + ", " + NOW + ")"
    ),
    "another user's task ticked off, then opened again": (
        "UPDATE task SET done_at = " + NOW + ", done_by = " + ME + " WHERE id = {task}; "
        "UPDATE task SET done_at = NULL, done_by = NULL WHERE id = {task}"
    ),
    "another user's task handed to oneself": (
        "UPDATE task SET assignee_id = " + ME + " WHERE id = {task}"
    ),
}


def _try(server: Server, role: Role, statement: str) -> Exception | None:
    """Run *statement* as *role*'s own login role in a transaction rolled back; the error
    the server raised, if any."""
    import psycopg

    with psycopg.connect(server.conninfo(role)) as conn:
        try:
            with conn.transaction(force_rollback=True):
                for part in statement.format(**server.ids).split("; "):
                    conn.execute(part)
        except psycopg.Error as error:
            return error
    return None


@pytest.mark.parametrize("role", list(DESKS), ids=[r.value for r in DESKS])
@pytest.mark.parametrize("attack", list(FORGED))
def test_each_forged_write_is_refused_to_the_desk_role(
    server: Server, role: Role, attack: str
) -> None:
    import psycopg

    error = _try(server, role, FORGED[attack])
    assert isinstance(error, psycopg.errors.InsufficientPrivilege), (attack, error)


@pytest.mark.parametrize("role", list(DESKS), ids=[r.value for r in DESKS])
@pytest.mark.parametrize("write", list(HONEST))
def test_the_same_writes_made_honestly_pass(server: Server, role: Role, write: str) -> None:
    assert _try(server, role, HONEST[write]) is None, write


#: What a role that merges may not do either: date a row in the future.
FORGED_BY_MERGERS = (
    "a contact's custom value dated in the future",
    "a company's custom value dated in the future",
    "a new custom value dated in the future",
    "an interaction in the future",
    "an interaction recorded in the future",
    "another user's interaction moved in time",
    "a task created in the future",
    "a task's creation moved",
    "a task ticked off in the future",
)


@pytest.mark.parametrize("attack", FORGED_BY_MERGERS)
def test_a_role_that_merges_dates_nothing_in_the_future(server: Server, attack: str) -> None:
    import psycopg

    error = _try(server, Role.PRIVACY_OFFICER, FORGED[attack])
    assert isinstance(error, psycopg.errors.InsufficientPrivilege), (attack, error)


def test_the_administrator_is_not_bound(server: Server) -> None:
    """A restore or a migration writes rows as they were (the rules are the desks')."""
    engine = create_engine_for(server.url)
    try:
        with engine.connect() as conn:
            for statement in (FORGED["a contact's custom value dated in the future"],):
                conn.execute(text(statement.format(**server.ids)))
            conn.rollback()
    finally:
        engine.dispose()


def test_the_app_writes_over_each_desk_login_role(server: Server) -> None:
    """Log an interaction with a person linked, add a task, tick it off and hand it on,
    save a custom value: the app's path passes the rules (its clock in the past)."""
    for name, password in DESKS.values():
        engine = create_engine_for(roles.login_url(server.url, name, password))
        try:
            services = Services.build(engine, FixedClock(CLOCK + dt.timedelta(days=1)))
            actor = services.auth.login(name, password)
            logged = services.activities.add(
                actor,
                server.ids["zoe"],
                ActivityInput(ActivityKind.MEETING, "Met", people=(server.ids["jan"],)),
            )
            assert services.activities.one(actor, logged).people == (server.ids["jan"],)
            task = services.tasks.add(actor, TaskDraft("Send", contact_id=server.ids["jan"]))
            assert services.tasks.set_done(actor, task).done
            assert not services.tasks.set_done(actor, task, done=False).done
            services.tasks.reassign(actor, task, server.ids["owner"])
            jan = services.contacts.get(actor, server.ids["jan"])
            from dataclasses import replace

            from privacycrm_desktop.domain.edit_conflicts import input_from

            changed = replace(input_from(jan), extra={"qopen": f"Q{name}"})
            services.contacts.update(actor, jan.id, jan.version, changed, CARD)
            stored = {v.key: v.value for v in services.contacts.get(actor, jan.id).custom}
            assert stored["qopen"] == f"Q{name}"
        finally:
            engine.dispose()


def test_the_migration_installs_the_rules_on_a_server_enforcing_the_roles(
    server: Server,
) -> None:
    """0023 on a database of 0022 whose server enforces the roles: the triggers are there
    after it, as ``grants.enable`` puts them on a new server."""
    from alembic import command

    engine = create_engine_for(server.url)
    tables = sorted({*write_rules.WRITE_RULES, *write_rules.LINK_TABLES})
    found = (
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname LIKE 'pcrm_rule_%' ORDER BY 1, 2"
    )
    try:
        with engine.connect() as conn:
            installed = [tuple(r) for r in conn.execute(text(found))]
            assert {t for t, _ in installed} == set(tables)
            command.downgrade(alembic_config(conn), "0022_pg_indexes")
            assert conn.execute(text(found)).all() == []
            command.upgrade(alembic_config(conn), "head")
            assert [tuple(r) for r in conn.execute(text(found))] == installed
            conn.rollback()
    finally:
        engine.dispose()


def test_a_merge_and_its_undo_over_the_officers_login_role_pass_the_rules(
    server: Server,
) -> None:
    """A merge moves another user's interactions, links, tasks and custom values to the
    person kept; its undo puts back, with their first authors, the rows it took away."""
    sales, sales_password = DESKS[Role.SALES]
    engine = create_engine_for(roles.login_url(server.url, sales, sales_password))
    try:
        services = Services.build(engine, FixedClock(CLOCK))
        actor = services.auth.login(sales, sales_password)
        kept = services.contacts.create(
            actor, ContactInput(last_name="Kept", extra={"qopen": "Qkept"}), CARD
        )
        gone = services.contacts.create(
            actor, ContactInput(last_name="Gone", extra={"qopen": "Qgone"}), CARD
        )
        services.activities.add(
            actor, gone, ActivityInput(ActivityKind.CALL, "Called", people=(kept,))
        )
        services.tasks.add(actor, TaskDraft("Write", contact_id=gone))
    finally:
        engine.dispose()
    engine = create_engine_for(roles.login_url(server.url, *OFFICER))
    try:
        services = Services.build(engine, FixedClock(CLOCK + dt.timedelta(days=2)))
        officer = services.auth.login(*OFFICER)
        merged = services.merges.merge(officer, kept, [gone])
        assert services.activities.count(officer, kept) == 1
        _change_custom_value(server, kept, "Qchanged")
        # The undo puts the kept person's value back as the merge found it.
        services.merges.undo(officer, merged.merge_id)
        assert services.activities.count(officer, gone) == 1
    finally:
        engine.dispose()
    admin = create_engine_for(server.url)
    try:
        with admin.connect() as conn:
            authors = conn.execute(
                text(
                    "SELECT u.username FROM custom_value v JOIN app_user u "
                    "ON u.id = v.recorded_by WHERE v.contact_id = :c"
                ),
                {"c": gone},
            ).all()
            restored = conn.execute(
                text("SELECT value FROM custom_value WHERE contact_id = :c"), {"c": kept}
            ).scalar_one()
    finally:
        admin.dispose()
    assert restored == "Qkept"
    assert [tuple(a) for a in authors] == [(sales,)]


def _change_custom_value(server: Server, contact_id: int, value: str) -> None:
    """The office user changes a person's custom value through the app."""
    from dataclasses import replace

    from privacycrm_desktop.domain.edit_conflicts import input_from

    office, password = DESKS[Role.OFFICE]
    engine = create_engine_for(roles.login_url(server.url, office, password))
    try:
        services = Services.build(engine, FixedClock(CLOCK + dt.timedelta(days=1)))
        actor = services.auth.login(office, password)
        stored = services.contacts.get(actor, contact_id)
        changed = replace(input_from(stored), extra={"qopen": value})
        services.contacts.update(actor, contact_id, stored.version, changed, CARD)
    finally:
        engine.dispose()


def test_an_import_with_custom_values_over_a_desk_login_role_passes_the_rules(
    server: Server, tmp_path: Path
) -> None:
    """The importer writes custom values in bulk (one statement for many rows): each in
    the name of the user who imports, at the app's time."""
    from privacycrm_desktop.domain.import_formats import ColumnTarget, ImportField
    from privacycrm_desktop.services.imports import ImportPlan

    path = tmp_path / "people.csv"
    path.write_text(
        "First name,Last name,Extra\nAn,Imported,Qone\nBert,Imported,Qtwo\n", encoding="utf-8"
    )
    sales, password = DESKS[Role.SALES]
    engine = create_engine_for(roles.login_url(server.url, sales, password))
    try:
        services = Services.build(engine, FixedClock(CLOCK))
        actor = services.auth.login(sales, password)
        preview = services.imports.preview(actor, path)
        mapping = (*preview.mapping[:2], ColumnTarget(ImportField.CUSTOM, key="qopen"))
        plan = ImportPlan(
            path=path,
            shape=preview.shape,
            mapping=mapping,
            source=CARD,
            purpose_code="customer_relationship",
            legal_basis="contract",
        )
        result = services.imports.run(actor, plan)
    finally:
        engine.dispose()
    assert result.imported == 2
    admin = create_engine_for(server.url)
    try:
        with admin.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT v.value, u.username FROM custom_value v "
                    "JOIN app_user u ON u.id = v.recorded_by "
                    "WHERE v.value IN ('Qone', 'Qtwo') ORDER BY v.value"
                )
            ).all()
    finally:
        admin.dispose()
    assert [tuple(r) for r in rows] == [("Qone", sales), ("Qtwo", sales)]
