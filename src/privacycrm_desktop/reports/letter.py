"""A letter answering a rights request, as a PDF to print or attach (rules 12, 16, 21).

The letters service fills in the text; this lays it out on A4 as it reads: blocks
separated by blank lines, "- " lines as bullets, line breaks kept. The text is escaped
before it reaches ``Paragraph`` markup (CVE-2023-33733), and French spacing is applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from privacycrm_desktop.reports.styles import build_pdf

if TYPE_CHECKING:
    from privacycrm_desktop.reports.merge_letter import Letterhead


def render(
    letter: str, language: str, title: str, footer: str, letterhead: Letterhead | None = None
) -> bytes:
    """The letter *letter* (plain text) as PDF bytes; *title* names the document and
    *footer* is printed at the bottom of each page. With a *letterhead* the letter starts
    with the company's letterhead (the same as the mail-merge letters')."""
    from reportlab.platypus import Spacer

    from privacycrm_desktop.reports.merge_letter import body_flowables, letterhead_flowables

    story: list[Any] = []
    if letterhead is not None:
        story += letterhead_flowables(letterhead, language)
        story.append(Spacer(1, 8))
    story += body_flowables(letter, language)
    return build_pdf(story, language, title, footer, invariant=True)
