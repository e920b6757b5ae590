"""The annual cleanup wizard (rules 8 and 9): scan, review, dry run, execution, report.

Pages (``Page``): the summary of expired contacts by reason; the review list (a lazily
fetched table model with a checkbox and an editable action per contact, and bulk
selection); the dry-run report; the execution with a progress bar and Cancel, run on a
worker thread (each contact its own transaction), ending with the PDF cleanup report.

The pages share a ``CleanupState`` (``cleanup_state``); the review page is in
``cleanup_review``, the others in ``cleanup_pages``. The checkboxes stand for a
``Selection`` of the whole candidate set, not for the rows loaded so far. Apply is not the
default button, and asks first, naming how many people it erases.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget, QWizard

from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.retention.cleanup_pages import DryRunPage, ExecutePage, ScanPage
from privacycrm_desktop.ui.retention.cleanup_review import ReviewPage
from privacycrm_desktop.ui.retention.cleanup_state import CleanupState, Page


class CleanupWizard(QWizard):
    """The annual cleanup, from the scan to the report."""

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = CleanupState(services, actor)
        self.setWindowTitle(_("Annual cleanup"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.scan_page = ScanPage(self.state)
        self.review_page = ReviewPage(self.state)
        self.dry_run_page = DryRunPage(self.state)
        self.execute_page = ExecutePage(self.state)
        self.setPage(Page.SCAN, self.scan_page)
        self.setPage(Page.REVIEW, self.review_page)
        self.setPage(Page.DRY_RUN, self.dry_run_page)
        self.setPage(Page.EXECUTE, self.execute_page)
        self.setButtonText(QWizard.WizardButton.CommitButton, _("&Apply"))
        self.dry_run_page.setCommitPage(True)
        # Enter must never apply: QWizard makes the commit button the default one, so the
        # dry-run page has no default button at all.
        self.currentIdChanged.connect(
            lambda page: self.setOption(QWizard.WizardOption.NoDefaultButton, page == Page.DRY_RUN)
        )
        size_window(self, QSize(920, 560))

    @property
    def total(self) -> int:
        """How many contacts the scan found past their keep-until date."""
        return self.state.total

    def reject(self) -> None:
        if self.execute_page.job is not None:
            return  # stop first: the job writes to the database
        super().reject()
