"""Reading the PostgreSQL server's write log (``server_write``, persistence/postgres/write_log.py).

The server writes one row for each transaction in which a desk role changed a table with
its own privileges: who, when (the server's clock), per table the rows added, changed and
removed, how many audit events it appended, and the client program (its
``application_name``; PrivacyCRM's connections say "privacycrm", persistence/database.py).
A change from another client (psql, a script) is a change made outside the app.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

#: The ``application_name`` of every connection the app makes (persistence/database.py).
APP_CLIENT = "privacycrm"
#: How many transactions from other clients a check lists (the total is always counted).
LISTED = 20
#: The rows a check reports: another client than the app, not yet marked reviewed.
_OPEN = "client <> '" + APP_CLIENT + "' AND reviewed_at IS NULL"


@dataclass(frozen=True)
class LoggedWrite:
    """One transaction of a desk role, as the server recorded it."""

    id: int
    at: dt.datetime
    login_role: str
    username: str
    #: table -> {"INSERT"/"UPDATE"/"DELETE": rows}
    changes: dict[str, dict[str, int]]
    #: The client program's name as it gave it ("" when it gave none).
    client: str = ""
    audit_events: int = 0


def _readable(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return False
    return bool(
        session.execute(
            text(
                "SELECT to_regclass('server_write') IS NOT NULL AND "
                "has_table_privilege(to_regclass('server_write'), 'SELECT')"
            )
        ).scalar()
    )


def outside_writes(session: Session, limit: int = LISTED) -> tuple[int, list[LoggedWrite]]:
    """How many transactions changed data from another client than PrivacyCRM (not yet
    marked reviewed), and the newest *limit* of them (newest first). (0, []) where the
    database has no write log or the caller may not read it."""
    if not _readable(session):
        return 0, []
    total = int(
        session.execute(text("SELECT count(*) FROM server_write WHERE " + _OPEN)).scalar()  # noqa: S608
        or 0
    )
    if not total:
        return 0, []
    rows = session.execute(
        text(
            "SELECT id, at, login_role, username, changes::text, client, audit_events "  # noqa: S608
            "FROM server_write "
            f"WHERE {_OPEN} ORDER BY id DESC LIMIT :n"
        ),
        {"n": limit},
    ).all()
    found = []
    for row_id, at, login, username, changes, client, events in rows:
        parsed = json.loads(str(changes))
        found.append(
            LoggedWrite(
                id=int(row_id),
                at=at,
                login_role=str(login),
                username=str(username or ""),
                changes={
                    str(table): {str(op): int(n) for op, n in ops.items()}
                    for table, ops in parsed.items()
                },
                client=str(client or ""),
                audit_events=int(events or 0),
            )
        )
    return total, found


def mark_reviewed(session: Session, actor: str, upto: int, at: str) -> int:
    """Mark the writes from other clients up to *upto* as reviewed (the owner's login role only;
    the server records who did it in the audit trail). How many were marked."""
    return int(
        session.execute(
            text("SELECT pcrm_review_writes(:actor, :upto, :at)"),
            {"actor": actor, "upto": upto, "at": at},
        ).scalar()
        or 0
    )
