"""The server functions that do on PostgreSQL what a desk role may not do itself, and
their installation.

The functions' texts live by job: who the caller is (caller_sql.py), the audit trail
(audit_sql.py), signing in (sign_in_sql.py), the owner's desk (owner_sql.py), data a desk
may not touch itself (data_sql.py) and the write log (write_log.py); the row policies are
in row_policies.py. ``install_functions`` creates them all, owned by the system role, with
who may call each (``FUNCTIONS``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from privacycrm_desktop.domain.access import Role, default_access
from privacycrm_desktop.domain.fields import FieldSpec, Sensitivity, ValueKind
from privacycrm_desktop.i18n import LANGUAGES
from privacycrm_desktop.persistence.dialect import AUDIT_LOCK_KEY
from privacycrm_desktop.persistence.postgres.audit_sql import (
    AUDIT_APPEND,
    AUDIT_APPEND_MANY,
    AUDIT_CHECKED,
)
from privacycrm_desktop.persistence.postgres.caller_sql import (
    CALLER,
    DEFINER,
    JSON_TEXT,
    LOGIN_ROLE,
)
from privacycrm_desktop.persistence.postgres.data_sql import (
    ANALYSE_LINKS,
    DIGEST_DUE_KEY,
    DIGEST_DUE_NEW,
    DIGEST_FORGET,
    DIGEST_FORGET_ADDED,
    DIGEST_FORMS,
    DIGESTS,
    RESERVE_IDS,
    SPECIAL_SOURCE,
    STORE_DIGESTS,
)
from privacycrm_desktop.persistence.postgres.owner_sql import (
    APPLY_GRANTS,
    BAR_LOGIN,
    END_SESSIONS,
    MANAGE_LOGIN,
    MATRIX_CHANGE,
    USER_CHANGE,
)
from privacycrm_desktop.persistence.postgres.row_policies import (
    CUSTOM_VALUE_RULE,
    INSERT_GUARD,
    INSERT_GUARD_CHECK,
    SALT,
    install_custom_value_policies,
    install_setting_policies,
    install_special_row_policies,
)
from privacycrm_desktop.persistence.postgres.sign_in_sql import (
    LOCKOUT_MINUTES,
    MAX_FAILED_LOGINS,
    OWN_HASH_MATCH,
    OWN_HASH_SHAPE,
    SET_LANGUAGE,
    SIGN_IN_FAILED,
    SIGN_IN_READY,
    SIGNED_IN,
)
from privacycrm_desktop.persistence.postgres.write_log import (
    NOTE_WRITE,
    REVIEW_WRITES,
    TX_CLOSE,
    WATCH,
    WRITE_LOG_TABLES,
)

#: Every function and who may call it: "all" the group roles, "owner" the owner's group.
FUNCTIONS: Mapping[str, str] = {
    "pcrm_json_text(text)": "all",
    "pcrm_login_role(text)": "all",
    "pcrm_caller()": "all",
    "pcrm_audit_write(text, text, text, text, text, text)": "none",
    "pcrm_audit_append(text, text, text, text, text, text)": "all",
    "pcrm_audit_append_many(text, text[], text[], text[], text[], text)": "all",
    "pcrm_sign_in_failed(text, timestamp)": "sign-in",
    "pcrm_sign_in_ready(text, timestamp)": "sign-in",
    "pcrm_signed_in(text, timestamp)": "all",
    "pcrm_own_password_salt()": "all",
    "pcrm_own_password_is(text)": "all",
    "pcrm_set_language(text)": "all",
    "pcrm_manage_login(text, text, text, boolean)": "owner",
    "pcrm_end_sessions(text)": "owner",
    "pcrm_bar_login(text)": "owner",
    "pcrm_apply_grants(jsonb)": "owner",
    "pcrm_special_source(bigint)": "all",
    "pcrm_digests(text[], text[])": "all",
    "pcrm_note_write(text, text, bigint)": "all",
    "pcrm_tx_close()": "none",
    "pcrm_watch()": "none",
    "pcrm_review_writes(text, bigint, text)": "owner",
    "pcrm_user_change(text, text, text, text, text, text, timestamp)": "owner",
    "pcrm_matrix_change(text, text, text, text, boolean, timestamp)": "owner",
    "pcrm_reserve_contact_ids(integer)": "all",
    "pcrm_digest_forms(text, text, text, text[], text[])": "none",
    "pcrm_store_digests(bigint[])": "all",
    "pcrm_contact_digest_forget()": "none",
    "pcrm_contact_digest_forget_added()": "none",
    "pcrm_contact_digest_new()": "none",
    "pcrm_contact_digest_key()": "none",
    "pcrm_analyse_links(text)": "all",
}

#: Every text whose change makes the functions a server has out of date
#: (``grants.policy_version``), in the order the fingerprint has always taken them, so a
#: server set up by an earlier version with the same texts is not upgraded for nothing.
FINGERPRINTED: tuple[str, ...] = (
    APPLY_GRANTS,
    AUDIT_APPEND,
    AUDIT_CHECKED,
    CALLER,
    DEFINER,
    DIGESTS,
    INSERT_GUARD,
    INSERT_GUARD_CHECK,
    JSON_TEXT,
    LOGIN_ROLE,
    MANAGE_LOGIN,
    MATRIX_CHANGE,
    NOTE_WRITE,
    RESERVE_IDS,
    REVIEW_WRITES,
    SALT,
    SET_LANGUAGE,
    SIGNED_IN,
    SIGN_IN_FAILED,
    SIGN_IN_READY,
    SPECIAL_SOURCE,
    TX_CLOSE,
    USER_CHANGE,
    WATCH,
    WRITE_LOG_TABLES,
    CUSTOM_VALUE_RULE,
    AUDIT_APPEND_MANY,
    DIGEST_FORMS,
    STORE_DIGESTS,
    DIGEST_FORGET,
    DIGEST_FORGET_ADDED,
    ANALYSE_LINKS,
    DIGEST_DUE_NEW,
    DIGEST_DUE_KEY,
    OWN_HASH_SHAPE,
    OWN_HASH_MATCH,
    END_SESSIONS,
    BAR_LOGIN,
)

#: Each app role's default access to a restricted custom field (``domain.access``).
RESTRICTED_CUSTOM = {
    role.value: default_access(
        role, FieldSpec("cf_", "", Sensitivity.RESTRICTED, (), value=ValueKind.CUSTOM)
    ).value
    for role in Role
}


def install_functions(
    conn: object,
    *,
    system: str,
    sign_in: str,
    groups: Mapping[str, str],
    quote: Callable[[str], str],
    run: Callable[[str], None],
) -> None:
    """Create (or replace) the policy table, the functions and the row policies, owned by
    *system*; *groups* maps each app role to its group role. Administrator only."""
    literal_system = "'" + system.replace("'", "''") + "'"
    group_array = (
        "ARRAY["
        + ", ".join(
            "ARRAY['" + role.replace("'", "''") + "', '" + name.replace("'", "''") + "']"
            for role, name in groups.items()
        )
        + "]"
    )
    owner_system = quote(system)
    run(
        "CREATE TABLE IF NOT EXISTS pcrm_grant_policy (app_role text NOT NULL, "
        "table_name text NOT NULL, privilege text NOT NULL, "
        "PRIMARY KEY (app_role, table_name, privilege))"
    )
    run(f"ALTER TABLE pcrm_grant_policy OWNER TO {owner_system}")
    # What pcrm_apply_grants checks a plan against (filled by grants.enable).
    run(
        "CREATE TABLE IF NOT EXISTS pcrm_column_rule (table_name text NOT NULL, "
        "column_name text NOT NULL, field text NOT NULL, PRIMARY KEY (table_name, column_name))"
    )
    run(
        "CREATE TABLE IF NOT EXISTS pcrm_field_default (app_role text NOT NULL, "
        "field text NOT NULL, access text NOT NULL, PRIMARY KEY (app_role, field))"
    )
    for table in ("pcrm_column_rule", "pcrm_field_default"):
        run(f"ALTER TABLE {table} OWNER TO {owner_system}")
    # The reset's bars of login roles (pcrm_bar_login), read by pcrm_sign_in_ready.
    run(
        "CREATE TABLE IF NOT EXISTS pcrm_login_bar (username text PRIMARY KEY, "
        "until timestamp NOT NULL)"
    )
    run(f"ALTER TABLE pcrm_login_bar OWNER TO {owner_system}")
    run(WRITE_LOG_TABLES)
    for table in ("server_write", "pcrm_tx_count", "pcrm_tx_open", "pcrm_tx_user"):
        run(f"ALTER TABLE {table} OWNER TO {owner_system}")
    fill = {
        "definer": DEFINER,
        "system": literal_system,
        "groups": group_array,
        "lock_key": str(AUDIT_LOCK_KEY),
        "max_failed": str(MAX_FAILED_LOGINS),
        "lock_minutes": str(LOCKOUT_MINUTES),
        "languages": ", ".join(f"'{language}'" for language in LANGUAGES),
    }
    # The audit functions return (id, hash) since the audit anchors: a changed result
    # type cannot be replaced in place.
    for signature in (
        "pcrm_audit_append(text, text, text, text, text, text)",
        "pcrm_audit_write(text, text, text, text, text, text)",
    ):
        old_kind = f"to_regprocedure('{signature}') AND prorettype = 'bigint'::regtype"
        drop = f"DROP FUNCTION {signature} CASCADE"
        found = "SELECT 1 FROM pg_proc WHERE oid = " + old_kind  # noqa: S608 - constants
        run(f"DO $do$ BEGIN IF EXISTS ({found}) THEN {drop}; END IF; END $do$")
    for template in (
        JSON_TEXT,
        LOGIN_ROLE,
        CALLER,
        AUDIT_APPEND,
        AUDIT_CHECKED,
        AUDIT_APPEND_MANY,
        SIGN_IN_FAILED,
        SIGN_IN_READY,
        SIGNED_IN,
        OWN_HASH_SHAPE,
        OWN_HASH_MATCH,
        SET_LANGUAGE,
        MANAGE_LOGIN,
        END_SESSIONS,
        BAR_LOGIN,
        APPLY_GRANTS,
        SPECIAL_SOURCE,
        DIGESTS,
        WATCH,
        NOTE_WRITE,
        TX_CLOSE,
        REVIEW_WRITES,
        USER_CHANGE,
        MATRIX_CHANGE,
        RESERVE_IDS,
        DIGEST_FORMS,
        STORE_DIGESTS,
        DIGEST_FORGET,
        DIGEST_FORGET_ADDED,
        ANALYSE_LINKS,
        DIGEST_DUE_NEW,
        DIGEST_DUE_KEY,
    ):
        statement = template
        for key, value in fill.items():
            statement = statement.replace("{" + key + "}", value)
        run(statement)
    everyone = ", ".join(quote(name) for name in groups.values())
    for signature, callers in FUNCTIONS.items():
        run(f"ALTER FUNCTION {signature} OWNER TO {owner_system}")
        run(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        grantees = {
            "all": everyone,
            "owner": quote(groups["owner"]),
            "sign-in": f"{everyone}, {quote(sign_in)}",
            "none": "",
        }[callers]
        if grantees:
            run(f"GRANT EXECUTE ON FUNCTION {signature} TO {grantees}")
    install_setting_policies(owner_system, everyone, groups, quote, run)
    install_special_row_policies(owner_system, everyone, run)
    install_custom_value_policies(owner_system, everyone, groups, RESTRICTED_CUSTOM, run)
    run(f"GRANT USAGE ON SCHEMA public TO {everyone}")
    run(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {everyone}")
    # No UPDATE (setval): a desk could move a sequence back (ids given twice) or to its end
    # (no insert works); a bulk writer reserves its block through pcrm_reserve_contact_ids.
    run(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {everyone}")
    # The write log's numbers are the server's own: no desk moves them (a dump reads them).
    run(f"REVOKE USAGE, UPDATE ON SEQUENCE server_write_id_seq FROM {everyone}")
