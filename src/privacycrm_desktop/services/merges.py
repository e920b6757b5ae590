"""Merging duplicate contacts into one, and undoing a merge (issue 21).

A merge keeps the survivor's id. Each scalar field takes the value chosen for it
(``domain.merges.chosen_sources``) with that value's source, the e-mail addresses and
phone numbers are united, every other row referring to a merged-away contact is moved to
the survivor (services/merge_moves.py, found from the schema's foreign keys), and the
merged-away contacts go, each leaving a redirect to the survivor. The merge record keeps a
copy of every row as it was, so the merge can be undone exactly for a number of days
(setting ``duplicates.undo_days``, 30 by default); after that, when the survivor is
erased, or once undone, the copy is emptied. The audit records ids and counts only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.contact_columns import columns_of
from privacycrm_desktop.domain.errors import NotFound
from privacycrm_desktop.domain.fields import scalar_fields
from privacycrm_desktop.domain.merges import (
    DEFAULT_UNDO_DAYS,
    UNDO_DAYS_SETTING,
    MergeRefused,
    chosen_sources,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import search
from privacycrm_desktop.persistence.custom_field_models import CustomValue
from privacycrm_desktop.persistence.merge_models import ContactMerge, ContactRedirect, merges_into
from privacycrm_desktop.persistence.merge_rows import (
    Rows,
    contact_references,
    decoded,
    delete_keys,
    dump_by_key,
    dump_rows,
    follow_redirects,
    references_to,
    restore_rows,
)
from privacycrm_desktop.persistence.models import Base, Setting
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.merge_custom import (
    choose_custom_values,
    end_double_links,
    split_take,
    still_there,
)
from privacycrm_desktop.services.merge_moves import (
    check_rules,
    keys_referring,
    move_rows,
    ref_name,
    take_chosen_values,
)

#: The longest a merge may be kept undoable (the copy holds personal data).
MAX_UNDO_DAYS = 3650
_CONTACT = "contact"
_SOURCES = "source"
_PROVENANCE = "field_provenance"


@dataclass(frozen=True)
class MergeResult:
    """What a merge did: its id (for the undo), the survivor and the ids merged away."""

    merge_id: int
    survivor_id: int
    merged_ids: tuple[int, ...]


@dataclass(frozen=True)
class MergeInfo:
    """A merge as the review lists it."""

    merge_id: int
    survivor_id: int | None
    merged_ids: tuple[int, ...]
    created_at: dt.datetime
    #: "", "undone", "erased" or "expired".
    closed: str
    #: Until when it can be undone (None once it cannot).
    undo_until: dt.datetime | None


def undo_days(session: Session) -> int:
    """How many days a merge can be undone (the setting, else 30)."""
    row = session.get(Setting, UNDO_DAYS_SETTING)
    try:
        return max(0, int(row.value)) if row is not None else DEFAULT_UNDO_DAYS
    except ValueError:
        return DEFAULT_UNDO_DAYS


def resolve_contact_id(session: Session | Connection, contact_id: int) -> int:
    """The contact an id stands for now: itself, or the survivor it was merged into."""
    survivor = session.execute(
        select(ContactRedirect.survivor_id).where(ContactRedirect.old_id == contact_id)
    ).scalar()
    return int(survivor) if survivor is not None else contact_id


def _tables() -> Mapping[str, Any]:
    return Base.metadata.tables


def _source_columns(table_name: str) -> list[str]:
    table = _tables()[table_name]
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is _tables()[_SOURCES]]


def sources_in(snapshot: Mapping[str, Rows]) -> set[int]:
    found: set[int] = set()
    for name, rows in snapshot.items():
        table = name.split(".", 1)[0]
        if table == _SOURCES:
            continue
        for column in _source_columns(table):
            found.update(int(r[column]) for r in rows if r.get(column) is not None)
    return found


def unused_sources(conn: Connection, ids: set[int]) -> list[int]:
    """Of these sources, those no row refers to any more."""
    used: set[int] = set()
    wanted = sorted(ids)
    for _table, column in references_to(_SOURCES):
        used.update(conn.execute(select(column).where(column.in_(wanted))).scalars())
    return [i for i in wanted if i not in used]


def purge_expired(session: Session, now: dt.datetime) -> int:
    """Empty the copies of merges too old to be undone (their personal data goes)."""
    limit = now - dt.timedelta(days=undo_days(session))
    result = session.execute(
        update(ContactMerge)
        .where(ContactMerge.closed == "", ContactMerge.created_at < limit)
        .values(snapshot="", result="", closed="expired")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def forget_merges_of(conn: Connection, contact_id: int) -> None:
    """The survivor is erased: its merges' copies go (erasure leaves no byte)."""
    conn.execute(
        update(ContactMerge)
        .where(merges_into([contact_id]))
        .values(snapshot="", result="", closed="erased")
    )


def merge_in_session(
    session: Session,
    actor: Actor,
    survivor: int,
    others: Sequence[int],
    take: Mapping[str, int],
    now: dt.datetime,
) -> MergeResult:
    """Merge *others* into *survivor* in the caller's transaction (see the module text).

    Raises:
        MergeRefused: fewer than two contacts, a contact twice, a wrong choice, or data
            the merge cannot move.
        NotFound: a contact does not exist (erased, or merged already).
    """
    others = list(dict.fromkeys(others))
    if not others or survivor in others:
        raise MergeRefused(N_("Choose the contact to keep and at least one other contact."))
    conn = session.connection()
    contact = _tables()[_CONTACT]
    ids = [survivor, *others]
    found = set(
        conn.execute(select(contact.c.id).where(contact.c.id.in_(ids)).with_for_update()).scalars()
    )
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(N_("Contact {id} does not exist (erased or merged already)."), id=missing[0])
    purge_expired(session, now)
    refs = contact_references()
    snapshot: dict[str, Rows] = {_CONTACT: dump_rows(conn, contact, contact.c.id, ids)}
    for table, column in refs:
        snapshot[ref_name(table, column)] = dump_rows(conn, table, column, ids)
    check_rules(refs, snapshot)
    snapshot[_SOURCES] = dump_by_key(
        conn,
        _tables()[_SOURCES],
        {*sources_in(snapshot), *(r["source_id"] for r in snapshot[_CONTACT])},
    )
    record = ContactMerge(
        survivor_id=survivor,
        merged_ids=",".join(str(i) for i in others),
        snapshot="",
        result="",
        created_at=now,
        created_by=actor.user_id,
        closed="",
    )
    session.add(record)
    session.flush()
    take, custom_take = split_take(take)
    _merge_values(conn, snapshot, survivor, others, take, now, actor.user_id)
    gone = choose_custom_values(conn, custom_take, survivor, others)
    for table, column in refs:
        rows = snapshot[ref_name(table, column)]
        if table.name == CustomValue.__tablename__:
            rows = still_there(rows, gone)
        move_rows(conn, table, column, rows, survivor, others)
    search.remove(conn, others)
    conn.execute(contact.delete().where(contact.c.id.in_(others)))
    conn.execute(
        _tables()[ContactRedirect.__tablename__].insert(),
        [{"old_id": o, "survivor_id": survivor, "merge_id": record.id} for o in others],
    )
    source_table = _tables()[_SOURCES]
    for sid in unused_sources(conn, {int(r["id"]) for r in snapshot[_SOURCES]}):
        conn.execute(source_table.delete().where(source_table.c.id == sid))
    own_links = {
        int(r["id"]) for r in snapshot["company_link.contact_id"] if r["contact_id"] == survivor
    }
    end_double_links(conn, survivor, own_links, now.date())
    _refresh_derived(conn, [survivor])
    result: dict[str, Any] = {"survivor": survivor}
    for table, column in refs:
        keys = keys_referring(conn, table, column, survivor)
        if table.name == ContactMerge.__tablename__:
            keys = [k for k in keys if k != [record.id]]
        result[ref_name(table, column)] = keys
    record.snapshot = json.dumps(snapshot, separators=(",", ":"))
    record.result = json.dumps(result, separators=(",", ":"))
    record_event(
        session,
        actor=actor.username,
        action="contact.merge",
        entity="contact",
        entity_id=survivor,
        at=now,
        detail=f"merge={record.id};merged={','.join(str(o) for o in others)}",
    )
    return MergeResult(record.id, survivor, tuple(others))


def _merge_values(
    conn: Connection,
    snapshot: Mapping[str, Rows],
    survivor: int,
    others: Sequence[int],
    take: Mapping[str, int],
    now: dt.datetime,
    user_id: int,
) -> None:
    """Give the survivor the chosen value of each field with that value's source."""
    contact = _tables()[_CONTACT]
    provenance = _tables()[_PROVENANCE]
    rows = {int(r["id"]): decoded(contact, r) for r in snapshot[_CONTACT]}
    fields = [f for f in scalar_fields() if f in contact.c]
    chosen = chosen_sources(fields, rows, survivor, others, take)
    changes = take_chosen_values(
        conn,
        provenance,
        "contact_id",
        snapshot[f"{_PROVENANCE}.contact_id"],
        rows,
        chosen,
        others,
        (now, user_id),
    )
    version = int(rows[survivor]["version"])
    conn.execute(
        contact.update()
        .where(contact.c.id == survivor)
        .values(**changes, updated_at=now, version=version + 1)
    )


def _refresh_derived(conn: Connection, contact_ids: Sequence[int]) -> None:
    """The list's columns, the search row, the tags' copies and the keep-until date of
    contacts whose values or lists changed."""
    from privacycrm_desktop.services.retention import recompute

    contact = _tables()[_CONTACT]
    email = _tables()["contact_email"]
    phone = _tables()["contact_phone"]
    tag = _tables()["contact_tag"]
    for cid in contact_ids:
        row = conn.execute(select(contact).where(contact.c.id == cid)).mappings().one()
        emails = list(
            conn.execute(
                select(email.c.address)
                .where(email.c.contact_id == cid)
                .order_by(email.c.position, email.c.id)
            ).scalars()
        )
        phones = list(
            conn.execute(
                select(phone.c.number)
                .where(phone.c.contact_id == cid)
                .order_by(phone.c.position, phone.c.id)
            ).scalars()
        )
        stored = columns_of(
            row["first_name"],
            row["last_name"],
            row["organisation"],
            emails,
            phones,
            row["street"],
            row["postcode"],
            row["city"],
        )
        conn.execute(
            contact.update()
            .where(contact.c.id == cid)
            .values(
                sort_name=stored.sort_name,
                primary_email=stored.primary_email,
                primary_phone=stored.primary_phone,
            )
        )
        conn.execute(
            tag.update()
            .where(tag.c.contact_id == cid)
            .values(
                sort_name=stored.sort_name,
                organisation=row["organisation"],
                city=row["city"],
                relationship=row["relationship"],
            )
        )
        search.index_rows(conn, [(cid, stored.search)])
    recompute(conn, list(contact_ids))


def undo_in_session(session: Session, actor: Actor, merge_id: int, now: dt.datetime) -> MergeResult:
    """Undo a merge in the caller's transaction: the merged contacts come back with their
    ids, values, sources and rows; what was added to the survivor since stays with it.

    Raises:
        NotFound: no such merge.
        MergeRefused: undone already, too old, the survivor erased or merged since.
    """
    purge_expired(session, now)
    record = session.get(ContactMerge, merge_id, with_for_update=True)
    if record is None:
        raise NotFound(N_("There is no merge {id}."), id=merge_id)
    if record.closed == "undone":
        raise MergeRefused(N_("This merge was undone already."))
    if record.closed == "erased" or record.survivor_id is None:
        raise MergeRefused(
            N_(
                "The contact kept by this merge was erased since; with it went the copy "
                "of the merged contacts, so the merge cannot be undone."
            )
        )
    if record.closed == "expired":
        raise MergeRefused(
            N_("This merge is more than {days} days old and can no longer be undone."),
            days=undo_days(session),
        )
    snapshot: dict[str, Rows] = json.loads(record.snapshot)
    result: dict[str, Any] = json.loads(record.result)
    survivor = int(result["survivor"])
    now_at = resolve_contact_id(session, survivor)
    if now_at != survivor:
        raise MergeRefused(
            N_(
                "The contact kept by this merge was merged into contact {id} since: "
                "undo that merge first."
            ),
            id=now_at,
        )
    conn = session.connection()
    tables = _tables()
    contact = tables[_CONTACT]
    current_version = conn.execute(
        select(contact.c.version).where(contact.c.id == survivor)
    ).scalar_one()
    conn.execute(delete(ContactRedirect).where(ContactRedirect.merge_id == merge_id))
    restore_rows(conn, tables[_SOURCES], snapshot[_SOURCES])
    restore_rows(conn, contact, snapshot[_CONTACT])
    conn.execute(
        contact.update().where(contact.c.id == survivor).values(version=current_version + 1)
    )
    refs = contact_references()
    for table, column in refs:
        name = ref_name(table, column)
        before = snapshot.get(name, [])
        kept = {tuple(decoded(table, r)[c.name] for c in table.primary_key.columns) for r in before}
        added = [tuple(k) for k in result.get(name, []) if tuple(k) not in kept]
        delete_keys(conn, table, added)
    for table, column in refs:
        restore_rows(conn, table, follow_redirects(conn, snapshot.get(ref_name(table, column), [])))
    ids = [int(r["id"]) for r in snapshot[_CONTACT]]
    merged = [i for i in ids if i != survivor]
    search.remove(conn, ids)
    _refresh_derived(conn, ids)
    record.snapshot = ""
    record.result = ""
    record.closed = "undone"
    record.undone_at = now
    record_event(
        session,
        actor=actor.username,
        action="contact.merge_undo",
        entity="contact",
        entity_id=survivor,
        at=now,
        detail=f"merge={merge_id};restored={','.join(str(i) for i in merged)}",
    )
    return MergeResult(merge_id, survivor, tuple(merged))


class MergeService:
    """Merge duplicate contacts, list merges and undo one (owner and privacy officer)."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def merge(
        self,
        actor: Actor,
        survivor: int,
        others: Sequence[int],
        take: Mapping[str, int] | None = None,
    ) -> MergeResult:
        """Merge *others* into *survivor*, *take* naming the contact whose value each
        listed field keeps (see ``merge_in_session``)."""
        require(actor.role, Permission.MERGE_CONTACTS)
        with self._uow(write=True) as uow:
            return merge_in_session(
                uow.session, actor, survivor, others, take or {}, self._clock.now()
            )

    def undo(self, actor: Actor, merge_id: int) -> MergeResult:
        """Undo merge *merge_id* (see ``undo_in_session``)."""
        require(actor.role, Permission.MERGE_CONTACTS)
        with self._uow(write=True) as uow:
            return undo_in_session(uow.session, actor, merge_id, self._clock.now())

    def merges(self, actor: Actor, limit: int = 200) -> list[MergeInfo]:
        """The newest merges first, with until when each can be undone."""
        require(actor.role, Permission.MERGE_CONTACTS)
        with self._uow() as uow:
            session = uow.session
            days = undo_days(session)
            rows = session.scalars(
                select(ContactMerge).order_by(ContactMerge.id.desc()).limit(limit)
            ).all()
            now = self._clock.now()
            out = []
            for r in rows:
                until = r.created_at + dt.timedelta(days=days)
                open_ = not r.closed and until > now and r.survivor_id is not None
                out.append(
                    MergeInfo(
                        merge_id=r.id,
                        survivor_id=r.survivor_id,
                        merged_ids=tuple(int(i) for i in r.merged_ids.split(",") if i),
                        created_at=r.created_at,
                        closed=r.closed or ("" if open_ else "expired"),
                        undo_until=until if open_ else None,
                    )
                )
            return out

    def undo_days(self, actor: Actor) -> int:
        """How many days a merge can be undone."""
        require(actor.role, Permission.MERGE_CONTACTS)
        with self._uow() as uow:
            return undo_days(uow.session)

    def set_undo_days(self, actor: Actor, days: int) -> None:
        """Keep merges undoable for *days* days (1 to 3650); older copies are emptied at
        the next merge or undo."""
        require(actor.role, Permission.EDIT_SETTINGS)
        if not 1 <= days <= MAX_UNDO_DAYS:
            raise MergeRefused(N_("Choose between 1 and {max} days."), max=MAX_UNDO_DAYS)
        with self._uow(write=True) as uow:
            uow.session.merge(Setting(key=UNDO_DAYS_SETTING, value=str(days)))
            record_event(
                uow.session,
                actor=actor.username,
                action="settings.merge_undo_days",
                entity="setting",
                entity_id=UNDO_DAYS_SETTING,
                at=self._clock.now(),
                detail=f"days={days}",
            )

    def resolve(self, contact_id: int) -> int:
        """The contact an id (perhaps merged away) stands for now."""
        with self._uow() as uow:
            return resolve_contact_id(uow.session, contact_id)


__all__ = [
    "MergeInfo",
    "MergeResult",
    "MergeService",
    "forget_merges_of",
    "merge_in_session",
    "purge_expired",
    "resolve_contact_id",
    "sources_in",
    "undo_days",
    "undo_in_session",
    "unused_sources",
]
