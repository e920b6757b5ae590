"""The answer to "what do you hold on me?" (rules 14-16): the access report and its JSON copy.

Owner and privacy officer only (``Permission.ACCESS_REPORT``). The contact is read through
the contact service, so the report shows exactly what the producing user's role may see.
Producing a report is audited (contact id, language, request id; never a value).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from privacycrm_desktop.domain.access import FieldAccess, Permission, require
from privacycrm_desktop.domain.consent import CHANNEL_LABELS, METHOD_LABELS, STATUS_LABELS
from privacycrm_desktop.domain.contacts import LANGUAGE_LABELS, RELATIONSHIP_LABELS, SCALAR_FIELDS
from privacycrm_desktop.domain.errors import FieldProblem, NotFound, ValidationFailed
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE, FIELDS_BY_NAME, ValueKind
from privacycrm_desktop.domain.normalize import phone_display
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
from privacycrm_desktop.domain.special_categories import (
    CONSENT_PREFIX,
    SPECIAL_CATEGORY_LABELS,
    SpecialCategory,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import (
    LANGUAGES,
    country_name,
    format_birthday,
    format_long_date,
    local_date,
    local_moment,
    tr_in,
)
from privacycrm_desktop.persistence.models import Purpose, RequestContact, RightsRequest, Setting
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access_report_activities import activity_data
from privacycrm_desktop.services.access_report_tags import tag_data
from privacycrm_desktop.services.access_report_tasks import task_data
from privacycrm_desktop.services.access_report_values import link_text
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.backup import backup_max_age_days
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.consent import ConsentService
from privacycrm_desktop.services.consent_dto import ConsentEventInfo
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.custom_fields import display_value
from privacycrm_desktop.services.disclosures import DisclosureService, SpecialCategoryStatus
from privacycrm_desktop.services.dto import Actor, ContactDetail, SourceInfo
from privacycrm_desktop.services.requests import request_reference
from privacycrm_desktop.services.setup import SetupService

if TYPE_CHECKING:
    from privacycrm_desktop.reports.access_report import AccessReportData, ReportConsent

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
#: Scalar fields printed, in the catalogue's order but for two named differences: the kind
#: (person or company address) is not printed, and the notes, free text that may run long,
#: come last.
_NOT_PRINTED = ("kind",)
_PRINTED_LAST = ("notes",)
_PRINTED = (
    *(f for f in SCALAR_FIELDS if f not in _NOT_PRINTED and f not in _PRINTED_LAST),
    *_PRINTED_LAST,
)
#: The lists (e-mails, phones) are printed where the catalogue has them: after the scalar
#: fields it holds before them (the name and organisation), before the rest.
_FIRST_LIST = next(i for i, spec in enumerate(FIELD_CATALOGUE) if spec.value is ValueKind.LIST)
_BEFORE_LISTS = frozenset(spec.name for spec in FIELD_CATALOGUE[:_FIRST_LIST])
_SCALARS_BEFORE = tuple(f for f in _PRINTED if f in _BEFORE_LISTS)
_SCALARS_AFTER = tuple(f for f in _PRINTED if f not in _BEFORE_LISTS)


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

        With *request_id* the report answers that request: it covers every record the
        request is about (a person on file twice gets both in one report),
        *contact_id* first.

        Raises:
            PermissionDenied: not owner or privacy officer.
            NotFound: no such contact or request.
            ValidationFailed: a language other than nl, fr, en.
        """
        from privacycrm_desktop.reports import access_report as report

        require(actor.role, Permission.ACCESS_REPORT)
        contact_ids = self._record_ids(contact_id, request_id)
        data, document, lang = self._gather(actor, contact_ids, language, request_id)
        pdf = report.render(data, lang)
        with self._uow(write=True) as uow:
            for cid in contact_ids:
                record_event(
                    uow.session,
                    actor=actor.username,
                    action="report.access",
                    entity="contact",
                    entity_id=cid,
                    at=self._clock.now(),
                    detail=f"language={lang};request={request_id or '-'}"
                    + (f";records={len(contact_ids)}" if len(contact_ids) > 1 else ""),
                )
        text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
        return AccessReport(pdf, text + "\n", lang, data.reference)

    def produce_for_request(
        self, actor: Actor, request_id: int, language: str | None = None
    ) -> AccessReport:
        """The access report answering request *request_id*: every record it is about.

        Raises:
            PermissionDenied: not owner or privacy officer.
            NotFound: no such request, or it names no contact.
        """
        require(actor.role, Permission.ACCESS_REPORT)
        ids = self._record_ids(None, request_id)
        if not ids:
            raise NotFound
        return self.produce(actor, ids[0], language, request_id)

    def _record_ids(self, contact_id: int | None, request_id: int | None) -> list[int]:
        """*contact_id* and, for a request, every contact it is about (each once)."""
        ids = [] if contact_id is None else [contact_id]
        if request_id is None:
            return ids
        with self._uow() as uow:
            if uow.session.get(RightsRequest, request_id) is None:
                raise NotFound
            ids += uow.session.scalars(
                select(RequestContact.contact_id)
                .where(RequestContact.request_id == request_id)
                .order_by(RequestContact.contact_id)
            ).all()
        return list(dict.fromkeys(ids))

    def where_from(
        self,
        actor: Actor,
        contact_id: int,
        language: str | None = None,
        *,
        also: Sequence[int] = (),
    ) -> str:
        """A short text in the person's language listing the sources of their data (rule 16);
        with *also*, those of the person's other records too (every record of a request)."""
        require(actor.role, Permission.ACCESS_REPORT)
        from privacycrm_desktop.reports.access_report import ReportSource, source_text

        details = [self._contacts.get(actor, cid) for cid in dict.fromkeys([contact_id, *also])]
        lang = _language(language, details[0])
        sources: dict[int, tuple[SourceInfo, list[str]]] = {}
        for detail in details:
            for _field, label, _value, source in _data(detail, lang):
                if source is not None:
                    sources.setdefault(source.source_id, (source, []))[1].append(label)
        company = self._setup.company()
        lines = [tr_in(lang, "We obtained your data as follows:")]
        for source, labels in sorted(
            sources.values(), key=lambda x: (x[0].obtained_on, x[0].source_id)
        ):
            named = ReportSource(
                SOURCE_KIND_LABELS[source.kind], source.description, source.obtained_on, False
            )
            lines.append(
                "- "
                + tr_in(
                    lang,
                    "{source} ({date}): {fields}",
                    source=source_text(lang, named),
                    date=format_long_date(source.obtained_on, lang),
                    fields=", ".join(dict.fromkeys(tr_in(lang, label) for label in labels)),
                )
            )
        if len(lines) == 1:
            lines.append("- " + tr_in(lang, "We hold no data about you with a recorded source."))
        lines.append(tr_in(lang, "Kind regards,\n{company}", company=company.name))
        return "\n".join(lines)

    # -- gathering ------------------------------------------------------------------------

    def _special(self, actor: Actor, contact_id: int) -> list[SpecialCategoryStatus]:
        """The special categories holding data for *contact_id*, for a role that may see
        them (rule 10); nothing for one that may not."""
        if self._disclosures.special_access(actor) in (FieldAccess.HIDDEN, FieldAccess.MASKED):
            return []
        return [s for s in self._disclosures.special_overview(actor, contact_id) if s.values]

    def _gather(  # noqa: PLR0915 (one report, gathered top to bottom)
        self, actor: Actor, contact_ids: list[int], language: str | None, request_id: int | None
    ) -> tuple[AccessReportData, dict[str, Any], str]:
        from privacycrm_desktop.reports import access_report as report

        details = [self._contacts.get(actor, cid) for cid in contact_ids]
        first = details[0]
        lang = _language(language, first)
        today = self._clock.today()
        company = self._setup.company()
        consents = {d.id: self._consent.history(actor, d.id) for d in details}
        disclosures = {d.id: self._disclosures.disclosures(actor, d.id) for d in details}
        specials = {d.id: self._special(actor, d.id) for d in details}
        wanted: set[str] = set()
        for detail in details:
            wanted |= set(RELATIONSHIP_PURPOSES.get(detail.relationship.value, ()))
            wanted |= {c.purpose for c in consents[detail.id]}
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
                reference = f"A-{today:%Y%m%d}-{first.id}"
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

        records: list[report.ReportRecord] = []
        document_data: list[dict[str, Any]] = []
        document_consents: list[dict[str, Any]] = []
        document_recipients: list[dict[str, Any]] = []
        others: dict[int, report.ReportSource] = {}
        for detail in details:
            data_items = []
            for field, label, value, info in _data(detail, lang):
                # Held since the day it was obtained (entered later, perhaps, but held since).
                held = info.obtained_on if info is not None else detail.created_at.date()
                # The PDF prints a number as people write it (national for the office's
                # country); the machine-readable copy keeps the international form.
                printed = phone_display(value, company.home_country) if field == "phones" else value
                data_items.append(report.ReportDatum(label, printed, source(info), held))
                document_data.append(
                    {
                        "contact_id": detail.id,
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
                if info is not None and info.kind not in FROM_SUBJECT:
                    made = source(info)
                    assert made is not None
                    others.setdefault(info.source_id, made)
            for status in specials[detail.id]:
                # Special-category data (rule 10), for the roles that may see it.
                value = "; ".join(v.value for v in status.values)
                held = min(local_date(v.recorded_at) for v in status.values)
                data_items.append(
                    report.ReportDatum(SPECIAL_CATEGORY_LABELS[status.category], value, None, held)
                )
                document_data.append(
                    {
                        "contact_id": detail.id,
                        "field": f"special_categories.{status.category.value}",
                        "value": value,
                        "held_since": held.isoformat(),
                        "source": None,
                    }
                )
            # The contact's tags (since put on), the copies kept of merges, the
            # interactions (kind, date, summary) and the tasks about them.
            merges = (self._uow, lang)
            tag_items, tag_entries = tag_data(detail, source, others, FROM_SUBJECT, merges)
            more = activity_data(self._uow, self._clock, actor, detail.id, lang, source, others)
            tasks = task_data(self._uow, self._contacts.field_access(actor), detail)
            data_items += tag_items + more[0] + tasks[0]
            document_data += tag_entries + more[1] + tasks[1]
            record_consents = []
            for c in consents[detail.id]:
                record_consents.append(_report_consent(c))
                entry: dict[str, Any] = {
                    "contact_id": detail.id,
                    "recorded_at": local_moment(c.recorded_at).isoformat(),
                    "purpose": c.purpose,
                    "channel": c.channel.value,
                    "status": c.status.value,
                    "method": c.method.value,
                }
                category = _special_category(c)
                if category is not None:
                    entry["special_category"] = category.value
                document_consents.append(entry)
            record_recipients = []
            for d in disclosures[detail.id]:
                record_recipients.append(
                    report.ReportRecipient(
                        d.recipient,
                        _recipient_kind(d.recipient_kind),
                        d.purpose_name,
                        ", ".join(
                            tr_in(lang, DATA_CATEGORY_LABELS.get(c, c)) for c in d.categories
                        ),
                        d.disclosed_on,
                    )
                )
                document_recipients.append(
                    {
                        "contact_id": detail.id,
                        "name": d.recipient,
                        "kind": d.recipient_kind,
                        "purpose": d.purpose,
                        "categories": list(d.categories),
                        "disclosed_on": d.disclosed_on.isoformat(),
                    }
                )
            records.append(
                report.ReportRecord(
                    _record_label(detail),
                    tuple(data_items),
                    detail.keep_until,
                    tuple(record_consents),
                    tuple(record_recipients),
                )
            )
        report_purposes = []
        for p in chosen:
            message, params = retention_text(p.retention_trigger, p.retention_months)
            report_purposes.append(
                report.ReportPurpose(
                    p.name, p.description, LEGAL_BASIS_LABELS[p.legal_basis], message, params
                )
            )
        names = [first.first_name, first.last_name]
        # An organisation's report is addressed to it by name, never by its number.
        subject = " ".join(n for n in names if n) or first.organisation or f"#{first.id}"
        data = report.AccessReportData(
            controller=company.name,
            address=company.address,
            vat_number=company.vat_number,
            privacy_email=company.privacy_email,
            authority=authority,
            subject=subject,
            reference=reference,
            generated_on=today,
            data=tuple(d for r in records for d in r.data),
            purposes=tuple(report_purposes),
            keep_until=first.keep_until,
            consents=tuple(c for r in records for c in r.consents),
            recipients=tuple(x for r in records for x in r.recipients),
            other_sources=tuple(sorted(others.values(), key=lambda s: s.obtained_on)),
            backup_max_age_days=backup_days,
            records=tuple(records) if len(records) > 1 else (),
        )
        document = {
            "controller": {
                "name": company.name,
                "address": company.address,
                "vat_number": company.vat_number,
                "privacy_email": company.privacy_email,
            },
            "contact_id": first.id,
            "contact_ids": [d.id for d in details],
            "records": [
                {
                    "contact_id": d.id,
                    "keep_until": d.keep_until.isoformat() if d.keep_until else None,
                }
                for d in details
            ],
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
            "keep_until": first.keep_until.isoformat() if first.keep_until else None,
            "backup_max_age_days": backup_days,
            "consent_history": document_consents,
            "recipients": document_recipients,
            "company_links": [
                {
                    "contact_id": d.id,
                    "company_id": link.company_id,
                    "company": link.company_name,
                    "function": link.function,
                    "department": link.department,
                    "started_on": link.started_on.isoformat() if link.started_on else None,
                    "ended_on": link.ended_on.isoformat() if link.ended_on else None,
                }
                for d in details
                for link in d.companies
            ],
        }
        return data, document, lang


def _record_label(detail: ContactDetail) -> str:
    """A record as the report names it when it covers several: "#911 Jan Peeters"."""
    name = " ".join(n for n in (detail.first_name, detail.last_name) if n) or detail.organisation
    return f"#{detail.id} {name}".strip()


def _special_category(event: ConsentEventInfo) -> SpecialCategory | None:
    """The special category a written consent is about, None for any other consent."""
    code = event.product_category.removeprefix(CONSENT_PREFIX)
    if event.product_category.startswith(CONSENT_PREFIX) and code in set(SpecialCategory):
        return SpecialCategory(code)
    return None


def _report_consent(event: ConsentEventInfo) -> ReportConsent:
    """A consent event as the report lists it: a written consent for special-category data
    says so and names its category, not "customer relationship / post"."""
    from privacycrm_desktop.reports.access_report import ReportConsent

    on = local_date(event.recorded_at)
    category = _special_category(event)
    if category is not None or event.withheld:
        return ReportConsent(
            on,
            N_("Written consent for special-category data"),
            N_("In writing"),
            STATUS_LABELS[event.status],
            METHOD_LABELS[event.method],
            SPECIAL_CATEGORY_LABELS[category] if category is not None else "",
        )
    return ReportConsent(
        on,
        event.purpose_name,
        CHANNEL_LABELS[event.channel],
        STATUS_LABELS[event.status],
        METHOD_LABELS[event.method],
    )


def _language(language: str | None, detail: ContactDetail) -> str:
    lang = language or detail.language.value
    if language is not None and language not in LANGUAGES:
        raise ValidationFailed([FieldProblem("language", N_("Choose Dutch, French or English."))])
    # A German-speaking contact gets the report in English until there is a German one.
    return lang if lang in LANGUAGES else "en"


def _recipient_kind(kind: str) -> str:
    known = kind in RecipientKind._value2member_map_
    return RECIPIENT_KIND_LABELS[RecipientKind(kind)] if known else kind


def _data(detail: ContactDetail, lang: str) -> list[tuple[str, str, str, SourceInfo | None]]:
    """(field, label msgid, value as printed, source) for every value the actor may see."""
    out: list[tuple[str, str, str, SourceInfo | None]] = []

    def scalar(field: str) -> None:
        if detail.field_access.get(field, "hidden") == "hidden":
            return
        value: Any = getattr(detail, field)
        if value is None or value == "":
            return
        if field == "birth_date" and isinstance(value, dt.date):
            shown = format_birthday(value, lang)
        elif isinstance(value, dt.date):
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
    for link in detail.companies:
        out.append(
            ("company_links", N_("Company and function"), link_text(link, lang), link.source)
        )
    for cv in detail.custom:  # the owner's fields, labelled in the person's language
        label = dict(cv.labels).get(lang) or cv.label
        out.append((cv.name, label, display_value(cv.kind, cv.value, lang), cv.source))
    return out
