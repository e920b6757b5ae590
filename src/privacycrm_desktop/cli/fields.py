"""``privacycrm-cli field define|list``: the owner's custom fields (docs/architecture.md,
"Headless interface"; names may grow, never change).

``field define KEY --label L --kind text|number|date|choice|yesno`` (``--type`` is the same
option) with ``--choice X`` (repeatable) or ``--choices A,B``, ``--label-nl/-fr/-en``,
``--purpose P`` (repeatable), ``--category C``, ``--restricted``, ``--searchable`` and
``--exported``; ``--on contact|company`` (what it belongs to, contacts by default) and
``--keep-months N`` (each value erased by the cleanup N months after it was recorded; by
default a value is kept as long as its contact or company). A contact's values:
``contacts add ... --field KEY=VALUE``; a company's: ``company add ... --field KEY=VALUE``.
"""

from __future__ import annotations

from typing import Any

from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.context import Context
from privacycrm_desktop.cli.options import Parents, Subparsers, non_negative
from privacycrm_desktop.domain.custom_fields import (
    CUSTOM_TARGET_LABELS,
    LABEL_LANGUAGES,
    CustomFieldDefinition,
    CustomKind,
    CustomTarget,
)
from privacycrm_desktop.domain.purposes import DATA_CATEGORY_LABELS
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.custom_fields import keep_text


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``field define`` and ``field list`` to the parser."""
    field = commands.add_parser("field", help=_("custom fields of contacts and companies"))
    sub = field.add_subparsers(dest="field_command", required=True, metavar="COMMAND")
    p = sub.add_parser("define", parents=parents, help=_("define a custom field (owner only)"))
    p.add_argument("key", help=_("the field's key: lower-case letters, digits, underscores"))
    p.add_argument("--label", help=_("the field's label (default: the key)"))
    for lang in LABEL_LANGUAGES:
        p.add_argument(f"--label-{lang}", help=_("the label in this language"))
    p.add_argument(
        "--kind",
        "--type",
        dest="kind",
        required=True,
        choices=[k.value for k in CustomKind],
        help=_("what the field holds"),
    )
    p.add_argument("--choice", action="append", default=[], help=_("an option (repeatable)"))
    p.add_argument("--choices", default="", help=_("options, separated by commas"))
    p.add_argument(
        "--purpose",
        action="append",
        default=[],
        help=_("a purpose needing it (repeatable; default customer_relationship)"),
    )
    p.add_argument(
        "--category",
        default="relationship",
        choices=sorted(DATA_CATEGORY_LABELS),
        help=_("its data category"),
    )
    p.add_argument(
        "--restricted",
        action="store_true",
        help=_("hidden from sales, office and read-only staff unless the matrix says otherwise"),
    )
    p.add_argument("--searchable", action="store_true", help=_("the search box finds it"))
    p.add_argument("--exported", action="store_true", help=_("exports carry it"))
    p.add_argument(
        "--on",
        choices=[t.value for t in CustomTarget],
        default=CustomTarget.CONTACT.value,
        help=_("what the field belongs to (default: contact)"),
    )
    p.add_argument(
        "--keep-months",
        type=non_negative,
        help=_(
            "erase each value this many months after it was recorded "
            "(default: kept as long as its contact or company)"
        ),
    )
    p.set_defaults(run=cmd_field_define)
    p = sub.add_parser("list", parents=parents, help=_("the custom fields"))
    p.set_defaults(run=cmd_field_list)


def cmd_field_define(ctx: Context) -> int:
    a = ctx.args
    choices = [*a.choice, *(c for c in a.choices.split(",") if c.strip())]
    labels = tuple(
        (lang, getattr(a, f"label_{lang}"))
        for lang in LABEL_LANGUAGES
        if getattr(a, f"label_{lang}")
    )
    definition = CustomFieldDefinition(
        key=a.key,
        label=a.label or a.key,
        kind=CustomKind(a.kind),
        purposes=tuple(a.purpose) or ("customer_relationship",),
        category=a.category,
        restricted=a.restricted,
        searchable=a.searchable,
        exported=a.exported,
        choices=tuple(choices),
        labels=labels,
        on=CustomTarget(a.on),
        keep_months=a.keep_months,
    )
    new_id = ctx.services.custom_fields.define(ctx.actor(), definition)
    ctx.emit({"id": new_id, "key": definition.key.strip().casefold()}, lambda: str(new_id))
    return 0


def definition_document(definition: CustomFieldDefinition) -> dict[str, Any]:
    """A custom field's definition as ``field list`` shows it."""
    return {
        "key": definition.key,
        "field": definition.name,
        "label": definition.label,
        "labels": dict(definition.labels),
        "kind": definition.kind.value,
        "choices": list(definition.choices),
        "purposes": list(definition.purposes),
        "category": definition.category,
        "restricted": definition.restricted,
        "searchable": definition.searchable,
        "exported": definition.exported,
        "on": definition.on.value,
        # None: kept as long as its contact or company.
        "keep_months": definition.keep_months,
    }


def cmd_field_list(ctx: Context) -> int:
    definitions = ctx.services.custom_fields.definitions(ctx.actor())
    document = {"fields": [definition_document(d) for d in definitions]}

    def text() -> str:
        rows = [
            [
                d.key,
                d.label,
                _(_kind_label(d.kind)),
                _(CUSTOM_TARGET_LABELS[d.on]),
                keep_text(d.keep_months),
                ", ".join(d.purposes),
            ]
            for d in definitions
        ]
        headers = [_("Key"), _("Label"), _("Kind"), _("On"), _("Kept"), _("Purposes")]
        return out.table(headers, rows)

    ctx.emit(document, text)
    return 0


def _kind_label(kind: CustomKind) -> str:
    from privacycrm_desktop.domain.custom_fields import CUSTOM_KIND_LABELS

    return CUSTOM_KIND_LABELS[kind]
