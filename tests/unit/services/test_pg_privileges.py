"""The field-restriction canary against the PostgreSQL server itself.

Not only the app hides what a role may not see: connected directly with plain psycopg as
the office user's own login role, the server refuses the hidden columns and tables, and
its grants follow the owner's changes to the matrix. Then the office user's app path
(sign in with their own role, list, search, open, save) works on the same server.
PostgreSQL only: skipped without ``PRIVACYCRM_TEST_PG_ADMIN``, a failure in CI.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

import pg_support
from conftest import COMPANY, OWNER, OWNER_PASSWORD
from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.errors import AuthenticationFailed, DomainError
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.suppression import PersonPoints
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.postgres import roles
from privacycrm_desktop.services import passwords
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.server_roles import for_user

OFFICE, OFFICE_PASSWORD = "olga", "office-password-1"
CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 20))
ZOE = ContactInput(
    first_name="Zoë",
    last_name="Qcanarylast",
    emails=("zoe@example.be",),
    phones=("0475 12 34 56",),
    city="Liège",
    birth_date=dt.date(1931, 7, 13),
    notes="Qnotescanary secret",
    relationship=Relationship.CUSTOMER,
)


@dataclass
class Server:
    """One PostgreSQL database set up by its owner, with the server enforcing the matrix."""

    url: str
    services: Services
    owner: Actor
    contact_id: int


def _set_up_server(url: str, clock: FixedClock) -> tuple[Actor, int]:
    engine = create_engine_for(url)
    services = Services.build(engine, clock)
    try:
        services.setup.initialise(COMPANY, OWNER, OWNER_PASSWORD)
        owner = services.auth.login(OWNER, OWNER_PASSWORD)
        services.auth.enable_server_roles(owner, OWNER_PASSWORD)
        services.auth.add_user(owner, OFFICE, OFFICE_PASSWORD, Role.OFFICE)
        return owner, services.contacts.create(owner, ZOE, CARD)
    finally:
        engine.dispose()


@pytest.fixture
def server(clock: FixedClock) -> Iterator[Server]:
    """Set up once per test process and copied for each test (tests/pg_support.py)."""
    key = ("a server with an office user", clock.now(), passwords.MEMORY_KIB, passwords.TIME_COST)
    url, (owner, contact_id) = pg_support.initialised_database(
        key, lambda url: _set_up_server(url, clock)
    )
    engine = create_engine_for(url)
    try:
        yield Server(url, Services.build(engine, clock), owner, contact_id)
    finally:
        engine.dispose()
        pg_support.release(url)


def _drop_roles(url: str) -> None:
    admin = pg_support.admin_url()
    assert admin is not None
    engine = create_engine_for(admin)
    with engine.begin() as conn:
        roles.drop_roles(conn, make_url(url).database or "")
    engine.dispose()


def _psycopg_url(url: str, username: str, password: str) -> str:
    """libpq connection parameters for *username*'s own login role."""
    from psycopg.conninfo import make_conninfo
    from sqlalchemy.engine import make_url

    own = make_url(roles.login_url(url, username, password))
    return make_conninfo(
        host=own.host, port=own.port, dbname=own.database, user=own.username, password=password
    )


def _refused(conninfo: str, statement: str) -> bool:
    """True when the server refuses *statement* for lack of privilege."""
    import psycopg

    with psycopg.connect(conninfo) as conn:
        try:
            conn.execute(statement)
        except psycopg.errors.InsufficientPrivilege:
            return True
    return False


def _rows(conninfo: str, statement: str) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(conninfo) as conn:
        return list(conn.execute(statement))


def test_the_office_role_cannot_read_hidden_columns_with_plain_sql(server: Server) -> None:
    office = _psycopg_url(server.url, OFFICE, OFFICE_PASSWORD)
    for statement in (
        "SELECT notes FROM contact",
        "SELECT birth_date FROM contact",
        "SELECT * FROM contact",
        "SELECT * FROM special_category_datum",
        "SELECT count(*) FROM special_category_datum",
        "UPDATE contact SET notes = 'x'",
        "SELECT * FROM audit_event",
    ):
        assert _refused(office, statement), statement
    # What the office sees stays readable, straight from the server.
    assert _rows(office, "SELECT last_name, city, primary_phone, version FROM contact") == [
        ("Qcanarylast", "Liège", "+32475123456", 1)
    ]
    assert _rows(office, "SELECT address FROM contact_email") == [("zoe@example.be",)]
    # The owner's own login role reads everything.
    owner = _psycopg_url(server.url, OWNER, OWNER_PASSWORD)
    assert _rows(owner, "SELECT notes, birth_date FROM contact") == [
        ("Qnotescanary secret", dt.date(1931, 7, 13))
    ]


def test_a_wrong_password_or_a_deactivated_user_cannot_connect(server: Server) -> None:
    import psycopg

    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(_psycopg_url(server.url, OFFICE, "not-the-password-9")).close()
    server.services.auth.deactivate_user(server.owner, OFFICE)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(_psycopg_url(server.url, OFFICE, OFFICE_PASSWORD)).close()
    server.services.auth.reactivate_user(server.owner, OFFICE)
    server.services.auth.reset_password(server.owner, OFFICE, "a-new-password-22")
    new = _psycopg_url(server.url, OFFICE, "a-new-password-22")
    # Barred until sign-ins begun with the old password are over (pcrm_bar_login).
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        psycopg.connect(new).close()
    pg_support.end_login_bar(server.url, OFFICE)
    assert _rows(new, "SELECT last_name FROM contact") == [("Qcanarylast",)]


def test_the_grants_follow_the_owners_matrix(server: Server) -> None:
    office = _psycopg_url(server.url, OFFICE, OFFICE_PASSWORD)
    access = server.services.access
    access.set_field_access(server.owner, Role.OFFICE, "notes", FieldAccess.READ)
    access.set_field_access(server.owner, Role.OFFICE, "city", FieldAccess.HIDDEN)
    access.set_field_access(server.owner, Role.OFFICE, "special_categories", FieldAccess.READ)
    assert _rows(office, "SELECT notes FROM contact") == [("Qnotescanary secret",)]
    # An ordinary field hidden by the owner is withheld by the app (the list needs it).
    assert _rows(office, "SELECT city FROM contact") == [("Liège",)]
    assert _refused(office, "SELECT birth_date FROM contact")
    assert _rows(office, "SELECT count(*) FROM special_category_datum") == [(0,)]
    # Masked stays readable (the app masks); back to the default hides it again.
    access.set_field_access(server.owner, Role.OFFICE, "notes", FieldAccess.MASKED)
    assert _rows(office, "SELECT notes FROM contact") == [("Qnotescanary secret",)]
    access.set_field_access(server.owner, Role.OFFICE, "notes", FieldAccess.HIDDEN)
    assert _refused(office, "SELECT notes FROM contact")
    # A new role for the user moves the login role to the other group.
    server.services.auth.change_role(server.owner, OFFICE, Role.PRIVACY_OFFICER)
    assert _rows(office, "SELECT notes, birth_date FROM contact") == [
        ("Qnotescanary secret", dt.date(1931, 7, 13))
    ]


def test_the_read_only_role_is_refused_restricted_fields(server: Server) -> None:
    server.services.auth.add_user(server.owner, "rita", "read-only-pass-3", Role.READ_ONLY)
    rita = _psycopg_url(server.url, "rita", "read-only-pass-3")
    assert _refused(rita, "SELECT notes FROM contact")
    assert _refused(rita, "SELECT birth_date FROM contact")
    assert _refused(rita, "SELECT * FROM special_category_datum")
    assert _rows(rita, "SELECT primary_phone FROM contact") == [("+32475123456",)]


def test_the_office_user_works_through_the_app_with_their_own_role(
    server: Server, clock: FixedClock
) -> None:
    engine = create_engine_for(roles.login_url(server.url, OFFICE, OFFICE_PASSWORD))
    try:
        services = Services.build(engine, clock)
        office = services.auth.login(OFFICE, OFFICE_PASSWORD)
        assert services.contacts.count(office) == 1
        assert [r.name for r in services.contacts.page(office)] == ["Qcanarylast, Zoë"]
        assert [r.id for r in services.contacts.page(office, query="liege")] == [server.contact_id]
        detail = services.contacts.get(office, server.contact_id)
        assert (detail.notes, detail.birth_date, detail.city) == ("", None, "Liège")
        services.contacts.update(
            office,
            server.contact_id,
            detail.version,
            replace(ZOE, city="Namur", notes="", birth_date=None),
            CARD,
        )
        new_id = services.contacts.create(
            office, ContactInput(first_name="Jan", last_name="Peeters"), CARD
        )
        assert services.contacts.get(office, new_id).last_name == "Peeters"
    finally:
        engine.dispose()
    # The owner still sees the notes the office user could neither read nor overwrite.
    stored = server.services.contacts.get(server.owner, server.contact_id)
    assert (stored.city, stored.notes) == ("Namur", "Qnotescanary secret")
    assert stored.birth_date == dt.date(1931, 7, 13)


def test_for_user_continues_the_services_as_the_users_own_role(
    server: Server, clock: FixedClock
) -> None:
    services = Services.build(create_engine_for(server.url), clock)
    contacts = services.contacts  # built before the switch: it follows too
    office = services.auth.login(OFFICE, OFFICE_PASSWORD)
    with pytest.raises(AuthenticationFailed):
        for_user(services, office, "not-the-password-9")
    admin = for_user(services, office, OFFICE_PASSWORD)
    try:
        assert admin is not None
        with services.uow.engine.connect() as conn:
            current = conn.execute(text("SELECT current_user")).scalar_one()
        assert current == roles.login_role(make_url(server.url).database or "", OFFICE)
        assert contacts.get(office, server.contact_id).notes == ""
        # Already the user's own role: nothing to switch.
        assert for_user(services, office, OFFICE_PASSWORD) is None
    finally:
        services.uow.engine.dispose()
        if admin is not None:
            admin.dispose()


def test_the_cli_works_as_the_users_own_role(
    server: Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from privacycrm_desktop.cli import main

    monkeypatch.setenv("PRIVACYCRM_PASSWORD", OFFICE_PASSWORD)
    monkeypatch.setenv("LANG", "C.UTF-8")
    argv = ["--db", server.url, "--user", OFFICE, "contacts", "show", str(server.contact_id)]
    code = main([*argv, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Qcanarylast" in out
    assert "Qnotescanary" not in out
    assert "1931" not in out
    # It really reads as the user's own role: what the server refuses it, the CLI cannot show.
    database = make_url(server.url).database or ""
    with server.services.uow.engine.begin() as conn:
        office_group = roles.group_role(database, Role.OFFICE)
        conn.execute(text(f'REVOKE SELECT ON contact_email FROM "{office_group}"'))
    assert main([*argv, "--format", "json"]) != 0
    capsys.readouterr()


def test_the_owner_administers_from_their_own_role(server: Server, clock: FixedClock) -> None:
    services = Services.build(create_engine_for(server.url), clock)
    owner = services.auth.login(OWNER, OWNER_PASSWORD)
    admin = for_user(services, owner, OWNER_PASSWORD)
    try:
        assert admin is not None
        services.auth.add_user(owner, "sam", "sales-password-4", Role.SALES)
        services.access.set_field_access(owner, Role.SALES, "notes", FieldAccess.HIDDEN)
        sam = _psycopg_url(server.url, "sam", "sales-password-4")
        assert _refused(sam, "SELECT notes FROM contact")
        services.access.set_field_access(owner, Role.SALES, "notes", FieldAccess.WRITE)
        assert _rows(sam, "SELECT notes FROM contact") == [("Qnotescanary secret",)]
        services.auth.deactivate_user(owner, "sam")
        assert _refused_login(sam)
    finally:
        services.uow.engine.dispose()
        if admin is not None:
            admin.dispose()


def _refused_login(conninfo: str) -> bool:
    import psycopg

    try:
        psycopg.connect(conninfo).close()
    except psycopg.OperationalError:
        return True
    return False


def test_server_roles_are_on_from_the_set_up_and_the_cli_applies_them_again(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from privacycrm_desktop.cli import main

    url = pg_support.new_database()
    engine = create_engine_for(url)
    try:
        services = Services.build(engine, clock)
        services.setup.initialise(COMPANY, OWNER, OWNER_PASSWORD)
        # The set-up ran as the administrator, who may create roles: enforced from the start.
        assert services.auth.server_roles_enabled()
        monkeypatch.setenv("PRIVACYCRM_PASSWORD", OWNER_PASSWORD)
        monkeypatch.setenv("LANG", "C.UTF-8")
        argv = ["--db", url, "--user", OWNER, "user", "server-roles", "--format", "json"]
        assert main(argv) == 0, capsys.readouterr().err
        assert '"server_roles": true' in capsys.readouterr().out
        assert services.auth.server_roles_enabled()
        owner = _psycopg_url(url, OWNER, OWNER_PASSWORD)
        assert _rows(owner, "SELECT count(*) FROM contact") == [(0,)]
        # A wrong password turns nothing on (and says why in one line).
        monkeypatch.setenv("PRIVACYCRM_PASSWORD", "not-the-password-9")
        assert main(argv) != 0
        assert "Sign-in failed" in capsys.readouterr().err
    finally:
        engine.dispose()
        pg_support.drop_database(url)
        _drop_roles(url)


@pytest.mark.sqlite_only
def test_server_roles_need_postgresql(svc: Services, owner: Actor) -> None:
    with pytest.raises(DomainError, match="PostgreSQL"):
        svc.auth.enable_server_roles(owner, OWNER_PASSWORD)
    assert not svc.auth.server_roles_enabled()


def test_an_ordinary_field_hidden_by_the_owner_keeps_the_list_working(
    server: Server, clock: FixedClock
) -> None:
    """Hiding a list column (city) from a role: the app withholds it, the list still works
    as the user's own role, and the restricted fields stay refused by the server."""
    server.services.access.set_field_access(server.owner, Role.OFFICE, "city", FieldAccess.HIDDEN)
    engine = create_engine_for(roles.login_url(server.url, OFFICE, OFFICE_PASSWORD))
    try:
        services = Services.build(engine, clock)
        office = services.auth.login(OFFICE, OFFICE_PASSWORD)
        rows = services.contacts.page(office)
        assert [(r.id, r.city) for r in rows] == [(server.contact_id, "")]
        assert services.contacts.count(office, "liege") == 0  # not searchable by city either
        detail = services.contacts.get(office, server.contact_id)
        assert (detail.last_name, detail.city, detail.notes) == ("Qcanarylast", "", "")
        with engine.connect() as conn, pytest.raises(Exception, match="permission denied"):
            conn.execute(text("SELECT notes FROM contact"))
    finally:
        engine.dispose()


def test_a_migration_reapplies_the_grants(server: Server) -> None:
    from alembic import command

    from privacycrm_desktop.persistence.migrate import alembic_config, migrate

    engine = server.services.uow.engine
    database = make_url(server.url).database or ""
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0005_import_batches")
        # As if the migration had re-created the table: its grants are gone.
        office_group = roles.group_role(database, Role.OFFICE)
        conn.execute(text(f'REVOKE ALL ON contact FROM "{office_group}"'))
    office = _psycopg_url(server.url, OFFICE, OFFICE_PASSWORD)
    assert _refused(office, "SELECT last_name FROM contact")
    assert migrate(engine)
    assert _rows(office, "SELECT last_name FROM contact") == [("Qcanarylast",)]
    assert _refused(office, "SELECT notes FROM contact")


def _desk_url(url: str) -> str:
    """The URL a desk is configured with: host and database, no user, no password."""
    desk = make_url(url)._replace(username=None, password=None)
    assert desk.username is None
    return desk.render_as_string(hide_password=False)


def test_a_desk_without_credentials_signs_in_as_the_persons_own_role(
    server: Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The desk's URL names no user: the CLI connects as the person's own role from the
    start, so the desk holds no credential that could read more than the person may."""
    from privacycrm_desktop.cli import main

    desk = _desk_url(server.url)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", OFFICE_PASSWORD)
    show = ["--db", desk, "--user", OFFICE, "contacts", "show", str(server.contact_id)]
    assert main([*show, "--format", "json"]) == 0
    shown = capsys.readouterr().out
    assert "Qcanarylast" in shown
    assert "Qnotescanary" not in shown
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", "not-her-password-1")
    assert main(show) == 1
    assert "Sign-in failed" in capsys.readouterr().err


def test_the_app_signs_in_straight_to_the_persons_own_role(server: Server) -> None:
    from privacycrm_desktop.app import OwnRoleSignIn

    door = OwnRoleSignIn(_desk_url(server.url))
    with pytest.raises(AuthenticationFailed):
        door.login(OFFICE, "not-her-password-1")
    assert door.services is None
    actor = door.login(OFFICE, OFFICE_PASSWORD)
    assert door.services is not None
    try:
        with door.services.uow.engine.connect() as conn:
            role = conn.execute(text("SELECT current_user")).scalar_one()
        assert role == roles.login_role(make_url(server.url).database or "", OFFICE)
        detail = door.services.contacts.get(actor, server.contact_id)
        assert detail.notes == ""
        assert detail.last_name == "Qcanarylast"
    finally:
        door.services.uow.engine.dispose()


def test_a_sales_user_builds_a_marketing_list_with_the_digests_the_server_makes(
    server: Server, clock: FixedClock
) -> None:
    # The suppression key is hidden from a desk role: the server hashes the points the
    # list stores (contact_digest), and the user's trigger forgets them on an edit.
    owner_services, owner = server.services, server.owner
    owner_services.auth.add_user(owner, "sam", "sales-password-1", Role.SALES)
    people = [
        owner_services.contacts.create(
            owner, ContactInput(first_name=name, last_name="Test", emails=(email,)), CARD
        )
        for name, email in (("Ann", "ann@x.be"), ("Bert", "bert@x.be"))
    ]
    for contact_id in people:
        owner_services.consent.record(
            owner,
            ConsentInput(
                contact_id,
                "direct_marketing_consent",
                Channel.EMAIL,
                ConsentStatus.OPT_IN,
                ConsentMethod.FORM_BOX_TICKED,
                "ref",
                opt_out_offered=True,
            ),
        )
    owner_services.consent.unsubscribe(owner, people[1])
    engine = create_engine_for(roles.login_url(server.url, "sam", "sales-password-1"))
    try:
        services = Services.build(engine, clock)
        sales = services.auth.login("sam", "sales-password-1")
        with engine.connect() as conn:  # the key is out of this role's reach
            assert (
                conn.execute(
                    text("SELECT count(*) FROM setting WHERE key = 'suppression.salt'")
                ).scalar_one()
                == 0
            )
        built = services.marketing.build(sales, "direct_marketing_consent", Channel.EMAIL)
        assert [e.contact_id for e in built.entries] == [people[0]]
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT count(DISTINCT contact_id) FROM contact_digest WHERE kind = ''")
            ).scalar_one()
        assert stored == 3  # Zoë, Ann and Bert: complete
        detail = services.contacts.get(sales, people[0])
        services.contacts.update(
            sales,
            people[0],
            detail.version,
            ContactInput(first_name="Ann", last_name="Test", emails=("bert@x.be",)),
            CARD,
        )
        # Ann now shares Bert's unsubscribed address: suppressed as he is.
        again = services.marketing.build(sales, "direct_marketing_consent", Channel.EMAIL)
        assert again.entries == ()
        assert again.excluded.get("suppressed") == 2
    finally:
        engine.dispose()


def _subscribed(services: Services, owner: Actor, names: tuple[str, ...]) -> list[int]:
    """People who opted in to the newsletter by e-mail (name@x.be)."""
    people = []
    for name in names:
        contact_id = services.contacts.create(
            owner, ContactInput(first_name=name, last_name="Test", emails=(f"{name}@x.be",)), CARD
        )
        services.consent.record(
            owner,
            ConsentInput(
                contact_id,
                "direct_marketing_consent",
                Channel.EMAIL,
                ConsentStatus.OPT_IN,
                ConsentMethod.FORM_BOX_TICKED,
                "ref",
                opt_out_offered=True,
            ),
        )
        people.append(contact_id)
    return people


def test_a_sales_user_cannot_mark_an_unsubscribed_person_as_matching_nothing(
    server: Server, clock: FixedClock
) -> None:
    # A marker row without the digests would have the next list take Bert for someone on
    # no suppression list: no desk role writes contact_digest, the server function does,
    # from the points as they are.
    owner_services, owner = server.services, server.owner
    owner_services.auth.add_user(owner, "sam", "sales-password-5", Role.SALES)
    ann, bert = _subscribed(owner_services, owner, ("ann", "bert"))
    owner_services.consent.unsubscribe(owner, bert)
    sam = _psycopg_url(server.url, "sam", "sales-password-5")
    fingerprint = "0" * 64
    for statement in (
        f"INSERT INTO contact_digest VALUES ({bert}, '', '{fingerprint}', false)",
        f"UPDATE contact_digest SET digest = '{fingerprint}' WHERE contact_id = {bert}",
        f"DELETE FROM contact_digest WHERE contact_id = {bert} AND kind <> ''",
    ):
        assert _refused(sam, statement), statement
    # What the sales user may do: have the server store the digests of Bert's points.
    assert _rows(sam, f"SELECT pcrm_store_digests(ARRAY[{bert}, {ann}]::bigint[])") == [(2,)]
    stored = _rows(sam, f"SELECT kind, digest FROM contact_digest WHERE contact_id = {bert}")
    assert ("email", fingerprint[:16]) not in stored
    assert {kind for kind, _digest in stored} == {"", "email"}  # no postcode: no name
    engine = create_engine_for(roles.login_url(server.url, "sam", "sales-password-5"))
    try:
        services = Services.build(engine, clock)
        sales = services.auth.login("sam", "sales-password-5")
        built = services.marketing.build(sales, "direct_marketing_consent", Channel.EMAIL)
        assert [e.contact_id for e in built.entries] == [ann]
        assert built.excluded.get("suppressed") == 1
    finally:
        engine.dispose()


def test_a_sales_user_cannot_take_a_changed_person_out_of_the_due_contacts(
    server: Server, clock: FixedClock
) -> None:
    # The next list stores (and hashes) only the due contacts: a desk that deleted a due
    # row would have the list take a changed person's old digests for theirs. No desk
    # role writes contact_digest_due: the triggers and pcrm_store_digests do.
    owner_services, owner = server.services, server.owner
    owner_services.auth.add_user(owner, "sam", "sales-password-6", Role.SALES)
    ann, bert = _subscribed(owner_services, owner, ("ann", "bert"))
    owner_services.consent.unsubscribe(owner, bert)
    sam = _psycopg_url(server.url, "sam", "sales-password-6")
    due = f"SELECT contact_id FROM contact_digest_due WHERE contact_id IN ({ann}, {bert})"
    assert sorted(_rows(sam, due)) == [(ann,), (bert,)]  # new: nothing stored yet
    for statement in (
        f"DELETE FROM contact_digest_due WHERE contact_id = {ann}",
        f"UPDATE contact_digest_due SET contact_id = -1 WHERE contact_id = {ann}",
        "INSERT INTO contact_digest_due VALUES (-2)",
        "TRUNCATE contact_digest_due",
    ):
        assert _refused(sam, statement), statement
    assert _rows(sam, f"SELECT pcrm_store_digests(ARRAY[{bert}, {ann}]::bigint[])") == [(2,)]
    assert _rows(sam, due) == []
    # An edit (the owner's) makes Ann due again; the sales user's list stores her new
    # address and leaves her out with Bert.
    detail = owner_services.contacts.get(owner, ann)
    owner_services.contacts.update(
        owner,
        ann,
        detail.version,
        ContactInput(first_name="ann", last_name="Test", emails=("bert@x.be",)),
        CARD,
    )
    assert _rows(sam, due) == [(ann,)]
    engine = create_engine_for(roles.login_url(server.url, "sam", "sales-password-6"))
    try:
        services = Services.build(engine, clock)
        sales = services.auth.login("sam", "sales-password-6")
        built = services.marketing.build(sales, "direct_marketing_consent", Channel.EMAIL)
        assert ann not in [e.contact_id for e in built.entries]
        assert built.excluded.get("suppressed") == 2
    finally:
        engine.dispose()
    assert _rows(sam, due) == []
    # After a change of key (its mark, 0), a desk cannot have the mark taken out while a
    # contact's set of the old key is not among the due: only once none is left out.
    admin = create_engine_for(server.url)
    try:
        with admin.begin() as conn:
            conn.execute(text("INSERT INTO contact_digest_due VALUES (0)"))
            conn.execute(
                text("UPDATE contact_digest SET digest = 'x' WHERE kind = '' AND contact_id = :c"),
                {"c": bert},
            )
    finally:
        admin.dispose()
    mark = "SELECT contact_id FROM contact_digest_due WHERE contact_id = 0"
    _rows(sam, "SELECT pcrm_store_digests(ARRAY[0]::bigint[])")
    assert _rows(sam, mark) == [(0,)]
    _rows(sam, f"SELECT pcrm_store_digests(ARRAY[{bert}]::bigint[])")
    _rows(sam, "SELECT pcrm_store_digests(ARRAY[0]::bigint[])")
    assert _rows(sam, mark) == []


#: (first name, last name, postcode, e-mail addresses, numbers) as stored, raw: case,
#: white space, tags, Gmail's dots, compatibility characters, a "|" in the postcode.
_RAW_PEOPLE: tuple[PersonPoints, ...] = (
    ("Zoë", "Lefèvre", "4000", ["Zoe.L+news@GoogleMail.com", " a.b@x.be "], ["+32 475 11 22 33"]),
    ("  Jan\u00a0", "Peeters ", " 9000 ", ["jan@x.be", "JAN@X.BE"], ["+3292223344"]),
    ("ﬁona Ǆemal", "de  Smet", "b-1000", ["+tag@x.be", "x@", "plain"], []),
    ("Anne Marie", "Van\tDamme", "1000|x", ["@x.be", "c.d@gmail.com"], []),
    ("", "Solo", "2000", ["SOLO@EXAMPLE.COM"], ["0475 12 34 56"]),
    ("Jan", "", "  ", [], []),
    ("\u3000", "\u2003", "3000", [], []),
)
#: People the server cannot fold exactly as Python does: no digests stored, hashed by
#: every list instead.
_UNFOLDED: tuple[PersonPoints, ...] = (
    ("Søren", "Kierkegaard", "1000", [], []),
    ("Straße", "X", "1000", [], []),
    ("Ann", "B", "1000", ["ännä@x.be"], []),
)


def test_the_server_stores_the_digests_refresh_stores_on_sqlite(server: Server) -> None:
    from privacycrm_desktop.domain.suppression import key_fingerprint, person_digests

    owner_services, owner = server.services, server.owner
    people = _RAW_PEOPLE + _UNFOLDED
    ids = []
    admin = create_engine_for(server.url)
    try:
        with admin.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO setting (key, value) VALUES ('suppression.salt', :salt) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"salt": "9f" * 32},
            )
        for n, (_first, _last, _postcode, emails, phones) in enumerate(people):
            data = ContactInput(
                first_name="Placeholder",
                last_name=f"P{n}",
                emails=tuple(f"p{n}.{i}@x.be" for i in range(len(emails))),
                phones=tuple(f"+3247500{n:02d}{i:02d}" for i in range(len(phones))),
            )
            ids.append(owner_services.contacts.create(owner, data, CARD))
        with admin.begin() as conn:
            salt = conn.execute(
                text("SELECT value FROM setting WHERE key = 'suppression.salt'")
            ).scalar_one()
            for contact_id, person in zip(ids, people, strict=True):
                first, last, postcode, emails, phones = person
                conn.execute(
                    text(
                        "UPDATE contact SET first_name = :f, last_name = :l, postcode = :p "
                        "WHERE id = :id"
                    ),
                    {"f": first, "l": last, "p": postcode, "id": contact_id},
                )
                for table, column, values in (
                    ("contact_email", "address", emails),
                    ("contact_phone", "number", phones),
                ):
                    for position, value in enumerate(values):
                        conn.execute(
                            text(
                                f"UPDATE {table} SET {column} = :v "
                                "WHERE contact_id = :id AND position = :pos"
                            ),
                            {"v": value, "id": contact_id, "pos": position},
                        )
        # The owner's path is the desks' path: the server function.
        with admin.begin() as conn:
            stored = conn.execute(
                text("SELECT pcrm_store_digests(CAST(:ids AS bigint[]))"), {"ids": ids}
            ).scalar_one()
            rows = set(
                conn.execute(
                    text(
                        "SELECT contact_id, kind, digest, point FROM contact_digest "
                        "WHERE contact_id = ANY(CAST(:ids AS bigint[]))"
                    ),
                    {"ids": ids},
                ).tuples()
            )
    finally:
        admin.dispose()
    assert stored == len(_RAW_PEOPLE)
    # As contact_digests.refresh stores them (the same prefixes, the same marker).
    fingerprint = key_fingerprint(salt)
    expected = {(cid, "", fingerprint, False) for cid in ids[: len(_RAW_PEOPLE)]}
    for cid, found in zip(ids, person_digests(salt, list(_RAW_PEOPLE)), strict=False):
        expected |= {(cid, kind, digest[:16], own) for kind, digest, own in found}
    assert rows == expected


def test_the_servers_white_space_is_pythons() -> None:
    # The server splits and strips names, postcodes and numbers as str.split() does.
    import re

    from privacycrm_desktop.persistence.postgres.data_sql import PY_SPACE

    listed = set()
    for start, end in re.findall(r"\\u(\w{4})(?:-\\u(\w{4}))?", PY_SPACE):
        listed |= set(range(int(start, 16), int(end or start, 16) + 1))
    assert listed == {c for c in range(0x110000) if chr(c).isspace()}


def test_digests_stored_while_an_address_changes_are_of_the_new_address(
    server: Server,
) -> None:
    # An edit not yet committed: the server's store waits for it, then reads the new
    # address (it never stores the old one's digests after the edit's trigger ran).
    import threading

    import psycopg

    owner_services, owner = server.services, server.owner
    ann = _subscribed(owner_services, owner, ("ann",))[0]
    engine = create_engine_for(server.url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO setting (key, value) VALUES ('suppression.salt', :salt) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"salt": "7e" * 32},
            )
            salt = str(
                conn.execute(
                    text("SELECT value FROM setting WHERE key = 'suppression.salt'")
                ).scalar_one()
            )
    finally:
        engine.dispose()
    office = _psycopg_url(server.url, OFFICE, OFFICE_PASSWORD)
    with psycopg.connect(office) as edit:
        edit.execute("UPDATE contact_email SET address = 'new@x.be' WHERE contact_id = %s", (ann,))
        stored: list[object] = []

        def store() -> None:
            with psycopg.connect(office) as conn:
                stored.append(
                    conn.execute("SELECT pcrm_store_digests(ARRAY[%s]::bigint[])", (ann,))
                )

        worker = threading.Thread(target=store)
        worker.start()
        worker.join(1.5)
        assert worker.is_alive()  # waiting for the edit
        edit.commit()
        worker.join(30)
    assert stored
    rows = set(_rows(office, f"SELECT kind, digest FROM contact_digest WHERE contact_id = {ann}"))
    new = hmac.new(salt.encode(), b"email:new@x.be", "sha256").hexdigest()[:16]
    old = hmac.new(salt.encode(), b"email:ann@x.be", "sha256").hexdigest()[:16]
    assert ("email", new) in rows
    assert ("email", old) not in rows
