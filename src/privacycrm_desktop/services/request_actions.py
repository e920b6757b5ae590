"""Carrying out an objection or erasure request and closing it with its outcome (rules 13, 17).

An objection goes through the consent service's "unsubscribe from all direct marketing"
(opt-outs on every channel plus suppression); an erasure through the erasure service
(rows, search index, WAL; a suppression entry keeps the person from being re-added). A hold
that keeps a contact refuses the erasure and the request stays open.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.consent import ConsentMethod
from privacycrm_desktop.domain.edit_conflicts import input_from
from privacycrm_desktop.domain.erasure import ErasureReason, HoldKeepsContact
from privacycrm_desktop.domain.errors import DomainError, FieldProblem, ValidationFailed
from privacycrm_desktop.domain.fields import rectifiable_fields
from privacycrm_desktop.domain.provenance import SourceInput
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.services.consent import ConsentService
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.disclosures import DisclosureService
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.erasure import ErasureService
from privacycrm_desktop.services.requests import RequestInfo, RequestService


class CannotCarryOut(DomainError):
    """This kind of request is answered by hand (a letter, a report), not carried out."""

    default_message = N_("This request is answered with a letter or a report, then closed.")


def can_carry_out(kind: RequestKind) -> bool:
    """Whether the app carries out a request of *kind* by itself (objection, erasure)."""
    return kind in (RequestKind.OBJECTION, RequestKind.ERASURE)


#: Fields a rectification may change here, as the catalogue marks them (text values; lists
#: and dates go through the editor).
RECTIFIABLE_FIELDS = rectifiable_fields()


@dataclass(frozen=True)
class RectificationDone:
    """A correction made for a request, and the recipients to tell of it (GDPR 19)."""

    rectification_id: int
    old_value: str
    new_value: str
    recipients_to_tell: tuple[str, ...]


class RequestActionService:
    """Carries out objection and erasure requests, then closes them."""

    def __init__(
        self,
        requests: RequestService,
        consent: ConsentService,
        erasure: ErasureService,
        disclosures: DisclosureService,
        contacts: ContactService,
    ) -> None:
        self._contacts = contacts
        self._requests = requests
        self._disclosures = disclosures
        self._consent = consent
        self._erasure = erasure

    def carry_out(self, actor: Actor, request_id: int) -> RequestInfo:
        """Carry out request *request_id* for each of its contacts and close it.

        Raises:
            PermissionDenied: not owner or privacy officer.
            CannotCarryOut: access, rectification, restriction, portability.
            HoldKeepsContact: a hold keeps a contact (the request stays open).
        """
        require(actor.role, Permission.MANAGE_REQUESTS)
        info = self._requests.get(actor, request_id)
        if info.kind is RequestKind.OBJECTION:
            total = 0
            for contact_id in info.contact_ids:
                total += self._consent.unsubscribe(
                    actor,
                    contact_id,
                    method=ConsentMethod.EMAIL_REPLY,
                    evidence=f"rights request {info.reference}",
                )
            outcome = f"Unsubscribed from all direct marketing ({total} opt-outs recorded)."
            return self._requests.close(actor, request_id, outcome)
        if info.kind is RequestKind.ERASURE:
            # Check every contact first, so a hold on one erases none.
            for contact_id in info.contact_ids:
                preview = self._erasure.preview(actor, contact_id)
                if preview.blocked:
                    reason, until = preview.holds[0]
                    raise HoldKeepsContact(until, reason)
            # The recipients to tell (GDPR 19) are known only while the contact exists.
            recipients = sorted(
                {
                    r.name
                    for cid in info.contact_ids
                    for r in self._disclosures.recipients_to_notify(actor, cid)
                }
            )
            for contact_id in info.contact_ids:
                self._erasure.erase(actor, contact_id, ErasureReason.ERASURE_REQUEST)
            outcome = f"Erased {len(info.contact_ids)} contact(s); suppression entry kept."
            if recipients:
                outcome += " Recipients to tell: " + ", ".join(recipients) + "."
            return self._requests.close(actor, request_id, outcome)
        raise CannotCarryOut

    def rectify(
        self,
        actor: Actor,
        request_id: int,
        contact_id: int,
        field: str,
        new_value: str,
        reason: str,
        source: SourceInput,
    ) -> RectificationDone:
        """Correct one value of a contact for a request: the contact is saved through the
        contact service (validation, provenance: *source*), old and new value and the
        reason are kept, and the recipients that received the data are listed.

        Raises:
            PermissionDenied, ValidationFailed, NotFound, EditConflict.
        """
        require(actor.role, Permission.MANAGE_REQUESTS)
        if field not in RECTIFIABLE_FIELDS:
            raise ValidationFailed(
                [FieldProblem("field", N_("This value cannot be corrected here."))]
            )
        if not reason.strip():
            raise ValidationFailed(
                [FieldProblem("reason", N_("Give the reason for the correction."))]
            )
        self._requests.get(actor, request_id)
        detail = self._contacts.get(actor, contact_id)
        old_value = str(getattr(detail, field))
        data = input_from(detail)
        changes: dict[str, Any] = {field: new_value}
        changed = replace(data, **changes)
        saved = self._contacts.update(actor, contact_id, detail.version, changed, source)
        stored = str(getattr(saved, field))
        rectification_id = self._requests.rectify(
            actor, request_id, contact_id, field, old_value, stored, reason
        )
        recipients = self._disclosures.recipients_to_notify(actor, contact_id)
        return RectificationDone(
            rectification_id, old_value, stored, tuple(r.name for r in recipients)
        )
