"""The card beside the contact list: the selected contact at a glance, with its actions.

It shows what ``ContactService.card`` returns, read in one unit of work per selection:
name and organisation, the e-mail addresses (mailto:) and phone numbers (tel:) with where
each came from, the consent per purpose and channel in a sentence each, the keep-until date
and why, and the open requests. A field hidden from the role is not on the card at all;
a masked one shows masked, without a link. No ORM object stays on the widget: only the
frozen card (and only until the next selection).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import FieldAccess, Permission, has_permission
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.normalize import DEFAULT_REGION, phone_display
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.domain.retention import OPEN_ENDED, REASON_LABELS
from privacycrm_desktop.i18n import N_, _, describe_error, describe_explanation
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.dto import Actor, ConsentLine, ContactCard, SourceInfo
from privacycrm_desktop.services.requests import REQUEST_KIND_LABELS
from privacycrm_desktop.ui.common.date_fields import format_date

#: The card's actions, in the order of their buttons: (name, label, permission needed).
ACTIONS: tuple[tuple[str, str, Permission], ...] = (
    ("edit", N_("&Edit..."), Permission.VIEW_CONTACTS),
    ("consent", N_("&Consent..."), Permission.VIEW_CONTACTS),
    ("access_report", N_("&Access report..."), Permission.ACCESS_REPORT),
    ("unsubscribe", N_("&Unsubscribe..."), Permission.RECORD_CONSENT),
    ("erase", N_("E&rase..."), Permission.ERASE),
    ("export", N_("E&xport..."), Permission.EXPORT),
    ("task", N_("Ne&w task..."), Permission.EDIT_CONTACTS),
)
_READABLE = (FieldAccess.READ.value, FieldAccess.WRITE.value)


def source_line(source: SourceInfo) -> str:
    """Where a value came from, on one line (the editor's source text)."""
    from privacycrm_desktop.ui.common.widgets import describe_source

    return describe_source(source).replace("\n", " · ")


class ContactCardWidget(QScrollArea):
    """The selected contact; ``action`` is emitted with an action name and the contact id."""

    action = Signal(str, int)

    def __init__(
        self,
        contacts: ContactService,
        actor: Actor,
        home_country: str = DEFAULT_REGION,
        parent: QWidget | None = None,
        available: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("contact_card")
        self._contacts = contacts
        self._actor = actor
        self._home = home_country
        self.contact_id: int | None = None
        self.card: ContactCard | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self._layout = QVBoxLayout(inner)
        self.title = QLabel()
        self.title.setObjectName("card_title")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        #: Where the name came from, under it.
        self.title_source = QLabel()
        self.title_source.setObjectName("card_title_source")
        self.title_source.setWordWrap(True)
        small = self.title_source.font()
        small.setPointSizeF(small.pointSizeF() * 0.85)
        self.title_source.setFont(small)
        self.body = QLabel()
        self.body.setObjectName("card_body")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setOpenExternalLinks(True)
        self.body.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.buttons: dict[str, QPushButton] = {}
        self._grid = QGridLayout()
        for name, label, permission in ACTIONS:
            if not has_permission(actor.role, permission):
                continue
            if available is not None and not available(name):
                continue
            button = QPushButton(_(label))
            button.setObjectName(f"card_{name}")
            button.clicked.connect(lambda _checked=False, n=name: self._act(n))
            self.buttons[name] = button
        self.arrange_buttons(3)
        self._layout.addWidget(self.title)
        self._layout.addWidget(self.title_source)
        self._layout.addLayout(self._grid)
        self._layout.addWidget(self.body, 1)
        self.setWidget(inner)
        self.show_nothing()

    def arrange_buttons(self, per_row: int) -> None:
        """Lay the buttons out *per_row* to a row (all in one below the list)."""
        for button in self.buttons.values():
            self._grid.removeWidget(button)
        for position, button in enumerate(self.buttons.values()):
            self._grid.addWidget(button, position // per_row, position % per_row)

    # -- what the card shows ----------------------------------------------------------

    def show_nothing(self, text: str | None = None) -> None:
        """No contact (none selected, or several): the card says so; buttons disabled."""
        self.contact_id = None
        self.card = None
        self.title.setText("")
        self.title.hide()
        self.title_source.setText("")
        self.title_source.hide()
        self.body.setText(escape(text if text is not None else _("Select a contact.")))
        for button in self.buttons.values():
            button.setEnabled(False)

    def show_contact(self, contact_id: int | None) -> None:
        """Read *contact_id*'s card through the service (one unit of work) and show it."""
        if contact_id is None:
            self.show_nothing()
            return
        try:
            card = self._contacts.card(self._actor, contact_id)
        except DomainError as exc:
            self.show_nothing(describe_error(exc))
            return
        self.contact_id = contact_id
        self.card = card
        self.title.setText(_title(card))
        self.title.show()
        detail = card.detail
        # A hidden name has no source on the detail either.
        source = detail.provenance.get("last_name") or detail.provenance.get("first_name")
        named = source is not None and bool(detail.first_name or detail.last_name)
        self.title_source.setText(source_line(source) if source is not None and named else "")
        self.title_source.setVisible(named)
        self.body.setText(self._html(card))
        for button in self.buttons.values():
            button.setEnabled(True)

    def _act(self, name: str) -> None:
        if self.contact_id is not None:
            self.action.emit(name, self.contact_id)

    def _html(self, card: ContactCard) -> str:
        detail = card.detail
        access = detail.field_access
        parts: list[str] = []

        def section(title: str, lines: list[str]) -> None:
            if lines:
                parts.append(f"<p><b>{escape(title)}</b><br>" + "<br>".join(lines) + "</p>")

        def sourced(value: str, source: SourceInfo | None) -> str:
            if source is None:
                return value
            return f"{value}<br><small>{escape(source_line(source))}</small>"

        if access.get("organisation") != FieldAccess.HIDDEN.value and detail.organisation:
            section(
                _("Organisation"),
                [sourced(escape(detail.organisation), detail.provenance.get("organisation"))],
            )
        email_level = access.get("emails")
        if email_level != FieldAccess.HIDDEN.value:
            lines = []
            for item in detail.emails:
                shown = escape(item.value)
                if email_level in _READABLE:
                    shown = f'<a href="mailto:{escape(item.value, quote=True)}">{shown}</a>'
                lines.append(sourced(shown, item.source))
            section(_("E-mail"), lines)
        phone_level = access.get("phones")
        if phone_level != FieldAccess.HIDDEN.value:
            lines = []
            for item in detail.phones:
                shown = escape(phone_display(item.value, self._home))
                if phone_level in _READABLE:
                    shown = f'<a href="tel:{escape(item.value, quote=True)}">{shown}</a>'
                lines.append(sourced(shown, item.source))
            section(_("Phone"), lines)
        section(_("Consent"), [self._consent_line(line) for line in card.consent])
        section(_("Keep until"), [escape(self._keep_text(card))])
        section(
            _("Open requests"),
            [
                escape(
                    _("{reference}: {kind}, due {date}").format(
                        reference=r.reference,
                        kind=_(REQUEST_KIND_LABELS[RequestKind(r.kind)]),
                        date=format_date(r.due_on),
                    )
                )
                for r in card.open_requests
            ],
        )
        return "".join(parts)

    @staticmethod
    def _consent_line(line: ConsentLine) -> str:
        mark = "✔" if line.verdict.allowed else "✘"
        sentence = describe_explanation(line.verdict.explanation)
        if line.purpose:
            sentence = _("{purpose} – {sentence}").format(
                purpose=_(line.purpose), sentence=sentence
            )
        return f"{mark} {escape(sentence)}"

    @staticmethod
    def _keep_text(card: ContactCard) -> str:
        until = card.detail.keep_until
        if until is None and not card.keep_reason:
            return _("Not computed yet.")
        # No date with a reason: kept while the reason lasts (a current customer's
        # relationship), as services.retention stores an open-ended date.
        if until is None or until == OPEN_ENDED:
            when = _("As long as a purpose lasts")
        else:
            when = format_date(until)
        reason = card.keep_reason
        why = card.keep_purpose or REASON_LABELS.get(reason, "")
        if not why:
            return when
        return _("{date} ({reason})").format(date=when, reason=_(why))


def _title(card: ContactCard) -> str:
    detail = card.detail
    name = " ".join(part for part in (detail.first_name, detail.last_name) if part)
    return name or detail.organisation or _("(no name)")
