"""The cleanup report for the accountability file (rules 8 and 9): counts, actions, who,
when. It holds no personal data: no names, no ids, only numbers per action and reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from privacycrm_desktop.domain.retention import CLEANUP_ACTION_LABELS, CleanupAction
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import format_number, local_clock, local_date, tr_in
from privacycrm_desktop.reports.styles import (
    build_pdf,
    header_widths,
    kept_with_text,
    long_date,
    styles,
    text,
)


@dataclass(frozen=True)
class CleanupReportData:
    """What the report shows; reason labels are msgids or the owner's purpose names."""

    company: str
    actor: str
    at: dt.datetime
    dry_run: bool
    cancelled: bool
    by_action: tuple[tuple[CleanupAction, int], ...]
    by_reason: tuple[tuple[str, int], ...]
    skipped: int
    #: Custom field values erased because their keep period had passed (issue 21).
    values_erased: int = 0


_ACTION_TEXT = {
    CleanupAction.ERASE: N_("Every personal value removed; the person is in the erasure ledger."),
    CleanupAction.ANONYMISE: N_(
        "Identity removed; postcode region, relationship and customer-since year kept for "
        "statistics."
    ),
    CleanupAction.KEEP: N_("Kept for a stated reason, with a hold of twelve months."),
    CleanupAction.ASK_CONSENT: N_("Kept for thirty days while consent is asked again."),
}


def _table(rows: list[list[Any]], widths: list[float]) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    # Every header word fits its column whole (the header cells are paragraphs).
    headers = [cell.getPlainText() for cell in rows[0]]
    table = Table(rows, colWidths=header_widths(headers, widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e9ef")),
                ("ALIGN", (-1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def render(data: CleanupReportData, language: str) -> bytes:
    """The report as PDF bytes in *language* (nl, fr or en)."""
    s = styles()
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph

    def t(message: str, **params: Any) -> str:
        return tr_in(language, message, **params)

    def cell(value: object, bold: bool = False) -> Any:
        return Paragraph(text(value), s.cell_bold if bold else s.cell)

    title = t(N_("Cleanup report"))
    story: list[Any] = [Paragraph(text(title), s.title)]
    story.append(Paragraph(text(data.company), s.body))
    when = long_date(local_date(data.at), language) + " " + local_clock(data.at)
    story.append(
        Paragraph(text(t(N_("Run on {date} by {user}."), date=when, user=data.actor)), s.body)
    )
    if data.dry_run:
        story.append(Paragraph(text(t(N_("Dry run: nothing was changed."))), s.body))
    if data.cancelled:
        story.append(
            Paragraph(
                text(t(N_("Cancelled: the contacts not handled yet stay as they were."))), s.body
            )
        )
    story.extend(kept_with_text(Paragraph(text(t(N_("Actions"))), s.heading)))
    rows = [
        [
            cell(t(N_("Action")), True),
            cell(t(N_("What it means")), True),
            cell(t(N_("Contacts")), True),
        ]
    ]
    for action, count in data.by_action:
        rows.append(
            [
                cell(t(CLEANUP_ACTION_LABELS[action])),
                cell(t(_ACTION_TEXT[action])),
                cell(format_number(count, language)),
            ]
        )
    rows.append(
        [cell(t(N_("Left as they were"))), cell(""), cell(format_number(data.skipped, language))]
    )
    if data.values_erased:
        rows.append(
            [
                cell(t(N_("Custom field values erased"))),
                cell(t(N_("Their keep period had passed; the contacts and companies stay."))),
                cell(format_number(data.values_erased, language)),
            ]
        )
    story.append(_table(rows, [42 * mm, 108 * mm, 24 * mm]))
    story.extend(kept_with_text(Paragraph(text(t(N_("Why the contacts had expired"))), s.heading)))
    rows = [[cell(t(N_("Reason")), True), cell(t(N_("Contacts")), True)]]
    rows += [
        [cell(t(label)), cell(format_number(count, language))] for label, count in data.by_reason
    ]
    story.append(_table(rows, [150 * mm, 24 * mm]))
    story.append(
        Paragraph(
            text(
                t(
                    N_(
                        "This report holds no personal data. The audit trail records each "
                        "contact's action under its number."
                    )
                )
            ),
            s.small,
        )
    )
    return build_pdf(story, language, title, t(N_("Cleanup report")) + " · " + data.company)
