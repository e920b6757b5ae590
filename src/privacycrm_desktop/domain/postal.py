"""Addresses written as the post wants them on an envelope, and mail-merge templates.

A Belgian address (or one in the sender's own country) is the name, the street and
number, then the postcode and city. An address abroad gets the country on a last line of
its own, in capitals and in the sender's language (the Universal Postal Union's rule);
the British and Irish write the postcode on a line of its own under the town.

A mail-merge template is plain text with ``{field}`` placeholders; an unknown field is
refused before anything is printed, ``{{`` and ``}}`` write a brace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.text import N_

#: Countries where the postcode goes under the town, on its own line.
_POSTCODE_BELOW = frozenset({"GB", "IE"})


@dataclass(frozen=True)
class PostalAddress:
    """What goes on an envelope: who, and where."""

    name: str
    organisation: str
    street: str
    postcode: str
    city: str
    country: str

    @property
    def complete(self) -> bool:
        """True when the post can deliver it: a street and a town."""
        return bool(self.street.strip() and self.city.strip())


def address_lines(address: PostalAddress, home_country: str, country_label: str) -> list[str]:
    """The lines of *address* for a letter sent from *home_country*.

    *country_label* is the destination's name in the sender's language ("Frankrijk"); it
    is written in capitals on the last line when the letter goes abroad.
    """
    lines = [" ".join(address.name.split()), " ".join(address.organisation.split())]
    lines += [line.strip() for line in address.street.splitlines()]
    country = (address.country or home_country).strip().upper()
    postcode, city = " ".join(address.postcode.split()), " ".join(address.city.split())
    if country in _POSTCODE_BELOW:
        lines += [city.upper(), postcode.upper()]
    else:
        lines.append(" ".join(p for p in (postcode, city) if p))
    if country != home_country.upper():
        lines.append((country_label or country).upper())
    return [line for line in lines if line]


@dataclass(frozen=True)
class EnvelopeWindow:
    """Where a window envelope's window falls on an A4 letter folded in three and slid in,
    in mm from the page's top-left corner, and how far the letter may move inside."""

    left: float
    top: float
    width: float
    height: float
    #: How far the letter may slide to the left and down in the envelope (mm).
    slack_x: float
    slack_y: float

    def clear_area(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the part of the page the window shows wherever
        the letter lies in the envelope."""
        return (
            self.left,
            self.top,
            self.left + self.width - self.slack_x,
            self.top + self.height - self.slack_y,
        )


#: The DL envelope (110 x 220 mm) with its window of 45 x 100 mm on the right, 20 mm from
#: the right edge and 15 mm from the bottom (the window envelope sold in Belgium and
#: France, NF/ISO 269). An A4 letter folded at 105 mm (DIN 5008) and pushed to the top
#: left shows 100 to 200 mm from its left edge and 50 to 95 mm from its top; it can slide
#: 10 mm sideways (210 mm in 220) and 5 mm down (105 mm in 110).
DL_RIGHT_WINDOW = EnvelopeWindow(
    left=220 - 20 - 100, top=110 - 15 - 45, width=100, height=45, slack_x=10, slack_y=5
)


#: The fields a letter's template may use, with what each holds (msgids).
MERGE_FIELDS: dict[str, str] = {
    "salutation": N_("The greeting in the person's language, with their name"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "name": N_("First and last name"),
    "organisation": N_("Organisation"),
    "address": N_("The postal address, on several lines"),
    "street": N_("Street and number"),
    "postcode": N_("Postcode"),
    "city": N_("City"),
    "country": N_("Country"),
    "date": N_("Today's date, written out in the person's language"),
    "company": N_("Your company's name"),
}
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def template_fields(template: str) -> list[str]:
    """The fields *template* uses, in order, each once.

    Raises:
        ValidationFailed: an unknown field or a lone brace (with the fields there are).
    """
    used: list[str] = []
    unknown: list[str] = []
    lone = False
    for match in _PLACEHOLDER.finditer(template):
        mark = match.group(0)
        if mark in ("{{", "}}"):
            continue
        if mark in ("{", "}"):
            lone = True
            continue
        name = (match.group(1) or "").strip()
        if name in MERGE_FIELDS:
            if name not in used:
                used.append(name)
        elif name not in unknown:
            unknown.append(name)
    problems = []
    known = ", ".join("{" + f + "}" for f in MERGE_FIELDS)
    if unknown:
        problems.append(
            FieldProblem(
                "template",
                N_("The template uses unknown fields {unknown}; the fields are {known}."),
                {"unknown": ", ".join("{" + u + "}" for u in unknown), "known": known},
            )
        )
    if lone:
        problems.append(
            FieldProblem(
                "template",
                N_("A brace stands alone in the template: write {{ or }} for a brace."),
            )
        )
    if not template.strip():
        problems.append(FieldProblem("template", N_("The template is empty.")))
    if problems:
        raise ValidationFailed(problems)
    return used


def fill_template(template: str, values: dict[str, str]) -> str:
    """*template* with its fields filled in (checked first with ``template_fields``).

    Values are inserted once and never read again, so a brace in a name stays as it is.
    """
    template_fields(template)

    def one(match: re.Match[str]) -> str:
        mark = match.group(0)
        if mark == "{{":
            return "{"
        if mark == "}}":
            return "}"
        return values.get((match.group(1) or "").strip(), "")

    return _PLACEHOLDER.sub(one, template)


def choose_template(templates: dict[str, str], language: str, fallback: str = "") -> str:
    """The template for *language*: its own, else *fallback*, else English, Dutch, French.

    Raises:
        ValidationFailed: no template at all.
    """
    for key in (language, ""):
        text = templates.get(key, "") if key else fallback
        if text.strip():
            return text
    for key in ("en", "nl", "fr"):
        if templates.get(key, "").strip():
            return templates[key]
    raise ValidationFailed([FieldProblem("template", N_("Give a letter template."))])
