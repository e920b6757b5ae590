"""What an import takes and gives (plan, preview, result, history rows), and what its
steps hand each other: the analysis of a file and the progress reporter."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from privacycrm_desktop.domain.contact_columns import StoredColumns
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.fields import import_merged_fields
from privacycrm_desktop.domain.import_formats import (
    ColumnTarget,
    DuplicatePolicy,
    FileShape,
    RowProblem,
    SkipReason,
)
from privacycrm_desktop.domain.import_profiles import ImportProfile
from privacycrm_desktop.domain.import_rows import DEFAULT_COUNTRY, ImportedRow, RowConsent
from privacycrm_desktop.domain.import_values import ValueToCheck
from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.provenance import SourceInput

Progress = Callable[[int, int], None]

#: Fields a merge may fill when the existing contact has them empty (the catalogue says which).
MERGE_FIELDS = import_merged_fields()
#: The parts of a postal address: a merge takes them together or not at all, so that a
#: contact never holds a street of one address with the town of another.
ADDRESS_PARTS = ("street", "postcode", "city")


def completes_address(stored: Mapping[str, Any], row: ImportedRow) -> bool:
    """Is the row's address the *stored* one, or more of it? Every stored part (street,
    postcode, town) is in the row, the same (case and accents aside); a contact without
    an address takes any."""
    for name in ADDRESS_PARTS:
        if stored[name] and (
            name not in row.filled
            or fold(str(stored[name])) != fold(str(getattr(row.contact, name)))
        ):
            return False
    return True


#: Batch statuses.
RUNNING, DONE, CANCELLED, FAILED = "running", "done", "cancelled", "failed"
#: A batch whose process died while writing it, closed at a later start.
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class ImportPreview:
    """What the file looks like: detected shape, headers, the first rows, a guessed mapping."""

    file_name: str
    shape: FileShape
    headers: tuple[str, ...]
    sample: tuple[tuple[str, ...], ...]
    row_count: int
    mapping: tuple[ColumnTarget | None, ...]
    states_consent: bool
    #: The program that wrote the file, as its headers tell (domain.import_profiles).
    profile: ImportProfile = ImportProfile.GENERIC


@dataclass(frozen=True)
class ImportPlan:
    """Everything an import needs: the file, its shape and mapping, origin and purpose."""

    path: Path
    shape: FileShape
    mapping: tuple[ColumnTarget | None, ...]
    source: SourceInput
    purpose_code: str
    legal_basis: str
    duplicates: DuplicatePolicy = DuplicatePolicy.SKIP
    #: The country taken for a row that names none (and its phone numbers read in).
    default_country: str = DEFAULT_COUNTRY
    #: The user confirmed keeping notes that suggest special-category data (rule 10):
    #: without it such notes are left out, each listed to check.
    confirm_special: bool = False


@dataclass(frozen=True)
class ImportResult:
    """The counts of one import or check; ``invalid`` lists every problem of every row.

    ``conflicts`` counts merged rows with a value that differed from the existing
    contact's filled field (left as it was). ``to_check`` lists the values of the rows
    imported (or, for a check, to import) that were kept as typed or in the notes and
    need a look; ``defaulted`` counts those rows per field the import's default filled
    ("country", "language"), and ``defaults`` says which value that was.
    """

    batch_id: int | None
    total_rows: int
    imported: int
    merged: int
    skipped: dict[SkipReason, int]
    invalid: tuple[RowProblem, ...]
    invalid_rows: int
    cancelled: bool = False
    conflicts: int = 0
    to_check: tuple[ValueToCheck, ...] = ()
    defaulted: dict[str, int] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)

    def invalid_by_reason(self) -> dict[str, int]:
        """Rows per problem msgid (a row with two problems of one kind counts once)."""
        rows: dict[str, set[int]] = {}
        for problem in self.invalid:
            rows.setdefault(problem.message, set()).add(problem.row_number)
        return {message: len(numbers) for message, numbers in rows.items()}


@dataclass(frozen=True)
class ImportBatchRow:
    """One past import, for the history and undo list."""

    id: int
    file_name: str
    created_at: dt.datetime
    created_by: str
    contacts: int
    undone: bool
    undoable: bool
    #: "done", "cancelled", "failed" (a storage failure stopped it) or "interrupted" (its
    #: process died; closed at a later start); "running" while it is written.
    status: str = DONE


# -- what the steps hand each other ----------------------------------------------------------


@dataclass
class NewContact:
    """A contact to create: the first row of a person, and what later rows merged in."""

    row_number: int
    contact: ContactInput
    consents: list[tuple[int, RowConsent]]
    #: Later rows of the file merged into this one.
    merged_rows: int = 0
    #: The stored columns of ``contact``, when computed already (by the row's check).
    prepared: StoredColumns | None = None
    #: The names of the tags its rows put on it.
    tags: list[str] = field(default_factory=list)
    #: The function and department at its organisation (from its first row naming them).
    function: str = ""
    department: str = ""


@dataclass
class Analysis:
    """What a run would do: contacts to create, rows to merge into existing contacts."""

    total_rows: int = 0
    new: list[NewContact] = field(default_factory=list)
    merges: dict[int, list[ImportedRow]] = field(default_factory=dict)
    merged_rows: int = 0
    skipped: Counter[SkipReason] = field(default_factory=Counter)
    invalid: list[RowProblem] = field(default_factory=list)
    invalid_rows: int = 0
    cancelled: bool = False
    #: The values to look at of the rows placed (new or merged), in file order.
    to_check: list[ValueToCheck] = field(default_factory=list)
    #: Rows placed whose field the import's default filled, per field.
    defaulted: Counter[str] = field(default_factory=Counter)
    #: Rows whose notes suggest special-category data, kept as the user confirmed.
    special_confirmed: int = 0

    def has_consents(self) -> bool:
        """Does any row to write state a consent (the batch then needs the salt)?"""
        return any(n.consents for n in self.new) or any(
            r.consents for rows in self.merges.values() for r in rows
        )


@contextlib.contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Bulk work makes some ten objects a row that live until the end: the cyclic garbage
    collector would walk them again and again (a quarter of the time at 100,000 rows).
    Reference counting still frees everything; the collector is on again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Reporter:
    """Calls the caller's progress hook; an exception from it means "cancel"."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self.cancelled = False

    def __call__(self, done: int, total: int) -> bool:
        """Report; False once the caller asked to stop."""
        if self._progress is None or self.cancelled:
            return not self.cancelled
        try:
            self._progress(done, total)
        except Exception:  # the hook raises its own kind to cancel
            self.cancelled = True
        return not self.cancelled


__all__ = [
    "ADDRESS_PARTS",
    "CANCELLED",
    "DONE",
    "FAILED",
    "INTERRUPTED",
    "MERGE_FIELDS",
    "RUNNING",
    "Analysis",
    "ImportBatchRow",
    "ImportPlan",
    "ImportPreview",
    "ImportResult",
    "NewContact",
    "Progress",
    "Reporter",
    "completes_address",
    "without_cyclic_gc",
]
