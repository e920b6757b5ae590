"""Retention in the main window: the expired/expiring count, "Erase contact..." with its
preview, "Cleanup...", and the once-a-year reminder (rules 8, 9 and 17).

When another program's read snapshot kept an erasure's bytes in the database files, a note
in the status bar says so until a retry (every ``SCRUB_RETRY_MS``, and at start) removes
them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.erasure import ERASURE_REASON_LABELS, ErasureReason
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _, describe_error, format_number, ngettext
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.widgets import ElidedLabel
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.common.workers import Job, run_in_background

if TYPE_CHECKING:
    from privacycrm_desktop.services.erasure import ErasurePreview
    from privacycrm_desktop.services.retention import RetentionCounts


class ErasePreviewDialog(QDialog):
    """What erasing a contact removes, what keeps it, and why it is erased."""

    def __init__(self, preview: ErasurePreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Erase contact"))
        layout = QVBoxLayout(self)
        intro = QLabel(
            _("Erasing {name} removes for good:").format(name=preview.name or preview.contact_id)
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)  # the name as typed, never markup
        layout.addWidget(intro)
        goes = [
            _("the contact with all its values and their sources"),
            ngettext("{n} e-mail address", "{n} e-mail addresses", preview.emails).format(
                n=preview.emails
            ),
            ngettext("{n} phone number", "{n} phone numbers", preview.phones).format(
                n=preview.phones
            ),
            ngettext(
                "{n} special-category value",
                "{n} special-category values",
                preview.special_categories,
            ).format(n=preview.special_categories),
            ngettext(
                "{n} interaction with its attached file",
                "{n} interactions with their attached files",
                preview.interactions,
            ).format(n=preview.interactions),
            _("its entries in the search index and in imports under review"),
        ]
        stays = [
            ngettext(
                "{n} consent event (without evidence)",
                "{n} consent events (without evidence)",
                preview.consent_events,
            ).format(n=preview.consent_events),
            ngettext(
                "{n} disclosure (recipient, purpose, date)",
                "{n} disclosures (recipient, purpose, date)",
                preview.disclosures,
            ).format(n=preview.disclosures),
        ]
        items = QLabel("<ul>" + "".join(f"<li>{_esc(t)}</li>" for t in goes) + "</ul>")
        layout.addWidget(items)
        layout.addWidget(QLabel(_("Kept, without anything that names the person:")))
        layout.addWidget(QLabel("<ul>" + "".join(f"<li>{_esc(t)}</li>" for t in stays) + "</ul>"))
        self.hold_label = QLabel()
        self.hold_label.setWordWrap(True)
        if preview.blocked:
            reason, until = preview.holds[0]
            self.hold_label.setText(
                _(
                    "A hold keeps this contact until {date}: {reason}. It cannot be erased now."
                ).format(date=format_date(until), reason=_esc(reason))
            )
            self.hold_label.setStyleSheet("color: #b00020; font-weight: bold;")
        layout.addWidget(self.hold_label)
        form = QFormLayout()
        self.reason = QComboBox()
        for reason_code, label in ERASURE_REASON_LABELS.items():
            self.reason.addItem(_(label), reason_code)
        form.addRow(_("&Reason:"), self.reason)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(_("&Erase for good"))
        ok.setEnabled(not preview.blocked)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        size_window(self)

    def chosen_reason(self) -> ErasureReason:
        """The reason picked."""
        return ErasureReason(self.reason.currentData())


def _link(target: str, text: str, colour: str) -> str:
    """*text* as a link to *target*, underlined, in *colour*."""
    return f'<a href="{target}" style="color: {colour};">{_esc(text)}</a>'


def _esc(value: object) -> str:
    from html import escape

    return escape(str(value))


#: How often a pending scrub is tried again while the app runs.
SCRUB_RETRY_MS = 30_000


class RetentionActions:
    """The status-bar count, and for owner / privacy officer the erase and cleanup entries
    (tests reach the widgets here)."""

    def __init__(
        self,
        window: QMainWindow,
        services: Services,
        actor: Actor,
        later: Callable[[Callable[[], object]], None] | None = None,
    ) -> None:
        """*later* schedules the start-up checks (the main window's ``after_first_paint``:
        the first paint of the list needs neither the counts nor the erasure code);
        without it they run now."""
        self._window = window
        self._services = services
        self._actor = actor
        self.jobs: list[Job[object]] = []
        self.status = QLabel()
        self.status.setObjectName("retention_status")
        window.statusBar().addWidget(self.status)
        self.scrub_note = ElidedLabel(
            _(
                "Erased, but another program still has the database open: the erased data "
                "is removed from the file as soon as it lets go."
            )
        )
        self.scrub_note.setObjectName("scrub_pending")
        self.scrub_note.setStyleSheet("color: #b00020;")
        self.scrub_note.hide()
        window.statusBar().addWidget(self.scrub_note, 1)
        self.scrub_timer = QTimer(window)
        self.scrub_timer.setInterval(SCRUB_RETRY_MS)
        self.scrub_timer.timeout.connect(self.retry_scrub)
        allowed_erase = has_permission(actor.role, Permission.ERASE)
        allowed_cleanup = has_permission(actor.role, Permission.CLEANUP)
        if allowed_erase or allowed_cleanup:
            menu = window.menuBar().addMenu(_("Re&tention"))
            if allowed_erase:
                menu.addAction(_("&Erase contact...")).triggered.connect(self.erase)
            if allowed_cleanup:
                menu.addAction(_("&Cleanup...")).triggered.connect(self.cleanup)
                menu.addAction(_("Data &quality review...")).triggered.connect(self.quality)
        if later is None:
            self.start()
        else:
            later(self.start)

    def start(self) -> None:
        """The start-up checks: the expiry counts, and a scrub an earlier session left."""
        # Dates not computed yet (bulk loads, an upgrade): one index probe when none.
        self._services.retention.fill_missing()
        self.update()
        # An erasure of an earlier session that could not finish: finish it now.
        if self._services.erasure.scrub_pending():
            self.scrub_pending()
            self.retry_scrub()

    def scrub_pending(self) -> None:
        """Show the note and retry in the background until the scrub is done."""
        self.scrub_note.show()
        if not self.scrub_timer.isActive():
            self.scrub_timer.start()

    def retry_scrub(self) -> None:
        """Try to finish a pending scrub off the UI thread; hide the note once done."""
        erasure = self._services.erasure
        self.jobs = [job for job in self.jobs if job.running]  # one every 30 s: keep few
        self.jobs.append(
            run_in_background(
                lambda _context: erasure.retry_scrub(),
                lambda done: self._scrub_tried(bool(done)),
                on_failure=lambda _error: None,  # locked or read-only: the timer tries again
                parent=self._window,
            )
        )

    def _scrub_tried(self, done: bool) -> None:
        if done:
            self.scrub_timer.stop()
            self.scrub_note.hide()
        else:
            self.scrub_pending()

    def update(self) -> None:
        """Show the expiry counts (read from the per-date counts: about a millisecond)."""
        self.show_counts(self._services.retention.counts(self._actor))

    def show_counts(self, counts: RetentionCounts) -> None:
        """Show how many contacts expired and how many expire within 30 days."""
        parts = []
        colour = "#b00020" if counts.expired else "#7a5200"
        grouped = format_number  # the language's digit grouping, as the contact count
        if counts.expired:
            parts.append(
                _link(
                    "expired",
                    ngettext("{n} expired", "{n} expired", counts.expired).format(
                        n=grouped(counts.expired)
                    ),
                    colour,
                )
            )
        if counts.expiring:
            parts.append(
                _link(
                    "expiring",
                    ngettext(
                        "{n} expiring within 30 days",
                        "{n} expiring within 30 days",
                        counts.expiring,
                    ).format(n=grouped(counts.expiring)),
                    colour,
                )
            )
        # Each count is a link: the main window shows those contacts (a saved view).
        self.status.setText(" · ".join(parts))
        self.status.setStyleSheet("color: #b00020;" if counts.expired else "")
        self.status.setVisible(bool(parts))

    def status_text(self) -> str:
        """The counts as the status bar reads them, without their links."""
        from PySide6.QtGui import QTextDocumentFragment

        return QTextDocumentFragment.fromHtml(self.status.text()).toPlainText()

    def _refresh(self) -> None:
        refresh = getattr(getattr(self._window, "model", None), "refresh", None)
        if refresh is not None:
            refresh()
        self.update()

    def _selected_id(self) -> int | None:
        view = getattr(self._window, "view", None)
        model = getattr(self._window, "model", None)
        if view is None or model is None or not view.currentIndex().isValid():
            return None
        row = model.contact_at(view.currentIndex().row())
        return None if row is None else int(row.id)

    def erase(self) -> ErasePreviewDialog | None:
        """Preview the erasure of the selected contact; erase it once confirmed."""
        window = self._window
        contact_id = self._selected_id()
        if contact_id is None:
            messages.information(window, _("Erase contact"), _("Select a contact first."))
            return None
        try:
            preview = self._services.erasure.preview(self._actor, contact_id)
        except DomainError as exc:
            messages.warning(window, _("Erase contact"), describe_error(exc))
            return None
        dialog = ErasePreviewDialog(preview, window)
        dialog.accepted.connect(lambda: self._erase(contact_id, dialog.chosen_reason()))
        dialog.open()
        return dialog

    def _erase(self, contact_id: int, reason: ErasureReason) -> None:
        # On a large file merging the search index takes seconds: off the UI thread.
        self.status.setText(_("Erasing..."))
        self.status.setVisible(True)
        erasure, actor = self._services.erasure, self._actor
        self.jobs.append(
            run_in_background(
                lambda _context: erasure.erase(actor, contact_id, reason),
                self._erased,
                parent=self._window,
            )
        )

    def _erased(self, result: object) -> None:
        self._refresh()
        from privacycrm_desktop.services.erasure import ErasureResult

        if isinstance(result, ErasureResult) and not result.scrubbed:
            self.scrub_pending()

    def quality(self) -> QDialog:
        """The list of contacts to correct; a double-click opens the editor."""
        from privacycrm_desktop.ui.retention.quality_dialog import QualityDialog

        edit = getattr(self._window, "edit_contact", None)
        dialog = QualityDialog(
            self._services.quality,
            self._actor,
            edit if edit is not None else (lambda _cid: None),
            self._window,
        )
        dialog.finished.connect(lambda _result: self._refresh())
        dialog.open()
        return dialog

    def cleanup(self) -> QDialog:
        """Open the cleanup wizard; the list and the count follow when it closes."""
        from privacycrm_desktop.ui.retention.cleanup_wizard import CleanupWizard

        wizard = CleanupWizard(self._services, self._actor, self._window)
        wizard.finished.connect(lambda _result: self._after_cleanup())
        wizard.open()
        return wizard

    def _after_cleanup(self) -> None:
        self._refresh()
        if self._services.erasure.scrub_pending():
            self.scrub_pending()


def add_retention_actions(
    window: QMainWindow,
    services: Services,
    actor: Actor,
    later: Callable[[Callable[[], object]], None] | None = None,
) -> RetentionActions:
    """Add the retention count, menu and actions to the main window; *later* schedules
    the start-up checks (see RetentionActions)."""
    return RetentionActions(window, services, actor, later)


def remind_once_a_year(
    window: QWidget, services: Services, actor: Actor, open_cleanup: Callable[[], object]
) -> bool:
    """At start-up: the yearly cleanup reminder (date in the settings), shown once a year
    to whoever may run the cleanup. Returns True when it showed."""
    if not services.retention.take_reminder(actor):
        return False
    answer = messages.question(
        window,
        _("Annual cleanup"),
        _(
            "It is time for the annual cleanup: contacts past their keep-until date are "
            "erased or anonymised. Start it now?"
        ),
    )
    if answer == QMessageBox.StandardButton.Yes:
        open_cleanup()
    return True
