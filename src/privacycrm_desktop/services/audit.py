"""Writing audit events inside the action's own transaction, chained by hash; reading them."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.audit import GENESIS_HASH, AuditRecord, chain_hash
from privacycrm_desktop.domain.audit_actions import split_detail
from privacycrm_desktop.domain.csv_cells import neutralise
from privacycrm_desktop.domain.merges import MERGED_PREFIX
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.audit_anchor import (
    AUDIT_APPENDED,
    ChainPositions,
    chain_positions,
    kept_server_anchors,
    read_server_anchor,
    write_server_anchor,
)
from privacycrm_desktop.persistence.backup_names import DATABASE_ID_SETTING
from privacycrm_desktop.persistence.dialect import take_audit_turn
from privacycrm_desktop.persistence.models import (
    AuditEvent,
    Purpose,
    Recipient,
    Setting,
    User,
)
from privacycrm_desktop.persistence.postgres.roles import server_functions
from privacycrm_desktop.persistence.server_writes import (
    LoggedWrite,
    mark_reviewed,
    outside_writes,
)
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit_anchors import (
    Anchor,
    AnchorFile,
    AnchorProblem,
    ServerAnchors,
    Translate,
)
from privacycrm_desktop.services.audit_anchors import check as check_anchors
from privacycrm_desktop.services.clock import Clock, SystemClock
from privacycrm_desktop.services.dto import Actor

MAX_EVENTS_PAGE = 1_000
#: How long a sign-in or an audited read waits for another program's write lock before it
#: defers its audit event to the next write transaction (persistence/unit_of_work.py).
AUDIT_WAIT_MS = 250
HEAD_SETTING = "audit.head"
CSV_COLUMNS = ("id", "at", "actor", "action", "entity", "entity_id", "detail")


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    at: dt.datetime,
    detail: str = "",
) -> None:
    """Append an audit event. *detail* must never hold a personal value (counts, codes).

    Where the PostgreSQL server enforces the roles, the server appends it
    (``pcrm_audit_append``, persistence/postgres/audit_sql.py): no desk role may write the audit
    or its head, and a desk role appends in its own name only.
    """
    session.flush()
    if server_functions(session.connection()):
        stamp = at.isoformat(timespec="microseconds")
        appended = session.execute(
            text(
                "SELECT event_id, event_hash FROM "
                "pcrm_audit_append(:actor, :action, :entity, :entity_id, :detail, :at)"
            ),
            {
                "actor": actor,
                "action": action,
                "entity": entity,
                "entity_id": str(entity_id),
                "detail": detail,
                "at": stamp,
            },
        ).first()
        # The function moved the server's anchor itself; the anchor file outside the
        # database learns of the event once the commit has made it durable.
        if appended is not None:
            session.info.setdefault(AUDIT_APPENDED, []).append(
                (int(appended[0]), str(appended[1]), stamp)
            )
        return
    take_audit_turn(session)
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    # The id is part of the hash, so it is chosen here rather than by the database.
    event_id = 1 if last is None else last[0] + 1
    prev_hash = GENESIS_HASH if last is None else last[1]
    record = AuditRecord(
        at=at.isoformat(timespec="microseconds"),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        detail=detail,
        event_id=str(event_id),
    )
    new_hash = chain_hash(prev_hash, record)
    session.add(
        AuditEvent(
            id=event_id,
            at=record.at,
            actor=record.actor,
            action=record.action,
            entity=record.entity,
            entity_id=record.entity_id,
            detail=record.detail,
            prev_hash=prev_hash,
            hash=new_hash,
        )
    )
    # The head of the chain, kept apart: deleting the newest events leaves no broken link
    # behind, but it no longer matches this.
    session.merge(Setting(key=HEAD_SETTING, value=f"{event_id}:{new_hash}"))
    if session.get_bind().dialect.name == "postgresql":
        # The server's anchor moves with the chain, in this transaction.
        previous = None if last is None else (int(last[0]), str(last[1]))
        write_server_anchor(session, previous, event_id, new_hash, record.at)
    # For the anchor file outside the database, once the commit has made it durable.
    session.info.setdefault(AUDIT_APPENDED, []).append((event_id, new_hash, record.at))
    session.flush()


def note_server_events(session: Session) -> None:
    """Hand the audit events a server function appended in this transaction (PostgreSQL:
    ``pcrm_user_change``, ``pcrm_matrix_change``, ``pcrm_review_writes``) to the anchor
    file, as ``record_event`` does with its own, once the transaction commits."""
    known = {event_id for event_id, _hash, _at in session.info.get(AUDIT_APPENDED, [])}
    rows = session.execute(
        text("SELECT id, hash, at FROM audit_event WHERE server_tx = txid_current() ORDER BY id")
    ).all()
    for event_id, event_hash, at in rows:
        if int(event_id) not in known:
            session.info.setdefault(AUDIT_APPENDED, []).append(
                (int(event_id), str(event_hash), str(at))
            )


def verify_chain(session: Session) -> int | None:
    """The id of the first event that does not match its chain, or None when all hold.

    An edited event fails its own hash; a deleted one leaves the next event's
    ``prev_hash`` pointing at nothing, so the next event is named; when the newest events
    are deleted, the stored head of the chain names the first one missing.
    """
    expected_prev = GENESIS_HASH
    last_id = 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        record = AuditRecord(
            str(event.at),
            str(event.actor),
            str(event.action),
            str(event.entity),
            str(event.entity_id),
            str(event.detail),
            str(event.id),
        )
        if event.prev_hash != expected_prev or event.hash != chain_hash(event.prev_hash, record):
            return event.id
        expected_prev, last_id = event.hash, event.id
    head = session.get(Setting, HEAD_SETTING)
    if head is not None and head.value != f"{last_id}:{expected_prev}":
        # The newest events are gone (or the head was edited): name the first missing one.
        return last_id + 1
    return None


@dataclass(frozen=True)
class AuditFilter:
    """Which events the viewer asks for; empty values mean "any"."""

    user: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True)
class AuditEventInfo:
    """One audit event as the viewer shows it (audit rows never hold personal values)."""

    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: str
    #: The record's name as the viewer shows it: a user's name; empty otherwise (the viewer
    #: shows the kind and number: "Contact no. 12").
    record_name: str = ""
    #: Names for the detail's values that are codes or numbers of the register: a purpose's
    #: code, a recipient's number in the ledger, as (key, value, name).
    value_names: tuple[tuple[str, str, str], ...] = ()

    def names(self) -> dict[tuple[str, str], str]:
        """The detail's values with a name, by (key, value)."""
        return {(key, value): name for key, value, name in self.value_names}


def _filtered(query: Select[tuple[AuditEvent]], where: AuditFilter) -> Select[tuple[AuditEvent]]:
    if where.user:
        query = query.where(AuditEvent.actor == where.user)
    if where.action:
        query = query.where(AuditEvent.action == where.action)
    # ``at`` is ISO text, so text comparison orders it by time.
    if where.date_from is not None:
        query = query.where(AuditEvent.at >= where.date_from.isoformat())
    if where.date_to is not None:
        query = query.where(AuditEvent.at < (where.date_to + dt.timedelta(days=1)).isoformat())
    return query


def _info(event: AuditEvent) -> AuditEventInfo:
    return AuditEventInfo(
        id=event.id,
        at=event.at,
        actor=event.actor,
        action=event.action,
        entity=event.entity,
        entity_id=event.entity_id,
        detail=event.detail,
    )


def _ids(events: Sequence[AuditEvent], entity: str) -> set[int]:
    return {int(e.entity_id) for e in events if e.entity == entity and e.entity_id.isdigit()}


def _detail_names(session: Session, events: Sequence[AuditEvent]) -> dict[tuple[str, str], str]:
    """The names of the purposes (by code) and recipients (by number) that *events*'
    details mention, by (key, value)."""
    wanted: dict[str, set[str]] = {"purpose": set(), "recipient": set()}
    for event in events:
        for part in split_detail(event.detail):
            if part.key in wanted and part.value:
                wanted[part.key].add(part.value)
    names: dict[tuple[str, str], str] = {}
    if codes := wanted["purpose"]:
        for code, name in session.execute(
            select(Purpose.code, Purpose.name).where(Purpose.code.in_(codes))
        ):
            names[("purpose", code)] = name
    if numbers := {int(v) for v in wanted["recipient"] if v.isdigit()}:
        for recipient_id, name in session.execute(
            select(Recipient.id, Recipient.name).where(Recipient.id.in_(numbers))
        ):
            names[("recipient", str(recipient_id))] = name
    return names


def _record_names(
    session: Session, actor: Actor, events: Sequence[AuditEvent]
) -> dict[tuple[str, str], str]:
    """The names of the users and purposes *events* touched (staff accounts and the
    register, never contacts)."""
    names: dict[tuple[str, str], str] = {}
    # A purpose is recorded by its code (an export's, "customer_relationship"): its name
    # in the register reads better.
    codes = {e.entity_id for e in events if e.entity == "purpose" and e.entity_id}
    if codes:
        for code, name in session.execute(
            select(Purpose.code, Purpose.name).where(Purpose.code.in_(codes))
        ):
            names[("purpose", code)] = name
        if numbers := {int(c) for c in codes if c.isdigit()}:
            for purpose_id, name in session.execute(
                select(Purpose.id, Purpose.name).where(Purpose.id.in_(numbers))
            ):
                names.setdefault(("purpose", str(purpose_id)), name)
    if users := _ids(events, "app_user"):
        for user_id, username in session.execute(
            select(User.id, User.username).where(User.id.in_(users))
        ):
            names[("app_user", str(user_id))] = username
    # A contact stays "Contact no. N": the trail holds no personal value, also not as the
    # viewer shows it (it outlives an erasure, and the field matrix may hide the name).
    # One merged away says where it leads now (``domain.merges.MERGED_PREFIX``, ids only);
    # a company merged away too.
    from privacycrm_desktop.persistence.merge_models import CompanyRedirect, ContactRedirect

    if contacts := _ids(events, "contact"):
        for old, survivor in session.execute(
            select(ContactRedirect.old_id, ContactRedirect.survivor_id).where(
                ContactRedirect.old_id.in_(contacts)
            )
        ):
            names[("contact", str(old))] = f"{MERGED_PREFIX}{survivor}"
    if companies := _ids(events, "company"):
        for old, survivor in session.execute(
            select(CompanyRedirect.old_id, CompanyRedirect.survivor_id).where(
                CompanyRedirect.old_id.in_(companies)
            )
        ):
            names[("company", str(old))] = f"{MERGED_PREFIX}{survivor}"
    return names


OUTSIDE_WRITE = N_("{when}: {who} changed {what} with another program ({client}), not PrivacyCRM.")
UNNAMED_CLIENT = N_("a client without a name")
OUTSIDE_MORE = N_("{count} transactions changed data outside PrivacyCRM; the newest are listed.")
_KINDS = {
    "INSERT": N_("{count} added"),
    "UPDATE": N_("{count} changed"),
    "DELETE": N_("{count} removed"),
}


@dataclass(frozen=True)
class OutsideWrite:
    """A transaction in which a desk role changed data with another program than
    PrivacyCRM (psql, a script), as the server's write log recorded it
    (persistence/server_writes.py)."""

    write: LoggedWrite

    def describe(self, translate: Translate) -> str:
        """The sentence for a person, in the language of *translate*."""
        write = self.write
        who = write.login_role if not write.username else f"{write.username} ({write.login_role})"
        what = "; ".join(
            f"{table}: "
            + ", ".join(
                translate(_KINDS.get(op, "{count}")).format(count=n) for op, n in ops.items()
            )
            for table, ops in sorted(write.changes.items())
        )
        when = write.at.astimezone().strftime("%Y-%m-%d %H:%M")
        client = write.client or translate(UNNAMED_CLIENT)
        return translate(OUTSIDE_WRITE).format(when=when, who=who, what=what, client=client)

    def as_json(self, translate: Translate) -> dict[str, object]:
        return {
            "at": self.write.at.isoformat(),
            "login_role": self.write.login_role,
            "user": self.write.username,
            "changes": self.write.changes,
            "client": self.write.client,
            "audit_events": self.write.audit_events,
            "message": self.describe(translate),
        }


@dataclass(frozen=True)
class AuditCheck:
    """The chain's own check and its comparison with every anchor found."""

    #: The first event that breaks the hash chain, or None.
    first_bad_event: int | None
    #: Where the chain disagrees with an anchor (removed, re-written or forged events).
    problems: list[AnchorProblem]
    #: The anchors compared (anchor file, backups, server table).
    anchors: list[Anchor]
    #: On PostgreSQL: the newest transactions in which a desk role changed data with
    #: another program than PrivacyCRM, and how many there are in all.
    outside: list[OutsideWrite] = field(default_factory=list)
    outside_total: int = 0

    @property
    def ok(self) -> bool:
        return self.first_bad_event is None and not self.problems and not self.outside_total

    def describe_outside(self, translate: Translate, limit: int | None = None) -> list[str]:
        """One sentence per outside transaction listed (the newest *limit*), and the
        total when there are more."""
        listed = self.outside[:limit]
        lines = [write.describe(translate) for write in listed]
        if self.outside_total > len(listed):
            lines.insert(0, translate(OUTSIDE_MORE).format(count=self.outside_total))
        return lines


class AuditService:
    """The audit viewer's reads and export, and the chain check the CLI runs."""

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock | None = None,
        *,
        backup_folders: Callable[[], list[Path]] | None = None,
    ) -> None:
        """*backup_folders* names the folders whose manifests anchor the chain (the backup
        service's settings); the composition root passes it, as backups build on this
        module's audit records."""
        self._uow = uow
        self._clock = clock or SystemClock()
        self._backup_folders = backup_folders

    def verify(self) -> int | None:
        """The id of the first event that breaks the hash chain, or None when it holds.

        Reveals no personal data (audit rows hold none), so it needs no role: whoever can
        open the owner-only database file can recompute the chain anyway.
        """
        with self._uow() as uow:
            return verify_chain(uow.session)

    def check(self) -> AuditCheck:
        """The chain check, and the chain compared with every anchor this computer can find:
        its anchor file, the manifests in the backup folders, the server's anchor row.

        Needs no role, like ``verify``: it shows event numbers and anchor names only.
        """
        bad = self.verify()
        engine = self._uow.engine
        server = engine.dialect.name == "postgresql"

        def read_chain() -> tuple[ChainPositions, ServerAnchors]:
            with self._uow() as uow:
                # On the server, no append may fall between reading the anchor and the chain.
                take_audit_turn(uow.session)
                rows: ServerAnchors = (None, [])
                if server:
                    rows = (read_server_anchor(uow.session), kept_server_anchors(uow.session))
                return chain_positions(uow.session), rows

        with self._uow() as uow:
            row = uow.session.get(Setting, DATABASE_ID_SETTING)
            database_id = row.value if row is not None else ""
        problems, anchors = check_anchors(
            read_chain,
            AnchorFile.for_engine(engine),
            self._backup_folders() if self._backup_folders is not None else [],
            server=server,
            database_id=database_id,
        )
        with self._uow() as uow:
            total, outside = outside_writes(uow.session)
        return AuditCheck(bad, problems, anchors, [OutsideWrite(w) for w in outside], total)

    def mark_outside_writes_reviewed(self, actor: Actor, upto: int) -> int:
        """The owner has looked at the writes made outside the app, up to the server's
        write-log row *upto* (the newest a check listed): the check stops reporting them,
        the log keeps them, and the audit trail records who marked how many. Returns how
        many were marked (0 where there is no server write log)."""
        require(actor.role, Permission.MANAGE_USERS)
        with self._uow(write=True) as uow:
            if not server_functions(uow.session.connection()):
                return 0
            stamp = self._clock.now().isoformat(timespec="microseconds")
            marked = mark_reviewed(uow.session, actor.username, upto, stamp)
            note_server_events(uow.session)
            return marked

    def list_events(
        self,
        actor: Actor,
        where: AuditFilter | None = None,
        *,
        offset: int = 0,
        limit: int = 200,
    ) -> list[AuditEventInfo]:
        """Events matching *where*, newest first (owner and privacy officer only).

        Args:
            actor: The signed-in user; needs the audit permission.
            where: Filters by user, action and date range (inclusive days).
            offset: Events to skip.
            limit: At most this many events (capped at ``MAX_EVENTS_PAGE``).

        Raises:
            PermissionDenied: The role may not read the audit trail.
        """
        require(actor.role, Permission.VIEW_AUDIT)
        where = where or AuditFilter()
        limit = max(0, min(limit, MAX_EVENTS_PAGE))
        query = _filtered(select(AuditEvent), where).order_by(AuditEvent.id.desc())
        with self._uow() as uow:
            events = uow.session.scalars(query.offset(max(0, offset)).limit(limit)).all()
            names = _record_names(uow.session, actor, events)
            values = _detail_names(uow.session, events)
            return [
                dataclasses.replace(
                    _info(e),
                    record_name=names.get((e.entity, e.entity_id), ""),
                    value_names=tuple(
                        (p.key, p.value, values[(p.key, p.value)])
                        for p in split_detail(e.detail)
                        if (p.key, p.value) in values
                    ),
                )
                for e in events
            ]

    def count_events(self, actor: Actor, where: AuditFilter | None = None) -> int:
        """How many events match *where* (owner and privacy officer only)."""
        require(actor.role, Permission.VIEW_AUDIT)
        query = _filtered(select(AuditEvent), where or AuditFilter())
        with self._uow() as uow:
            count = uow.session.execute(select(func.count()).select_from(query.subquery())).scalar()
            return int(count or 0)

    def filter_choices(self, actor: Actor) -> tuple[list[str], list[str]]:
        """The user names and action names present in the trail, for the viewer's filters."""
        require(actor.role, Permission.VIEW_AUDIT)
        with self._uow() as uow:
            users = uow.session.scalars(
                select(AuditEvent.actor).distinct().order_by(AuditEvent.actor)
            ).all()
            actions = uow.session.scalars(
                select(AuditEvent.action).distinct().order_by(AuditEvent.action)
            ).all()
            return list(users), list(actions)

    def export_csv(self, actor: Actor, out: TextIO, where: AuditFilter | None = None) -> int:
        """Write the matching events as CSV to *out*, oldest first; the export is audited.

        Cells that a spreadsheet would run as a formula are neutralised.

        Returns:
            The number of events written.

        Raises:
            PermissionDenied: The role may not read the audit trail.
        """
        require(actor.role, Permission.VIEW_AUDIT)
        where = where or AuditFilter()
        query = _filtered(select(AuditEvent), where).order_by(AuditEvent.id)
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        count = 0
        with self._uow(write=True) as uow:
            for event in uow.session.scalars(query):
                info = _info(event)
                writer.writerow([neutralise(str(getattr(info, c))) for c in CSV_COLUMNS])
                count += 1
            record_event(
                uow.session,
                actor=actor.username,
                action="audit.export",
                entity="audit_event",
                entity_id="",
                at=self._clock.now(),
                detail=f"count={count}",
            )
        return count
