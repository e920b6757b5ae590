"""Data quality review (rules 5(1)(c) and (d) GDPR, rule 11): contacts with no interaction
for a number of years, or with missing or invalid values, listed for correction.

An import keeps a value it cannot use as typed rather than losing the contact
(``domain.import_values``); the stored value itself says so, and the review lists it with
its text: a phone number not in E.164 form (or a made-up 555 one), a postcode that does not
fit its country's format, an address without a country.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.postcodes import known_format, postcode_in
from privacycrm_desktop.domain.retention import add_months
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.models import Contact, ContactEmail, ContactPhone
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor

MAX_ROWS = 500
NO_INTERACTION = N_("No interaction for {years} years")
NO_WAY_TO_REACH = N_("No e-mail address, phone number or street")
INVALID_EMAIL = N_("The e-mail address is not valid")
NO_NAME = N_("No name")
EMAIL_NOT_READ = N_("The e-mail address {value} could not be read")
PHONE_NOT_READ = N_("The phone number {value} could not be read")
PHONE_MADE_UP = N_("The phone number {value} looks made up (555)")
POSTCODE_NOT_OF_COUNTRY = N_("The postcode {value} does not fit the country {country}")
NO_COUNTRY = N_("The address has no country")


@dataclass(frozen=True)
class QualityIssue:
    """One contact to look at, and what is wrong (msgids with their params)."""

    contact_id: int
    name: str
    problems: tuple[tuple[str, dict[str, object]], ...]


class QualityService:
    """The data quality review list."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def review(self, actor: Actor, years: int = 3, limit: int = MAX_ROWS) -> list[QualityIssue]:
        """Up to *limit* contacts with a problem, by id.

        Args:
            actor: who asks (cleanup permission).
            years: a contact with no interaction (nor creation) for this many years counts.
            limit: the most rows returned.
        """
        require(actor.role, Permission.CLEANUP)
        cutoff = add_months(self._clock.today(), -12 * max(years, 0))
        last_seen = func.coalesce(Contact.last_interaction, func.date(Contact.created_at))
        unreachable = (
            (Contact.primary_email == "") & (Contact.primary_phone == "") & (Contact.street == "")
        )
        nameless = (
            (Contact.first_name == "") & (Contact.last_name == "") & (Contact.organisation == "")
        )
        # An address an import kept as typed: no @, a space, or a domain reserved for
        # examples that never receives mail (.invalid, .test).
        unread_email = (
            select(ContactEmail.address)
            .where(
                ContactEmail.contact_id == Contact.id,
                or_(
                    ~ContactEmail.address.contains("@"),
                    ContactEmail.address.contains(" "),
                    ContactEmail.address.like("%.invalid"),
                    ContactEmail.address.like("%.test"),
                ),
            )
            .order_by(ContactEmail.id)
            .limit(1)
            .scalar_subquery()
        )
        unread_phone = _one_phone(~ContactPhone.number.startswith("+"))
        # A North-American number of the 555 exchange: +1, three digits, 555, four digits.
        made_up_phone = _one_phone(ContactPhone.number.like("+1___555____"))
        query = (
            select(
                Contact.id,
                Contact.first_name,
                Contact.last_name,
                Contact.organisation,
                Contact.primary_email,
                last_seen < cutoff,
                unreachable,
                nameless,
                unread_email,
                unread_phone,
                made_up_phone,
                Contact.postcode,
                Contact.country,
                (Contact.street != "") | (Contact.city != ""),
            )
            .where(
                or_(
                    last_seen < cutoff,
                    unreachable,
                    nameless,
                    Contact.primary_email != "",
                    Contact.postcode != "",
                    Contact.country == "",
                    unread_email.is_not(None),
                    unread_phone.is_not(None),
                    made_up_phone.is_not(None),
                )
            )
            .order_by(Contact.id)
        )
        with self._uow() as uow:
            result = uow.session.execute(query.execution_options(yield_per=1000))
            # Closed on every way out: on PostgreSQL it is a server-side cursor.
            with result:
                issues = self._issues(result.tuples(), years, limit)
        return issues

    @staticmethod
    def _issues(rows: Iterable[tuple[Any, ...]], years: int, limit: int) -> list[QualityIssue]:
        issues: list[QualityIssue] = []
        for (
            cid,
            first,
            last,
            org,
            email,
            stale,
            cannot_reach,
            no_name,
            unread_email,
            unread_phone,
            made_up_phone,
            postcode,
            country,
            has_address,
        ) in rows:
            problems: list[tuple[str, dict[str, object]]] = []
            if stale:
                problems.append((NO_INTERACTION, {"years": years}))
            if cannot_reach:
                problems.append((NO_WAY_TO_REACH, {}))
            if no_name:
                problems.append((NO_NAME, {}))
            if unread_email:
                problems.append((EMAIL_NOT_READ, {"value": unread_email}))
            elif email and not _valid_email(email):
                problems.append((INVALID_EMAIL, {}))
            if unread_phone:
                problems.append((PHONE_NOT_READ, {"value": unread_phone}))
            if made_up_phone:
                problems.append((PHONE_MADE_UP, {"value": made_up_phone}))
            if postcode and known_format(country) and postcode_in(postcode, country) is None:
                problems.append((POSTCODE_NOT_OF_COUNTRY, {"value": postcode, "country": country}))
            if not country and (postcode or has_address):
                problems.append((NO_COUNTRY, {}))
            if problems:
                name = f"{last}, {first}" if last and first else (last or first or org or email)
                issues.append(QualityIssue(cid, name, tuple(problems)))
                if len(issues) >= limit:
                    break
        return issues


def _one_phone(condition: ColumnElement[bool]) -> Any:
    """One phone number of the contact meeting *condition*, or NULL (a scalar subquery)."""
    return (
        select(ContactPhone.number)
        .where(ContactPhone.contact_id == Contact.id, condition)
        .order_by(ContactPhone.id)
        .limit(1)
        .scalar_subquery()
    )


def _valid_email(value: str) -> bool:
    """A shape check, cheap enough for every row the review walks (addresses typed in the
    editor were fully checked already; this catches what came in otherwise)."""
    local, _at, domain = value.rpartition("@")
    labels = domain.split(".")
    return bool(local) and len(labels) > 1 and all(labels) and not any(c.isspace() for c in value)
