"""A printable short privacy notice (GDPR 13, rule 2), handed out before collecting data.

The text is the privacy statement of the chosen language (the owner's current version),
with the controller's identity filled in; headings and list items of its simple markdown
("# ", "## ", "- ", "**bold**") are laid out, everything else is printed as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from privacycrm_desktop.i18n import tr_in
from privacycrm_desktop.reports.styles import build_pdf, kept_with_text, styles, text, typography


@dataclass(frozen=True)
class NoticeData:
    """The statement and who it speaks for."""

    statement: str
    version: int
    controller: str
    address: str
    privacy_email: str
    authority: str


def _fill(template: str, data: NoticeData) -> str:
    values = {
        "company": data.controller,
        "address": data.address,
        "privacy_email": data.privacy_email or data.address,
        "authority": data.authority,
    }
    # Only known {names} are replaced: the owner's own braces stay as written.
    return re.sub(
        r"\{(company|address|privacy_email|authority)\}", lambda m: values[m.group(1)], template
    )


def _inline(line: str) -> str:
    """Escape a line, then turn **bold** into <b> (after escaping, so no markup slips in)."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text(line))


def render(data: NoticeData, language: str) -> bytes:
    """The notice as PDF bytes in *language*."""
    # Styles first: they register the fonts before reportlab's style module is imported.
    s = styles()
    from reportlab.platypus import Paragraph

    story: list[Any] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            story.append(Paragraph(_inline(" ".join(paragraph)), s.body))
            paragraph.clear()

    items: list[str] = []

    def flush_items() -> None:
        for item in items:
            story.append(Paragraph(_inline(item), s.bullet, bulletText="•"))
        items.clear()

    title = tr_in(language, "Privacy notice")
    # French spacing before : ; ? ! (the statement's own text is typed with plain spaces).
    for raw in typography(language, _fill(data.statement, data)).splitlines():
        line = raw.strip()
        if line.startswith("- "):
            flush()
            items.append(line[2:])
        elif items and line and raw.startswith(" "):
            items[-1] += " " + line
        else:
            flush_items()
            if not line:
                flush()
            elif line.startswith("## "):
                flush()
                story.extend(kept_with_text(Paragraph(_inline(line[3:]), s.heading)))
            elif line.startswith("# "):
                flush()
                title = line[2:]
                story.append(Paragraph(_inline(title), s.title))
            else:
                paragraph.append(line)
    flush_items()
    flush()
    story.append(
        Paragraph(
            text(
                tr_in(language, "Version {version} of our privacy statement.", version=data.version)
            ),
            s.small,
        )
    )
    # The notice is handed to the people whose data we keep: no disclaimer of ours on it.
    return build_pdf(story, language, title, f"{data.controller} · {title}")
