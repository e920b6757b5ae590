"""Synthetic Belgian contacts for trying the app and for benchmarks (``demo --count N``).

Rows are written with SQLAlchemy Core bulk inserts (executemany) in chunks, one
transaction per chunk: ``session.add_all`` is 26-34x slower than raw sqlite3 here, and one
huge transaction in WAL mode is slower than several.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.contact_columns import columns_of
from privacycrm_desktop.domain.contacts import ContactKind, Relationship
from privacycrm_desktop.domain.errors import DemoPartlySaved, StorageError, StorageFull
from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.provenance import SourceKind
from privacycrm_desktop.persistence import search
from privacycrm_desktop.persistence.bulk_writes import copy_into, is_postgresql
from privacycrm_desktop.persistence.database import checkpoint
from privacycrm_desktop.persistence.dialect import reserve_contact_ids
from privacycrm_desktop.persistence.models import Base, Source
from privacycrm_desktop.persistence.storage_errors import storage_error
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services import demo_data as data
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.retention import recompute, stored_rules

CHUNK = 20_000
MAX_COUNT = 5_000_000

_RELATIONSHIPS = (
    (Relationship.PROSPECT, 40),
    (Relationship.CUSTOMER, 35),
    (Relationship.FORMER_CUSTOMER, 15),
    (Relationship.SUPPLIER, 5),
    (Relationship.OTHER, 5),
)


@dataclass
class DemoChunk:
    """Rows for one transaction, as dicts keyed by column name."""

    contacts: list[dict[str, Any]]
    emails: list[dict[str, Any]]
    phones: list[dict[str, Any]]
    fts: list[dict[str, Any]]


class _Surnames:
    """Draws surnames the way they spread in Belgium: a few common ones, a long thin tail."""

    def __init__(self) -> None:
        self.common = {lang: list(names) for lang, names in data.LAST_NAMES.items()}
        self.weights = {
            # English names (expats, a small share) are drawn evenly: their list is short.
            lang: [
                1 / (rank + 1) ** (0.7 if lang in data.SURNAME_PREFIXES else 0.0)
                for rank in range(len(names))
            ]
            for lang, names in self.common.items()
        }
        self.tail = {
            lang: [f"{prefix}{stem}" for prefix in prefixes for stem in data.SURNAME_STEMS[lang]]
            for lang, prefixes in data.SURNAME_PREFIXES.items()
        }

    def draw(self, lang: str, rng: random.Random) -> str:
        if lang not in self.tail or rng.random() < data.COMMON_SURNAME_SHARE:
            return rng.choices(self.common[lang], self.weights[lang])[0]
        return rng.choice(self.tail[lang])


def _company(lang: str, surnames: _Surnames, rng: random.Random) -> str:
    """A business name: now and then a well-known one, mostly a trade and a family name."""
    if rng.random() < 0.05:
        return rng.choice(data.COMPANIES)
    return f"{rng.choice(data.TRADES[lang])} {surnames.draw(lang, rng)}"


def _email_local(first: str, last: str, rng: random.Random) -> str:
    local = fold(f"{first}.{last}").replace(" ", "").replace("'", "")
    local = "".join(ch for ch in local if ch.isalnum() or ch == ".")
    return local if rng.random() < 0.6 else f"{local}{rng.randint(1, 99)}"


def generate_chunks(
    count: int,
    seed: int,
    first_id: int,
    source_ids: list[int],
    user_id: int | None,
    now: dt.datetime,
    chunk_size: int = CHUNK,
) -> Iterator[DemoChunk]:
    """Yield the rows of *count* synthetic contacts, ids from *first_id* on."""
    rng = random.Random(seed)
    surnames = _Surnames()
    relationships = [r for r, _ in _RELATIONSHIPS]
    weights = [w for _, w in _RELATIONSHIPS]
    today = now.date()
    chunk = DemoChunk([], [], [], [])
    for offset in range(count):
        cid = first_id + offset
        lang = rng.choices(("nl", "fr", "en"), (55, 38, 7))[0]
        postcode, city, city_lang = rng.choice(data.CITIES)
        if lang != "en" and rng.random() < 0.8:
            lang = city_lang
        is_org = rng.random() < 0.03
        organisation = _company(lang, surnames, rng) if is_org or rng.random() < 0.35 else ""
        first = "" if is_org else rng.choice(data.FIRST_NAMES[lang])
        last = "" if is_org else surnames.draw(lang, rng)
        if is_org:
            email = "info@" + fold(organisation).replace(" ", "") + ".be"
        elif rng.random() < 0.85:
            email = f"{_email_local(first, last, rng)}@{rng.choice(data.EMAIL_DOMAINS)}"
        else:
            email = ""
        phone = (
            f"+324{rng.randint(70, 99)}{rng.randint(0, 999_999):06d}" if rng.random() < 0.7 else ""
        )
        relationship = rng.choices(relationships, weights)[0]
        start = today - dt.timedelta(days=rng.randint(30, 3650))
        end = (
            start + dt.timedelta(days=rng.randint(30, 1500))
            if relationship is Relationship.FORMER_CUSTOMER
            else None
        )
        if end is not None and end > today:
            end = today
        street = f"{rng.choice(data.STREETS[lang])} {rng.randint(1, 250)}"
        source_id = rng.choice(source_ids)
        created = now - dt.timedelta(days=rng.randint(0, 1500), seconds=rng.randint(0, 86_399))
        # Derived as every writer derives them (the editor's, the import's).
        columns = columns_of(
            first,
            last,
            organisation,
            (email,) if email else (),
            (phone,) if phone else (),
            street,
            postcode,
            city,
        )
        chunk.contacts.append(
            {
                "id": cid,
                "kind": (ContactKind.ORGANISATION_ADDRESS if is_org else ContactKind.PERSON).value,
                "first_name": first,
                "last_name": last,
                "organisation": organisation,
                "street": street,
                "postcode": postcode,
                "city": city,
                "country": "BE",
                "language": lang,
                "birth_date": (
                    today - dt.timedelta(days=rng.randint(18 * 365, 85 * 365))
                    if rng.random() < 0.2
                    else None
                ),
                "notes": "",
                "relationship": relationship.value,
                "relationship_start": start if relationship is not Relationship.PROSPECT else None,
                "relationship_end": end,
                "last_interaction": today - dt.timedelta(days=rng.randint(0, 2000)),
                "sort_name": columns.sort_name,
                "primary_email": columns.primary_email,
                "primary_phone": columns.primary_phone,
                "keep_until": None,
                "source_id": source_id,
                "import_batch_id": None,
                "created_by": user_id,
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
        )
        if email:
            chunk.emails.append(
                {
                    "contact_id": cid,
                    "address": email,
                    "position": 0,
                    "source_id": source_id,
                    "recorded_at": created,
                    "recorded_by": user_id,
                }
            )
        if phone:
            chunk.phones.append(
                {
                    "contact_id": cid,
                    "number": phone,
                    "position": 0,
                    "source_id": source_id,
                    "recorded_at": created,
                    "recorded_by": user_id,
                }
            )
        chunk.fts.append(search.new_row(cid, columns.search))
        if len(chunk.contacts) >= chunk_size:
            yield chunk
            chunk = DemoChunk([], [], [], [])
    if chunk.contacts:
        yield chunk


def insert_chunk(conn: Connection, chunk: DemoChunk) -> None:
    """Write one chunk with Core executemany inserts (SQLite), or one COPY a table
    (PostgreSQL: an executemany there is a statement, and a run of the write log's
    triggers, a row)."""
    if is_postgresql(conn):
        for name, rows in (
            ("contact", chunk.contacts),
            ("contact_email", chunk.emails),
            ("contact_phone", chunk.phones),
        ):
            _copy_table(conn, name, rows)
        search.index_new_rows(conn, chunk.fts)
        return
    conn.execute(insert(Base.metadata.tables["contact"]), chunk.contacts)
    if chunk.emails:
        conn.execute(insert(Base.metadata.tables["contact_email"]), chunk.emails)
    if chunk.phones:
        conn.execute(insert(Base.metadata.tables["contact_phone"]), chunk.phones)
    search.index_new_rows(conn, chunk.fts)


def _copy_table(conn: Connection, name: str, rows: list[dict[str, Any]]) -> None:
    """COPY *rows* into table *name* (Core's executemany where COPY cannot fill a default)."""
    table = Base.metadata.tables[name]
    if not copy_into(conn, table, rows):
        conn.execute(insert(table), rows)


class DemoService:
    """Fills a database with realistic synthetic contacts."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def generate(
        self,
        actor: Actor,
        count: int,
        seed: int = 1,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Add *count* synthetic contacts; return how many were added.

        Each chunk takes its block of contact ids in its own write transaction, so another
        program adding contacts meanwhile never collides with it. The audit
        event, written last, gives the count added. When the storage fails after some
        chunks were committed, ``DemoPartlySaved`` says how many were kept (and the audit
        records them), never "nothing was saved".
        """
        require(actor.role, Permission.IMPORT)
        if not 0 < count <= MAX_COUNT:
            raise ValueError(f"count must be between 1 and {MAX_COUNT}")
        now = self._clock.now()
        rng = random.Random(seed)
        sources = [
            {
                "kind": kind.value,
                "description": rng.choice(data.SOURCE_DESCRIPTIONS[kind.value]),
                "obtained_on": now.date() - dt.timedelta(days=rng.randint(0, 1500)),
                "entered_by": actor.user_id,
                "created_at": now,
            }
            for kind in SourceKind
            for _ in range(12)
        ]
        engine = self._uow.engine.execution_options(sqlite_begin="IMMEDIATE")
        with engine.connect() as conn:
            rules = stored_rules(conn)
        source_ids: list[int] = []  # filled by the first chunk's transaction
        chunks = generate_chunks(count, seed, 0, source_ids, actor.user_id, now)
        written = 0
        first_id: int | None = None
        try:
            while True:
                with engine.begin() as conn:
                    if not source_ids:
                        source_ids.extend(_add_sources(conn, sources))
                    chunk = next(chunks, None)
                    if chunk is None:
                        break
                    first = _place(conn, chunk)
                    audited: Session | None = None
                    if first_id is None:
                        # Audited with the first contacts, never without them.
                        with Session(bind=conn) as audited:
                            record_event(
                                audited,
                                actor=actor.username,
                                action="demo.generate",
                                entity="contact",
                                entity_id=first,
                                at=now,
                                detail=f"count={count} seed={seed}",
                            )
                            audited.flush()
                    insert_chunk(conn, chunk)
                    # Demo contacts know until when they may be kept, like any other.
                    recompute(conn, [row["id"] for row in chunk.contacts], rules)
                if audited is not None:
                    # Committed: the anchor file learns of the event.
                    self._uow.audit_committed_outside(audited)
                first_id = first if first_id is None else first_id
                written += len(chunk.contacts)
                if progress is not None:
                    progress(written, count)
        except Exception as exc:
            failure = storage_error(exc)
            if failure is None or written == 0:
                if failure is not None and failure is not exc:
                    raise failure from exc
                raise
            self._audit_after_failure(actor, now, first_id or 0, written, count, seed)
            raise DemoPartlySaved(
                DemoPartlySaved.FULL if isinstance(failure, StorageFull) else DemoPartlySaved.OTHER,
                cause=failure,
                kept=written,
                total=count,
            ) from failure
        return written

    def _audit_after_failure(
        self, actor: Actor, now: dt.datetime, first_id: int, written: int, count: int, seed: int
    ) -> None:
        """Audit how many were kept when the storage failed (the first chunk's event gave
        the count asked for). Best effort: on a full disk even this may find no room."""
        for attempt in range(2):
            try:
                with self._uow(write=True) as uow:
                    record_event(
                        uow.session,
                        actor=actor.username,
                        action="demo.generate",
                        entity="contact",
                        entity_id=first_id,
                        at=now,
                        detail=f"stopped: count={written} of={count} seed={seed}",
                    )
                return
            except StorageError:
                if attempt == 0:
                    with contextlib.suppress(Exception):
                        checkpoint(self._uow.engine)


def _add_sources(conn: Connection, sources: list[dict[str, Any]]) -> list[int]:
    """Write the demo's sources; their ids."""
    ids = []
    for row in sources:
        key = conn.execute(insert(Source).values(**row)).inserted_primary_key
        assert key is not None
        ids.append(int(key[0]))
    return ids


def _place(conn: Connection, chunk: DemoChunk) -> int:
    """Give *chunk* a block of contact ids reserved in *conn*'s transaction; the first."""
    first = reserve_contact_ids(conn, len(chunk.contacts))
    shift = first - int(chunk.contacts[0]["id"])
    for row in chunk.contacts:
        row["id"] += shift
    for row in chunk.emails:
        row["contact_id"] += shift
    for row in chunk.phones:
        row["contact_id"] += shift
    for row in chunk.fts:
        row["id"] += shift
    return first
