"""Rendering for ``privacycrm-cli``: one JSON document, or short text tables, on stdout.

Shared by the command groups, which keep their own documents next to their commands; no
Qt here (import-linter).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from privacycrm_desktop.domain.provenance import SOURCE_KIND_LABELS
from privacycrm_desktop.i18n import _, country_name, current_language
from privacycrm_desktop.services.dto import (
    ContactDetail,
    ContactRow,
    CustomValueInfo,
    SourceInfo,
    UserInfo,
)


def jsonable(value: Any) -> Any:
    """Plain JSON values: dataclasses as objects, enums by value, dates as ISO strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def emit(fmt: str, document: Any, text: Callable[[], str], out: TextIO | None = None) -> None:
    """Print *document* as JSON when *fmt* is json, else the text *text* renders."""
    stream = out or sys.stdout
    if fmt == "json":
        json.dump(jsonable(document), stream, ensure_ascii=False, indent=2)
        stream.write("\n")
    else:
        rendered = text()
        if rendered:
            stream.write(rendered.rstrip("\n") + "\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table with columns as wide as their widest cell."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


# -- documents ------------------------------------------------------------------------


def source_document(info: SourceInfo) -> dict[str, Any]:
    """Where a value came from, as the JSON output names it."""
    return {
        "kind": info.kind.value,
        "description": info.description,
        "obtained_on": info.obtained_on.isoformat(),
        "entered_by": info.entered_by,
        "recorded_at": info.recorded_at.isoformat(),
        "source_id": info.source_id,
    }


def hidden_text() -> str:
    """What the text output shows in place of a value hidden from the user's role."""
    return _("[hidden]")


def contact_row_document(row: ContactRow) -> dict[str, Any]:
    """One line of the contact list as JSON: a column hidden from the user's role is left
    out and named under ``hidden`` (never shown as an empty value)."""
    document = {
        "id": row.id,
        "name": row.name,
        "organisation": row.organisation,
        "email": row.email,
        "phone": row.phone,
        "city": row.city,
        "relationship": row.relationship.value,
        "keep_until": row.keep_until.isoformat() if row.keep_until else None,
    }
    for column in row.hidden:
        document.pop(column, None)
    document["hidden"] = list(row.hidden)
    return document


def _birthday_or_jsonable(field: str, value: Any) -> Any:
    """A value for the output; a birthday without its year as ISO 8601 and vCard write one
    (--MM-DD), not with the year ``contacts.NO_YEAR`` it is stored with."""
    from privacycrm_desktop.domain.contacts import has_year

    if field == "birth_date" and isinstance(value, dt.date) and not has_year(value):
        return value.strftime("--%m-%d")
    return jsonable(value)


def contact_document(detail: ContactDetail) -> dict[str, Any]:
    """Every field of a contact, each list value with its source, and ``sources`` per field."""
    document: dict[str, Any] = {}
    for field in dataclasses.fields(detail):
        if field.name in ("provenance", "emails", "phones", "field_access", "tags", "custom"):
            continue
        document[field.name] = _birthday_or_jsonable(field.name, getattr(detail, field.name))
    document["emails"] = [
        {"value": item.value, "source": source_document(item.source)} for item in detail.emails
    ]
    document["phones"] = [
        {"value": item.value, "source": source_document(item.source)} for item in detail.phones
    ]
    document["tags"] = [
        {
            "name": mark.name,
            "colour": mark.colour,
            "tagged_at": jsonable(mark.tagged_at),
            "tagged_by": mark.tagged_by,
            "source": None if mark.source is None else source_document(mark.source),
        }
        for mark in detail.tags
    ]
    document["custom_fields"] = custom_fields_document(detail.custom)
    document["sources"] = {
        name: source_document(info) for name, info in sorted(detail.provenance.items())
    }
    document["field_access"] = dict(detail.field_access)
    # A field hidden from the role is left out and named, never shown as an empty value.
    hidden = sorted(name for name, level in detail.field_access.items() if level == "hidden")
    for name in hidden:
        document.pop(name, None)
        document["sources"].pop(name, None)
    if "company_links" in hidden:
        document.pop("companies", None)
    elif "organisation" in hidden:
        # The company's name is the organisation's: left out, not shown empty.
        for link in document.get("companies", []):
            link.pop("company_name", None)
    document["hidden"] = hidden
    return document


def custom_fields_document(values: Sequence[CustomValueInfo]) -> dict[str, Any]:
    """Custom fields by key: the owner's label, the value as stored, its source (only the
    fields the role sees: the others are not even read)."""
    return {
        item.key: {
            "label": item.label,
            "kind": item.kind,
            "value": item.value,
            "masked": item.masked,
            "source": None if item.source is None else source_document(item.source),
        }
        for item in values
    }


def custom_fields_text(values: Sequence[CustomValueInfo]) -> list[list[object]]:
    """Rows (label in the user's language, value, source) of custom values for a table."""
    rows: list[list[object]] = []
    for custom in values:
        label = dict(custom.labels).get(current_language()) or custom.label
        source = "" if custom.source is None else _source_text(custom.source)
        rows.append([label, custom.value, source])
    return rows


def user_document(user: UserInfo) -> dict[str, Any]:
    """A user as ``user list`` shows it; never the hash."""
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role.value,
        "active": user.active,
        "locked": user.locked,
        "language": user.language,
    }


# -- text -----------------------------------------------------------------------------


def contacts_text(total: int, rows: Sequence[ContactRow], offset: int) -> str:
    """The contact list as a table with a count line under it."""
    headers = [
        _("Id"),
        _("Name"),
        _("Organisation"),
        _("E-mail"),
        _("Phone"),
        _("City"),
        _("Relationship"),
    ]
    columns = ("name", "organisation", "email", "phone", "city", "relationship")
    body = [
        [
            r.id,
            *(hidden_text() if c in r.hidden else jsonable(getattr(r, c)) for c in columns),
        ]
        for r in rows
    ]
    shown = _("{first}-{last} of {total}").format(
        first=offset + 1 if rows else 0, last=offset + len(rows), total=total
    )
    return table(headers, body) + "\n" + shown


def _source_text(info: SourceInfo | None) -> str:
    if info is None:
        return ""
    return _("source: {kind}, {description}, {date}, by {user}").format(
        kind=_(SOURCE_KIND_LABELS[info.kind]),
        description=info.description,
        date=info.obtained_on.isoformat(),
        user=info.entered_by or "?",
    )


def _human(field: str, value: Any) -> Any:
    """A value as a person reads it: a kind, relationship, language or country by its name
    in the user's language (dates stay ISO: scripts read this output too)."""
    from privacycrm_desktop.domain.contacts import (
        KIND_LABELS,
        LANGUAGE_LABELS,
        RELATIONSHIP_LABELS,
    )

    labels: dict[str, dict[Any, str]] = {
        "kind": dict(KIND_LABELS),
        "relationship": dict(RELATIONSHIP_LABELS),
        "language": dict(LANGUAGE_LABELS),
    }
    if field in labels and value in labels[field]:
        return _(labels[field][value])
    if field == "country" and isinstance(value, str) and len(value) == 2:
        return country_name(value)
    return _birthday_or_jsonable(field, value)


def contact_text(detail: ContactDetail) -> str:
    """One contact, a field a line, each with where it came from."""
    labels = [
        ("kind", _("Kind")),
        ("first_name", _("First name")),
        ("last_name", _("Last name")),
        ("organisation", _("Organisation")),
        ("street", _("Street")),
        ("postcode", _("Postcode")),
        ("city", _("City")),
        ("country", _("Country")),
        ("language", _("Language")),
        ("birth_date", _("Birth date")),
        ("notes", _("Notes")),
        ("relationship", _("Relationship")),
        ("relationship_start", _("Relationship since")),
        ("relationship_end", _("Relationship ended")),
        ("last_interaction", _("Last interaction")),
        ("keep_until", _("Keep until")),
    ]
    rows: list[list[object]] = [[_("Id"), detail.id, ""]]
    for name, label in labels:
        if detail.field_access.get(name) == "hidden":
            rows.append([label, hidden_text(), ""])
            continue
        value = _human(name, getattr(detail, name))
        source = _source_text(detail.provenance.get(name)) if value not in (None, "") else ""
        rows.append([label, "" if value is None else value, source])
    lists = (("emails", _("E-mail"), detail.emails), ("phones", _("Phone"), detail.phones))
    for name, label, items in lists:
        if detail.field_access.get(name) == "hidden":
            rows.append([label, hidden_text(), ""])
        for item in items:
            rows.append([label, item.value, _source_text(item.source)])
    for link in detail.companies:
        until = _("until {date}").format(date=link.ended_on.isoformat()) if link.ended_on else ""
        shown = ", ".join(
            p for p in (link.company_name, link.function, link.department, until) if p
        )
        rows.append([_("Company"), shown, _source_text(link.source)])
    rows += custom_fields_text(detail.custom)
    if detail.field_access.get("tags") == "hidden":
        rows.append([_("Tags"), hidden_text(), ""])
    elif detail.tags:
        rows.append([_("Tags"), ", ".join(m.name for m in detail.tags), ""])
    return table([_("Field"), _("Value"), _("Source")], rows)


def _role(user: UserInfo) -> str:
    """ "office (Office staff)": the code to type in commands, and its name."""
    from privacycrm_desktop.domain.access import ROLE_LABELS

    return f"{user.role.value} ({_(ROLE_LABELS[user.role])})"


def users_text(users: Sequence[UserInfo]) -> str:
    """The users as a table."""
    yes, no = _("yes"), _("no")
    return table(
        [_("Id"), _("User name"), _("Role"), _("Active"), _("Locked")],
        [
            [u.id, u.username, _role(u), yes if u.active else no, yes if u.locked else no]
            for u in users
        ],
    )
