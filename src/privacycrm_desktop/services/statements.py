"""Privacy statements (rule 2) and the register of purposes (rules 7, 22).

Statements are versioned per language: the shipped templates (resources/statements) are
version 1; every edit by the owner publishes a new version, and consent events point at
the version that was shown. Purposes ship with defaults the owner edits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privacycrm_desktop.config import resources_dir
from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.errors import FieldProblem, NotFound, ValidationFailed
from privacycrm_desktop.domain.normalize import InvalidValue, clean_text
from privacycrm_desktop.domain.purposes import LegalBasis, RetentionTrigger
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.models import PrivacyStatement, Purpose, Setting
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.consent_dto import PurposeInfo, StatementInfo
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.marketing_facts import load_similar, similar_key

STATEMENT_LANGUAGES = ("nl", "fr", "en")
MAX_STATEMENT = 50_000


def statement_language(language: str) -> str:
    """The statement language for a contact's language (German readers get English)."""
    return language if language in STATEMENT_LANGUAGES else "en"


def shipped_statement(language: str) -> str:
    """The template shipped for *language* (placeholders {company}, {address}, ...)."""
    path = resources_dir() / "statements" / f"{statement_language(language)}.md"
    return path.read_text(encoding="utf-8")


def seed_statements(session: Session, now_value: dt.datetime) -> None:
    """Publish the shipped templates as version 1 where a language has no statement yet."""
    have = set(session.scalars(select(PrivacyStatement.language).distinct()))
    for language in STATEMENT_LANGUAGES:
        if language not in have:
            session.add(
                PrivacyStatement(
                    version=1,
                    language=language,
                    text=shipped_statement(language),
                    published_at=now_value,
                )
            )
    session.flush()


def _purpose_info(session: Session, p: Purpose) -> PurposeInfo:
    return PurposeInfo(
        code=p.code,
        name=p.name,
        description=p.description,
        legal_basis=LegalBasis(p.legal_basis),
        retention_trigger=RetentionTrigger(p.retention_trigger),
        retention_months=p.retention_months,
        data_categories=tuple(c for c in p.data_categories.split(",") if c),
        recipients=tuple(r for r in p.recipients.split("\n") if r),
        is_marketing=p.is_marketing,
        active=p.active,
        similar_categories=tuple(tuple(sorted(g)) for g in load_similar(session, p.code)),
    )


class StatementService:
    """Privacy statements per language and the purposes of processing."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    # -- statements ---------------------------------------------------------------------

    def current(self, language: str) -> StatementInfo:
        """The newest statement in *language* (the shipped template before any edit)."""
        lang = statement_language(language)
        with self._uow() as uow:
            row = uow.session.execute(
                select(PrivacyStatement)
                .where(PrivacyStatement.language == lang)
                .order_by(PrivacyStatement.version.desc())
                .limit(1)
            ).scalar_one_or_none()
            if row is not None:
                return StatementInfo(row.version, row.language, row.text, row.published_at)
        with self._uow(write=True) as uow:
            seed_statements(uow.session, self._clock.now())
        return self.current(lang)

    def versions(self, language: str) -> list[StatementInfo]:
        """Every version in *language*, newest first."""
        self.current(language)
        with self._uow() as uow:
            rows = uow.session.scalars(
                select(PrivacyStatement)
                .where(PrivacyStatement.language == statement_language(language))
                .order_by(PrivacyStatement.version.desc())
            ).all()
            return [StatementInfo(r.version, r.language, r.text, r.published_at) for r in rows]

    def publish(self, actor: Actor, language: str, text: str) -> int:
        """Publish an edited statement as a new version; returns the version number."""
        require(actor.role, Permission.EDIT_SETTINGS)
        if language not in STATEMENT_LANGUAGES:
            raise ValidationFailed(
                [FieldProblem("language", N_("Choose Dutch, French or English."))]
            )
        body = text.strip()
        if not body or len(body) > MAX_STATEMENT:
            raise ValidationFailed(
                [FieldProblem("text", N_("Write the statement (at most 50 000 characters)."))]
            )
        self.current(language)
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            latest = session.execute(
                select(func.max(PrivacyStatement.version)).where(
                    PrivacyStatement.language == language
                )
            ).scalar()
            version = int(latest or 0) + 1
            session.add(
                PrivacyStatement(version=version, language=language, text=body, published_at=now)
            )
            record_event(
                session,
                actor=actor.username,
                action="statement.publish",
                entity="privacy_statement",
                entity_id=f"{language}-{version}",
                at=now,
            )
            return version

    # -- purposes -----------------------------------------------------------------------

    def purposes(self, actor: Actor, *, include_inactive: bool = False) -> list[PurposeInfo]:
        """The register of processing, in the order the purposes were added."""
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            query = select(Purpose).order_by(Purpose.id)
            if not include_inactive:
                query = query.where(Purpose.active.is_(True))
            return [_purpose_info(uow.session, p) for p in uow.session.scalars(query)]

    def update_purpose(self, actor: Actor, info: PurposeInfo) -> PurposeInfo:
        """Save the owner's edit of a purpose (found by its code); audited."""
        require(actor.role, Permission.EDIT_SETTINGS)
        problems: list[FieldProblem] = []
        try:
            name = clean_text(info.name)
        except InvalidValue as exc:
            problems.append(FieldProblem("name", exc.message, dict(exc.params)))
            name = info.name
        if not name or len(name) > 200:
            problems.append(FieldProblem("name", N_("Give the purpose a name.")))
        if not 0 <= info.retention_months <= 1200:
            problems.append(
                FieldProblem(
                    "retention_months",
                    N_("The retention period must lie between 0 and 1200 months."),
                )
            )
        if problems:
            raise ValidationFailed(problems)
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            row = session.execute(
                select(Purpose).where(Purpose.code == info.code)
            ).scalar_one_or_none()
            if row is None:
                raise NotFound
            row.name = name
            row.description = info.description.strip()
            row.legal_basis = info.legal_basis.value
            row.retention_trigger = info.retention_trigger.value
            row.retention_months = info.retention_months
            row.data_categories = ",".join(_clean_list(info.data_categories))
            row.recipients = "\n".join(_clean_list(info.recipients))
            row.active = info.active
            _save_similar(session, info.code, info.similar_categories)
            record_event(
                session,
                actor=actor.username,
                action="purpose.update",
                entity="purpose",
                entity_id=row.id,
                at=now,
            )
            session.flush()
            return _purpose_info(session, row)


def _clean_list(values: Sequence[str]) -> list[str]:
    return [" ".join(v.split()) for v in values if v.strip()]


def _save_similar(session: Session, code: str, groups: Sequence[Sequence[str]]) -> None:
    value = json.dumps([_clean_list(g) for g in groups if _clean_list(g)], ensure_ascii=False)
    row = session.get(Setting, similar_key(code))
    if row is None:
        session.add(Setting(key=similar_key(code), value=value))
    else:
        row.value = value


__all__ = ["StatementService", "shipped_statement", "statement_language"]
