"""The server's write log: every write a desk role makes with its own privileges is noted,
and at commit summed up in one ``server_write`` row (``verify-audit`` names the changes
made by another program).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
WRITE_LOG_TABLES = """
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
WATCH = """
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
NOTE_WRITE = """
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
TX_CLOSE = """
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
REVIEW_WRITES = """
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


def create_write_log_tables(run: Callable[[str], None]) -> None:
    """The write log's tables and the audit's transaction column, before a restore loads
    a dump's rows into them (``functions.install_functions`` gives them to the system role)."""
    run(WRITE_LOG_TABLES)


def install_write_log(
    tables: Sequence[str],
    *,
    run: Callable[[str], None],
) -> None:
    """The server's write log (see ``WRITE_LOG_TABLES``): the commit-time summary trigger,
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
