"""First run: the controller's identity, the owner account and the shipped defaults."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.errors import FieldProblem, SetupError, ValidationFailed
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE
from privacycrm_desktop.domain.normalize import (
    InvalidValue,
    clean_text,
    normalise_email,
    normalise_vat,
)
from privacycrm_desktop.domain.purposes import DEFAULT_PURPOSES
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.models import FieldCatalogueEntry, Purpose, Setting, User
from privacycrm_desktop.persistence.postgres import logins, roles
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.audit_anchors import AnchorFile
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor, CompanyInfo
from privacycrm_desktop.services.passwords import check_password_policy, hash_password

UI_LANGUAGES = ("nl", "fr", "en")

#: The Belgian supervisory authority, per language; kept as settings so a business in
#: another country can name its own (PRIVACY_RULES.md).
DEFAULT_AUTHORITY = {
    "nl": "Gegevensbeschermingsautoriteit (GBA), Drukpersstraat 35, 1000 Brussel, +32 2 274 48 00",
    "fr": "Autorité de protection des données (APD), Rue de la Presse 35, 1000 Bruxelles, "
    "+32 2 274 48 00",
    "en": "Data Protection Authority, Rue de la Presse 35, 1000 Brussels, +32 2 274 48 00",
}


@dataclass(frozen=True)
class CompanyInput:
    """The controller's identity as entered in the first-run wizard or ``init``."""

    name: str
    address: str
    vat_number: str = ""
    privacy_email: str = ""
    language: str = "en"


def validate_company(data: CompanyInput) -> CompanyInput:
    """Check the controller's identity; raise ``ValidationFailed`` listing the problems."""
    problems: list[FieldProblem] = []
    values: dict[str, str] = {}
    for field, raw in (("name", data.name), ("address", data.address)):
        try:
            values[field] = clean_text(raw) if field == "name" else raw.strip()
        except InvalidValue as exc:
            problems.append(FieldProblem(field, exc.message, dict(exc.params)))
            continue
        if not values[field]:
            problems.append(FieldProblem(field, N_("This is required.")))
    try:
        values["vat_number"] = normalise_vat(data.vat_number)
    except InvalidValue as exc:
        problems.append(FieldProblem("vat_number", exc.message, dict(exc.params)))
    values["privacy_email"] = ""
    if data.privacy_email.strip():
        try:
            values["privacy_email"] = normalise_email(data.privacy_email)
        except InvalidValue as exc:
            problems.append(FieldProblem("privacy_email", exc.message, dict(exc.params)))
    if data.language not in UI_LANGUAGES:
        problems.append(FieldProblem("language", N_("Choose Dutch, French or English.")))
    if problems:
        raise ValidationFailed(problems)
    return CompanyInput(
        name=values["name"],
        address=values["address"],
        vat_number=values["vat_number"],
        privacy_email=values["privacy_email"],
        language=data.language,
    )


def _enforce_on_server(conn: Connection, owner: str, password: str) -> None:
    """On PostgreSQL, have the server enforce the field matrix from the start:
    group roles with their column privileges, and the owner's own login role. Needs a
    connection that may create roles (the administrator who sets the database up); without
    that right the owner turns it on later (``user server-roles``)."""
    if conn.dialect.name != "postgresql" or not roles.may_create_roles(conn):
        return
    from privacycrm_desktop.persistence.postgres import grants  # server only

    grants.enable(conn)
    logins.create_login_role(conn, owner, password, Role.OWNER)


class SetupService:
    """Knows whether the database is set up, and sets it up once."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def is_initialised(self) -> bool:
        """True once an owner exists."""
        with self._uow() as uow:
            return bool(uow.session.execute(select(func.count(User.id))).scalar())

    def initialise(self, company: CompanyInput, owner_username: str, owner_password: str) -> Actor:
        """Record the controller, create the owner and seed the defaults; one transaction."""
        company = validate_company(company)
        username = owner_username.strip()
        if not username or len(username) > 100 or any(ch.isspace() for ch in username):
            raise ValidationFailed(
                [FieldProblem("username", N_("Choose a user name without spaces."))]
            )
        check_password_policy(owner_password, username)
        password_hash = hash_password(owner_password)
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            if session.execute(select(func.count(User.id))).scalar():
                raise SetupError(N_("This database is set up already."))
            # A database set up anew where another was: its anchor file is not ours.
            anchor_file = AnchorFile.for_engine(self._uow.engine)
            if anchor_file is not None:
                anchor_file.set_aside(now.isoformat(timespec="seconds"))
            owner = User(
                username=username,
                role=Role.OWNER.value,
                password_hash=password_hash,
                active=True,
                language=company.language,
                failed_logins=0,
                created_at=now,
            )
            session.add(owner)
            settings = {
                "company.name": company.name,
                "company.address": company.address,
                "company.vat_number": company.vat_number,
                "company.privacy_email": company.privacy_email,
                "company.language": company.language,
            }
            settings.update({f"authority.{lang}": text for lang, text in DEFAULT_AUTHORITY.items()})
            session.add_all(Setting(key=k, value=v) for k, v in settings.items())
            session.add_all(
                Purpose(
                    code=p.code,
                    name=p.name,
                    description=p.description,
                    legal_basis=p.legal_basis.value,
                    retention_trigger=p.retention_trigger.value,
                    retention_months=p.retention_months,
                    data_categories=",".join(p.data_categories),
                    recipients="",
                    is_marketing=p.is_marketing,
                    active=True,
                )
                for p in DEFAULT_PURPOSES
            )
            session.add_all(
                FieldCatalogueEntry(
                    field=f.name, sensitivity=f.sensitivity.value, purposes=",".join(f.purposes)
                )
                for f in FIELD_CATALOGUE
            )
            session.flush()
            record_event(
                session,
                actor=username,
                action="setup.initialise",
                entity="app_user",
                entity_id=owner.id,
                at=now,
            )
            _enforce_on_server(session.connection(), username, owner_password)
            return Actor(owner.id, owner.username, Role.OWNER, owner.language)

    def company(self) -> CompanyInfo:
        """The controller's identity as configured."""
        with self._uow() as uow:
            result = uow.session.execute(
                select(Setting.key, Setting.value).where(Setting.key.like("company.%"))
            )
            rows = {key: value for key, value in result.tuples()}
        if not rows:
            raise SetupError(N_("This database is not set up yet: run the first-run wizard."))
        return CompanyInfo(
            name=rows.get("company.name", ""),
            address=rows.get("company.address", ""),
            vat_number=rows.get("company.vat_number", ""),
            privacy_email=rows.get("company.privacy_email", ""),
            language=rows.get("company.language", "en"),
        )
