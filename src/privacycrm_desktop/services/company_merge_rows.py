"""Merging duplicate companies into one, and undoing it (issue 21), in the caller's
transaction; services/company_merges.py is the service around it.

As a merge of contacts (services/merges.py): the survivor keeps its id; each field takes
the value chosen for it (``domain.merges.chosen_sources``) with that value's source;
every row referring to a merged-away company (found from the schema's foreign keys to
``company``, each needing a rule in ``COMPANY_MERGE_RULES``) moves to the survivor; the
merged-away companies go, each leaving a redirect. The merge record keeps a copy of every
row as it was, for the undo, until the undo limit (``duplicates.undo_days``), the undo,
or the erasure of a person whose rows (a place at the company, an interaction) it holds.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table, delete, select, update
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.companies import COMPANY_FIELDS, company_key
from privacycrm_desktop.domain.errors import NotFound
from privacycrm_desktop.domain.merges import MergeRefused, chosen_sources
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.company_models import CompanyLink
from privacycrm_desktop.persistence.merge_models import CompanyMerge, CompanyRedirect
from privacycrm_desktop.persistence.merge_rows import (
    Rows,
    decoded,
    delete_keys,
    dump_by_key,
    dump_rows,
    follow_redirects,
    references_to,
    restore_rows,
)
from privacycrm_desktop.persistence.models import Base
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.merge_moves import (
    Move,
    check_rules,
    keys_referring,
    move_rows,
    ref_name,
    take_chosen_values,
)
from privacycrm_desktop.services.merges import (
    MergeResult,
    sources_in,
    undo_days,
    unused_sources,
)

_COMPANY = "company"
_SOURCES = "source"
_PROVENANCE = "company_provenance"
_LINKS = "company_link.company_id"

#: "table.column" of each foreign key to the company -> (rule, columns the rule uses).
COMPANY_MERGE_RULES: Mapping[str, tuple[Move, tuple[str, ...]]] = {
    # The per-field sources: rewritten from the chosen values.
    "company_provenance.company_id": (Move.PROVENANCE, ()),
    # The people's places, current and past, with function and department; a person
    # with a current place at two of the merged companies keeps one (end_double_places).
    "company_link.company_id": (Move.MOVE, ()),
    "company_tag.company_id": (Move.MOVE_UNIQUE, ("tag_id",)),
    # Custom values: the survivor's value of a field stays; a field only a merged-away
    # company had a value for brings it along, with its source and date.
    "company_custom_value.company_id": (Move.MOVE_UNIQUE, ("field_id",)),
    "activity.company_id": (Move.MOVE, ()),
    "task.company_id": (Move.MOVE, ()),
    # The ids that led to a company merged away now lead to the new survivor.
    "company_redirect.survivor_id": (Move.MOVE, ()),
}


def company_references() -> list[tuple[Table, Column[Any]]]:
    """(table, column) of every foreign key to ``company.id``, in dependency order."""
    return references_to(_COMPANY)


def resolve_company_id(session: Session | Connection, company_id: int) -> int:
    """The company an id stands for now: itself, or the survivor it was merged into."""
    survivor = session.execute(
        select(CompanyRedirect.survivor_id).where(CompanyRedirect.old_id == company_id)
    ).scalar()
    return int(survivor) if survivor is not None else company_id


def purge_expired_company_merges(session: Session, now: dt.datetime) -> None:
    """Empty the copies of company merges too old to be undone."""
    limit = now - dt.timedelta(days=undo_days(session))
    session.execute(
        update(CompanyMerge)
        .where(CompanyMerge.closed == "", CompanyMerge.created_at < limit)
        .values(snapshot="", result="", closed="expired")
    )


def forget_company_merges_of(conn: Connection, contact_ids: Sequence[int]) -> None:
    """People are erased: the copies of company merges holding any row of theirs (a
    place at the company, an interaction, a task) go (erasure leaves no byte)."""
    gone = set(contact_ids)
    open_ = conn.execute(
        select(CompanyMerge.id, CompanyMerge.snapshot).where(CompanyMerge.snapshot != "")
    ).tuples()
    hit = [
        merge_id
        for merge_id, text in open_
        if any(
            row.get("contact_id") in gone
            for rows in json.loads(text).values()
            for row in rows
            if isinstance(row, dict)
        )
    ]
    if hit:
        conn.execute(
            update(CompanyMerge)
            .where(CompanyMerge.id.in_(hit))
            .values(snapshot="", result="", closed="erased")
        )


def _tables() -> Mapping[str, Table]:
    return Base.metadata.tables


def merge_companies_in_session(
    session: Session,
    actor: Actor,
    survivor: int,
    others: Sequence[int],
    take: Mapping[str, int],
    now: dt.datetime,
) -> MergeResult:
    """Merge companies *others* into *survivor* (see the module text); *take* names, per
    field, the company whose value the survivor keeps.

    Raises:
        MergeRefused: fewer than two companies, a wrong choice, or rows it cannot move.
        NotFound: a company does not exist (merged already).
    """
    others = list(dict.fromkeys(others))
    if not others or survivor in others:
        raise MergeRefused(N_("Choose the company to keep and at least one other company."))
    ids = [survivor, *others]
    for field, cid in take.items():
        if field not in COMPANY_FIELDS:
            raise MergeRefused(N_("The field {field} cannot be chosen in a merge."), field=field)
        if cid not in ids:
            raise MergeRefused(N_("Company {id} is not one of the companies being merged."), id=cid)
    conn = session.connection()
    company = _tables()[_COMPANY]
    found = set(
        conn.execute(select(company.c.id).where(company.c.id.in_(ids)).with_for_update()).scalars()
    )
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(N_("Company {id} does not exist (merged already?)."), id=missing[0])
    purge_expired_company_merges(session, now)
    refs = company_references()
    snapshot: dict[str, Rows] = {_COMPANY: dump_rows(conn, company, company.c.id, ids)}
    for table, column in refs:
        snapshot[ref_name(table, column)] = dump_rows(conn, table, column, ids)
    check_rules(refs, snapshot, COMPANY_MERGE_RULES)
    snapshot[_SOURCES] = dump_by_key(conn, _tables()[_SOURCES], sources_in(snapshot))
    record = CompanyMerge(
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
    _merge_values(conn, snapshot, survivor, others, take, now, actor.user_id)
    for table, column in refs:
        rows = snapshot[ref_name(table, column)]
        move_rows(conn, table, column, rows, survivor, others, COMPANY_MERGE_RULES)
    conn.execute(company.delete().where(company.c.id.in_(others)))
    conn.execute(
        _tables()[CompanyRedirect.__tablename__].insert(),
        [{"old_id": o, "survivor_id": survivor, "merge_id": record.id} for o in others],
    )
    source_table = _tables()[_SOURCES]
    for sid in unused_sources(conn, {int(r["id"]) for r in snapshot[_SOURCES]}):
        conn.execute(source_table.delete().where(source_table.c.id == sid))
    own = {int(r["id"]) for r in snapshot[_LINKS] if r["company_id"] == survivor}
    end_double_places(conn, survivor, own, now.date())
    result: dict[str, Any] = {"survivor": survivor}
    for table, column in refs:
        result[ref_name(table, column)] = keys_referring(conn, table, column, survivor)
    record.snapshot = json.dumps(snapshot, separators=(",", ":"))
    record.result = json.dumps(result, separators=(",", ":"))
    record_event(
        session,
        actor=actor.username,
        action="company.merge",
        entity="company",
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
    company = _tables()[_COMPANY]
    provenance = _tables()[_PROVENANCE]
    rows = {int(r["id"]): decoded(company, r) for r in snapshot[_COMPANY]}
    chosen = chosen_sources(COMPANY_FIELDS, rows, survivor, others, take)
    changes = take_chosen_values(
        conn,
        provenance,
        "company_id",
        snapshot[f"{_PROVENANCE}.company_id"],
        rows,
        chosen,
        others,
        (now, user_id),
    )
    if "name" in changes:
        changes["name_key"] = company_key(changes["name"])
    conn.execute(
        company.update()
        .where(company.c.id == survivor)
        .values(**changes, updated_at=now, version=int(rows[survivor]["version"]) + 1)
    )


def end_double_places(conn: Connection, survivor: int, own: set[int], on: dt.date) -> None:
    """A person with a current place at two of the merged companies keeps one: the place
    at the survivor (else the oldest); the others end *on* the merge's day, kept as
    history with their function and department."""
    current = sorted(
        conn.execute(
            select(CompanyLink.id, CompanyLink.contact_id).where(
                CompanyLink.company_id == survivor, CompanyLink.ended_on.is_(None)
            )
        ).tuples(),
        key=lambda link: (link[0] not in own, link[0]),
    )
    seen: set[int] = set()
    for link_id, contact_id in current:
        if contact_id in seen:
            conn.execute(update(CompanyLink).where(CompanyLink.id == link_id).values(ended_on=on))
        seen.add(contact_id)


def undo_company_merge_in_session(
    session: Session, actor: Actor, merge_id: int, now: dt.datetime
) -> MergeResult:
    """Undo a merge of companies: they come back with their ids, values, sources and
    rows; what was added to the survivor since stays with it.

    Raises:
        NotFound: no such merge.
        MergeRefused: undone already, too old, its copy erased, or the survivor merged.
    """
    purge_expired_company_merges(session, now)
    record = session.get(CompanyMerge, merge_id, with_for_update=True)
    if record is None or record.survivor_id is None:
        raise NotFound(N_("There is no merge {id}."), id=merge_id)
    if record.closed == "undone":
        raise MergeRefused(N_("This merge was undone already."))
    if record.closed == "erased":
        raise MergeRefused(
            N_(
                "A person whose data this merge's copy held was erased since; with it went "
                "the copy, so the merge cannot be undone."
            )
        )
    if record.closed == "expired":
        raise MergeRefused(
            N_("This merge is more than {days} days old and can no longer be undone."),
            days=undo_days(session),
        )
    survivor = record.survivor_id
    now_at = resolve_company_id(session, survivor)
    if now_at != survivor:
        raise MergeRefused(
            N_(
                "The company kept by this merge was merged into company {id} since: "
                "undo that merge first."
            ),
            id=now_at,
        )
    snapshot: dict[str, Rows] = json.loads(record.snapshot)
    result: dict[str, Any] = json.loads(record.result)
    conn = session.connection()
    company = _tables()[_COMPANY]
    version = conn.execute(select(company.c.version).where(company.c.id == survivor)).scalar_one()
    conn.execute(delete(CompanyRedirect).where(CompanyRedirect.merge_id == merge_id))
    restore_rows(conn, _tables()[_SOURCES], snapshot[_SOURCES])
    restore_rows(conn, company, snapshot[_COMPANY])
    conn.execute(company.update().where(company.c.id == survivor).values(version=version + 1))
    refs = company_references()
    for table, column in refs:
        name = ref_name(table, column)
        kept = {
            tuple(decoded(table, r)[c.name] for c in table.primary_key.columns)
            for r in snapshot.get(name, [])
        }
        delete_keys(conn, table, [tuple(k) for k in result.get(name, []) if tuple(k) not in kept])
    for table, column in refs:
        rows = follow_redirects(conn, snapshot.get(ref_name(table, column), []))
        restore_rows(conn, table, rows)
    merged = tuple(int(r["id"]) for r in snapshot[_COMPANY] if int(r["id"]) != survivor)
    record.snapshot = record.result = ""
    record.closed = "undone"
    record.undone_at = now
    record_event(
        session,
        actor=actor.username,
        action="company.merge_undo",
        entity="company",
        entity_id=survivor,
        at=now,
        detail=f"merge={merge_id};restored={','.join(str(i) for i in merged)}",
    )
    return MergeResult(merge_id, survivor, merged)


__all__ = [
    "COMPANY_MERGE_RULES",
    "company_references",
    "end_double_places",
    "forget_company_merges_of",
    "merge_companies_in_session",
    "purge_expired_company_merges",
    "resolve_company_id",
    "undo_company_merge_in_session",
]
