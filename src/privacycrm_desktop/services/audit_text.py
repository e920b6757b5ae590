"""Audit events in words, in the reader's language: the action ("User deactivated"), the
record it touched (a user's or contact's name, "Request no. 7"), and its detail
("role: Privacy officer · number: 1.200") instead of the stored codes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from privacycrm_desktop.domain.access import FIELD_ACCESS_LABELS, ROLE_LABELS
from privacycrm_desktop.domain.audit_actions import (
    DETAIL_LABELS,
    ENTITY_LABELS,
    INTERNAL_RECIPIENT,
    OTHER_ENTITY,
    SYSTEM_ACTORS,
    DetailPart,
    action_label,
    split_detail,
)
from privacycrm_desktop.domain.consent import CHANNEL_LABELS, STATUS_LABELS
from privacycrm_desktop.domain.contacts import LANGUAGE_LABELS, NO_YEAR
from privacycrm_desktop.domain.custom_fields import CUSTOM_KIND_LABELS
from privacycrm_desktop.domain.erasure import ERASURE_REASON_LABELS
from privacycrm_desktop.domain.export_csv import CSV_PROFILE_LABELS
from privacycrm_desktop.domain.export_formats import EXPORT_FORMAT_LABELS
from privacycrm_desktop.domain.export_vcard import VCARD_VERSION_LABELS
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
from privacycrm_desktop.domain.merges import MERGED_PREFIX
from privacycrm_desktop.domain.purposes import DATA_CATEGORY_LABELS, RECIPIENT_KIND_LABELS
from privacycrm_desktop.domain.tasks import TASK_ORIGIN_LABELS
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import (
    format_birthday,
    format_long_date,
    format_moment,
    format_number,
    tr_in,
)
from privacycrm_desktop.services.requests import REQUEST_KIND_LABELS, REQUEST_STATUS_LABELS

#: Keys whose value is a code with a label of its own.
_CODED: dict[str, dict[str, str]] = {
    "role": {str(k.value): v for k, v in ROLE_LABELS.items()},
    "channel": {str(k.value): v for k, v in CHANNEL_LABELS.items()},
    "language": {str(k.value): v for k, v in LANGUAGE_LABELS.items()},
    # A request's kind, or a custom field's ("field.define": text, number...).
    "kind": {
        **{str(k.value): v for k, v in REQUEST_KIND_LABELS.items()},
        **{str(k.value): v for k, v in CUSTOM_KIND_LABELS.items()},
    },
    # What a custom field belongs to ("field.define").
    "on": {"contact": N_("people"), "company": N_("companies")},
    # A request's status ("open") or a consent event's ("opt_in"): the codes differ.
    "status": {
        **{str(k.value): v for k, v in REQUEST_STATUS_LABELS.items()},
        **{str(k.value): v for k, v in STATUS_LABELS.items()},
    },
    "reason": {str(k.value): v for k, v in ERASURE_REASON_LABELS.items()},
    "access": {str(k.value): v for k, v in FIELD_ACCESS_LABELS.items()},
    "categories": dict(DATA_CATEGORY_LABELS),
}
_CODED["from"] = _CODED["to"] = _CODED["role"]
#: An export's file format and its variant (the CSV's program or the vCard's version).
_CODED["format"] = {str(k.value): v for k, v in EXPORT_FORMAT_LABELS.items()}
_CODED["variant"] = {
    **{str(k.value): v for k, v in CSV_PROFILE_LABELS.items()},
    **{str(k.value): v for k, v in VCARD_VERSION_LABELS.items()},
}
#: A recipient is its number in the ledger, its kind, or the company itself.
_CODED["recipient"] = {
    **{str(k.value): v for k, v in RECIPIENT_KIND_LABELS.items()},
    INTERNAL_RECIPIENT: N_("within the company"),
}
#: The kinds of backup (the same words as the backups window).
_CODED["tier"] = {
    "daily": N_("Daily"),
    "weekly": N_("Weekly"),
    "monthly": N_("Monthly"),
    "manual": N_("Made by hand"),
    "exit": N_("At closing"),
    "before-restore": N_("Set aside at a restore (removed after 7 days)"),
}
_CODED["backend"] = {"postgresql": N_("PostgreSQL server"), "sqlite": N_("database file")}
#: Why a task exists, and what it is about (services/tasks.py).
_CODED["origin"] = {str(k.value): v for k, v in TASK_ORIGIN_LABELS.items()}
_CODED["linked"] = {"contact": N_("a person"), "company": N_("a company"), "none": N_("nobody")}
#: Keys that say yes or no with 1 or 0.
_FLAGS = frozenset(
    {
        "cancelled",
        "deferred",
        "encrypted",
        "failed",
        "interrupted",
        "ledger_read",
        "logo",
        "other_database",
        "second_copy",
        "second_folder",
        "verified",
    }
)
_YES, _NO = N_("yes"), N_("no")
#: Keys that name fields of a contact.
_FIELD_LISTS = frozenset({"fields", "field", "restricted"})
#: Records and values whose names the catalogue translates (the register's purposes).
_TRANSLATED_NAMES = frozenset({"purpose"})


def describe_action(action: str, language: str) -> str:
    """The action in words; an unknown code (from a newer version) as it is stored."""
    label = action_label(action)
    return tr_in(language, label) if label is not None else action


def describe_actor(actor: str, language: str) -> str:
    """Who did it: a user's name as it is, the app's own work ("automatic backup") in words."""
    label = SYSTEM_ACTORS.get(actor)
    return tr_in(language, label) if label is not None else actor


MERGED_CONTACT = N_("Contact no. {id}, merged into no. {survivor}")
MERGED_COMPANY = N_("Company no. {id}, merged into no. {survivor}")


def describe_record(entity: str, entity_id: str, name: str, language: str) -> str:
    """The record an event touched: the name when known, else its kind and number, or
    its kind and code in words ("Purpose: customer relationship")."""
    if name.startswith(MERGED_PREFIX) and entity_id.isdigit():
        survivor = name.removeprefix(MERGED_PREFIX)
        merged = MERGED_COMPANY if entity == "company" else MERGED_CONTACT
        return tr_in(
            language,
            merged,
            id=format_number(int(entity_id), language),
            survivor=format_number(int(survivor), language),
        )
    if name:
        # The register's own purposes are named in the catalogue; the owner's are as typed.
        return tr_in(language, name) if entity in _TRANSLATED_NAMES else name
    label = ENTITY_LABELS.get(entity, OTHER_ENTITY if entity else "")
    if not label:
        return ""
    number = entity_id if entity_id and entity_id != "-" else ""
    if "{id}" in label and not number:
        return _kind_alone(tr_in(language, label, id=""))
    if "{id}" in label and not number.isdigit():
        # A code, not a number (a purpose's): "Purpose: customer relationship".
        kind = _kind_alone(tr_in(language, label, id=""))
        return tr_in(language, "{name}: {value}", name=kind, value=number.replace("_", " "))
    shown = format_number(int(number), language) if number.isdigit() else number
    return tr_in(language, label, id=shown)


def _kind_alone(numbered: str) -> str:
    """ "Request no. " without its number: "Request" ("Verzoek nr. ", "Demande n° ")."""
    kind = numbered.rstrip(" .°")
    for abbreviation in (" no", " nr", " n"):
        kind = kind.removesuffix(abbreviation)
    return kind


def _value(key: str, value: str, language: str) -> str:
    coded = _CODED.get(key)
    if coded is not None:
        items = [v for v in value.split(",") if v]
        return ", ".join(tr_in(language, coded[v]) if v in coded else v for v in items)
    if (key in _FLAGS or key == "restricted") and value in ("0", "1"):
        # A custom field defined as restricted or not ("field.define"); an export's
        # "restricted" lists the restricted fields it held.
        answer = _YES if value == "1" else _NO
        return tr_in(language, answer)
    if key in _FIELD_LISTS:
        return ", ".join(
            tr_in(language, FIELDS_BY_NAME[f].label) if f in FIELDS_BY_NAME else f
            for f in value.split(",")
            if f
        )
    if key in _FLAGS and value in ("0", "1"):
        answer = _YES if value == "1" else _NO
        return tr_in(language, answer)
    if value.isdigit():
        return format_number(int(value), language)
    return _when(value, language)


def _when(value: str, language: str) -> str:
    """A stored ISO moment or date in words; any other text with its "_" as spaces."""
    try:
        if "T" in value:
            return format_moment(dt.datetime.fromisoformat(value), language)
        return format_long_date(dt.date.fromisoformat(value), language)
    except ValueError:
        return value.replace("_", " ")


_STOPPED = N_("stopped early")
_DAY_MONTH = re.compile(r"^(\d{2})-(\d{2})$")


def _free_text(value: str, language: str) -> str:
    if value == "stopped:":
        return tr_in(language, _STOPPED) + ":"
    if (day_month := _DAY_MONTH.match(value)) is not None:
        # A yearly date, month first ("03-01": the cleanup reminder): "1 March".
        month, day = (int(g) for g in day_month.groups())
        try:
            return format_birthday(dt.date(NO_YEAR, month, day), language)
        except ValueError:
            return value
    return _value("", value, language)


def describe_part(
    part: DetailPart, language: str, names: Mapping[tuple[str, str], str] | None = None
) -> str:
    """One part of a detail: "role: Privacy officer"; *names* names values of the
    register (a purpose's code, a recipient's number)."""
    if not part.key:
        return _free_text(part.value, language)
    label = DETAIL_LABELS.get(part.key)
    name = tr_in(language, label) if label else part.key.replace("_", " ")
    known = (names or {}).get((part.key, part.value))
    if known is None:
        value = _value(part.key, part.value, language) if part.value else "–"
    else:
        value = tr_in(language, known) if part.key in _TRANSLATED_NAMES else known
    return tr_in(language, "{name}: {value}", name=name, value=value)


def describe_detail(
    detail: str, language: str, names: Mapping[tuple[str, str], str] | None = None
) -> str:
    """An event's detail in words, its parts joined by " · "; *names* as for
    :func:`describe_part`."""
    return " · ".join(describe_part(p, language, names) for p in split_detail(detail))
