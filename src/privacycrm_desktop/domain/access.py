"""Who may do what: roles, permissions and the field x role matrix (rules 19 and 20).

One policy decides; services enforce it, deny by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from privacycrm_desktop.domain.errors import PermissionDenied
from privacycrm_desktop.domain.fields import (
    CUSTOM_PREFIX,
    FIELD_CATALOGUE,
    FieldSpec,
    Sensitivity,
)
from privacycrm_desktop.domain.text import N_


class Role(StrEnum):
    """Roles shipped with the app."""

    OWNER = "owner"
    PRIVACY_OFFICER = "privacy_officer"
    SALES = "sales"
    OFFICE = "office"
    READ_ONLY = "read_only"


ROLE_LABELS = {
    Role.OWNER: N_("Owner"),
    Role.PRIVACY_OFFICER: N_("Privacy officer"),
    Role.SALES: N_("Sales"),
    Role.OFFICE: N_("Office"),
    Role.READ_ONLY: N_("Read only"),
}


class Permission(StrEnum):
    """Actions a role may be granted."""

    VIEW_CONTACTS = "contacts.view"
    CREATE_CONTACTS = "contacts.create"
    EDIT_CONTACTS = "contacts.edit"
    MANAGE_USERS = "users.manage"
    VIEW_AUDIT = "audit.view"
    EXPORT = "export"
    ACCESS_REPORT = "report.access"
    ERASE = "erase"
    MANAGE_REQUESTS = "requests.manage"
    RECORD_CONSENT = "consent.record"
    MARKETING_LISTS = "marketing.lists"
    EDIT_SETTINGS = "settings.edit"
    IMPORT = "import"
    BACKUP = "backup"
    RESTORE = "backup.restore"
    CLEANUP = "cleanup"
    EDIT_FIELD_MATRIX = "fields.matrix"
    MERGE_CONTACTS = "contacts.merge"


class FieldAccess(StrEnum):
    """How much of a field a role sees, weakest first."""

    HIDDEN = "hidden"
    MASKED = "masked"
    READ = "read"
    WRITE = "write"


FIELD_ACCESS_LABELS = {
    FieldAccess.HIDDEN: N_("Hidden"),
    FieldAccess.MASKED: N_("Masked"),
    FieldAccess.READ: N_("Read"),
    FieldAccess.WRITE: N_("Write"),
}

_EVERYTHING = frozenset(Permission)
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.OWNER: _EVERYTHING,
    Role.PRIVACY_OFFICER: _EVERYTHING
    - {Permission.MANAGE_USERS, Permission.EDIT_FIELD_MATRIX, Permission.RESTORE},
    Role.SALES: frozenset(
        {
            Permission.VIEW_CONTACTS,
            Permission.CREATE_CONTACTS,
            Permission.EDIT_CONTACTS,
            Permission.RECORD_CONSENT,
            Permission.MARKETING_LISTS,
            Permission.EXPORT,
            Permission.IMPORT,
        }
    ),
    Role.OFFICE: frozenset(
        {
            Permission.VIEW_CONTACTS,
            Permission.CREATE_CONTACTS,
            Permission.EDIT_CONTACTS,
            Permission.RECORD_CONSENT,
        }
    ),
    Role.READ_ONLY: frozenset({Permission.VIEW_CONTACTS}),
}


def _default_field_access(  # noqa: PLR0911 (one return per rule)
    role: Role, field: str, sensitivity: Sensitivity
) -> FieldAccess:
    if role in (Role.OWNER, Role.PRIVACY_OFFICER):
        return FieldAccess.WRITE
    if sensitivity is Sensitivity.SPECIAL_CATEGORY:
        return FieldAccess.HIDDEN
    if field.startswith(CUSTOM_PREFIX):
        # The owner's own fields: restricted ones stay with the owner and privacy officer.
        if sensitivity is Sensitivity.RESTRICTED:
            return FieldAccess.HIDDEN
        return FieldAccess.READ if role is Role.READ_ONLY else FieldAccess.WRITE
    if role is Role.SALES:
        return FieldAccess.READ if field == "birth_date" else FieldAccess.WRITE
    if role is Role.OFFICE:
        return FieldAccess.HIDDEN if field in ("notes", "birth_date") else FieldAccess.WRITE
    # Read-only staff see the basics; restricted fields stay hidden, phones masked.
    if sensitivity is Sensitivity.RESTRICTED:
        return FieldAccess.HIDDEN
    return FieldAccess.MASKED if field == "phones" else FieldAccess.READ


DEFAULT_FIELD_MATRIX: Mapping[tuple[Role, str], FieldAccess] = {
    (role, spec.name): _default_field_access(role, spec.name, spec.sensitivity)
    for role in Role
    for spec in FIELD_CATALOGUE
}


def has_permission(role: Role, permission: Permission) -> bool:
    """True when *role* is granted *permission*; anything unlisted is denied."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def require(role: Role, permission: Permission) -> None:
    """Raise ``PermissionDenied`` unless *role* has *permission*."""
    if not has_permission(role, permission):
        raise PermissionDenied


def field_access(
    role: Role,
    field: str,
    overrides: Mapping[tuple[Role, str], FieldAccess] | None = None,
) -> FieldAccess:
    """The access *role* has to *field*: the owner's overrides, else the default, else hidden."""
    if overrides and (role, field) in overrides:
        return overrides[(role, field)]
    return DEFAULT_FIELD_MATRIX.get((role, field), FieldAccess.HIDDEN)


def default_access(role: Role, spec: FieldSpec) -> FieldAccess:
    """The shipped default of *role* for *spec*, a custom field's included."""
    default = DEFAULT_FIELD_MATRIX.get((role, spec.name))
    if default is not None:
        return default
    return _default_field_access(role, spec.name, spec.sensitivity)


def catalogue_access(
    role: Role,
    catalogue: tuple[FieldSpec, ...],
    overrides: Mapping[tuple[Role, str], FieldAccess] | None = None,
) -> dict[str, FieldAccess]:
    """Every field of *catalogue* (custom ones included) with the access *role* has to it."""
    return {
        spec.name: overrides[(role, spec.name)]
        if overrides and (role, spec.name) in overrides
        else default_access(role, spec)
        for spec in catalogue
    }


def mask(value: str, keep: int = 3) -> str:
    """Show only the last *keep* characters of a value: "+32475123456" -> "••••••••456"."""
    if len(value) <= keep:
        return "•" * len(value)
    return "•" * (len(value) - keep) + value[-keep:]
