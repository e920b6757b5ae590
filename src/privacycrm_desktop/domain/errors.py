"""Errors the domain and services raise; each carries a translatable message.

``message`` is an English msgid (marked with ``N_``) with ``str.format`` placeholders
filled from ``params``; the UI and CLI translate it into the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from privacycrm_desktop.domain.text import N_


class DomainError(Exception):
    """Base class: a foreseeable refusal with a message for a person."""

    default_message = N_("The action could not be carried out.")

    def __init__(self, message: str | None = None, **params: Any) -> None:
        self.message = message or self.default_message
        self.params = params
        super().__init__(self.message.format(**params) if params else self.message)


@dataclass(frozen=True)
class FieldProblem:
    """One invalid value: which field, and why (a msgid with its parameters)."""

    field: str
    message: str
    params: dict[str, Any] = dc_field(default_factory=dict)


class ValidationFailed(DomainError):
    """One or more values are invalid; nothing was saved."""

    default_message = N_("Some values are not valid; nothing was saved.")

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__()
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(f"{p.field}: {p.message.format(**p.params)}" for p in self.problems)


class SourceMissing(DomainError):
    """A personal value was to be saved without saying where it came from."""

    default_message = N_(
        "Say where these details come from (kind of source and a description); "
        "nothing is saved without a source."
    )


class PermissionDenied(DomainError):
    """The signed-in user's role does not allow this action."""

    default_message = N_("Your role does not allow this.")


class NotFound(DomainError):
    """The record does not exist (or is not visible to this user)."""

    default_message = N_("No such record.")


class EditConflict(DomainError):
    """Somebody else saved the record since it was opened."""

    default_message = N_(
        "Somebody else changed this contact since you opened it. "
        "Reopen it to see their changes; nothing was saved."
    )


class AuthenticationFailed(DomainError):
    """Wrong username or password, or a locked or inactive account.

    The message never says which, so it does not reveal whether a username exists.
    """

    default_message = N_("Sign-in failed: wrong user name or password, or the account is locked.")


class SetupError(DomainError):
    """The database is not set up, or is set up already."""
