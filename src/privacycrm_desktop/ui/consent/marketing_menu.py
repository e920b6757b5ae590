"""The main window's "Marketing" menu: the list builder, the register of purposes, the
privacy statement, and the PDFs of the register of processing and the short notice.

The dialogs are imported when opened, not with the menu: the first paint of the list does
not need them (issue 23: start-up near the floor). A PDF takes a moment: it is made on a
worker thread (``ui.common.workers``) behind a progress bar with a Cancel button.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMainWindow, QMenu

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.private_files import write_private
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.workers import Job, JobContext, ProgressPanel, run_in_background


def _marketing_list(services: Services, actor: Actor, window: QMainWindow) -> None:
    from privacycrm_desktop.ui.consent.marketing_dialog import MarketingListDialog

    MarketingListDialog(services, actor, window).exec()


def _purposes(services: Services, actor: Actor, window: QMainWindow) -> None:
    from privacycrm_desktop.ui.consent.purposes_dialog import PurposesDialog

    PurposesDialog(services.statements, actor, window).exec()


def _statement(services: Services, actor: Actor, window: QMainWindow) -> None:
    from privacycrm_desktop.ui.consent.statement_dialog import StatementDialog

    StatementDialog(services.statements, actor, window).exec()


def _save_pdf(
    window: QMainWindow,
    make: Callable[[], bytes],
    file_name: str,
    panel: ProgressPanel,
    menus: tuple[QMenu, ...],
) -> Job[object] | None:
    if panel.busy:
        return None
    # Imported when a PDF is saved: the file dialog's Qt classes are not needed to paint
    # the list (issue 23).
    from privacycrm_desktop.ui.common.saved_files import ask_save_path, offer_to_open

    asked = ask_save_path(window, _("Save PDF"), file_name, _("PDF (*.pdf)"), "pdf")
    if asked is None:
        return None
    name = str(asked[0])
    enabled = [menu.isEnabled() for menu in menus]

    def work(context: JobContext) -> object:
        data = make()  # no progress to report: the bar stays busy
        context.raise_if_cancelled()
        write_private(name, data)
        return name

    def saved(_name: object) -> None:
        message = _("Saved {file}.").format(file=Path(name).name)
        window.statusBar().showMessage(message, 5000)
        offer_to_open(window, Path(name), message)

    def finished() -> None:
        for menu, was_enabled in zip(menus, enabled, strict=True):
            menu.setEnabled(was_enabled)

    for menu in menus:
        menu.setEnabled(False)
    job = run_in_background(work, saved, parent=window)
    job.finished.connect(finished)
    panel.start(_("Making the PDF..."), job)
    return job


def add_marketing_menu(window: QMainWindow, services: Services, actor: Actor) -> QMenu:
    """Add the "Marketing" menu: the list builder, the register and the short notice."""
    menu = window.menuBar().addMenu(_("&Marketing"))
    panel = ProgressPanel()
    window.statusBar().addPermanentWidget(panel)
    lists = menu.addAction(_("Marketing &list..."))
    lists.setEnabled(has_permission(actor.role, Permission.MARKETING_LISTS))
    lists.triggered.connect(lambda: _marketing_list(services, actor, window))
    menu.addSeparator()
    languages = (("nl", _("&Dutch")), ("fr", _("&French")), ("en", _("&English")))
    register = menu.addMenu(_("&Register of processing (PDF)"))
    register.setEnabled(has_permission(actor.role, Permission.EDIT_SETTINGS))
    purposes = menu.addAction(_("Register of &purposes..."))
    purposes.triggered.connect(lambda: _purposes(services, actor, window))
    statement = menu.addAction(_("Privacy &statement..."))
    statement.triggered.connect(lambda: _statement(services, actor, window))
    notice = menu.addMenu(_("Short privacy &notice (PDF)"))
    menus = (register, notice)
    for code, label in languages:
        register.addAction(label).triggered.connect(
            lambda _checked=False, lang=code: _save_pdf(
                window,
                lambda: services.reports.processing_register(actor, lang),
                f"register-{lang}.pdf",
                panel,
                menus,
            )
        )
        notice.addAction(label).triggered.connect(
            lambda _checked=False, lang=code: _save_pdf(
                window,
                lambda: services.reports.short_notice(actor, lang),
                f"notice-{lang}.pdf",
                panel,
                menus,
            )
        )
    return menu
