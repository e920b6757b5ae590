"""A letter answering a rights request, as a PDF to print or attach (rules 12, 16, 21).

The letters service fills in the text; this lays it out on A4 as it reads: blocks
separated by blank lines, "- " lines as bullets, line breaks kept. The text is escaped
before it reaches ``Paragraph`` markup (CVE-2023-33733), and French spacing is applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from privacycrm_desktop.reports.styles import build_pdf

if TYPE_CHECKING:
    from privacycrm_desktop.reports.merge_letter import Letterhead


def render(
    letter: str,
    language: str,
    title: str,
    footer: str,
    letterhead: Letterhead | None = None,
    address: Sequence[str] = (),
) -> bytes:
    """The letter *letter* (plain text) as PDF bytes; *title* names the document and
    *footer* is printed at the bottom of each page. With a *letterhead* the letter starts
    with the company's letterhead (the same as the mail-merge letters'), and the lines of
    *address* (when given) stand where a window envelope shows them, as on those."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    from privacycrm_desktop.reports.merge_letter import (
        address_flowable,
        body_flowables,
        letterhead_flowables,
    )

    story: list[Any] = []
    if letterhead is not None:
        story += letterhead_flowables(letterhead, language)
        if address:
            story += [address_flowable(address), Spacer(1, 4 * mm)]
        else:
            story.append(Spacer(1, 8))
    story += body_flowables(letter, language)
    return build_pdf(story, language, title, footer, invariant=True)
