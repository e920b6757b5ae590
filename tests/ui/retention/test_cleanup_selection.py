"""The cleanup wizard on a big database: "Check none" / "Check all" mean every candidate.

A former blocker, seen at 100,000 contacts: the review list loaded 500 rows at a time and
the bulk checks touched only the loaded rows, so after "Check none" the dry run still
erased some 30,000 contacts, and Apply was the default button. What matters is far more
candidates than one block (here about 15,000, 150 blocks); 50,000 contacts give that in half
the time of 100,000. The database is generated once (the demo service's bulk path) and
copied for each test; bench/bench_cleanup.py runs the cleanup at full size.
"""

from __future__ import annotations

import bisect
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWizard
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from conftest import COMPANY, OWNER, OWNER_PASSWORD
from privacycrm_desktop.domain.retention import CleanupAction
from privacycrm_desktop.i18n import format_number
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.persistence.models import Contact
from privacycrm_desktop.services.cleanup import ReviewRow
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.retention.cleanup_review import BLOCK_SIZE
from privacycrm_desktop.ui.retention.cleanup_state import Page
from privacycrm_desktop.ui.retention.cleanup_wizard import CleanupWizard

from ..screens import save

pytestmark = pytest.mark.slow

COUNT = 50_000
NOW = dt.datetime(2025, 3, 14, 10, 0)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """50,000 demo contacts, about 30 % of them past their keep-until date."""
    path = tmp_path_factory.mktemp("cleanup-big") / "template.db"
    engine = create_engine_for(str(path))
    migrate(engine)
    services = Services.build(engine, FixedClock(NOW))
    services.setup.initialise(COMPANY, OWNER, OWNER_PASSWORD)
    owner = services.auth.login(OWNER, OWNER_PASSWORD)
    services.demo.generate(owner, COUNT, seed=7)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def big(template: Path, tmp_path: Path) -> Iterator[tuple[Services, Actor]]:
    path = tmp_path / "privacycrm.db"
    shutil.copyfile(template, path)
    engine = create_engine_for(str(path))
    services = Services.build(engine, FixedClock(NOW))
    yield services, services.auth.login(OWNER, OWNER_PASSWORD)
    engine.dispose()


def _place_by_id(services: Services, contact_id: int) -> int:
    """How many expired contacts have a smaller id (the cleanup goes in id order)."""
    from privacycrm_desktop.services.retention import expired_query

    with services.uow() as uow:
        query = expired_query(NOW.date()).order_by(None).where(Contact.id < contact_id)
        return int(uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _contacts(services: Services, ids: list[int] | None = None) -> int:
    with services.uow() as uow:
        query = select(func.count()).select_from(Contact)
        if ids is not None:
            query = query.where(Contact.id.in_(ids))
        return int(uow.session.scalar(query) or 0)


def _to_review(qtbot: QtBot, services: Services, owner: Actor) -> CleanupWizard:
    wizard = CleanupWizard(services, owner)
    qtbot.addWidget(wizard)
    wizard.resize(1024, 600)
    wizard.show()
    assert wizard.total > 100 * BLOCK_SIZE  # far more candidates than one block
    wizard.next()
    assert wizard.currentId() == Page.REVIEW
    assert wizard.review_page.model.rowCount() == wizard.total  # every one has its row
    return wizard


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_check_none_erases_nobody(
    qtbot: QtBot,
    big: tuple[Services, Actor],
    language: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services, owner = big
    apply_language(language)
    wizard = _to_review(qtbot, services, owner)
    total = wizard.total
    page = wizard.review_page
    page.check_none.click()
    assert page.checked_label.text().startswith("0 ")
    save(wizard, f"{language}-cleanup-big-review-none")
    asked: list[str] = []
    monkeypatch.setattr(messages, "question", lambda *a, **k: asked.append(a[2]))
    wizard.next()
    assert wizard.currentId() == Page.DRY_RUN
    qtbot.waitUntil(wizard.dry_run_page.isComplete, timeout=20_000)
    dry = wizard.dry_run_page.outcome
    assert dry is not None
    assert dry.by_action == {}
    assert dry.skipped == total
    # Enter does not apply: Apply is not the default button.
    assert not wizard.button(QWizard.WizardButton.CommitButton).isDefault()
    save(wizard, f"{language}-cleanup-big-dry-run-none")
    wizard.next()  # nothing to erase: no question
    assert asked == []
    qtbot.waitUntil(lambda: wizard.execute_page.outcome is not None, timeout=30_000)
    outcome = wizard.execute_page.outcome
    assert outcome is not None
    assert outcome.by_action == {}
    assert _contacts(services) == COUNT


def test_check_all_then_uncheck_one_beyond_the_first_page(
    qtbot: QtBot,
    big: tuple[Services, Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services, owner = big
    apply_language("nl")
    wizard = _to_review(qtbot, services, owner)
    total = wizard.total
    page, model = wizard.review_page, wizard.review_page.model
    page.check_none.click()
    page.check_all.click()
    row = 5 * BLOCK_SIZE + 50  # scrolled on: a block not read yet
    assert model.rowCount() > row
    rows = [r for r in map(model.row_at, range(row + 4 * BLOCK_SIZE)) if r is not None]
    spared = rows[row].contact_id
    gone = (CleanupAction.ERASE, CleanupAction.ANONYMISE)
    # The cleanup handles the contacts in id order (a batch then shares table pages): the
    # neighbours are the spared contact's neighbours by id among those that go.
    going = sorted(r.contact_id for r in rows if r.action in gone)
    spared_at = bisect.bisect_left(going, spared)
    neighbours = [c for c in going[max(0, spared_at - 20) : spared_at + 20] if c != spared]
    assert neighbours
    model.setData(
        model.index(row, 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole
    )
    assert page.checked_label.text().startswith(format_number(total - 1))
    asked: list[str] = []

    def answer(*args: object, **_kwargs: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        # The safe answer is the default one.
        assert args[4] == QMessageBox.StandardButton.No
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(messages, "question", answer)
    wizard.next()
    qtbot.waitUntil(wizard.dry_run_page.isComplete, timeout=20_000)
    dry = wizard.dry_run_page.outcome
    assert dry is not None
    assert dry.skipped == 1
    assert sum(dry.by_action.values()) == total - 1
    people = wizard.dry_run_page.people_erased()
    assert people > 0
    save(wizard, "nl-cleanup-big-dry-run-all-but-one")
    wizard.next()
    assert len(asked) == 1
    assert format_number(people) in asked[0]  # the confirmation names the number
    # Stop once the spared one and its neighbours are behind us: their places in the id
    # order of every expired contact (the review shows them oldest first).
    execute = wizard.execute_page
    place = max(_place_by_id(services, c) for c in [spared, *neighbours])
    qtbot.waitUntil(
        lambda: execute.bar.value() > place + 50 or execute.outcome is not None,
        timeout=120_000,
    )
    execute.cancel()
    qtbot.waitUntil(lambda: execute.outcome is not None, timeout=60_000)
    assert execute.outcome is not None
    # Cancelled (or, when the spared one's place was in the last batch, finished): either
    # way the one unchecked stays and its neighbours went.
    assert _contacts(services, [spared]) == 1
    assert _contacts(services, neighbours) == 0


def test_the_review_shows_at_once_reading_only_the_rows_in_view(
    qtbot: QtBot, big: tuple[Services, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the scan to the review the window read 500 contacts (each with two queries for
    its last interaction), then sized two columns to every row read: 1.9 s at 30,000
    expired contacts, frozen. Now the rows in view are read, a block at a time, and a
    jump to the end reads the end's block, not every block before it."""
    services, owner = big
    reads: list[tuple[int, int]] = []
    review = services.cleanup.review

    def counted(actor: Actor, offset: int = 0, limit: int = 500) -> list[ReviewRow]:
        reads.append((offset, limit))
        return review(actor, offset, limit)

    monkeypatch.setattr(services.cleanup, "review", counted)
    wizard = _to_review(qtbot, services, owner)
    view = wizard.review_page.view
    qtbot.waitExposed(wizard)
    shown = view.rowAt(view.viewport().height() - 1) + 1 or wizard.total
    assert 0 < shown < BLOCK_SIZE
    assert sum(limit for _offset, limit in reads) <= BLOCK_SIZE  # one block: the rows in view
    reads.clear()
    view.scrollToBottom()
    QApplication.processEvents()
    last = view.model().index(wizard.total - 1, 0)
    assert view.visualRect(last).isValid()
    assert last.data() not in (None, "")
    assert reads
    assert all(offset >= wizard.total - 2 * BLOCK_SIZE for offset, _l in reads)
