"""The lines of an import's summary that the CLI and the wizard both show, in the
current language: how many values need a look, and which defaults were taken."""

from __future__ import annotations

from collections.abc import Callable

from privacycrm_desktop.i18n import country_name, language_name, ngettext
from privacycrm_desktop.services.imports.model import ImportResult


def to_check_line(result: ImportResult, number: Callable[[int], str] = str) -> str:
    """How many values were kept as typed or in the notes ("" when none); *number*
    writes a count (the wizard groups the digits as the language does)."""
    count = len(result.to_check)
    if not count:
        return ""
    return ngettext(
        "{count} value needs a look (kept as typed or in the notes)",
        "{count} values need a look (kept as typed or in the notes)",
        count,
    ).format(count=number(count))


def defaults_lines(result: ImportResult, number: Callable[[int], str] = str) -> list[str]:
    """The rows that named no country or language, and what was taken for them."""
    lines = []
    country_rows = result.defaulted.get("country", 0)
    if country_rows:
        lines.append(
            ngettext(
                "{count} row names no country: {country} taken",
                "{count} rows name no country: {country} taken",
                country_rows,
            ).format(
                count=number(country_rows),
                # "België", "Belgique", "Belgium": the country by name, not its code.
                country=country_name(result.defaults.get("country", "")),
            )
        )
    language_rows = result.defaulted.get("language", 0)
    if language_rows:
        lines.append(
            ngettext(
                "{count} row names no language: the country's taken, else {language}",
                "{count} rows name no language: the country's taken, else {language}",
                language_rows,
            ).format(
                count=number(language_rows),
                language=language_name(result.defaults.get("language", "")),
            )
        )
    return lines


def conflicts_line(result: ImportResult, number: Callable[[int], str] = str) -> str:
    """How many merged rows held another value for a filled field, kept as it was ("" when
    none): what a merge did not take is said, never dropped without a word."""
    if not result.conflicts:
        return ""
    return ngettext(
        "{count} merged row had another value for a field the contact already had: "
        "the contact's value is kept.",
        "{count} merged rows had another value for a field the contact already had: "
        "the contact's value is kept.",
        result.conflicts,
    ).format(count=number(result.conflicts))
