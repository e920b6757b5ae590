"""Server functions a desk calls about data it may not read or change itself: whether a
source is a special-category datum's, the suppression digests (the key is hidden from most
roles), and a block of contact ids for a bulk writer (desk roles may not move sequences).
"""

from __future__ import annotations

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
