"""Least privilege on the PostgreSQL server, tried with plain SQL as each desk role.

Every table, column and server function of the schema is read from the PostgreSQL
catalogue, so a table added later is covered by default: what is not in ``EXPECTED`` must
be refused to every desk role. Canary values are planted (through the app, as the owner)
in every restricted field and in every table that can mention one; every column a role
may read is then read as that role and must not hold a canary of a field it sees hidden.
Then the attacks seen from outside are tried as each role over its own connection: making
oneself owner, writing the audit or its head, shortening the suppression list or the
erasure ledger, deleting the backup encryption key, changing or reading the suppression
key, read-only staff changing contacts, and reaching the system role.

One database for the module (cloned from the migrated template); every attack runs in a
transaction that is rolled back, so a wrongly allowed attack cannot spoil the next test.
PostgreSQL only: skipped without ``PRIVACYCRM_TEST_PG_ADMIN``, a failure in CI.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import make_url

import pg_support
from conftest import COMPANY, OWNER, OWNER_PASSWORD
from privacycrm_desktop.domain.access import DEFAULT_FIELD_MATRIX, FieldAccess, Role
from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.consent import ConsentMethod
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME, Sensitivity
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SpecialCategory
from privacycrm_desktop.domain.tasks import TaskDraft
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.models import PERSONAL_COLUMNS
from privacycrm_desktop.persistence.postgres import grants, policy, roles, write_rules
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.registry import Services

#: The program runs in its own processes here and signs in with the real costs, so the
#: in-process parts keep them too (a cheap hash would be rehashed at the first sign-in).
pytestmark = pytest.mark.real_key_costs

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2025, 2, 20))
USERS = {
    Role.OWNER: (OWNER, OWNER_PASSWORD),
    Role.PRIVACY_OFFICER: ("pia", "privacy-officer-pass-1"),
    Role.SALES: ("sam", "sales-password-pass-2"),
    Role.OFFICE: ("olga", "office-password-pass-3"),
    Role.READ_ONLY: ("rita", "read-only-password-4"),
}
#: The planted values, by the catalogue field whose fact they are.
CANARIES = {
    "notes": ("Qcanarynotes", "Qcanaryoldnotes", "Qcanarynewnotes"),
    "birth_date": ("1931-07-13", "13/07/1931", "1931"),
    "special_categories": ("Qcanaryspecial", "Qcanaryevidence", "Qcanarysource", "health"),
    "activity_details": ("Qcanarydetails",),
}

O, P, S, F, R = (  # noqa: E741 - the roles' initials
    Role.OWNER,
    Role.PRIVACY_OFFICER,
    Role.SALES,
    Role.OFFICE,
    Role.READ_ONLY,
)
ALL = frozenset(Role)
ACTIVE = frozenset({O, P, S, F})  # every role but read-only
OP = frozenset({O, P})
OPS = frozenset({O, P, S})
#: Per table, which roles hold which privilege (before columns hidden by the matrix).
#: Written out on purpose, not taken from the code under test: a change to the server's
#: policy has to be made here too. Anything not listed is refused to every desk role.
EXPECTED: dict[str, dict[str, frozenset[Role]]] = {
    "alembic_version": {"SELECT": ALL},
    "contact": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": OPS},
    "contact_email": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": ACTIVE},
    "contact_phone": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": ACTIVE},
    "tag": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": OP},
    "contact_tag": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": ACTIVE},
    "contact_fts": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": ACTIVE},
    "field_provenance": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": ACTIVE},
    "source": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": OPS},
    # Only for roles that see special categories (the default matrix: owner, officer).
    "special_category_datum": {"SELECT": OP, "INSERT": OP, "UPDATE": OP, "DELETE": OP},
    # DELETE: undoing an import removes the companies it made (importers only).
    "company": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": OPS},
    # A merge of companies (owner, officer) moves tags and rewrites the sources.
    "company_tag": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": OP, "DELETE": ACTIVE},
    "company_provenance": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": OP},
    "company_link": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": ACTIVE},
    # The owner defines custom fields (with their catalogue row); values go with contacts.
    "custom_field": {"SELECT": ALL, "INSERT": frozenset({O})},
    "custom_value": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": ACTIVE},
    # A company's custom values: as a contact's (the cleanup erases expired ones).
    "company_custom_value": {
        "SELECT": ALL,
        "INSERT": ACTIVE,
        "UPDATE": ACTIVE,
        "DELETE": ACTIVE,
    },
    # Merges (owner, officer): the record holds the merged rows; the redirects ids only.
    "contact_merge": {"SELECT": OP, "INSERT": OP, "UPDATE": OP},
    "contact_redirect": {"SELECT": ALL, "INSERT": OP, "UPDATE": OP, "DELETE": OP},
    "company_merge": {"SELECT": OP, "INSERT": OP, "UPDATE": OP},
    "company_redirect": {"SELECT": ALL, "INSERT": OP, "UPDATE": OP, "DELETE": OP},
    "activity": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": ACTIVE},
    "task": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": ACTIVE, "DELETE": ACTIVE},
    # Linked people of an interaction (ids only): a merge moves them (UPDATE).
    "activity_person": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": OP, "DELETE": ACTIVE},
    # The contacts' suppression digests, read only: pcrm_store_digests writes them (from
    # the points as they are) and the trigger of an edit deletes them, as the system role.
    "contact_digest": {"SELECT": ALL},
    # The contacts whose digests are due, read only: the triggers add them, the server's
    # pcrm_store_digests takes them out (a desk that did could hide a changed person).
    "contact_digest_due": {"SELECT": ALL},
    "contact_count": {"SELECT": ALL},
    "keep_until_count": {"SELECT": ALL},
    "consent_event": {"SELECT": ALL, "INSERT": ACTIVE, "UPDATE": OP, "DELETE": OPS},
    "privacy_statement": {"SELECT": ALL, "INSERT": OP, "UPDATE": OP},
    "purpose": {"SELECT": ALL},
    "field_catalogue": {"SELECT": ALL, "INSERT": frozenset({O})},
    "recipient": {"SELECT": ALL, "INSERT": OPS, "UPDATE": OP},
    "disclosure": {"SELECT": ALL, "INSERT": OPS, "UPDATE": OP, "DELETE": OP},
    "rights_request": {"SELECT": ALL, "INSERT": OP, "UPDATE": OP, "DELETE": OP},
    "request_contact": {"SELECT": ALL, "INSERT": OP, "UPDATE": OP, "DELETE": OP},
    "rectification": {"SELECT": OP, "INSERT": OP, "UPDATE": OP, "DELETE": OP},
    "retention_hold": {"SELECT": ALL, "INSERT": OP, "UPDATE": OP, "DELETE": OP},
    "anonymised_record": {"SELECT": OP, "INSERT": OP},
    "import_batch": {"SELECT": ALL, "INSERT": OPS, "UPDATE": OPS, "DELETE": OPS},
    "import_staging": {"SELECT": OPS, "INSERT": OPS, "UPDATE": OPS, "DELETE": OPS},
    "suppression": {"SELECT": ALL, "INSERT": ACTIVE},
    "erasure_ledger": {"SELECT": OP, "INSERT": OP},
    "setting": {"SELECT": ALL, "INSERT": OP, "UPDATE": OP, "DELETE": OP},
    # written by the server functions only, the owner's changes included
    "app_user": {"SELECT": ALL},
    "role_field_access": {"SELECT": ALL},
    "audit_event": {"SELECT": OP},
    "audit_anchor": {"SELECT": OP},  # where the database has the server's anchor
    "server_write": {"SELECT": OP},  # the server's own record of every desk write
    "id_high_water": {"SELECT": OP},  # dumped with every backup
}
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
#: The caller's own app user, as a column of a plain SQL copy of a row.
CALLER = "(SELECT id FROM app_user WHERE pcrm_login_role(username) = session_user)"
#: Server functions that run as the system role, and who may call them.
DEFINER_FUNCTIONS = {
    "pcrm_caller": ALL,
    "pcrm_audit_append": ALL,
    "pcrm_audit_append_many": ALL,
    "pcrm_signed_in": ALL,
    "pcrm_own_password_salt": ALL,
    "pcrm_own_password_is": ALL,
    "pcrm_set_language": ALL,
    "pcrm_manage_login": frozenset({O}),
    "pcrm_end_sessions": frozenset({O}),
    "pcrm_bar_login": frozenset({O}),
    "pcrm_apply_grants": frozenset({O}),
    "pcrm_special_source": ALL,
    "pcrm_sign_in_failed": ALL,
    "pcrm_sign_in_ready": ALL,
    "pcrm_digests": ALL,
    "pcrm_audit_write": frozenset(),  # only from the functions above
    # the write log: a note in one's own transaction; the commit-time summary
    "pcrm_note_write": ALL,
    "pcrm_tx_close": frozenset(),
    "pcrm_review_writes": frozenset({O}),
    "pcrm_user_change": frozenset({O}),
    "pcrm_matrix_change": frozenset({O}),
    "pcrm_reserve_contact_ids": ALL,  # a bulk writer's block of ids; forward only
    # the stored suppression digests of contacts, from their points as they are; the
    # trigger that forgets them when a point changes (fired, never called)
    "pcrm_store_digests": ALL,
    "pcrm_contact_digest_forget": frozenset(),
    "pcrm_contact_digest_forget_added": frozenset(),
    # the triggers that make a new contact's, or every contact's on a new key, due
    "pcrm_contact_digest_new": frozenset(),
    "pcrm_contact_digest_key": frozenset(),
    # fresh statistics of a link table after a tag put on many contacts at once
    "pcrm_analyse_links": ALL,
    # the rules of who and when: who the caller is, and whether the interactions people
    # are linked to are the caller's, logged in this transaction
    "pcrm_desk_user": ALL,
    "pcrm_linked_on_logging": ALL,
}


def _restricted_columns(role: Role, *accesses: FieldAccess) -> dict[str, set[str]]:
    """Per table, the columns of restricted and special-category fields that *role* has
    one of *accesses* to under the default matrix (from the app's field catalogue)."""
    found: dict[str, set[str]] = {}
    for qualified, field in PERSONAL_COLUMNS.items():
        spec = FIELDS_BY_NAME[field]
        if spec.sensitivity is Sensitivity.NORMAL:
            continue
        if DEFAULT_FIELD_MATRIX[(role, field)] in accesses:
            table, column = qualified.split(".", 1)
            found.setdefault(table, set()).add(column)
    return found


def hidden_columns(role: Role) -> dict[str, set[str]]:
    """The restricted columns *role* sees hidden under the default matrix, and the
    password hashes, which only the roles that make backups read."""
    hidden = _restricted_columns(role, FieldAccess.HIDDEN)
    if role not in HASH_READERS:
        hidden.setdefault("app_user", set()).add("password_hash")
    return hidden


def unchangeable_columns(role: Role) -> dict[str, set[str]]:
    """The restricted columns *role* may not change: hidden, read or masked."""
    return _restricted_columns(role, *(a for a in FieldAccess if a is not FieldAccess.WRITE))


def hidden_fields(role: Role) -> set[str]:
    return {f for f in CANARIES if DEFAULT_FIELD_MATRIX[(role, f)] is FieldAccess.HIDDEN}


@dataclass
class Server:
    url: str
    database: str
    contact_id: int

    def conninfo(self, role: Role) -> str:
        return self.user_conninfo(*USERS[role])

    def user_conninfo(self, username: str, password: str) -> str:
        """A psycopg connection string for *username*'s own login role."""
        from psycopg.conninfo import make_conninfo

        own = make_url(roles.login_url(self.url, username, password))
        return make_conninfo(
            host=own.host,
            port=own.port,
            dbname=own.database,
            user=own.username,
            password=password,
        )

    def login_role(self, role: Role) -> str:
        return roles.login_role(self.database, USERS[role][0])


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    clock = FixedClock(dt.datetime(2025, 3, 14, 10, 0))
    url = pg_support.new_database()
    engine = create_engine_for(url)
    try:
        services = Services.build(engine, clock)
        services.setup.initialise(COMPANY, OWNER, OWNER_PASSWORD)
        owner = services.auth.login(OWNER, OWNER_PASSWORD)
        assert services.auth.server_roles_enabled()
        for role, (name, password) in USERS.items():
            if role is not Role.OWNER:
                services.auth.add_user(owner, name, password, role)
        contact_id = services.contacts.create(
            owner,
            ContactInput(
                first_name="Zoë",
                last_name="Qcanarylast",
                emails=("zoe@example.be",),
                birth_date=dt.date(1931, 7, 13),
                notes="Qcanarynotes",
            ),
            CARD,
        )
        special = services.disclosures
        special.record_special_consent(
            owner,
            contact_id,
            SpecialCategory.HEALTH,
            ConsentMethod.SIGNED_PAPER,
            "Qcanaryevidence",
        )
        special.record_special(
            owner,
            contact_id,
            SpecialCategory.HEALTH,
            "Qcanaryspecial",
            SourceInput(SourceKind.BUSINESS_CARD, "Qcanarysource", dt.date(2025, 2, 20)),
        )
        services.requests.rectify(
            owner, None, contact_id, "notes", "Qcanaryoldnotes", "Qcanarynewnotes", "asked"
        )
        services.requests.rectify(
            owner, None, contact_id, "birth_date", "13/07/1931", "1931-07-13", "asked"
        )
        services.activities.add(
            owner,
            contact_id,
            ActivityInput(ActivityKind.CALL, "Called", details="Qcanarydetails"),
        )
        yield Server(url, make_url(url).database or "", contact_id)
    finally:
        engine.dispose()
        pg_support.drop_database(url)


def _add_office_user(server: Server, username: str, password: str) -> None:
    """A user of the office role, added by the owner through the administrator's URL."""
    engine = create_engine_for(server.url)
    try:
        services = Services.build(engine, FixedClock(dt.datetime(2025, 3, 14, 10, 0)))
        owner = services.auth.login(OWNER, OWNER_PASSWORD)
        services.auth.add_user(owner, username, password, Role.OFFICE)
    finally:
        engine.dispose()


def _admin(server: Server, statement: str, **params: object) -> list[tuple[object, ...]]:
    engine = create_engine_for(server.url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(statement), params)]
    finally:
        engine.dispose()


def _catalogue(server: Server) -> dict[str, list[str]]:
    """Every table and view of the schema and its columns, from pg_catalog."""
    rows = _admin(
        server,
        "SELECT c.relname, a.attname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p', 'f') "
        "ORDER BY c.relname, a.attnum",
    )
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(str(table), []).append(str(column))
    return tables


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_every_table_and_column_of_the_catalogue_follows_the_expected_matrix(
    server: Server, role: Role
) -> None:
    tables = _catalogue(server)
    assert {"contact", "app_user", "audit_event"} <= set(tables)
    hidden = hidden_columns(role)
    fixed = unchangeable_columns(role)
    login = server.login_role(role)
    problems = []
    checks = []
    for table, columns in tables.items():
        allowed = {p for p, roles in EXPECTED.get(table, {}).items() if role in roles}
        if table == "special_category_datum" and table in fixed:
            allowed &= {"SELECT"}  # special categories seen, never changed
        for privilege in TABLE_PRIVILEGES:
            narrowed = {"SELECT": hidden, "REFERENCES": hidden, "UPDATE": fixed}.get(privilege)
            whole = privilege in allowed and not (narrowed and narrowed.get(table))
            checks.append((table, None, privilege, whole))
        for column in columns:
            for privilege in ("SELECT", "UPDATE", "INSERT", "REFERENCES"):
                narrowed = fixed if privilege == "UPDATE" else hidden
                may = privilege in allowed and (
                    # INSERT stays table-wide (the app inserts every column, empty ones
                    # too); the INSERT guard refuses a value where UPDATE is refused.
                    privilege == "INSERT" or column not in narrowed.get(table, set())
                )
                checks.append((table, column, privilege, may))
    engine = create_engine_for(server.url)
    try:
        with engine.connect() as conn:
            for table, column, privilege, expected in checks:
                if column is None:
                    granted = conn.execute(
                        text("SELECT has_table_privilege(:r, CAST(:t AS regclass), :p)"),
                        {"r": login, "t": table, "p": privilege},
                    ).scalar()
                else:
                    granted = conn.execute(
                        text("SELECT has_column_privilege(:r, CAST(:t AS regclass), :c, :p)"),
                        {"r": login, "t": table, "c": column, "p": privilege},
                    ).scalar()
                if bool(granted) != expected:
                    where = table if column is None else f"{table}.{column}"
                    problems.append(f"{privilege} {where}: {'granted' if granted else 'refused'}")
    finally:
        engine.dispose()
    assert not problems, f"{role.value}: " + "; ".join(problems)


def test_a_table_nobody_listed_is_refused_to_every_desk_role(server: Server) -> None:
    """Deny by default: a table added later (here by hand) gets nothing until listed."""
    import psycopg

    _admin(server, "SELECT 1")
    engine = create_engine_for(server.url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS later_table (secret text)"))
            conn.execute(text("INSERT INTO later_table VALUES ('Qcanarylater')"))
            conn.execute(
                text(f'ALTER TABLE later_table OWNER TO "{roles.system_role(server.database)}"')
            )
        with engine.begin() as conn:
            grants.apply_privileges(conn)  # as a migration would
        for role in Role:
            with (
                psycopg.connect(server.conninfo(role)) as desk,
                pytest.raises(psycopg.errors.InsufficientPrivilege),
            ):
                desk.execute("SELECT * FROM later_table")
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS later_table"))
        engine.dispose()


def test_only_the_listed_server_functions_run_as_the_system_role(server: Server) -> None:
    rows = _admin(
        server,
        "SELECT p.proname, pg_get_userbyid(p.proowner) FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.prosecdef",
    )
    assert {str(name) for name, _ in rows} == set(DEFINER_FUNCTIONS)
    assert {str(owner) for _, owner in rows} == {roles.system_role(server.database)}
    for name, callers in DEFINER_FUNCTIONS.items():
        for role in Role:
            may = _admin(
                server,
                "SELECT bool_or(has_function_privilege(:r, p.oid, 'EXECUTE')) FROM pg_proc p "
                "WHERE p.proname = :f",
                r=server.login_role(role),
                f=name,
            )[0][0]
            assert bool(may) == (role in callers), (name, role.value)


def test_the_sign_in_role_reads_and_writes_nothing(server: Server) -> None:
    """Its password is public: it may only count a refused sign-in and reopen an account
    whose lock is over."""
    import psycopg

    from privacycrm_desktop.persistence.postgres.sign_in_sql import SIGN_IN_PASSWORD

    sign_in = roles.sign_in_role(server.database)
    tables = list(_catalogue(server))
    granted = _admin(
        server,
        "SELECT t, p FROM unnest(CAST(:tables AS text[])) t, unnest(CAST(:privileges AS text[])) p "
        "WHERE has_table_privilege(:r, CAST(t AS regclass), p)",
        tables=tables,
        privileges=list(TABLE_PRIVILEGES),
        r=sign_in,
    )
    assert len(tables) > 20
    assert granted == []
    callable_ = _admin(
        server,
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.prosecdef "
        "AND has_function_privilege(:r, p.oid, 'EXECUTE') ORDER BY 1",
        r=sign_in,
    )
    assert callable_ == [("pcrm_sign_in_failed",), ("pcrm_sign_in_ready",)]
    own = make_url(server.url)
    with (
        psycopg.connect(
            host=own.host,
            port=own.port,
            dbname=own.database,
            user=sign_in,
            password=SIGN_IN_PASSWORD,
        ) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT pcrm_audit_append('x', 'x', 'x', 'x', '', '')")


def test_a_restricted_custom_fields_values_reach_only_the_roles_that_see_it(
    server: Server,
) -> None:
    """The server withholds a restricted custom field's values (one table holds every
    custom field's values: row policies, not column grants), as it does notes; an ordinary
    custom field's values are read by every role (the app hides what the matrix hides)."""
    import psycopg
    from psycopg.errors import InsufficientPrivilege

    from privacycrm_desktop.domain.companies import CompanyInput as Company
    from privacycrm_desktop.domain.custom_fields import (
        CustomFieldDefinition,
        CustomKind,
        CustomTarget,
    )

    engine = create_engine_for(server.url)
    try:
        services = Services.build(engine, FixedClock(dt.datetime(2025, 3, 14, 10, 0)))
        owner = services.auth.login(OWNER, OWNER_PASSWORD)
        for key, restricted, on in (
            ("qopen", False, CustomTarget.CONTACT),
            ("qshut", True, CustomTarget.CONTACT),
            ("qcopen", False, CustomTarget.COMPANY),
            ("qcshut", True, CustomTarget.COMPANY),
        ):
            definition = CustomFieldDefinition(
                key, key, CustomKind.TEXT, restricted=restricted, on=on
            )
            services.custom_fields.define(owner, definition)
        values = {"qopen": "Qcustomopen", "qshut": "Qcustomshut"}
        services.contacts.create(owner, ContactInput(last_name="Qcustomlast", extra=values), CARD)
        company = {"qcopen": "Qcompanyopen", "qcshut": "Qcompanyshut"}
        services.companies.add(owner, Company(name="Qcompany"), CARD, company)
    finally:
        engine.dispose()
    (shut_id,) = _admin(server, "SELECT id FROM custom_field WHERE key = 'qshut'")[0]
    sees = OP  # written out: a restricted field's default readers
    for role in Role:
        with psycopg.connect(server.conninfo(role)) as desk:
            read = {str(v) for (v,) in desk.execute("SELECT value FROM custom_value")}
            assert "Qcustomopen" in read, role
            assert ("Qcustomshut" in read) == (role in sees), role
            read = {str(v) for (v,) in desk.execute("SELECT value FROM company_custom_value")}
            assert "Qcompanyopen" in read, role
            assert ("Qcompanyshut" in read) == (role in sees), role
            if role in (Role.SALES, Role.OFFICE):
                # Nor may such a role write one (a row of its own, or a changed one).
                contact = desk.execute("SELECT min(contact_id) FROM custom_value").fetchone()
                with pytest.raises(InsufficientPrivilege):
                    desk.execute(
                        "INSERT INTO custom_value (contact_id, field_id, value, source_id, "
                        "recorded_at) SELECT contact_id, %s, 'x', source_id, recorded_at "
                        "FROM custom_value WHERE contact_id = %s LIMIT 1",
                        (shut_id, contact[0] if contact else None),
                    )


def test_login_roles_are_members_of_their_group_only(server: Server) -> None:
    system = roles.system_role(server.database)
    for role in Role:
        login = server.login_role(role)
        flags = _admin(
            server,
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication "
            "FROM pg_roles WHERE rolname = :r",
            r=login,
        )
        assert flags == [(False, False, False, False, False)], role.value
        groups = _admin(
            server,
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :r",
            r=login,
        )
        assert groups == [(roles.group_role(server.database, role),)], role.value
        reach = _admin(server, "SELECT pg_has_role(:r, :s, 'MEMBER')", r=login, s=system)
        assert reach == [(False,)], role.value
    assert _admin(server, "SELECT rolcanlogin FROM pg_roles WHERE rolname = :s", s=system) == [
        (False,)
    ]


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_no_canary_of_a_hidden_field_is_readable_anywhere(server: Server, role: Role) -> None:
    """Every column the role may read, in every table of the catalogue, read as the role:
    no value of a field it sees hidden, wherever the app wrote it."""
    import psycopg
    from psycopg import sql

    fields = hidden_fields(role)
    canaries = [c for f in fields for c in CANARIES[f]]
    login = server.login_role(role)
    tables = _catalogue(server)
    found = []
    seen = 0
    with psycopg.connect(server.conninfo(role)) as desk:
        for table, columns in tables.items():
            readable = [
                c
                for c in columns
                if desk.execute(
                    "SELECT has_column_privilege(%s, %s::regclass, %s, 'SELECT')",
                    (login, table, c),
                ).fetchone()
                == (True,)
            ]
            for column in readable:
                query = sql.SQL("SELECT {}::text FROM {}").format(
                    sql.Identifier(column), sql.Identifier(table)
                )
                for (value,) in desk.execute(query):
                    seen += 1
                    if value is not None and any(c in value for c in canaries):
                        found.append(f"{table}.{column}={value!r}")
    assert seen > 0
    assert not found, f"{role.value} reads hidden facts: {found}"
    if role in (Role.OWNER, Role.PRIVACY_OFFICER):
        assert not fields  # they see everything: the sweep above is the control


def _attempt(conninfo: str, statement: str, params: tuple[object, ...] = ()) -> str:
    """Run *statement* in a transaction that is always rolled back: "refused" (no
    privilege or a row policy refusing it), else the number of rows it touched."""
    import psycopg

    with psycopg.connect(conninfo) as desk:
        try:
            cursor = desk.execute(statement, params or None)
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.RaiseException) as exc:
            desk.rollback()
            return f"refused: {type(exc).__name__}"
        touched = cursor.rowcount
        desk.rollback()
        return f"touched {touched}"


def _copy_attempt(conninfo: str, select: str, copy: str, params: tuple[object, ...]) -> str:
    """Like ``_attempt`` for ``COPY ... FROM STDIN`` of the row *select* returns."""
    import psycopg

    with psycopg.connect(conninfo) as desk:
        row = desk.execute(select, params).fetchone()
        assert row is not None
        try:
            with desk.cursor().copy(copy) as stream:
                stream.write_row(row)
        except psycopg.errors.InsufficientPrivilege as exc:
            desk.rollback()
            return f"refused: {type(exc).__name__}"
        desk.rollback()
        return "touched 1"


def _unchanged(result: str) -> bool:
    return result.startswith("refused") or result == "touched 0"


#: The attacks seen from outside, for every desk role (the owner's login role included).
ATTACKS = {
    "insert an audit event": (
        "INSERT INTO audit_event (id, at, actor, action, entity, entity_id, detail, "
        "prev_hash, hash) VALUES (999, '2025-01-01', 'owner', 'x', 'x', 'x', '', "
        "repeat('0', 64), repeat('0', 64))"
    ),
    "edit an audit event": "UPDATE audit_event SET actor = 'someone'",
    "delete audit events": "DELETE FROM audit_event",
    "move audit.head": "UPDATE setting SET value = '1:abc' WHERE key = 'audit.head'",
    "delete audit.head": "DELETE FROM setting WHERE key = 'audit.head'",
    "delete the suppression list": "DELETE FROM suppression",
    "edit the suppression list": "UPDATE suppression SET digest = 'x'",
    "delete the erasure ledger": "DELETE FROM erasure_ledger",
    "edit the erasure ledger": "UPDATE erasure_ledger SET contact_id = 0",
    "delete backup.encryption": "DELETE FROM setting WHERE key = 'backup.encryption'",
    "change the suppression salt": (
        "UPDATE setting SET value = 'guess' WHERE key = 'suppression.salt'"
    ),
    "insert a second salt row": (
        "INSERT INTO setting (key, value) VALUES ('suppression.salt', 'x') "
        "ON CONFLICT (key) DO UPDATE SET value = 'x'"
    ),
    "delete a user": "DELETE FROM app_user",
    "write a purpose": "UPDATE purpose SET active = false",
    "write the field catalogue": "DELETE FROM field_catalogue",
    "truncate the contacts": "TRUNCATE contact CASCADE",
    "write the grant policy": "DELETE FROM pcrm_grant_policy",
    "join the system role": "GRANT {system} TO CURRENT_USER",
    "become the system role": "SET ROLE {system}",
    "create a role": "CREATE ROLE pcrm_intruder LOGIN PASSWORD 'x'",
    "create a table": "CREATE TABLE intruder (x int)",
    # The server's write log: nobody edits it, moves its numbers or turns it off.
    "edit the write log": "UPDATE server_write SET audit_events = 1",
    "delete the write log": "DELETE FROM server_write",
    "move the write log's numbers": "SELECT setval('server_write_id_seq', 1)",
    "switch a write trigger off": "ALTER TABLE contact DISABLE TRIGGER pcrm_watch_update",
    "drop a write trigger": "DROP TRIGGER pcrm_watch_delete ON contact_email",
    "write without triggers": "SET session_replication_role = replica",
    "forge a write note": "SELECT pcrm_note_write('contact', 'UPDATE', -9)",
    # Sequences: no desk moves one (ids given twice, or none left for anyone).
    "move the contact ids back": "SELECT setval(pg_get_serial_sequence('contact', 'id'), 1)",
    "use up the contact ids": (
        "SELECT setval(pg_get_serial_sequence('contact', 'id'), 2147483647)"
    ),
    "use up the user ids": "SELECT setval(pg_get_serial_sequence('app_user', 'id'), 2147483647)",
    "reserve ids far ahead": (
        "SELECT pcrm_reserve_contact_ids(1000000) FROM generate_series(1, 12)"
    ),
    "re-grant without a matrix change": (
        """SELECT pcrm_apply_grants('[["owner", "contact", "SELECT", null]]')"""
    ),
}
#: Users and the field matrix, for every desk role, the owner's included: the owner
#: changes them through the server functions, which check the app's rules and audit.
USER_TABLE_ATTACKS = {
    "make oneself owner": "UPDATE app_user SET role = 'owner' WHERE username = %s",
    "overwrite the owner's password hash": (
        "UPDATE app_user SET password_hash = 'x' WHERE username = 'owner'"
    ),
    "unlock oneself": "UPDATE app_user SET failed_logins = 0, locked_until = NULL",
    "add a user": (
        "INSERT INTO app_user (username, role, password_hash, active, language, "
        "failed_logins, created_at) VALUES ('mallory', 'owner', 'x', true, 'en', 0, now())"
    ),
    "open notes to everyone": (
        "INSERT INTO role_field_access (role, field, access) VALUES ('office', 'notes', 'write')"
    ),
    "close the matrix": "DELETE FROM role_field_access",
}
#: Not for the owner: the server functions of the owner's administration.
DESK_ATTACKS = {
    "change a role's login": "SELECT pcrm_manage_login(%s, NULL, 'owner', true)",
    "add an owner through the server": (
        "SELECT pcrm_user_change('x', 'user.add', 'mallory', 'owner', "
        "'$argon2id$v=19$m=65536,t=3,p=4$x', 'en', now()::timestamp)"
    ),
    "make oneself owner through the server": (
        "SELECT pcrm_user_change('x', 'user.role', %s, 'owner', NULL, NULL, now()::timestamp)"
    ),
    "open notes through the server": (
        "SELECT pcrm_matrix_change('x', 'office', 'notes', 'write', false, now()::timestamp)"
    ),
    "widen the grants": (
        """SELECT pcrm_apply_grants('[["office", "app_user", "UPDATE", null]]')"""
    ),
    "end a user's sessions": "SELECT pcrm_end_sessions(%s)",
    "bar a user's login": "SELECT pcrm_bar_login(%s)",
}


#: Only the roles that back the database up (owner, privacy officer) read the key.
KEY_ATTACKS = {
    "read the suppression key": "SELECT value FROM setting WHERE key = 'suppression.salt'",
    "read every setting": "SELECT value FROM setting WHERE value LIKE '%' AND key LIKE 'supp%'",
}


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_the_attacks_of_issue_15_are_refused_to_every_desk_role(server: Server, role: Role) -> None:
    system = '"' + roles.system_role(server.database) + '"'
    username = USERS[role][0]
    conninfo = server.conninfo(role)
    allowed = {}
    for name, statement in ATTACKS.items():
        result = _attempt(conninfo, statement.replace("{system}", system))
        if not _unchanged(result):
            allowed[name] = result
    for name, statement in USER_TABLE_ATTACKS.items():
        params = (username,) if "%s" in statement else ()
        result = _attempt(conninfo, statement, params)
        if not _unchanged(result):
            allowed[name] = result
    if role is not Role.OWNER:
        for name, statement in DESK_ATTACKS.items():
            params = (username,) if "%s" in statement else ()
            result = _attempt(conninfo, statement, params)
            if not _unchanged(result):
                allowed[name] = result
    if role not in (Role.OWNER, Role.PRIVACY_OFFICER):
        for name, statement in KEY_ATTACKS.items():
            result = _attempt(conninfo, statement)
            if not _unchanged(result):
                allowed[name] = result
    assert not allowed, f"{role.value} may: {allowed}"


@pytest.mark.parametrize("role", [Role.SALES, Role.OFFICE, Role.READ_ONLY], ids=str)
def test_the_server_hashes_for_roles_that_may_not_read_the_key(server: Server, role: Role) -> None:
    """Their digests come from the server and are the ones the key gives; the suppression
    check of the contact editor and an opt-out still work through the app."""
    from sqlalchemy.orm import Session

    from privacycrm_desktop.domain.suppression import HashKind, HeldKey, suppression_digest
    from privacycrm_desktop.services.marketing_facts import ensure_salt, get_salt

    key = str(_admin(server, "SELECT value FROM setting WHERE key = 'suppression.salt'")[0][0])
    username, password = USERS[role]
    engine = create_engine_for(roles.login_url(server.url, username, password))
    try:
        with Session(engine) as session:
            held = get_salt(session)
            assert isinstance(held, HeldKey)
            assert isinstance(ensure_salt(session), HeldKey)
            assert key not in held
            for kind, value in (
                (HashKind.EMAIL, "Zoë.Qcanary@Example.be"),
                (HashKind.PHONE, "+32475123456"),
                (HashKind.NAME_POSTCODE, "zoe qcanarylast|9000"),
            ):
                assert suppression_digest(held, kind, value) == suppression_digest(key, kind, value)
    finally:
        engine.dispose()
    if role is Role.READ_ONLY:
        return
    # Through the app: an opt-out puts the address on the list (digest made by the
    # server), and the editor's check then finds it for a new contact.
    from privacycrm_desktop.domain.consent import Channel, ConsentStatus
    from privacycrm_desktop.services.consent_dto import ConsentInput

    address = f"optout-{role.value}@example.be"
    engine = create_engine_for(roles.login_url(server.url, username, password))
    try:
        services = Services.build(engine, FixedClock(dt.datetime(2025, 3, 15, 9, 0)))
        actor = services.auth.login(username, password)
        cid = services.contacts.create(
            actor, ContactInput(first_name="Opt", last_name="Out", emails=(address,)), CARD
        )
        services.consent.record(
            actor,
            ConsentInput(
                contact_id=cid,
                purpose="direct_marketing_consent",
                channel=Channel.EMAIL,
                status=ConsentStatus.OPT_OUT,
                method=ConsentMethod.VERBAL_PHONE,
                evidence="",
            ),
        )
        services.consent.unsubscribe(actor, cid, ConsentMethod.VERBAL_PHONE, "")
        expected = suppression_digest(key, HashKind.EMAIL, address)
        found = _admin(server, "SELECT count(*) FROM suppression WHERE digest = :d", d=expected)
        assert found == [(1,)]
        hit = services.contacts.suppression_check(
            actor, ContactInput(first_name="New", last_name="Person", emails=(address,))
        )
        assert hit is not None
    finally:
        engine.dispose()


def test_the_owner_cannot_widen_a_role_beyond_the_policy(server: Server) -> None:
    result = _attempt(
        server.conninfo(Role.OWNER),
        """SELECT pcrm_apply_grants('[["office", "audit_event", "INSERT", null]]')""",
    )
    assert result.startswith("refused"), result


#: The roles that back up the whole database, hashes included (and restore it).
HASH_READERS = frozenset({Role.OWNER, Role.PRIVACY_OFFICER})
STAFF = [r for r in Role if r not in HASH_READERS]


@pytest.mark.parametrize("role", STAFF, ids=[r.value for r in STAFF])
def test_no_staff_role_reads_a_password_hash(server: Server, role: Role) -> None:
    """Seen on main: every desk role read every user's argon2id hash (the owner's too),
    to guess passwords offline. The server refuses any plan that grants them the column."""
    conninfo = server.conninfo(role)
    for statement in (
        "SELECT password_hash FROM app_user",
        "SELECT * FROM app_user",
        "COPY (SELECT password_hash FROM app_user) TO STDOUT",
    ):
        assert _attempt(conninfo, statement).startswith("refused"), (role, statement)
    assert _attempt(conninfo, "SELECT username, role FROM app_user") != "touched 0"
    # The server's grant function refuses a plan with the column, whoever calls it (the
    # administrator here: a desk is refused before, without an audited matrix change).
    for columns in (None, ["username", "password_hash"]):
        widen = json.dumps([[role.value, "app_user", "SELECT", columns]])
        with pytest.raises(sa_exc.DBAPIError, match="field matrix refuses"):
            _admin(server, "SELECT pcrm_apply_grants(CAST(:plan AS jsonb))", plan=widen)


#: A value of each type for a canary insert (by the column's data type in pg_catalog).
_CANARY_BY_TYPE = {
    "text": ("canary-insert", ""),
    "character varying": ("canary-insert", ""),
    "date": ("1970-01-02", None),
    "bytea": (b"canary-insert", None),
}


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_a_role_inserts_a_value_only_into_a_column_it_may_change(
    server: Server, role: Role
) -> None:
    """INSERT is granted on whole rows; a role that may not change notes or the birth date
    (office, by default) could still put a value there in a new row of its own. For every
    guarded column (read from the catalogue, not listed here): a value goes in only from a
    role that may UPDATE the column; an empty one from every role that may insert."""
    conninfo = server.conninfo(role)
    login = server.login_role(role)
    for table, columns in policy.restricted_columns().items():
        may_insert = _admin(
            server, "SELECT has_table_privilege(:r, :t, 'INSERT')", r=login, t=table
        )[0][0]
        if not may_insert:
            continue
        required = [
            str(name)
            for (name,) in _admin(
                server,
                "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                "AND is_nullable = 'NO' AND column_default IS NULL ORDER BY ordinal_position",
                t=table,
            )
        ]
        # Columns a CHECK constraint names (an interaction's person or company) are copied
        # too, so the new row breaks no rule but the guard's.
        required += [
            str(name)
            for (name,) in _admin(
                server,
                "SELECT a.attname FROM pg_constraint k "
                "JOIN pg_class c ON c.oid = k.conrelid "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(k.conkey) "
                "WHERE k.contype = 'c' AND c.relname = :t ORDER BY a.attnum",
                t=table,
            )
            if str(name) not in required
        ]
        # A new row's author is its writer (the server's write rules): the copy names the
        # caller, as the app does.
        rule = write_rules.WRITE_RULES.get(table)
        who = rule.who if rule is not None else ()
        required += [c for c in who if c not in required]
        copied = ", ".join(c for c in required if c not in columns)
        chosen = ", ".join(CALLER if c in who else c for c in required if c not in columns)
        for column in columns:
            # The other guarded columns that need a value get an empty one.
            others = [c for c in required if c in columns and c != column]
            extra_columns = "".join(f", {c}" for c in others)
            extra_values = "".join(", ''" for _ in others)
            kind = _admin(
                server,
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = :t AND column_name = :c",
                t=table,
                c=column,
            )[0][0]
            may_change = _admin(
                server,
                "SELECT has_column_privilege(:r, :t, :c, 'UPDATE')",
                r=login,
                t=table,
                c=column,
            )[0][0]
            statement = (
                f"INSERT INTO {table} ({copied}{extra_columns}, {column}) "
                f"SELECT {chosen}{extra_values}, CAST(%s AS {kind}) FROM {table} LIMIT 1"
            )
            value, nothing = _CANARY_BY_TYPE[str(kind)]
            canary = _attempt(conninfo, statement, (value,))
            empty = _attempt(conninfo, statement, (nothing,))
            assert empty == "touched 1", (role.value, column, empty)
            copied_in = _copy_attempt(
                conninfo,
                f"SELECT {chosen}{extra_values}, CAST(%s AS {kind}) FROM {table} LIMIT 1",
                f"COPY {table} ({copied}{extra_columns}, {column}) FROM STDIN",
                (value,),
            )
            if may_change:
                assert canary == copied_in == "touched 1", (role.value, column, canary, copied_in)
            else:
                assert canary.startswith("refused"), (role.value, column, canary)
                assert copied_in.startswith("refused"), (role.value, column, copied_in)


def test_read_only_staff_cannot_change_contacts_or_addresses(server: Server) -> None:
    rita = server.conninfo(Role.READ_ONLY)
    for statement in (
        "UPDATE contact SET last_name = 'x'",
        "DELETE FROM contact",
        "INSERT INTO contact (kind) VALUES ('person')",
        "UPDATE contact_email SET address = 'x@example.be'",
        "DELETE FROM contact_email",
        "DELETE FROM contact_phone",
        "INSERT INTO consent_event (purpose_id) VALUES (1)",
        "INSERT INTO suppression (hash_kind, digest, reason, created_at) "
        "VALUES ('email', 'x', 'x', now())",
    ):
        assert _attempt(rita, statement).startswith("refused"), statement


def test_an_appended_event_carries_the_callers_name_and_keeps_the_chain(
    server: Server,
) -> None:
    """A desk appends only through the server function, in its own name: asking for the
    owner's name still records the office user. The server's hash is the app's own
    (verify-audit holds), non-ASCII text included."""
    import psycopg
    from sqlalchemy.orm import Session

    from privacycrm_desktop.services.audit import verify_chain

    with psycopg.connect(server.conninfo(Role.OFFICE)) as desk:
        row = desk.execute(
            "SELECT event_id FROM pcrm_audit_append('owner', 'contact.view', 'contact', '1', "
            "'Zoë \"𝄞\" \\ \t', '2025-03-14T10:00:00.000000')"
        ).fetchone()
    assert row is not None
    assert _admin(server, "SELECT actor FROM audit_event WHERE id = :i", i=row[0]) == [
        (USERS[Role.OFFICE][0],)
    ]
    engine = create_engine_for(server.url)
    try:
        with Session(engine) as session:
            assert verify_chain(session) is None
    finally:
        engine.dispose()


def test_a_batch_appended_by_a_desk_carries_its_name_and_keeps_the_chain(
    server: Server,
) -> None:
    """``pcrm_audit_append_many`` (a batch of erasures): one call appends every event in
    order, in the caller's name whatever the desk passes, with the app's hashes, and the
    server's anchor names the last one."""
    import psycopg
    from sqlalchemy.orm import Session

    from privacycrm_desktop.services.audit import verify_chain

    with psycopg.connect(server.conninfo(Role.OFFICE)) as desk:
        rows = desk.execute(
            "SELECT event_id, event_hash FROM pcrm_audit_append_many('owner', "
            "ARRAY['contact.erase', 'contact.erase', 'contact.anonymise'], "
            "ARRAY['contact', 'contact', 'contact'], ARRAY['7', '8', '9'], "
            "ARRAY['reason=x', 'Zoë \"𝄞\" \\ \t', ''], '2025-03-14T10:00:00.000000')"
        ).fetchall()
    assert [r[0] for r in rows] == [rows[0][0], rows[0][0] + 1, rows[0][0] + 2]
    stored = _admin(
        server,
        "SELECT id, actor, entity_id, hash FROM audit_event WHERE id >= :i ORDER BY id",
        i=rows[0][0],
    )
    assert [(a, e) for _i, a, e, _h in stored] == [(USERS[Role.OFFICE][0], n) for n in "789"]
    assert [(i, h) for i, _a, _e, h in stored] == [tuple(r) for r in rows]
    head = _admin(server, "SELECT value FROM setting WHERE key = 'audit.head'")[0][0]
    assert head == f"{rows[-1][0]}:{rows[-1][1]}"
    engine = create_engine_for(server.url)
    try:
        with Session(engine) as session:
            assert verify_chain(session) is None
    finally:
        engine.dispose()


def test_the_app_works_for_every_role_over_its_own_login_role(server: Server) -> None:
    """Sign in (the server writes the bookkeeping), list, open, change the language; the
    roles that edit save a contact; the audit chain holds afterwards."""
    from sqlalchemy.orm import Session

    from privacycrm_desktop.domain.access import Permission, has_permission
    from privacycrm_desktop.domain.erasure import ErasureReason
    from privacycrm_desktop.services.audit import verify_chain
    from privacycrm_desktop.services.erasure_batch import erase_many

    clock = FixedClock(dt.datetime(2025, 3, 15, 9, 0))
    before = _newest_write(server)
    for role, (username, password) in USERS.items():
        engine = create_engine_for(roles.login_url(server.url, username, password))
        try:
            services = Services.build(engine, clock)
            actor = services.auth.login(username, password)
            assert actor.role is role
            assert services.contacts.count(actor) >= 1
            services.auth.set_language(actor, "nl")
            detail = services.contacts.get(actor, server.contact_id)
            if role in (Role.OFFICE, Role.READ_ONLY):
                assert (detail.notes, detail.birth_date) == ("", None)
            if role is not Role.READ_ONLY:
                made = services.contacts.create(
                    actor, ContactInput(first_name="Jan", last_name=f"Peeters{role.value}"), CARD
                )
                # and change it: the UPDATE leaves alone what the role may not change
                # (sales sees the birth date, the server refuses it an UPDATE of it).
                from privacycrm_desktop.domain.edit_conflicts import input_from

                # Tagged first: the change's trigger copies the city to the tag's link row.
                tag_id, added = services.tags.assign_named(actor, f"Desk {role.value}", [made])
                assert added == 1
                stored = services.contacts.get(actor, made)
                changed = dataclasses.replace(input_from(stored), city="Gent")
                services.contacts.update(actor, made, stored.version, changed, CARD)
                assert services.contacts.get(actor, made).city == "Gent"
                assert [r.city for r in services.contacts.page(actor, tag=tag_id)] == ["Gent"]
                assert services.tags.unassign(actor, tag_id, [made]) == 1
                # A task about the new person, ticked off over the role's own login role.
                task = services.tasks.add(actor, TaskDraft("Call", contact_id=made))
                assert services.tasks.set_done(actor, task).done
                assert services.my_day.my_day(actor).items == ()
                if has_permission(role, Permission.ERASE):
                    # A batch of erasures (the cleanup's path) as the desk's own login
                    # role: its audit events appended by the server, in one statement.
                    extra = services.contacts.create(
                        actor, ContactInput(first_name="Piet", last_name="Erased"), CARD
                    )
                    with services.uow(write=True) as uow:
                        erased = erase_many(
                            uow.session, actor, [made, extra], ErasureReason.OTHER, clock.now()
                        )
                    assert [e.contact_id for e in erased.erased] == [made, extra]
                    assert services.contacts.count(actor, f"Peeters{role.value}") == 0
            else:
                # Read-only staff read the tags the other desks made (each taken off again).
                tags = services.tags.list(actor)
                assert len(tags) == len(USERS) - 1
                assert all(t.contacts == 0 for t in tags)
        finally:
            engine.dispose()
    rows = _admin(
        server,
        "SELECT username, language, last_login_at FROM app_user ORDER BY username",
    )
    assert all(language == "nl" for _, language, _ in rows)
    assert all(at == dt.datetime(2025, 3, 15, 9, 0) for _, _, at in rows)
    engine = create_engine_for(server.url)
    try:
        with Session(engine) as session:
            assert verify_chain(session) is None
        actors = {
            str(a)
            for (a,) in _admin(server, "SELECT actor FROM audit_event WHERE at >= '2025-03-15'")
        }
        assert {u for u, _ in USERS.values()} <= actors
    finally:
        engine.dispose()
    # Every write the app made appended its audit event in the same transaction: the
    # server's write log has none without one.
    assert _newest_write(server) > before
    assert _unaudited_since(server, before) == []
    assert _outside_since(server, before) == []


#: What a merge does with plain SQL: desk roles may do none of it.
MERGE_ATTACKS = {
    "move a person's consent to another": "UPDATE consent_event SET contact_id = contact_id",
    "move a person's disclosures": "UPDATE disclosure SET contact_id = contact_id",
    "move a person's holds": "UPDATE retention_hold SET contact_id = contact_id",
    "read the copies kept by merges": "SELECT snapshot FROM contact_merge",
    "read the copies kept by company merges": "SELECT snapshot FROM company_merge",
    "move a company's tags": "UPDATE company_tag SET company_id = company_id",
    "redirect an id to another person": (
        "INSERT INTO contact_redirect (old_id, survivor_id, merge_id) VALUES (1, 1, 1)"
    ),
}


def test_only_owner_and_officer_merge_over_their_login_roles(server: Server) -> None:
    """The owner and the privacy officer merge two contacts and undo it through the app
    over their own login roles; the desk roles are refused by the app and, in plain SQL,
    by the server."""
    from privacycrm_desktop.domain.errors import PermissionDenied

    clock = FixedClock(dt.datetime(2025, 3, 15, 9, 0))
    for role, (username, password) in USERS.items():
        engine = create_engine_for(roles.login_url(server.url, username, password))
        try:
            services = Services.build(engine, clock)
            actor = services.auth.login(username, password)
            if role in (Role.OWNER, Role.PRIVACY_OFFICER):
                pair = [
                    services.contacts.create(
                        actor,
                        ContactInput(
                            first_name="Zoë", last_name=f"Merge{role.value}", postcode="9000"
                        ),
                        CARD,
                    )
                    for _ in range(2)
                ]
                assert [g.contact_ids for g in services.duplicates.find(actor)] != []
                done = services.merges.merge(actor, pair[0], [pair[1]])
                assert services.merges.resolve(pair[1]) == pair[0]
                services.merges.undo(actor, done.merge_id)
                assert services.contacts.get(actor, pair[1]).last_name == f"Merge{role.value}"
                firms = [
                    services.companies.add(
                        actor, CompanyInput(name=f"Merge {role.value}", postcode="9000"), CARD
                    )
                    for _ in range(2)
                ]
                services.tags.tag_company(actor, f"merge-{role.value}", firms[1])
                services.activities.add_to_company(
                    actor, firms[1], ActivityInput(ActivityKind.CALL, "Offer")
                )
                found = [g.company_ids for g in services.company_merges.find(actor)]
                assert tuple(firms) in found
                done = services.company_merges.merge(
                    actor, firms[0], [firms[1]], {"name": firms[1]}
                )
                assert services.company_merges.resolve(firms[1]) == firms[0]
                services.company_merges.undo(actor, done.merge_id)
                assert [t.name for t in services.companies.get(actor, firms[1]).tags] == [
                    f"merge-{role.value}"
                ]
                continue
            with pytest.raises(PermissionDenied):
                services.merges.merge(actor, server.contact_id, [server.contact_id + 1])
            allowed = {}
            for name, statement in MERGE_ATTACKS.items():
                result = _attempt(server.conninfo(role), statement)
                if not _unchanged(result):
                    allowed[name] = result
            assert not allowed, f"{role.value} may: {allowed}"
        finally:
            engine.dispose()


def _newest_write(server: Server) -> int:
    return int(_admin(server, "SELECT coalesce(max(id), 0) FROM server_write")[0][0])


def _unaudited_since(server: Server, after: int) -> list[tuple[object, ...]]:
    return _admin(
        server,
        "SELECT login_role, username, changes::text FROM server_write "
        "WHERE id > :after AND audit_events = 0 ORDER BY id",
        after=after,
    )


def _outside_since(server: Server, after: int) -> list[tuple[object, ...]]:
    """The writes from other clients than PrivacyCRM after row *after*."""
    return _admin(
        server,
        "SELECT login_role, username, changes::text FROM server_write "
        "WHERE id > :after AND client <> 'privacycrm' ORDER BY id",
        after=after,
    )


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_a_write_with_plain_sql_is_recorded_by_the_server_and_named_by_verify_audit(
    server: Server, role: Role
) -> None:
    """Every table the role may change (from the catalogue): an UPDATE with plain SQL is
    in the server's write log with the login role, the user, the table and the rows, no
    audit event beside it, and the audit check names it."""
    import json

    import psycopg

    from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
    from privacycrm_desktop.services.audit import AuditService

    login = server.login_role(role)
    writable = _admin(
        server,
        "SELECT c.relname, min(a.attname) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "WHERE c.relkind = 'r' AND has_column_privilege(:r, c.oid, a.attnum, 'UPDATE') "
        "AND has_column_privilege(:r, c.oid, a.attnum, 'SELECT') "
        "GROUP BY c.relname ORDER BY c.relname",
        r=login,
    )
    if role is Role.READ_ONLY:
        assert writable == [], "read-only staff change nothing"
    expected: dict[str, int] = {}
    before = _newest_write(server)
    with psycopg.connect(server.conninfo(role), autocommit=True) as desk:
        from psycopg import sql

        for table, column in writable:
            statement = sql.SQL("UPDATE {t} SET {c} = {c}").format(
                t=sql.Identifier(str(table)), c=sql.Identifier(str(column))
            )
            touched = desk.execute(statement).rowcount
            if touched:
                expected[str(table)] = touched
        if role is not Role.READ_ONLY:
            desk.execute(
                "INSERT INTO contact_phone (contact_id, number, position, source_id, "
                "recorded_at) SELECT contact_id, '+32470000999', 9, source_id, recorded_at "
                "FROM contact_email WHERE contact_id = %s LIMIT 1",
                (server.contact_id,),
            )
            desk.execute("DELETE FROM contact_phone WHERE number = '+32470000999'")
    assert role is Role.READ_ONLY or {"contact", "setting"} & set(expected)
    logged = [
        (str(who), str(user), json.loads(str(changes)))
        for who, user, changes in _outside_since(server, before)
    ]
    assert _unaudited_since(server, before) == _outside_since(server, before)
    username = USERS[role][0]
    wanted = [(login, username, {table: {"UPDATE": rows}}) for table, rows in expected.items()]
    if role is not Role.READ_ONLY:
        wanted += [
            (login, username, {"contact_phone": {"INSERT": 1}}),
            (login, username, {"contact_phone": {"DELETE": 1}}),
        ]
    assert logged == wanted
    engine = create_engine_for(server.url)
    try:
        check = AuditService(UnitOfWork(engine)).check()
    finally:
        engine.dispose()
    if wanted:  # (read-only staff change nothing; other tests' rows may be listed too)
        assert not check.ok
    assert check.outside_total >= len(wanted)
    lines = check.describe_outside(str)
    if wanted:
        assert any(
            username in line and "contact_phone: 1 removed" in line and "not PrivacyCRM" in line
            for line in lines
        )


def test_the_write_log_names_the_client_and_keeps_every_row(server: Server) -> None:
    """psql is named as the client; a script that calls itself PrivacyCRM is not reported
    as outside the app (a client names itself), but its row is in the log all the same."""
    import psycopg

    before = _newest_write(server)
    for name in ("psql", "privacycrm"):
        with psycopg.connect(
            server.conninfo(Role.OFFICE), application_name=name, autocommit=True
        ) as desk:
            desk.execute("UPDATE contact SET city = city WHERE id = %s", (server.contact_id,))
    rows = _admin(
        server,
        "SELECT client, changes::text, audit_events FROM server_write WHERE id > :b ORDER BY id",
        b=before,
    )
    assert rows == [
        ("psql", '{"contact": {"UPDATE": 1}}', 0),
        ("privacycrm", '{"contact": {"UPDATE": 1}}', 0),
    ]
    assert len(_outside_since(server, before)) == 1


def test_the_owner_marks_the_writes_outside_the_app_as_reviewed(
    server: Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the owner; the rows stay in the server's log, marked; the audit trail records
    who marked how many; verify-audit is then OK again."""
    import json

    import psycopg

    from privacycrm_desktop.cli import main

    with psycopg.connect(server.conninfo(Role.OFFICE), autocommit=True) as desk:
        desk.execute("UPDATE contact SET city = city WHERE id = %s", (server.contact_id,))
    for role in (Role.OFFICE, Role.PRIVACY_OFFICER, Role.SALES):
        refused = _attempt(
            server.conninfo(role), "SELECT pcrm_review_writes('x', 1000000, '2025-01-01')"
        )
        assert refused.startswith("refused"), role
    monkeypatch.setenv("LANG", "C.UTF-8")
    desk = ["--db", _desk_url(server.url), "--format", "json"]
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", USERS[Role.PRIVACY_OFFICER][1])
    user = USERS[Role.PRIVACY_OFFICER][0]
    assert main([*desk, "--user", user, "verify-audit", "--mark-reviewed"]) == 1
    assert "does not allow" in capsys.readouterr().err
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", OWNER_PASSWORD)
    assert main([*desk, "--user", OWNER, "verify-audit"]) == 1
    before = json.loads(capsys.readouterr().out)
    office = USERS[Role.OFFICE][0]
    assert any(w["user"] == office for w in before["outside_app_writes"])
    open_rows = before["outside_app_writes_total"]
    main([*desk, "--user", OWNER, "verify-audit", "--mark-reviewed"])
    after = json.loads(capsys.readouterr().out)
    assert after["marked_reviewed"] == open_rows
    assert (after["outside_app_writes"], after["outside_app_writes_total"]) == ([], 0)
    marked = _admin(
        server,
        "SELECT count(*) FROM server_write WHERE audit_events = 0 AND reviewed_by = :o",
        o=OWNER,
    )
    assert marked[0][0] >= open_rows
    events = _admin(
        server,
        "SELECT actor, detail FROM audit_event "
        "WHERE action = 'audit.outside_writes_reviewed' ORDER BY id DESC LIMIT 1",
    )
    assert events == [(OWNER, f"count={open_rows}")]


def test_the_servers_audit_text_matches_the_apps_for_every_character(server: Server) -> None:
    """The chain hash covers JSON text: the server's (``pcrm_json_text``) must equal Python's
    ``json.dumps`` for every ASCII character (DEL included) and characters beyond, or one
    event with such a character breaks the chain for good."""
    import json

    samples = [chr(c) for c in range(1, 128)]
    samples += ["é", "ß", "€", "\u2028", "\ufeff", "\uffff", "😀", "\U0010ffff", "Zoë\x7f"]
    rows = _admin(
        server,
        "SELECT x, pcrm_json_text(x) FROM unnest(CAST(:xs AS text[])) AS x",
        xs=samples,
    )
    wrong = {str(x): str(got) for x, got in rows if str(got) != json.dumps(str(x))}
    assert not wrong


def test_the_owners_server_functions_follow_the_audited_users_and_matrix(
    server: Server,
) -> None:
    """pcrm_manage_login only brings a login role in line with app_user (no other group, no
    password without an audited reset); pcrm_apply_grants only after an audited change of
    the matrix, and only what the stored matrix allows."""
    import psycopg

    owner = server.conninfo(Role.OWNER)
    read_only, office = USERS[Role.READ_ONLY][0], USERS[Role.OFFICE][0]
    with psycopg.connect(owner) as desk:
        desk.execute("SELECT pcrm_manage_login(%s, NULL, 'owner', true)", (read_only,))
        desk.commit()
    owner_group = roles.group_role(server.database, Role.OWNER)
    member = _admin(
        server,
        "SELECT pg_has_role(:login, :grp, 'MEMBER')",
        login=server.login_role(Role.READ_ONLY),
        grp=owner_group,
    )
    assert member == [(False,)]
    verifier = "SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2VydmVy"
    with psycopg.connect(owner) as desk, pytest.raises(psycopg.errors.InsufficientPrivilege):
        desk.execute("SELECT pcrm_manage_login(%s, %s, NULL, NULL)", (office, verifier))
    # nor after an audit event of one's own that looks like a reset
    office_id = _admin(server, "SELECT id FROM app_user WHERE username = :u", u=office)[0][0]
    with psycopg.connect(owner) as desk:
        desk.execute(
            "SELECT pcrm_audit_append('x', 'user.password_reset', 'app_user', %s, '', "
            "'2025-03-14T10:00:00.000000')",
            (str(office_id),),
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            desk.execute("SELECT pcrm_manage_login(%s, %s, NULL, NULL)", (office, verifier))
    widen = """[["office", "contact", "SELECT", null]]"""
    with psycopg.connect(owner) as desk:
        desk.execute(
            "SELECT pcrm_matrix_change('x', 'office', 'city', 'write', true, now()::timestamp)"
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            desk.execute("SELECT pcrm_apply_grants(CAST(%s AS jsonb))", (widen,))
    may_read_notes = _admin(
        server,
        "SELECT has_column_privilege(:login, 'contact', 'notes', 'SELECT')",
        login=server.login_role(Role.OFFICE),
    )
    assert may_read_notes == [(False,)]


def test_the_owner_cannot_take_over_a_role_whose_name_looks_like_a_login_role(
    server: Server,
) -> None:
    """Login roles are named "<database>_u_<user>": another database named "<db>_u_x" has
    roles like "<db>_u_x_system". Adding a user "x_system" here must not give that role a
    password or LOGIN."""
    import psycopg

    foreign = roles.login_role(server.database, "x_system")
    _admin_write(server, f'CREATE ROLE "{foreign}" NOLOGIN')
    try:
        with psycopg.connect(server.conninfo(Role.OWNER)) as desk:
            desk.execute(
                "SELECT pcrm_user_change('x', 'user.add', 'x_system', 'read_only', "
                "'$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA', 'en', now()::timestamp)"
            )
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                desk.execute(
                    "SELECT pcrm_manage_login('x_system', "
                    "'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2VydmVy', 'read_only', true)"
                )
        state = _admin(
            server,
            "SELECT rolcanlogin, rolpassword IS NULL FROM pg_authid WHERE rolname = :r",
            r=foreign,
        )
        assert state == [(False, True)]
    finally:
        _admin_write(server, f'DROP ROLE IF EXISTS "{foreign}"')


def test_no_sign_in_call_locks_an_account_for_long_or_opens_it_early(server: Server) -> None:
    """The sign-in role's password is public: a time far ahead neither locks an account for
    years nor ends a lock early."""
    import psycopg

    from privacycrm_desktop.persistence.postgres.sign_in_sql import (
        MAX_FAILED_LOGINS,
        SIGN_IN_PASSWORD,
    )

    _add_office_user(server, "vera", "vera-password-pass-7")
    own = make_url(server.url)
    sign_in = {
        "host": own.host,
        "port": own.port,
        "dbname": own.database,
        "user": roles.sign_in_role(server.database),
        "password": SIGN_IN_PASSWORD,
    }
    with psycopg.connect(**sign_in, autocommit=True) as conn:
        # a time far ahead, or none at all: the lock runs from the server's time
        for sent in ("9000-01-01", None):
            for _ in range(MAX_FAILED_LOGINS):
                conn.execute("SELECT pcrm_sign_in_failed('vera', %s)", (sent,))
            locked = _admin(
                server,
                "SELECT locked_until <= now() AT TIME ZONE 'UTC' + interval '16 minutes' "
                "FROM app_user WHERE username = 'vera'",
            )
            assert locked == [(True,)]
            opened = conn.execute("SELECT pcrm_sign_in_ready('vera', '9999-01-01')").fetchone()
            assert opened == (False,)


def test_a_large_object_of_a_desk_role_does_not_stop_the_backups(
    server: Server, tmp_path: Path
) -> None:
    import psycopg

    with psycopg.connect(server.conninfo(Role.READ_ONLY), autocommit=True) as desk:
        desk.execute("SELECT lo_from_bytea(0, 'x')")
    engine = create_engine_for(roles.login_url(server.url, OWNER, OWNER_PASSWORD))
    try:
        services = Services.build(engine, FixedClock(dt.datetime(2025, 3, 16, 10, 0)))
        owner = services.auth.login(OWNER, OWNER_PASSWORD)
        made = services.backup.create(owner, to=tmp_path)
        assert made.path.exists()
    finally:
        engine.dispose()


def test_a_backup_made_at_a_desk_does_not_hold_the_backup_key(
    server: Server, tmp_path: Path
) -> None:
    """Whoever reads a plain server backup must not get the key that seals backups (they
    could forge one); the suppression key and the identity stay in it."""
    import subprocess

    from privacycrm_desktop.persistence import pg_dump

    engine = create_engine_for(roles.login_url(server.url, OWNER, OWNER_PASSWORD))
    try:
        services = Services.build(engine, FixedClock(dt.datetime(2025, 3, 16, 11, 0)))
        owner = services.auth.login(OWNER, OWNER_PASSWORD)
        services.backup.create(owner, to=tmp_path)  # the key exists from now on
        dest = tmp_path / "plain.dump"
        pg_dump.dump(engine, dest)
    finally:
        engine.dispose()
    assert _admin(server, "SELECT count(*) FROM setting WHERE key = 'backup.auth_key'") == [(1,)]
    restore = pg_dump.find_tools().restore
    settings = subprocess.run(
        [str(restore), "--data-only", "--table=setting", "-f", "-", str(dest)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "suppression.salt" in settings
    assert "database.id" in settings
    assert "backup.auth_key" not in settings


def test_a_deferred_sign_in_is_written_through_the_server(server: Server) -> None:
    """Another transaction holds the audit turn at sign-in: the sign-in's bookkeeping and
    event wait for the next write, which runs as the user's own role and must go through
    pcrm_signed_in (a desk role may not UPDATE app_user)."""
    from privacycrm_desktop.persistence.dialect import AUDIT_LOCK_KEY

    username, password = USERS[Role.OFFICE]
    blocker = create_engine_for(server.url)
    engine = create_engine_for(roles.login_url(server.url, username, password))
    try:
        services = Services.build(engine, FixedClock(dt.datetime(2025, 3, 17, 8, 0)))
        with blocker.connect() as held:
            held.execute(text("SELECT pg_advisory_lock(:k)"), {"k": AUDIT_LOCK_KEY})
            actor = services.auth.login(username, password)
            held.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": AUDIT_LOCK_KEY})
        services.contacts.create(actor, ContactInput(last_name="Deferred"), CARD)
    finally:
        engine.dispose()
        blocker.dispose()
    events = _admin(
        server,
        "SELECT actor, detail FROM audit_event WHERE action = 'user.login' "
        "AND at LIKE '2025-03-17%'",
    )
    assert events == [(username, "deferred=1")]


def test_two_owners_cannot_each_remove_the_other_at_once() -> None:
    """The last active owner stays one even when two owners act at the same moment."""
    import threading

    import psycopg

    clock = FixedClock(dt.datetime(2025, 3, 14, 10, 0))
    url = pg_support.new_database()
    engine = create_engine_for(url)
    try:
        services = Services.build(engine, clock)
        services.setup.initialise(COMPANY, OWNER, OWNER_PASSWORD)
        owner = services.auth.login(OWNER, OWNER_PASSWORD)
        services.auth.add_user(owner, "olivia", "olivia-password-pass-8", Role.OWNER)
        database = make_url(url).database or ""
        first = Server(url, database, 0)

        call = (
            "SELECT pcrm_user_change('x', 'user.deactivate', %s, NULL, NULL, NULL, "
            "now()::timestamp)"
        )
        outcome: list[str] = []
        with psycopg.connect(first.user_conninfo(OWNER, OWNER_PASSWORD)) as one:
            one.execute(call, ("olivia",))

            def other() -> None:
                try:
                    with psycopg.connect(
                        first.user_conninfo("olivia", "olivia-password-pass-8")
                    ) as two:
                        two.execute(call, (OWNER,))
                        two.commit()
                        outcome.append("done")
                except psycopg.Error as exc:
                    outcome.append(type(exc).__name__)

            thread = threading.Thread(target=other)
            thread.start()
            thread.join(1.0)
            assert thread.is_alive()  # waiting for the first owner's transaction
            one.commit()
        thread.join(10)
        assert outcome == ["InsufficientPrivilege"]
        active = _admin(first, "SELECT count(*) FROM app_user WHERE role = 'owner' AND active")
        assert active == [(1,)]
    finally:
        engine.dispose()
        pg_support.drop_database(url)


def test_the_owner_changes_users_and_the_matrix_only_through_the_server(server: Server) -> None:
    """With plain SQL the owner may do what the app lets them, through the functions: each
    keeps the app's rules (the last owner stays owner, nobody deactivates themselves, only
    argon2id hashes) and appends its audit event in the caller's own name."""
    import psycopg

    owner = server.conninfo(Role.OWNER)
    with psycopg.connect(owner) as desk:
        desk.execute(
            "SELECT pcrm_user_change('someone else', 'user.add', 'quentin', 'office', "
            "'$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA', 'nl', now()::timestamp)"
        )
        desk.commit()
    events = _admin(
        server,
        "SELECT actor, action, detail FROM audit_event ORDER BY id DESC LIMIT 1",
    )
    assert events == [(OWNER, "user.add", "role=office")]
    for statement, error in (
        # the last active owner: not another role, not deactivated (and not by themselves)
        (
            f"SELECT pcrm_user_change('x', 'user.role', '{OWNER}', 'office', NULL, NULL, "
            "now()::timestamp)",
            psycopg.errors.InsufficientPrivilege,
        ),
        (
            f"SELECT pcrm_user_change('x', 'user.deactivate', '{OWNER}', NULL, NULL, NULL, "
            "now()::timestamp)",
            psycopg.errors.InsufficientPrivilege,
        ),
        (
            "SELECT pcrm_user_change('x', 'user.password_reset', 'quentin', NULL, 'plain', "
            "NULL, now()::timestamp)",
            psycopg.errors.InvalidParameterValue,
        ),
        (
            "SELECT pcrm_user_change('x', 'user.role', 'quentin', 'superuser', NULL, NULL, "
            "now()::timestamp)",
            psycopg.errors.InvalidParameterValue,
        ),
        (
            "SELECT pcrm_matrix_change('x', 'office', 'notes', 'everything', false, "
            "now()::timestamp)",
            psycopg.errors.InvalidParameterValue,
        ),
        # a control character in a user name (an escape sequence in every listing)
        (
            "SELECT pcrm_user_change('x', 'user.add', E'ctl\\x1b[31m', 'office', "
            "'$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA', 'en', now()::timestamp)",
            psycopg.errors.InvalidParameterValue,
        ),
    ):
        with psycopg.connect(owner) as desk, pytest.raises(error):
            desk.execute(statement)
    with psycopg.connect(owner) as desk:
        desk.execute(
            "SELECT pcrm_user_change('x', 'user.deactivate', 'quentin', NULL, NULL, NULL, "
            "now()::timestamp)"
        )
        desk.commit()
    assert _admin(server, "SELECT active FROM app_user WHERE username = 'quentin'") == [(False,)]
    assert _admin(server, "SELECT actor, action FROM audit_event ORDER BY id DESC LIMIT 1") == [
        (OWNER, "user.deactivate")
    ]


def _desk_url(url: str) -> str:
    """The URL a desk is configured with: host and database, no user, no password."""
    return (
        make_url(url)._replace(username=None, password=None).render_as_string(hide_password=False)
    )


def test_refused_sign_ins_lock_the_account_on_the_server(
    server: Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ten wrong passwords through the CLI of a desk that signs in as the person's own
    role: counted by the server as on SQLite; then the login role cannot connect, not
    even with the right password and plain psycopg; once the lock is over it can."""
    import psycopg

    from privacycrm_desktop.cli import main
    from privacycrm_desktop.persistence.postgres.sign_in_sql import MAX_FAILED_LOGINS

    _add_office_user(server, "lou", "lou-password-pass-6")
    lou = make_url(roles.login_url(server.url, "lou", "lou-password-pass-6"))
    from psycopg.conninfo import make_conninfo

    conninfo = make_conninfo(
        host=lou.host,
        port=lou.port,
        dbname=lou.database,
        user=lou.username,
        password="lou-password-pass-6",
    )
    monkeypatch.setenv("LANG", "C.UTF-8")
    argv = ["--db", _desk_url(server.url), "--user", "lou", "contacts", "list"]
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", "not-lous-password-1")
    for attempt in range(1, MAX_FAILED_LOGINS):
        assert main(argv) == 1
        counted = _admin(server, "SELECT failed_logins FROM app_user WHERE username = 'lou'")
        assert counted == [(attempt,)]
    assert main(argv) == 1
    capsys.readouterr()
    state = _admin(
        server,
        "SELECT u.failed_logins, u.locked_until IS NOT NULL, r.rolcanlogin FROM app_user u "
        "JOIN pg_roles r ON r.rolname = :r WHERE u.username = 'lou'",
        r=lou.username,
    )
    assert state == [(0, True, False)]
    assert "user.locked" in {str(a) for (a,) in _admin(server, "SELECT action FROM audit_event")}
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(conninfo).close()
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", "lou-password-pass-6")
    assert main(argv) == 1
    assert "Sign-in failed" in capsys.readouterr().err
    # The lock period is over: the next sign-in opens the login role again.
    _admin_write(
        server,
        "UPDATE app_user SET locked_until = now() AT TIME ZONE 'UTC' - interval '1 minute' "
        "WHERE username = 'lou'",
    )
    assert main(argv) == 0, capsys.readouterr().err
    psycopg.connect(conninfo).close()


def test_refused_sign_ins_through_the_configured_connection_lock_the_login_role(
    server: Server,
) -> None:
    """The configured (administrator's) connection counts wrong passwords too; at the
    limit the person's login role is locked on the server as well."""
    from privacycrm_desktop.domain.errors import AuthenticationFailed
    from privacycrm_desktop.persistence.postgres.sign_in_sql import MAX_FAILED_LOGINS

    engine = create_engine_for(server.url)
    try:
        services = Services.build(engine, FixedClock(dt.datetime(2025, 3, 14, 10, 0)))
        owner = services.auth.login(OWNER, OWNER_PASSWORD)
        services.auth.add_user(owner, "max", "max-password-pass-7", Role.SALES)
        for _ in range(MAX_FAILED_LOGINS):
            with pytest.raises(AuthenticationFailed):
                services.auth.login("max", "not-maxs-password-2")
        with pytest.raises(AuthenticationFailed):
            services.auth.login("max", "max-password-pass-7")
        login = roles.login_role(server.database, "max")
        assert _admin(server, "SELECT rolcanlogin FROM pg_roles WHERE rolname = :r", r=login) == [
            (False,)
        ]
    finally:
        engine.dispose()


def _admin_write(server: Server, statement: str, **params: object) -> None:
    engine = create_engine_for(server.url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


def test_an_existing_database_gets_the_new_grants_when_the_app_starts(server: Server) -> None:
    """A database whose server roles were set up by an earlier version (here: the first
    version's grants put back by hand) is brought up to date by the next start through the
    administrator's connection, even when its schema needs no migration."""
    from privacycrm_desktop.persistence.migrate import migrate

    office = roles.group_role(server.database, Role.OFFICE)
    _admin_write(
        server,
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON app_user, audit_event, suppression TO "{office}"',
    )
    _admin_write(server, "COMMENT ON TABLE pcrm_grant_policy IS 'an older version'")
    attack = "UPDATE app_user SET role = 'owner' WHERE username = 'olga'"
    assert not _unchanged(_attempt(server.conninfo(Role.OFFICE), attack))
    # A desk's own role starting the app changes nothing (it may not) and fails nothing.
    desk = create_engine_for(roles.login_url(server.url, *USERS[Role.OFFICE]))
    try:
        assert not migrate(desk)
    finally:
        desk.dispose()
    assert not _unchanged(_attempt(server.conninfo(Role.OFFICE), attack))
    engine = create_engine_for(server.url)
    try:
        assert migrate(engine)
        with engine.connect() as conn:
            assert not grants.needs_upgrade(conn)
    finally:
        engine.dispose()
    assert _attempt(server.conninfo(Role.OFFICE), attack).startswith("refused")
    assert _attempt(server.conninfo(Role.OFFICE), "DELETE FROM suppression").startswith("refused")


def _server_log(admin: str) -> str:
    """The log file ``tools/pg-test-server.sh`` starts the server with: ``server.log``
    beside the server's data folder."""
    import os

    import psycopg

    with psycopg.connect(admin) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    return os.path.join(os.path.dirname(str(row[0])), "server.log")


def test_no_password_reaches_the_server_log(server: Server) -> None:
    """Last in this module: after the users were added, had their roles changed and
    signed in, no password of theirs is in the server's log, which logs every statement.
    The app sends SCRAM verifiers computed on the desk (``logins.scram_verifier``)."""
    import os

    admin = pg_support.require_server()
    setting = _admin(server, "SELECT current_setting('log_statement')")[0][0]
    if setting != "all":
        message = "the test server does not log every statement (tools/pg-test-server.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # One more password change and role change, as the owner's desk does them.
    engine = create_engine_for(roles.login_url(server.url, OWNER, OWNER_PASSWORD))
    try:
        services = Services.build(engine, FixedClock(dt.datetime(2025, 3, 16, 9, 0)))
        owner = services.auth.login(OWNER, OWNER_PASSWORD)
        services.auth.reset_password(owner, "rita", "read-only-password-5")
        services.auth.change_role(owner, "rita", Role.OFFICE)
    finally:
        engine.dispose()
    path = _server_log(admin)
    with open(path, encoding="utf-8", errors="replace") as log:
        content = log.read()
    assert server.database in content  # the right log, and it holds this module's work
    assert "SCRAM-SHA-256$4096:" in content  # the verifiers did travel
    passwords = [p for _, p in USERS.values()] + ["read-only-password-5"]
    leaked = [p for p in passwords if p in content]
    assert not leaked, f"passwords in {path}: {leaked}"


def test_an_import_by_sales_skips_the_suppressed_through_the_servers_hashing(
    server: Server,
) -> None:
    """Sales may not read the key; the import asks the server for each row's digests and
    still skips an erased person and an objection (the file of the import tests)."""
    from pathlib import Path

    from privacycrm_desktop.domain.import_formats import DuplicatePolicy, SkipReason
    from privacycrm_desktop.domain.suppression import (
        HashKind,
        SuppressionReason,
        suppression_digest,
    )
    from privacycrm_desktop.services.imports import ImportPlan

    key = str(_admin(server, "SELECT value FROM setting WHERE key = 'suppression.salt'")[0][0])
    for kind, value, reason in (
        (HashKind.EMAIL, "Jan.Peeters@example.be", SuppressionReason.ERASURE),
        (HashKind.NAME_POSTCODE, "Zoe Lefevre|4000", SuppressionReason.OBJECTION),
    ):
        _admin_write(
            server,
            "INSERT INTO suppression (hash_kind, digest, reason, created_at) "
            "VALUES (:k, :d, :r, now()) ON CONFLICT DO NOTHING",
            k=kind.value,
            d=suppression_digest(key, kind, value),
            r=reason.value,
        )
    path = Path(__file__).parents[1] / "data" / "import" / "outlook_en.csv"
    username, password = USERS[Role.SALES]
    engine = create_engine_for(roles.login_url(server.url, username, password))
    try:
        services = Services.build(engine, FixedClock(dt.datetime(2025, 3, 15, 9, 0)))
        sales = services.auth.login(username, password)
        preview = services.imports.preview(sales, path)
        plan = ImportPlan(
            path=path,
            shape=preview.shape,
            # Sales may read the birth date, not fill it in: that column is left out.
            mapping=tuple(
                None if t is not None and "birth" in str(t.field) else t for t in preview.mapping
            ),
            source=CARD,
            purpose_code="customer_relationship",
            legal_basis="contract",
            duplicates=DuplicatePolicy.SKIP,
        )
        result = services.imports.run(sales, plan)
    finally:
        engine.dispose()
    assert result.skipped == {SkipReason.ERASED: 1, SkipReason.OBJECTED: 1}
