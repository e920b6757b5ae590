"""The idle lock's time, a business setting the auth service reads and the owner sets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.models import Setting
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor

IDLE_SETTING = "security.idle_minutes"
DEFAULT_IDLE_MINUTES = 15
MAX_IDLE_MINUTES = 240


class IdleLockSettings:
    """How long a window may stay untouched before it locks (``AuthService`` has it)."""

    _uow: UnitOfWork
    _clock: Clock

    def idle_timeout(self) -> dt.timedelta:
        """How long the window may stay untouched before it locks (a business setting)."""
        with self._uow() as uow:
            raw = uow.session.execute(
                select(Setting.value).where(Setting.key == IDLE_SETTING)
            ).scalar()
        try:
            minutes = int(raw) if raw is not None else DEFAULT_IDLE_MINUTES
        except ValueError:
            minutes = DEFAULT_IDLE_MINUTES
        return dt.timedelta(minutes=min(max(minutes, 1), MAX_IDLE_MINUTES))

    def set_idle_timeout(self, actor: Actor, minutes: int) -> None:
        """Set the idle time before the window locks (owner and privacy officer)."""
        require(actor.role, Permission.EDIT_SETTINGS)
        if not 1 <= minutes <= MAX_IDLE_MINUTES:
            raise ValidationFailed(
                [
                    FieldProblem(
                        "idle_minutes",
                        N_("Choose between 1 and {max} minutes."),
                        {"max": MAX_IDLE_MINUTES},
                    )
                ]
            )
        with self._uow(write=True) as uow:
            row = uow.session.get(Setting, IDLE_SETTING)
            if row is None:
                uow.session.add(Setting(key=IDLE_SETTING, value=str(minutes)))
            else:
                row.value = str(minutes)
            record_event(
                uow.session,
                actor=actor.username,
                action="settings.idle_timeout",
                entity="setting",
                entity_id=IDLE_SETTING,
                at=self._clock.now(),
                detail=f"minutes={minutes}",
            )
