"""The answer to "what do you hold on me?" (rules 14-16): the access report and its JSON copy.

Owner and privacy officer only (``Permission.ACCESS_REPORT``). The contact is read through
the contact service, so the report shows exactly what the producing user's role may see.
Producing a report is audited (contact id, language, request id; never a value).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.consent import CHANNEL_LABELS, METHOD_LABELS, STATUS_LABELS
from privacycrm_desktop.domain.contacts import LANGUAGE_LABELS, RELATIONSHIP_LABELS
from privacycrm_desktop.domain.errors import FieldProblem, NotFound, ValidationFailed
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
from privacycrm_desktop.domain.provenance import SOURCE_KIND_LABELS, SourceKind
from privacycrm_desktop.domain.purposes import (
    DATA_CATEGORY_LABELS,
    LEGAL_BASIS_LABELS,
    RECIPIENT_KIND_LABELS,
    LegalBasis,
    RecipientKind,
    RetentionTrigger,
    retention_text,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import LANGUAGES, country_name, format_long_date, tr_in
from privacycrm_desktop.persistence.models import Purpose, RightsRequest, Setting
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.backup import backup_max_age_days
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.consent import ConsentService
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.disclosures import DisclosureService
from privacycrm_desktop.services.dto import Actor, ContactDetail, SourceInfo
from privacycrm_desktop.services.requests import request_reference
from privacycrm_desktop.services.setup import SetupService

if TYPE_CHECKING:
    from privacycrm_desktop.reports.access_report import AccessReportData

#: Sources that are the person themselves; the others are told apart (GDPR 14).
FROM_SUBJECT = frozenset(
    {
        SourceKind.WEB_FORM,
        SourceKind.BUSINESS_CARD,
        SourceKind.PHONE_CALL,
        SourceKind.EVENT,
        SourceKind.SALE,
    }
)
#: Purposes a relationship implies, besides those with consent events.
RELATIONSHIP_PURPOSES = {
    "customer": ("customer_relationship", "invoicing"),
    "former_customer": ("customer_relationship", "invoicing"),
    "prospect": ("prospect_follow_up",),
    "supplier": ("customer_relationship",),
    "other": ("customer_relationship",),
}
#: Scalar fields printed, in order; lists (e-mails, phones) come after the name.
_SCALARS_BEFORE = ("first_name", "last_name", "organisation")
_SCALARS_AFTER = (
    "street",
    "postcode",
    "city",
    "country",
    "language",
    "birth_date",
    "relationship",
    "relationship_start",
    "relationship_end",
    "last_interaction",
    "notes",
)


@dataclass(frozen=True)
class _Purpose:
    code: str
    name: str
    description: str
    legal_basis: LegalBasis
    retention_trigger: RetentionTrigger
    retention_months: int


@dataclass(frozen=True)
class AccessReport:
    """A produced report: the PDF, its machine-readable copy, language and reference."""

    pdf: bytes
    json: str
    language: str
    reference: str


class AccessReportService:
    """Makes the access report and the "where did you get my data?" text."""

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        contacts: ContactService,
        consent: ConsentService,
        disclosures: DisclosureService,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._contacts = contacts
        self._consent = consent
        self._disclosures = disclosures
        self._setup = SetupService(uow, clock)

    def produce(
        self,
        actor: Actor,
        contact_id: int,
        language: str | None = None,
        request_id: int | None = None,
    ) -> AccessReport:
        """The access report of *contact_id* in *language* (default: the contact's).

        Raises:
            PermissionDenied: not owner or privacy officer.
            NotFound: no such contact or request.
            ValidationFailed: a language other than nl, fr, en.
        """
        from privacycrm_desktop.reports import access_report as report

        require(actor.role, Permission.ACCESS_REPORT)
        data, document, lang = self._gather(actor, contact_id, language, request_id)
        pdf = report.render(data, lang)
        with self._uow(write=True) as uow:
            record_event(
                uow.session,
                actor=actor.username,
                action="report.access",
                entity="contact",
                entity_id=contact_id,
                at=self._clock.now(),
                detail=f"language={lang};request={request_id or '-'}",
            )
        text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
        return AccessReport(pdf, text + "\n", lang, data.reference)

    def where_from(self, actor: Actor, contact_id: int, language: str | None = None) -> str:
        """A short text in the person's language listing the sources of their data (rule 16)."""
        require(actor.role, Permission.ACCESS_REPORT)
        detail = self._contacts.get(actor, contact_id)
        lang = _language(language, detail)
        sources: dict[int, tuple[SourceInfo, list[str]]] = {}
        for _field, label, _value, source in _data(detail, lang):
            if source is not None:
                sources.setdefault(source.source_id, (source, []))[1].append(label)
        company = self._setup.company()
        lines = [tr_in(lang, "We obtained your data as follows:")]
        for source, labels in sorted(
            sources.values(), key=lambda x: (x[0].obtained_on, x[0].source_id)
        ):
            lines.append(
                "- "
                + tr_in(
                    lang,
                    "{kind}: {description} ({date}): {fields}",
                    kind=tr_in(lang, SOURCE_KIND_LABELS[source.kind]),
                    description=source.description,
                    date=format_long_date(source.obtained_on, lang),
                    fields=", ".join(dict.fromkeys(tr_in(lang, label) for label in labels)),
                )
            )
        if len(lines) == 1:
            lines.append("- " + tr_in(lang, "We hold no data about you with a recorded source."))
        lines.append(tr_in(lang, "Kind regards,\n{company}", company=company.name))
        return "\n".join(lines)

    # -- gathering ------------------------------------------------------------------------

    def _gather(
        self, actor: Actor, contact_id: int, language: str | None, request_id: int | None
    ) -> tuple[AccessReportData, dict[str, Any], str]:
        from privacycrm_desktop.reports import access_report as report

        detail = self._contacts.get(actor, contact_id)
        lang = _language(language, detail)
        today = self._clock.today()
        company = self._setup.company()
        consents = self._consent.history(actor, contact_id)
        disclosures = self._disclosures.disclosures(actor, contact_id)
        wanted = set(RELATIONSHIP_PURPOSES.get(detail.relationship.value, ()))
        wanted |= {c.purpose for c in consents}
        with self._uow() as uow:
            # The purposes that apply, read here rather than through the statement service:
            # one transaction less on the report's time budget.
            chosen = [
                _Purpose(
                    p.code,
                    p.name,
                    p.description,
                    LegalBasis(p.legal_basis),
                    RetentionTrigger(p.retention_trigger),
                    p.retention_months,
                )
                for p in uow.session.scalars(
                    select(Purpose).where(Purpose.code.in_(wanted)).order_by(Purpose.id)
                )
            ]
            setting = uow.session.get(Setting, f"authority.{lang}")
            authority = setting.value if setting is not None else ""
            backup_days = backup_max_age_days(uow.session)
            if request_id is None:
                reference = f"A-{today:%Y%m%d}-{contact_id}"
            else:
                row = uow.session.get(RightsRequest, request_id)
                if row is None:
                    raise NotFound
                reference = request_reference(row.id, row.received_on)

        def source(info: SourceInfo | None) -> report.ReportSource | None:
            if info is None:
                return None
            return report.ReportSource(
                SOURCE_KIND_LABELS[info.kind],
                info.description,
                info.obtained_on,
                info.kind in FROM_SUBJECT,
            )

        data_items = []
        document_data = []
        for field, label, value, info in _data(detail, lang):
            # Held since the day it was obtained (entered later, perhaps, but held since).
            held = info.obtained_on if info is not None else detail.created_at.date()
            data_items.append(report.ReportDatum(label, value, source(info), held))
            document_data.append(
                {
                    "field": field,
                    "value": value,
                    "held_since": held.isoformat(),
                    "source": None
                    if info is None
                    else {
                        "kind": info.kind.value,
                        "description": info.description,
                        "obtained_on": info.obtained_on.isoformat(),
                    },
                }
            )
        others: dict[int, report.ReportSource] = {}
        for _f, _l, _v, info in _data(detail, lang):
            if info is not None and info.kind not in FROM_SUBJECT:
                made = source(info)
                assert made is not None
                others.setdefault(info.source_id, made)
        report_purposes = []
        for p in chosen:
            message, params = retention_text(p.retention_trigger, p.retention_months)
            report_purposes.append(
                report.ReportPurpose(
                    p.name, p.description, LEGAL_BASIS_LABELS[p.legal_basis], message, params
                )
            )
        names = [detail.first_name, detail.last_name]
        subject = " ".join(n for n in names if n) or f"#{contact_id}"
        data = report.AccessReportData(
            controller=company.name,
            address=company.address,
            vat_number=company.vat_number,
            privacy_email=company.privacy_email,
            authority=authority,
            subject=subject,
            reference=reference,
            generated_on=today,
            data=tuple(data_items),
            purposes=tuple(report_purposes),
            keep_until=detail.keep_until,
            consents=tuple(
                report.ReportConsent(
                    c.recorded_at.date(),
                    c.purpose_name,
                    CHANNEL_LABELS[c.channel],
                    STATUS_LABELS[c.status],
                    METHOD_LABELS[c.method],
                )
                for c in consents
            ),
            recipients=tuple(
                report.ReportRecipient(
                    d.recipient,
                    _recipient_kind(d.recipient_kind),
                    d.purpose_name,
                    ", ".join(tr_in(lang, DATA_CATEGORY_LABELS.get(c, c)) for c in d.categories),
                    d.disclosed_on,
                )
                for d in disclosures
            ),
            other_sources=tuple(sorted(others.values(), key=lambda s: s.obtained_on)),
            backup_max_age_days=backup_days,
        )
        document = {
            "controller": {
                "name": company.name,
                "address": company.address,
                "vat_number": company.vat_number,
                "privacy_email": company.privacy_email,
            },
            "contact_id": contact_id,
            "reference": reference,
            "generated_on": today.isoformat(),
            "language": lang,
            "data": document_data,
            "purposes": [
                {
                    "code": p.code,
                    "legal_basis": p.legal_basis.value,
                    "retention_trigger": p.retention_trigger.value,
                    "retention_months": p.retention_months,
                }
                for p in chosen
            ],
            "keep_until": detail.keep_until.isoformat() if detail.keep_until else None,
            "backup_max_age_days": backup_days,
            "consent_history": [
                {
                    "recorded_at": c.recorded_at.isoformat(),
                    "purpose": c.purpose,
                    "channel": c.channel.value,
                    "status": c.status.value,
                    "method": c.method.value,
                }
                for c in consents
            ],
            "recipients": [
                {
                    "name": d.recipient,
                    "kind": d.recipient_kind,
                    "purpose": d.purpose,
                    "categories": list(d.categories),
                    "disclosed_on": d.disclosed_on.isoformat(),
                }
                for d in disclosures
            ],
        }
        return data, document, lang


def _language(language: str | None, detail: ContactDetail) -> str:
    lang = language or detail.language.value
    if language is not None and language not in LANGUAGES:
        raise ValidationFailed([FieldProblem("language", N_("Choose Dutch, French or English."))])
    # A German-speaking contact gets the report in English until there is a German one.
    return lang if lang in LANGUAGES else "en"


def _recipient_kind(kind: str) -> str:
    try:
        return RECIPIENT_KIND_LABELS[RecipientKind(kind)]
    except ValueError:
        return kind


def _data(detail: ContactDetail, lang: str) -> list[tuple[str, str, str, SourceInfo | None]]:
    """(field, label msgid, value as printed, source) for every value the actor may see."""
    out: list[tuple[str, str, str, SourceInfo | None]] = []

    def scalar(field: str) -> None:
        if detail.field_access.get(field, "hidden") == "hidden":
            return
        value: Any = getattr(detail, field)
        if value is None or value == "":
            return
        if isinstance(value, dt.date):
            shown = format_long_date(value, lang)
        elif field == "relationship":
            shown = tr_in(lang, RELATIONSHIP_LABELS[value])
        elif field == "language":
            shown = tr_in(lang, LANGUAGE_LABELS[value])
        elif field == "country":
            shown = country_name(str(value), lang)
        else:
            shown = str(value)
        out.append((field, FIELDS_BY_NAME[field].label, shown, detail.provenance.get(field)))

    for field in _SCALARS_BEFORE:
        scalar(field)
    for item in detail.emails:
        out.append(("emails", N_("E-mail address"), item.value, item.source))
    for item in detail.phones:
        out.append(("phones", N_("Phone number"), item.value, item.source))
    for field in _SCALARS_AFTER:
        scalar(field)
    return out
