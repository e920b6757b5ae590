"""The server functions every other one builds on: who the caller is.

Every function of the package is owned by the database's NOLOGIN system role
(``<db>_system``), runs as it (SECURITY DEFINER, fixed ``search_path``: ``DEFINER``) and
decides who the caller is from the server session: ``session_user`` is the login role the
connection authenticated as, and ``pcrm_caller`` maps it to the active app user whose login
role has that name. Nothing a desk role can write takes part in that decision. A connection
that is no app user's login role is accepted only when it is a member of the system role
(the administrator) and is refused otherwise. ``pcrm_json_text`` quotes text as the app's
JSON does (the audit hash is computed over it).
"""

from __future__ import annotations

DEFINER = "SECURITY DEFINER SET search_path = public, pg_temp"

JSON_TEXT = r"""
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

#: The same name as ``roles.login_role`` computes. The SQL comment below names the
#: shortening by its former place; the text is left as servers have it installed (a
#: changed text would make every server's functions look out of date).
LOGIN_ROLE = r"""
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

CALLER = """
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
