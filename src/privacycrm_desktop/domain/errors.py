"""Errors the domain and services raise; each carries a translatable message.

``message`` is an English msgid (marked with ``N_``) with ``str.format`` placeholders
filled from ``params``; the UI and CLI translate it into the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import TYPE_CHECKING, Any

from privacycrm_desktop.domain.text import N_

if TYPE_CHECKING:
    from privacycrm_desktop.domain.edit_conflicts import ConflictDetail


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
    """Somebody else saved the record since it was opened; nothing was saved.

    ``detail`` (domain/edit_conflicts.py) holds the fields both changed, with both values,
    and the stored version to save against after choosing; None when not known.
    """

    default_message = N_(
        "Somebody else changed this contact since you opened it. "
        "Reopen it to see their changes; nothing was saved."
    )

    def __init__(self, message: str | None = None, *, detail: ConflictDetail | None = None) -> None:
        super().__init__(message)
        self.detail = detail


class AuthenticationFailed(DomainError):
    """Wrong username or password, or a locked or inactive account.

    The message never says which, so it does not reveal whether a username exists.
    """

    default_message = N_("Sign-in failed: wrong user name or password, or the account is locked.")


class SetupError(DomainError):
    """The database is not set up, or is set up already."""


class FileInUse(DomainError):
    """A file the app writes would replace one it works on: the database, or the file being
    imported. Nothing was written."""

    default_message = N_(
        "{name} is a file the app is working on (the database or the file read): choose "
        "another name. Nothing was written."
    )


class ImportFileUnreadable(DomainError):
    """The file cannot be imported at all: empty, not text, no rows, or too big."""

    default_message = N_("The file cannot be read.")


class ImportPlanInvalid(DomainError):
    """The import is missing its source, purpose or legal basis, or a mapping is incomplete."""

    default_message = N_("The import cannot start; nothing was imported.")

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__()
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(f"{p.field}: {p.message.format(**p.params)}" for p in self.problems)


class ImportUndoRefused(DomainError):
    """The batch cannot be undone: some of its contacts were edited since, or it is undone."""

    default_message = N_(
        "This import cannot be undone: contacts changed since it was imported: {edited}."
    )

    def __init__(self, message: str | None = None, *, edited: int = 0) -> None:
        super().__init__(message, edited=edited)
        self.edited = edited


class BackupInvalid(DomainError):
    """A backup failed its check (checksum, integrity, format); *reason* is a msgid (a
    whole sentence saying why, shown as the message)."""

    default_message = N_("This backup cannot be used.")

    def __init__(self, reason: str | None = None, **params: Any) -> None:
        super().__init__(reason, **params)
        self.reason = self.message


class BackupPassphraseWrong(DomainError):
    """The passphrase does not open this encrypted backup."""

    default_message = N_("The passphrase does not open this backup.")


class BackupOtherDatabase(DomainError):
    """The backup was made from another database (another company's data)."""

    default_message = N_(
        "This backup is of another database, not of this one; restoring it would replace "
        "this company's data with that database's. Do that only on purpose, with the choice "
        "to replace the data with another database."
    )


class DatabaseReplaced(DomainError):
    """A restore in another program replaced the database this program had open."""

    default_message = N_(
        "The database was replaced by a restore in another program; nothing was saved. "
        "Close PrivacyCRM and start it again."
    )


class BackupFailed(DomainError):
    """Making or restoring a backup failed; nothing was changed. *reason* is a msgid (a
    whole sentence saying why, shown as the message)."""

    default_message = N_("The backup could not be made.")

    def __init__(self, reason: str | None = None, **params: Any) -> None:
        super().__init__(reason, **params)
        self.reason = self.message


class StorageError(DomainError):
    """The database file could not be used; the action was rolled back.

    Raised in one place, where the unit of work meets the driver
    (``persistence/storage_errors.py``), so every service, the UI and the CLI get the same
    translated sentence instead of a driver error.
    """

    default_message = N_("The database could not be used; nothing was saved.")


class StorageFull(StorageError):
    """The disk holding the database is full (SQLITE_FULL)."""

    default_message = N_(
        "The disk holding the database is full; nothing was saved. Free some space, then try again."
    )


class StorageReadOnly(StorageError):
    """The database file (or its folder or disk) is read-only (SQLITE_READONLY)."""

    default_message = N_(
        "The database file is read-only, so nothing can be saved; you can still look "
        "things up. Check the file's permissions or the disk it is on."
    )


class UpdateNeedsWritableFile(StorageReadOnly):
    """The database must be updated to this version's schema, and its file is read-only:
    nothing can be looked up until it is updated (the schema differs), so the sentence
    does not offer that."""

    default_message = N_(
        "The database file is read-only and must be updated to this version of "
        "PrivacyCRM first. Make the file and its folder writable, or use the version that "
        "wrote it."
    )


class StorageLocked(StorageError):
    """Another program holds the database's write lock (SQLITE_BUSY / SQLITE_LOCKED)."""

    default_message = N_(
        "The database is in use by another program; nothing was saved. "
        "Close the other program, then try again."
    )


class StorageDamaged(StorageError):
    """The file is not a database or is damaged (SQLITE_CORRUPT / SQLITE_NOTADB)."""

    default_message = N_(
        "The database file is damaged; nothing was saved. Restore the newest good backup: "
        "PrivacyCRM offers it when it starts."
    )


class DatabaseTooNew(StorageError):
    """The database's schema revision is unknown here: a newer version wrote it.

    Opening it would mean guessing at a schema this version does not know, so nothing is
    read or written; the person is told to install the version that wrote it."""

    default_message = N_(
        "This database was made by a newer version of PrivacyCRM (schema {revision}); "
        "install that version to open it. Nothing was changed."
    )

    def __init__(self, message: str | None = None, *, revision: str = "") -> None:
        super().__init__(message, revision=revision)


class StorageFailed(StorageError):
    """The disk did not read or write, or the file could not be opened (SQLITE_IOERR,
    SQLITE_CANTOPEN); *reason* is the driver's English text, for the log and support."""

    default_message = N_(
        "The database file could not be read or written ({reason}); nothing was saved. "
        "The disk may be full, removed or failing."
    )

    def __init__(self, message: str | None = None, *, reason: str = "") -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


class PartlySaved(StorageError):
    """A long job (an import, demo data) stopped on a storage failure after some of its
    transactions were committed: the message says what was kept and what was not.

    *cause* is the storage error that stopped it; ``full`` picks the wording for a full disk.
    """

    default_message = N_(
        "The job stopped because the database could not be written; part of it was saved."
    )

    def __init__(
        self, message: str | None = None, *, cause: StorageError | None = None, **params: Any
    ) -> None:
        super().__init__(message, **params)
        self.cause = cause


class ImportPartlySaved(PartlySaved):
    """An import stopped after some chunks were committed: they are kept as its batch,
    which can be undone and is audited with the counts (at once, or, when even that cannot
    be written, at the next start that can write: the ``_PENDING`` wordings say so)."""

    FULL = N_(
        "The disk holding the database filled up during the import. Saved: {kept} new "
        "contacts and {merged} rows merged into existing ones, kept as import {batch}, which "
        "the import history can undo. Not imported: the rest of the file's {total} rows. Free "
        "some space, then undo the import or import the rest."
    )
    FULL_PENDING = N_(
        "The disk holding the database filled up during the import. Saved: {kept} new "
        "contacts and {merged} rows merged into existing ones, kept as import {batch}, which "
        "the import history can undo. Not imported: the rest of the file's {total} rows. The "
        "import is marked as interrupted in the history and the audit trail at the next "
        "start, once there is space. Free some space, then undo the import or import the rest."
    )
    OTHER = N_(
        "The import stopped because the database could not be written. Saved: {kept} new "
        "contacts and {merged} rows merged into existing ones, kept as import {batch}, which "
        "the import history can undo. Not imported: the rest of the file's {total} rows."
    )
    OTHER_PENDING = N_(
        "The import stopped because the database could not be written. Saved: {kept} new "
        "contacts and {merged} rows merged into existing ones, kept as import {batch}, which "
        "the import history can undo. Not imported: the rest of the file's {total} rows. The "
        "import is marked as interrupted in the history and the audit trail at the next "
        "start that can write to the database."
    )


class DemoPartlySaved(PartlySaved):
    """Demo data stopped after some chunks were committed (they stay; the audit says so)."""

    FULL = N_(
        "The disk holding the database filled up: {kept} of the {total} demo contacts were "
        "added and kept; the others were not added. Free some space, then try again."
    )
    OTHER = N_(
        "The database could not be written: {kept} of the {total} demo contacts were added "
        "and kept; the others were not added."
    )
