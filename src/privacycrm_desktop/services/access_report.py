"""The answer to "what do you hold on me?" (rules 14-16): the access report and its JSON copy.

Owner and privacy officer only (``Permission.ACCESS_REPORT``). The contact is read through
the contact service, so the report shows exactly what the producing user's role may see.
Giving a report is audited (contact id, language, request id; never a value): ``save``
writes it and only then records it, so the trail never claims a report no one received.
``produce`` makes one in memory (a check, a test) and records nothing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from privacycrm_desktop.domain.access import FieldAccess, Permission, require
from privacycrm_desktop.domain.errors import FieldProblem, NotFound, ValidationFailed
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
    SPECIAL_CATEGORY_LABELS,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import (
    LANGUAGES,
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
from privacycrm_desktop.services.access_report_values import (
    printed_values,
    report_consent,
    special_category_of,
)
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.backup import backup_max_age_days
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.consent import ConsentService
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.disclosures import DisclosureService, SpecialCategoryStatus
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
        """The access report of *contact_id* in *language* (default: the contact's), in
        memory: nothing is recorded (``save`` gives it).

        With *request_id* the report answers that request: it covers every record the
        request is about (a person on file twice gets both in one report),
        *contact_id* first.

        Raises:
            PermissionDenied: not owner or privacy officer.
            NotFound: no such contact or request.
            ValidationFailed: a language other than nl, fr, en.
        """
        return self._make(actor, contact_id, language, request_id)[0]

    def save(
        self,
        actor: Actor,
        contact_id: int,
        out: Path,
        *,
        json_out: Path | None = None,
        language: str | None = None,
        request_id: int | None = None,
    ) -> AccessReport:
        """Make the report (as ``produce``), write the PDF to *out* and its JSON copy to
        *json_out*, then record it given; a file not written leaves no trail of a report.

        Raises:
            ExportNotWritten: a file could not be written (nothing is left of either).
            and what ``produce`` raises.
        """
        from privacycrm_desktop.services.exports import ExportNotWritten
        from privacycrm_desktop.services.private_files import write_private

        made, contact_ids = self._make(actor, contact_id, language, request_id)
        files = [(Path(out), made.pdf)] + ([(Path(json_out), made.json)] if json_out else [])
        written: list[Path] = []
        try:
            for path, data in files:
                written.append(write_private(path, data))
        except OSError as error:
            for path in written:  # a PDF without its copy is no report given either
                with contextlib.suppress(OSError):
                    path.unlink()
            raise ExportNotWritten.of(error) from None
        with self._uow(write=True) as uow:
            for cid in contact_ids:
                record_event(
                    uow.session,
                    actor=actor.username,
                    action="report.access",
                    entity="contact",
                    entity_id=cid,
                    at=self._clock.now(),
                    detail=f"language={made.language};request={request_id or '-'}"
                    + (f";records={len(contact_ids)}" if len(contact_ids) > 1 else ""),
                )
        return made

    def _make(
        self, actor: Actor, contact_id: int, language: str | None, request_id: int | None
    ) -> tuple[AccessReport, list[int]]:
        """The report and the records it covers."""
        from privacycrm_desktop.reports import access_report as report

        require(actor.role, Permission.ACCESS_REPORT)
        contact_ids = self._record_ids(contact_id, request_id)
        data, document, lang = self._gather(actor, contact_ids, language, request_id)
        pdf = report.render(data, lang)
        text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
        return AccessReport(pdf, text + "\n", lang, data.reference), contact_ids

    def produce_for_request(
        self, actor: Actor, request_id: int, language: str | None = None
    ) -> AccessReport:
        """The access report answering request *request_id*: every record it is about
        (in memory, as ``produce``).

        Raises:
            PermissionDenied: not owner or privacy officer.
            NotFound: no such request, or it names no contact.
        """
        return self.produce(actor, self._first_record(actor, request_id), language, request_id)

    def save_for_request(
        self, actor: Actor, request_id: int, out: Path, *, json_out: Path | None = None
    ) -> AccessReport:
        """``produce_for_request``, written and recorded as ``save`` does."""
        first = self._first_record(actor, request_id)
        return self.save(actor, first, out, json_out=json_out, request_id=request_id)

    def _first_record(self, actor: Actor, request_id: int) -> int:
        require(actor.role, Permission.ACCESS_REPORT)
        ids = self._record_ids(None, request_id)
        if not ids:
            raise NotFound
        return ids[0]

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
            for _field, label, _value, source in printed_values(detail, lang):
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
            for field, label, value, info in printed_values(detail, lang):
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
                record_consents.append(report_consent(c))
                entry: dict[str, Any] = {
                    "contact_id": detail.id,
                    "recorded_at": local_moment(c.recorded_at).isoformat(),
                    "purpose": c.purpose,
                    "channel": c.channel.value,
                    "status": c.status.value,
                    "method": c.method.value,
                }
                category = special_category_of(c)
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


def _language(language: str | None, detail: ContactDetail) -> str:
    lang = language or detail.language.value
    if language is not None and language not in LANGUAGES:
        raise ValidationFailed([FieldProblem("language", N_("Choose Dutch, French or English."))])
    # A German-speaking contact gets the report in English until there is a German one.
    return lang if lang in LANGUAGES else "en"


def _recipient_kind(kind: str) -> str:
    known = kind in RecipientKind._value2member_map_
    return RECIPIENT_KIND_LABELS[RecipientKind(kind)] if known else kind
