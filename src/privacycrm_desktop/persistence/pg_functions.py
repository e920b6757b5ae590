"""The server functions that do on PostgreSQL what a desk role may not do itself (issue 15).

Every function here is owned by the database's NOLOGIN system role (``<db>_system``), runs
as it (SECURITY DEFINER, fixed ``search_path``) and decides who the caller is from the
server session: ``session_user`` is the login role the connection authenticated as, and
``pcrm_caller`` maps it to the active app user whose login role has that name. Nothing a
desk role can write takes part in that decision. A connection that is no app user's login
role is accepted only when it is a member of the system role (the administrator) and is
refused otherwise.

* ``pcrm_audit_append`` appends an audit event and moves ``audit.head`` (the hash is the
  same as ``domain.audit.chain_hash``); desk roles cannot INSERT into ``audit_event`` or
  write ``audit.head`` themselves. For a desk role the actor is the caller, whatever the
  desk passes.
* ``pcrm_signed_in`` and ``pcrm_set_language`` write the caller's own sign-in bookkeeping
  and language in ``app_user``, which desk roles cannot UPDATE.
* ``pcrm_manage_login`` creates and changes login roles for the owner's desk (the system
  role has CREATEROLE; no login role does, because on PostgreSQL 15 CREATEROLE may grant
  itself any group, the system role included). Passwords arrive as SCRAM verifiers only.
* ``pcrm_apply_grants`` re-grants the tables after a change of the field matrix; it only
  grants what ``pcrm_grant_policy`` (written by the administrator) allows, so the owner's
  desk can narrow a role, never widen it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from privacycrm_desktop.persistence.dialect import AUDIT_LOCK_KEY

#: Refused sign-ins before an account locks, and for how long (as on SQLite).
MAX_FAILED_LOGINS = 10
LOCKOUT_MINUTES = 15
#: The password of the sign-in role (``<db>_signin``). Public on purpose: that role can
#: only count a refused sign-in and reopen an account whose lock is over.
SIGN_IN_PASSWORD = "privacycrm-sign-in"  # noqa: S105 - public by design

_DEFINER = "SECURITY DEFINER SET search_path = public, pg_temp"

_JSON_TEXT = r"""
CREATE OR REPLACE FUNCTION pcrm_json_text(p text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp AS $fn$
DECLARE
    s text := to_json(p)::text;
    result text := '';
    ch text;
    cp integer;
BEGIN
    -- Python's json.dumps(ensure_ascii=True): to_json escapes the same control
    -- characters; DEL and non-ASCII become \uXXXX (surrogate pairs above U+FFFF).
    IF s !~ '[^\x01-\x7e]' THEN
        RETURN s;
    END IF;
    FOR i IN 1..length(s) LOOP
        ch := substr(s, i, 1);
        cp := ascii(ch);
        IF cp < 127 THEN
            result := result || ch;
        ELSIF cp < 65536 THEN
            result := result || '\u' || lpad(to_hex(cp), 4, '0');
        ELSE
            cp := cp - 65536;
            result := result || '\u' || lpad(to_hex(55296 + (cp >> 10)), 4, '0')
                || '\u' || lpad(to_hex(56320 + (cp & 1023)), 4, '0');
        END IF;
    END LOOP;
    RETURN result;
END $fn$
"""

_LOGIN_ROLE = r"""
CREATE OR REPLACE FUNCTION pcrm_login_role(p_username text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $fn$
DECLARE
    name text := current_database() || '_u_' || p_username;
    prefix text;
BEGIN
    -- As persistence.pg_roles._bounded: names longer than 63 bytes are shortened.
    IF octet_length(name) <= 63 THEN
        RETURN name;
    END IF;
    prefix := name;
    WHILE octet_length(prefix) > 46 LOOP
        prefix := left(prefix, -1);
    END LOOP;
    RETURN prefix || '_' || left(encode(sha256(convert_to(name, 'UTF8')), 'hex'), 16);
END $fn$
"""

_CALLER = """
CREATE OR REPLACE FUNCTION pcrm_caller(OUT username text, OUT app_role text, OUT desk boolean)
LANGUAGE plpgsql STABLE {definer} AS $fn$
BEGIN
    SELECT u.username, u.role INTO username, app_role FROM app_user u
    WHERE u.active AND pcrm_login_role(u.username) = session_user;
    IF FOUND THEN
        desk := true;
        RETURN;
    END IF;
    IF pg_has_role(session_user, {system}, 'MEMBER') THEN
        desk := false;  -- the administrator: the app names the actor
        RETURN;
    END IF;
    RAISE EXCEPTION 'not a user of this database' USING ERRCODE = '42501';
END $fn$
"""

_AUDIT_APPEND = """
CREATE OR REPLACE FUNCTION pcrm_audit_write(
    who text, p_action text, p_entity text, p_entity_id text, p_detail text, p_at text,
    OUT event_id bigint, OUT event_hash text
)
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    anchored record;
    last_id bigint;
    prev text;
    next_id bigint;
    payload text;
    digest text;
BEGIN
    PERFORM pg_advisory_xact_lock({lock_key});
    SELECT id, hash INTO last_id, prev FROM audit_event ORDER BY id DESC LIMIT 1;
    IF NOT FOUND THEN
        last_id := 0;
        prev := repeat('0', 64);
    END IF;
    next_id := last_id + 1;
    payload := '[' || pcrm_json_text(prev) || ',' || pcrm_json_text(p_at) || ','
        || pcrm_json_text(who) || ',' || pcrm_json_text(p_action) || ','
        || pcrm_json_text(p_entity) || ',' || pcrm_json_text(p_entity_id) || ','
        || pcrm_json_text(p_detail) || ',' || pcrm_json_text(next_id::text) || ']';
    digest := encode(sha256(convert_to(payload, 'UTF8')), 'hex');
    INSERT INTO audit_event (id, at, actor, action, entity, entity_id, detail, prev_hash, hash)
    VALUES (next_id, p_at, who, p_action, p_entity, p_entity_id, p_detail, prev, digest);
    INSERT INTO setting (key, value) VALUES ('audit.head', next_id || ':' || digest)
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
    -- The server's audit anchor (persistence/audit_anchor.write_server_anchor), where the
    -- database has one: an anchor not naming the event chained onto is kept for the check.
    IF to_regclass('audit_anchor') IS NOT NULL THEN
        SELECT events, head INTO anchored FROM audit_anchor WHERE id = 1;
        IF FOUND AND (anchored.events::bigint, anchored.head::text)
            IS DISTINCT FROM (last_id, CASE WHEN last_id = 0 THEN '' ELSE prev END)
        THEN
            INSERT INTO audit_anchor (id, events, head, at, found)
            SELECT max(id) + 1, anchored.events, anchored.head, p_at, last_id FROM audit_anchor;
        END IF;
        INSERT INTO audit_anchor (id, events, head, at) VALUES (1, next_id, digest, p_at)
        ON CONFLICT (id) DO UPDATE SET events = excluded.events, head = excluded.head,
            at = excluded.at;
    END IF;
    event_id := next_id;
    event_hash := digest;
END $fn$
"""

_AUDIT_CHECKED = """
CREATE OR REPLACE FUNCTION pcrm_audit_append(
    p_actor text, p_action text, p_entity text, p_entity_id text, p_detail text, p_at text,
    OUT event_id bigint, OUT event_hash text
)
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    -- A desk appends in its own name only; the administrator names the actor.
    SELECT w.event_id, w.event_hash INTO event_id, event_hash FROM pcrm_audit_write(
        CASE WHEN c.desk THEN c.username ELSE p_actor END,
        p_action, p_entity, p_entity_id, p_detail, p_at
    ) w;
END $fn$
"""

_SIGN_IN_FAILED = """
CREATE OR REPLACE FUNCTION pcrm_sign_in_failed(p_username text, p_at timestamp)
RETURNS boolean
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    u record;
    name text := pcrm_login_role(p_username);
BEGIN
    -- One refused sign-in of *p_username*: counted like on SQLite; at the limit the
    -- account is locked for the lock period and its login role cannot connect (NOLOGIN),
    -- whatever client tries. True when the account is locked. The caller's time (the
    -- app's clock) may not lie ahead of the server's by more than a day: the sign-in
    -- role's password is public, so nobody locks an account for years.
    IF p_at IS NULL OR p_at > (now() AT TIME ZONE 'UTC') + interval '1 day' THEN
        p_at := now() AT TIME ZONE 'UTC';
    END IF;
    SELECT id, failed_logins, locked_until INTO u FROM app_user
    WHERE username = p_username AND active FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF u.locked_until IS NOT NULL AND u.locked_until > p_at THEN
        RETURN true;
    END IF;
    IF u.failed_logins + 1 < {max_failed} THEN
        UPDATE app_user SET failed_logins = u.failed_logins + 1 WHERE id = u.id;
        RETURN false;
    END IF;
    UPDATE app_user SET failed_logins = 0, locked_until = p_at + interval '{lock_minutes} minutes'
    WHERE id = u.id;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
        EXECUTE format('ALTER ROLE %I NOLOGIN', name);
    END IF;
    PERFORM pcrm_audit_write(p_username, 'user.locked', 'app_user', u.id::text, '',
        to_char(p_at, 'YYYY-MM-DD"T"HH24:MI:SS.US'));
    RETURN true;
END $fn$
"""

_SIGN_IN_READY = """
CREATE OR REPLACE FUNCTION pcrm_sign_in_ready(p_username text, p_at timestamp)
RETURNS boolean
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    u record;
    name text := pcrm_login_role(p_username);
BEGIN
    -- Before a sign-in: an active account whose lock is over may connect again.
    -- False while it is locked (or unknown, or deactivated). Over by the caller's clock
    -- and by the server's: a time from the future opens nothing early.
    SELECT id, locked_until INTO u FROM app_user WHERE username = p_username AND active;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF u.locked_until IS NOT NULL
        AND u.locked_until > least(coalesce(p_at, now() AT TIME ZONE 'UTC'),
            now() AT TIME ZONE 'UTC') THEN
        RETURN false;
    END IF;
    IF u.locked_until IS NOT NULL THEN
        UPDATE app_user SET locked_until = NULL WHERE id = u.id;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name AND NOT rolcanlogin) THEN
        EXECUTE format('ALTER ROLE %I LOGIN', name);
    END IF;
    RETURN true;
END $fn$
"""

_SIGNED_IN = """
CREATE OR REPLACE FUNCTION pcrm_signed_in(p_rehash text, p_at timestamp) RETURNS void
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF NOT c.desk THEN
        RAISE EXCEPTION 'only for a desk''s own login role' USING ERRCODE = '42501';
    END IF;
    IF p_rehash IS NOT NULL AND left(p_rehash, 10) <> '$argon2id$' THEN
        RAISE EXCEPTION 'an argon2id hash is expected' USING ERRCODE = '22023';
    END IF;
    UPDATE app_user SET failed_logins = 0, locked_until = NULL, last_login_at = p_at,
        password_hash = coalesce(p_rehash, password_hash)
    WHERE username = c.username;
END $fn$
"""

_SET_LANGUAGE = """
CREATE OR REPLACE FUNCTION pcrm_set_language(p_language text) RETURNS void
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF NOT c.desk THEN
        RAISE EXCEPTION 'only for a desk''s own login role' USING ERRCODE = '42501';
    END IF;
    UPDATE app_user SET language = left(p_language, 5) WHERE username = c.username;
END $fn$
"""

_MANAGE_LOGIN = """
CREATE OR REPLACE FUNCTION pcrm_manage_login(
    p_username text, p_verifier text, p_role text, p_active boolean
) RETURNS void
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
    u record;
    name text;
    groups text[][] := {groups};
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF c.desk AND c.app_role <> 'owner' THEN
        RAISE EXCEPTION 'only the owner manages users' USING ERRCODE = '42501';
    END IF;
    SELECT id, role, active INTO u FROM app_user WHERE username = p_username;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such user' USING ERRCODE = '22023';
    END IF;
    IF c.desk THEN
        -- The owner's desk only brings the login role in line with app_user (which only
        -- pcrm_user_change writes, with its audit event): the group of the user's app
        -- role, LOGIN as the account is active, and a new password only in the
        -- transaction that added the user or reset their password.
        p_role := CASE WHEN p_role IS NULL THEN NULL ELSE u.role END;
        p_active := CASE WHEN p_active IS NULL THEN NULL ELSE u.active END;
        -- pcrm_user_change notes an added user or a reset password for this transaction
        -- in a table only the system role writes (an audit event a desk appends itself
        -- would prove nothing).
        IF p_verifier IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM pcrm_tx_user
            WHERE txid = txid_current() AND username = p_username
        ) THEN
            RAISE EXCEPTION 'a password is set only with an audited reset'
                USING ERRCODE = '42501';
        END IF;
    END IF;
    DELETE FROM pcrm_tx_user WHERE txid = txid_current() AND username = p_username;
    name := pcrm_login_role(p_username);
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
        EXECUTE format('CREATE ROLE %I NOLOGIN INHERIT', name);
    ELSIF pg_has_role(name, {system}, 'MEMBER')
        OR EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name AND (rolsuper OR rolbypassrls))
        -- From a desk, an existing role must be one of this database's login roles (a
        -- member of one of its groups): "<db>_u_x_system" may be another database's role.
        OR (c.desk AND NOT EXISTS (
            SELECT 1 FROM pg_auth_members m
            JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
            WHERE r.rolname = name
                AND g.rolname IN (SELECT groups[i][2] FROM generate_subscripts(groups, 1) i)
        ))
    THEN
        RAISE EXCEPTION 'not a login role of this database' USING ERRCODE = '42501';
    END IF;
    IF p_verifier IS NOT NULL THEN
        IF left(p_verifier, 14) <> 'SCRAM-SHA-256$' THEN
            RAISE EXCEPTION 'a SCRAM-SHA-256 verifier is expected' USING ERRCODE = '22023';
        END IF;
        EXECUTE format('ALTER ROLE %I PASSWORD %L', name, p_verifier);
    END IF;
    IF p_role IS NOT NULL THEN
        IF NOT EXISTS (SELECT 1 FROM unnest(groups[:][1:1]) r WHERE r = p_role) THEN
            RAISE EXCEPTION 'no such app role' USING ERRCODE = '22023';
        END IF;
        FOR i IN 1..array_length(groups, 1) LOOP
            IF groups[i][1] = p_role THEN
                EXECUTE format('GRANT %I TO %I', groups[i][2], name);
            ELSIF pg_has_role(name, groups[i][2], 'MEMBER') THEN
                EXECUTE format('REVOKE %I FROM %I', groups[i][2], name);
            END IF;
        END LOOP;
    END IF;
    IF p_active IS NOT NULL THEN
        EXECUTE format('ALTER ROLE %I %s', name,
            CASE WHEN p_active THEN 'LOGIN' ELSE 'NOLOGIN' END);
    END IF;
    EXECUTE format('ALTER ROLE %I NOCREATEROLE', name);
END $fn$
"""

_APPLY_GRANTS = """
CREATE OR REPLACE FUNCTION pcrm_apply_grants(p_plan jsonb) RETURNS void
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
    g jsonb;
    grp text;
    cols text;
    r record;
    wrong boolean;
    groups text[][] := {groups};
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF c.desk AND c.app_role <> 'owner' THEN
        RAISE EXCEPTION 'only the owner changes the grants' USING ERRCODE = '42501';
    END IF;
    -- From a desk only right after an audited change of the field matrix.
    IF c.desk AND NOT EXISTS (
        SELECT 1 FROM audit_event WHERE server_tx = txid_current() AND action = 'access.set'
    ) THEN
        RAISE EXCEPTION 'grants change only with the field matrix' USING ERRCODE = '42501';
    END IF;
    FOR i IN 1..array_length(groups, 1) LOOP
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', groups[i][2]);
    END LOOP;
    FOR g IN SELECT * FROM jsonb_array_elements(p_plan) LOOP
        IF NOT EXISTS (
            SELECT 1 FROM pcrm_grant_policy p
            WHERE p.app_role = g->>0 AND p.table_name = g->>1 AND p.privilege = g->>2
        ) THEN
            RAISE EXCEPTION 'not in the grant policy: % % %', g->>0, g->>2, g->>1
                USING ERRCODE = '42501';
        END IF;
        -- The restricted columns follow the stored matrix (pcrm_matrix_change) over the
        -- shipped defaults (written by the administrator): the plan narrows, never widens.
        FOR r IN
            SELECT cr.column_name, coalesce(o.access, d.access, 'hidden') AS access
            FROM pcrm_column_rule cr
            LEFT JOIN role_field_access o ON o.role = g->>0 AND o.field = cr.field
            LEFT JOIN pcrm_field_default d ON d.app_role = g->>0 AND d.field = cr.field
            WHERE cr.table_name = g->>1
        LOOP
            IF g->>1 = 'special_category_datum' THEN
                wrong := r.access = 'hidden' OR (r.access <> 'write' AND g->>2 <> 'SELECT');
            ELSE
                wrong := ((g->>2 IN ('SELECT', 'REFERENCES') AND r.access = 'hidden')
                    OR (g->>2 = 'UPDATE' AND r.access <> 'write'))
                    AND (jsonb_typeof(g->3) <> 'array' OR (g->3) ? r.column_name);
            END IF;
            IF wrong THEN
                RAISE EXCEPTION 'the field matrix refuses % % %.%', g->>0, g->>2, g->>1,
                    r.column_name USING ERRCODE = '42501';
            END IF;
        END LOOP;
        grp := NULL;
        FOR i IN 1..array_length(groups, 1) LOOP
            IF groups[i][1] = g->>0 THEN
                grp := groups[i][2];
            END IF;
        END LOOP;
        IF jsonb_typeof(g->3) = 'array' THEN
            SELECT string_agg(quote_ident(x), ', ') INTO cols
            FROM jsonb_array_elements_text(g->3) x;
            EXECUTE format('GRANT %s (%s) ON %I TO %I', g->>2, cols, g->>1, grp);
        ELSE
            EXECUTE format('GRANT %s ON %I TO %I', g->>2, g->>1, grp);
        END IF;
    END LOOP;
END $fn$
"""

_SPECIAL_SOURCE = """
CREATE OR REPLACE FUNCTION pcrm_special_source(p_source_id bigint) RETURNS boolean
LANGUAGE sql STABLE {definer} AS $fn$
    SELECT EXISTS (SELECT 1 FROM special_category_datum WHERE source_id = p_source_id)
$fn$
"""

_DIGESTS = """
CREATE OR REPLACE FUNCTION pcrm_digests(p_kinds text[], p_values text[]) RETURNS text[]
LANGUAGE plpgsql STABLE {definer} AS $fn$
DECLARE
    c record;
    k bytea;
    inner_pad bytea;
    outer_pad bytea;
    result text[] := '{}';
BEGIN
    -- domain.suppression.normalised_digest: HMAC-SHA256 keyed by the suppression key,
    -- over "kind:value"; the key itself never leaves the server.
    SELECT * INTO c FROM pcrm_caller();
    SELECT convert_to(value, 'UTF8') INTO k FROM setting WHERE key = 'suppression.salt';
    IF k IS NULL THEN
        RAISE EXCEPTION 'no suppression key' USING ERRCODE = '55000';
    END IF;
    IF length(k) > 64 THEN
        k := sha256(k);
    END IF;
    k := k || decode(repeat('00', 64 - length(k)), 'hex');
    inner_pad := k;
    outer_pad := k;
    FOR i IN 0..63 LOOP
        inner_pad := set_byte(inner_pad, i, get_byte(k, i) # 54);
        outer_pad := set_byte(outer_pad, i, get_byte(k, i) # 92);
    END LOOP;
    FOR i IN 1..coalesce(array_length(p_values, 1), 0) LOOP
        result := result || encode(sha256(outer_pad || sha256(inner_pad
            || convert_to(p_kinds[i] || ':' || p_values[i], 'UTF8'))), 'hex');
    END LOOP;
    RETURN result;
END $fn$
"""

#: The server's own record of every write a desk role makes with its own privileges
#: (``install_write_log``): a statement-level trigger on every table a desk role may write
#: notes the table, the kind of write and the rows it touched; at commit one row of
#: ``server_write`` sums up the transaction with the login role, the app user, the
#: server's time, how many audit events the transaction appended and the client program
#: that wrote (its ``application_name``: PrivacyCRM's connections say "privacycrm").
#: ``verify-audit`` names every change a desk role made with another program (psql, a
#: script). A client may give itself any name, so the name only tells apart who did not
#: pretend; the row with the user, tables and rows is there whatever the name. Writes
#: made inside the server functions (their effective role is the system role) and by the
#: administrator are not noted here: the functions audit themselves, and the
#: administrator can change anything anyway.
_WRITE_LOG_TABLES = """
CREATE TABLE IF NOT EXISTS server_write (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    login_role text NOT NULL,
    username text,
    changes jsonb NOT NULL,
    audit_events integer NOT NULL,
    first_event bigint,
    client text NOT NULL DEFAULT '',
    reviewed_at timestamptz,
    reviewed_by text
);
CREATE UNLOGGED TABLE IF NOT EXISTS pcrm_tx_count (
    txid bigint NOT NULL,
    table_name text NOT NULL,
    op text NOT NULL,
    row_count bigint NOT NULL,
    client text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS pcrm_tx_count_txid ON pcrm_tx_count (txid);
CREATE UNLOGGED TABLE IF NOT EXISTS pcrm_tx_open (txid bigint PRIMARY KEY);
CREATE UNLOGGED TABLE IF NOT EXISTS pcrm_tx_user (
    txid bigint NOT NULL,
    username text NOT NULL,
    PRIMARY KEY (txid, username)
);
ALTER TABLE audit_event ADD COLUMN IF NOT EXISTS server_tx bigint;
ALTER TABLE audit_event ALTER COLUMN server_tx SET DEFAULT txid_current();
CREATE INDEX IF NOT EXISTS audit_event_server_tx ON audit_event (server_tx);
"""

#: The trigger on each watched table. Not a definer function: ``current_user`` is the
#: role the statement runs as (the system role inside a server function).
_WATCH = """
CREATE OR REPLACE FUNCTION pcrm_watch() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $fn$
DECLARE
    n bigint;
BEGIN
    IF pg_has_role(current_user, {system}, 'MEMBER') THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO n FROM changed;
    IF n > 0 THEN
        PERFORM pcrm_note_write(TG_TABLE_NAME, TG_OP, n);
    END IF;
    RETURN NULL;
END $fn$
"""

#: Called by the trigger as the writing desk role; calling it directly only adds a note
#: in one's own transaction (and so a row in one's own name).
_NOTE_WRITE = """
CREATE OR REPLACE FUNCTION pcrm_note_write(p_table text, p_op text, p_rows bigint)
RETURNS void
LANGUAGE plpgsql {definer} AS $fn$
BEGIN
    -- Only from a trigger (a desk role creates none on these tables), for a watched
    -- table, a kind of write and a count of rows that can be true.
    IF pg_trigger_depth() < 1 OR p_op NOT IN ('INSERT', 'UPDATE', 'DELETE') OR p_rows < 1
        OR to_regclass('public.' || quote_ident(p_table)) IS NULL THEN
        RAISE EXCEPTION 'not a write the server watches' USING ERRCODE = '42501';
    END IF;
    INSERT INTO pcrm_tx_count (txid, table_name, op, row_count, client)
    VALUES (txid_current(), p_table, p_op, p_rows,
        left(coalesce(current_setting('application_name', true), ''), 63));
    -- The transaction's first write opens it: one deferred close at commit, however
    -- many statements it runs (a second INSERT finds the row and queues nothing).
    INSERT INTO pcrm_tx_open (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
END $fn$
"""

#: Deferred to the commit: the transaction's notes become one ``server_write`` row.
_TX_CLOSE = """
CREATE OR REPLACE FUNCTION pcrm_tx_close() RETURNS trigger
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    summary jsonb;
    events integer;
    first bigint;
    who text;
    clients text;
BEGIN
    SELECT jsonb_object_agg(table_name, ops) INTO summary FROM (
        SELECT table_name, jsonb_object_agg(op, n) AS ops FROM (
            SELECT table_name, op, sum(row_count) AS n FROM pcrm_tx_count
            WHERE txid = NEW.txid GROUP BY table_name, op
        ) per_op GROUP BY table_name
    ) per_table;
    DELETE FROM pcrm_tx_open WHERE txid = NEW.txid;
    IF summary IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT count(*), min(id) INTO events, first FROM audit_event WHERE server_tx = NEW.txid;
    SELECT string_agg(DISTINCT client, ', ') INTO clients FROM pcrm_tx_count
    WHERE txid = NEW.txid;
    SELECT u.username INTO who FROM app_user u
    WHERE pcrm_login_role(u.username) = session_user;
    INSERT INTO server_write (login_role, username, changes, audit_events, first_event, client)
    VALUES (session_user, who, summary, events, first, coalesce(clients, ''));
    DELETE FROM pcrm_tx_count WHERE txid = NEW.txid;
    RETURN NULL;
END $fn$
"""

#: The owner has looked at the writes made outside the app up to ``p_upto``: they stay in
#: the log, marked, and the audit trail records who marked how many.
_REVIEW_WRITES = """
CREATE OR REPLACE FUNCTION pcrm_review_writes(p_actor text, p_upto bigint, p_at text)
RETURNS integer
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
    who text;
    n integer;
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF c.desk AND c.app_role <> 'owner' THEN
        RAISE EXCEPTION 'only the owner reviews the write log' USING ERRCODE = '42501';
    END IF;
    who := CASE WHEN c.desk THEN c.username ELSE p_actor END;
    UPDATE server_write SET reviewed_at = clock_timestamp(), reviewed_by = who
    WHERE id <= p_upto AND client <> 'privacycrm' AND reviewed_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM pcrm_audit_write(who, 'audit.outside_writes_reviewed', 'server_write',
            p_upto::text, 'count=' || n, p_at);
    END IF;
    RETURN n;
END $fn$
"""

#: The owner's user administration (services/auth.py): no desk role writes ``app_user``
#: itself. The same rules as the app (the last active owner stays an active owner; nobody
#: deactivates their own account; only argon2id hashes), and the audit event is appended
#: here, in the caller's name, with a detail the server computes.
_USER_CHANGE = r"""
CREATE OR REPLACE FUNCTION pcrm_user_change(
    p_actor text, p_action text, p_username text, p_role text, p_hash text,
    p_language text, p_at timestamp
) RETURNS bigint
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
    who text;
    u record;
    detail text := '';
    owners integer;
    groups text[][] := {groups};
    known boolean := false;
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF c.desk AND c.app_role <> 'owner' THEN
        RAISE EXCEPTION 'only the owner manages users' USING ERRCODE = '42501';
    END IF;
    who := CASE WHEN c.desk THEN c.username ELSE p_actor END;
    IF p_role IS NOT NULL THEN
        FOR i IN 1..array_length(groups, 1) LOOP
            known := known OR groups[i][1] = p_role;
        END LOOP;
        IF NOT known THEN
            RAISE EXCEPTION 'no such app role' USING ERRCODE = '22023';
        END IF;
    END IF;
    IF p_hash IS NOT NULL AND left(p_hash, 10) <> '$argon2id$' THEN
        RAISE EXCEPTION 'an argon2id hash is expected' USING ERRCODE = '22023';
    END IF;
    IF p_action = 'user.add' THEN
        IF p_role IS NULL OR p_hash IS NULL OR p_username !~ '^\S{1,100}$'
            OR p_username ~ '[[:cntrl:]\u007f-\u009f]'
            OR coalesce(p_language, 'en') !~ '^[a-z]{2}$' THEN
            RAISE EXCEPTION 'a user needs a name, a role and a password' USING ERRCODE = '22023';
        END IF;
        INSERT INTO app_user (username, role, password_hash, active, language,
            failed_logins, created_at)
        VALUES (p_username, p_role, p_hash, true, left(coalesce(p_language, 'en'), 5), 0, p_at)
        RETURNING id, role INTO u;
        INSERT INTO pcrm_tx_user (txid, username) VALUES (txid_current(), p_username)
        ON CONFLICT DO NOTHING;
        PERFORM pcrm_audit_write(who, p_action, 'app_user', u.id::text, 'role=' || u.role,
            to_char(p_at, 'YYYY-MM-DD"T"HH24:MI:SS.US'));
        RETURN u.id;
    END IF;
    SELECT * INTO u FROM app_user WHERE username = p_username FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such user' USING ERRCODE = '22023';
    END IF;
    -- Every active owner's row is locked first: two owners deactivating or demoting each
    -- other at the same time cannot both pass the count.
    PERFORM 1 FROM app_user WHERE role = 'owner' AND active ORDER BY id FOR UPDATE;
    SELECT count(*) INTO owners FROM app_user WHERE role = 'owner' AND active;
    IF p_action = 'user.deactivate' THEN
        IF u.username = who AND c.desk THEN
            RAISE EXCEPTION 'you cannot deactivate your own account' USING ERRCODE = '42501';
        END IF;
        IF u.role = 'owner' AND u.active AND owners <= 1 THEN
            RAISE EXCEPTION 'the last active owner stays' USING ERRCODE = '42501';
        END IF;
        IF NOT u.active THEN
            RETURN u.id;
        END IF;
        UPDATE app_user SET active = false WHERE id = u.id;
    ELSIF p_action = 'user.reactivate' THEN
        IF u.active THEN
            RETURN u.id;
        END IF;
        UPDATE app_user SET active = true, failed_logins = 0, locked_until = NULL
        WHERE id = u.id;
    ELSIF p_action = 'user.password_reset' THEN
        IF p_hash IS NULL THEN
            RAISE EXCEPTION 'a password is expected' USING ERRCODE = '22023';
        END IF;
        UPDATE app_user SET password_hash = p_hash, failed_logins = 0, locked_until = NULL
        WHERE id = u.id;
        INSERT INTO pcrm_tx_user (txid, username) VALUES (txid_current(), p_username)
        ON CONFLICT DO NOTHING;
    ELSIF p_action = 'user.role' THEN
        IF p_role IS NULL OR p_role = u.role THEN
            RETURN u.id;
        END IF;
        IF u.role = 'owner' AND u.active AND owners <= 1 THEN
            RAISE EXCEPTION 'the last active owner stays' USING ERRCODE = '42501';
        END IF;
        UPDATE app_user SET role = p_role WHERE id = u.id;
        detail := 'from=' || u.role || ';to=' || p_role;
    ELSE
        RAISE EXCEPTION 'no such change' USING ERRCODE = '22023';
    END IF;
    PERFORM pcrm_audit_write(who, p_action, 'app_user', u.id::text, detail,
        to_char(p_at, 'YYYY-MM-DD"T"HH24:MI:SS.US'));
    RETURN u.id;
END $fn$
"""

#: The owner's change of the field matrix (services/access.py): the override row and its
#: audit event; the app then re-grants the tables (``pcrm_apply_grants``).
_MATRIX_CHANGE = """
CREATE OR REPLACE FUNCTION pcrm_matrix_change(
    p_actor text, p_role text, p_field text, p_access text, p_default boolean,
    p_at timestamp
) RETURNS void
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
    who text;
    groups text[][] := {groups};
    known boolean := false;
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF c.desk AND c.app_role <> 'owner' THEN
        RAISE EXCEPTION 'only the owner changes the field matrix' USING ERRCODE = '42501';
    END IF;
    who := CASE WHEN c.desk THEN c.username ELSE p_actor END;
    FOR i IN 1..array_length(groups, 1) LOOP
        known := known OR groups[i][1] = p_role;
    END LOOP;
    IF NOT known OR p_access NOT IN ('hidden', 'masked', 'read', 'write')
        OR length(p_field) > 60 THEN
        RAISE EXCEPTION 'no such role, field or access' USING ERRCODE = '22023';
    END IF;
    DELETE FROM role_field_access WHERE role = p_role AND field = p_field;
    IF NOT p_default THEN
        INSERT INTO role_field_access (role, field, access) VALUES (p_role, p_field, p_access);
    END IF;
    PERFORM pcrm_audit_write(who, 'access.set', 'role_field_access', p_role || '.' || p_field,
        'access=' || p_access, to_char(p_at, 'YYYY-MM-DD"T"HH24:MI:SS.US'));
END $fn$
"""

#: A block of contact ids for a bulk writer (persistence/dialect.reserve_contact_ids): the
#: sequence only moves forward, by at most a million at a time.
_RESERVE_IDS = """
CREATE OR REPLACE FUNCTION pcrm_reserve_contact_ids(p_count integer) RETURNS bigint
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
    seq text := pg_get_serial_sequence('contact', 'id');
    first bigint;
    last bigint;
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF c.desk AND c.app_role = 'read_only' THEN
        RAISE EXCEPTION 'read-only staff add no contacts' USING ERRCODE = '42501';
    END IF;
    IF p_count IS NULL OR p_count < 1 OR p_count > 1000000 THEN
        RAISE EXCEPTION 'between 1 and 1000000 ids at a time' USING ERRCODE = '22023';
    END IF;
    -- One block at a time (whoever calls), and never far beyond the contacts there are:
    -- reserving alone cannot use the ids up.
    LOCK TABLE contact IN EXCLUSIVE MODE;
    EXECUTE format('SELECT last_value FROM %s', seq) INTO last;
    IF last > (SELECT coalesce(max(id), 0)::bigint FROM contact) + 10000000 THEN
        RAISE EXCEPTION 'too many ids reserved and not used' USING ERRCODE = '42501';
    END IF;
    first := nextval(seq);
    IF p_count > 1 THEN
        PERFORM setval(seq, first + p_count - 1);
    END IF;
    RETURN first;
END $fn$
"""

#: Every function and who may call it: "all" the group roles, "owner" the owner's group.
FUNCTIONS: Mapping[str, str] = {
    "pcrm_json_text(text)": "all",
    "pcrm_login_role(text)": "all",
    "pcrm_caller()": "all",
    "pcrm_audit_write(text, text, text, text, text, text)": "none",
    "pcrm_audit_append(text, text, text, text, text, text)": "all",
    "pcrm_sign_in_failed(text, timestamp)": "sign-in",
    "pcrm_sign_in_ready(text, timestamp)": "sign-in",
    "pcrm_signed_in(text, timestamp)": "all",
    "pcrm_set_language(text)": "all",
    "pcrm_manage_login(text, text, text, boolean)": "owner",
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
}

#: INSERT is granted on whole rows (a contact is one row), UPDATE only on the columns the
#: field matrix lets a role change. This trigger narrows INSERT the same way: a value in a
#: restricted column (notes, birth date) comes only from a role that may change that
#: column; an empty one ('' or NULL, what the app writes for a hidden field) from anyone.
#: Not a definer function: ``has_column_privilege`` asks about the inserting role.
_INSERT_GUARD = """
CREATE OR REPLACE FUNCTION pcrm_guard_{table}() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $fn$
BEGIN
{checks}
    RETURN NEW;
END
$fn$
"""
_INSERT_GUARD_CHECK = """
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
    columns from a role that may not change that column (see ``_INSERT_GUARD``).
    Table and column names come from the model, never from input."""
    for table, columns in sorted(guarded.items()):
        checks = "".join(
            _INSERT_GUARD_CHECK.replace("{table}", table).replace("{column}", column)
            for column in columns
        )
        run(_INSERT_GUARD.replace("{table}", table).replace("{checks}", checks))
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
_SALT = "suppression.salt"
PROTECTED_SETTINGS = ("audit.head", _SALT)
#: Read only by the roles that back up the database: the suppression key, and the key that
#: seals backup manifests (whoever reads it can forge a backup, services/backup/keys.py).
KEEPERS_ONLY_SETTINGS = (_SALT, "backup.auth_key")
UNDELETABLE_SETTINGS = (
    *PROTECTED_SETTINGS,
    "backup.encryption",
    "backup.auth_key",
    "database.id",
)


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _install_setting_policies(
    owner_system: str,
    everyone: str,
    groups: Mapping[str, str],
    quote: Callable[[str], str],
    run: Callable[[str], None],
) -> None:
    """The row policies of ``setting`` (see ``install_functions``)."""
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
    # What pcrm_apply_grants checks a plan against (filled by pg_roles.enable).
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
    run(_WRITE_LOG_TABLES)
    for table in ("server_write", "pcrm_tx_count", "pcrm_tx_open", "pcrm_tx_user"):
        run(f"ALTER TABLE {table} OWNER TO {owner_system}")
    fill = {
        "definer": _DEFINER,
        "system": literal_system,
        "groups": group_array,
        "lock_key": str(AUDIT_LOCK_KEY),
        "max_failed": str(MAX_FAILED_LOGINS),
        "lock_minutes": str(LOCKOUT_MINUTES),
    }
    # The audit functions return (id, hash) since issue 15's anchors: a changed result
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
        _JSON_TEXT,
        _LOGIN_ROLE,
        _CALLER,
        _AUDIT_APPEND,
        _AUDIT_CHECKED,
        _SIGN_IN_FAILED,
        _SIGN_IN_READY,
        _SIGNED_IN,
        _SET_LANGUAGE,
        _MANAGE_LOGIN,
        _APPLY_GRANTS,
        _SPECIAL_SOURCE,
        _DIGESTS,
        _WATCH,
        _NOTE_WRITE,
        _TX_CLOSE,
        _REVIEW_WRITES,
        _USER_CHANGE,
        _MATRIX_CHANGE,
        _RESERVE_IDS,
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
    _install_setting_policies(owner_system, everyone, groups, quote, run)
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
    run(f"GRANT USAGE ON SCHEMA public TO {everyone}")
    run(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {everyone}")
    # No UPDATE (setval): a desk could move a sequence back (ids given twice) or to its end
    # (no insert works); a bulk writer reserves its block through pcrm_reserve_contact_ids.
    run(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {everyone}")
    # The write log's numbers are the server's own: no desk moves them (a dump reads them).
    run(f"REVOKE USAGE, UPDATE ON SEQUENCE server_write_id_seq FROM {everyone}")


def create_write_log_tables(run: Callable[[str], None]) -> None:
    """The write log's tables and the audit's transaction column, before a restore loads
    a dump's rows into them (``install_functions`` gives them to the system role)."""
    run(_WRITE_LOG_TABLES)


def install_write_log(
    tables: Sequence[str],
    *,
    run: Callable[[str], None],
) -> None:
    """The server's write log (see ``_WRITE_LOG_TABLES``): the commit-time summary trigger,
    and a statement trigger for each kind of write on each of *tables* (those a desk role
    may write; names from the table policy, never from input)."""
    run("DROP TRIGGER IF EXISTS pcrm_tx_close ON pcrm_tx_open")
    run(
        "CREATE CONSTRAINT TRIGGER pcrm_tx_close AFTER INSERT ON pcrm_tx_open "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pcrm_tx_close()"
    )
    for table in tables:
        for kind, transition in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            name = f"pcrm_watch_{kind.lower()}"
            run(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            run(
                f"CREATE TRIGGER {name} AFTER {kind} ON {table} "
                f"REFERENCING {transition} TABLE AS changed "
                "FOR EACH STATEMENT EXECUTE FUNCTION pcrm_watch()"
            )
