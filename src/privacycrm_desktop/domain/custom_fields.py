"""Custom fields: personal fields the owner defines at run time (issue 21).

A definition names its key, label (with optional translations), kind, purposes, data
category and whether it is restricted, searchable and exported. ``catalogue_for`` turns the
definitions of a database into entries of the field catalogue (``domain.fields``), appended
to the static ones, so that every output derived from the catalogue (the field matrix,
exports, the access report, erasure) carries them. Their catalogue name is the key with the
prefix ``cf_`` (``catalogue_name``): it never meets a built-in field's name.

Values are kept as text in a normal form: a number as its decimal digits ("12.5"), a date
as ISO ("2026-03-02"), a choice as the option itself, yes/no as "yes" or "no".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.fields import (
    CUSTOM_PREFIX,
    FIELD_CATALOGUE,
    FieldSpec,
    Sensitivity,
    ValueKind,
)
from privacycrm_desktop.domain.normalize import strip_bidi_controls
from privacycrm_desktop.domain.purposes import DATA_CATEGORY_LABELS
from privacycrm_desktop.domain.text import N_


class CustomKind(StrEnum):
    """What a custom field holds."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    YESNO = "yesno"


class CustomTarget(StrEnum):
    """What a custom field belongs to: a person (contact) or a company."""

    CONTACT = "contact"
    COMPANY = "company"


CUSTOM_TARGET_LABELS = {
    CustomTarget.CONTACT: N_("Contacts"),
    CustomTarget.COMPANY: N_("Companies"),
}

CUSTOM_KIND_LABELS = {
    CustomKind.TEXT: N_("Text"),
    CustomKind.NUMBER: N_("Number"),
    CustomKind.DATE: N_("Date"),
    CustomKind.CHOICE: N_("Choice from a list"),
    CustomKind.YESNO: N_("Yes or no"),
}

#: The languages a label may be translated into (the report's languages).
LABEL_LANGUAGES = ("nl", "fr", "en")
MAX_KEY = 40
MAX_LABEL = 80
MAX_TEXT_VALUE = 1000
MAX_CHOICES = 50
#: The longest keep period a value may have (50 years).
MAX_KEEP_MONTHS = 600
YES, NO = "yes", "no"
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_YES_WORDS = frozenset({"yes", "y", "true", "1", "ja", "j", "oui", "o", "x"})
_NO_WORDS = frozenset({"no", "n", "false", "0", "nee", "non", ""})


@dataclass(frozen=True)
class CustomFieldDefinition:
    """One custom field as the owner defined it."""

    key: str
    label: str
    kind: CustomKind
    purposes: tuple[str, ...] = ("customer_relationship",)
    category: str = "relationship"
    restricted: bool = False
    searchable: bool = False
    exported: bool = False
    choices: tuple[str, ...] = ()
    #: Translations of the label: (language, label) pairs.
    labels: tuple[tuple[str, str], ...] = field(default=())
    #: What the field belongs to: contacts or companies.
    on: CustomTarget = CustomTarget.CONTACT
    #: How long a value is kept from the day it was recorded, in months; None keeps it
    #: as long as its contact (or company) is kept.
    keep_months: int | None = None

    @property
    def name(self) -> str:
        """The field's name in the catalogue and the field matrix."""
        return catalogue_name(self.key)

    def label_in(self, language: str) -> str:
        """The owner's label in *language*, else the label as defined."""
        return dict(self.labels).get(language) or self.label


def value_keep_until(definition: CustomFieldDefinition, recorded_on: dt.date) -> dt.date | None:
    """Until when a value of *definition* recorded on *recorded_on* is kept; None when it
    is kept as long as its contact or company (no keep rule of its own). The cleanup
    erases the value once this day has passed."""
    if definition.keep_months is None:
        return None
    from privacycrm_desktop.domain.retention import add_months

    return add_months(recorded_on, definition.keep_months)


def list_columns(
    definitions: Iterable[CustomFieldDefinition], access: Mapping[str, FieldAccess]
) -> tuple[CustomFieldDefinition, ...]:
    """The fields of *definitions* a list may show as columns to a role with *access*:
    those it sees, restricted ones left out. A restricted field's value is read on the
    card or in the editor, one record at a time, with an audit entry; a column would show
    it for a whole window of records without one. The fixed restricted fields (birth
    date, notes) have no list column either."""
    hidden = FieldAccess.HIDDEN
    return tuple(
        d for d in definitions if not d.restricted and access.get(d.name, hidden) is not hidden
    )


def catalogue_name(key: str) -> str:
    """``cf_`` and the key: the field's name in the catalogue."""
    return CUSTOM_PREFIX + key


def is_custom(name: str) -> bool:
    """True for a catalogue name of a custom field."""
    return name.startswith(CUSTOM_PREFIX)


def validate_definition(
    definition: CustomFieldDefinition, known_purposes: Iterable[str], taken: Iterable[str] = ()
) -> CustomFieldDefinition:
    """Check a definition; raise ``ValidationFailed`` listing every problem."""
    problems: list[FieldProblem] = []
    key = definition.key.strip().casefold()
    if not _KEY.match(key) or len(key) > MAX_KEY:
        problems.append(
            FieldProblem(
                "key",
                N_(
                    "A key is made of lower-case letters, digits and underscores, starts "
                    "with a letter and has at most {limit} characters."
                ),
                {"limit": MAX_KEY},
            )
        )
    elif key in set(taken):
        problems.append(FieldProblem("key", N_("A field with this key exists already.")))
    label = " ".join(definition.label.split())
    if not label:
        problems.append(FieldProblem("label", N_("Enter a label for the field.")))
    labels = tuple(
        (lang, " ".join(text.split())) for lang, text in definition.labels if text.strip()
    )
    if any(len(t) > MAX_LABEL for _l, t in (*labels, ("", label))):
        problems.append(
            FieldProblem("label", N_("Too long: at most {limit} characters."), {"limit": MAX_LABEL})
        )
    if any(lang not in LABEL_LANGUAGES for lang, _t in labels):
        problems.append(FieldProblem("label", N_("A label in an unknown language.")))
    choices = tuple(dict.fromkeys(c.strip() for c in definition.choices if c.strip()))
    if definition.kind is CustomKind.CHOICE and not choices:
        problems.append(FieldProblem("choices", N_("A choice field needs at least one option.")))
    if definition.kind is not CustomKind.CHOICE:
        choices = ()
    if len(choices) > MAX_CHOICES or any(len(c) > MAX_LABEL for c in choices):
        problems.append(FieldProblem("choices", N_("Too many or too long options.")))
    purposes = tuple(dict.fromkeys(definition.purposes))
    known = set(known_purposes)
    if not purposes:
        problems.append(FieldProblem("purposes", N_("Choose at least one purpose.")))
    elif any(p not in known for p in purposes):
        problems.append(FieldProblem("purposes", N_("No such purpose.")))
    if definition.category not in DATA_CATEGORY_LABELS:
        problems.append(FieldProblem("category", N_("No such data category.")))
    problems += _keep_problems(definition.keep_months)
    if problems:
        raise ValidationFailed(problems)
    return CustomFieldDefinition(
        key=key,
        label=label,
        kind=definition.kind,
        purposes=purposes,
        category=definition.category,
        restricted=definition.restricted,
        searchable=definition.searchable,
        exported=definition.exported,
        choices=choices,
        labels=labels,
        on=CustomTarget(definition.on),
        keep_months=definition.keep_months,
    )


def _keep_problems(keep_months: int | None) -> list[FieldProblem]:
    if keep_months is None or 1 <= keep_months <= MAX_KEEP_MONTHS:
        return []
    return [
        FieldProblem(
            "keep_months",
            N_("Keep a value between 1 and {limit} months."),
            {"limit": MAX_KEEP_MONTHS},
        )
    ]


def spec_for(definition: CustomFieldDefinition) -> FieldSpec:
    """The catalogue entry of a custom field."""
    return FieldSpec(
        definition.name,
        definition.label,
        Sensitivity.RESTRICTED if definition.restricted else Sensitivity.NORMAL,
        definition.purposes,
        value=ValueKind.CUSTOM,
        exported=definition.exported,
        import_merges=True,
        # A rectification request corrects the fixed fields; a custom value in the editor.
        rectifiable=False,
        category=definition.category,
        searchable=definition.searchable,
        labels=definition.labels,
    )


def catalogue_for(definitions: Sequence[CustomFieldDefinition]) -> tuple[FieldSpec, ...]:
    """The field catalogue of a database: the static fields, then its custom fields."""
    return (*FIELD_CATALOGUE, *(spec_for(d) for d in definitions))


def parse_value(definition: CustomFieldDefinition, raw: str) -> str:
    """The stored form of *raw* typed or imported for *definition*; "" for no value.

    Raises:
        ValidationFailed: the value does not fit the field's kind.
    """
    kind = definition.kind
    raw = strip_bidi_controls(raw or "")
    text = raw.strip() if kind is CustomKind.TEXT else " ".join(raw.split())
    if not text:
        return ""
    parsed, problem, params = _PARSERS[kind](definition, text)
    if parsed is None:
        raise ValidationFailed([FieldProblem(definition.name, problem, params)])
    return parsed


_Parsed = tuple[str | None, str, dict[str, object]]


def _text(_definition: CustomFieldDefinition, text: str) -> _Parsed:
    if len(text) > MAX_TEXT_VALUE:
        return None, N_("Too long: at most {limit} characters."), {"limit": MAX_TEXT_VALUE}
    return text, "", {}


#: A number's digits, as typed (12.5, -3, 1 000,25): no exponent ("9e999998" is a
#: million digits once written out), at most ``MAX_NUMBER_DIGITS`` digits.
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")
MAX_NUMBER_DIGITS = 30


def _number(_definition: CustomFieldDefinition, text: str) -> _Parsed:
    typed = text.replace(" ", "").replace("\u00a0", "")
    if not _NUMBER.fullmatch(typed):
        return None, N_("Enter a number."), {}
    if sum(c.isdigit() for c in typed) > MAX_NUMBER_DIGITS:
        return None, N_("Too long: at most {limit} digits."), {"limit": MAX_NUMBER_DIGITS}
    try:
        number = Decimal(typed.replace(",", "."))
    except InvalidOperation:
        return None, N_("Enter a number."), {}
    return format(number.normalize(), "f"), "", {}


def _date(_definition: CustomFieldDefinition, text: str) -> _Parsed:
    try:
        return dt.date.fromisoformat(text).isoformat(), "", {}
    except ValueError:
        pass
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date().isoformat(), "", {}
        except ValueError:
            continue
    return None, N_("Enter a date as DD/MM/YYYY."), {}


def _choice(definition: CustomFieldDefinition, text: str) -> _Parsed:
    for choice in definition.choices:
        if choice.casefold() == text.casefold():
            return choice, "", {}
    return None, N_("Choose one of: {choices}."), {"choices": ", ".join(definition.choices)}


def _yesno(_definition: CustomFieldDefinition, text: str) -> _Parsed:
    folded = text.casefold()
    if folded in _YES_WORDS:
        return YES, "", {}
    if folded in _NO_WORDS:
        return NO, "", {}
    return None, N_("Answer yes or no."), {}


_PARSERS = {
    CustomKind.TEXT: _text,
    CustomKind.NUMBER: _number,
    CustomKind.DATE: _date,
    CustomKind.CHOICE: _choice,
    CustomKind.YESNO: _yesno,
}


def custom_key_for(header: str, definitions: Sequence[CustomFieldDefinition]) -> str | None:
    """The key of the custom field a column named *header* fills (its key, its catalogue
    name or one of its labels, case and spacing aside), if any."""
    wanted = " ".join(header.split()).casefold()
    for definition in definitions:
        names = {definition.key, definition.name, definition.label}
        names |= {label for _lang, label in definition.labels}
        if wanted in {n.casefold() for n in names}:
            return definition.key
    return None


def parse_values(
    definitions: Sequence[CustomFieldDefinition], raw: Mapping[str, str]
) -> dict[str, str]:
    """The stored form of each value in *raw* (key -> text); every problem at once.

    Raises:
        ValidationFailed: an unknown key, or values that do not fit their field.
    """
    by_key = {d.key: d for d in definitions}
    problems: list[FieldProblem] = []
    parsed: dict[str, str] = {}
    for key, value in raw.items():
        definition = by_key.get(key)
        if definition is None:
            problems.append(FieldProblem(key, N_("No such field.")))
            continue
        try:
            parsed[key] = parse_value(definition, value)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationFailed(problems)
    return parsed
