"""``privacycrm --self-test``: prove that this copy of the app works, then exit.

Meant for a freshly built bundle (CI runs it on the PyInstaller folder), an installed wheel
or the source tree alike. On a temporary database that is deleted afterwards, and without
touching the user's data folder or UI settings, it:

1. checks the shipped resources and the migration scripts are where the app looks for
   them (fonts, compiled catalogues, letters, statements, special categories, icons);
2. checks the database runs the bundled SQLite (sqlean.py, 3.45 or newer), then migrates
   the empty database to the newest revision with Alembic;
3. sets up a company and an owner and adds a contact through the services;
4. renders the contact's access report (PDF) in Dutch, French and English;
5. checks import rows in a worker process (the program started again, as big imports do);
6. opens the main window (offscreen when there is no display) and waits for the list to
   paint its one contact (selftest/window.py; ``privacycrm --self-test`` only, not
   ``privacycrm-cli self-test``, which has no Qt).

Exit 0 with one line on stdout (naming the SQLite version); on failure exit 1 with one line
on stderr naming the step.
Steps 1-5, free of Qt (import-linter: "Qt only in ui"), for app.py and the CLI's
``self-test`` alike; they import it only when asked for a self-test, so start-up pays
nothing for it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from privacycrm_desktop.i18n import N_, _, set_language

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from privacycrm_desktop.services.dto import Actor
    from privacycrm_desktop.services.registry import Services

#: Files the app opens at run time, relative to ``config.resources_dir()``.
REQUIRED_RESOURCES = (
    "fonts/DejaVuSans.ttf",
    "fonts/DejaVuSans-Bold.ttf",
    "icons/privacycrm.svg",
    "locale/nl/LC_MESSAGES/privacycrm.mo",
    "locale/fr/LC_MESSAGES/privacycrm.mo",
    *(f"letters/{lang}/access_cover.txt" for lang in ("nl", "fr", "en")),
    *(f"statements/{lang}.md" for lang in ("nl", "fr", "en")),
    *(f"special_categories/{lang}.txt" for lang in ("nl", "fr", "en")),
)
#: The steps, as named in the failure message.
STEP_RESOURCES = N_("resources")
STEP_MIGRATION = N_("database migration")
STEP_CONTACT = N_("adding a contact")
STEP_REPORT = N_("access report")
STEP_IMPORT_WORKERS = N_("import worker processes")
STEP_MAIN_WINDOW = N_("main window")
_OWNER = "selftest"
_PASSWORD = "self-test password, not kept"  # noqa: S105 - a throwaway temporary database


class SelfTestFailed(Exception):
    """A step failed; the message is already one translated line."""


def check_resources() -> None:
    """Every shipped file the app needs is there, and the catalogues translate."""
    from privacycrm_desktop.config import resources_dir
    from privacycrm_desktop.i18n import tr_in
    from privacycrm_desktop.persistence.migrate import MIGRATIONS_DIR

    folder = resources_dir()
    _require(folder, [name for name in REQUIRED_RESOURCES if not (folder / name).is_file()])
    missing = [] if (MIGRATIONS_DIR / "env.py").is_file() else ["env.py"]
    if not any((MIGRATIONS_DIR / "versions").glob("*.py")):
        missing.append("versions/*.py")
    _require(MIGRATIONS_DIR, missing)
    for lang in ("nl", "fr"):
        if tr_in(lang, STEP_MAIN_WINDOW) == STEP_MAIN_WINDOW:
            raise SelfTestFailed(
                _("the {language} catalogue does not translate").format(language=lang)
            )


def _require(folder: Path, missing: list[str]) -> None:
    if missing:
        names = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise SelfTestFailed(_("missing in {folder}: {names}").format(folder=folder, names=names))


def check_sqlite(engine: Engine) -> str:
    """The engine runs the bundled SQLite (persistence/sqlite_driver.py), new enough for
    FTS5 secure-delete; its version."""
    from privacycrm_desktop.persistence.database import engine_sqlite_version
    from privacycrm_desktop.persistence.sqlite_driver import MINIMUM_VERSION, sqlite_version

    version = engine_sqlite_version(engine) or ""
    numbers = tuple(int(part) for part in version.split(".")[:3] if part.isdigit())
    if version != sqlite_version() or numbers < MINIMUM_VERSION:
        raise SelfTestFailed(
            _("the database runs SQLite {version}, not the bundled {bundled}").format(
                version=version, bundled=sqlite_version()
            )
        )
    return version


def migrate_database(engine: Engine) -> Services:
    """Bring the new, empty database to the newest revision; its services."""
    from privacycrm_desktop.persistence.migrate import HEAD_REVISION, current_revision, migrate
    from privacycrm_desktop.services.registry import Services

    check_sqlite(engine)
    migrate(engine)
    revision = current_revision(engine)
    if revision != HEAD_REVISION:
        raise SelfTestFailed(
            _("the database is at {revision}, not {head}").format(
                revision=revision, head=HEAD_REVISION
            )
        )
    return Services.build(engine, anchors=False)


def add_contact(services: Services) -> tuple[Actor, int]:
    """Set up a company and its owner, sign in and add one contact."""
    import datetime as dt

    from privacycrm_desktop.domain.contacts import ContactInput
    from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
    from privacycrm_desktop.services.setup import CompanyInput

    company = CompanyInput(name="Self-test BV", address="Kerkstraat 1, 9000 Gent")
    services.setup.initialise(company, _OWNER, _PASSWORD)
    actor = services.auth.login(_OWNER, _PASSWORD)
    contact = ContactInput(
        first_name="Zoë",
        last_name="Lefèvre",
        emails=("zoe@example.be",),
        phones=("0475 12 34 56",),
        city="Liège",
    )
    source = SourceInput(SourceKind.BUSINESS_CARD, "Self-test", dt.date.today())
    contact_id = services.contacts.create(actor, contact, source)
    if services.contacts.count(actor, "liege") != 1:
        raise SelfTestFailed(_("the new contact is not found by a search"))
    return actor, contact_id


def render_access_report(services: Services, actor: Actor, contact_id: int) -> None:
    """The contact's access report as a PDF in each language."""
    for lang in ("nl", "fr", "en"):
        report = services.access_reports.produce(actor, contact_id, lang)
        if not report.pdf.startswith(b"%PDF") or b"%%EOF" not in report.pdf[-64:]:
            raise SelfTestFailed(_("the {language} report is not a PDF").format(language=lang))


def check_import_workers() -> None:
    """Big imports check their rows in worker processes that start this program again
    (services/imports/pool.py): one must start and check rows exactly as this process."""
    import datetime as dt

    from privacycrm_desktop.domain.import_headers import guess_mapping
    from privacycrm_desktop.services.imports.pool import TASK_ROWS, RowChecker, RowPlan, check_rows

    headers = ("First Name", "Last Name", "E-mail Address")
    rows = [(1, ("Zoë", "Lefèvre", "zoe@example.be")), (2, ("", "", "not-an-address@"))]
    plan = RowPlan(headers, guess_mapping(headers), dt.date.today())
    with RowChecker(plan, rows, block=TASK_ROWS, workers=1, first_here=False) as checker:
        checked = [row for block in checker.blocks() for row in block]
        started = checker.workers == 1  # 0 after falling back to this process
    if not started or checked != check_rows(plan, rows):
        raise SelfTestFailed(_("no worker process could check import rows"))


def _one_line(exc: BaseException) -> str:
    from privacycrm_desktop.domain.errors import DomainError
    from privacycrm_desktop.i18n import describe_error

    if isinstance(exc, SelfTestFailed):
        text = str(exc)
    elif isinstance(exc, DomainError):
        text = describe_error(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:400]


#: The main-window step (selftest.window.open_main_window), given by app.py: this module
#: stays free of Qt so that ``privacycrm-cli self-test`` can run it on a machine without Qt.
WindowCheck = Callable[["Services", "Actor", Path], None]


def run_self_test(
    window: WindowCheck | None = None, language: str | None = None, *, as_json: bool = False
) -> int:
    """Run every step (the window's too when given); print one line; return the exit code.

    Messages in *language*, else in ``LANG``'s when it is nl or fr, else in English.
    *as_json* (the CLI's ``--format json``): success is ``{"passed": true, "seconds": s}``.
    """
    if language is None:
        prefix = os.environ.get("LANG", "")[:2].lower()
        language = prefix if prefix in ("nl", "fr") else "en"
    set_language(language)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(
        prefix="privacycrm-self-test-", ignore_cleanup_errors=True
    ) as tmp:
        folder = Path(tmp)
        engine: Engine | None = None
        step = STEP_RESOURCES
        try:
            check_resources()
            step = STEP_MIGRATION
            from privacycrm_desktop.persistence.database import create_engine_for

            engine = create_engine_for(folder / "self-test.db")
            services = migrate_database(engine)
            step = STEP_CONTACT
            actor, contact_id = add_contact(services)
            step = STEP_REPORT
            render_access_report(services, actor, contact_id)
            step = STEP_IMPORT_WORKERS
            check_import_workers()
            if window is not None:
                step = STEP_MAIN_WINDOW
                window(services, actor, folder)
        except Exception as exc:  # any failure is reported on one line
            message = _("Self-test failed at {step}: {reason}")
            print(message.format(step=_(step), reason=_one_line(exc)), file=sys.stderr)
            return 1
        finally:
            if engine is not None:
                engine.dispose()
    elapsed = time.perf_counter() - start
    from privacycrm_desktop.persistence.sqlite_driver import sqlite_version

    if as_json:
        document: dict[str, object] = {"passed": True, "seconds": round(elapsed, 2)}
        document["sqlite_version"] = sqlite_version()
        print(json.dumps(document), flush=True)
    else:
        print(
            _("Self-test passed in {seconds} s (SQLite {version}).").format(
                seconds=f"{elapsed:.1f}", version=sqlite_version()
            ),
            flush=True,
        )
    return 0
