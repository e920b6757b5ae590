"""Reading an import file into a table of text cells: encoding, separator, CSV and vCard.

Encoding: a byte-order mark decides first (UTF-8, UTF-16 LE/BE); then strict UTF-8; then
cp1252 (what Excel and Outlook write on Belgian Windows); bytes cp1252 leaves undefined
fall back to ISO-8859-1, which reads anything, so only the person's own choice of
encoding can fail to decode.

CSV: the stdlib ``csv`` module. The separator is the candidate (, ; tab |) counted most
often outside quotes in the header line; ``csv.Sniffer`` is asked only when the count
ties. Some exports put lines of text before the header (LinkedIn's Connections.csv opens
with "Notes:" and a paragraph): narrow lines before a row of known headers are skipped,
and the separator is counted in the first line that has one.

vCard: ``domain.import_vcard`` (``vobject`` after a pre-pass that puts right what real
programs write); each card is read on its own, so one broken card is one invalid row.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Sequence
from itertools import chain, islice

from privacycrm_desktop.domain.csv_cells import QUOTE, restore
from privacycrm_desktop.domain.errors import ImportFileUnreadable
from privacycrm_desktop.domain.import_formats import (
    MAX_FILE_BYTES,
    FileFormat,
    FileShape,
    ImportTable,
)
from privacycrm_desktop.domain.import_headers import guess_target
from privacycrm_desktop.domain.import_vcard import read_vcards
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.domain.vcard_text import INVISIBLE, split_property

_CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
#: How many records are looked at for a header below lines of text.
_PREAMBLE_RECORDS = 20


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
    """The encoding of *data*: BOM first, then strict UTF-8, then cp1252 (or ISO-8859-1).

    A UTF-8 byte-order mark before bytes that are no UTF-8 (a file a program added to in
    Latin-1) is no reason to refuse the file: its other bytes decide.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            data = data[len(codecs.BOM_UTF8) :]
        else:
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
    if data.startswith(codecs.BOM_UTF8):
        # A UTF-8 mark is no text in any encoding ("ï»¿" in cp1252).
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise ImportFileUnreadable(
            N_("The file is not written in {encoding}; choose another encoding."),
            encoding=encoding,
        ) from None
    return text.lstrip("\ufeff")


def detect_format(text: str, file_name: str = "") -> FileFormat:
    """vCard when the file's first line begins a card (or it is named .vcf and a line of
    it does), else CSV.

    A line begins a card when it is the property BEGIN:VCARD, read as the vCard reader
    reads it (a group prefix, "item1.BEGIN:VCARD", and spaces around the colon allowed);
    blank lines, ``#`` comment lines (some phones write one) and byte-order marks or
    zero-width spaces before it (files joined together) do not count. A CSV header that
    only opens with the words ("BEGIN:VCARD;EMAIL") is no card.
    """
    lines = (_visible(match[0]) for match in _LINE.finditer(text))
    first = next((line for line in lines if line and not line.startswith("#")), "")
    if _begins_card(first):
        return FileFormat.VCARD
    if file_name.lower().endswith((".vcf", ".vcard")) and any(
        _begins_card(_visible(match[0])) for match in _LINE.finditer(text)
    ):
        return FileFormat.VCARD
    return FileFormat.CSV


_LINE = re.compile(r"[^\r\n]+")


def _visible(line: str) -> str:
    return line.strip().lstrip(INVISIBLE).strip()


def _begins_card(line: str) -> bool:
    prop = split_property(line)
    return prop is not None and prop.name == "BEGIN" and prop.value.strip().upper() == "VCARD"


def _header_line(text: str) -> str:
    """The first record's text up to its end of line (quoted newlines kept inside); when
    it holds no separator (a line of text above the header), the first record that does.
    """
    first: str | None = None
    in_quotes = False
    begin = 0
    lines = 0
    for index, ch in enumerate(text):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch in "\r\n" and not in_quotes:
            line = text[begin:index]
            begin = index + 1
            if not line.strip():
                continue
            if first is None:
                first = line
            if _outside_quotes(line) & set(_CANDIDATE_DELIMITERS):
                return line
            lines += 1
            if lines >= _PREAMBLE_RECORDS:
                break
    rest = text[begin:]
    if first is None or (
        lines < _PREAMBLE_RECORDS and _outside_quotes(rest) & set(_CANDIDATE_DELIMITERS)
    ):
        return rest
    return first


def _outside_quotes(line: str) -> set[str]:
    """The characters of *line* outside double quotes."""
    seen: set[str] = set()
    in_quotes = False
    for ch in line:
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes:
            seen.add(ch)
    return seen


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


def read_table(
    data: bytes, shape: FileShape, *, empty: str = N_("The file holds no contacts.")
) -> ImportTable:
    """The file as a table: its header and every data row, numbered from 1; a file
    without a data row is refused with *empty* (a message id).

    Raises:
        ImportFileUnreadable: the bytes do not decode, or the file holds no data row.
    """
    text = decode(data, shape.encoding)
    nuls = text.count("\x00")
    if nuls and shape.format is FileFormat.CSV:
        # A text file has no NUL character, but a program's bug or a damaged disk block can
        # leave a stray one in a cell: it stands for nothing and goes (csv refuses it on
        # some versions). More than one in a thousand characters means binary data.
        if nuls > 1 + len(text) // 1_000:
            raise ImportFileUnreadable(N_("The file holds binary data, not text."))
        text = text.replace("\x00", "")
    table = read_vcards(text, shape) if shape.format is FileFormat.VCARD else _read_csv(text, shape)
    if table.row_count == 0:
        raise ImportFileUnreadable(empty)
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
        records = ((record, reader.line_num) for record in reader)
        head = list(islice(records, _PREAMBLE_RECORDS))
        index = _header_index([record for record, _line in head])
        if index is None:
            raise ImportFileUnreadable(N_("The file holds no contacts."))
        headers = tuple(cell.strip() for cell in head[index][0])
        _refuse_data_as_headers(headers)
        rows: list[tuple[int, tuple[str, ...]]] = []
        number = 0
        # The line each record begins on: a quote never closed runs to the end of the file.
        start = following = head[index][1] + 1
        for record, line_num in chain(head[index + 1 :], records):
            number += 1
            start, following = following, line_num + 1
            if line_num - start >= _SWALLOW_LINES:
                _refuse_swallowed_rows(record, len(headers), text, delimiter, start, line_num)
            joined = "".join(record)
            if not joined.strip():
                continue  # no cell holds anything but spaces
            # A cell a spreadsheet would run was written with a quote before it
            # (domain.csv_cells, ours and others'): it comes back as it was (a row
            # without a quote has no such cell).
            if QUOTE in joined:
                rows.append((number, tuple(restore(cell) for cell in record)))
            else:
                rows.append((number, tuple(record)))
        if rows and reader.line_num > start:
            _refuse_an_open_quote(text, delimiter, start)
    except csv.Error:
        raise ImportFileUnreadable(
            N_("The file is not a readable CSV file (check the separator and the quotes).")
        ) from None
    return ImportTable(shape, headers, rows)


def _header_index(records: Sequence[Sequence[str]]) -> int | None:
    """Which of the first records is the header: the first filled one, unless narrower
    lines of text stand above a row of known headers (LinkedIn's "Notes:")."""
    widths = [sum(1 for cell in record if cell.strip()) for record in records]
    first = next((i for i, width in enumerate(widths) if width), None)
    if first is None:
        return None
    for index in range(first, len(records)):
        known = sum(1 for cell in records[index] if guess_target(cell, "") is not None)
        if known >= 2:
            return index if max(widths[first:index], default=0) < widths[index] else first
    return first


#: A cell that is an e-mail address: no program names a column so.
_ADDRESS_CELL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _refuse_data_as_headers(headers: Sequence[str]) -> None:
    """Refuse a file whose first line is a contact, not column names (a program that
    exports without a header row): read as the header, that contact would be lost and
    every column left unmapped."""
    address = next((h for h in headers if _ADDRESS_CELL.fullmatch(h)), None)
    if address is not None:
        raise ImportFileUnreadable(
            N_(
                "The first line of the file holds a contact ({value}), not the names of the "
                "columns: add a first line naming them (such as First name, Last name, "
                "E-mail) and import again. Nothing was imported."
            ),
            value=address,
        )


#: A record over this many more lines than one is checked for rows inside a quote.
_SWALLOW_LINES = 2


def _refuse_swallowed_rows(
    record: Sequence[str], width: int, text: str, delimiter: str, start: int, end: int
) -> None:
    """Refuse a record one of whose quoted cells holds whole rows of the file: a stray
    quote (``Bo,"Smet,bo@example.be``) that a later one closes makes the rows between
    one value, which would go into one person's notes, the rows' people lost without a
    word. Such a quote closes inside a cell (the next quote of the file, which opened
    one: ``Ce,De "Vos"``), so the record's lines are no well-formed CSV; a note written
    over several lines is, whatever its lines hold."""
    if width < _MIN_ROW_WIDTH:
        return
    rows = max(
        sum(
            1
            for line in cell.splitlines()[1:-1]
            if len(next(csv.reader([line], delimiter=delimiter), [])) == width
        )
        for cell in record
    )
    if rows < _SWALLOW_LINES or _well_formed(text, delimiter, start, end):
        return
    raise ImportFileUnreadable(
        N_(
            "A quote opened on line {line} closes only on line {end}, so the {rows} "
            "rows between would be read as one value: check the quotes around line "
            "{line}. Nothing was imported."
        ),
        line=start,
        end=end,
        rows=rows,
    )


def _well_formed(text: str, delimiter: str, start: int, end: int) -> bool:
    """Whether lines *start* to *end* of *text* read as CSV with every quote where a
    quote may stand; a quote never closed counts as well formed here (the reader
    refuses that apart, ``_refuse_an_open_quote``)."""
    lines = io.StringIO(text, newline="").readlines()[start - 1 : end]
    try:
        for _record in csv.reader(
            io.StringIO("".join(lines), newline=""), delimiter=delimiter, strict=True
        ):
            pass
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return True


#: Rows of fewer columns are not told apart from a note's lines.
_MIN_ROW_WIDTH = 3


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
