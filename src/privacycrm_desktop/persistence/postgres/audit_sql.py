"""The server functions that append to the audit trail.

``pcrm_audit_append`` appends an audit event and moves ``audit.head`` (the hash is the same
as ``domain.audit.chain_hash``); desk roles cannot INSERT into ``audit_event`` or write
``audit.head`` themselves. For a desk role the actor is the caller, whatever the desk
passes. ``pcrm_audit_write`` does the append for the other server functions.
"""

from __future__ import annotations

AUDIT_APPEND = """
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

AUDIT_CHECKED = """
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
