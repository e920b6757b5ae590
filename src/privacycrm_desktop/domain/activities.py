"""Interactions with a person or a company (issue 22): kinds, what is typed in, its checks,
and reading a dropped e-mail file.

An interaction is personal data: its kind, date and summary follow the field ``activities``
of the matrix, its details and attached file the restricted ``activity_details``. The
special-category check runs on the summary and the details as on the notes.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import re
from dataclasses import dataclass
from email.message import EmailMessage
from enum import StrEnum

from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.normalize import InvalidValue, clean_text
from privacycrm_desktop.domain.provenance import SourceInput
from privacycrm_desktop.domain.text import N_

MAX_SUMMARY = 200
MAX_DETAILS = 10_000
MAX_ATTACHMENT = 10 * 1024 * 1024
MAX_ATTACHMENT_NAME = 300
#: Catalogue fields: kind, date and summary; details and the attached file.
ACTIVITIES_FIELD = "activities"
DETAILS_FIELD = "activity_details"
#: An HTML tag: a note written as HTML (Odoo's "Note").
re_tag = re.compile(r"</?[a-zA-Z][^>]*>")
#: How far ahead of the clock an interaction may be dated (a clock a little fast).
FUTURE_SLACK = dt.timedelta(minutes=5)


class ActivityKind(StrEnum):
    """What kind of interaction it was."""

    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"
    NOTE = "note"


ACTIVITY_KIND_LABELS = {
    ActivityKind.CALL: N_("Call"),
    ActivityKind.MEETING: N_("Meeting"),
    ActivityKind.EMAIL: N_("E-mail"),
    ActivityKind.LETTER: N_("Letter"),
    ActivityKind.VISIT: N_("Visit"),
    ActivityKind.NOTE: N_("Note"),
}
#: The same in lower case, inside a sentence ("no interaction since 3 March 2026 (call)").
ACTIVITY_KIND_WORDS = {
    ActivityKind.CALL: N_("call"),
    ActivityKind.MEETING: N_("meeting"),
    ActivityKind.EMAIL: N_("e-mail"),
    ActivityKind.LETTER: N_("letter"),
    ActivityKind.VISIT: N_("visit"),
    ActivityKind.NOTE: N_("note"),
}
#: Why the cleanup proposes a contact whose retention counts from its last interaction.
NO_INTERACTION_SINCE = N_("No interaction since {date} ({kind})")
#: The same when the date was typed on the contact rather than logged as an interaction.
NO_INTERACTION_SINCE_TYPED = N_("No interaction since {date}")


@dataclass(frozen=True)
class ActivityInput:
    """An interaction as a person logs it.

    ``source`` says where what it records came from; None: the interaction itself (who
    logged it, and when, is kept with it).
    """

    kind: ActivityKind
    summary: str
    occurred_at: dt.datetime | None = None
    details: str = ""
    attachment: bytes | None = None
    attachment_name: str = ""
    source: SourceInput | None = None
    #: The user confirmed that text suggesting special-category data may be saved.
    special_confirmed: bool = False
    #: Other people (contact ids) who took part: it shows on their timelines too.
    people: tuple[int, ...] = ()


def checked(data: ActivityInput, now: dt.datetime) -> ActivityInput:
    """*data* cleaned (spaces, control characters), dated *now* when undated.

    Raises:
        ValidationFailed: no summary, a text or file too long, a date in the future.
    """
    problems: list[FieldProblem] = []
    summary = _clean(data.summary, "summary", problems)
    details = _clean(data.details, "details", problems, multiline=True)
    if not summary and not problems:
        problems.append(FieldProblem("summary", N_("Say in a few words what it was about.")))
    for field, text, limit in (
        ("summary", summary, MAX_SUMMARY),
        ("details", details, MAX_DETAILS),
    ):
        if len(text) > limit:
            problems.append(
                FieldProblem(field, N_("Too long: at most {limit} characters."), {"limit": limit})
            )
    if data.attachment is not None and len(data.attachment) > MAX_ATTACHMENT:
        problems.append(FieldProblem("attachment", N_("The attached file is larger than 10 MB.")))
    occurred = (data.occurred_at or now).replace(microsecond=0)
    if occurred > now + FUTURE_SLACK:
        problems.append(FieldProblem("occurred_at", N_("An interaction cannot be in the future.")))
    if problems:
        raise ValidationFailed(problems)
    name = " ".join(data.attachment_name.split())[:MAX_ATTACHMENT_NAME]
    return ActivityInput(
        kind=ActivityKind(data.kind),
        summary=summary,
        occurred_at=occurred,
        details=details,
        attachment=data.attachment,
        attachment_name=(name or "attachment") if data.attachment is not None else "",
        source=data.source,
        special_confirmed=data.special_confirmed,
        people=tuple(dict.fromkeys(data.people)),
    )


def _clean(text: str, field: str, problems: list[FieldProblem], *, multiline: bool = False) -> str:
    try:
        if multiline:
            return "\n".join(clean_text(line) for line in text.strip().splitlines()).strip()
        return clean_text(" ".join(text.split()))
    except InvalidValue as exc:
        problems.append(FieldProblem(field, exc.message, dict(exc.params)))
        return ""


@dataclass(frozen=True)
class MailFile:
    """What a dropped e-mail file says: when, from whom, about what, and its text."""

    sent_at: dt.datetime | None
    sender: str
    subject: str
    body: str


def read_eml(data: bytes) -> MailFile:
    """Read an e-mail file (.eml, RFC 5322) with Python's email package.

    The date becomes naive UTC (as stored); the text is the plain-text part, else the
    HTML part without its tags. Nothing is fetched: no remote content, no DNS.

    Raises:
        ValidationFailed: the bytes are not an e-mail (no header the package can read).
    """
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not (message["from"] or message["subject"]):
        raise ValidationFailed([FieldProblem("attachment", N_("This file is not an e-mail."))])
    sent_at: dt.datetime | None = None
    try:
        parsed = (
            email.utils.parsedate_to_datetime(str(message["date"])) if message["date"] else None
        )
    except (TypeError, ValueError):
        parsed = None
    if parsed is not None:
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        sent_at = parsed
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        try:
            body = str(body_part.get_content())
        except (LookupError, ValueError):
            body = ""
        if body_part.get_content_type() == "text/html":
            body = _strip_tags(body)
    return MailFile(
        sent_at=sent_at,
        sender=_header(message, "from"),
        subject=_header(message, "subject"),
        body=body.strip(),
    )


def _header(message: EmailMessage, name: str) -> str:
    """A header as decoded; as written in the file when its encoded words do not decode
    (seen: "=?utf-8?B?!!!invalid?=" became "\ufffd{\u0596'")."""
    decoded = str(message[name] or "")
    if "\ufffd" in decoded:
        raw = [value for key, value in message.raw_items() if key.lower() == name]
        decoded = str(raw[0]) if raw else decoded
    return " ".join(decoded.split())


def html_text(text: str) -> str:
    """*text* without its HTML tags when it is HTML (Odoo's notes), else as it is."""
    if re_tag.search(text) is None:
        return text
    return _strip_tags(text)


#: Elements whose content is not text a person wrote (a script, a style sheet).
_DROPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
#: Elements that start a line of their own.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip


def _strip_tags(html: str) -> str:
    """The text of *html* (the standard library's parser): script and style content
    dropped, a line break for each block element, blank lines left out."""
    from html.parser import HTMLParser

    parts: list[str] = []
    dropped: list[str] = []

    class _Text(HTMLParser):
        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag in _DROPPED:
                dropped.append(tag)
            elif tag in _BLOCKS:
                parts.append("\n")

        def handle_startendtag(self, tag: str, attrs: object) -> None:
            if tag in _BLOCKS:
                parts.append("\n")

        def handle_endtag(self, tag: str) -> None:
            if tag in _DROPPED:
                if tag in dropped:
                    del dropped[len(dropped) - 1 - dropped[::-1].index(tag)]
            elif tag in _BLOCKS:
                parts.append("\n")

        def handle_data(self, data: str) -> None:
            if not dropped:
                parts.append(data)

    parser = _Text(convert_charrefs=True)
    parser.feed(html)
    parser.close()
    return "\n".join(line.strip() for line in "".join(parts).splitlines() if line.strip())


def mail_activity(mail: MailFile, file_name: str, data: bytes) -> ActivityInput:
    """An e-mail interaction from a dropped file: dated when sent, the subject as summary,
    the sender and the text as details, the file itself attached."""
    summary = mail.subject or mail.sender or file_name
    details = "\n".join(p for p in (mail.sender, mail.body) if p)
    return ActivityInput(
        kind=ActivityKind.EMAIL,
        summary=summary[:MAX_SUMMARY],
        occurred_at=mail.sent_at,
        details=details[:MAX_DETAILS],
        attachment=data,
        attachment_name=file_name,
    )
