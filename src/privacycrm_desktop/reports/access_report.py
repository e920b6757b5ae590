"""The access report (GDPR 15, rule 14): everything held on one person, in their language.

Written for someone who is not a lawyer: who we are, a short summary, each datum with
where it came from and since when it is held, why it is kept and until when, the consent
history, who received it, where it came from when not from the person, and their rights.

Built from plain values the access report service gathers. Labels arrive as msgids and
are translated here; every value from the database is escaped before it reaches
``Paragraph`` markup (CVE-2023-33733). The same data gives the same bytes (invariant PDF).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import tr_in
from privacycrm_desktop.reports.styles import FONT, FONT_BOLD, build_pdf, long_date, styles, text

#: A value longer than this is printed below its table, where it may run over pages.
LONG_VALUE = 400
_PADDING = 3
_CELL_SIZE = 8


@dataclass(frozen=True)
class ReportSource:
    """Where a value came from: kind (msgid), description, date obtained."""

    kind: str
    description: str
    obtained_on: dt.date
    from_subject: bool


@dataclass(frozen=True)
class ReportDatum:
    """One personal datum: label (msgid), value as printed, source, held since."""

    label: str
    value: str
    source: ReportSource | None
    held_since: dt.date | None


@dataclass(frozen=True)
class ReportPurpose:
    """A purpose with its legal basis and retention rule (msgids and params)."""

    name: str
    description: str
    legal_basis: str
    retention: str
    retention_params: dict[str, int]


@dataclass(frozen=True)
class ReportConsent:
    """One event of the consent history (labels are msgids)."""

    on: dt.date
    purpose: str
    channel: str
    status: str
    method: str
    #: What the consent is about beyond its purpose (msgid): the special category of a
    #: written consent for special-category data ("Health").
    detail: str = ""


@dataclass(frozen=True)
class ReportRecipient:
    """One disclosure: to whom, of what, why and when."""

    name: str
    kind: str
    purpose: str
    categories: str
    disclosed_on: dt.date


@dataclass(frozen=True)
class ReportRecord:
    """One record the request is about (a person may be on file more than once): its
    data, end date, consent history and recipients."""

    label: str
    data: tuple[ReportDatum, ...]
    keep_until: dt.date | None
    consents: tuple[ReportConsent, ...]
    recipients: tuple[ReportRecipient, ...]


@dataclass(frozen=True)
class AccessReportData:
    """Everything the access report shows."""

    controller: str
    address: str
    vat_number: str
    privacy_email: str
    authority: str
    subject: str
    reference: str
    generated_on: dt.date
    data: tuple[ReportDatum, ...]
    purposes: tuple[ReportPurpose, ...]
    keep_until: dt.date | None
    consents: tuple[ReportConsent, ...]
    recipients: tuple[ReportRecipient, ...]
    other_sources: tuple[ReportSource, ...]
    #: How long backups are kept: erased data can survive in them that long.
    backup_max_age_days: int | None = None
    #: Every record the report covers, when there are more than one; then
    #: ``data``, ``consents`` and ``recipients`` above hold those of all records together.
    records: tuple[ReportRecord, ...] = ()


RIGHTS = (
    (
        N_("Rectification"),
        N_("If something is wrong or incomplete, tell us and we correct it."),
    ),
    (
        N_("Erasure"),
        N_(
            "You can ask us to delete your data. We then keep only what the law obliges us to "
            "keep, and a coded mark so that we do not add you again by mistake."
        ),
    ),
    (
        N_("Objection"),
        N_(
            "You can object to direct marketing at any time, free of charge: we then stop "
            "sending you offers on every channel."
        ),
    ),
    (
        N_("Restriction"),
        N_(
            "You can ask us to stop using your data for a while, for example while we check "
            "a correction."
        ),
    ),
    (
        N_("Portability"),
        N_(
            "You receive your data in a machine-readable file (JSON) together with this report, "
            "to take it elsewhere."
        ),
    ),
)


def _source_text(lang: str, source: ReportSource | None) -> str:
    if source is None:
        return "-"
    return tr_in(
        lang,
        "{kind}: {description} ({date})",
        kind=tr_in(lang, source.kind),
        description=source.description,
        date=long_date(source.obtained_on, lang),
    )


@lru_cache(maxsize=4096)
def _wrap(value: str, font: str, width: float) -> str:
    """*value* broken into lines no wider than *width* (words, else characters).

    Table cells hold plain strings, never markup: nothing is parsed, so nothing needs
    escaping, and laying out a string is many times faster than a paragraph.
    """
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def fits(line: str) -> bool:
        return bool(stringWidth(line, font, _CELL_SIZE) <= width)

    lines: list[str] = []
    for paragraph in value.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if fits(candidate):
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            # A word wider than the column is cut where it must be.
            for char in word:
                if line and not fits(line + char):
                    lines.append(line)
                    line = ""
                line += char
        lines.append(line)
    return "\n".join(lines)


def _table(rows: list[list[Any]], widths: list[float]) -> Any:
    """A table whose first row is the header; text cells are wrapped plain strings."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    room = [w - 2 * _PADDING for w in widths]
    cells = [
        [
            _wrap(value, FONT_BOLD if index == 0 else FONT, width)
            if isinstance(value, str)
            else value
            for value, width in zip(row, room, strict=True)
        ]
        for index, row in enumerate(rows)
    ]
    table = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), _CELL_SIZE),
                ("LEADING", (0, 0), (-1, -1), _CELL_SIZE + 2),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e9ef")),
                ("LEFTPADDING", (0, 0), (-1, -1), _PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), _PADDING),
            ]
        )
    )
    return table


def render(data: AccessReportData, language: str) -> bytes:  # noqa: PLR0912, PLR0915 (one story, top to bottom)
    """The access report as PDF bytes in *language* (nl, fr or en)."""
    # Styles first: they register the fonts before reportlab's style module is imported.
    s = styles()
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph

    lang = language

    def t(message: str, **params: Any) -> str:
        return tr_in(lang, message, **params)

    def heading(value: str) -> Any:
        return Paragraph(text(value), s.heading)

    def body(value: str) -> Any:
        return Paragraph(text(value), s.body)

    def date(value: dt.date) -> str:
        return long_date(value, lang)

    title = tr_in(lang, "Your personal data at {company}", company=data.controller)
    story: list[Any] = [
        Paragraph(text(title), s.title),
        Paragraph(
            text(
                tr_in(
                    lang,
                    "Access report for {name}, drawn up on {date}. Reference: {reference}.",
                    name=data.subject,
                    date=date(data.generated_on),
                    reference=data.reference,
                )
            ),
            s.small,
        ),
    ]

    story.append(heading(tr_in(lang, "Who we are")))
    controller = [data.controller, data.address]
    if data.vat_number:
        controller.append(tr_in(lang, "Enterprise number: {number}", number=data.vat_number))
    if data.privacy_email:
        controller.append(tr_in(lang, "Privacy contact: {email}", email=data.privacy_email))
    story.append(body("\n".join(controller)))

    story.append(heading(tr_in(lang, "In short")))
    story.append(
        body(
            tr_in(
                lang,
                "We hold {data} items of personal data about you, for {purposes} purposes. "
                "We passed data to {recipients} recipients.",
                data=len(data.data),
                purposes=len(data.purposes),
                recipients=len(data.recipients),
            )
        )
    )
    several = len(data.records) > 1
    if several:
        story.append(
            body(
                tr_in(
                    lang,
                    "We found {count} records about you; this report covers all of them: "
                    "{records}.",
                    count=len(data.records),
                    records=", ".join(r.label for r in data.records),
                )
            )
        )
        for record in data.records:
            if record.keep_until is not None:
                line = tr_in(
                    lang,
                    "We keep the data of {record} until {date} at the latest.",
                    record=record.label,
                    date=date(record.keep_until),
                )
            else:
                line = tr_in(
                    lang,
                    "No end date has been set for the data of {record} yet: it is kept as "
                    "long as the purposes below need it, and then deleted.",
                    record=record.label,
                )
            story.append(body(line))
    elif data.keep_until is not None:
        story.append(
            body(
                tr_in(
                    lang,
                    "We keep your data until {date} at the latest.",
                    date=date(data.keep_until),
                )
            )
        )
    else:
        story.append(
            body(
                tr_in(
                    lang,
                    "No end date has been set for your data yet: it is kept as long as "
                    "the purposes below need it, and then deleted.",
                )
            )
        )

    if data.backup_max_age_days is not None:
        story.append(
            body(
                tr_in(
                    lang,
                    "Backup copies of our database are kept for at most {days} days: data we "
                    "erase can remain in them for up to {days} days, and if a backup is ever "
                    "restored, the erasure is carried out again.",
                    days=data.backup_max_age_days,
                )
            )
        )

    story.append(heading(tr_in(lang, "Your data and where it came from")))
    groups = [(r.label, r.data) for r in data.records] if several else [("", data.data)]
    for label, items in groups:
        if label:
            story.append(Paragraph(f"<b>{text(label)}</b>", s.body))
        rows = [[t(h) for h in (N_("Data"), N_("Value"), N_("Source"), N_("Held since"))]]
        long_values: list[ReportDatum] = []
        for datum in items:
            value = datum.value
            if len(value) > LONG_VALUE:
                long_values.append(datum)
                value = tr_in(lang, "(printed in full below the table)")
            rows.append(
                [
                    (t(datum.label)),
                    (value),
                    (_source_text(lang, datum.source)),
                    (date(datum.held_since) if datum.held_since else "-"),
                ]
            )
        story.append(_table(rows, [30 * mm, 58 * mm, 58 * mm, 28 * mm]))
        for datum in long_values:
            story.append(Paragraph(f"<b>{text(t(datum.label))}</b>", s.body))
            story.append(body(datum.value))

    story.append(heading(tr_in(lang, "Why we keep it")))
    if data.purposes:
        rows = [[t(h) for h in (N_("Purpose"), N_("Legal basis"), N_("Kept for"))]]
        for p in data.purposes:
            rows.append(
                [
                    Paragraph(f"<b>{text(t(p.name))}</b><br/>{text(t(p.description))}", s.cell),
                    (t(p.legal_basis)),
                    (t(p.retention, **p.retention_params)),
                ]
            )
        story.append(_table(rows, [90 * mm, 36 * mm, 48 * mm]))
    else:
        story.append(body(tr_in(lang, "No purpose is recorded for your data.")))

    story.append(heading(tr_in(lang, "Your consent and objections")))
    consent_groups = (
        [(r.label, r.consents) for r in data.records if r.consents]
        if several
        else [("", data.consents)]
    )
    if data.consents:
        for label, consents in consent_groups:
            if label:
                story.append(Paragraph(f"<b>{text(label)}</b>", s.body))
            rows = [
                [t(h) for h in (N_("Date"), N_("Purpose"), N_("Channel"), N_("Choice"), N_("How"))]
            ]
            for c in consents:
                purpose = t(c.purpose) + (f": {t(c.detail)}" if c.detail else "")
                rows.append([date(c.on), purpose, t(c.channel), t(c.status), t(c.method)])
            story.append(_table(rows, [28 * mm, 50 * mm, 24 * mm, 30 * mm, 42 * mm]))
    else:
        story.append(body(tr_in(lang, "We have no record of consent or objection from you.")))

    story.append(heading(tr_in(lang, "Who received your data")))
    if data.recipients:
        rows = [
            [t(h) for h in (N_("Recipient"), N_("Kind"), N_("Purpose"), N_("Data"), N_("Date"))]
        ]
        owners = {id(r): rec.label for rec in data.records for r in rec.recipients}
        for r in data.recipients:
            rows.append(
                [
                    (f"{r.name} ({owners[id(r)]})" if several and id(r) in owners else r.name),
                    (t(r.kind)),
                    (t(r.purpose)),
                    (r.categories),
                    (date(r.disclosed_on)),
                ]
            )
        story.append(_table(rows, [40 * mm, 36 * mm, 36 * mm, 34 * mm, 28 * mm]))
    else:
        story.append(body(tr_in(lang, "We have not passed your data to anyone.")))

    story.append(heading(tr_in(lang, "Data we did not receive from you")))
    if data.other_sources:
        for source in data.other_sources:
            story.append(Paragraph(text(_source_text(lang, source)), s.bullet, bulletText="•"))
    else:
        story.append(body(tr_in(lang, "All your data came from you.")))

    story.append(heading(tr_in(lang, "Your rights")))
    for name, explanation in RIGHTS:
        story.append(
            Paragraph(f"<b>{text(t(name))}</b>: {text(t(explanation))}", s.bullet, bulletText="•")
        )
    contact = data.privacy_email or data.address
    complaint = tr_in(lang, "Complaint")
    story.append(
        Paragraph(
            f"<b>{text(complaint)}</b>: "
            + text(
                tr_in(
                    lang,
                    "If you are not satisfied with our answer, you can complain to the "
                    "supervisory authority: {authority}",
                    authority=data.authority,
                )
            ),
            s.bullet,
            bulletText="•",
        )
    )
    story.append(
        body(
            tr_in(
                lang,
                "To use a right, write to {contact}. It is free; we answer within one month.",
                contact=contact,
            )
        )
    )
    footer = tr_in(lang, "Not legal advice: a report made with PrivacyCRM.")
    name = tr_in(lang, "Access report")
    story.append(Paragraph(text(footer), s.small))
    return build_pdf(
        story,
        lang,
        title,
        f"{data.controller} · {name} {data.reference}",
        invariant=True,
    )
