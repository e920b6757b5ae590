"""``privacycrm-cli labels`` and ``letter``: address labels and mail-merge letters for the
post (docs/architecture.md, "Headless interface"; names may grow, never change).

``labels --layout NAME|COLSxROWS [--ids ID...|--tag T|--view V] [--purpose P]
[--recipient TEXT] --output F.pdf [--start N]``, or a sheet by its measurements with
``--layout custom --columns C --rows R --size WxH --margins TOP,LEFT --pitch X,Y`` (mm).
``letterhead --logo FILE|--no-logo`` sets the letters' logo.
``letter --template FILE [--template-nl FILE] [--template-fr FILE] [--template-en FILE]
[same selection] --output F.pdf``: each person gets the template of their language, else
``--template``. ``--view`` is a saved view of the list: expired, expiring, reconsent,
no_consent:CHANNEL, opted_in:CHANNEL or relationship:KIND. With a marketing purpose only
people the rules allow by post are included; ``--format json`` prints the count and who
was left out with the reason.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from privacycrm_desktop.cli.context import CliFailure, Context
from privacycrm_desktop.cli.options import Parents, Subparsers, record_id
from privacycrm_desktop.domain.consent import Channel
from privacycrm_desktop.domain.contacts import Relationship
from privacycrm_desktop.domain.label_sheets import SHAPES, SHEETS, custom_sheet, find_sheet
from privacycrm_desktop.i18n import LANGUAGES, _, current_language, ngettext
from privacycrm_desktop.services.dto import ContactFilter, ListFilter

CUSTOM = "custom"


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``labels`` and ``letter`` to the parser."""
    p = commands.add_parser(
        "labels",
        parents=parents,
        help=_("print address labels on an A4 sheet of labels"),
        description=_(
            "Address labels for the chosen contacts (all when none is chosen), one per "
            "label, in each country's postal format. Sheets: {names}, or custom."
        ).format(names=", ".join([*SHEETS, *SHAPES])),
    )
    p.add_argument(
        "--layout", required=True, help=_("the sheet: a name such as L7160 or 3x7, or custom")
    )
    p.add_argument(
        "--start", type=int, default=1, help=_("the first free label on the sheet (from 1)")
    )
    p.add_argument("--columns", type=int, help=_("custom sheet: labels across"))
    p.add_argument("--rows", type=int, help=_("custom sheet: labels down"))
    p.add_argument("--size", help=_("custom sheet: a label's width x height in mm, e.g. 70x37"))
    p.add_argument("--margins", help=_("custom sheet: top,left margin in mm, e.g. 12.5,0"))
    p.add_argument("--pitch", help=_("custom sheet: horizontal,vertical pitch in mm"))
    _selection(p)
    p.set_defaults(run=cmd_labels)
    p = commands.add_parser(
        "letter",
        parents=parents,
        help=_("print a mail-merge letter for each chosen contact, as one PDF"),
        description=_(
            "A letter per contact on the company's letterhead, in the contact's language. "
            "Fields: {fields}."
        ).format(fields=", ".join("{" + f + "}" for f in _merge_fields())),
    )
    p.add_argument(
        "--template", type=Path, help=_("the letter's text (for any language without its own)")
    )
    for language in LANGUAGES:
        p.add_argument(
            f"--template-{language}",
            type=Path,
            help=_("the letter's text for contacts in {language}").format(language=language),
        )
    _selection(p)
    p.set_defaults(run=cmd_letter)
    p = commands.add_parser(
        "letterhead",
        parents=parents,
        help=_("put a logo on the letters' letterhead, or take it off"),
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--logo", type=Path, help=_("a PNG or JPEG picture"))
    which.add_argument("--no-logo", action="store_true", help=_("take the logo off"))
    p.set_defaults(run=cmd_letterhead)


def _merge_fields() -> tuple[str, ...]:
    from privacycrm_desktop.domain.postal import MERGE_FIELDS

    return tuple(MERGE_FIELDS)


def _selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ids", nargs="+", type=record_id, metavar="ID", help=_("contact ids"))
    p.add_argument("more_ids", nargs="*", type=record_id, metavar="ID", help=_("contact ids"))
    p.add_argument("--tag", help=_("only the contacts with this tag"))
    p.add_argument(
        "--view",
        help=_(
            "a saved view: expired, expiring, reconsent, no_consent:CHANNEL, "
            "opted_in:CHANNEL or relationship:KIND"
        ),
    )
    p.add_argument(
        "--purpose",
        default="",
        help=_("purpose code from the register; a marketing purpose keeps only those allowed"),
    )
    p.add_argument(
        "--recipient",
        default="",
        help=_("who prints or posts it outside the company (recorded as a disclosure)"),
    )
    p.add_argument("--output", "--out", type=Path, required=True, help=_("the PDF file to write"))


def _view(text: str | None) -> ListFilter | None:
    if not text:
        return None
    kind, _sep, arg = text.partition(":")
    try:
        view = ContactFilter(kind)
        if view is ContactFilter.RELATIONSHIP:
            return ListFilter(view, relationship=Relationship(arg))
        if view in (ContactFilter.OPTED_IN, ContactFilter.NO_CONSENT):
            return ListFilter(view, channel=Channel(arg or Channel.POST.value))
        return ListFilter(view)
    except ValueError:
        raise CliFailure(
            _(
                "Unknown view {view}: use expired, expiring, reconsent, no_consent:CHANNEL, "
                "opted_in:CHANNEL or relationship:KIND."
            ).format(view=text)
        ) from None


def _chosen(ctx: Context) -> Any:
    from privacycrm_desktop.services.post import PostSelection

    a = ctx.args
    ids = [*(a.ids or ()), *(a.more_ids or ())]
    if ids and (a.tag or a.view):
        raise CliFailure(_("Choose the contacts by --ids, or by --tag and --view, not both."))
    tag = ctx.services.tags.find(ctx.actor(), a.tag).id if a.tag else None
    return PostSelection(
        contact_ids=tuple(ids) if ids else None,
        tag=tag,
        view=_view(a.view),
        purpose=a.purpose,
        recipient=a.recipient,
    )


def _numbers(text: str | None, count: int, option: str) -> list[float]:
    try:
        values = [float(v) for v in (text or "").lower().replace("x", ",").split(",")]
    except ValueError:
        values = []
    if len(values) != count:
        raise CliFailure(_("Give {option} as numbers in mm.").format(option=option))
    return values


def _sheet(ctx: Context) -> Any:
    a = ctx.args
    if a.layout.strip().lower() != CUSTOM:
        return find_sheet(a.layout)
    if a.columns is None or a.rows is None:
        raise CliFailure(_("A custom sheet needs --columns, --rows, --size, --margins, --pitch."))
    width, height = _numbers(a.size, 2, "--size")
    top, left = _numbers(a.margins, 2, "--margins")
    pitch_x, pitch_y = _numbers(a.pitch, 2, "--pitch")
    return custom_sheet(a.columns, a.rows, width, height, top, left, pitch_x, pitch_y)


def _document(result: Any) -> dict[str, Any]:
    return {
        "count": result.count,
        "path": str(result.path),
        "left_out": [
            {"id": left.contact_id, "name": left.name, "reason": _(left.reason)}
            for left in result.left_out
        ],
        "recipient_id": result.recipient_id,
        "disclosures": result.disclosures,
    }


def _text(result: Any, made: str) -> str:
    lines = [made]
    if result.left_out:
        lines.append(
            ngettext("{count} left out:", "{count} left out:", len(result.left_out)).format(
                count=len(result.left_out)
            )
        )
        lines += [f"  {left.contact_id}  {left.name}: {_(left.reason)}" for left in result.left_out]
    return "\n".join(lines)


def cmd_labels(ctx: Context) -> int:
    a = ctx.args
    sheet = _sheet(ctx)
    result = ctx.services.post.labels(
        ctx.actor(), _chosen(ctx), sheet, a.output, a.start, language=current_language()
    )
    made = ngettext(
        "{count} label written to {path}", "{count} labels written to {path}", result.count
    ).format(count=result.count, path=result.path)
    ctx.emit(_document(result), lambda: _text(result, made))
    return 0


def cmd_letter(ctx: Context) -> int:
    a = ctx.args
    templates = {}
    for language in LANGUAGES:
        path = getattr(a, f"template_{language}")
        if path is not None:
            templates[language] = _read(path)
    fallback = _read(a.template) if a.template is not None else ""
    if not fallback and not templates:
        raise CliFailure(_("Give the letter's text: --template FILE."))
    ctx.services.post.check_templates(templates, fallback)
    result = ctx.services.post.letters(ctx.actor(), _chosen(ctx), templates, a.output, fallback)
    made = ngettext(
        "{count} letter written to {path}", "{count} letters written to {path}", result.count
    ).format(count=result.count, path=result.path)
    ctx.emit(_document(result), lambda: _text(result, made))
    return 0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        raise CliFailure(
            _("The template {path} cannot be read as text.").format(path=path)
        ) from None


def cmd_letterhead(ctx: Context) -> int:
    a = ctx.args
    data = None
    if a.logo is not None:
        try:
            data = a.logo.read_bytes()
        except OSError:
            raise CliFailure(_("The picture {path} cannot be read.").format(path=a.logo)) from None
    ctx.services.post.set_logo(ctx.actor(), data)
    done = _("Logo put on the letterhead.") if data else _("Logo taken off the letterhead.")
    ctx.emit({"logo": data is not None}, lambda: done)
    return 0
