"""Server functions a desk calls about data it may not read or change itself: whether a
source is a special-category datum's, the suppression digests (the key is hidden from most
roles), and a block of contact ids for a bulk writer (desk roles may not move sequences).
"""

from __future__ import annotations

#: The HMAC-SHA256 pads of the suppression key (RFC 2104), made in the body of each
#: function that hashes with it: a function of their own would hand the key's pads to
#: whoever may call it.
_HMAC_PADS = """\
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
"""

SPECIAL_SOURCE = """
CREATE OR REPLACE FUNCTION pcrm_special_source(p_source_id bigint) RETURNS boolean
LANGUAGE sql STABLE {definer} AS $fn$
    SELECT EXISTS (SELECT 1 FROM special_category_datum WHERE source_id = p_source_id)
$fn$
"""

DIGESTS = """
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
{hmac_pads}    FOR i IN 1..coalesce(array_length(p_values, 1), 0) LOOP
        result := result || encode(sha256(outer_pad || sha256(inner_pad
            || convert_to(p_kinds[i] || ':' || p_values[i], 'UTF8'))), 'hex');
    END LOOP;
    RETURN result;
END $fn$
""".replace("{hmac_pads}", _HMAC_PADS)

#: A block of contact ids for a bulk writer (persistence/dialect.reserve_contact_ids): the
#: sequence only moves forward, by at most a million at a time.
RESERVE_IDS = """
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

#: The characters Python's ``str.split()`` and ``str.strip()`` take for white space (a
#: test checks this against ``str.isspace``), as a PostgreSQL bracket expression.
PY_SPACE = (
    "[\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000]"
)

#: domain.suppression.person_digests' forms of one person's points (kind, form, is the
#: point's own normalised form), computed by the server from the stored points. Exact
#: where the folded text is ASCII after compatibility decomposition and dropping the
#: combining diacritics (U+0300-U+036F but the grapheme joiner): Python's ``fold`` gives
#: the same there. Anything else (a "ø", an "ß", a non-ASCII address) gives a row of
#: kind "!": the person's digests are then not stored, and every list hashes them.
DIGEST_FORMS = (
    r"""
CREATE OR REPLACE FUNCTION pcrm_digest_forms(p_first text, p_last text, p_postcode text,
    p_emails text[], p_phones text[]) RETURNS TABLE (kind text, form text, own boolean)
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp AS $fn$
DECLARE
    ws constant text := '{space}';
    ascii constant text := '^[\u0001-\u007f]*$';
    ends constant text := '^' || ws || '+|' || ws || '+$';
    v text;
    n text;
    u text;
    at_domain text;
    base text;
    dotless text;
    first_part text := regexp_replace(coalesce(p_first, ''), ends, '', 'g');
    last_part text := regexp_replace(coalesce(p_last, ''), ends, '', 'g');
    name text;
    key text;
    code text;
    words text[];
    len integer;
BEGIN
    FOREACH v IN ARRAY coalesce(p_emails, '{}') LOOP
        IF v !~ ascii THEN
            RETURN QUERY SELECT '!'::text, NULL::text, NULL::boolean;
            RETURN;
        END IF;
        n := lower(regexp_replace(v, ends, '', 'g') COLLATE "C");
        -- _untagged: the local part up to its first "+", at the last "@".
        u := n;
        IF strpos(n, '@') > 0 THEN
            at_domain := regexp_replace(n, '^.*@', '');
            base := split_part(regexp_replace(n, '@[^@]*$', ''), '+', 1);
            IF base <> '' THEN
                u := base || '@' || at_domain;
            END IF;
        END IF;
        -- canonical_point: and without the dots Gmail ignores.
        IF strpos(u, '@') > 0 THEN
            at_domain := regexp_replace(u, '^.*@', '');
            dotless := replace(regexp_replace(u, '@[^@]*$', ''), '.', '');
        ELSE
            at_domain := u;
            dotless := '';
        END IF;
        IF at_domain IN ('gmail.com', 'googlemail.com') AND dotless <> '' THEN
            RETURN QUERY SELECT 'email', dotless || '@gmail.com', dotless || '@gmail.com' = n;
        ELSE
            RETURN QUERY SELECT 'email', u, u = n;
        END IF;
        RETURN QUERY SELECT 'email', n, true;
        RETURN QUERY SELECT 'email', u, u = n;
    END LOOP;
    FOREACH v IN ARRAY coalesce(p_phones, '{}') LOOP
        IF v !~ ascii THEN
            RETURN QUERY SELECT '!'::text, NULL::text, NULL::boolean;
            RETURN;
        END IF;
        RETURN QUERY SELECT 'phone', regexp_replace(v, ws || '+', '', 'g'), true;
    END LOOP;
    -- name_postcode, then normalised_point's rpartition at the last "|".
    name := concat_ws(' ', nullif(first_part, ''), nullif(last_part, ''));
    IF name = '' OR regexp_replace(coalesce(p_postcode, ''), ws || '+', '', 'g') = '' THEN
        RETURN;
    END IF;
    key := name || '|' || p_postcode;
    name := regexp_replace(key, '\|[^|]*$', '');
    code := regexp_replace(regexp_replace(key, '^.*\|', ''), ws || '+', '', 'g');
    IF name !~ ascii THEN
        IF current_setting('server_encoding') <> 'UTF8' THEN
            name := NULL;
        ELSE
            name := regexp_replace(normalize(name, NFKD), '[\u0300-\u034e\u0350-\u036f]', '', 'g');
        END IF;
    END IF;
    IF name IS NULL OR name !~ ascii OR code !~ ascii THEN
        RETURN QUERY SELECT '!'::text, NULL::text, NULL::boolean;
        RETURN;
    END IF;
    name := btrim(regexp_replace(lower(name COLLATE "C"), ws || '+', ' ', 'g'), ' ');
    code := upper(code COLLATE "C");
    words := CASE WHEN name = '' THEN '{}'::text[] ELSE string_to_array(name, ' ') END;
    len := coalesce(array_length(words, 1), 0);
    RETURN QUERY SELECT 'name_postcode',
        (SELECT coalesce(string_agg(w, ' ' ORDER BY w COLLATE "C"), '') FROM unnest(words) w)
            || '|' || code,
        false;
    RETURN QUERY SELECT 'name_postcode', name || '|' || code, true;
    FOR i IN 0..len - 1 LOOP
        RETURN QUERY SELECT 'name_postcode',
            array_to_string(words[i + 1:len] || words[1:i], ' ') || '|' || code,
            false;
    END LOOP;
END $fn$
"""
).replace("{space}", PY_SPACE)

#: The stored suppression digests of *p_ids* (persistence/contact_digests.refresh), from
#: their points as they are now: no desk role writes ``contact_digest`` itself, so none
#: can mark a suppressed person as matching nothing. Their old rows go; a person whose
#: forms the server cannot compute exactly keeps none (every list hashes them).
STORE_DIGESTS = """
CREATE OR REPLACE FUNCTION pcrm_store_digests(p_ids bigint[]) RETURNS integer
LANGUAGE plpgsql {definer} AS $fn$
DECLARE
    c record;
    k bytea;
    inner_pad bytea;
    outer_pad bytea;
    fingerprint text;
    ids bigint[];
    kinds text[];
    forms text[];
    owns boolean[];
    done bigint[];
BEGIN
    SELECT * INTO c FROM pcrm_caller();
    IF coalesce(array_length(p_ids, 1), 0) > 100000 THEN
        RAISE EXCEPTION 'at most 100000 contacts at a time' USING ERRCODE = '22023';
    END IF;
    -- The HMAC key as pcrm_digests makes it, used set-wise below (one row per form).
{hmac_pads}    fingerprint := encode(sha256(outer_pad || sha256(inner_pad
        || convert_to('key:fingerprint', 'UTF8'))), 'hex');
    -- An edit under way (it updates the contact's row) ends first: the points read below
    -- are the ones it leaves, not the ones its trigger forgot before this stored them.
    PERFORM 1 FROM contact WHERE id = ANY(p_ids) ORDER BY id FOR SHARE;
    -- Statistics taken while the table was empty make the planner scan a whole index
    -- for each contact's rows: a first fill (one transaction) would slow down with
    -- every batch. Counted once the table has rows (this transaction's too).
    IF (SELECT reltuples = 0 FROM pg_class WHERE oid = 'contact_digest'::regclass)
            AND EXISTS (SELECT 1 FROM contact_digest) THEN
        ANALYZE contact_digest;
    END IF;
    DELETE FROM contact_digest WHERE contact_id = ANY(p_ids);
    SELECT array_agg(ct.id), array_agg(f.kind), array_agg(f.form), array_agg(f.own)
    INTO ids, kinds, forms, owns
    FROM contact ct
    LEFT JOIN LATERAL pcrm_digest_forms(ct.first_name, ct.last_name, ct.postcode,
        ARRAY(SELECT e.address FROM contact_email e WHERE e.contact_id = ct.id),
        ARRAY(SELECT p.number FROM contact_phone p WHERE p.contact_id = ct.id)) f ON true
    WHERE ct.id = ANY(p_ids);
    -- A person with a form the server cannot compute exactly ("!") gets no marker.
    done := ARRAY(SELECT u.i FROM unnest(ids, kinds) AS u(i, k)
                  GROUP BY u.i HAVING bool_and(u.k IS DISTINCT FROM '!'));
    INSERT INTO contact_digest (contact_id, kind, digest, point)
    SELECT u.i, u.k, left(encode(sha256(outer_pad || sha256(inner_pad
        || convert_to(u.k || ':' || u.f, 'UTF8'))), 'hex'), 16), bool_or(u.o)
    FROM unnest(ids, kinds, forms, owns) AS u(i, k, f, o)
    JOIN unnest(done) AS d(i) ON d.i = u.i
    WHERE u.k IS NOT NULL
    GROUP BY 1, 2, 3
    ON CONFLICT DO NOTHING;
    INSERT INTO contact_digest (contact_id, kind, digest, point)
    SELECT d, '', fingerprint, false FROM unnest(done) d
    ON CONFLICT DO NOTHING;
    -- Stored (or no longer a contact): no longer due (migration 0029).
    DELETE FROM contact_digest_due du WHERE du.contact_id = ANY(p_ids) AND du.contact_id <> 0
        AND (du.contact_id = ANY(done)
             OR NOT EXISTS (SELECT 1 FROM contact ct WHERE ct.id = du.contact_id));
    -- The mark of a changed key (0) goes once every contact without a set for the key
    -- is among the due: the due are then exact again.
    IF 0 = ANY(p_ids) AND NOT EXISTS (
        SELECT 1 FROM contact ct
        WHERE NOT EXISTS (SELECT 1 FROM contact_digest d WHERE d.contact_id = ct.id
                          AND d.kind = '' AND d.digest = fingerprint)
          AND NOT EXISTS (SELECT 1 FROM contact_digest_due du WHERE du.contact_id = ct.id)
    ) THEN
        DELETE FROM contact_digest_due WHERE contact_id = 0;
    END IF;
    RETURN cardinality(done);
END $fn$
""".replace("{hmac_pads}", _HMAC_PADS)

#: migration 0024's trigger function, run as the system role: no desk role deletes
#: ``contact_digest`` rows itself (deleting some and keeping the marker would hide a
#: person from the suppression check), the trigger of its edit does, and puts the contact
#: among the due (``contact_digest_due``, migration 0029; gone with its contact). An edit
#: of an address or number waits for a ``pcrm_store_digests`` of the same contact (and
#: the other way round): the digests of the points it replaced are never left behind.
DIGEST_FORGET = """
CREATE OR REPLACE FUNCTION pcrm_contact_digest_forget() RETURNS trigger
LANGUAGE plpgsql {definer} AS $fn$
BEGIN
    IF TG_TABLE_NAME = 'contact' THEN
        DELETE FROM contact_digest WHERE contact_id = OLD.id;
        IF TG_OP = 'DELETE' OR OLD.id IS DISTINCT FROM NEW.id THEN
            DELETE FROM contact_digest_due WHERE contact_id = OLD.id;
        END IF;
        IF TG_OP = 'UPDATE' THEN
            INSERT INTO contact_digest_due (contact_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END IF;
    -- The contact's row is locked as an edit of it would: a pcrm_store_digests under
    -- way (it holds the row) commits first, and its rows are then seen and deleted.
    IF TG_OP <> 'INSERT' THEN
        PERFORM 1 FROM contact WHERE id = OLD.contact_id FOR NO KEY UPDATE;
        DELETE FROM contact_digest WHERE contact_id = OLD.contact_id;
        INSERT INTO contact_digest_due (contact_id)
        SELECT id FROM contact WHERE id = OLD.contact_id ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM 1 FROM contact WHERE id = NEW.contact_id FOR NO KEY UPDATE;
        DELETE FROM contact_digest WHERE contact_id = NEW.contact_id;
        INSERT INTO contact_digest_due (contact_id)
        SELECT id FROM contact WHERE id = NEW.contact_id ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $fn$
"""

#: The same on an insert of addresses or numbers (migration 0027), once per statement with
#: the rows it added: a row trigger ran a locking SELECT and a DELETE for each row (an
#: import's 100,000 addresses and 100,000 numbers: 400,000 statements). The contacts are
#: locked in id order, as pcrm_store_digests locks them.
DIGEST_FORGET_ADDED = """
CREATE OR REPLACE FUNCTION pcrm_contact_digest_forget_added() RETURNS trigger
LANGUAGE plpgsql {definer} AS $fn$
BEGIN
    PERFORM 1 FROM contact WHERE id IN (SELECT contact_id FROM added) ORDER BY id
        FOR NO KEY UPDATE;
    DELETE FROM contact_digest WHERE contact_id IN (SELECT contact_id FROM added);
    INSERT INTO contact_digest_due (contact_id)
    SELECT id FROM contact WHERE id IN (SELECT contact_id FROM added) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $fn$
"""

#: New contacts are due (migration 0029), once per statement with the rows it added (an
#: import adds thousands in one COPY).
DIGEST_DUE_NEW = """
CREATE OR REPLACE FUNCTION pcrm_contact_digest_new() RETURNS trigger
LANGUAGE plpgsql {definer} AS $fn$
BEGIN
    INSERT INTO contact_digest_due (contact_id) SELECT id FROM added ON CONFLICT DO NOTHING;
    RETURN NULL;
END $fn$
"""

#: A new or changed suppression key makes every contact due: their digests were made
#: with another key (migration 0029; fired only for the key's row). One row says so:
#: a list then finds them as it did before the due table, once.
DIGEST_DUE_KEY = """
CREATE OR REPLACE FUNCTION pcrm_contact_digest_key() RETURNS trigger
LANGUAGE plpgsql {definer} AS $fn$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.key = NEW.key AND OLD.value IS NOT DISTINCT FROM NEW.value THEN
        RETURN NULL;
    END IF;
    -- The mark that every contact without a set for the key is due (contact_digests.EVERY).
    INSERT INTO contact_digest_due (contact_id) VALUES (0) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $fn$
"""

#: Fresh statistics of a link table after one statement tagged many records (tag_queries):
#: until then the planner takes a tag of 100,000 contacts for a few dozen, and a window of
#: the list filtered by it sorts every link instead of walking the order's index (190 ms
#: instead of 75 at a million contacts). ANALYZE is the table owner's: the system role's,
#: through this function, for every desk that may tag (the autovacuum would take up to a
#: minute). Only the link tables.
ANALYSE_LINKS = """
CREATE OR REPLACE FUNCTION pcrm_analyse_links(p_table text) RETURNS void
LANGUAGE plpgsql {definer} AS $fn$
BEGIN
    IF p_table NOT IN ('contact_tag', 'company_tag') THEN
        RAISE EXCEPTION 'not a link table: %', p_table USING ERRCODE = '22023';
    END IF;
    EXECUTE format('ANALYZE %I', p_table);
END $fn$
"""
