"""How the access report prints a value that needs more than its text."""

from __future__ import annotations

from privacycrm_desktop.i18n import format_long_date, tr_in
from privacycrm_desktop.services.dto import CompanyLinkInfo


def link_text(link: CompanyLinkInfo, lang: str) -> str:
    """A company link as printed: "Acme NV, function: buyer, since 1 March 2024"."""
    parts = [link.company_name]
    if link.function:
        parts.append(tr_in(lang, "function: {function}", function=link.function))
    if link.department:
        parts.append(tr_in(lang, "department: {department}", department=link.department))
    if link.started_on is not None:
        parts.append(tr_in(lang, "since {date}", date=format_long_date(link.started_on, lang)))
    if link.ended_on is not None:
        parts.append(tr_in(lang, "until {date}", date=format_long_date(link.ended_on, lang)))
    return ", ".join(p for p in parts if p)
