"""Audit anchors: what the chain looked like, kept where its writer cannot reach.

The hash chain shows an edited event, but a writer of the database can delete the newest
events, delete some in the middle and compute the rest of the chain again, or append an
event of their own, and the chain alone still holds. Anchors catch that, up to the newest
anchor outside that writer's reach:

* **the anchor file**, one per database, in this computer's settings folder (platformdirs,
  owner-only): after every commit that appended audit events the app adds one line per
  event (id, hash, time). An event the file names that is gone or has another hash means
  removal or re-chaining; on SQLite an event after the file's first line that the file does
  not name was not written by PrivacyCRM on this computer (a forged append). On PostgreSQL
  other desks write the same chain, so only removal and changes are read from it there.
  An event the file names keeps the first hash it named it with: a second line naming it
  with another hash means the event was removed and its number used again (by the app's
  next action), which is itself reported. Only a restore starts the file over, with a
  ``r`` line; a trail emptied and begun again at event 1 is a removal, not a new start.
* **every backup's manifest** (``audit_head`` "id:hash", ``audit_events``): backups made
  before the newest restore describe the history that restore replaced and are skipped.
* **the server's ``audit_anchor`` row** (PostgreSQL): moved with every append in the same
  transaction; an event after it was not appended by the app.

Someone who can write the database *and* the settings folder *and* every backup folder
(or, on the server, the anchor table) can rewrite everything consistently: no software on
the same computer can stop that.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import hashlib
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import format_moment
from privacycrm_desktop.persistence.audit_anchor import ChainPositions

if TYPE_CHECKING:
    from privacycrm_desktop.persistence.backup import BackupInfo

#: The folder, inside the settings folder, holding one anchor file per database.
ANCHOR_FOLDER = "audit-anchors"
_EVENT = "e"
_RESET = "r"
#: Seconds between two fsyncs of an anchor file during a burst of actions.
SYNC_INTERVAL = 1.0
#: Anchor files with lines not yet flushed to disk (flushed at exit at the latest).
_UNSYNCED: weakref.WeakSet[AnchorFile] = weakref.WeakSet()
#: How long the check waits for a writer that committed but has not yet added its line.
_SETTLE_SECONDS = 0.3

Translate = Callable[[str], str]
#: The server's anchor row and its kept rows (events, head, at, found), as read together.
ServerAnchors = tuple[tuple[int, str, str] | None, list[tuple[int, str, str, int]]]


def database_key(engine: Engine) -> str | None:
    """What names a database for its anchor file: the resolved path of a SQLite file, or
    server, port and database name (not the role: every desk user shares the trail)."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        return str(Path(url.database).expanduser().resolve())
    return f"{url.get_backend_name()}://{url.host or 'localhost'}:{url.port or 5432}/{url.database}"


@dataclass
class AnchorLog:
    """What an anchor file says: the events it names since its last start-over."""

    #: Every (hash, time) the file names each event with, oldest first: one, unless the
    #: event was removed and its number used again.
    lines: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    #: The first event the file names since it started over (events before it are pinned
    #: by its hash only).
    base: int = 0
    last_at: str = ""

    @property
    def entries(self) -> dict[int, tuple[str, str]]:
        """Each event the file names, with the first (hash, time) it named it with."""
        return {i: lines[0] for i, lines in self.lines.items()}

    @property
    def newest(self) -> int:
        return max(self.lines, default=0)


class AnchorFile:
    """The anchor file of one database on this computer (append-only lines, owner-only)."""

    def __init__(self, path: Path, database: str) -> None:
        self.path = path
        self.database = database
        self._synced_at = -SYNC_INTERVAL
        self._sync_due = False
        self._lock = threading.Lock()

    @classmethod
    def for_engine(cls, engine: Engine) -> AnchorFile | None:
        """The anchor file of *engine*'s database, or None for an in-memory database."""
        key = database_key(engine)
        if key is None:
            return None
        return cls.for_key(key)

    @classmethod
    def for_key(cls, key: str) -> AnchorFile:
        """The anchor file of the database *key* names (``database_key``)."""
        from privacycrm_desktop.config import config_dir

        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
        return cls(config_dir() / ANCHOR_FOLDER / f"{digest}.anchors", key)

    def _append(self, lines: Iterable[str]) -> None:
        data = "".join(lines).encode("ascii")
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        new = not self.path.exists()
        # O_APPEND: lines of two processes committing one after the other never mix.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if new:
                data = f"# PrivacyCRM audit anchors of {self.database}\n".encode() + data
            os.write(fd, data)
            self._sync(fd)
        finally:
            os.close(fd)

    def _sync(self, fd: int) -> None:
        """Flush the file to disk, as the database commit was (``synchronous=FULL``), else a
        power cut could leave events the file seems never to have seen.

        An fsync costs milliseconds: a person's actions (seconds apart) each get one at
        once; a burst (a script, an import) gets one a second, from a timer, and one at exit.
        """
        with self._lock:
            now = time.monotonic()
            if now - self._synced_at >= SYNC_INTERVAL:
                self._synced_at = now
                os.fsync(fd)
                return
            if self._sync_due:
                return
            self._sync_due = True
        timer = threading.Timer(SYNC_INTERVAL, self.flush)
        timer.daemon = True
        timer.start()
        _UNSYNCED.add(self)

    def flush(self) -> None:
        """Flush lines written since the last fsync (the timer, and at exit)."""
        with self._lock:
            if not self._sync_due:
                return
            self._sync_due = False
            self._synced_at = time.monotonic()
        with contextlib.suppress(OSError):
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def set_aside(self, at: str) -> Path | None:
        """A new database is set up where an earlier one was (its file deleted, its server
        database dropped): the earlier database's anchors are not this one's. The file is
        kept beside, renamed (``*.anchors.before-<at>``); its new name, or None.

        Only setting up a database with no user calls this: replacing a database that has
        data with one whose trail was rewritten does not start the file over.
        """
        if not self.path.exists():
            return None
        stamp = "".join(ch if ch.isalnum() else "-" for ch in at)
        aside = self.path.with_name(f"{self.path.name}.before-{stamp}")
        os.replace(self.path, aside)
        return aside

    def record(self, appended: list[tuple[int, str, str]]) -> None:
        """Add the events a commit made durable (the unit of work's ``audit_committed``).

        Never a start-over, not even for event 1: a file that already names events and
        now sees event 1 again saw the trail emptied (only ``start_over``, called by a
        restore, forgets the history).
        """
        self._append(
            f"{_EVENT} {event_id} {event_hash} {at}\n" for event_id, event_hash, at in appended
        )

    def start_over(self, event: tuple[int, str, str] | None) -> None:
        """A restore replaced the trail: anchor its newest event, forget the history before."""
        if event is None:
            return
        event_id, event_hash, at = event
        self._append([f"{_RESET} {event_id} {event_hash} {at}\n"])

    def read(self) -> AnchorLog | None:
        """The file's events since it last started over, or None when there is no file."""
        try:
            text = self.path.read_text(encoding="ascii", errors="replace")
        except FileNotFoundError:
            return None
        log = AnchorLog()
        for line in text.splitlines():
            parts = line.split(" ")
            if len(parts) != 4 or parts[0] not in (_EVENT, _RESET) or not parts[1].isdigit():
                continue
            event_id = int(parts[1])
            if parts[0] == _RESET:
                log = AnchorLog(base=event_id)
            elif not log.lines:
                log.base = event_id
            log.lines.setdefault(event_id, []).append((parts[2], parts[3]))
            log.last_at = parts[3]
        return log


@dataclass(frozen=True)
class Anchor:
    """Where an anchor was found, as the message names it (a msgid and its values)."""

    kind: str  # "file", "backup" or "server"
    source: str  # the file's path, the backup's file name, or the table's name
    msgid: str
    params: dict[str, str] = field(default_factory=dict)

    def describe(self, translate: Translate) -> str:
        return translate(self.msgid).format(**self.params)


@dataclass(frozen=True)
class AnchorProblem:
    """One way the chain disagrees with one anchor."""

    anchor: Anchor
    #: "removed" (events the anchor saw are gone), "changed" (an anchored event has
    #: another hash: re-chained or replaced) or "added" (events no app wrote).
    kind: str
    #: The first event concerned.
    event: int
    msgid: str
    params: dict[str, int] = field(default_factory=dict)

    def describe(self, translate: Translate) -> str:
        """The sentence for a person, in the language of *translate*."""
        msgid = self.msgid
        if self.params.get("last", -1) == self.params.get("event"):
            # One event: "Event 47 ...", not "Events 47 to 47 ...".
            msgid = _ONE_EVENT.get(msgid, msgid)
        return translate(msgid).format(anchor=self.anchor.describe(translate), **self.params)

    def as_json(self, translate: Translate) -> dict[str, object]:
        return {
            "anchor": self.anchor.kind,
            "source": self.anchor.source,
            "kind": self.kind,
            "event": self.event,
            "message": self.describe(translate),
        }


REMOVED = N_(
    "The audit trail has {count} events but {anchor} recorded {recorded}: events were "
    "removed (event {event} is missing)."
)
CHANGED = N_("Event {event}'s hash differs from {anchor}: the audit trail was re-written.")
ADDED_FILE = N_(
    "Events {event} to {last} are not in {anchor}: they were not written by PrivacyCRM "
    "on this computer."
)
ADDED_SERVER = N_(
    "Events {event} to {last} came after {anchor} recorded event {recorded}: they were "
    "not written by PrivacyCRM."
)
ADDED_FILE_ONE = N_(
    "Event {event} is not in {anchor}: it was not written by PrivacyCRM on this computer."
)
ADDED_SERVER_ONE = N_(
    "Event {event} came after {anchor} recorded event {recorded}: it was not written by PrivacyCRM."
)
#: The sentence for one added event, when the first and the last are the same.
_ONE_EVENT = {ADDED_FILE: ADDED_FILE_ONE, ADDED_SERVER: ADDED_SERVER_ONE}


def _when(at: str) -> str:
    """An ISO time (UTC) as local time in the current language: "7/12/2026 02:22"."""
    try:
        moment = dt.datetime.fromisoformat(at)
    except ValueError:
        return at
    return format_moment(moment)


def _point_problems(
    chain: ChainPositions, anchor: Anchor, position: int, head: str, *, added: bool
) -> list[AnchorProblem]:
    """The chain against one (position, hash) anchor; *added*: events after it are forged."""
    count = len(chain.hashes)
    if position <= 0:
        return []
    found = chain.hashes.get(position)
    if found is None:
        first_missing = min(
            (i for i in range(1, position + 1) if i not in chain.hashes), default=position
        )
        params = {"count": count, "recorded": position, "event": first_missing}
        return [AnchorProblem(anchor, "removed", first_missing, REMOVED, params)]
    problems = []
    if found != head:
        problems.append(AnchorProblem(anchor, "changed", position, CHANGED, {"event": position}))
    if added and chain.last_id > position:
        after = min(i for i in chain.hashes if i > position)
        params = {"event": after, "last": chain.last_id, "recorded": position}
        problems.append(AnchorProblem(anchor, "added", after, ADDED_SERVER, params))
    return problems


def file_problems(
    chain: ChainPositions, log: AnchorLog, anchor: Anchor, *, added: bool
) -> list[AnchorProblem]:
    """The chain against an anchor file; *added*: name events the file lacks (SQLite)."""
    problems: list[AnchorProblem] = []
    # Lines older than the chain's newest restore describe the history it replaced (a
    # restore made at another desk does not start this desk's file over).
    since = chain.last_restore_at
    if added and chain.last_restore_id:
        # On SQLite the restores are this computer's, and the file names their event: a
        # restore event it never saw (forged, with a time after the removed events, in
        # place of one of them) makes no line stale.
        restore_hash = chain.hashes.get(chain.last_restore_id)
        if all(h != restore_hash for h, _at in log.lines.get(chain.last_restore_id, [])):
            since = ""
    live: dict[int, str] = {}
    reused: set[int] = set()
    for i, lines in log.lines.items():
        kept = [h for h, at in lines if at >= since]
        if not kept:
            continue
        # The first hash stays the anchor: a later line naming the same event with
        # another hash means it was removed and its number used again by a new event.
        live[i] = kept[0]
        if any(h != kept[0] for h in kept[1:]):
            reused.add(i)
    missing = sorted(i for i in live if i not in chain.hashes)
    if missing:
        params = {"count": len(chain.hashes), "recorded": max(live), "event": missing[0]}
        problems.append(AnchorProblem(anchor, "removed", missing[0], REMOVED, params))
    changed = sorted(
        reused | {i for i, h in live.items() if i in chain.hashes and chain.hashes[i] != h}
    )
    if changed:
        problems.append(
            AnchorProblem(anchor, "changed", changed[0], CHANGED, {"event": changed[0]})
        )
    if added:
        unknown = sorted(i for i in chain.hashes if i > log.base and i not in log.lines)
        if unknown:
            params = {"event": unknown[0], "last": unknown[-1]}
            problems.append(AnchorProblem(anchor, "added", unknown[0], ADDED_FILE, params))
    return problems


def file_anchor(anchor_file: AnchorFile, log: AnchorLog) -> Anchor:
    return Anchor(
        "file",
        str(anchor_file.path),
        N_("the anchor file {path} (last written {when})"),
        {"path": str(anchor_file.path), "when": _when(log.last_at)},
    )


def backup_anchor(info: BackupInfo) -> Anchor:
    return Anchor(
        "backup",
        info.path.name,
        N_("the backup {name} (made {when})"),
        {"name": info.path.name, "when": _when(info.created_at.isoformat())},
    )


def server_anchor(at: str) -> Anchor:
    return Anchor(
        "server",
        "audit_anchor",
        N_("the server's anchor table (written {when})"),
        {"when": _when(at)},
    )


def backup_head(info: BackupInfo) -> tuple[int, str] | None:
    """The (position, hash) a manifest recorded, or None when it recorded no trail."""
    position, _sep, head = info.audit_head.partition(":")
    if not position.isdigit() or not head:
        return None
    return int(position), head


def _replaced(chain: ChainPositions, info: BackupInfo) -> bool:
    """True when *info* holds a history that a restore since replaced.

    The manifest names the newest restore in the backup ("id:hash"): the chain's newest
    restore itself means the same history line; an older one means replaced, and so does
    another restore event at the same number (the same backup restored twice: both restore
    events land on the same number, the backup set aside by the second one holds the first
    one). A restore the backup has and the chain lacks (a number beyond the chain's newest
    restore) is not skipped: the chain lost events. Manifests from before audit anchors go by
    time.
    """
    if info.audit_restore is None:
        made = info.created_at.isoformat(timespec="microseconds")
        return bool(chain.last_restore_at) and made <= chain.last_restore_at
    if not chain.last_restore_id or info.audit_restore == chain.last_restore:
        return False
    position, _sep, _hash = info.audit_restore.partition(":")
    return int(position or 0) <= chain.last_restore_id


def backup_problems(chain: ChainPositions, backups: Iterable[BackupInfo]) -> list[AnchorProblem]:
    """The chain against every backup made since the newest restore."""
    problems: list[AnchorProblem] = []
    for info in backups:
        if _replaced(chain, info):
            continue  # the history a later restore replaced
        head = backup_head(info)
        if head is None:
            continue
        position, event_hash = head
        anchor = backup_anchor(info)
        found = _point_problems(chain, anchor, position, event_hash, added=False)
        if not found and info.audit_events > 0:
            # Events deleted below the head and the rest re-numbered would change hashes;
            # this catches a count that shrank while the head still matches.
            below = sum(1 for i in chain.hashes if i <= position)
            if below < info.audit_events:
                first = min(
                    (i for i in range(1, position + 1) if i not in chain.hashes), default=position
                )
                params = {"count": len(chain.hashes), "recorded": info.audit_events, "event": first}
                found = [AnchorProblem(anchor, "removed", first, REMOVED, params)]
        problems += found
    return problems


def check(
    read_chain: Callable[[], tuple[ChainPositions, ServerAnchors]],
    anchor_file: AnchorFile | None,
    backup_folders: Iterable[Path],
    *,
    server: bool,
    database_id: str = "",
) -> tuple[list[AnchorProblem], list[Anchor]]:
    """Every problem the anchors show, and the anchors that were compared.

    *read_chain* returns the chain and the server's anchor row (read in one transaction).
    A backup of another database (its manifest names another *database_id*) in the same
    folder is no anchor of this chain and is passed over.
    """
    chain, (row, kept) = read_chain()
    anchors: list[Anchor] = []
    problems: list[AnchorProblem] = []
    if server and row is not None:
        anchor = server_anchor(row[2])
        anchors.append(anchor)
        problems += _point_problems(chain, anchor, row[0], row[1], added=True)
    for events, head, at, found in kept:
        # The app's append at *at* found the chain ending at event *found*, not at the
        # anchored event: what lay between was not written by the app.
        anchor = server_anchor(at)
        problems += _point_problems(chain, anchor, events, head, added=False)
        if found > events:
            params = {"event": events + 1, "last": found, "recorded": events}
            problems.append(AnchorProblem(anchor, "added", events + 1, ADDED_SERVER, params))
    if anchor_file is not None:
        log = anchor_file.read()
        if log is not None and log.lines:
            seen_in_file = file_problems(
                chain, log, file_anchor(anchor_file, log), added=not server
            )
            if any(p.kind == "added" for p in seen_in_file):
                # A writer may have committed and not yet added its line: look once more.
                time.sleep(_SETTLE_SECONDS)
                log = anchor_file.read() or log
                seen_in_file = file_problems(
                    chain, log, file_anchor(anchor_file, log), added=not server
                )
            anchors.append(file_anchor(anchor_file, log))
            problems += seen_in_file
    from privacycrm_desktop.persistence.backup import find_backups

    seen: set[Path] = set()
    for folder in backup_folders:
        for info in find_backups(folder):
            if info.path.resolve() in seen:
                continue
            seen.add(info.path.resolve())
            if database_id and info.database_id and info.database_id != database_id:
                continue
            anchors.append(backup_anchor(info))
            problems += backup_problems(chain, [info])
    return problems, anchors


def start_file_over(db_file: Path) -> None:
    """Start-up recovery restored *db_file* (no engine open): its anchor file starts over at
    the restored trail's newest event."""
    from privacycrm_desktop.persistence.sqlite_driver import sqlite3

    anchor_file = AnchorFile.for_key(str(db_file.expanduser().resolve()))
    conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT id, hash, at FROM audit_event ORDER BY id DESC LIMIT 1"
        ).fetchone()
    except sqlite3.DatabaseError:
        return
    finally:
        conn.close()
    with contextlib.suppress(OSError):
        anchor_file.start_over(None if row is None else (int(row[0]), str(row[1]), str(row[2])))


@atexit.register
def _flush_at_exit() -> None:
    for anchor_file in list(_UNSYNCED):
        anchor_file.flush()
