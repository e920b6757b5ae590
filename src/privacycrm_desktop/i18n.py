"""One Qt-free translation layer (gettext, catalogues compiled with Babel) for UI, CLI and
reports, so a report can be written in the data subject's language whatever the UI's.

Code marks strings with ``_()`` (translate now) or ``N_()`` (translate later, for msgids
raised by the domain); ``tr_in(lang, msg)`` translates into a given language.
"""

from __future__ import annotations

import datetime as dt
import gettext
from decimal import Decimal
from functools import lru_cache
from typing import Any

from privacycrm_desktop.config import resources_dir
from privacycrm_desktop.domain.contacts import has_year
from privacycrm_desktop.domain.errors import DomainError, FieldProblem, ValidationFailed
from privacycrm_desktop.domain.marketing import Explanation
from privacycrm_desktop.domain.text import N_

LANGUAGES = ("nl", "fr", "en")
DOMAIN = "privacycrm"
_state = {"language": "en"}

__all__ = [
    "LANGUAGES",
    "N_",
    "_",
    "country_name",
    "country_names",
    "current_language",
    "describe_error",
    "describe_explanation",
    "format_date",
    "format_long_date",
    "format_moment",
    "format_number",
    "language_name",
    "ngettext",
    "tr_in",
]


@lru_cache(maxsize=8)
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of *language* (English falls back to the msgids themselves)."""
    return gettext.translation(
        DOMAIN, resources_dir() / "locale", languages=[language], fallback=True
    )


def set_language(language: str) -> None:
    """Make *language* the one ``_()`` translates into (nl, fr or en)."""
    _state["language"] = language if language in LANGUAGES else "en"


def current_language() -> str:
    """The language ``_()`` translates into."""
    return _state["language"]


def _(message: str) -> str:
    """Translate *message* into the current language."""
    return translations(_state["language"]).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """Translate with a plural form chosen by *count*."""
    return translations(_state["language"]).ngettext(singular, plural, count)


def tr_in(language: str, message: str, **params: Any) -> str:
    """Translate *message* into *language* and fill in its placeholders."""
    text = translations(language).gettext(message)
    return text.format(**params) if params else text


def describe_problem(problem: FieldProblem, language: str | None = None) -> str:
    """One invalid value, explained in the user's language."""
    return tr_in(language or current_language(), problem.message, **problem.params)


def describe_error(error: DomainError, language: str | None = None) -> str:
    """A refusal from the domain or services, in the user's language, on one line."""
    lang = language or current_language()
    if isinstance(error, ValidationFailed) and error.problems:
        return " ".join(describe_problem(p, lang) for p in error.problems)
    return tr_in(lang, error.message, **error.params)


def babel_locale(language: str | None = None) -> str:
    """The Belgian locale of a language for Babel (English: British conventions)."""
    lang = language or current_language()
    return {"nl": "nl_BE", "fr": "fr_BE"}.get(lang, "en_GB")


def format_long_date(value: dt.date, language: str | None = None) -> str:
    """A date written out: "2 maart 2026", "2 mars 2026", "2 March 2026"."""
    from babel.dates import format_date

    return str(format_date(value, format="long", locale=babel_locale(language)))


def format_date(value: dt.date, language: str | None = None) -> str:
    """A date in the language's short form, with its four-digit year: "2/3/2026" (nl),
    "02/03/2026" (fr, en)."""
    from babel.dates import format_skeleton

    # A skeleton rather than CLDR's "short" format, which cuts the year to two digits.
    return str(format_skeleton("yMMdd", value, locale=babel_locale(language)))


def format_moment(
    moment: dt.datetime, language: str | None = None, *, seconds: bool = False, long: bool = False
) -> str:
    """A stored (UTC) moment as local date and time in the language's words:
    "12 maart 2026 om 10:40", "12 mars 2026 à 10:40", "12 March 2026 at 10:40"; short:
    "12/03/2026 10:40"."""
    from babel.dates import format_time

    local = local_moment(moment)
    clock = str(
        format_time(local.time(), "HH:mm:ss" if seconds else "HH:mm", locale=babel_locale(language))
    )
    if long:
        day = format_long_date(local.date(), language)
        lang = language or current_language()
        return tr_in(lang, "{date} at {time}", date=day, time=clock)
    return f"{format_date(local.date(), language)} {clock}"


def language_name(code: str, language: str | None = None) -> str:
    """A language's name in the UI language ("nl" -> "Nederlands", "néerlandais", "Dutch");
    an unknown code as it is."""
    from privacycrm_desktop.domain.contacts import LANGUAGE_LABELS, Language

    try:
        label = LANGUAGE_LABELS[Language(code)]
    except ValueError:
        return code
    return tr_in(language or current_language(), label)


def format_birthday(value: dt.date, language: str | None = None) -> str:
    """A birth date written out; a birthday without a year (``contacts.NO_YEAR``) as
    day and month only: "17 mei", "17 mai", "May 17"."""
    from babel.dates import format_skeleton

    if has_year(value):
        return format_long_date(value, language)
    return str(format_skeleton("MMMMd", value, locale=babel_locale(language)))


def local_moment(moment: dt.datetime) -> dt.datetime:
    """A stored moment as this computer's local time, with its zone.

    The database keeps every moment in UTC (naive: without a zone); a person reads local
    time, in winter and in summer time alike ("03:40" for a consent given at
    04:40 in Brussels is wrong evidence).
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone()


def local_date(moment: dt.datetime) -> dt.date:
    """The local date of a stored (UTC) moment: just after midnight is the new day."""
    return local_moment(moment).date()


def local_clock(moment: dt.datetime, *, seconds: bool = False, zone: bool = True) -> str:
    """The local time of a stored (UTC) moment: "04:40 CET", "15:20:07 CEST"."""
    local = local_moment(moment)
    text = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    name = local.strftime("%Z") if zone else ""
    return f"{text} {name}" if name else text


#: The group separator of a whole number in each language (CLDR's, as Babel writes it:
#: nl_BE ".", fr_BE a narrow no-break space, en_GB ","; a test keeps them in step).
GROUP_SEPARATORS = {"nl": ".", "fr": "\u202f", "en": ","}


def format_number(value: int | Decimal, language: str | None = None) -> str:
    """A number with the locale's grouping: "12.345" (nl), "12 345" (fr), "12,345" (en);
    a decimal keeps all its digits ("12.500.000,25").

    A whole number is grouped here: the list's count shows at the first paint, and
    Babel's locale data cost ~20 ms to load (issue 23)."""
    if type(value) is int:
        separator = GROUP_SEPARATORS.get(language or current_language(), ",")
        return f"{value:,}".replace(",", separator)
    from babel.numbers import format_decimal

    return str(format_decimal(value, locale=babel_locale(language), decimal_quantization=False))


#: Codes in CLDR's territory list that are not countries (groupings, test codes).
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})


@lru_cache(maxsize=4)
def country_names(language: str) -> dict[str, str]:
    """Every country's name by its ISO code, in *language* (CLDR data through Babel)."""
    from babel import Locale

    territories = Locale.parse(babel_locale(language)).territories
    return {
        code: str(name)
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


def country_name(code: str, language: str | None = None) -> str:
    """A country's name in the language ("BE" -> "België", "Belgique", "Belgium")."""
    return country_names(language or current_language()).get(code.upper(), code)


def describe_explanation(explanation: Explanation, language: str | None = None) -> str:
    """A marketing verdict in plain words ("No e-mail marketing: opted out by phone on ...").

    Params that are msgids (prefix, method, reason) are translated, dates written out;
    ``categories`` is the owner's own text and stays as it is.
    """
    lang = language or current_language()
    params: dict[str, str] = {}
    for key, value in explanation.params.items():
        if isinstance(value, dt.date):
            params[key] = format_long_date(value, lang)
        elif key == "categories" or not value:
            params[key] = value
        else:
            params[key] = tr_in(lang, value)
    return tr_in(lang, explanation.message, **params)
