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

#: Many events in one call (a batch of erasures), the same rows and hashes as
#: ``pcrm_audit_append`` once per event: the lock taken and the chain's head read once, the
#: events inserted with one statement, ``audit.head`` and the anchor written once. Once
#: per event, the head row and the anchor row were each updated a thousand times in one
#: transaction (every lookup walking the versions before it) and the write log's triggers
#: ran for each statement: 0.4 s a batch of 1,000 erasures.
AUDIT_APPEND_MANY = """
CREATE OR REPLACE FUNCTION pcrm_audit_append_many(
    p_actor text, p_actions text[], p_entities text[], p_entity_ids text[], p_details text[],
    p_at text
)
RETURNS TABLE (event_id bigint, event_hash text)
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
    who text;
    anchored record;
    first_id bigint;
    first_prev text;
    prev text;
    next_id bigint;
    ids bigint[] := '{}';
    prevs text[] := '{}';
    hashes text[] := '{}';
    i integer;
BEGIN
    IF coalesce(array_length(p_actions, 1), 0) = 0 THEN
        RETURN;
    END IF;
    IF array_length(p_entities, 1) IS DISTINCT FROM array_length(p_actions, 1)
        OR array_length(p_entity_ids, 1) IS DISTINCT FROM array_length(p_actions, 1)
        OR array_length(p_details, 1) IS DISTINCT FROM array_length(p_actions, 1)
    THEN
        RAISE EXCEPTION 'pcrm_audit_append_many: arrays of different lengths';
    END IF;
    SELECT * INTO c FROM pcrm_caller();
    -- A desk appends in its own name only; the administrator names the actor.
    who := CASE WHEN c.desk THEN c.username ELSE p_actor END;
    PERFORM pg_advisory_xact_lock({lock_key});
    SELECT a.id, a.hash INTO first_id, first_prev FROM audit_event a ORDER BY a.id DESC LIMIT 1;
    IF NOT FOUND THEN
        first_id := 0;
        first_prev := repeat('0', 64);
    END IF;
    prev := first_prev;
    next_id := first_id;
    FOR i IN 1 .. array_length(p_actions, 1) LOOP
        next_id := next_id + 1;
        ids[i] := next_id;
        prevs[i] := prev;
        prev := encode(sha256(convert_to('[' || pcrm_json_text(prev) || ','
            || pcrm_json_text(p_at) || ',' || pcrm_json_text(who) || ','
            || pcrm_json_text(p_actions[i]) || ',' || pcrm_json_text(p_entities[i]) || ','
            || pcrm_json_text(p_entity_ids[i]) || ',' || pcrm_json_text(p_details[i]) || ','
            || pcrm_json_text(next_id::text) || ']', 'UTF8')), 'hex');
        hashes[i] := prev;
    END LOOP;
    INSERT INTO audit_event (id, at, actor, action, entity, entity_id, detail, prev_hash, hash)
    SELECT u.id, p_at, who, u.action, u.entity, u.entity_id, u.detail, u.prev, u.hash
    FROM unnest(ids, p_actions, p_entities, p_entity_ids, p_details, prevs, hashes)
        AS u(id, action, entity, entity_id, detail, prev, hash);
    INSERT INTO setting (key, value) VALUES ('audit.head', next_id || ':' || prev)
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
    -- The server's audit anchor, as pcrm_audit_write moves it for the first event and
    -- then for each next one: kept aside when it does not name the event chained onto.
    IF to_regclass('audit_anchor') IS NOT NULL THEN
        SELECT events, head INTO anchored FROM audit_anchor WHERE id = 1;
        IF FOUND AND (anchored.events::bigint, anchored.head::text)
            IS DISTINCT FROM (first_id, CASE WHEN first_id = 0 THEN '' ELSE first_prev END)
        THEN
            INSERT INTO audit_anchor (id, events, head, at, found)
            SELECT max(id) + 1, anchored.events, anchored.head, p_at, first_id FROM audit_anchor;
        END IF;
        INSERT INTO audit_anchor (id, events, head, at) VALUES (1, next_id, prev, p_at)
        ON CONFLICT (id) DO UPDATE SET events = excluded.events, head = excluded.head,
            at = excluded.at;
    END IF;
    RETURN QUERY SELECT u.id, u.hash FROM unnest(ids, hashes) AS u(id, hash);
END $fn$
"""
