"""Letters answering rights requests, in nl, fr and en (rules 12, 16, 21).

Templates live in ``resources/letters/{language}/{letter}.txt`` with ``{placeholders}``;
the service fills in the controller's identity, the dates and the request reference.
Values are inserted once and never parsed again, so braces in a name stay as they are.
"""

from __future__ import annotations

import re
from enum import StrEnum

from privacycrm_desktop.config import resources_dir
from privacycrm_desktop.domain.access import FieldAccess, Permission, require
from privacycrm_desktop.domain.errors import FieldProblem, NotFound, ValidationFailed
from privacycrm_desktop.domain.postal import PostalAddress, address_lines
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import LANGUAGES, country_name, format_long_date, tr_in
from privacycrm_desktop.persistence.models import Setting
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access_report import AccessReportService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.disclosures import DisclosureService, RecipientInfo
from privacycrm_desktop.services.dto import Actor, ContactDetail
from privacycrm_desktop.services.requests import REQUEST_KIND_LABELS, RequestService
from privacycrm_desktop.services.setup import SetupService


class Letter(StrEnum):
    """The letters a request may need."""

    ACKNOWLEDGEMENT = "acknowledgement"
    EXTENSION = "extension"
    ACCESS_COVER = "access_cover"
    ERASURE_DONE = "erasure_done"
    REFUSAL = "refusal"


LETTER_LABELS = {
    Letter.ACKNOWLEDGEMENT: N_("Acknowledgement of receipt"),
    Letter.EXTENSION: N_("Extension of the deadline"),
    Letter.ACCESS_COVER: N_("Cover letter of the access report"),
    Letter.ERASURE_DONE: N_("Erasure carried out"),
    Letter.REFUSAL: N_("Refusal with reason"),
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
#: The fields the envelope's window shows (all readable, or no address is printed).
_WINDOW_FIELDS = ("first_name", "last_name", "street", "postcode", "city", "country")


def template(letter: Letter, language: str) -> str:
    """The shipped template of *letter* in *language*."""
    path = resources_dir() / "letters" / language / f"{Letter(letter).value}.txt"
    return path.read_text(encoding="utf-8")


class LetterService:
    """Fills in the letters of a request."""

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        requests: RequestService,
        contacts: ContactService,
        disclosures: DisclosureService,
        access_reports: AccessReportService,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._requests = requests
        self._contacts = contacts
        self._disclosures = disclosures
        self._reports = access_reports
        self._setup = SetupService(uow, clock)

    def render(
        self,
        actor: Actor,
        request_id: int,
        letter: Letter,
        language: str | None = None,
        reason: str = "",
    ) -> str:
        """The text of *letter* for request *request_id* (language: the person's).

        Raises:
            PermissionDenied: not owner or privacy officer.
            ValidationFailed: a refusal without a reason; an unknown language.
        """
        return self._compose(actor, request_id, letter, language, reason)[0]

    def render_pdf(
        self,
        actor: Actor,
        request_id: int,
        letter: Letter,
        language: str | None = None,
        reason: str = "",
    ) -> bytes:
        """*letter* for request *request_id* as a PDF to print or attach, in the same words
        as ``render`` gives (language: the person's).

        Raises:
            PermissionDenied: not owner or privacy officer.
            ValidationFailed: a refusal without a reason; an unknown language.
        """
        from privacycrm_desktop.reports import letter as layout
        from privacycrm_desktop.services.post import letterhead

        text, lang, contact = self._compose(actor, request_id, letter, language, reason)
        title = tr_in(lang, LETTER_LABELS[Letter(letter)])
        reference = self._requests.get(actor, request_id).reference
        company = self._setup.company()
        # The letterhead names the company: the template's own first lines would repeat it.
        heading = f"{company.name}\n{company.address}\n"
        if company.name and text.startswith(heading):
            text = text[len(heading) :].lstrip("\n")
        head = letterhead(self._uow, company)
        footer = f"{company.name} · {title} · {reference}"
        address = _window_address(contact, lang, company.home_country)
        return layout.render(text, lang, title, footer, head, address)

    def _compose(
        self,
        actor: Actor,
        request_id: int,
        letter: Letter,
        language: str | None,
        reason: str,
    ) -> tuple[str, str, ContactDetail | None]:
        """The letter's text, its language and the person it goes to (when still there);
        making it is on record."""
        require(actor.role, Permission.MANAGE_REQUESTS)
        letter = Letter(letter)
        info = self._requests.get(actor, request_id)
        contact = self._contact(actor, info.contact_ids)
        lang = language or (contact.language.value if contact else actor.language)
        if lang not in LANGUAGES:
            if language is not None:
                raise ValidationFailed(
                    [FieldProblem("language", N_("Choose Dutch, French or English."))]
                )
            lang = "en"
        reason = reason.strip() or info.extension_reason if letter is Letter.EXTENSION else reason
        if letter in (Letter.REFUSAL, Letter.EXTENSION) and not reason.strip():
            raise ValidationFailed([FieldProblem("reason", N_("Give the reason."))])
        company = self._setup.company()
        name = ""
        if contact is not None:
            name = " ".join(n for n in (contact.first_name, contact.last_name) if n)
        name = name or info.requester
        values = {
            "company": company.name,
            "address": company.address,
            "privacy_contact": company.privacy_email,
            "today": format_long_date(self._clock.today(), lang),
            "reference": info.reference,
            "name": name,
            "kind": tr_in(lang, REQUEST_KIND_LABELS[info.kind]),
            "received": format_long_date(info.received_on, lang),
            "due": format_long_date(info.due_on, lang),
            "reason": reason.strip(),
            "authority": self._setting(f"authority.{lang}"),
            "sources": "",
            "recipients": "",
        }
        if letter is Letter.ACCESS_COVER and contact is not None:
            lines = self._reports.where_from(
                actor, contact.id, lang, also=info.contact_ids
            ).splitlines()
            values["sources"] = "\n".join(line for line in lines if line.startswith("- "))
        if letter is Letter.ERASURE_DONE:
            names = sorted(
                {r.name for cid in info.contact_ids for r in self._recipients(actor, cid)}
            )
            values["recipients"] = ", ".join(names) or "-"
        text = _PLACEHOLDER.sub(
            lambda m: values.get(m.group(1), m.group(0)), template(letter, lang)
        )
        with self._uow(write=True) as uow:
            record_event(
                uow.session,
                actor=actor.username,
                action="request.letter",
                entity="rights_request",
                entity_id=request_id,
                at=self._clock.now(),
                detail=f"letter={letter.value};language={lang}",
            )
        return text, lang, contact

    def _contact(self, actor: Actor, contact_ids: tuple[int, ...]) -> ContactDetail | None:
        """The first contact still there (an erased one is gone: the letter still goes)."""
        for cid in contact_ids:
            try:
                return self._contacts.get(actor, cid)
            except NotFound:
                continue
        return None

    def _recipients(self, actor: Actor, contact_id: int) -> list[RecipientInfo]:
        try:
            return self._disclosures.recipients_to_notify(actor, contact_id)
        except NotFound:
            return []

    def _setting(self, key: str) -> str:
        with self._uow() as uow:
            row = uow.session.get(Setting, key)
            return row.value if row is not None else ""


def _window_address(contact: ContactDetail | None, language: str, home: str) -> tuple[str, ...]:
    """The postal address of the request's person, as the envelope's window shows it;
    none when the person is gone, has no street and town on file, or when the role may
    not read all of its address (a masked street is no address)."""
    if contact is None:
        return ()
    readable = (FieldAccess.READ.value, FieldAccess.WRITE.value)
    if any(contact.field_access.get(f) not in readable for f in _WINDOW_FIELDS):
        return ()
    address = PostalAddress(
        " ".join(n for n in (contact.first_name, contact.last_name) if n),
        contact.organisation,
        contact.street,
        contact.postcode,
        contact.city,
        (contact.country or home).upper(),
    )
    if not address.complete:
        return ()
    return tuple(address_lines(address, home, country_name(address.country, language)))
