"""The server functions of signing in.

A refused sign-in is counted, and an account whose lock is over opened again, by the
sign-in role (``<db>_signin``, whose password is public: ``SIGN_IN_PASSWORD``), which may
call nothing else. ``pcrm_signed_in`` and ``pcrm_set_language`` write the caller's own
sign-in bookkeeping and language in ``app_user``, which desk roles cannot UPDATE.
"""

from __future__ import annotations

#: Refused sign-ins before an account locks, and for how long (as on SQLite).
MAX_FAILED_LOGINS = 10
LOCKOUT_MINUTES = 15
#: The password of the sign-in role (``<db>_signin``). Public on purpose: that role can
#: only count a refused sign-in and reopen an account whose lock is over.
SIGN_IN_PASSWORD = "privacycrm-sign-in"  # noqa: S105 - public by design

SIGN_IN_FAILED = """
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
    -- A reset's bar (pcrm_bar_login) refuses the right new password too: not counted.
    IF EXISTS (SELECT 1 FROM pcrm_login_bar b WHERE b.username = p_username
        AND b.until > now() AT TIME ZONE 'UTC')
    THEN
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

SIGN_IN_READY = """
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
    -- A reset's bar (pcrm_bar_login): sign-ins begun with the old password are not over.
    IF EXISTS (SELECT 1 FROM pcrm_login_bar b WHERE b.username = p_username
        AND b.until > now() AT TIME ZONE 'UTC')
    THEN
        RETURN false;
    END IF;
    DELETE FROM pcrm_login_bar WHERE username = p_username;
    IF u.locked_until IS NOT NULL THEN
        UPDATE app_user SET locked_until = NULL WHERE id = u.id;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name AND NOT rolcanlogin) THEN
        EXECUTE format('ALTER ROLE %I LOGIN', name);
    END IF;
    RETURN true;
END $fn$
"""

SIGNED_IN = """
CREATE OR REPLACE FUNCTION pcrm_signed_in(p_rehash text, p_at timestamp) RETURNS void
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF NOT c.desk THEN
        RAISE EXCEPTION 'only for a desk''s own login role' USING ERRCODE = '42501';
    END IF;
    -- A desk never writes its password hash (it cannot read it to know it needs a
    -- rehash): a connection opened before a reset set a hash of its choosing here and
    -- took the account back. p_rehash stays in the signature for the grants.
    IF p_rehash IS NOT NULL THEN
        RAISE EXCEPTION 'a desk does not write a password hash' USING ERRCODE = '42501';
    END IF;
    UPDATE app_user SET failed_logins = 0, locked_until = NULL, last_login_at = p_at
    WHERE username = c.username;
END $fn$
"""

#: The caller's own password hash with its digest left out (its parameters, its salt and
#: the digest's length), and whether a hash made with them is the stored one: a desk's
#: own login role proves the app's password with them too, not only the server's (which
#: a role may change for itself, ``ALTER ROLE ... PASSWORD``: after a reset a connection
#: opened before it set one of its choosing and signed in with it). The digest itself
#: never leaves the server.
OWN_HASH_SHAPE = """
CREATE OR REPLACE FUNCTION pcrm_own_password_salt() RETURNS text
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
    h text;
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF NOT c.desk THEN
        RAISE EXCEPTION 'only for a desk''s own login role' USING ERRCODE = '42501';
    END IF;
    SELECT password_hash INTO h FROM app_user WHERE username = c.username;
    IF h IS NULL OR h !~ '^[$]argon2id[$][^$]*[$][^$]*[$][^$]+[$][^$]+$' THEN
        RETURN NULL;
    END IF;
    RETURN regexp_replace(h, '[^$]+$', '') || length(regexp_replace(h, '^.*[$]', ''));
END $fn$
"""

OWN_HASH_MATCH = """
CREATE OR REPLACE FUNCTION pcrm_own_password_is(p_hash text) RETURNS boolean
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
    ok boolean;
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF NOT c.desk THEN
        RAISE EXCEPTION 'only for a desk''s own login role' USING ERRCODE = '42501';
    END IF;
    ok := coalesce(
        (SELECT password_hash = p_hash FROM app_user WHERE username = c.username), false
    );
    IF NOT ok THEN
        -- Counted as a refused sign-in, in the caller's transaction (the app's sign-in
        -- commits it; a connection of the person's own may roll it back: README).
        PERFORM pcrm_sign_in_failed(c.username, NULL);
    END IF;
    RETURN ok;
END $fn$
"""

SET_LANGUAGE = """
CREATE OR REPLACE FUNCTION pcrm_set_language(p_language text) RETURNS void
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF NOT c.desk THEN
        RAISE EXCEPTION 'only for a desk''s own login role' USING ERRCODE = '42501';
    END IF;
    IF p_language IS NULL OR p_language NOT IN ({languages}) THEN
        RAISE EXCEPTION 'not a language of the app' USING ERRCODE = '22023';
    END IF;
    UPDATE app_user SET language = p_language WHERE username = c.username;
END $fn$
"""
