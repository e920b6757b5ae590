"""The card beside the contact list: the selected contact at a glance, with its actions.

It shows what ``ContactService.card`` returns, read in one unit of work per selection:
name and organisation, the companies the person works (or worked) at with their function
and department (a company's name opens its card), the tags as coloured chips, the e-mail
addresses (mailto:) and phone numbers (tel:) with where each came from, the consent per
purpose and channel in a sentence each, the keep-until date and why, the open requests,
and the interactions (``timeline``; an e-mail file dropped on the card is logged there).
A field hidden from the role is not on the card at all; a masked one shows masked,
without a link. No ORM object stays on the widget: only the frozen card (and only until
the next selection).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QBoxLayout,
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
from privacycrm_desktop.i18n import N_, _, current_language, describe_error, describe_explanation
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.custom_fields import display_value
from privacycrm_desktop.services.dto import (
    Actor,
    CompanyLinkInfo,
    ConsentLine,
    ContactCard,
    SourceInfo,
    TagMark,
)
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.date_fields import format_date

if TYPE_CHECKING:
    from privacycrm_desktop.services.activities import ActivityService
    from privacycrm_desktop.services.tags import TagInfo
    from privacycrm_desktop.ui.contacts.timeline import TimelineWidget

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
#: The card's links to a company: "company:<id>".
COMPANY_LINK = "company:"
#: Above this luminance a chip is written in black, below in white.
_LIGHT = 0.6


def source_line(source: SourceInfo) -> str:
    """Where a value came from, on one line (the editor's source text)."""
    from privacycrm_desktop.ui.common.widgets import describe_source

    return describe_source(source).replace("\n", " · ")


class ContactCardWidget(QScrollArea):
    """The selected contact; ``action`` is emitted with an action name and the contact id,
    ``company_chosen`` with a company's id when its name is clicked (or Enter on it)."""

    action = Signal(str, int)
    company_chosen = Signal(int)

    def __init__(
        self,
        contacts: ContactService,
        actor: Actor,
        home_country: str = DEFAULT_REGION,
        parent: QWidget | None = None,
        available: Callable[[str], bool] | None = None,
        activities: ActivityService | Callable[[], ActivityService] | None = None,
    ) -> None:
        """*activities* (the service, or a function giving it): the interactions below the
        card's text; given a function, their list is made at the first use of ``timeline``
        (the main window: right after the first paint, which does not need it)."""
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
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # a name is never markup
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        #: Where the name came from, under it.
        self.title_source = QLabel()
        self.title_source.setObjectName("card_title_source")
        self.title_source.setWordWrap(True)
        self.title_source.setTextFormat(Qt.TextFormat.PlainText)
        small = self.title_source.font()
        small.setPointSizeF(small.pointSizeF() * 0.85)
        self.title_source.setFont(small)
        self.body = self._make_body()
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
        #: The body and the interactions: one above the other beside the list, side by
        #: side below it (``arrange_content``).
        self._content = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._content.addWidget(self.body)
        self._layout.addLayout(self._content, 1)
        self._prepare_timeline(activities, inner)
        self.setWidget(inner)
        self.show_nothing()

    def _make_body(self) -> QLabel:
        body = QLabel()
        body.setObjectName("card_body")
        body.setWordWrap(True)
        body.setTextFormat(Qt.TextFormat.RichText)
        body.setOpenExternalLinks(False)
        body.linkActivated.connect(self._link)
        body.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        return body

    def _prepare_timeline(
        self, activities: ActivityService | Callable[[], ActivityService] | None, inner: QWidget
    ) -> None:
        """Keep what the interactions need; without their service, room instead. Given
        the service itself, they are made now; given a function, at their first use."""
        self._activities = activities
        self._timeline: TimelineWidget | None = None
        self._inner = inner
        if activities is None:
            self._content.addStretch(1)
        elif not callable(activities):
            self.timeline  # noqa: B018 (made now)

    @property
    def timeline_made(self) -> TimelineWidget | None:
        """The interactions if made already (``timeline`` makes them)."""
        return self._timeline

    @property
    def timeline(self) -> TimelineWidget | None:
        """The interactions below the body (None without their service), made at the first
        use; e-mail files may then be dropped on the card by a role that logs them."""
        if self._timeline is None and self._activities is not None:
            from privacycrm_desktop.ui.contacts.timeline import TimelineWidget

            activities = self._activities
            contacts, actor = self._contacts, self._actor
            timeline = TimelineWidget(
                activities() if callable(activities) else activities,
                actor,
                self._inner,
                find_people=lambda query: contacts.page(actor, query=query, limit=50),
            )
            timeline.changed.connect(self._refresh_body)
            self._content.addWidget(timeline, 1)
            self.setAcceptDrops(timeline.may_log)
            self._timeline = timeline
            timeline.show_contact(self.contact_id)
        return self._timeline

    def arrange_buttons(self, per_row: int) -> None:
        """Lay the buttons out *per_row* to a row (all in one below the list)."""
        for button in self.buttons.values():
            self._grid.removeWidget(button)
        for position, button in enumerate(self.buttons.values()):
            self._grid.addWidget(button, position // per_row, position % per_row)

    def arrange_content(self, beside_list: bool) -> None:
        """The interactions under the card's text on a card beside the list; beside its
        text on a card below the list (wide and low: at 1024 x 600 they stay in sight)."""
        direction = QBoxLayout.Direction.TopToBottom
        if not beside_list and self._activities is not None:
            direction = QBoxLayout.Direction.LeftToRight
        self._content.setDirection(direction)
        self._content.setStretch(0, 0 if beside_list else 1)

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
        if self._timeline is not None:
            self._timeline.show_contact(None)

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
        if self._timeline is not None:
            self._timeline.show_contact(contact_id)

    def _refresh_body(self) -> None:
        """After an interaction was logged: the keep-until date may have moved."""
        if self.contact_id is None:
            return
        try:
            self.card = self._contacts.card(self._actor, self.contact_id)
        except DomainError:
            return
        self.body.setText(self._html(self.card))

    # -- an e-mail file dropped on the card -------------------------------------------

    @staticmethod
    def _dropped_files(event: QDragEnterEvent | QDropEvent) -> list[Path]:
        data = event.mimeData()
        if not data.hasUrls():
            return []
        return [Path(url.toLocalFile()) for url in data.urls() if url.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        from privacycrm_desktop.ui.contacts.timeline import MAIL_SUFFIXES

        files = self._dropped_files(event)
        mails = [f for f in files if f.suffix.lower() in (*MAIL_SUFFIXES, ".msg")]
        if self.timeline is not None and self.timeline.contact_id is not None and mails:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        from privacycrm_desktop.ui.contacts.timeline import MAIL_SUFFIXES

        if self.timeline is None or self.timeline.contact_id is None:
            event.ignore()
            return
        files = self._dropped_files(event)
        logged = 0
        for path in files:
            suffix = path.suffix.lower()
            if suffix in MAIL_SUFFIXES:
                logged += int(self.timeline.log_mail_file(path))
            elif suffix == ".msg":
                # No maintained library reads Outlook's format among our dependencies.
                messages.information(
                    self,
                    _("PrivacyCRM"),
                    _(
                        "Outlook .msg files cannot be read. Save the message as .eml "
                        "(File, Save as) and drop that file here."
                    ),
                )
        if logged:
            event.acceptProposedAction()
        else:
            event.ignore()

    def _link(self, link: str) -> None:
        """A company's name opens its card; mailto: and tel: go to the system."""
        if link.startswith(COMPANY_LINK):
            self.company_chosen.emit(int(link.removeprefix(COMPANY_LINK)))
        else:
            QDesktopServices.openUrl(QUrl(link))

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
        section(_("Companies"), [self._company_line(link) for link in detail.companies])
        if detail.tags:
            section(_("Tags"), [" ".join(tag_chip(tag) for tag in detail.tags)])
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
        # The owner's custom fields: a line each, its label in the user's language.
        language = current_language()
        section(
            _("Custom fields"),
            [
                sourced(
                    escape(
                        _("{label}: {value}").format(
                            label=dict(v.labels).get(language) or v.label,
                            value=display_value(v.kind, v.value) if not v.masked else v.value,
                        )
                    ),
                    v.source,
                )
                for v in detail.custom
            ],
        )
        section(_("Consent"), [self._consent_line(line) for line in card.consent])
        section(_("Keep until"), [escape(self._keep_text(card))])
        from privacycrm_desktop.services.requests import REQUEST_KIND_LABELS

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
    def _company_line(link: CompanyLinkInfo) -> str:
        """The company (a link to its card), the function and department, and the dates
        of a past place."""
        name = link.company_name or _("(company hidden)")
        shown = f'<a href="{COMPANY_LINK}{link.company_id}">{escape(name)}</a>'
        role = ", ".join(p for p in (link.function, link.department) if p)
        if role:
            shown = _("{company} – {function}").format(company=shown, function=escape(role))
        if link.ended_on is not None:
            shown += " " + escape(_("(until {date})").format(date=format_date(link.ended_on)))
        elif link.started_on is not None:
            shown += " " + escape(_("(since {date})").format(date=format_date(link.started_on)))
        return shown

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


def tag_chip(tag: TagMark | TagInfo) -> str:
    """A tag as a coloured chip: its name on its colour, in black or white, whichever
    reads better."""
    colour = QColor(tag.colour)
    luminance = 0.299 * colour.redF() + 0.587 * colour.greenF() + 0.114 * colour.blueF()
    ink = "#000000" if luminance > _LIGHT else "#ffffff"
    return (
        f'<span style="background-color:{escape(colour.name(), quote=True)};color:{ink}">'
        f"&nbsp;{escape(tag.name)}&nbsp;</span>"
    )


def _title(card: ContactCard) -> str:
    detail = card.detail
    name = " ".join(part for part in (detail.first_name, detail.last_name) if part)
    return name or detail.organisation or _("(no name)")
