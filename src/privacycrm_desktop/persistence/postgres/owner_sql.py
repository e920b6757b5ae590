"""The server functions of the owner's desk: users, their login roles and the field matrix.

* ``pcrm_manage_login`` creates and changes login roles for the owner's desk (the system
  role has CREATEROLE; no login role does, because on PostgreSQL 15 CREATEROLE may grant
  itself any group, the system role included). Passwords arrive as SCRAM verifiers only.
* ``pcrm_end_sessions`` ends the server sessions a user's login role already had, after a
  password reset or a deactivation (the system role is a member of each login role for it).
* ``pcrm_apply_grants`` re-grants the tables after a change of the field matrix; it only
  grants what ``pcrm_grant_policy`` (written by the administrator) allows, so the owner's
  desk can narrow a role, never widen it.
* ``pcrm_user_change`` and ``pcrm_matrix_change`` write ``app_user`` and
  ``role_field_access`` with their audit events.
"""

from __future__ import annotations

MANAGE_LOGIN = """
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
        -- Not LOGIN while a reset bars the role (pcrm_bar_login).
        EXECUTE format('ALTER ROLE %I %s', name,
            CASE WHEN p_active AND NOT EXISTS (
                SELECT 1 FROM pcrm_login_bar b
                WHERE b.username = p_username AND b.until > now() AT TIME ZONE 'UTC'
            ) THEN 'LOGIN' ELSE 'NOLOGIN' END);
    END IF;
    EXECUTE format('ALTER ROLE %I NOCREATEROLE', name);
    -- The system role may end the login role's sessions (pcrm_end_sessions): a member of
    -- it, with its privileges. Nothing flows the other way: the login role gains nothing.
    -- (A server that does not let it, PostgreSQL 16+ for a role another administrator
    -- made: the sessions then end only when closed.)
    IF NOT pg_has_role(name, 'USAGE') THEN
        BEGIN
            EXECUTE format('GRANT %I TO %I', name, {system});
        EXCEPTION WHEN insufficient_privilege OR invalid_grant_operation THEN
            NULL;
        END;
    END IF;
END $fn$
"""

#: After a password reset or a deactivation is committed: the server sessions the user's
#: login role already had end (``pg_terminate_backend``; a server keeps an open session's
#: rights until it closes, whatever happens to the role's password or LOGIN). Run after the
#: commit, so an ended session cannot open again with the old password. The caller's own
#: session stays. Returns how many ended; NULL when the system role may not end them (a
#: login role from an earlier version not yet managed again).
END_SESSIONS = """
CREATE OR REPLACE FUNCTION pcrm_end_sessions(p_username text) RETURNS integer
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
    name text;
    ended integer := 0;
    s record;
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF c.desk AND c.app_role <> 'owner' THEN
        RAISE EXCEPTION 'only the owner ends sessions' USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM app_user WHERE username = p_username) THEN
        RAISE EXCEPTION 'no such user' USING ERRCODE = '22023';
    END IF;
    name := pcrm_login_role(p_username);
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
        RETURN 0;
    END IF;
    IF NOT pg_has_role(name, 'USAGE') THEN
        RETURN NULL;
    END IF;
    FOR s IN SELECT pid FROM pg_stat_activity
        WHERE usename = name AND pid <> pg_backend_pid()
    LOOP
        -- Waits (up to 5 s) until the session is gone: a statement it was running (its
        -- own ALTER ROLE ... PASSWORD) cannot land after this returns.
        IF pg_terminate_backend(s.pid, 5000) THEN
            ended := ended + 1;
        END IF;
    END LOOP;
    RETURN ended;
END $fn$
"""

#: Before and at the end of a reset of another user's password: their login role may not
#: open a session (NOLOGIN) until the server's ``authentication_timeout`` (and 2 s) has
#: passed, noted in ``pcrm_login_bar`` (``pcrm_sign_in_ready`` lets the role log in again
#: once it is over; the app's own lock, ``app_user.locked_until``, is not touched: a desk
#: on the administrator's connection signs in at once). A server reads a role's password
#: when a sign-in starts and the client may finish it up to that long after: one begun
#: with the old password before the reset would otherwise open a session after it, which
#: may set a server password of its own (``ALTER ROLE``). The role's own sessions changing
#: its password at the same moment ("tuple concurrently updated") are ended and the change
#: tried again.
BAR_LOGIN = """
CREATE OR REPLACE FUNCTION pcrm_bar_login(p_username text) RETURNS void
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
    name text;
    tries integer := 0;
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF c.desk AND c.app_role <> 'owner' THEN
        RAISE EXCEPTION 'only the owner bars a login' USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM app_user WHERE username = p_username) THEN
        RAISE EXCEPTION 'no such user' USING ERRCODE = '22023';
    END IF;
    name := pcrm_login_role(p_username);
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name)
        OR NOT pg_has_role(name, 'USAGE')
    THEN
        RETURN;  -- no login role of this database's
    END IF;
    -- From the moment of the call, not the transaction's start (a transaction made to
    -- wait on locks would otherwise shorten the bar); once more after the reset's commit.
    INSERT INTO pcrm_login_bar AS b (username, until)
    VALUES (p_username, (clock_timestamp() AT TIME ZONE 'UTC')
        + current_setting('authentication_timeout')::interval + interval '2 seconds')
    ON CONFLICT (username) DO UPDATE SET until = greatest(b.until, excluded.until);
    LOOP
        BEGIN
            EXECUTE format('ALTER ROLE %I NOLOGIN', name);
            EXIT;
        EXCEPTION WHEN internal_error THEN
            tries := tries + 1;
            IF tries >= 20 THEN
                RAISE;
            END IF;
            PERFORM pg_terminate_backend(pid, 5000) FROM pg_stat_activity
            WHERE usename = name AND pid <> pg_backend_pid();
        END;
    END LOOP;
END $fn$
"""

APPLY_GRANTS = """
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

#: The owner's user administration (services/auth.py): no desk role writes ``app_user``
#: itself. The same rules as the app (the last active owner stays an active owner; nobody
#: deactivates their own account; only argon2id hashes), and the audit event is appended
#: here, in the caller's name, with a detail the server computes.
#: A reset password is a new ``credentials_version``: a desk where the user is signed in
#: locks (``AuthService.still_signed_in``; migration 0032).
USER_CHANGE = r"""
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
        UPDATE app_user SET password_hash = p_hash, failed_logins = 0, locked_until = NULL,
            credentials_version = credentials_version + 1
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
MATRIX_CHANGE = """
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
