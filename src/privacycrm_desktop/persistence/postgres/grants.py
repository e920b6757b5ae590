"""Field restrictions and least privilege enforced by the PostgreSQL server: setting it up
(``enable``) and keeping the grants in line with the field matrix (``apply_privileges``).

With SQLite the folder holding the file is the boundary: whoever can read the file reads
every field. On a shared PostgreSQL server each app user connects with a login role of
their own, member of one NOLOGIN group role per app role (persistence/postgres/roles.py),
and each group gets what the table policy and the field matrix allow
(persistence/postgres/policy.py). The NOLOGIN system role ``<db>_system`` owns the schema,
the tables and the server functions (persistence/postgres/functions.py); no login role is
a member of it and none may create roles. The owner's desk adds users and re-grants after a
change of the matrix through those functions.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable

from sqlalchemy import Connection, text

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.persistence.models import PERSONAL_COLUMNS
from privacycrm_desktop.persistence.postgres.caller_sql import DEFINER
from privacycrm_desktop.persistence.postgres.functions import (
    FINGERPRINTED,
    FUNCTIONS,
    install_functions,
)
from privacycrm_desktop.persistence.postgres.logins import scram_verifier
from privacycrm_desktop.persistence.postgres.policy import (
    TABLE_POLICY,
    FieldMatrix,
    full_matrix,
    is_restricted,
    policy_privileges,
    reads_secrets,
    restricted_columns,
    secret_rules,
    stored_matrix,
    table_grants,
    written_tables,
)
from privacycrm_desktop.persistence.postgres.roles import (
    database_name,
    enabled,
    group_role,
    ident,
    literal,
    role_exists,
    run_sql,
    sign_in_role,
    system_role,
)
from privacycrm_desktop.persistence.postgres.row_policies import install_insert_guards
from privacycrm_desktop.persistence.postgres.sign_in_sql import (
    LOCKOUT_MINUTES,
    MAX_FAILED_LOGINS,
    SIGN_IN_PASSWORD,
)
from privacycrm_desktop.persistence.postgres.write_log import install_write_log
from privacycrm_desktop.persistence.postgres.write_rules import (
    LINK_TABLES,
    WRITE_RULE_TEXTS,
    WRITE_RULES,
    install_write_rules,
)

_SALT_KEY = "suppression.salt"


def create_group_roles(conn: Connection) -> None:
    """Create the NOLOGIN group roles and the system role of this database (once) and make
    the system role own its schema, tables, views and free sequences. Needs CREATEROLE
    (or a superuser): the administrator's connection."""
    database = database_name(conn)
    system = system_role(database)
    quoted_system = ident(conn, system)
    if not role_exists(conn, system):
        run_sql(conn, f"CREATE ROLE {quoted_system} NOLOGIN")
    # It creates and alters the login roles in ``pcrm_manage_login``.
    run_sql(conn, f"ALTER ROLE {quoted_system} NOLOGIN CREATEROLE")
    for role in Role:
        name = group_role(database, role)
        if not role_exists(conn, name):
            run_sql(conn, f"CREATE ROLE {ident(conn, name)} NOLOGIN")
        run_sql(conn, f"ALTER ROLE {ident(conn, name)} NOLOGIN NOCREATEROLE")
        run_sql(conn, f"GRANT CONNECT ON DATABASE {ident(conn, database)} TO {ident(conn, name)}")
    sign_in = sign_in_role(database)
    if not role_exists(conn, sign_in):
        run_sql(conn, f"CREATE ROLE {ident(conn, sign_in)} LOGIN NOINHERIT")
    verifier = scram_verifier(conn, sign_in, SIGN_IN_PASSWORD)
    run_sql(conn, f"ALTER ROLE {ident(conn, sign_in)} LOGIN NOCREATEROLE PASSWORD '{verifier}'")
    run_sql(conn, f"GRANT CONNECT ON DATABASE {ident(conn, database)} TO {ident(conn, sign_in)}")
    superuser = conn.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    if not superuser:
        # To hand its objects over (and migrate later), the administrator joins the
        # system role (and the owner group, as before).
        run_sql(conn, f"GRANT {quoted_system} TO CURRENT_USER")
        run_sql(conn, f"GRANT {ident(conn, group_role(database, Role.OWNER))} TO CURRENT_USER")
    run_sql(conn, f"ALTER SCHEMA public OWNER TO {quoted_system}")
    run_sql(conn, f"GRANT CREATE ON DATABASE {ident(conn, database)} TO {quoted_system}")
    run_sql(conn, f"REVOKE CREATE ON DATABASE {ident(conn, database)} FROM PUBLIC")
    _transfer_ownership(conn, system)
    # Login roles of an earlier version had CREATEROLE (the owner's): on PostgreSQL 15
    # that lets a role grant itself any group, the system role included. Take it away.
    prefix = _like_prefix(f"{database}_u_")
    for (name,) in conn.execute(
        text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p AND NOT rolsuper"),
        {"p": prefix + "%"},
    ).all():
        run_sql(conn, f"ALTER ROLE {ident(conn, str(name))} NOCREATEROLE")
        run_sql(conn, f"REVOKE {quoted_system} FROM {ident(conn, str(name))}")
    _system_joins_login_roles(conn, database, system)


def _system_joins_login_roles(conn: Connection, database: str, system: str) -> None:
    """Make the system role a member of each login role of this database (one that is a
    member of one of its group roles), so ``pcrm_end_sessions`` may end their sessions
    after a reset or a deactivation; ``pcrm_manage_login`` does it for roles it manages
    from now on. Login roles gain nothing by it."""
    groups = [group_role(database, role) for role in Role]
    rows = conn.execute(
        text(
            "SELECT DISTINCT r.rolname FROM pg_roles r "
            "JOIN pg_auth_members m ON m.member = r.oid "
            "JOIN pg_roles g ON g.oid = m.roleid "
            "WHERE g.rolname = ANY(:groups) AND r.rolname LIKE :p AND NOT r.rolsuper "
            "AND NOT pg_has_role(:system, r.oid, 'USAGE')"
        ),
        {"groups": groups, "p": _like_prefix(f"{database}_u_") + "%", "system": system},
    ).all()
    for (name,) in rows:
        grant = f"GRANT {ident(conn, str(name))} TO {ident(conn, system)}"
        # Not every administrator may (PostgreSQL 16+ for a role another one made): the
        # set-up goes on, and that role's sessions end only when closed.
        run_sql(
            conn,
            f"DO $do$ BEGIN {grant}; EXCEPTION WHEN insufficient_privilege "
            "OR invalid_grant_operation THEN NULL; END $do$",
        )


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
        target = ident(conn, str(name))
        run_sql(conn, f"ALTER {kinds[str(kind)]} {target} OWNER TO {ident(conn, owner)}")


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
    return ", ".join(ident(conn, c) for c in columns)


def apply_privileges(conn: Connection, matrix: FieldMatrix | None = None) -> None:
    """REVOKE every table privilege from the group roles, then GRANT what the table
    policy and *matrix* allow, through ``pcrm_apply_grants``.

    *matrix* defaults to the one stored in the database. Call it after a migration and
    whenever the owner changes the matrix; it runs in the caller's transaction, so the
    grants change all at once. The server function only grants what the policy table
    (written by the administrator at ``enable``) allows: the owner's desk can narrow a
    role's columns, never widen a role's reach beyond the policy.
    """
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


def enable(conn: Connection, matrix: FieldMatrix | None = None) -> None:
    """Create the roles, the server functions, the policy and the grants: from now on the
    server enforces them. The administrator's connection; run again after a migration."""
    create_group_roles(conn)
    database = database_name(conn)
    install_functions(
        conn,
        system=system_role(database),
        sign_in=sign_in_role(database),
        groups={role.value: group_role(database, role) for role in Role},
        quote=lambda name: ident(conn, name),
        run=lambda statement: run_sql(conn, statement),
    )
    install_insert_guards(
        restricted_columns(),
        owner=ident(conn, system_role(database)),
        run=lambda statement: run_sql(conn, statement),
    )
    install_write_log(
        written_tables(_tables(conn)),
        run=lambda statement: run_sql(conn, statement),
    )
    install_rules(conn)
    # The restricted columns and the shipped matrix, against which the server checks every
    # plan of pcrm_apply_grants (the owner's desk cannot widen a role with a plan of its own).
    conn.execute(text("DELETE FROM pcrm_column_rule"))
    rules = [
        {"t": qualified.split(".", 1)[0], "c": qualified.split(".", 1)[1], "f": field}
        for qualified, field in PERSONAL_COLUMNS.items()
        if is_restricted(field)
    ] + [{"t": table, "c": column, "f": field} for table, column, field in secret_rules()]
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
        if is_restricted(field)
    ] + [
        {"r": role.value, "f": field, "a": FieldAccess.READ.value}
        for role in Role
        if reads_secrets(role)
        for _table, _column, field in secret_rules()
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
    conn.info.pop("pcrm_append_many", None)
    apply_privileges(conn, matrix)
    run_sql(conn, f"COMMENT ON TABLE pcrm_grant_policy IS {literal(conn, policy_version())}")


def install_rules(conn: Connection) -> None:
    """The server's rules of who and when on the interactions, tasks and custom values
    (``write_rules``), on the tables of them this database has. Administrator only."""
    database = database_name(conn)
    system = system_role(database)
    tables = set(_tables(conn))
    install_write_rules(
        {t: _columns(conn, t) for t in (*WRITE_RULES, *LINK_TABLES) if t in tables},
        system=ident(conn, system),
        system_literal=literal(conn, system),
        everyone=", ".join(ident(conn, group_role(database, role)) for role in Role),
        definer=DEFINER,
        run=lambda statement: run_sql(conn, statement),
    )


def policy_version() -> str:
    """A fingerprint of the server functions and the table policy of this app version."""
    parts = [
        json.dumps({t: {p: sorted(r) for p, r in v.items()} for t, v in TABLE_POLICY.items()}),
        *FINGERPRINTED,
        json.dumps(sorted(FUNCTIONS.items())),
        str(MAX_FAILED_LOGINS),
        str(LOCKOUT_MINUTES),
        json.dumps(secret_rules()),
        *WRITE_RULE_TEXTS,
    ]
    return "pcrm-policy " + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def needs_upgrade(conn: Connection) -> bool:
    """True where the server enforces the roles with the functions and grants of another
    app version (or of one from before the system role): ``enable`` brings them up to date."""
    if not enabled(conn):
        return False
    installed = conn.execute(
        text(
            "SELECT CASE WHEN to_regclass('pcrm_grant_policy') IS NULL THEN NULL "
            "ELSE obj_description(to_regclass('pcrm_grant_policy'), 'pg_class') END"
        )
    ).scalar()
    return installed != policy_version()
