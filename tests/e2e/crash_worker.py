"""The child of the crash test (test_crash_safety.py): a fork server that edits contacts.

Run as ``python crash_worker.py DB OWNER_ID``. It imports what a worker needs once, says
``ready``, then reads commands on stdin:

- ``run SEED``: fork a worker that edits the database until it is killed, and print
  ``pid N``. Forking from a process that already imported SQLAlchemy and the services
  starts a worker in milliseconds instead of half a second, so 200 kills fit in a minute.
- ``reap N``: wait until worker N is gone (its locks released) and print ``reaped N``.

A worker opens its own engine (nothing SQLite is open in the server when it forks) and
loops through the services like a user would: new contacts (ContactService.create),
edits (ContactService.update), bulk demo inserts (DemoService.generate) and, when the
import service is present, small CSV imports. AFTER each service call returns, i.e. after
its commit, it writes one line on stdout naming what is now committed:

    C <contact id> <marker>            a contact was created, last name = marker
    U <contact id> <version> <marker>  a contact was edited, organisation = marker
    D <count> <seed>                   count demo contacts were added (audit detail has seed)
    I <count> <marker>                 an import added count contacts, city = marker
    X <contact id> ...                 these worker contacts were erased in one batch

Lines are shorter than PIPE_BUF, so each ``os.write`` is atomic; once written, a line
survives the worker's SIGKILL (it sits in the pipe, owned by the kernel).
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

#: A worker never outlives a lost parent for long (but outlives a slow, busy machine).
MAX_LIFE_S = 60.0
IMPORT_PURPOSE = "customer_relationship"
IMPORT_BASIS = "contract"

#: Set by the first import attempt: the import helper's service may not be there yet.
_IMPORTS = {"available": True}


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode("ascii"))


def _import_csv(services: Services, actor: Actor, folder: Path, marker: str, n: int) -> int:
    """Import *n* people from a small CSV file (the import service); return the count."""
    from privacycrm_desktop.services.imports import ImportPlan

    path = folder / f"{marker}.csv"
    rows = ["first_name,last_name,city"] + [f"Imp{i},{marker}x{i},{marker}" for i in range(n)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    service = services.imports
    preview = service.preview(actor, path)
    plan = ImportPlan(
        path=path,
        shape=preview.shape,
        mapping=preview.mapping,
        source=SourceInput(SourceKind.IMPORT_FILE, "crash test"),
        purpose_code=IMPORT_PURPOSE,
        legal_basis=IMPORT_BASIS,
    )
    result = service.run(actor, plan)
    path.unlink()
    return int(result.imported)


def _imports_ready(services: Services) -> bool:
    """True once the import service exists and does its work (not a placeholder)."""
    if not _IMPORTS["available"]:
        return False
    try:
        service = services.imports
        service.batches(Actor(0, "probe", Role.OWNER))
    except (AttributeError, ImportError, NotImplementedError):
        _IMPORTS["available"] = False
    except Exception:  # any other answer means the service is real
        pass
    return _IMPORTS["available"]


def _erase_batch(services: Services, actor: Actor, rng: random.Random) -> list[int]:
    """Erase a few worker contacts in one batch (the cleanup's path: one transaction,
    set-based statements), half the time with the search index rewritten afterwards."""
    from sqlalchemy import text

    from privacycrm_desktop.domain.erasure import ErasureReason
    from privacycrm_desktop.services.erasure import finish_erasure
    from privacycrm_desktop.services.erasure_batch import erase_many

    with services.uow() as uow:
        ids = list(
            uow.session.execute(
                text(
                    "SELECT id FROM contact WHERE first_name = 'Crash' "
                    "AND last_name GLOB 'm[0-9]*s[0-9]*' ORDER BY random() LIMIT :n"
                ),
                {"n": rng.randint(1, 25)},
            ).scalars()
        )
    if not ids:
        return []
    with services.uow(write=True) as uow:
        outcome = erase_many(
            uow.session,
            actor,
            ids,
            ErasureReason.OTHER,
            services.clock.now(),
            scrub_index_later=rng.random() < 0.5,
        )
    finish_erasure(services.uow)
    return [done.contact_id for done in outcome.erased]


def work(db: str, owner_id: int, seed: int) -> None:
    """Edit the database until killed (or MAX_LIFE_S passed)."""
    rng = random.Random(seed)
    engine = create_engine_for(db)
    services = Services.build(engine)
    actor = Actor(owner_id, "owner", Role.OWNER, "en")
    source = SourceInput(SourceKind.PHONE_CALL, "crash test")
    started = time.monotonic()
    step = 0
    while time.monotonic() - started < MAX_LIFE_S:
        step += 1
        marker = f"m{seed}s{step}"
        roll = rng.random()
        if roll < 0.5:
            data = ContactInput(
                first_name="Crash",
                last_name=marker,
                emails=(f"{marker}@example.be",),
                notes="x" * rng.randint(0, 3000),
            )
            new_id = services.contacts.create(actor, data, source)
            _say(f"C {new_id} {marker}")
        elif roll < 0.8:
            top = services.contacts.count(actor)
            if not top:
                continue
            row = services.contacts.page(actor, offset=rng.randrange(top), limit=1, total=top)[0]
            detail = services.contacts.get(actor, row.id)
            data = ContactInput(
                first_name=detail.first_name or "Crash",
                last_name=detail.last_name or "Edited",
                organisation=marker,
                notes="y" * rng.randint(0, 3000),
            )
            updated = services.contacts.update(actor, row.id, detail.version, data, source)
            _say(f"U {row.id} {updated.version} {marker}")
        elif roll < 0.85:
            erased = _erase_batch(services, actor, rng)
            if erased:
                _say("X " + " ".join(map(str, erased)))
        elif roll < 0.9 or not _imports_ready(services):
            count = rng.randint(5, 60)
            written = services.demo.generate(actor, count, seed=seed * 1000 + step)
            _say(f"D {written} {seed * 1000 + step}")
        else:
            imported = _import_csv(services, actor, Path(db).parent, marker, rng.randint(2, 8))
            _say(f"I {imported} {marker}")


def warm_up() -> None:
    """Import, once, what the services load on first use (validators, the services)."""
    import datetime as dt

    import privacycrm_desktop.services.access
    import privacycrm_desktop.services.contacts
    import privacycrm_desktop.services.demo
    import privacycrm_desktop.services.erasure_batch
    from privacycrm_desktop.domain.contacts import validate_contact

    validate_contact(
        ContactInput(last_name="Warm", emails=("a@example.be",), phones=("+3292000000",)),
        dt.date.today(),
    )
    try:
        import privacycrm_desktop.services.imports.service  # noqa: F401
    except ImportError:  # pragma: no cover - the import helper's module may be missing
        _IMPORTS["available"] = False


def serve(db: str, owner_id: int) -> None:
    """Answer ``run`` and ``reap`` until stdin closes."""
    warm_up()
    _say("ready")
    for line in sys.stdin:
        command, _space, argument = line.strip().partition(" ")
        if command == "run":
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    work(db, owner_id, int(argument))
                except BaseException as exc:  # a real failure: tell the test, then go
                    _say(f"E {type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
                    code = 3
                os._exit(code)
            _say(f"pid {pid}")
        elif command == "reap":
            pid = int(argument)
            _pid, status = os.waitpid(pid, 0)
            _say(f"reaped {pid} {status}")


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
