"""Reading an import file into a table of text cells: encoding, separator, CSV and vCard.

Encoding: a byte-order mark decides first (UTF-8, UTF-16 LE/BE); then strict UTF-8; then
cp1252 (what Excel and Outlook write on Belgian Windows); bytes cp1252 leaves undefined
fall back to ISO-8859-1, which reads anything, so only the person's own choice of
encoding can fail to decode.

CSV: the stdlib ``csv`` module. The separator is the candidate (, ; tab |) counted most
often outside quotes in the header line; ``csv.Sniffer`` is asked only when the count
ties.

vCard: ``vobject`` reads 2.1, 3.0 and 4.0 and decodes quoted-printable values with their
CHARSET. It misreads two shapes common in the wild (Outlook's quoted-printable soft line
breaks, bare commas in 2.1 values and in NOTE): ``prepare_vcard_text`` puts them right
before vobject sees them (a documented pre-pass, not a parser). Each card is given to
vobject on its own, so one broken card is one invalid row.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator

from privacycrm_desktop.domain.csv_cells import restore
from privacycrm_desktop.domain.errors import ImportFileUnreadable
from privacycrm_desktop.domain.import_formats import (
    MAX_FILE_BYTES,
    FileFormat,
    FileShape,
    ImportTable,
    RowProblem,
)
from privacycrm_desktop.domain.text import N_

_CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
_VCARD_START = re.compile(r"^\s*BEGIN\s*:\s*VCARD\s*$", re.IGNORECASE | re.MULTILINE)
_VCARD_BLOCK = re.compile(
    r"^[ \t]*BEGIN[ \t]*:[ \t]*VCARD[ \t]*\r?$(.*?)^[ \t]*END[ \t]*:[ \t]*VCARD[ \t]*\r?$",
    re.IGNORECASE | re.MULTILINE | re.DOTALL,
)
#: How many values of one kind a card contributes (the contact allows ten).
_MAX_VCARD_VALUES = 10


def check_size(size: int) -> None:
    """Refuse an empty file or one over the limit before reading it."""
    if size == 0:
        raise ImportFileUnreadable(N_("The file is empty."))
    if size > MAX_FILE_BYTES:
        raise ImportFileUnreadable(
            N_("The file is larger than {limit} MB; split it into smaller files."),
            limit=MAX_FILE_BYTES // (1024 * 1024),
        )


def detect_encoding(data: bytes) -> str:  # noqa: PLR0911 (an ordered list of tests)
    """The encoding of *data*: BOM first, then strict UTF-8, then cp1252 (or ISO-8859-1)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # UTF-16 without a mark: ASCII text has a zero byte in every other position.
    head = data[:4096]
    if len(head) >= 4 and head.count(0) * 3 > len(head):
        zeros_odd = head[1::2].count(0)
        zeros_even = head[0::2].count(0)
        if zeros_odd > 2 * zeros_even:
            return "utf-16-le"
        if zeros_even > 2 * zeros_odd:
            return "utf-16-be"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "iso-8859-1"
    return "cp1252"


def decode(data: bytes, encoding: str) -> str:
    """*data* as text in *encoding*; an unknown encoding or undecodable bytes are refused."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ImportFileUnreadable(
            N_("{encoding} is not an encoding this app knows."), encoding=encoding
        ) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise ImportFileUnreadable(
            N_("The file is not written in {encoding}; choose another encoding."),
            encoding=encoding,
        ) from None
    return text.lstrip("\ufeff")


def detect_format(text: str, file_name: str = "") -> FileFormat:
    """vCard when the file starts a card (or is named .vcf and holds one), else CSV."""
    stripped = text.lstrip()
    if stripped[:20].upper().replace(" ", "").startswith("BEGIN:VCARD"):
        return FileFormat.VCARD
    if file_name.lower().endswith((".vcf", ".vcard")) and _VCARD_START.search(text):
        return FileFormat.VCARD
    return FileFormat.CSV


def _header_line(text: str) -> str:
    """The first record's text up to its end of line (quoted newlines kept inside)."""
    in_quotes = False
    for index, ch in enumerate(text):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch in "\r\n" and not in_quotes:
            return text[:index]
    return text


def detect_delimiter(text: str) -> str:
    """The separator: the candidate counted most often outside quotes in the header line."""
    header = _header_line(text)
    counts = dict.fromkeys(_CANDIDATE_DELIMITERS, 0)
    in_quotes = False
    for ch in header:
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch in counts:
            counts[ch] += 1
    best = max(counts.values())
    if best == 0:
        return ","
    tied = [d for d in _CANDIDATE_DELIMITERS if counts[d] == best]
    if len(tied) == 1:
        return tied[0]
    try:
        sniffed = csv.Sniffer().sniff(text[:8_192], delimiters="".join(tied)).delimiter
    except csv.Error:
        return tied[0]
    return sniffed if sniffed in tied else tied[0]


def detect_shape(data: bytes, file_name: str = "") -> FileShape:
    """The encoding, format and (for CSV) separator of a file's bytes."""
    encoding = detect_encoding(data)
    text = decode(data, encoding)
    file_format = detect_format(text, file_name)
    delimiter = detect_delimiter(text) if file_format is FileFormat.CSV else ""
    return FileShape(file_format, encoding, delimiter)


def read_table(data: bytes, shape: FileShape) -> ImportTable:
    """The file as a table: its header and every data row, numbered from 1.

    Raises:
        ImportFileUnreadable: the bytes do not decode, or the file holds no data row.
    """
    text = decode(data, shape.encoding)
    if "\x00" in text and shape.format is FileFormat.CSV:
        # csv refuses NUL bytes on some versions; a text file has none.
        raise ImportFileUnreadable(N_("The file holds binary data, not text."))
    if shape.format is FileFormat.VCARD:
        table = _read_vcards(text, shape)
    else:
        table = _read_csv(text, shape)
    if table.row_count == 0:
        raise ImportFileUnreadable(N_("The file holds no contacts."))
    return table


def _read_csv(text: str, shape: FileShape) -> ImportTable:
    delimiter = shape.delimiter or ","
    if len(delimiter) != 1:
        raise ImportFileUnreadable(N_("The separator must be a single character."))
    if csv.field_size_limit() < MAX_FILE_BYTES:
        # A long cell (a 10 MB note) is an invalid row, not a file csv refuses.
        csv.field_size_limit(MAX_FILE_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = iter(reader)
        headers: tuple[str, ...] = ()
        for record in records:
            if any(cell.strip() for cell in record):
                headers = tuple(cell.strip() for cell in record)
                break
        if not headers:
            raise ImportFileUnreadable(N_("The file holds no contacts."))
        rows: list[tuple[int, tuple[str, ...]]] = []
        number = 0
        # The line each record begins on: a quote never closed runs to the end of the file.
        start = following = reader.line_num + 1
        for record in records:
            number += 1
            start, following = following, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            # A cell a spreadsheet would run was written with a quote before it
            # (domain.csv_cells, ours and others'): it comes back as it was.
            rows.append((number, tuple(restore(cell) for cell in record)))
        if rows and reader.line_num > start:
            _refuse_an_open_quote(text, delimiter, start)
    except csv.Error:
        raise ImportFileUnreadable(
            N_("The file is not a readable CSV file (check the separator and the quotes).")
        ) from None
    return ImportTable(shape, headers, rows)


def _refuse_an_open_quote(text: str, delimiter: str, start: int) -> None:
    """Refuse a file whose last row, from line *start*, runs to the end inside quotes.

    The lenient reader that takes real files (a stray quote inside a cell) reads a quote
    that is never closed as a cell holding the rest of the file: every row after it would
    be lost without a word. A row over several lines is fine when its quotes close.
    """
    tail = "".join(io.StringIO(text, newline="").readlines()[start - 1 :])
    try:
        for _record in csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise ImportFileUnreadable(
                N_(
                    "A quote opened on line {line} is never closed, so the rest of the file "
                    "would be read as one value; nothing was imported."
                ),
                line=start,
            ) from None


# -- vCard ---------------------------------------------------------------------------------

_QP_PARAM = re.compile(r"ENCODING\s*=\s*QUOTED-PRINTABLE|;\s*QUOTED-PRINTABLE\s*[;:]", re.I)
_BARE_COMMA = re.compile(r"(?<!\\),")
#: Single-text properties in which a comma is never a separator.
_TEXT_PROPERTIES = frozenset({"FN", "NOTE", "TITLE"})


def prepare_vcard_text(text: str) -> str:
    """Two shapes vobject misreads, put right before it sees them (a pre-pass, no parser).

    1. Outlook (vCard 2.1) writes long quoted-printable values as lines ending in "="
       that continue on the next line without the leading space of vCard folding:
       vobject reads the continuation as a new, broken property. Those lines are joined
       (and ordinary folded lines unfolded).
    2. vCard 2.1 does not escape commas, and many writers leave them bare in NOTE and FN
       of 3.0 too; vobject then keeps only the text before the first comma. Bare commas
       there (every property of a 2.1 card) are escaped.
    """
    lines = text.splitlines()
    joined: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line[:1] in (" ", "\t") and joined:
            joined[-1] += line[1:]
            continue
        name_part = line.split(":", 1)[0]
        if _QP_PARAM.search(name_part + ":"):
            while line.endswith("=") and index < len(lines):
                line = line[:-1] + lines[index]
                index += 1
        joined.append(line)
    out: list[str] = []
    version = ""
    for line in joined:
        name_part, colon, value = line.partition(":")
        name = name_part.split(";", 1)[0].strip().upper().rsplit(".", 1)[-1]
        if name == "BEGIN":
            version = ""
        elif name == "VERSION":
            version = value.strip()
        elif colon and (version == "2.1" or name in _TEXT_PROPERTIES):
            out.append(name_part + colon + _BARE_COMMA.sub(r"\\,", value))
            continue
        out.append(line)
    return "\r\n".join(out) + "\r\n"


#: The columns a vCard becomes; EMAIL and TEL repeat as "EMAIL 2", "TEL 2"...
VCARD_COLUMNS = (
    "FN",
    "N (family)",
    "N (given)",
    "ORG",
    "ADR (street)",
    "ADR (postcode)",
    "ADR (city)",
    "ADR (country)",
    "BDAY",
    "LANG",
    "NOTE",
    "UID",
)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(_text(v) for v in value if _text(v))
    return str(value).strip()


#: vCard properties read as one text each (the first one counts), by the column they fill.
_SIMPLE_PROPERTIES = {
    "FN": "FN",
    "ORG": "ORG",
    "BDAY": "BDAY",
    "LANG": "LANG",
    "NOTE": "NOTE",
    "KIND": "KIND",
    "UID": "UID",
}


def _card_values(card: object) -> tuple[dict[str, str], list[str], list[str]]:
    """The scalar values of one vobject card, and its e-mail addresses and numbers."""
    values: dict[str, str] = {}
    emails: list[str] = []
    phones: list[str] = []
    for child in card.getChildren():  # type: ignore[attr-defined]
        name = str(child.name).upper()
        value = child.value
        if name in _SIMPLE_PROPERTIES:
            values.setdefault(_SIMPLE_PROPERTIES[name], _text(value))
        elif name == "N":
            values.setdefault("N (family)", _text(getattr(value, "family", value)))
            values.setdefault("N (given)", _text(getattr(value, "given", "")))
        elif name == "ADR" and "ADR (street)" not in values:
            values["ADR (street)"] = " ".join(_text(getattr(value, "street", "")).split())
            values["ADR (postcode)"] = _text(getattr(value, "code", ""))
            values["ADR (city)"] = _text(getattr(value, "city", ""))
            values["ADR (country)"] = _text(getattr(value, "country", ""))
        elif name == "EMAIL":
            emails.append(_text(value))
        elif name == "TEL":
            number = _text(value)
            if number.lower().startswith("tel:"):
                number = number[4:].split(";", 1)[0]
            phones.append(number)
    no_name = not values.get("N (family)") and not values.get("N (given)")
    if values.pop("KIND", "").lower() in ("org", "organization") or (
        no_name and values.get("FN") and values.get("FN") == values.get("ORG")
    ):
        # An organisation's card (KIND:org, or named only by its ORG): its FN is no
        # person's name, so the row becomes an organisation address.
        values["FN"] = ""
    return values, emails[:_MAX_VCARD_VALUES], phones[:_MAX_VCARD_VALUES]


def _card_blocks(text: str) -> Iterator[str]:
    for match in _VCARD_BLOCK.finditer(text):
        yield "BEGIN:VCARD\r\n" + match.group(1).strip("\r\n") + "\r\nEND:VCARD\r\n"


def _read_vcards(text: str, shape: FileShape) -> ImportTable:
    import vobject

    cards: list[tuple[int, dict[str, str], list[str], list[str]]] = []
    broken: list[RowProblem] = []
    for number, block in enumerate(_card_blocks(prepare_vcard_text(text)), start=1):
        try:
            card = vobject.readOne(block)
            values, emails, phones = _card_values(card)
        except Exception:  # vobject raises many kinds of error on a malformed card
            broken.append(RowProblem(number, "VCARD", N_("This card cannot be read.")))
            continue
        cards.append((number, values, emails, phones))
    email_columns = max((len(c[2]) for c in cards), default=0) or 1
    phone_columns = max((len(c[3]) for c in cards), default=0) or 1
    emails_h = tuple("EMAIL" if i == 0 else f"EMAIL {i + 1}" for i in range(email_columns))
    phones_h = tuple("TEL" if i == 0 else f"TEL {i + 1}" for i in range(phone_columns))
    headers = VCARD_COLUMNS[:4] + emails_h + phones_h + VCARD_COLUMNS[4:]
    rows = []
    for number, values, emails, phones in cards:
        cells = (
            tuple(values.get(h, "") for h in VCARD_COLUMNS[:4])
            + tuple(emails + [""] * (email_columns - len(emails)))
            + tuple(phones + [""] * (phone_columns - len(phones)))
            + tuple(values.get(h, "") for h in VCARD_COLUMNS[4:])
        )
        rows.append((number, cells))
    return ImportTable(shape, headers, rows, broken)
