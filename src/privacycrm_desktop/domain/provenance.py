"""Provenance: where each personal value came from (rules 8 and 16)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.errors import FieldProblem, SourceMissing, ValidationFailed
from privacycrm_desktop.domain.normalize import EARLIEST_DATE, InvalidValue, clean_text
from privacycrm_desktop.domain.text import N_

MAX_SOURCE_DESCRIPTION = 500


class SourceKind(StrEnum):
    """How a datum reached the business."""

    WEB_FORM = "web_form"
    BUSINESS_CARD = "business_card"
    PHONE_CALL = "phone_call"
    EVENT = "event"
    SALE = "sale"
    IMPORT_FILE = "import_file"
    THIRD_PARTY = "third_party"
    REFERRAL = "referral"


SOURCE_KIND_LABELS = {
    SourceKind.WEB_FORM: N_("Web form"),
    SourceKind.BUSINESS_CARD: N_("Business card"),
    SourceKind.PHONE_CALL: N_("Phone call"),
    SourceKind.EVENT: N_("Event"),
    SourceKind.SALE: N_("Sale"),
    SourceKind.IMPORT_FILE: N_("Import file"),
    SourceKind.THIRD_PARTY: N_("Third party"),
    SourceKind.REFERRAL: N_("Referral"),
}


@dataclass(frozen=True)
class SourceInput:
    """A source as a person declares it."""

    kind: SourceKind | None
    description: str
    obtained_on: dt.date | None = None


def validate_source(source: SourceInput | None, today: dt.date) -> SourceInput:
    """Require a kind and a description; default the date to today; refuse future dates."""
    if source is None or source.kind is None:
        raise SourceMissing
    try:
        description = clean_text(source.description)
    except InvalidValue as exc:
        raise ValidationFailed(
            [FieldProblem("source_description", exc.message, dict(exc.params))]
        ) from None
    if not description:
        raise SourceMissing
    if len(description) > MAX_SOURCE_DESCRIPTION:
        raise ValidationFailed(
            [
                FieldProblem(
                    "source_description",
                    N_("Too long: at most {limit} characters."),
                    {"limit": MAX_SOURCE_DESCRIPTION},
                )
            ]
        )
    obtained = source.obtained_on or today
    if obtained > today:
        raise ValidationFailed(
            [FieldProblem("source_obtained_on", N_("A source cannot be dated in the future."))]
        )
    if obtained < EARLIEST_DATE:
        raise ValidationFailed(
            [
                FieldProblem(
                    "source_obtained_on",
                    N_("A source cannot be dated before {year}."),
                    {"year": str(EARLIEST_DATE.year)},
                )
            ]
        )
    return SourceInput(kind=SourceKind(source.kind), description=description, obtained_on=obtained)
