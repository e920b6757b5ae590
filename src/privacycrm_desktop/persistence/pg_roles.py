"""Field restrictions and least privilege enforced by the PostgreSQL server (issues 10, 15).

With SQLite the folder holding the file is the boundary: whoever can read the file reads
every field. On a shared PostgreSQL server each app user connects with a login role of
their own, member of one NOLOGIN group role per app role. Deny by default: each table
gets only the privileges its line in ``TABLE_POLICY`` gives each app role (a table not
listed gets none), narrowed by the field x role matrix:

* ``contact`` (and the other tables in ``PERSONAL_COLUMNS``): column-level SELECT and
  UPDATE leaving out every column of a field the role sees HIDDEN (masked fields stay
  readable: the app masks them);
* ``special_category_datum``: nothing at all for a role that does not see special
  categories (row policies hide the consent and source rows about them too);
* ``contact_fts``: a search column is readable only when every field it holds is.

The NOLOGIN system role ``<db>_system`` owns the schema, the tables and the server
functions (``persistence/pg_functions.py``); no login role is a member of it and none may
create roles. The owner's desk adds users and re-grants after a change of the matrix
through those functions; passwords travel as SCRAM verifiers computed here.
Everything here is Qt-free and takes a SQLAlchemy connection on a PostgreSQL database;
identifiers are quoted by psycopg.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from privacycrm_desktop.domain.access import (
    FieldAccess,
    Permission,
    Role,
    field_access,
    has_permission,
)
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE, FIELDS_BY_NAME, Sensitivity
from privacycrm_desktop.persistence.models import PERSONAL_COLUMNS

#: The whole matrix in force: (role, field) -> access.
FieldMatrix = Mapping[tuple[Role, str], FieldAccess]

#: Search-index columns and the fields whose values they hold (as services.contacts).
FTS_FIELDS: Mapping[str, tuple[str, ...]] = {
    "name": ("first_name", "last_name"),
    "organisation": ("organisation",),
    "emails": ("emails",),
    "phones": ("phones",),
    "place": ("street", "postcode", "city"),
}
FTS_TABLE = "contact_fts"
SPECIAL_TABLE = "special_category_datum"
#: Tables a role may only touch with a permission: (table, permission for SELECT).
_PERMISSION_READ = {
    "audit_event": Permission.VIEW_AUDIT,
    "import_staging": Permission.IMPORT,
}
_MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1, in bytes


def _quote(conn: Connection, name: str) -> str:
    """*name* as a PostgreSQL identifier, quoted by psycopg."""
    from psycopg import sql

    raw = conn.connection.dbapi_connection
    return sql.Identifier(name).as_string(raw)  # type: ignore[arg-type]


def _literal(conn: Connection, value: str) -> str:
    from psycopg import sql

    raw = conn.connection.dbapi_connection
    return sql.Literal(value).as_string(raw)  # type: ignore[arg-type]


def _run(conn: Connection, statement: str) -> None:
    """Execute composed DDL through the driver (no parameter parsing of ``%``)."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(statement.encode())
    finally:
        cursor.close()


def _bounded(name: str) -> str:
    """*name*, or a stable shortened form when longer than PostgreSQL keeps."""
    if len(name.encode()) <= _MAX_IDENTIFIER:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return name.encode()[: _MAX_IDENTIFIER - 17].decode(errors="ignore") + "_" + digest


def database_name(conn: Connection) -> str:
    """The current database's name."""
    return str(conn.execute(text("SELECT current_database()")).scalar_one())


def group_role(database: str, role: Role) -> str:
    """The NOLOGIN role standing for app role *role* in *database*: ``<db>_office``."""
    return _bounded(f"{database}_{Role(role).value}")


def login_role(database: str, username: str) -> str:
    """The LOGIN role of app user *username* in *database*: ``<db>_u_<username>``."""
    return _bounded(f"{database}_u_{username}")


def login_url(url: str, username: str, password: str) -> str:
    """*url* (host and database as configured) with the user's own role and password."""
    parsed = make_url(url)
    role = login_role(parsed.database or "", username)
    return parsed.set(username=role, password=password).render_as_string(hide_password=False)


def _role_exists(conn: Connection, name: str) -> bool:
    found = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
    return found.scalar() is not None


def enabled(conn: Connection) -> bool:
    """True when this database's group roles exist (the server enforces the matrix)."""
    if conn.dialect.name != "postgresql":
        return False
    return _role_exists(conn, group_role(database_name(conn), Role.OWNER))


def full_matrix(overrides: FieldMatrix | None = None) -> dict[tuple[Role, str], FieldAccess]:
    """The matrix in force for every role and field: the defaults plus *overrides*."""
    return {
        (role, spec.name): field_access(role, spec.name, overrides)
        for role in Role
        for spec in FIELD_CATALOGUE
    }


def stored_matrix(conn: Connection) -> dict[tuple[Role, str], FieldAccess]:
    """The matrix in force as stored in ``role_field_access`` (unknown rows ignored)."""
    overrides: dict[tuple[Role, str], FieldAccess] = {}
    for role, field, access in conn.execute(
        text("SELECT role, field, access FROM role_field_access")
    ):
        if role in Role._value2member_map_ and access in FieldAccess._value2member_map_:
            overrides[(Role(role), str(field))] = FieldAccess(access)
    return full_matrix(overrides)


def restricted_columns() -> dict[str, list[str]]:
    """Per table, the columns of restricted and special-category fields the server guards
    on INSERT (``pg_functions.install_insert_guards``); the special-category table is
    withheld whole from a role that may not see it, so it needs no guard."""
    guarded: dict[str, list[str]] = {}
    for qualified, field in PERSONAL_COLUMNS.items():
        table, column = qualified.split(".", 1)
        if table != SPECIAL_TABLE and _restricted(field):
            guarded.setdefault(table, []).append(column)
    return guarded


def hidden_columns(matrix: FieldMatrix, role: Role) -> dict[str, set[str]]:
    """Per table, the restricted columns *role* may not read or change under *matrix*.

    The server withholds the fields of the catalogue that are restricted or special
    category (notes, birth date, special-category data). An ordinary field the owner hides
    from a role (a city, a phone number) is withheld by the app alone: the list, the search
    and the duplicate checks read those columns for everyone, and a server refusing them
    would refuse the role its whole contact list.
    """
    hidden = _restricted_where(matrix, role, lambda access: access is FieldAccess.HIDDEN)
    for column, fields in FTS_FIELDS.items():
        if any(_restricted_as(matrix, role, f, lambda a: a is FieldAccess.HIDDEN) for f in fields):
            hidden.setdefault(FTS_TABLE, set()).add(column)
    return hidden


def unchangeable_columns(matrix: FieldMatrix, role: Role) -> dict[str, set[str]]:
    """Per table, the restricted columns *role* may not change under *matrix*: hidden, and
    also read or masked (seen, never written). UPDATE leaves them out, and the INSERT
    guards (``pg_functions.install_insert_guards``) refuse a value in them."""
    return _restricted_where(matrix, role, lambda access: access is not FieldAccess.WRITE)


def _restricted(field: str) -> bool:
    """True for a restricted or special-category field of the catalogue."""
    spec = FIELDS_BY_NAME.get(field)
    return spec is not None and spec.sensitivity is not Sensitivity.NORMAL


def _restricted_as(
    matrix: FieldMatrix, role: Role, field: str, test: Callable[[FieldAccess], bool]
) -> bool:
    return _restricted(field) and test(matrix.get((role, field), FieldAccess.HIDDEN))


def _restricted_where(
    matrix: FieldMatrix, role: Role, test: Callable[[FieldAccess], bool]
) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for qualified, field in PERSONAL_COLUMNS.items():
        table, column = qualified.split(".", 1)
        if _restricted_as(matrix, role, field, test):
            found.setdefault(table, set()).add(column)
    return found


def system_role(database: str) -> str:
    """The NOLOGIN role that owns the tables and the server functions: ``<db>_system``.

    Nobody signs in as it; no desk role is a member. The administrator who sets the
    database up joins it (to migrate); the functions it owns run as it and check the
    caller from the server session (``session_user``), never from a table a desk writes.
    """
    return _bounded(f"{database}_system")


#: Who may do what to each table, by app permission: (privilege, permissions granting it).
#: Deny by default: a table not listed here (one added later) is refused to every desk
#: role until it is listed, and a privilege not listed is refused too.
_CONTACT_READ = frozenset({Permission.VIEW_CONTACTS})
_CONTACT_WRITE = frozenset(
    {Permission.CREATE_CONTACTS, Permission.EDIT_CONTACTS, Permission.IMPORT, Permission.ERASE}
)
_CONTACT_REMOVE = frozenset({Permission.ERASE, Permission.CLEANUP, Permission.IMPORT})
_ALL_READ = frozenset({Permission.VIEW_CONTACTS})
_SETTINGS_WRITE = frozenset({Permission.EDIT_SETTINGS, Permission.BACKUP, Permission.CLEANUP})
_P = Permission
TABLE_POLICY: Mapping[str, Mapping[str, frozenset[Permission]]] = {
    "alembic_version": {"SELECT": _ALL_READ},
    "contact": {
        "SELECT": _CONTACT_READ,
        "INSERT": _CONTACT_WRITE,
        "UPDATE": _CONTACT_WRITE | {_P.CLEANUP},
        "DELETE": _CONTACT_REMOVE,
    },
    "contact_email": {
        "SELECT": _CONTACT_READ,
        "INSERT": _CONTACT_WRITE,
        "UPDATE": _CONTACT_WRITE | {_P.CLEANUP},
        "DELETE": _CONTACT_WRITE | _CONTACT_REMOVE,
    },
    "contact_phone": {
        "SELECT": _CONTACT_READ,
        "INSERT": _CONTACT_WRITE,
        "UPDATE": _CONTACT_WRITE | {_P.CLEANUP},
        "DELETE": _CONTACT_WRITE | _CONTACT_REMOVE,
    },
    "contact_fts": {
        "SELECT": _CONTACT_READ,
        "INSERT": _CONTACT_WRITE,
        "UPDATE": _CONTACT_WRITE | {_P.CLEANUP},
        "DELETE": _CONTACT_WRITE | _CONTACT_REMOVE,
    },
    "field_provenance": {
        "SELECT": _CONTACT_READ,
        "INSERT": _CONTACT_WRITE,
        "UPDATE": _CONTACT_WRITE | {_P.CLEANUP},
        "DELETE": _CONTACT_WRITE | _CONTACT_REMOVE,
    },
    "source": {
        "SELECT": _CONTACT_READ,
        "INSERT": _CONTACT_WRITE | {_P.RECORD_CONSENT},
        "UPDATE": _CONTACT_WRITE | {_P.CLEANUP},
        "DELETE": _CONTACT_REMOVE,
    },
    "special_category_datum": {
        "SELECT": _CONTACT_READ,
        "INSERT": _CONTACT_WRITE,
        "UPDATE": _CONTACT_WRITE,
        "DELETE": _CONTACT_WRITE | _CONTACT_REMOVE,
    },
    "contact_count": {"SELECT": _CONTACT_READ},
    "keep_until_count": {"SELECT": _CONTACT_READ},
    "consent_event": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.RECORD_CONSENT, _P.IMPORT, _P.RESTORE}),
        "UPDATE": frozenset({_P.ERASE, _P.CLEANUP}),
        "DELETE": frozenset({_P.IMPORT, _P.ERASE, _P.CLEANUP}),
    },
    "privacy_statement": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.EDIT_SETTINGS}),
        "UPDATE": frozenset({_P.EDIT_SETTINGS}),
    },
    "purpose": {"SELECT": _ALL_READ},
    "field_catalogue": {"SELECT": _ALL_READ},
    "recipient": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.MANAGE_REQUESTS, _P.EXPORT, _P.MARKETING_LISTS}),
        "UPDATE": frozenset({_P.MANAGE_REQUESTS}),
    },
    "disclosure": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.MANAGE_REQUESTS, _P.EXPORT, _P.MARKETING_LISTS}),
        "UPDATE": frozenset({_P.MANAGE_REQUESTS}),
        "DELETE": frozenset({_P.ERASE}),
    },
    "rights_request": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.MANAGE_REQUESTS}),
        "UPDATE": frozenset({_P.MANAGE_REQUESTS, _P.ERASE}),
        "DELETE": frozenset({_P.ERASE}),
    },
    "request_contact": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.MANAGE_REQUESTS}),
        "UPDATE": frozenset({_P.MANAGE_REQUESTS, _P.ERASE}),
        "DELETE": frozenset({_P.MANAGE_REQUESTS, _P.ERASE}),
    },
    # Old and new values of any field, restricted ones included: only for those who
    # handle the requests (and see every field by default).
    "rectification": {
        "SELECT": frozenset({_P.MANAGE_REQUESTS}),
        "INSERT": frozenset({_P.MANAGE_REQUESTS}),
        "DELETE": frozenset({_P.ERASE}),
    },
    "retention_hold": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.CLEANUP, _P.ERASE}),
        "UPDATE": frozenset({_P.CLEANUP, _P.ERASE}),
        "DELETE": frozenset({_P.CLEANUP, _P.ERASE, _P.RESTORE}),
    },
    "anonymised_record": {
        "SELECT": frozenset({_P.ACCESS_REPORT, _P.ERASE, _P.CLEANUP}),
        "INSERT": frozenset({_P.ERASE, _P.CLEANUP}),
    },
    "import_batch": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.IMPORT}),
        "UPDATE": frozenset({_P.IMPORT}),
        "DELETE": frozenset({_P.IMPORT}),
    },
    "import_staging": {
        "SELECT": frozenset({_P.IMPORT}),
        "INSERT": frozenset({_P.IMPORT}),
        "UPDATE": frozenset({_P.IMPORT}),
        "DELETE": frozenset({_P.IMPORT, _P.ERASE}),
    },
    # Append-only lists nobody may shorten or edit at a desk.
    "suppression": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.RECORD_CONSENT, _P.ERASE, _P.CLEANUP, _P.RESTORE}),
    },
    "erasure_ledger": {
        "SELECT": frozenset({_P.ERASE, _P.BACKUP, _P.RESTORE}),
        "INSERT": frozenset({_P.ERASE, _P.CLEANUP}),
    },
    # Row-level policies below narrow these to the keys a desk may change.
    "setting": {
        "SELECT": _ALL_READ,
        "INSERT": _SETTINGS_WRITE,
        "UPDATE": _SETTINGS_WRITE,
        "DELETE": _SETTINGS_WRITE,
    },
    # Users and the field matrix are written by the server functions only, the owner's
    # changes included (``pcrm_user_change``, ``pcrm_matrix_change``; sign-in bookkeeping,
    # language and login roles have theirs): each checks the app's rules and audits.
    "app_user": {"SELECT": _ALL_READ},
    "role_field_access": {"SELECT": _ALL_READ},
    # Appended only by ``pcrm_audit_append``; read by those who view the audit.
    "audit_event": {"SELECT": frozenset({_P.VIEW_AUDIT})},
    # The server's record of every desk write (pg_functions.install_write_log): written
    # only by the server at each commit.
    "server_write": {"SELECT": frozenset({_P.VIEW_AUDIT})},
    # The server's audit anchor (issue 15): moved only by ``pcrm_audit_write``.
    "audit_anchor": {"SELECT": frozenset({_P.VIEW_AUDIT})},
    # The highest contact id ever handed out (SQLite's; the server uses the sequence):
    # read by whoever dumps the database for a backup.
    "id_high_water": {"SELECT": frozenset({_P.BACKUP})},
}
_SALT_KEY = "suppression.salt"


def written_tables(existing: Iterable[str]) -> list[str]:
    """The tables of *existing* that some app role may INSERT, UPDATE or DELETE: the
    server's write log watches them (``pg_functions.install_write_log``)."""
    return [
        table
        for table in sorted(existing)
        if any(policy_privileges(role, table) - {"SELECT"} for role in Role)
    ]


def policy_privileges(role: Role, table: str) -> set[str]:
    """The privileges *role* may ever have on *table* (before the matrix narrows them)."""
    rules = TABLE_POLICY.get(table, {})
    return {
        privilege
        for privilege, permissions in rules.items()
        if any(has_permission(role, p) for p in permissions)
    }


def table_grants(
    matrix: FieldMatrix, role: Role, columns: Mapping[str, list[str]]
) -> list[tuple[str, str, list[str] | None]]:
    """(table, privilege, columns or None for all) that *role* gets under *matrix*."""
    hidden = hidden_columns(matrix, role)
    fixed = unchangeable_columns(matrix, role)
    grants: list[tuple[str, str, list[str] | None]] = []
    for table in sorted(columns):
        privileges = policy_privileges(role, table)
        if not privileges:
            continue
        if table == SPECIAL_TABLE and SPECIAL_TABLE in hidden:
            continue  # special categories hidden: not even their existence per contact
        if table == SPECIAL_TABLE and SPECIAL_TABLE in fixed:
            privileges &= {"SELECT"}  # seen, never changed
        for privilege in sorted(privileges):
            gone = (fixed if privilege == "UPDATE" else hidden).get(table, set())
            if not gone or privilege in ("INSERT", "DELETE"):
                grants.append((table, privilege, None))
                continue
            visible = [c for c in columns[table] if c not in gone]
            if visible:
                grants.append((table, privilege, visible))
    return grants


def sign_in_role(database: str) -> str:
    """The LOGIN role a desk uses to count a refused sign-in: ``<db>_signin``.

    Its password is public (``pg_functions.SIGN_IN_PASSWORD``): it reads no table and
    may only call ``pcrm_sign_in_failed`` and ``pcrm_sign_in_ready``.
    """
    return _bounded(f"{database}_signin")


def sign_in_url(url: str) -> str:
    """*url* (host and database as configured) with the sign-in role."""
    from privacycrm_desktop.persistence.pg_functions import SIGN_IN_PASSWORD

    parsed = make_url(url)
    role = sign_in_role(parsed.database or "")
    return parsed.set(username=role, password=SIGN_IN_PASSWORD).render_as_string(
        hide_password=False
    )


def is_admin(conn: Connection) -> bool:
    """True for the administrator's connection (a superuser or a member of the system
    role), False for a desk's own login role."""
    return bool(
        conn.execute(
            text(
                "SELECT r.rolsuper OR (s.oid IS NOT NULL AND pg_has_role(current_user, s.oid, "
                "'MEMBER')) FROM pg_roles r LEFT JOIN pg_roles s ON s.rolname = :s "
                "WHERE r.rolname = current_user"
            ),
            {"s": system_role(database_name(conn))},
        ).scalar()
    )


def scram_verifier(conn: Connection, role_name: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of *password* for *role_name*, computed on this desk by
    libpq (``PQencryptPasswordConn``): the password itself never reaches the server."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    pgconn = raw.pgconn
    verifier = pgconn.encrypt_password(password.encode(), role_name.encode(), b"scram-sha-256")
    return bytes(verifier).decode("ascii")


def create_group_roles(conn: Connection) -> None:
    """Create the NOLOGIN group roles and the system role of this database (once) and make
    the system role own its schema, tables, views and free sequences. Needs CREATEROLE
    (or a superuser): the administrator's connection."""
    database = database_name(conn)
    system = system_role(database)
    quoted_system = _quote(conn, system)
    if not _role_exists(conn, system):
        _run(conn, f"CREATE ROLE {quoted_system} NOLOGIN")
    # It creates and alters the login roles in ``pcrm_manage_login``.
    _run(conn, f"ALTER ROLE {quoted_system} NOLOGIN CREATEROLE")
    for role in Role:
        name = group_role(database, role)
        if not _role_exists(conn, name):
            _run(conn, f"CREATE ROLE {_quote(conn, name)} NOLOGIN")
        _run(conn, f"ALTER ROLE {_quote(conn, name)} NOLOGIN NOCREATEROLE")
        _run(conn, f"GRANT CONNECT ON DATABASE {_quote(conn, database)} TO {_quote(conn, name)}")
    sign_in = sign_in_role(database)
    if not _role_exists(conn, sign_in):
        _run(conn, f"CREATE ROLE {_quote(conn, sign_in)} LOGIN NOINHERIT")
    from privacycrm_desktop.persistence.pg_functions import SIGN_IN_PASSWORD

    verifier = scram_verifier(conn, sign_in, SIGN_IN_PASSWORD)
    _run(conn, f"ALTER ROLE {_quote(conn, sign_in)} LOGIN NOCREATEROLE PASSWORD '{verifier}'")
    _run(conn, f"GRANT CONNECT ON DATABASE {_quote(conn, database)} TO {_quote(conn, sign_in)}")
    superuser = conn.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    if not superuser:
        # To hand its objects over (and migrate later), the administrator joins the
        # system role (and the owner group, as before).
        _run(conn, f"GRANT {quoted_system} TO CURRENT_USER")
        _run(conn, f"GRANT {_quote(conn, group_role(database, Role.OWNER))} TO CURRENT_USER")
    _run(conn, f"ALTER SCHEMA public OWNER TO {quoted_system}")
    _run(conn, f"GRANT CREATE ON DATABASE {_quote(conn, database)} TO {quoted_system}")
    _run(conn, f"REVOKE CREATE ON DATABASE {_quote(conn, database)} FROM PUBLIC")
    _transfer_ownership(conn, system)
    # Login roles of an earlier version had CREATEROLE (the owner's): on PostgreSQL 15
    # that lets a role grant itself any group, the system role included. Take it away.
    prefix = _like_prefix(f"{database}_u_")
    for (name,) in conn.execute(
        text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p AND NOT rolsuper"),
        {"p": prefix + "%"},
    ).all():
        _run(conn, f"ALTER ROLE {_quote(conn, str(name))} NOCREATEROLE")
        _run(conn, f"REVOKE {quoted_system} FROM {_quote(conn, str(name))}")


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


def _transfer_ownership(conn: Connection, owner: str) -> None:
    rows = conn.execute(
        text(
            "SELECT c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'S', 'p') "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid "
            "AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))"
        )
    ).all()
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    for name, kind in rows:
        target = _quote(conn, str(name))
        _run(conn, f"ALTER {kinds[str(kind)]} {target} OWNER TO {_quote(conn, owner)}")


def _tables(conn: Connection) -> list[str]:
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'p') "
            "ORDER BY c.relname"
        )
    )
    return [str(r[0]) for r in rows]


def _columns(conn: Connection, table: str) -> list[str]:
    rows = conn.execute(
        text(
            "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relname = :t "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        ),
        {"t": table},
    )
    return [str(r[0]) for r in rows]


def _column_list(conn: Connection, columns: Iterable[str]) -> str:
    return ", ".join(_quote(conn, c) for c in columns)


def apply_privileges(conn: Connection, matrix: FieldMatrix | None = None) -> None:
    """REVOKE every table privilege from the group roles, then GRANT what the table
    policy and *matrix* allow, through ``pcrm_apply_grants``.

    *matrix* defaults to the one stored in the database. Call it after a migration and
    whenever the owner changes the matrix; it runs in the caller's transaction, so the
    grants change all at once. The server function only grants what the policy table
    (written by the administrator at ``enable``) allows: the owner's desk can narrow a
    role's columns, never widen a role's reach beyond the policy.
    """
    import json

    if matrix is None:
        matrix = stored_matrix(conn)
    tables = _tables(conn)
    columns = {table: _columns(conn, table) for table in tables}
    plan = [
        [role.value, table, privilege, cols]
        for role in Role
        for table, privilege, cols in table_grants(matrix, role, columns)
    ]
    conn.execute(text("SELECT pcrm_apply_grants(CAST(:plan AS jsonb))"), {"plan": json.dumps(plan)})


def may_create_roles(conn: Connection) -> bool:
    """True when this connection's role may create roles (a superuser or CREATEROLE)."""
    return bool(
        conn.execute(
            text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        ).scalar()
    )


def enable(conn: Connection, matrix: FieldMatrix | None = None) -> None:
    """Create the roles, the server functions, the policy and the grants: from now on the
    server enforces them. The administrator's connection; run again after a migration."""
    import secrets

    from privacycrm_desktop.persistence.pg_functions import (
        install_functions,
        install_insert_guards,
        install_write_log,
    )

    create_group_roles(conn)
    database = database_name(conn)
    install_functions(
        conn,
        system=system_role(database),
        sign_in=sign_in_role(database),
        groups={role.value: group_role(database, role) for role in Role},
        quote=lambda name: _quote(conn, name),
        run=lambda statement: _run(conn, statement),
    )
    install_insert_guards(
        restricted_columns(),
        owner=_quote(conn, system_role(database)),
        run=lambda statement: _run(conn, statement),
    )
    install_write_log(
        written_tables(_tables(conn)),
        run=lambda statement: _run(conn, statement),
    )
    # The restricted columns and the shipped matrix, against which the server checks every
    # plan of pcrm_apply_grants (the owner's desk cannot widen a role with a plan of its own).
    conn.execute(text("DELETE FROM pcrm_column_rule"))
    rules = [
        {"t": qualified.split(".", 1)[0], "c": qualified.split(".", 1)[1], "f": field}
        for qualified, field in PERSONAL_COLUMNS.items()
        if _restricted(field)
    ]
    if rules:
        conn.execute(
            text(
                "INSERT INTO pcrm_column_rule (table_name, column_name, field) VALUES (:t, :c, :f)"
            ),
            rules,
        )
    conn.execute(text("DELETE FROM pcrm_field_default"))
    defaults = [
        {"r": role.value, "f": field, "a": access.value}
        for (role, field), access in full_matrix().items()
        if _restricted(field)
    ]
    if defaults:
        conn.execute(
            text("INSERT INTO pcrm_field_default (app_role, field, access) VALUES (:r, :f, :a)"),
            defaults,
        )
    conn.execute(text("DELETE FROM pcrm_grant_policy"))
    rows = [
        {"r": role.value, "t": table, "p": privilege}
        for role in Role
        for table in TABLE_POLICY
        for privilege in policy_privileges(role, table)
    ]
    if rows:
        conn.execute(
            text(
                "INSERT INTO pcrm_grant_policy (app_role, table_name, privilege) "
                "VALUES (:r, :t, :p)"
            ),
            rows,
        )
    # The suppression key exists before any desk needs it (no desk role may write it).
    conn.execute(
        text("INSERT INTO setting (key, value) VALUES (:k, :v) ON CONFLICT (key) DO NOTHING"),
        {"k": _SALT_KEY, "v": secrets.token_hex(32)},
    )
    conn.info.pop("pcrm_functions", None)
    apply_privileges(conn, matrix)
    _run(conn, f"COMMENT ON TABLE pcrm_grant_policy IS {_literal(conn, policy_version())}")


def policy_version() -> str:
    """A fingerprint of the server functions and the table policy of this app version."""
    import json

    from privacycrm_desktop.persistence import pg_functions

    parts = [
        json.dumps({t: {p: sorted(r) for p, r in v.items()} for t, v in TABLE_POLICY.items()}),
        *(
            str(getattr(pg_functions, name))
            for name in sorted(dir(pg_functions))
            if name.startswith("_") and not name.startswith("__") and name.upper() == name
        ),
        json.dumps(sorted(pg_functions.FUNCTIONS.items())),
        str(pg_functions.MAX_FAILED_LOGINS),
        str(pg_functions.LOCKOUT_MINUTES),
    ]
    return "pcrm-policy " + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def needs_upgrade(conn: Connection) -> bool:
    """True where the server enforces the roles with the functions and grants of another
    app version (or of one from before issue 15): ``enable`` brings them up to date."""
    if not enabled(conn):
        return False
    installed = conn.execute(
        text(
            "SELECT CASE WHEN to_regclass('pcrm_grant_policy') IS NULL THEN NULL "
            "ELSE obj_description(to_regclass('pcrm_grant_policy'), 'pg_class') END"
        )
    ).scalar()
    return installed != policy_version()


def server_functions(conn: Connection) -> bool:
    """True when this database has the server functions (``enable`` ran); cached per
    connection."""
    if conn.dialect.name != "postgresql":
        return False
    cached = conn.info.get("pcrm_functions")
    if cached is None:
        cached = bool(
            conn.execute(text("SELECT to_regprocedure('pcrm_caller()') IS NOT NULL")).scalar()
        )
        conn.info["pcrm_functions"] = cached
    return bool(cached)


def create_login_role(conn: Connection, username: str, password: str, app_role: Role) -> str:
    """Create (or update) the LOGIN role of *username*, member of its app role's group only.

    Runs through ``pcrm_manage_login`` (the owner's desk or the administrator): the
    password travels as a SCRAM verifier computed here. Returns the login role's name.
    """
    name = login_role(database_name(conn), username)
    _manage(conn, username, scram_verifier(conn, name, password), Role(app_role), True)
    return name


def _manage(
    conn: Connection, username: str, verifier: str | None, role: Role | None, active: bool | None
) -> None:
    conn.execute(
        text("SELECT pcrm_manage_login(:u, :v, :r, :a)"),
        {"u": username, "v": verifier, "r": role.value if role else None, "a": active},
    )


def set_password(conn: Connection, username: str, password: str) -> None:
    """Give the login role of *username* a new password (as a SCRAM verifier)."""
    name = login_role(database_name(conn), username)
    _manage(conn, username, scram_verifier(conn, name, password), None, None)


def set_app_role(conn: Connection, username: str, app_role: Role) -> None:
    """Make the login role of *username* a member of *app_role*'s group role only."""
    _manage(conn, username, None, Role(app_role), None)


def set_active(conn: Connection, username: str, active: bool) -> None:
    """LOGIN again, or NOLOGIN for a deactivated user (their sessions cannot start)."""
    if has_login_role(conn, username):
        _manage(conn, username, None, None, active)


def has_login_role(conn: Connection, username: str) -> bool:
    """True when *username* has a login role in this database."""
    return _role_exists(conn, login_role(database_name(conn), username))


def drop_roles(conn: Connection, database: str) -> None:
    """Drop every role of *database* (its login and group roles); for tests and removal.

    Run it after the database itself is dropped, or its grants keep the roles alive.
    """
    prefix = database.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
    rows = conn.execute(
        text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p ORDER BY rolcanlogin DESC"),
        {"p": prefix + "\\_%"},
    )
    for (name,) in rows.all():
        _run(conn, f"DROP ROLE IF EXISTS {_quote(conn, str(name))}")
