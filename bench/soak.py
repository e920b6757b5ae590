"""The search-index soak (issue 17): many mixed actions on one database, with the search
index's own integrity checked after every erasure.

Used by ``bench/bench_soak.py`` (full size: 20,000 actions, 2,000 erasures, figures
printed) and by ``tests/e2e/test_soak.py`` (the suite's shorter run). Every action goes
through the services as the app does: create, edit (new e-mail and city), consent record,
search, a page of the list, erase. Erasures take a random existing contact; after each,
FTS5's ``integrity-check`` command runs on the index, and a search for the erased contact's
unique e-mail must find nothing. At the end ``PRAGMA integrity_check`` (which includes the
index since SQLite 3.44), the counters and the audit chain must be sound.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.edit_conflicts import input_from
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.storage_health import check_engine, search_index_problems
from privacycrm_desktop.services.consent_dto import ConsentInput

SOURCE = SourceInput(SourceKind.PHONE_CALL, "phoned in")
CITIES = ("Liège", "Gent", "Namur", "Brugge", "Mons", "Leuven", "Aalst", "Hasselt")
NAMES = ("Peeters", "Janssens", "Maes", "Dubois", "Lambert", "Dupont", "Lefèvre", "Claes")
KINDS = ("create", "edit", "consent", "search", "page")


@dataclass
class SoakResult:
    """What the soak did and measured (milliseconds per action kind)."""

    actions: int = 0
    erasures: int = 0
    index_checks: int = 0
    problems: list[str] = field(default_factory=list)
    times: dict[str, list[float]] = field(default_factory=dict)

    def median_ms(self, kind: str) -> float:
        values = self.times.get(kind, [])
        return statistics.median(values) if values else 0.0

    def timed(self, kind: str, started: float) -> None:
        self.times.setdefault(kind, []).append((time.perf_counter() - started) * 1000)


def _person(n: int, rng: random.Random) -> ContactInput:
    return ContactInput(
        first_name="Zoë",
        last_name=f"{rng.choice(NAMES)} {n}",
        emails=(f"soak{n}q@example.be",),
        city=rng.choice(CITIES),
    )


def _index_problems(conn: Connection, contact_id: int) -> list[str]:
    """SQLite: FTS5's own integrity-check of the index. PostgreSQL (the index is a plain
    table, checked by the server's own storage): the erased contact's row must be gone."""
    if conn.dialect.name != "postgresql":
        return search_index_problems(conn.connection.dbapi_connection)
    left = conn.execute(
        text("SELECT count(*) FROM contact_fts WHERE rowid = :id"), {"id": contact_id}
    ).scalar_one()
    return [f"contact {contact_id} left in contact_fts"] if left else []


def run_soak(
    services: object,
    actor: object,
    *,
    actions: int,
    erasures: int,
    seed: int = 17,
    progress: bool = False,
) -> SoakResult:
    """Run *actions* mixed actions, *erasures* of them erasures, spread evenly."""
    svc = services  # typed loosely: bench scripts stay free of the app's types
    rng = random.Random(seed)
    result = SoakResult()
    live: list[int] = []
    erased_emails: list[str] = []
    serial = 0
    every = max(1, actions // max(1, erasures))
    engine = svc.uow.engine  # type: ignore[attr-defined]
    for step in range(actions):
        if step % every == every - 1 and result.erasures < erasures and live:
            cid = live.pop(rng.randrange(len(live)))
            email = svc.contacts.get(actor, cid).emails[0].value  # type: ignore[attr-defined]
            started = time.perf_counter()
            svc.erasure.erase(actor, cid, ErasureReason.ERASURE_REQUEST)  # type: ignore[attr-defined]
            result.timed("erase", started)
            result.erasures += 1
            erased_emails.append(email)
            started = time.perf_counter()
            with engine.connect() as conn:
                problems = _index_problems(conn, cid)
            result.timed("index check", started)
            result.index_checks += 1
            if problems:
                result.problems.append(f"after erasure {result.erasures}: {problems[0]}")
                break
            if svc.contacts.count(actor, email):  # type: ignore[attr-defined]
                result.problems.append(f"erasure {result.erasures}: still found by search")
                break
        else:
            kind = "create" if len(live) < 20 else rng.choice(KINDS)
            started = time.perf_counter()
            if kind == "create":
                serial += 1
                live.append(svc.contacts.create(actor, _person(serial, rng), SOURCE))  # type: ignore[attr-defined]
            elif kind == "edit":
                cid = rng.choice(live)
                detail = svc.contacts.get(actor, cid)  # type: ignore[attr-defined]
                data = input_from(detail)
                serial += 1
                changed = ContactInput(
                    **{
                        **data.__dict__,
                        "emails": (f"soak{serial}q@example.be",),
                        "city": rng.choice(CITIES),
                    }
                )
                svc.contacts.update(actor, cid, detail.version, changed, SOURCE)  # type: ignore[attr-defined]
            elif kind == "consent":
                svc.consent.record(  # type: ignore[attr-defined]
                    actor,
                    ConsentInput(
                        contact_id=rng.choice(live),
                        purpose="direct_marketing_consent",
                        channel=Channel.EMAIL,
                        status=rng.choice((ConsentStatus.OPT_IN, ConsentStatus.OPT_OUT)),
                        method=ConsentMethod.FORM_BOX_TICKED,
                        evidence="soak form",
                    ),
                )
            elif kind == "search":
                svc.contacts.page(actor, query=rng.choice(CITIES + NAMES), limit=50)  # type: ignore[attr-defined]
            else:
                svc.contacts.page(actor, offset=rng.randrange(max(1, len(live))), limit=50)  # type: ignore[attr-defined]
            result.timed(kind, started)
        result.actions += 1
        if progress and result.actions % 1000 == 0:
            print(f"  {result.actions:,} actions, {result.erasures:,} erasures", flush=True)
    health = check_engine(engine)
    result.problems.extend(health.problems)
    if svc.audit.verify() is not None:  # type: ignore[attr-defined]
        result.problems.append("the audit chain is broken")
    for email in erased_emails[-20:]:
        if svc.contacts.count(actor, email):  # type: ignore[attr-defined]
            result.problems.append("an erased e-mail is still found")
    return result
