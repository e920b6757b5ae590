"""Row-level rules the server enforces beyond table and column grants: the INSERT guards of
restricted columns, the row policies of ``setting`` (keys no desk writes, reads or
deletes), and those hiding special-category facts kept outside their own table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

#: INSERT is granted on whole rows (a contact is one row), UPDATE only on the columns the
#: field matrix lets a role change. This trigger narrows INSERT the same way: a value in a
#: restricted column (notes, birth date) comes only from a role that may change that
#: column; an empty one ('' or NULL, what the app writes for a hidden field) from anyone.
#: Not a definer function: ``has_column_privilege`` asks about the inserting role.
INSERT_GUARD = """
CREATE OR REPLACE FUNCTION pcrm_guard_{table}() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $fn$
BEGIN
{checks}
    RETURN NEW;
END
$fn$
"""
INSERT_GUARD_CHECK = """
    IF NEW.{column} IS NOT NULL AND NEW.{column}::text <> ''
       AND NOT has_column_privilege('{table}', '{column}', 'UPDATE') THEN
        RAISE EXCEPTION 'permission denied for column {column} of table {table}'
            USING ERRCODE = 'insufficient_privilege';
    END IF;"""


def install_insert_guards(
    guarded: Mapping[str, Sequence[str]],
    *,
    owner: str,
    run: Callable[[str], None],
) -> None:
    """A BEFORE INSERT trigger on each table of *guarded* refusing a value in any of its
    columns from a role that may not change that column (see ``INSERT_GUARD``).
    Table and column names come from the model, never from input."""
    for table, columns in sorted(guarded.items()):
        checks = "".join(
            INSERT_GUARD_CHECK.replace("{table}", table).replace("{column}", column)
            for column in columns
        )
        run(INSERT_GUARD.replace("{table}", table).replace("{checks}", checks))
        run(f"ALTER FUNCTION pcrm_guard_{table}() OWNER TO {owner}")
        run(f"REVOKE ALL ON FUNCTION pcrm_guard_{table}() FROM PUBLIC")
        run(f"DROP TRIGGER IF EXISTS pcrm_guard ON {table}")
        run(
            f"CREATE TRIGGER pcrm_guard BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION pcrm_guard_{table}()"
        )


#: The setting a backup never holds (the key that seals backup manifests).
DUMPLESS_SETTING = "backup.auth_key"
#: Settings no desk role writes, and those no desk role deletes.
SALT = "suppression.salt"
PROTECTED_SETTINGS = ("audit.head", SALT)
#: Read only by the roles that back up the database: the suppression key, and the key that
#: seals backup manifests (whoever reads it can forge a backup, services/backup/keys.py).
KEEPERS_ONLY_SETTINGS = (SALT, "backup.auth_key")
UNDELETABLE_SETTINGS = (
    *PROTECTED_SETTINGS,
    "backup.encryption",
    "backup.auth_key",
    "database.id",
)


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def install_setting_policies(
    owner_system: str,
    everyone: str,
    groups: Mapping[str, str],
    quote: Callable[[str], str],
    run: Callable[[str], None],
) -> None:
    """The row policies of ``setting`` (see ``functions.install_functions``)."""
    # Settings: a desk role that may write settings at all writes only the keys the app
    # lets it; the audit head and the suppression key are the functions' alone, and the
    # backup encryption key cannot be deleted from a desk.
    run("ALTER TABLE setting ENABLE ROW LEVEL SECURITY")
    for policy in ("system", "keepers", "read", "add", "change", "remove", "not_dumped"):
        run(f"DROP POLICY IF EXISTS pcrm_setting_{policy} ON setting")
    protected = _sql_list(PROTECTED_SETTINGS)
    undeletable = _sql_list(UNDELETABLE_SETTINGS)
    run(
        f"CREATE POLICY pcrm_setting_system ON setting FOR ALL TO {owner_system} "
        "USING (true) WITH CHECK (true)"
    )
    # The suppression key: read by the roles that back up the database (owner, privacy
    # officer), for everyone else the server hashes (``pcrm_digests``).
    keepers = ", ".join(quote(groups[r]) for r in ("owner", "privacy_officer"))
    run(f"CREATE POLICY pcrm_setting_keepers ON setting FOR SELECT TO {keepers} USING (true)")
    keepers_only = _sql_list(KEEPERS_ONLY_SETTINGS)
    run(
        f"CREATE POLICY pcrm_setting_read ON setting FOR SELECT TO {everyone} "
        f"USING (key NOT IN ({keepers_only}))"
    )
    # A backup never holds the key that seals backups (whoever reads a plain dump could
    # forge one): pg_dump connects with pcrm.dump=on (persistence/pg_dump.py), and for it
    # the key's row is not there. The restore puts this database's key back.
    run(
        f"CREATE POLICY pcrm_setting_not_dumped ON setting AS RESTRICTIVE FOR SELECT "
        f"TO {everyone} USING (key <> '{DUMPLESS_SETTING}' "
        "OR coalesce(current_setting('pcrm.dump', true), '') <> 'on')"
    )
    run(
        f"CREATE POLICY pcrm_setting_add ON setting FOR INSERT TO {everyone} "
        f"WITH CHECK (key NOT IN ({protected}))"
    )
    run(
        f"CREATE POLICY pcrm_setting_change ON setting FOR UPDATE TO {everyone} "
        f"USING (key NOT IN ({protected})) WITH CHECK (key NOT IN ({protected}))"
    )
    run(
        f"CREATE POLICY pcrm_setting_remove ON setting FOR DELETE TO {everyone} "
        f"USING (key NOT IN ({undeletable}))"
    )


def install_special_row_policies(
    owner_system: str,
    everyone: str,
    run: Callable[[str], None],
) -> None:
    """The row policies of ``consent_event`` and ``source`` (see ``install_functions``)."""
    # A special-category fact outside its own table: the written consent for a category
    # (its category and evidence) and the source of a special-category datum. A role that
    # may not read special_category_datum (the matrix hides it) does not see those rows.
    # Names qualified: pg_dump reads with an empty search_path, and a policy that names
    # an unqualified table fails there (no backup of a database with such rows).
    sees_special = "has_table_privilege('public.special_category_datum', 'SELECT')"
    hidden_rows = {
        "consent_event": f"(product_category NOT LIKE 'special:%' OR {sees_special})",
        "source": f"(NOT public.pcrm_special_source(id) OR {sees_special})",
    }
    for table, visible in hidden_rows.items():
        run(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for policy in ("system", "read", "add", "change", "remove"):
            run(f"DROP POLICY IF EXISTS pcrm_{table}_{policy} ON {table}")
        run(
            f"CREATE POLICY pcrm_{table}_system ON {table} FOR ALL TO {owner_system} "
            "USING (true) WITH CHECK (true)"
        )
        run(f"CREATE POLICY pcrm_{table}_read ON {table} FOR SELECT TO {everyone} USING {visible}")
        run(f"CREATE POLICY pcrm_{table}_add ON {table} FOR INSERT TO {everyone} WITH CHECK (true)")
        run(
            f"CREATE POLICY pcrm_{table}_change ON {table} FOR UPDATE TO {everyone} "
            f"USING {visible} WITH CHECK (true)"
        )
        run(
            f"CREATE POLICY pcrm_{table}_remove ON {table} FOR DELETE TO {everyone} USING {visible}"
        )


#: A custom field's value, seen by a role (*test* on its access: the owner's override in
#: ``role_field_access``, else the default): every value of an ordinary field, and of a
#: restricted one only for the roles the matrix lets see (or change) it. The app enforces
#: the whole matrix; the server withholds restricted values, as it does notes and birth
#: dates (``hidden_columns``).
CUSTOM_VALUE_RULE = """(NOT EXISTS (SELECT 1 FROM public.custom_field f
        WHERE f.id = field_id AND f.restricted)
    OR EXISTS (SELECT 1 FROM public.custom_field f, (VALUES {roles}) AS g(app_role, grp, dflt)
        WHERE f.id = field_id AND pg_has_role(current_user, g.grp, 'MEMBER')
        AND coalesce((SELECT o.access FROM public.role_field_access o
            WHERE o.role = g.app_role AND o.field = 'cf_' || f.key), g.dflt) {test}))"""


#: The tables of custom values (contacts', companies'): each row names its field.
CUSTOM_VALUE_TABLES = ("custom_value", "company_custom_value")


def install_custom_value_policies(
    owner_system: str,
    everyone: str,
    groups: Mapping[str, str],
    defaults: Mapping[str, str],
    run: Callable[[str], None],
) -> None:
    """The row policies of ``custom_value`` and ``company_custom_value``: a restricted
    custom field's values are read only by the roles that see it and written only by those
    that may change it. *defaults* is each app role's default access to a restricted
    custom field."""
    roles = ", ".join(
        f"({_sql_list((role,))}, {_sql_list((group,))}, {_sql_list((defaults[role],))})"
        for role, group in sorted(groups.items())
    )
    seen = CUSTOM_VALUE_RULE.replace("{roles}", roles).replace("{test}", "<> 'hidden'")
    changed = CUSTOM_VALUE_RULE.replace("{roles}", roles).replace("{test}", "= 'write'")
    for table in CUSTOM_VALUE_TABLES:
        run(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for policy in ("system", "read", "add", "change", "remove"):
            run(f"DROP POLICY IF EXISTS pcrm_{table}_{policy} ON {table}")
        run(
            f"CREATE POLICY pcrm_{table}_system ON {table} FOR ALL TO {owner_system} "
            "USING (true) WITH CHECK (true)"
        )
        run(f"CREATE POLICY pcrm_{table}_read ON {table} FOR SELECT TO {everyone} USING {seen}")
        run(
            f"CREATE POLICY pcrm_{table}_add ON {table} FOR INSERT TO {everyone} "
            f"WITH CHECK {changed}"
        )
        run(
            f"CREATE POLICY pcrm_{table}_change ON {table} FOR UPDATE TO {everyone} "
            f"USING {seen} WITH CHECK {changed}"
        )
        run(f"CREATE POLICY pcrm_{table}_remove ON {table} FOR DELETE TO {everyone} USING {seen}")
