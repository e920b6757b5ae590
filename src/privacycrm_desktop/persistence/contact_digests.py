"""The stored suppression digests of every contact (``contact_digest``, migration 0024).

A marketing list checks each contact's points against the suppression list and the
opt-outs keyed by a contact point; hashing every point of every contact made a list of
50,000 take seconds. The digests are kept per contact instead, with a marker row saying
the set is complete for the database's key (its fingerprint: a changed key makes every
set stale). Triggers delete a contact's rows whenever its name, postcode, addresses or
numbers change, on every write path (the editor, imports, merges, the server's own
functions, a script), and put it among the due (``contact_digest_due``, migration 0029:
a list reads that small table, not every contact, to find the stale sets); ``refresh``
computes the sets that are due, so a list is always built on the digests of the points
as they are now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, text

from privacycrm_desktop.domain.suppression import key_fingerprint, person_digests
from privacycrm_desktop.persistence.bulk_writes import copy_rows, is_postgresql
from privacycrm_desktop.persistence.digest_models import ContactDigest, ContactDigestDue
from privacycrm_desktop.persistence.models import Contact, ContactEmail, ContactPhone

#: The kind of the marker row (no ``HashKind`` is empty).
MARKER = ""

#: How many hex characters of each digest are stored (64 bits): enough to leave out
#: nearly every contact that cannot match, a quarter of the space of the whole digest;
#: a contact whose prefix matches is hashed, and the whole digest decides.
PREFIX = 16

#: A change of a contact's id (never made by the app; plain SQL can) forgets the rows of
#: both ids: left under the old id, marked complete, they would pass for the digests of
#: a person inserted there later (migration 0026). The new id is due, the old one gone.
ID_TRIGGER_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS contact_digest_id AFTER UPDATE OF id ON contact "
    "WHEN old.id IS NOT new.id BEGIN "
    "DELETE FROM contact_digest WHERE contact_id IN (old.id, new.id); "
    "DELETE FROM contact_digest_due WHERE contact_id = old.id; "
    "INSERT OR IGNORE INTO contact_digest_due (contact_id) VALUES (new.id); END"
)
#: The same on PostgreSQL; ``pcrm_contact_digest_forget`` deletes the old id's rows (the
#: new id's cannot exist: each id change forgets them, a deletion too).
ID_TRIGGER_PG = (
    "CREATE TRIGGER contact_digest_id AFTER UPDATE OF id ON contact FOR EACH ROW "
    "WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION pcrm_contact_digest_forget()"
)

#: The triggers that forget a contact's digests when a point changes and make it due, and
#: that make a new contact due and a deleted one no longer (SQLite). The ones on addresses
#: and numbers read no other table: a batch migration copying ``contact`` could not
#: rename its copy with triggers naming it (a due id left by a deleted contact's
#: addresses is dropped by the next ``refresh``). As in migration 0029;
#: persistence/migrate.py puts them back after a batch migration.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS contact_digest_name AFTER UPDATE OF first_name, "
    "last_name, postcode ON contact WHEN old.first_name IS NOT new.first_name OR "
    "old.last_name IS NOT new.last_name OR old.postcode IS NOT new.postcode "
    "BEGIN DELETE FROM contact_digest WHERE contact_id IN (old.id); "
    "INSERT OR IGNORE INTO contact_digest_due (contact_id) VALUES (old.id); END",
    "CREATE TRIGGER IF NOT EXISTS contact_digest_gone AFTER DELETE ON contact "
    "BEGIN DELETE FROM contact_digest WHERE contact_id = old.id; "
    "DELETE FROM contact_digest_due WHERE contact_id = old.id; END",
    ID_TRIGGER_SQLITE,
    "CREATE TRIGGER IF NOT EXISTS contact_digest_new AFTER INSERT ON contact "
    "BEGIN INSERT OR IGNORE INTO contact_digest_due (contact_id) VALUES (new.id); END",
    "CREATE TRIGGER IF NOT EXISTS contact_email_digest_insert AFTER INSERT ON contact_email "
    "BEGIN DELETE FROM contact_digest WHERE contact_id IN (new.contact_id); "
    "INSERT OR IGNORE INTO contact_digest_due (contact_id) VALUES (new.contact_id); END",
    "CREATE TRIGGER IF NOT EXISTS contact_email_digest_update AFTER UPDATE ON contact_email "
    "BEGIN DELETE FROM contact_digest WHERE contact_id IN (old.contact_id, new.contact_id); "
    "INSERT OR IGNORE INTO contact_digest_due (contact_id) "
    "VALUES (old.contact_id), (new.contact_id); END",
    "CREATE TRIGGER IF NOT EXISTS contact_email_digest_delete AFTER DELETE ON contact_email "
    "BEGIN DELETE FROM contact_digest WHERE contact_id IN (old.contact_id); "
    "INSERT OR IGNORE INTO contact_digest_due (contact_id) VALUES (old.contact_id); END",
    "CREATE TRIGGER IF NOT EXISTS contact_phone_digest_insert AFTER INSERT ON contact_phone "
    "BEGIN DELETE FROM contact_digest WHERE contact_id IN (new.contact_id); "
    "INSERT OR IGNORE INTO contact_digest_due (contact_id) VALUES (new.contact_id); END",
    "CREATE TRIGGER IF NOT EXISTS contact_phone_digest_update AFTER UPDATE ON contact_phone "
    "BEGIN DELETE FROM contact_digest WHERE contact_id IN (old.contact_id, new.contact_id); "
    "INSERT OR IGNORE INTO contact_digest_due (contact_id) "
    "VALUES (old.contact_id), (new.contact_id); END",
    "CREATE TRIGGER IF NOT EXISTS contact_phone_digest_delete AFTER DELETE ON contact_phone "
    "BEGIN DELETE FROM contact_digest WHERE contact_id IN (old.contact_id); "
    "INSERT OR IGNORE INTO contact_digest_due (contact_id) VALUES (old.contact_id); END",
    # A new or changed key makes every contact's digests due (made with another key): a
    # mark that the due are every contact without a set for the key (``EVERY``).
    "CREATE TRIGGER IF NOT EXISTS contact_digest_key_new AFTER INSERT ON setting "
    "WHEN new.key = 'suppression.salt' BEGIN "
    "INSERT OR IGNORE INTO contact_digest_due (contact_id) VALUES (0); END",
    "CREATE TRIGGER IF NOT EXISTS contact_digest_key_change AFTER UPDATE ON setting "
    "WHEN new.key = 'suppression.salt' AND (old.key IS NOT new.key OR old.value IS NOT "
    "new.value) BEGIN "
    "INSERT OR IGNORE INTO contact_digest_due (contact_id) VALUES (0); END",
)

#: The due row saying every contact without a complete set for the key is due (the key
#: changed): a list then looks for them as before the due table, once, and storing them
#: takes the mark out (on PostgreSQL only once none is left out of the due).
EVERY = 0

#: Up to this many stale contacts are read by id; more, and whole tables are read.
_BY_ID = 2_000
_CHUNK = 500
#: Contacts per call of the server's ``pcrm_store_digests``.
_SERVER_CHUNK = 5_000


def stale_contacts(conn: Connection, fingerprint: str) -> list[int]:
    """Contacts whose stored digests are missing, forgotten or made with another key: the
    due ones (``contact_digest_due``, kept by triggers; a few rows, not every contact).
    After a change of key (``EVERY`` among them), ``EVERY`` and every contact without a
    complete set for the key of *fingerprint*."""
    due = select(ContactDigestDue.contact_id).order_by(ContactDigestDue.contact_id)
    found = list(conn.execute(due).scalars())
    if found[:1] != [EVERY]:
        return found
    return [EVERY, *_without_marker(conn, fingerprint)]


def refresh(
    conn: Connection,
    salt: str,
    ids: Iterable[int] | None = None,
    *,
    by_server: bool = True,
    due: bool = True,
) -> int:
    """Store the digests of the due contacts (or of *ids*) and take them out of the due;
    how many contacts were (re)hashed. Call inside a write transaction. On a PostgreSQL
    server with its functions, the server computes and stores them for every role;
    *by_server* False only for a migration (the administrator, on a table the system role
    may not own yet); *due* False only for migration 0024 (before the due table: every
    contact without a marker for *salt* is stored)."""
    fingerprint = key_fingerprint(salt)
    if ids is not None:
        stale = sorted(set(ids))
    elif due:
        stale = stale_contacts(conn, fingerprint)
    else:
        stale = _without_marker(conn, fingerprint)
    if not stale:
        return 0
    if by_server and server_stores(conn):
        # The server reads the points and hashes them itself: no desk role writes
        # contact_digest (persistence/postgres/data_sql.py, STORE_DIGESTS).
        store = text("SELECT pcrm_store_digests(CAST(:ids AS bigint[]))")
        listed = [cid for cid in stale if cid != EVERY]
        stored: int = sum(
            conn.execute(store, {"ids": listed[i : i + _SERVER_CHUNK]}).scalar_one()
            for i in range(0, len(listed), _SERVER_CHUNK)
        )
        if EVERY in stale:  # last: the server takes it out once none is left out
            conn.execute(store, {"ids": [EVERY]})
        return stored
    people = _points(conn, stale)
    for start in range(0, len(stale), _CHUNK):
        part = stale[start : start + _CHUNK]
        conn.execute(delete(ContactDigest).where(ContactDigest.contact_id.in_(part)))
    order = [cid for cid in stale if cid in people]
    digests = person_digests(salt, [people[cid] for cid in order])
    rows = [
        {"contact_id": cid, "kind": kind, "digest": digest[:PREFIX], "point": own}
        for cid, found in zip(order, digests, strict=True)
        for kind, digest, own in sorted(found)
    ]
    rows += [
        {"contact_id": cid, "kind": MARKER, "digest": fingerprint, "point": False} for cid in order
    ]
    if is_postgresql(conn):
        copy_rows(conn, "contact_digest", ["contact_id", "kind", "digest", "point"], rows)
    elif rows:
        conn.execute(insert(ContactDigest), rows)
    if due:
        # Stored now (a contact no longer there has nothing to store): none is due.
        column = ContactDigestDue.contact_id
        for start in range(0, len(stale), _CHUNK):
            conn.execute(delete(ContactDigestDue).where(column.in_(stale[start : start + _CHUNK])))
    return len(order)


def _without_marker(conn: Connection, fingerprint: str) -> list[int]:
    """Contacts without a complete set for the key of *fingerprint* (reads every
    contact: for migration 0024 only, before the due table)."""
    complete = (
        select(ContactDigest.contact_id)
        .where(
            ContactDigest.contact_id == Contact.id,
            ContactDigest.kind == MARKER,
            ContactDigest.digest == fingerprint,
        )
        .exists()
    )
    return list(conn.execute(select(Contact.id).where(~complete).order_by(Contact.id)).scalars())


def server_stores(conn: Connection) -> bool:
    """True on a PostgreSQL server whose ``pcrm_store_digests`` stores the digests (its
    functions are installed: desk roles may not write ``contact_digest``); cached per
    connection once found."""
    if not is_postgresql(conn):
        return False
    if conn.info.get("pcrm_store_digests"):
        return True
    # Not cached when missing: the administrator may install it while this connection
    # lives (the grant to write the table goes with that).
    found = "SELECT to_regprocedure('pcrm_store_digests(bigint[])') IS NOT NULL"
    stores = bool(conn.execute(text(found)).scalar())
    conn.info["pcrm_store_digests"] = stores
    return stores


def _points(conn: Connection, ids: Sequence[int]) -> dict[int, Any]:
    """(first name, last name, postcode, e-mail addresses, numbers) of each of *ids*."""
    wanted = set(ids)
    by_id = len(ids) <= _BY_ID
    people: dict[int, Any] = {}
    contacts = select(Contact.id, Contact.first_name, Contact.last_name, Contact.postcode)
    emails = select(ContactEmail.contact_id, ContactEmail.address).order_by(
        ContactEmail.contact_id, ContactEmail.position
    )
    phones = select(ContactPhone.contact_id, ContactPhone.number).order_by(
        ContactPhone.contact_id, ContactPhone.position
    )
    chunks: list[Sequence[int] | None] = (
        [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)] if by_id else [None]
    )
    for chunk in chunks:

        def only(query: Any, column: Any, chunk: Sequence[int] | None = chunk) -> Any:
            return (
                query
                if chunk is None
                else query.where(column.in_(bindparam("ids", chunk, expanding=True)))
            )

        for cid, first, last, postcode in conn.execute(only(contacts, Contact.id)).tuples():
            if cid in wanted:
                people[cid] = (first, last, postcode, [], [])
        for cid, address in conn.execute(only(emails, ContactEmail.contact_id)).tuples():
            if cid in people:
                people[cid][3].append(address)
        for cid, number in conn.execute(only(phones, ContactPhone.contact_id)).tuples():
            if cid in people:
                people[cid][4].append(number)
    return people
