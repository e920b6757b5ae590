"""Who and when on the interactions, tasks and custom values: the server refuses from a desk
role what the app never writes there, whatever program writes (issue: forged authors and
future dates with plain SQL).

The app records the caller as the author of each row (``recorded_by``, ``created_by``) and
its time as the moment (``recorded_at``, ``created_at``); it refuses an interaction in the
future, and it never changes an author or a moment afterwards. With plain SQL a desk role
could do all of that: a value recorded in 2099 never reaches its keep period, an
interaction in the future stretches a person's keep-until date, another user named as the
author. These rules hold at the root, for every path:

- INSERT (one check per statement, over its new rows): each author column is the
  caller's app user, each moment not later than the server's time plus ``TOLERANCE``
  (the app's few minutes of slack for an interaction's time, on a desk whose clock may
  be a little ahead). The moments are not checked against
  a lower bound: the app writes its own clock's time (tests run it at fixed dates in the
  past), and an interaction may be logged after it happened.
- UPDATE (row by row): the app changes in place only what its services change: nothing of
  an interaction or a custom value, of a task only who it is for and whether it is done
  (done by the caller, at most now, or open again with neither). A merge (the roles that
  merge: ``MERGING_ROLES``) moves rows to the person or company kept, and its undo puts
  rows back as the merge's copy holds them (first authors, values since replaced): for
  those roles only the moments are checked (none moved past the server's time plus the
  tolerance). Only they change the owner columns (``moved``); an interaction is changed
  by nobody else at all (an
  UPDATE of one that changes nothing is skipped: no new row version, which would look
  like an interaction logged in this transaction to ``pcrm_linked_on_logging``).
- ``activity_person``: the app links people to an interaction as it logs it, in the same
  transaction, and only to the caller's own. A role that merges also restores the links
  (and the rows) a merge took away, with their first authors: the author check of an
  INSERT does not hold for it; the time checks do.

Writes made inside the server functions (their effective role is the system role) and by
the administrator (restore, migrations) are not checked, as in the write log. Trigger
functions are not definer functions (``current_user`` is the writing role); they ask the
definer function ``pcrm_desk_user`` who the caller is (``session_user``'s app user), and
``pcrm_linked_on_logging`` whether the linked interactions are the caller's and new in this
transaction (a row's ``xmin`` is a system column a desk role may not read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from privacycrm_desktop.domain.access import Permission, Role, has_permission
from privacycrm_desktop.domain.activities import FUTURE_SLACK

#: How far ahead of the server's clock a desk's clock may be.
CLOCK_SKEW = dt.timedelta(minutes=5)
#: How far ahead of the server's time a moment may be: the app's own slack for an
#: interaction's time (``domain.activities.FUTURE_SLACK``) on a desk whose clock is ahead.
TOLERANCE = f"{int((FUTURE_SLACK + CLOCK_SKEW).total_seconds())} seconds"

#: The app roles that merge contacts and companies (and undo merges).
MERGING_ROLES: tuple[str, ...] = tuple(
    sorted(role.value for role in Role if has_permission(role, Permission.MERGE_CONTACTS))
)


@dataclass(frozen=True)
class WriteRule:
    """What a desk role may write in one table."""

    #: The caller's app user on INSERT; never changed.
    who: tuple[str, ...]
    #: Not later than the server's time (plus the tolerance) on INSERT; never changed.
    when: tuple[str, ...]
    #: Changed by a merge only (the roles that merge).
    moved: tuple[str, ...] = ()
    #: Changed in place by whoever may write the table.
    free: tuple[str, ...] = ()
    #: (moment, author) of "done": set together by the caller (at most now) or cleared.
    done: tuple[str, str] | None = None
    #: No UPDATE at all by a role that does not merge (one changing nothing is skipped).
    merges_only: bool = False


WRITE_RULES: Mapping[str, WriteRule] = {
    "activity": WriteRule(
        who=("recorded_by",),
        when=("recorded_at", "occurred_at"),
        moved=("contact_id", "company_id"),
        merges_only=True,
    ),
    "custom_value": WriteRule(who=("recorded_by",), when=("recorded_at",), moved=("contact_id",)),
    "company_custom_value": WriteRule(
        who=("recorded_by",), when=("recorded_at",), moved=("company_id",)
    ),
    "task": WriteRule(
        who=("created_by",),
        when=("created_at",),
        moved=("contact_id", "company_id"),
        free=("assignee_id",),
        done=("done_at", "done_by"),
    ),
}

#: Link tables written with an interaction: table -> its column naming the interaction.
LINK_TABLES: Mapping[str, str] = {"activity_person": "activity_id"}

#: The caller's app user (NULL for the administrator), and its app role.
DESK_USER = """
CREATE OR REPLACE FUNCTION pcrm_desk_user(OUT user_id integer, OUT app_role text)
LANGUAGE plpgsql STABLE {definer} AS $fn$
BEGIN
    SELECT u.id, u.role INTO user_id, app_role FROM app_user u
    WHERE u.active AND pcrm_login_role(u.username) = session_user;
    IF FOUND OR pg_has_role(session_user, {system}, 'MEMBER') THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'not a user of this database' USING ERRCODE = '42501';
END $fn$
"""

#: True when each of the interactions *p_ids* exists, was recorded by the caller and was
#: written in this transaction: the row's ``xmin`` (made a full transaction id with the
#: current epoch) is in progress. Other transactions' rows in progress are not visible, so
#: an interaction in progress here is this transaction's (or one of its savepoints').
LINKED_ON_LOGGING = """
CREATE OR REPLACE FUNCTION pcrm_linked_on_logging(p_ids bigint[]) RETURNS boolean
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    me integer;
    current bigint := txid_current();
    epoch bigint := (txid_current() >> 32) << 32;
BEGIN
    SELECT u.id INTO me FROM app_user u
    WHERE u.active AND pcrm_login_role(u.username) = session_user;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    RETURN NOT EXISTS (
        SELECT 1 FROM unnest(p_ids) AS w(id) LEFT JOIN activity a ON a.id = w.id
        WHERE a.id IS NULL OR a.recorded_by IS DISTINCT FROM me
            OR txid_status(CASE WHEN epoch + a.xmin::text::bigint > current
                THEN epoch + a.xmin::text::bigint - 4294967296
                ELSE epoch + a.xmin::text::bigint END) IS DISTINCT FROM 'in progress');
END $fn$
"""

#: The start of every rule function: the system role (server functions) and the
#: administrator pass; anyone else is a desk's app user (``me``).
_PROLOGUE = """
    IF pg_has_role(current_user, {system}, 'MEMBER') THEN
        RETURN {pass};
    END IF;
    SELECT * INTO me FROM pcrm_desk_user();
    IF me.user_id IS NULL THEN
        RETURN {pass};
    END IF;
    merges := me.app_role IN ({mergers});
    latest := (clock_timestamp() AT TIME ZONE 'UTC') + interval '{tolerance}';"""

#: The INSERT check of one table: once per statement, over its new rows (``added``).
INSERT_RULE = """
CREATE OR REPLACE FUNCTION pcrm_rule_insert_{table}() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $fn$
DECLARE
    me record;
    merges boolean;
    latest timestamp;
BEGIN{prologue}
    IF NOT merges AND EXISTS (SELECT 1 FROM added WHERE {who_other}) THEN
        RAISE EXCEPTION 'the author of a row of {table} is the user who writes it'
            USING ERRCODE = '42501';
    END IF;
    IF EXISTS (SELECT 1 FROM added WHERE {when_later}) THEN
        RAISE EXCEPTION 'a row of {table} cannot be dated in the future'
            USING ERRCODE = '42501';
    END IF;{done_insert}
    RETURN NULL;
END $fn$
"""

INSERT_DONE = """
    IF EXISTS (SELECT 1 FROM added WHERE NOT (({done_at} IS NULL AND {done_by} IS NULL)
            OR ({done_at} <= latest AND ({done_by} = me.user_id OR merges)))) THEN
        RAISE EXCEPTION 'a task is done by the user who ticks it off, at most now'
            USING ERRCODE = '42501';
    END IF;"""

#: The UPDATE check of one table, row by row.
UPDATE_RULE = """
CREATE OR REPLACE FUNCTION pcrm_rule_update_{table}() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $fn$
DECLARE
    me record;
    merges boolean;
    latest timestamp;
BEGIN{prologue}{merges_only}
    IF merges THEN
        IF {when_later} THEN
            RAISE EXCEPTION 'a row of {table} cannot be dated in the future'
                USING ERRCODE = '42501';
        END IF;
        RETURN NEW;
    END IF;
    IF {fixed_changed} THEN
        RAISE EXCEPTION 'the app does not change these columns of {table}'
            USING ERRCODE = '42501';
    END IF;
    IF {moved_changed} THEN
        RAISE EXCEPTION 'only a merge moves a row of {table}' USING ERRCODE = '42501';
    END IF;{done_update}
    RETURN NEW;
END $fn$
"""

UPDATE_MERGES_ONLY = """
    IF NOT merges THEN
        IF NEW IS NOT DISTINCT FROM OLD THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'the app does not change a row of {table}' USING ERRCODE = '42501';
    END IF;"""

UPDATE_DONE = """
    IF (NEW.{done_at}, NEW.{done_by}) IS DISTINCT FROM (OLD.{done_at}, OLD.{done_by})
        AND NOT ((NEW.{done_at} IS NULL AND NEW.{done_by} IS NULL)
            OR (NEW.{done_at} <= latest AND NEW.{done_by} = me.user_id)) THEN
        RAISE EXCEPTION 'a task is done by the user who ticks it off, at most now'
            USING ERRCODE = '42501';
    END IF;"""

#: The INSERT check of a link table: people are linked to the caller's own interaction as
#: it is logged (or restored by a role that merges).
LINK_RULE = """
CREATE OR REPLACE FUNCTION pcrm_rule_insert_{table}() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $fn$
DECLARE
    me record;
    merges boolean;
    latest timestamp;
BEGIN{prologue}
    IF NOT merges AND NOT pcrm_linked_on_logging(
            ARRAY(SELECT DISTINCT {link} FROM added)::bigint[]) THEN
        RAISE EXCEPTION 'people are linked to an interaction as its author logs it'
            USING ERRCODE = '42501';
    END IF;
    RETURN NULL;
END $fn$
"""

#: Every text whose change makes a server's rules out of date (``grants.policy_version``).
WRITE_RULE_TEXTS: tuple[str, ...] = (
    TOLERANCE,
    DESK_USER,
    LINKED_ON_LOGGING,
    _PROLOGUE,
    INSERT_RULE,
    INSERT_DONE,
    UPDATE_RULE,
    UPDATE_MERGES_ONLY,
    UPDATE_DONE,
    LINK_RULE,
    repr(sorted(WRITE_RULES.items())),
    repr(sorted(LINK_TABLES.items())),
    repr(MERGING_ROLES),
)

#: The definer functions of the rules and their signatures (callable by every desk role).
RULE_FUNCTIONS: tuple[str, ...] = ("pcrm_desk_user()", "pcrm_linked_on_logging(bigint[])")


def _any_changed(columns: Sequence[str]) -> str:
    if not columns:
        return "false"
    new = ", ".join(f"NEW.{c}" for c in columns)
    old = ", ".join(f"OLD.{c}" for c in columns)
    return f"ROW({new}) IS DISTINCT FROM ROW({old})"


def _fill(template: str, values: Mapping[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def rule_texts(
    columns: Mapping[str, Sequence[str]], *, system_literal: str
) -> list[tuple[str, str, str]]:
    """(table, trigger kind, function text) of every rule of the tables in *columns*
    (each table's columns, read from the database: a column the app adds later is one
    the app does not change until a rule says so)."""
    mergers = ", ".join("'" + r + "'" for r in MERGING_ROLES)
    prologue = {
        "system": system_literal,
        "mergers": mergers,
        "tolerance": TOLERANCE,
    }
    texts: list[tuple[str, str, str]] = []
    for table, rule in sorted(WRITE_RULES.items()):
        if table not in columns:
            continue
        done_insert = done_update = ""
        done_columns: tuple[str, ...] = ()
        if rule.done is not None:
            done_at, done_by = rule.done
            done_columns = rule.done
            names = {"done_at": done_at, "done_by": done_by}
            done_insert = _fill(INSERT_DONE, names)
            done_update = _fill(UPDATE_DONE, names)
        fixed = [c for c in columns[table] if c not in (*rule.moved, *rule.free, *done_columns)]
        insert = _fill(
            INSERT_RULE,
            {
                "prologue": _fill(_PROLOGUE, {**prologue, "pass": "NULL"}),
                "done_insert": done_insert,
                "who_other": " OR ".join(f"{c} IS DISTINCT FROM me.user_id" for c in rule.who),
                "when_later": " OR ".join(f"{c} > latest" for c in rule.when),
            },
        )
        update = _fill(
            UPDATE_RULE,
            {
                "prologue": _fill(_PROLOGUE, {**prologue, "pass": "NEW"}),
                "merges_only": UPDATE_MERGES_ONLY if rule.merges_only else "",
                "when_later": " OR ".join(
                    f"(NEW.{c} > latest AND NEW.{c} IS DISTINCT FROM OLD.{c})"
                    for c in (*rule.when, *done_columns[:1])
                ),
                "fixed_changed": _any_changed(fixed),
                "moved_changed": _any_changed(rule.moved),
                "done_update": done_update,
            },
        )
        texts.append((table, "insert", _fill(insert, {"table": table})))
        texts.append((table, "update", _fill(update, {"table": table})))
    for table, link in sorted(LINK_TABLES.items()):
        if table not in columns:
            continue
        text = _fill(
            LINK_RULE,
            {"prologue": _fill(_PROLOGUE, {**prologue, "pass": "NULL"}), "link": link},
        )
        texts.append((table, "insert", _fill(text, {"table": table})))
    return texts


def install_write_rules(
    columns: Mapping[str, Sequence[str]],
    *,
    system: str,
    system_literal: str,
    everyone: str,
    definer: str,
    run: Callable[[str], None],
) -> None:
    """Create (or replace) the rules' functions, owned by the system role *system*
    (quoted), and their triggers on the tables of *columns* (see the module's text).
    *everyone* lists the group roles (quoted). Administrator only."""
    for template in (DESK_USER, LINKED_ON_LOGGING):
        run(_fill(template, {"definer": definer, "system": system_literal}))
    for signature in RULE_FUNCTIONS:
        run(f"ALTER FUNCTION {signature} OWNER TO {system}")
        run(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        run(f"GRANT EXECUTE ON FUNCTION {signature} TO {everyone}")
    for table, kind, text in rule_texts(columns, system_literal=system_literal):
        function = f"pcrm_rule_{kind}_{table}()"
        run(text)
        run(f"ALTER FUNCTION {function} OWNER TO {system}")
        run(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        trigger = f"pcrm_rule_{kind}"
        run(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        if kind == "insert":
            run(
                f"CREATE TRIGGER {trigger} AFTER INSERT ON {table} "
                f"REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION {function}"
            )
        else:
            run(
                f"CREATE TRIGGER {trigger} BEFORE UPDATE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}"
            )


def drop_write_rules(run: Callable[[str], None]) -> None:
    """Remove the rules (the migration's downgrade)."""
    tables = [*WRITE_RULES, *LINK_TABLES]
    for table in tables:
        for kind in ("insert", "update"):
            run(f"DROP TRIGGER IF EXISTS pcrm_rule_{kind} ON {table}")
            run(f"DROP FUNCTION IF EXISTS pcrm_rule_{kind}_{table}()")
    for signature in RULE_FUNCTIONS:
        run(f"DROP FUNCTION IF EXISTS {signature}")
