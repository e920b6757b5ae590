"""Field restrictions enforced by the PostgreSQL server itself (issue 10).

With SQLite the folder holding the file is the boundary: whoever can read the file reads
every field. On a shared PostgreSQL server each app user connects with a login role of
their own, member of one NOLOGIN group role per app role; the group roles get only the
privileges the field x role matrix allows:

* ``contact`` (and the other tables in ``PERSONAL_COLUMNS``): column-level SELECT and
  UPDATE leaving out every column of a field the role sees HIDDEN (masked fields stay
  readable: the app masks them);
* ``special_category_datum``: nothing at all for a role that does not see special
  categories;
* ``contact_fts``: a search column is readable only when every field it holds is;
* ``audit_event`` readable by roles that view the audit log, ``import_staging`` only by
  roles that import, ``role_field_access`` writable only by the owner.

The group role ``<db>_owner`` owns the tables, so an owner signed in with their own login
role (CREATEROLE) can add users and re-apply the grants after changing the matrix.
Everything here is Qt-free and takes a SQLAlchemy connection on a PostgreSQL database;
identifiers and the password literal are quoted by psycopg.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

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
#: Tables only writable with a permission (others read them).
_PERMISSION_WRITE = {"role_field_access": Permission.EDIT_FIELD_MATRIX}
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


def hidden_columns(matrix: FieldMatrix, role: Role) -> dict[str, set[str]]:
    """Per table, the restricted columns *role* may not read or change under *matrix*.

    The server withholds the fields of the catalogue that are restricted or special
    category (notes, birth date, special-category data). An ordinary field the owner hides
    from a role (a city, a phone number) is withheld by the app alone: the list, the search
    and the duplicate checks read those columns for everyone, and a server refusing them
    would refuse the role its whole contact list.
    """
    hidden: dict[str, set[str]] = {}

    def is_hidden(field: str) -> bool:
        spec = FIELDS_BY_NAME.get(field)
        if spec is None or spec.sensitivity is Sensitivity.NORMAL:
            return False
        return matrix.get((role, field), FieldAccess.HIDDEN) is FieldAccess.HIDDEN

    for qualified, field in PERSONAL_COLUMNS.items():
        table, column = qualified.split(".", 1)
        if is_hidden(field):
            hidden.setdefault(table, set()).add(column)
    for column, fields in FTS_FIELDS.items():
        if any(is_hidden(f) for f in fields):
            hidden.setdefault(FTS_TABLE, set()).add(column)
    return hidden


def create_group_roles(conn: Connection) -> None:
    """Create the NOLOGIN group roles of this database (once) and make ``<db>_owner``
    own its tables, views and free sequences. Needs CREATEROLE (or a superuser)."""
    database = database_name(conn)
    owner = group_role(database, Role.OWNER)
    for role in Role:
        name = group_role(database, role)
        if not _role_exists(conn, name):
            _run(conn, f"CREATE ROLE {_quote(conn, name)} NOLOGIN")
        _run(conn, f"GRANT CONNECT ON DATABASE {_quote(conn, database)} TO {_quote(conn, name)}")
    superuser = conn.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    if not superuser:
        # To hand its objects over (and migrate later), the administrator joins the owner.
        _run(conn, f"GRANT {_quote(conn, owner)} TO CURRENT_USER")
    # The owner group owns the schema first (a new owner needs CREATE on it), so a restore
    # from the owner's own role may drop and re-create it with the search extensions
    # (unaccent and pg_trgm are trusted: CREATE on the database suffices).
    _run(conn, f"ALTER SCHEMA public OWNER TO {_quote(conn, owner)}")
    _run(conn, f"GRANT CREATE ON DATABASE {_quote(conn, database)} TO {_quote(conn, owner)}")
    _transfer_ownership(conn, owner)


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
    """REVOKE everything from the group roles, then GRANT what *matrix* allows.

    *matrix* defaults to the one stored in the database. Call it after a migration and
    whenever the owner changes the matrix; it runs in the caller's transaction, so the
    grants change all at once. The owner group role owns the tables and keeps everything.
    """
    if matrix is None:
        matrix = stored_matrix(conn)
    database = database_name(conn)
    schema = _quote(conn, str(conn.execute(text("SELECT current_schema()")).scalar_one()))
    tables = _tables(conn)
    columns = {table: _columns(conn, table) for table in tables}
    for role in Role:
        grantee = _quote(conn, group_role(database, role))
        _run(conn, f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {grantee}")
        _run(conn, f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {grantee}")
        _run(conn, f"GRANT USAGE ON SCHEMA {schema} TO {grantee}")
        _run(conn, f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {grantee}")
        if role is Role.OWNER:
            # It owns the tables, but an owner's privileges can be revoked too: give
            # them back (foreign-key checks run with them).
            _run(conn, f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO {grantee}")
            continue
        hidden = hidden_columns(matrix, role)
        for table in tables:
            target = _quote(conn, table)
            if table == SPECIAL_TABLE and SPECIAL_TABLE in hidden:
                continue  # special categories hidden: not even their existence per contact
            needed = _PERMISSION_READ.get(table)
            if needed is not None and not has_permission(role, needed):
                if table == "audit_event":
                    # Every action is audited: the chain needs the last row's id and hash.
                    _run(conn, f"GRANT INSERT, SELECT (id, hash) ON {target} TO {grantee}")
                continue
            writer = _PERMISSION_WRITE.get(table)
            if writer is not None and not has_permission(role, writer):
                _run(conn, f"GRANT SELECT ON {target} TO {grantee}")
                continue
            gone = hidden.get(table, set())
            if not gone:
                _run(conn, f"GRANT SELECT, INSERT, UPDATE, DELETE ON {target} TO {grantee}")
                continue
            visible = [c for c in columns[table] if c not in gone]
            _run(conn, f"GRANT INSERT, DELETE ON {target} TO {grantee}")
            if visible:
                names = _column_list(conn, visible)
                _run(conn, f"GRANT SELECT ({names}), UPDATE ({names}) ON {target} TO {grantee}")


def may_create_roles(conn: Connection) -> bool:
    """True when this connection's role may create roles (a superuser or CREATEROLE)."""
    return bool(
        conn.execute(
            text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        ).scalar()
    )


def enable(conn: Connection, matrix: FieldMatrix | None = None) -> None:
    """Create the group roles and apply the matrix: from now on the server enforces it."""
    create_group_roles(conn)
    apply_privileges(conn, matrix)


def create_login_role(conn: Connection, username: str, password: str, app_role: Role) -> str:
    """Create (or update) the LOGIN role of *username*, member of its app role's group only.

    The owner's login role may create roles (to add users from their own desk).
    Returns the login role's name.
    """
    database = database_name(conn)
    name = login_role(database, username)
    quoted = _quote(conn, name)
    if not _role_exists(conn, name):
        _run(conn, f"CREATE ROLE {quoted} LOGIN INHERIT")
    set_password(conn, username, password)
    set_app_role(conn, username, app_role)
    _run(conn, f"ALTER ROLE {quoted} LOGIN")
    return name


def set_password(conn: Connection, username: str, password: str) -> None:
    """Give the login role of *username* a new password (the app password)."""
    name = login_role(database_name(conn), username)
    _run(conn, f"ALTER ROLE {_quote(conn, name)} PASSWORD {_literal(conn, password)}")


def set_app_role(conn: Connection, username: str, app_role: Role) -> None:
    """Make the login role of *username* a member of *app_role*'s group role only."""
    database = database_name(conn)
    quoted = _quote(conn, login_role(database, username))
    for role in Role:
        group = _quote(conn, group_role(database, role))
        if role is Role(app_role):
            _run(conn, f"GRANT {group} TO {quoted}")
        else:
            _run(conn, f"REVOKE {group} FROM {quoted}")
    createrole = "CREATEROLE" if Role(app_role) is Role.OWNER else "NOCREATEROLE"
    _run(conn, f"ALTER ROLE {quoted} {createrole}")


def set_active(conn: Connection, username: str, active: bool) -> None:
    """LOGIN again, or NOLOGIN for a deactivated user (their sessions cannot start)."""
    name = login_role(database_name(conn), username)
    if _role_exists(conn, name):
        _run(conn, f"ALTER ROLE {_quote(conn, name)} {'LOGIN' if active else 'NOLOGIN'}")


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
