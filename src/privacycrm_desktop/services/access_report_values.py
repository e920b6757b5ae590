"""How the access report prints a contact's values: which, in what order, and those that
need more than their text (a company link, a consent)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from privacycrm_desktop.domain.consent import CHANNEL_LABELS, METHOD_LABELS, STATUS_LABELS
from privacycrm_desktop.domain.contacts import LANGUAGE_LABELS, RELATIONSHIP_LABELS, SCALAR_FIELDS
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE, FIELDS_BY_NAME, ValueKind
from privacycrm_desktop.domain.special_categories import (
    CONSENT_PREFIX,
    SPECIAL_CATEGORY_LABELS,
    SpecialCategory,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import (
    country_name,
    format_birthday,
    format_long_date,
    local_date,
    tr_in,
)
from privacycrm_desktop.services.consent_dto import ConsentEventInfo
from privacycrm_desktop.services.custom_fields import display_value
from privacycrm_desktop.services.dto import CompanyLinkInfo, ContactDetail, SourceInfo

if TYPE_CHECKING:
    from privacycrm_desktop.reports.access_report import ReportConsent


#: Scalar fields printed, in the catalogue's order but for two named differences: the kind
#: (person or company address) is not printed, and the notes, free text that may run long,
#: come last.
_NOT_PRINTED = ("kind",)
_PRINTED_LAST = ("notes",)
_PRINTED = (
    *(f for f in SCALAR_FIELDS if f not in _NOT_PRINTED and f not in _PRINTED_LAST),
    *_PRINTED_LAST,
)
#: The lists (e-mails, phones) are printed where the catalogue has them: after the scalar
#: fields it holds before them (the name and organisation), before the rest.
_FIRST_LIST = next(i for i, spec in enumerate(FIELD_CATALOGUE) if spec.value is ValueKind.LIST)
_BEFORE_LISTS = frozenset(spec.name for spec in FIELD_CATALOGUE[:_FIRST_LIST])
_SCALARS_BEFORE = tuple(f for f in _PRINTED if f in _BEFORE_LISTS)
_SCALARS_AFTER = tuple(f for f in _PRINTED if f not in _BEFORE_LISTS)


def link_text(link: CompanyLinkInfo, lang: str) -> str:
    """A company link as printed: "Acme NV, function: buyer, since 1 March 2024"."""
    parts = [link.company_name]
    if link.function:
        parts.append(tr_in(lang, "function: {function}", function=link.function))
    if link.department:
        parts.append(tr_in(lang, "department: {department}", department=link.department))
    if link.started_on is not None:
        parts.append(tr_in(lang, "since {date}", date=format_long_date(link.started_on, lang)))
    if link.ended_on is not None:
        parts.append(tr_in(lang, "until {date}", date=format_long_date(link.ended_on, lang)))
    return ", ".join(p for p in parts if p)


def special_category_of(event: ConsentEventInfo) -> SpecialCategory | None:
    """The special category a written consent is about, None for any other consent."""
    code = event.product_category.removeprefix(CONSENT_PREFIX)
    if event.product_category.startswith(CONSENT_PREFIX) and code in set(SpecialCategory):
        return SpecialCategory(code)
    return None


def report_consent(event: ConsentEventInfo) -> ReportConsent:
    """A consent event as the report lists it: a written consent for special-category data
    says so and names its category, not "customer relationship / post"."""
    from privacycrm_desktop.reports.access_report import ReportConsent

    on = local_date(event.recorded_at)
    category = special_category_of(event)
    if category is not None or event.withheld:
        return ReportConsent(
            on,
            N_("Written consent for special-category data"),
            N_("In writing"),
            STATUS_LABELS[event.status],
            METHOD_LABELS[event.method],
            SPECIAL_CATEGORY_LABELS[category] if category is not None else "",
        )
    return ReportConsent(
        on,
        event.purpose_name,
        CHANNEL_LABELS[event.channel],
        STATUS_LABELS[event.status],
        METHOD_LABELS[event.method],
    )


def printed_values(
    detail: ContactDetail, lang: str
) -> list[tuple[str, str, str, SourceInfo | None]]:
    """(field, label msgid, value as printed, source) for every value the actor may see."""
    out: list[tuple[str, str, str, SourceInfo | None]] = []

    def scalar(field: str) -> None:
        if detail.field_access.get(field, "hidden") == "hidden":
            return
        value: Any = getattr(detail, field)
        if value is None or value == "":
            return
        if field == "birth_date" and isinstance(value, dt.date):
            shown = format_birthday(value, lang)
        elif isinstance(value, dt.date):
            shown = format_long_date(value, lang)
        elif field == "relationship":
            shown = tr_in(lang, RELATIONSHIP_LABELS[value])
        elif field == "language":
            shown = tr_in(lang, LANGUAGE_LABELS[value])
        elif field == "country":
            shown = country_name(str(value), lang)
        else:
            shown = str(value)
        out.append((field, FIELDS_BY_NAME[field].label, shown, detail.provenance.get(field)))

    for field in _SCALARS_BEFORE:
        scalar(field)
    for item in detail.emails:
        out.append(("emails", N_("E-mail address"), item.value, item.source))
    for item in detail.phones:
        out.append(("phones", N_("Phone number"), item.value, item.source))
    for field in _SCALARS_AFTER:
        scalar(field)
    for link in detail.companies:
        out.append(
            ("company_links", N_("Company and function"), link_text(link, lang), link.source)
        )
    for cv in detail.custom:  # the owner's fields, labelled in the person's language
        label = dict(cv.labels).get(lang) or cv.label
        out.append((cv.name, label, display_value(cv.kind, cv.value, lang), cv.source))
    return out
