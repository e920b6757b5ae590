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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from privacycrm_desktop.domain.normalize import vat_display
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import LANGUAGES, tr_in
from privacycrm_desktop.reports.styles import (
    CELL_PADDING,
    CELL_SIZE,
    FONT,
    FONT_BOLD,
    build_pdf,
    header_widths,
    kept_with_text,
    long_date,
    styles,
    text,
    typography,
)

#: A value longer than this is printed below its table, where it may run over pages.
LONG_VALUE = 400
_PADDING = CELL_PADDING
_CELL_SIZE = CELL_SIZE


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


def source_text(lang: str, source: ReportSource) -> str:
    """A source as the report names it: "Business card: Salon Batibouw", or only the kind
    when its description merely repeats it ("Business card", not "Business card: Business
    card"); a description that starts with the kind loses that start ("Business card,
    Horeca fair" reads "Business card: Horeca fair")."""
    kind = tr_in(lang, source.kind)
    names = {kind.casefold(), source.kind.casefold()} | {
        tr_in(other, source.kind).casefold() for other in LANGUAGES
    }
    description = source.description.strip()
    for name in sorted(names, key=len, reverse=True):
        if description.casefold().startswith(name):
            rest = description[len(name) :].lstrip()
            # Only the kind followed by a separator: "Phone call to the shop" is a
            # description of its own, kept whole.
            if not rest or rest[0] in ",:;-–(":
                description = rest.strip(" ,:;-–")
                break
    if not description:
        return kind
    return tr_in(lang, "{kind}: {description}", kind=kind, description=description)


def _origin(lang: str, source: ReportSource | None, held_since: dt.date | None) -> str:
    """The line above a group of data: where it came from and since when it is held."""
    date = long_date(held_since, lang) if held_since is not None else "-"
    if source is None:
        return tr_in(lang, "Source not recorded; held since {date}", date=date)
    return tr_in(
        lang, "From: {source}; held since {date}", source=source_text(lang, source), date=date
    )


def _count_sentences(lang: str, data: AccessReportData) -> list[str]:
    """The summary's counts as sentences: none, one or several, never "0 recipients"."""
    items, purposes = len(data.data), len(data.purposes)
    # Recipients, not disclosures: three exports to one accountant are one recipient.
    recipients = len({(r.name.strip().casefold(), r.kind) for r in data.recipients})
    out = [
        tr_in(lang, "We hold one item of personal data about you.")
        if items == 1
        else tr_in(lang, "We hold {count} items of personal data about you.", count=items)
    ]
    if purposes == 0:
        out.append(tr_in(lang, "No purpose is recorded for your data."))
    elif purposes == 1:
        out.append(tr_in(lang, "We use it for one purpose."))
    else:
        out.append(tr_in(lang, "We use it for {count} purposes.", count=purposes))
    if recipients == 0:
        out.append(tr_in(lang, "We have not passed your data to anyone."))
    elif recipients == 1:
        out.append(tr_in(lang, "We passed your data to one recipient."))
    else:
        out.append(tr_in(lang, "We passed your data to {count} recipients.", count=recipients))
    return out


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


def _table(rows: list[list[Any]], widths: list[float], spanned: Sequence[int] = ()) -> Any:
    """A table whose first row is the header; text cells are wrapped plain strings.

    The columns are widened where a header word would not fit whole; the rows numbered in
    *spanned* are one cell across the table (a group's line: where its data came from).
    """
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    widths = header_widths([str(h) for h in rows[0]], widths)
    room = [w - 2 * _PADDING for w in widths]
    across = sum(widths) - 2 * _PADDING
    cells = [
        [
            _wrap(value, FONT_BOLD if index == 0 else FONT, across if index in spanned else width)
            if isinstance(value, str)
            else value
            for value, width in zip(row, room, strict=True)
        ]
        for index, row in enumerate(rows)
    ]
    table = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
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
    for index in spanned:
        commands += [
            ("SPAN", (0, index), (-1, index)),
            ("BACKGROUND", (0, index), (-1, index), colors.HexColor("#f3f5f8")),
        ]
    table.setStyle(TableStyle(commands))
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

    def heading(value: str) -> list[Any]:
        return kept_with_text(Paragraph(text(typography(lang, value)), s.heading))

    def body(value: str) -> Any:
        return Paragraph(text(typography(lang, value)), s.body)

    def subheading(value: str) -> list[Any]:
        return kept_with_text(Paragraph(text(value), s.subheading))

    def label(value: str) -> str:
        """A label of the report's own (a column header, a kind): French spacing."""
        return typography(lang, value)

    # "Label: explanation" in the language's typography ("Libellé : ..." in French).
    sep = typography(lang, "x: ")[1:]

    def date(value: dt.date) -> str:
        return long_date(value, lang)

    # A short company name stays on one line ("Bakkerij Peeters BV", not "BV" alone).
    company = (
        data.controller.replace(" ", "\u00a0") if len(data.controller) <= 32 else data.controller
    )
    title = tr_in(lang, "Your personal data at {company}", company=company)
    story: list[Any] = [
        Paragraph(text(title), s.title),
        Paragraph(
            text(
                label(
                    tr_in(
                        lang,
                        "Access report for {name}, drawn up on {date}. Reference: {reference}.",
                        name=data.subject,
                        date=date(data.generated_on),
                        reference=data.reference,
                    )
                )
            ),
            s.small,
        ),
    ]

    story.extend(heading(tr_in(lang, "Who we are")))
    controller = [data.controller, data.address]
    if data.vat_number:
        # "BE 0403.170.701", never broken between the country and the number.
        number = vat_display(data.vat_number).replace(" ", "\u00a0")
        controller.append(tr_in(lang, "Enterprise number: {number}", number=number))
    if data.privacy_email:
        controller.append(tr_in(lang, "Privacy contact: {email}", email=data.privacy_email))
    story.append(body("\n".join(controller)))

    story.extend(heading(tr_in(lang, "In short")))
    story.append(body(" ".join(_count_sentences(lang, data))))
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

    story.extend(heading(tr_in(lang, "Your data and where it came from")))
    groups = [(r.label, r.data) for r in data.records] if several else [("", data.data)]
    for record_label, items in groups:
        if record_label:
            story.extend(subheading(record_label))
        # The data grouped by where it came from: the source is said once, above its data,
        # not repeated on every row.
        by_origin: dict[str, list[ReportDatum]] = {}
        for datum in items:
            by_origin.setdefault(_origin(lang, datum.source, datum.held_since), []).append(datum)
        rows: list[list[Any]] = [[label(t(h)) for h in (N_("Data"), N_("Value"))]]
        spanned: list[int] = []
        long_values: list[ReportDatum] = []
        for origin, data_items in by_origin.items():
            spanned.append(len(rows))
            rows.append([label(origin), ""])
            for datum in data_items:
                value = datum.value
                if len(value) > LONG_VALUE:
                    long_values.append(datum)
                    value = tr_in(lang, "(printed in full below the table)")
                rows.append([label(t(datum.label)), value])
        story.append(_table(rows, [52 * mm, 122 * mm], spanned))
        for datum in long_values:
            story.extend(subheading(label(t(datum.label))))
            story.append(Paragraph(text(datum.value), s.body))

    story.extend(heading(tr_in(lang, "Why we keep it")))
    if data.purposes:
        rows = [[label(t(h)) for h in (N_("Purpose"), N_("Legal basis"), N_("Kept for"))]]
        for p in data.purposes:
            rows.append(
                [
                    Paragraph(f"<b>{text(t(p.name))}</b><br/>{text(t(p.description))}", s.cell),
                    label(t(p.legal_basis)),
                    label(t(p.retention, **p.retention_params)),
                ]
            )
        story.append(_table(rows, [90 * mm, 36 * mm, 48 * mm]))
    else:
        story.append(body(tr_in(lang, "No purpose is recorded for your data.")))

    story.extend(heading(tr_in(lang, "Your consent and objections")))
    consent_groups = (
        [(r.label, r.consents) for r in data.records if r.consents]
        if several
        else [("", data.consents)]
    )
    if data.consents:
        for record_label, consents in consent_groups:
            if record_label:
                story.extend(subheading(record_label))
            headers = (N_("Date"), N_("Purpose"), N_("Channel"), N_("Choice"), N_("How"))
            rows = [[label(t(h)) for h in headers]]
            for c in consents:
                purpose = t(c.purpose) + (f"{sep}{t(c.detail)}" if c.detail else "")
                rows.append(
                    [date(c.on), purpose, label(t(c.channel)), label(t(c.status)), t(c.method)]
                )
            story.append(_table(rows, [28 * mm, 50 * mm, 24 * mm, 30 * mm, 42 * mm]))
    else:
        story.append(body(tr_in(lang, "We have no record of consent or objection from you.")))

    story.extend(heading(tr_in(lang, "Who received your data")))
    if data.recipients:
        rows = [
            [
                label(t(h))
                for h in (N_("Recipient"), N_("Kind"), N_("Purpose"), N_("Data"), N_("Date"))
            ]
        ]
        owners = {id(r): rec.label for rec in data.records for r in rec.recipients}
        for r in data.recipients:
            rows.append(
                [
                    (f"{r.name} ({owners[id(r)]})" if several and id(r) in owners else r.name),
                    label(t(r.kind)),
                    t(r.purpose),
                    (r.categories),
                    (date(r.disclosed_on)),
                ]
            )
        story.append(_table(rows, [40 * mm, 36 * mm, 36 * mm, 34 * mm, 28 * mm]))
    else:
        story.append(body(tr_in(lang, "We have not passed your data to anyone.")))

    story.extend(heading(tr_in(lang, "Data we did not receive from you")))
    if data.other_sources:
        for source in data.other_sources:
            line = f"{label(source_text(lang, source))} ({date(source.obtained_on)})"
            story.append(Paragraph(text(line), s.bullet, bulletText="•"))
    else:
        story.append(body(tr_in(lang, "All your data came from you.")))

    story.extend(heading(tr_in(lang, "Your rights")))
    for name, explanation in RIGHTS:
        story.append(
            Paragraph(
                f"<b>{text(t(name))}</b>{text(sep)}{text(label(t(explanation)))}",
                s.bullet,
                bulletText="•",
            )
        )
    contact = data.privacy_email or data.address
    complaint = tr_in(lang, "Complaint")
    story.append(
        Paragraph(
            f"<b>{text(complaint)}</b>{text(sep)}"
            + text(
                label(
                    tr_in(
                        lang,
                        "If you are not satisfied with our answer, you can complain to the "
                        "supervisory authority: {authority}",
                        authority=data.authority,
                    )
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
    # What the person receives carries no disclaimer of ours: it is the business's answer.
    name = tr_in(lang, "Access report")
    return build_pdf(
        story,
        lang,
        title,
        f"{data.controller} · {name} {data.reference}",
        invariant=True,
    )
