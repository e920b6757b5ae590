"""The field x role matrix as the owner set it: defaults plus stored overrides (rule 19).

The policy itself is ``domain.access.field_access``; this service loads the overrides from
``role_field_access``, caches them per instance and lets the owner change them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import delete, select, text

from privacycrm_desktop.domain.access import (
    FieldAccess,
    Permission,
    Role,
    catalogue_access,
    default_access,
    require,
)
from privacycrm_desktop.domain.custom_fields import (
    CustomFieldDefinition,
    CustomTarget,
    catalogue_for,
)
from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.fields import FieldSpec, Sensitivity
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.custom_field_models import load_definitions
from privacycrm_desktop.persistence.models import RoleFieldAccess
from privacycrm_desktop.persistence.postgres import roles
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import note_server_events, record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor

Overrides = Mapping[tuple[Role, str], FieldAccess]


def card_access(
    access: Mapping[str, FieldAccess], audited: Iterable[str]
) -> dict[str, FieldAccess]:
    """*access* for a card (the contact's beside the list, a company's in the Companies
    window): each field in *audited* (those whose reading is audited: the restricted ones)
    hidden. A card shows them to nobody, so it never reads them and records no reading at
    each selection; the editor reads them, and its reading is audited."""
    shown = dict(access)
    for name in audited:
        shown[name] = FieldAccess.HIDDEN
    return shown


class AccessService:
    """Answers "how much of which field may this role see?" with the owner's overrides."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock
        self._overrides: dict[tuple[Role, str], FieldAccess] | None = None
        self._definitions: tuple[CustomFieldDefinition, ...] | None = None

    def overrides(self) -> Overrides:
        """The stored overrides, read once and kept until the owner changes one."""
        if self._overrides is None:
            with self._uow() as uow:
                rows = uow.session.execute(
                    select(RoleFieldAccess.role, RoleFieldAccess.field, RoleFieldAccess.access)
                ).tuples()
                loaded: dict[tuple[Role, str], FieldAccess] = {}
                for role, field, access in rows:
                    # A row naming an unknown role or level is ignored: deny by default.
                    if role in Role._value2member_map_ and access in FieldAccess._value2member_map_:
                        loaded[(Role(role), field)] = FieldAccess(access)
            self._overrides = loaded
        return self._overrides

    def invalidate(self) -> None:
        """Forget the cached overrides and custom fields (another instance may have
        changed them)."""
        self._overrides = None
        self._definitions = None

    def custom_fields(
        self, on: CustomTarget | None = CustomTarget.CONTACT
    ) -> tuple[CustomFieldDefinition, ...]:
        """The owner's custom fields of *on* (contacts by default; None: contacts' and
        companies'), read once (``invalidate`` forgets)."""
        if self._definitions is None:
            with self._uow() as uow:
                self._definitions = load_definitions(uow.session, None)
        return tuple(d for d in self._definitions if on is None or d.on is on)

    def catalogue(self) -> tuple[FieldSpec, ...]:
        """The field catalogue of this database: the fixed fields and its custom fields
        (of contacts and of companies: each has its row in the field matrix)."""
        return catalogue_for(self.custom_fields(None))

    def access_for(self, role: Role) -> dict[str, FieldAccess]:
        """Every catalogue field (custom ones included) with the access *role* has to it."""
        return catalogue_access(role, self.catalogue(), self.overrides())

    def matrix(self, actor: Actor) -> dict[tuple[Role, str], FieldAccess]:
        """The whole role x field matrix in force (owner only, for the settings page)."""
        require(actor.role, Permission.EDIT_FIELD_MATRIX)
        overrides, catalogue = self.overrides(), self.catalogue()
        return {
            (role, name): access
            for role in Role
            for name, access in catalogue_access(role, catalogue, overrides).items()
        }

    def set_field_access(self, actor: Actor, role: Role, field: str, access: FieldAccess) -> None:
        """Set how much of *field* *role* may see and change (owner only; audited).

        Setting the shipped default removes the override.

        Raises:
            PermissionDenied: The actor is not the owner.
            ValidationFailed: Unknown field.
        """
        require(actor.role, Permission.EDIT_FIELD_MATRIX)
        role, access = Role(role), FieldAccess(access)
        specs = {spec.name: spec for spec in self.catalogue()}
        if field not in specs:
            raise ValidationFailed([FieldProblem("field", N_("No such field."))])
        now = self._clock.now()
        default = default_access(role, specs[field]) is access
        with self._uow(write=True) as uow:
            session = uow.session
            if roles.server_functions(session.connection()):
                # No desk role writes the matrix itself: the server does, and audits it.
                session.execute(
                    text(
                        "SELECT pcrm_matrix_change(:actor, :role, :field, :access, :default, :at)"
                    ),
                    {
                        "actor": actor.username,
                        "role": role.value,
                        "field": field,
                        "access": access.value,
                        "default": default,
                        "at": now,
                    },
                )
                note_server_events(session)
            else:
                session.execute(
                    delete(RoleFieldAccess).where(
                        RoleFieldAccess.role == role.value, RoleFieldAccess.field == field
                    )
                )
                if not default:
                    session.add(RoleFieldAccess(role=role.value, field=field, access=access.value))
                record_event(
                    session,
                    actor=actor.username,
                    action="access.set",
                    entity="role_field_access",
                    entity_id=f"{role.value}.{field}",
                    at=now,
                    detail=f"access={access.value}",
                )
            server_enforced = specs[field].sensitivity is not Sensitivity.NORMAL
            if server_enforced and session.get_bind().dialect.name == "postgresql":
                # The server enforces the restricted fields too (persistence/postgres/grants.py):
                # its grants change in this transaction.
                conn = session.connection()
                if roles.enabled(conn):
                    from privacycrm_desktop.persistence.postgres import grants  # server only

                    session.flush()
                    grants.apply_privileges(conn)
        self.invalidate()
