"""Import of contacts from files: formats, column targets, reasons.

Pure rules only (no Qt, no SQL): the import service reads the file, these types describe
what it found and what each column means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from privacycrm_desktop.domain.text import N_


class FileFormat(StrEnum):
    """The kinds of file the importer reads."""

    CSV = "csv"
    VCARD = "vcard"


class ImportField(StrEnum):
    """What a column of the file can be mapped to."""

    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    FULL_NAME = "full_name"
    ORGANISATION = "organisation"
    EMAIL = "email"
    PHONE = "phone"
    STREET = "street"
    #: A whole postal address in one cell ("Kerkstraat 1, 9000 Gent"): split into street,
    #: postcode, city and country where it can be, else kept whole as the street.
    ADDRESS = "address"
    POSTCODE = "postcode"
    CITY = "city"
    COUNTRY = "country"
    LANGUAGE = "language"
    BIRTH_DATE = "birth_date"
    #: Birth date parts in columns of their own (Thunderbird): put together as one date,
    #: ``YYYY-MM-DD``, or ``--MM-DD`` without a year.
    BIRTH_YEAR = "birth_year"
    BIRTH_MONTH = "birth_month"
    BIRTH_DAY = "birth_day"
    NOTES = "notes"
    #: A column the contact has no field for but a person wants kept (Outlook's "Job
    #: Title", "Department", "Web Page", "Business Fax"): a line of the notes, "Header: value".
    NOTE_LINE = "note_line"
    #: The name a mail program shows with an e-mail address (Outlook's "E-mail Display
    #: Name"): never an address; the contact's full name when the row names nobody else.
    EMAIL_NAME = "email_name"
    #: A vCard UID or a CSV "uid" column: the contact's identity in the program that
    #: wrote the file (our own export's finds its contact again; it is never stored).
    UID = "uid"
    #: Tags, several in one cell ("VIP, Newsletter"; vCard CATEGORIES): made when new.
    TAGS = "tags"
    #: The person's function and department at the row's organisation: the import links
    #: the person to that company (made when no company has the name) with them.
    FUNCTION = "function"
    DEPARTMENT = "department"
    #: A consent column: needs ``purpose_code`` and ``channel`` in the ColumnTarget.
    CONSENT = "consent"
    #: Lines of a vCard no reader understands (a property without its colon), one per
    #: line: each kept as a line of the notes and listed as a value to check.
    UNREAD = "unread"
    #: A custom field of the owner's (``domain.custom_fields``): its key in ``key``.
    CUSTOM = "field"


IMPORT_FIELD_LABELS: dict[ImportField, str] = {
    ImportField.FIRST_NAME: N_("First name"),
    ImportField.LAST_NAME: N_("Last name"),
    ImportField.FULL_NAME: N_("Full name"),
    ImportField.ORGANISATION: N_("Organisation"),
    ImportField.EMAIL: N_("E-mail address"),
    ImportField.PHONE: N_("Phone number"),
    ImportField.STREET: N_("Street and number"),
    ImportField.ADDRESS: N_("Whole address (street, postcode and city)"),
    ImportField.POSTCODE: N_("Postcode"),
    ImportField.CITY: N_("City"),
    ImportField.COUNTRY: N_("Country"),
    ImportField.LANGUAGE: N_("Language"),
    ImportField.BIRTH_DATE: N_("Birth date"),
    ImportField.BIRTH_YEAR: N_("Birth year"),
    ImportField.BIRTH_MONTH: N_("Birth month"),
    ImportField.BIRTH_DAY: N_("Birth day"),
    ImportField.NOTES: N_("Notes"),
    ImportField.NOTE_LINE: N_("A line in the notes"),
    ImportField.EMAIL_NAME: N_("Name shown with the e-mail address"),
    ImportField.UID: N_("Identifier (UID)"),
    ImportField.TAGS: N_("Tags"),
    ImportField.FUNCTION: N_("Function"),
    ImportField.DEPARTMENT: N_("Department"),
    ImportField.CONSENT: N_("Consent"),
    ImportField.UNREAD: N_("Lines that could not be read"),
    ImportField.CUSTOM: N_("Custom field"),
}


@dataclass(frozen=True)
class ColumnTarget:
    """What one column is mapped to; a consent column also names its purpose and channel."""

    field: ImportField
    purpose_code: str | None = None
    channel: str | None = None
    #: The custom field's key of a ``CUSTOM`` column.
    key: str | None = None


@dataclass(frozen=True)
class FileShape:
    """How a file is encoded and, for CSV, separated."""

    format: FileFormat
    encoding: str
    delimiter: str


#: Encodings a person can choose when the detected one is wrong.
ENCODING_CHOICES: tuple[str, ...] = ("utf-8-sig", "utf-8", "utf-16", "cp1252", "iso-8859-1")
#: Separators a person can choose for CSV.
DELIMITER_CHOICES: tuple[str, ...] = (",", ";", "\t", "|")


class DuplicatePolicy(StrEnum):
    """What to do with a row that matches an existing contact."""

    MERGE = "merge"
    SKIP = "skip"
    CREATE = "create"


class SkipReason(StrEnum):
    """Why a valid row was not imported."""

    ERASED = "erased"
    OBJECTED = "objected"
    DUPLICATE = "duplicate"
    DUPLICATE_IN_FILE = "duplicate_in_file"


SKIP_REASON_LABELS: dict[SkipReason, str] = {
    SkipReason.ERASED: N_("asked to be forgotten"),
    SkipReason.OBJECTED: N_("objected to marketing"),
    SkipReason.DUPLICATE: N_("already a contact"),
    SkipReason.DUPLICATE_IN_FILE: N_("twice in the file"),
}


@dataclass(frozen=True)
class RowProblem:
    """One reason a row is invalid.

    ``row_number`` is the 1-based data row as the user sees it (the header not counted);
    ``column`` is the header text (or the vCard property); ``message`` is a msgid.
    """

    row_number: int
    column: str
    message: str
    params: dict[str, object] = field(default_factory=dict)


#: Files larger than this are refused before reading (a contact file is far smaller).
MAX_FILE_BYTES = 50 * 1024 * 1024
#: The first data rows a preview shows.
PREVIEW_ROWS = 20
#: A cell longer than this is not even looked at: the row is invalid (the longest field,
#: notes, allows 20,000 characters).
MAX_CELL_CHARS = 20_000


class ImportTable:
    """A file read into rows of text cells: a header and numbered data rows.

    ``rows`` holds (row number, cells); ``broken`` lists rows that could not be read at
    all (a vCard the parser refuses), each already with its problem.
    """

    __slots__ = ("broken", "headers", "rows", "shape")

    def __init__(
        self,
        shape: FileShape,
        headers: tuple[str, ...],
        rows: list[tuple[int, tuple[str, ...]]],
        broken: list[RowProblem] | None = None,
    ) -> None:
        self.shape = shape
        self.headers = headers
        self.rows = rows
        self.broken = broken or []

    @property
    def row_count(self) -> int:
        """Data rows, readable or not."""
        return len(self.rows) + len(self.broken)
