"""Erasure and anonymisation: why a contact goes, and what may stay (rules 8, 9, 17)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from privacycrm_desktop.domain.errors import DomainError, NotFound
from privacycrm_desktop.domain.suppression import SuppressionReason
from privacycrm_desktop.domain.text import N_


class ErasureReason(StrEnum):
    """Why a contact is erased or anonymised (stored in the ledger and the audit trail)."""

    #: The person asked to be forgotten: their points go on the suppression list.
    ERASURE_REQUEST = "erasure_request"
    #: The person objected to all processing: their points go on the suppression list.
    OBJECTION = "objection"
    #: The keep-until date passed (the annual cleanup).
    RETENTION_EXPIRED = "retention_expired"
    OTHER = "other"

    @classmethod
    def parse(cls, text: str) -> ErasureReason:
        """The reason a code names ("erasure-request" and "Erasure request" too).

        Free text is refused rather than read as "other": "asked to be forgotten" taken as
        "other" once skipped the suppression list without a word (and free text may name
        the person, so it is never stored).

        Raises:
            UnknownErasureReason: *text* names no reason.
        """
        try:
            return cls(text.strip().lower().replace("-", "_").replace(" ", "_"))
        except ValueError:
            raise UnknownErasureReason(text) from None


ERASURE_REASON_LABELS = {
    ErasureReason.ERASURE_REQUEST: N_("The person asked to be forgotten"),
    ErasureReason.OBJECTION: N_("The person objected"),
    ErasureReason.RETENTION_EXPIRED: N_("Keep-until date passed"),
    ErasureReason.OTHER: N_("Other reason"),
}

#: Reasons that put the person's e-mail addresses, numbers and name + postcode on the
#: suppression list, and with which suppression reason.
SUPPRESSED_AS = {
    ErasureReason.ERASURE_REQUEST: SuppressionReason.ERASURE,
    ErasureReason.OBJECTION: SuppressionReason.OBJECTION,
}


class UnknownErasureReason(DomainError):
    """An erase reason that is none of the codes; the message lists the valid ones."""

    default_message = N_('Unknown reason "{reason}"; give one of: {choices}. Nothing was erased.')

    def __init__(self, reason: str) -> None:
        super().__init__(
            None, reason=reason.strip()[:60], choices=", ".join(r.value for r in ErasureReason)
        )


class AlreadyErased(NotFound):
    """The contact was erased already (by another desk a moment ago, or earlier)."""

    default_message = N_("This contact has already been erased; nothing more to do.")


class HoldKeepsContact(DomainError):
    """A hold (a legal obligation, a dispute) keeps the contact: it may not be erased yet."""

    default_message = N_(
        "This contact must be kept until {date} ({reason}). Nothing was erased; end the "
        "hold first if it no longer applies."
    )

    def __init__(self, until: dt.date, reason: str) -> None:
        super().__init__(None, date=until.isoformat(), reason=reason)


def postcode_region(postcode: str) -> str:
    """The non-identifying part of a postcode kept for statistics: its first two digits
    (a Belgian province area), or "" when it does not start with two digits."""
    head = postcode.strip()[:2]
    return head if len(head) == 2 and head.isdigit() else ""
