"""How pressing the open requests are, in words: for the menu's notice and the register.

Its own module because the menu (loaded with the main window) must not import the register
(loaded when it opens), and the register uses the same words.
"""

from __future__ import annotations

from privacycrm_desktop.i18n import format_number, ngettext


def attention_text(overdue: int, soon: int) -> str:
    """ "2 requests overdue · 1 due within 7 days", or "" when nothing is pressing."""
    parts = []
    if overdue:
        parts.append(
            ngettext("{n} request overdue", "{n} requests overdue", overdue).format(
                n=format_number(overdue)
            )
        )
    if soon:
        parts.append(
            ngettext(
                "{n} request due within 7 days", "{n} requests due within 7 days", soon
            ).format(n=format_number(soon))
        )
    return " · ".join(parts)
