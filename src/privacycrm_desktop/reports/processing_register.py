"""The register of processing activities (GDPR 30, rule 22) as a PDF in nl, fr or en.

Built from plain values the report service gathers: the controller, the purposes with
their legal basis, retention rule, data categories and recipients, the personal fields
with their sensitivity, the roles with what they may do, and the recipients on record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from privacycrm_desktop.domain.normalize import vat_display
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import country_name, tr_in
from privacycrm_desktop.reports.styles import (
    build_pdf,
    header_widths,
    kept_with_text,
    long_date,
    styles,
    text,
    typography,
)


@dataclass(frozen=True)
class RegisterPurpose:
    """One purpose; ``name``/``description`` may be msgids (shipped) or the owner's text."""

    name: str
    description: str
    legal_basis: str
    retention: str
    retention_params: dict[str, int]
    data_categories: tuple[str, ...]
    recipients: tuple[str, ...]
    marketing: bool


@dataclass(frozen=True)
class RegisterField:
    """A personal field: label msgid, sensitivity msgid, names of the purposes needing it."""

    label: str
    sensitivity: str
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class RegisterRole:
    """A role: label msgid, count of users, fields it cannot see, what it may do."""

    label: str
    users: int
    hidden_fields: tuple[str, ...]
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class RegisterRecipient:
    """Someone data is passed to."""

    name: str
    kind: str
    country: str


@dataclass(frozen=True)
class RegisterData:
    """Everything the register shows."""

    controller: str
    address: str
    vat_number: str
    privacy_email: str
    authority: str
    purposes: tuple[RegisterPurpose, ...]
    fields: tuple[RegisterField, ...]
    roles: tuple[RegisterRole, ...]
    recipients: tuple[RegisterRecipient, ...]
    generated_on: dt.date
    #: How long backups are kept; None: not stated.
    backup_max_age_days: int | None = None


_PURPOSE_HEADERS = (
    N_("Purpose"),
    N_("Legal basis"),
    N_("Retention"),
    N_("Data categories"),
    N_("Recipients"),
)
_FIELD_HEADERS = (N_("Field"), N_("Sensitivity"), N_("Needed for"))
_ROLE_HEADERS = (N_("Role"), N_("Users"), N_("May"), N_("Cannot see"))
_RECIPIENT_HEADERS = (N_("Recipient"), N_("Kind"), N_("Country"))


def _table(headers: list[str], rows: list[list[Any]], widths: list[float]) -> Any:
    """A table under *headers*, its columns wide enough for every header word."""
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    s = styles()
    head = [Paragraph(text(h), s.cell_bold) for h in headers]
    table = Table(
        [head, *rows], colWidths=header_widths(headers, widths), repeatRows=1, hAlign="LEFT"
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e9ef")),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def render(data: RegisterData, language: str) -> bytes:  # noqa: PLR0915 (one story, top to bottom)
    """The register as PDF bytes in *language* (nl, fr or en)."""
    # Styles first: they register the fonts before reportlab's style module is imported.
    s = styles()
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph

    lang = language

    def t(message: str, **params: Any) -> str:
        """Translate a msgid that comes with the data (marked where it is defined)."""
        return tr_in(lang, message, **params)

    def cell(value: str, bold: bool = False) -> Any:
        return Paragraph(text(value), s.cell_bold if bold else s.cell)

    def heading(value: str) -> list[Any]:
        return kept_with_text(Paragraph(text(typography(lang, value)), s.heading))

    def body(value: str) -> Any:
        return Paragraph(text(typography(lang, value)), s.body)

    def headers(msgids: tuple[str, ...]) -> list[str]:
        return [typography(lang, t(h)) for h in msgids]

    title = tr_in(lang, "Register of processing activities")
    drawn = tr_in(
        lang,
        "Drawn up on {date} from the settings of PrivacyCRM.",
        date=long_date(data.generated_on, lang),
    )
    story: list[Any] = [Paragraph(text(title), s.title), Paragraph(text(drawn), s.small)]
    story.extend(heading(tr_in(lang, "Controller")))
    controller = [data.controller, data.address]
    if data.vat_number:
        number = vat_display(data.vat_number).replace(" ", "\u00a0")
        controller.append(tr_in(lang, "Enterprise number: {number}", number=number))
    if data.privacy_email:
        controller.append(tr_in(lang, "Privacy contact: {email}", email=data.privacy_email))
    story.append(body("\n".join(controller)))
    story.append(body(tr_in(lang, "Supervisory authority: {authority}", authority=data.authority)))

    story.extend(heading(tr_in(lang, "Purposes of processing")))
    rows = []
    marketing = tr_in(lang, "direct marketing")
    nobody = tr_in(lang, "None outside the business")
    for p in data.purposes:
        name = t(p.name) + (f" · {marketing}" if p.marketing else "")
        rows.append(
            [
                Paragraph(f"<b>{text(name)}</b><br/>{text(t(p.description))}", s.cell),
                cell(t(p.legal_basis)),
                cell(t(p.retention, **p.retention_params)),
                cell(", ".join(t(c) for c in p.data_categories)),
                cell(", ".join(p.recipients) or nobody),
            ]
        )
    story.append(
        _table(headers(_PURPOSE_HEADERS), rows, [52 * mm, 26 * mm, 32 * mm, 36 * mm, 28 * mm])
    )

    story.extend(heading(tr_in(lang, "Personal data kept")))
    rows = []
    for f in data.fields:
        rows.append(
            [cell(t(f.label)), cell(t(f.sensitivity)), cell(", ".join(t(p) for p in f.purposes))]
        )
    story.append(_table(headers(_FIELD_HEADERS), rows, [40 * mm, 32 * mm, 102 * mm]))

    story.extend(heading(tr_in(lang, "Who has access")))
    rows = []
    for r in data.roles:
        rows.append(
            [
                cell(t(r.label)),
                cell(str(r.users)),
                cell(", ".join(t(p) for p in r.permissions)),
                cell(", ".join(t(f) for f in r.hidden_fields) or "-"),
            ]
        )
    story.append(_table(headers(_ROLE_HEADERS), rows, [30 * mm, 20 * mm, 76 * mm, 48 * mm]))

    story.extend(heading(tr_in(lang, "Recipients")))
    if data.recipients:
        rows = [
            [cell(r.name), cell(r.kind), cell(country_name(r.country, lang))]
            for r in data.recipients
        ]
        story.append(_table(headers(_RECIPIENT_HEADERS), rows, [90 * mm, 50 * mm, 34 * mm]))
    else:
        story.append(body(tr_in(lang, "No data has been passed to recipients.")))
    story.append(
        body(
            tr_in(
                lang,
                "Contacts are never passed to another company for its own use, "
                "not even within a group.",
            )
        )
    )
    story.extend(heading(tr_in(lang, "Security measures")))
    story.append(
        body(
            tr_in(
                lang,
                "Personal sign-in for every user, roles with field-level access, "
                "a tamper-evident audit trail and crash-safe storage.",
            )
        )
    )
    if data.backup_max_age_days is not None:
        story.append(
            body(
                tr_in(
                    lang,
                    "Automatic backups when the app closes and once a day while it runs, each "
                    "checked when it is made (integrity check and checksum), optionally "
                    "encrypted and copied to a second folder; kept for at most {days} days. "
                    "A restore erases again everyone erased since the backup was made.",
                    days=data.backup_max_age_days,
                )
            )
        )
    footer = tr_in(lang, "Not legal advice: a record kept with PrivacyCRM.")
    story.append(Paragraph(text(footer), s.small))
    return build_pdf(story, lang, title, f"{data.controller} · {title}")
