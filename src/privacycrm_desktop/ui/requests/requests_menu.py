"""The "Requests" menu and the start-up notice of pressing requests (rule 21).

Kept apart from the register (``requests_view``), which is imported only when it opens: the
window that opens on the contact list should not pay for letters and reports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QMainWindow, QMenu

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.requests.attention import attention_text

if TYPE_CHECKING:
    from privacycrm_desktop.services.requests import RequestInfo
    from privacycrm_desktop.ui.requests.requests_view import RequestsDialog


def add_requests_menu(
    window: QMainWindow,
    services: Services,
    actor: Actor,
    later: Callable[[Callable[[], object]], None] | None = None,
) -> QMenu | None:
    """The "Requests" menu and the start-up notice of pressing requests (rule 21).

    Only for the roles that handle requests; the notice sits in the status bar and opens
    the register when clicked. *later* schedules the first look at the register (the main
    window's ``after_first_paint``); without it, the look is taken now.
    """
    if not has_permission(actor.role, Permission.MANAGE_REQUESTS):
        return None
    menu = window.menuBar().addMenu(_("Re&quests"))
    notice = QLabel()
    notice.setObjectName("requests_notice")
    notice.setStyleSheet("color: #b00020; font-weight: bold;")
    window.statusBar().addWidget(notice)

    def open_register() -> RequestsDialog:
        from privacycrm_desktop.ui.requests.requests_view import RequestsDialog

        dialog = RequestsDialog(services, actor, window)
        dialog.finished.connect(lambda _result: update())
        dialog.open()
        return dialog

    def show(pressing: list[RequestInfo]) -> None:
        text = attention_text(sum(r.overdue for r in pressing), sum(r.due_soon for r in pressing))
        notice.setText(f'<a href="#requests">{text}</a>' if text else "")
        notice.setVisible(bool(text))

    def update() -> None:
        show(services.requests.attention(actor))

    # A disabled status bar (the idle lock) opens nothing.
    notice.linkActivated.connect(lambda _link: notice.isEnabled() and open_register())
    action = menu.addAction(_("Requests &register..."))
    action.triggered.connect(open_register)
    (later or _now)(update)
    return menu


def _now(job: Callable[[], object]) -> None:
    job()
