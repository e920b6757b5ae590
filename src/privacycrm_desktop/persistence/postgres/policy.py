"""What the server lets each app role do, table by table and column by column.

Deny by default: each table gets only the privileges its line in ``TABLE_POLICY`` gives
each app role (a table not listed gets none), narrowed by the field x role matrix:

* ``contact`` (and the other tables in ``PERSONAL_COLUMNS``): column-level SELECT and
  UPDATE leaving out every column of a field the role sees HIDDEN (masked fields stay
  readable: the app masks them);
* ``special_category_datum``: nothing at all for a role that does not see special
  categories (row policies hide the consent and source rows about them too);
* ``contact_fts``: a search column is readable only when every field it holds is.

Pure: the plan of grants is computed here, applied by persistence/postgres/grants.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import Connection, text

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
    on INSERT (``row_policies.install_insert_guards``); the special-category table is
    withheld whole from a role that may not see it, so it needs no guard."""
    guarded: dict[str, list[str]] = {}
    for qualified, field in PERSONAL_COLUMNS.items():
        table, column = qualified.split(".", 1)
        if table != SPECIAL_TABLE and is_restricted(field):
            guarded.setdefault(table, []).append(column)
    return guarded


#: Columns the staff do not read, whatever the matrix: the password hashes. A desk signs
#: in with its own login role, so it never needs them, and a copy would let whoever took
#: it guess passwords offline (the owner's too). Only the roles that back up the whole
#: database (and so carry every hash in a backup: the owner, the privacy officer) read
#: them. The server refuses any other plan that grants them (``pcrm_column_rule`` rows
#: under a field name of their own, "read" in ``pcrm_field_default`` for those roles only).
SECRET_COLUMNS: dict[str, frozenset[str]] = {"app_user": frozenset({"password_hash"})}


def reads_secrets(role: Role) -> bool:
    """True for a role that may read the secret columns (it makes backups)."""
    return has_permission(role, Permission.BACKUP)


def secret_rules() -> list[tuple[str, str, str]]:
    """(table, column, field name) of each secret column, as ``pcrm_column_rule`` holds it."""
    return [
        (table, column, f"{table}.{column}")
        for table, columns in sorted(SECRET_COLUMNS.items())
        for column in sorted(columns)
    ]


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
    if not reads_secrets(role):
        for table, columns in SECRET_COLUMNS.items():
            hidden.setdefault(table, set()).update(columns)
    return hidden


def unchangeable_columns(matrix: FieldMatrix, role: Role) -> dict[str, set[str]]:
    """Per table, the restricted columns *role* may not change under *matrix*: hidden, and
    also read or masked (seen, never written). UPDATE leaves them out, and the INSERT
    guards (``row_policies.install_insert_guards``) refuse a value in them."""
    return _restricted_where(matrix, role, lambda access: access is not FieldAccess.WRITE)


def is_restricted(field: str) -> bool:
    """True for a restricted or special-category field of the catalogue."""
    spec = FIELDS_BY_NAME.get(field)
    return spec is not None and spec.sensitivity is not Sensitivity.NORMAL


def _restricted_as(
    matrix: FieldMatrix, role: Role, field: str, test: Callable[[FieldAccess], bool]
) -> bool:
    return is_restricted(field) and test(matrix.get((role, field), FieldAccess.HIDDEN))


def _restricted_where(
    matrix: FieldMatrix, role: Role, test: Callable[[FieldAccess], bool]
) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for qualified, field in PERSONAL_COLUMNS.items():
        table, column = qualified.split(".", 1)
        if _restricted_as(matrix, role, field, test):
            found.setdefault(table, set()).add(column)
    return found


#: Who may do what to each table, by app permission: (privilege, permissions granting it).
#: Deny by default: a table not listed here (one added later) is refused to every desk
#: role until it is listed, and a privilege not listed is refused too.
_CONTACT_READ = frozenset({Permission.VIEW_CONTACTS})
_CONTACT_WRITE = frozenset(
    {Permission.CREATE_CONTACTS, Permission.EDIT_CONTACTS, Permission.IMPORT, Permission.ERASE}
)
_CONTACT_REMOVE = frozenset(
    {Permission.ERASE, Permission.CLEANUP, Permission.IMPORT, Permission.MERGE_CONTACTS}
)
#: A merge moves every row of the merged contacts to the survivor (services/merges.py).
_MERGE = frozenset({Permission.MERGE_CONTACTS})
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
    # Companies follow the organisation's row of the matrix (services/companies.py); a
    # person's link to one is written with the person, and goes with an erasure.
    "company": {
        "SELECT": _CONTACT_READ,
        "INSERT": _CONTACT_WRITE,
        "UPDATE": _CONTACT_WRITE,
        # Undoing an import removes the companies it made that nobody has used since; a
        # merge removes the companies merged away.
        "DELETE": frozenset({_P.IMPORT}) | _MERGE,
    },
    "company_provenance": {
        "SELECT": _CONTACT_READ,
        "INSERT": _CONTACT_WRITE,
        "UPDATE": _CONTACT_WRITE,
        # A merge rewrites the sources of the values the survivor took.
        "DELETE": _MERGE,
    },
    "company_link": {
        "SELECT": _CONTACT_READ,
        "INSERT": _CONTACT_WRITE,
        "UPDATE": _CONTACT_WRITE,
        "DELETE": _CONTACT_WRITE | _CONTACT_REMOVE,
    },
    # Tags: anyone who edits contacts makes and renames them; merging and deleting one
    # changes every contact carrying it: settings. Links are added and removed (a merge
    # adds the other tag's links, then drops its own).
    "tag": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.EDIT_CONTACTS, _P.IMPORT}),
        "UPDATE": frozenset({_P.EDIT_CONTACTS}),
        "DELETE": frozenset({_P.EDIT_SETTINGS}),
    },
    # UPDATE for whoever changes a contact's name: a trigger copies its sort name here.
    "contact_tag": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.EDIT_CONTACTS, _P.IMPORT, _P.EDIT_SETTINGS}) | _MERGE,
        "UPDATE": _CONTACT_WRITE | {_P.CLEANUP},
        "DELETE": _CONTACT_WRITE | _CONTACT_REMOVE | {_P.EDIT_SETTINGS},
    },
    # Custom fields: the owner defines them (with their catalogue row); their values are
    # written with the contact. The matrix narrows them in the app (one table holds
    # every custom field's values: no column of its own to withhold).
    "custom_field": {"SELECT": _ALL_READ, "INSERT": frozenset({_P.EDIT_FIELD_MATRIX})},
    "custom_value": {
        "SELECT": _CONTACT_READ,
        "INSERT": _CONTACT_WRITE,
        "UPDATE": _CONTACT_WRITE,
        "DELETE": _CONTACT_WRITE | _CONTACT_REMOVE,
    },
    # A company's custom values: written with the company; the cleanup erases those past
    # their keep period. The same row policies as ``custom_value`` withhold restricted ones.
    "company_custom_value": {
        "SELECT": _CONTACT_READ,
        "INSERT": _CONTACT_WRITE,
        "UPDATE": _CONTACT_WRITE,
        "DELETE": _CONTACT_WRITE | _CONTACT_REMOVE,
    },
    # A company's tags: put on and taken off like a contact's; a merge or delete of a
    # tag (settings) moves or drops them.
    "company_tag": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.EDIT_CONTACTS, _P.IMPORT, _P.EDIT_SETTINGS}) | _MERGE,
        # A merge of companies moves their tags to the survivor.
        "UPDATE": _MERGE,
        "DELETE": _CONTACT_WRITE | _CONTACT_REMOVE | {_P.EDIT_SETTINGS},
    },
    # Merges: the record (with the merged rows, personal data) only for those who merge
    # (and erasure, which empties it); the redirects (ids only) for every reader.
    "contact_merge": {
        "SELECT": _MERGE | {_P.ERASE, _P.CLEANUP},
        "INSERT": _MERGE,
        "UPDATE": _MERGE | {_P.ERASE, _P.CLEANUP},
    },
    "contact_redirect": {
        "SELECT": _CONTACT_READ,
        "INSERT": _MERGE,
        "UPDATE": _MERGE,
        "DELETE": _MERGE,
    },
    # Merges of companies: as those of contacts (a company's record holds its people's
    # links, personal data: only for those who merge).
    "company_merge": {
        "SELECT": _MERGE | {_P.ERASE, _P.CLEANUP},
        "INSERT": _MERGE,
        "UPDATE": _MERGE | {_P.ERASE, _P.CLEANUP},
    },
    "company_redirect": {
        "SELECT": _CONTACT_READ,
        "INSERT": _MERGE,
        "UPDATE": _MERGE,
        "DELETE": _MERGE,
    },
    # Interactions: whoever edits contacts logs, corrects and deletes them (the matrix
    # narrows the columns: details and attachments are restricted, and the INSERT guard
    # asks for UPDATE on a column written); they go with an erasure.
    "activity": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.EDIT_CONTACTS, _P.IMPORT}),
        "UPDATE": frozenset({_P.EDIT_CONTACTS, _P.IMPORT}),
        "DELETE": frozenset({_P.EDIT_CONTACTS}) | _CONTACT_REMOVE,
    },
    # The people who took part in an interaction (ids only): written with it, gone with
    # the interaction or the person (ON DELETE CASCADE); a merge moves them.
    "activity_person": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.EDIT_CONTACTS, _P.IMPORT}) | _MERGE,
        "UPDATE": _MERGE,
        "DELETE": frozenset({_P.EDIT_CONTACTS}) | _CONTACT_REMOVE | _MERGE,
    },
    # Tasks: whoever edits contacts adds, ticks off and hands on tasks; a task about a
    # person goes with the person (the erasure's, cleanup's and import undo's DELETE).
    "task": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.EDIT_CONTACTS}),
        "UPDATE": frozenset({_P.EDIT_CONTACTS}),
        "DELETE": _CONTACT_REMOVE | {_P.EDIT_CONTACTS},
    },
    # The contacts' suppression digests (persistence/contact_digests.py): read only. The
    # trigger of an edit to a name, postcode, address or number forgets them and
    # pcrm_store_digests (persistence/postgres/data_sql.py) stores them, both as the
    # system role: a desk that wrote them could mark a suppressed person as matching
    # nothing on the list (a marker without the digests, or without some of them).
    "contact_digest": {"SELECT": _CONTACT_READ},
    # The contacts whose digests are due (migration 0029): read only, for the same reason.
    # The triggers of an edit, a new contact or a new key add them, pcrm_store_digests
    # takes them out, as the system role: a desk that deleted one could hide a changed
    # person from the suppression check.
    "contact_digest_due": {"SELECT": _CONTACT_READ},
    "contact_count": {"SELECT": _CONTACT_READ},
    "keep_until_count": {"SELECT": _CONTACT_READ},
    "consent_event": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.RECORD_CONSENT, _P.IMPORT, _P.RESTORE}),
        "UPDATE": frozenset({_P.ERASE, _P.CLEANUP}) | _MERGE,
        "DELETE": frozenset({_P.IMPORT, _P.ERASE, _P.CLEANUP}),
    },
    "privacy_statement": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.EDIT_SETTINGS}),
        "UPDATE": frozenset({_P.EDIT_SETTINGS}),
    },
    "purpose": {"SELECT": _ALL_READ},
    "field_catalogue": {"SELECT": _ALL_READ, "INSERT": frozenset({_P.EDIT_FIELD_MATRIX})},
    "recipient": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.MANAGE_REQUESTS, _P.EXPORT, _P.MARKETING_LISTS}),
        "UPDATE": frozenset({_P.MANAGE_REQUESTS}),
    },
    "disclosure": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.MANAGE_REQUESTS, _P.EXPORT, _P.MARKETING_LISTS}),
        "UPDATE": frozenset({_P.MANAGE_REQUESTS}) | _MERGE,
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
        "INSERT": frozenset({_P.MANAGE_REQUESTS}) | _MERGE,
        "UPDATE": frozenset({_P.MANAGE_REQUESTS, _P.ERASE}) | _MERGE,
        "DELETE": frozenset({_P.MANAGE_REQUESTS, _P.ERASE}) | _MERGE,
    },
    # Old and new values of any field, restricted ones included: only for those who
    # handle the requests (and see every field by default).
    "rectification": {
        "SELECT": frozenset({_P.MANAGE_REQUESTS}),
        "INSERT": frozenset({_P.MANAGE_REQUESTS}),
        "UPDATE": _MERGE,
        "DELETE": frozenset({_P.ERASE}),
    },
    "retention_hold": {
        "SELECT": _CONTACT_READ,
        "INSERT": frozenset({_P.CLEANUP, _P.ERASE}),
        "UPDATE": frozenset({_P.CLEANUP, _P.ERASE}) | _MERGE,
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
    # The server's record of every desk write (write_log.install_write_log): written
    # only by the server at each commit.
    "server_write": {"SELECT": frozenset({_P.VIEW_AUDIT})},
    # The server's audit anchor: moved only by ``pcrm_audit_write``.
    "audit_anchor": {"SELECT": frozenset({_P.VIEW_AUDIT})},
    # The highest contact id ever handed out (SQLite's; the server uses the sequence):
    # read by whoever dumps the database for a backup.
    "id_high_water": {"SELECT": frozenset({_P.BACKUP})},
}


def written_tables(existing: Iterable[str]) -> list[str]:
    """The tables of *existing* that some app role may INSERT, UPDATE or DELETE: the
    server's write log watches them (``write_log.install_write_log``)."""
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
