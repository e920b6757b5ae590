"""A letter answering a rights request, as a PDF to print or attach (rules 12, 16, 21).

The letters service fills in the text; this lays it out on A4 as it reads: blocks
separated by blank lines, "- " lines as bullets, line breaks kept. The text is escaped
before it reaches ``Paragraph`` markup (CVE-2023-33733), and French spacing is applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from privacycrm_desktop.reports.styles import build_pdf, styles, text, typography

if TYPE_CHECKING:
    from privacycrm_desktop.reports.merge_letter import Letterhead


def render(
    letter: str, language: str, title: str, footer: str, letterhead: Letterhead | None = None
) -> bytes:
    """The letter *letter* (plain text) as PDF bytes; *title* names the document and
    *footer* is printed at the bottom of each page. With a *letterhead* the letter starts
    with the company's letterhead (the same as the mail-merge letters')."""
    s = styles()
    from reportlab.platypus import Paragraph, Spacer

    story: list[Any] = []
    if letterhead is not None:
        from privacycrm_desktop.reports.merge_letter import letterhead_flowables

        story += letterhead_flowables(letterhead, language)
        story.append(Spacer(1, 8))
    block: list[str] = []

    def flush() -> None:
        if block:
            story.append(Paragraph(text("\n".join(block)), s.body))
            block.clear()

    for line in typography(language, letter).splitlines():
        if not line.strip():
            flush()
            story.append(Spacer(1, 4))
        elif line.startswith("- "):
            flush()
            story.append(Paragraph(text(line[2:]), s.bullet, bulletText="•"))
        else:
            block.append(line)
    flush()
    return build_pdf(story, language, title, footer, invariant=True)
