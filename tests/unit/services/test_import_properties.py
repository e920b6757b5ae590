"""Fuzz and property tests of the importer.

Random bytes as CSV or vCard never crash it (only ``ImportFileUnreadable`` or a result),
and never half-import a row: after every run the number of contacts is the number before
plus ``imported``, and every contact of the batch holds exactly the values its row
validates to, each with the batch's source, and its full-text row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from privacycrm_desktop.domain.csv_cells import QUOTE, restore
from privacycrm_desktop.domain.errors import ImportFileUnreadable
from privacycrm_desktop.domain.import_files import detect_shape, read_table
from privacycrm_desktop.domain.import_formats import DuplicatePolicy, FileFormat, FileShape
from privacycrm_desktop.domain.import_headers import guess_mapping
from privacycrm_desktop.domain.import_rows import ImportedRow, read_row
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.models import Contact, ContactEmail, ContactPhone, Source
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportPlan, ImportResult
from privacycrm_desktop.services.registry import Services

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SOURCE = SourceInput(SourceKind.IMPORT_FILE, "Fuzzed file", dt.date(2026, 3, 1))
HEADER = ("First Name", "Last Name", "E-mail Address", "Mobile Phone", "City", "Notes")

#: Cells that are sometimes valid, sometimes not: names, addresses, numbers, junk.
cells = st.one_of(
    st.sampled_from(
        [
            "",
            "Jan",
            "Zoë",
            "Lefèvre",
            "jan@example.be",
            "zoe@example.be; z@x.be",
            "not-an-address",
            "0475 12 34 56",
            "+32 2 345 67 89",
            "12",
            "Gent",
            "Liège",
            '"quoted"',
            "a;b,c",
            "line\nbreak",
            "=HYPERLINK()",
        ]
    ),
    # NUL is no text: a file holding one is refused whole (tested in test_imports.py).
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30),
)
junk = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)


def column(*good: str) -> st.SearchStrategy[str]:
    """Mostly plausible values of one column, sometimes junk."""
    return st.one_of(st.sampled_from(good), st.sampled_from(good), junk)


#: Rows in the HEADER's columns, most of them valid, so the batch has rows to check.
good_rows = st.tuples(
    column("Jan", "Zoë", "Émile", ""),
    column("Peeters", "Lefèvre", "Van den Broeck", ""),
    column("", "jan@example.be", "Zoe@Example.BE", "a@b.be, c@d.be", "not-an-address"),
    column("", "0475 12 34 56", "+32 2 345 67 89", "02/345.67.89", "12"),
    column("", "Gent", "Liège", "Sint-Niklaas"),
    column("", "note", "line\nbreak", '"quoted"; x'),
).map(list)
rows = st.lists(
    st.one_of(good_rows, good_rows, st.lists(cells, min_size=0, max_size=8)),
    min_size=1,
    max_size=12,
)


def _counts(svc: Services) -> int:
    with svc.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(Contact)).scalar_one())


def _run(svc: Services, actor: Actor, path: Path) -> ImportResult | None:
    try:
        preview = svc.imports.preview(actor, path)
    except ImportFileUnreadable:
        return None
    plan = ImportPlan(
        path=path,
        shape=preview.shape,
        mapping=preview.mapping,
        source=SOURCE,
        purpose_code="customer_relationship",
        legal_basis="contract",
        duplicates=DuplicatePolicy.CREATE,
        # Whole, notes included: a generated note may hold a special-category word (the
        # French "ADN" was found), which is kept only when confirmed (tested apart).
        confirm_special=True,
    )
    return svc.imports.run(actor, plan)


def _check_batch(svc: Services, result: ImportResult, expected: list[ImportedRow] | None) -> None:
    """Every contact of the batch is whole: its values, their source, its index row."""
    with svc.uow() as uow:
        session = uow.session
        source_ids = set(
            session.scalars(select(Source.id).where(Source.import_batch_id == result.batch_id))
        )
        contacts = session.scalars(
            select(Contact).where(Contact.import_batch_id == result.batch_id).order_by(Contact.id)
        ).all()
        assert len(contacts) == result.imported
        if expected is not None:
            assert len(expected) == len(contacts)
        for index, contact in enumerate(contacts):
            emails = session.execute(
                select(ContactEmail.address, ContactEmail.source_id)
                .where(ContactEmail.contact_id == contact.id)
                .order_by(ContactEmail.position)
            ).all()
            phones = session.execute(
                select(ContactPhone.number, ContactPhone.source_id)
                .where(ContactPhone.contact_id == contact.id)
                .order_by(ContactPhone.position)
            ).all()
            assert contact.source_id in source_ids
            assert {s for _v, s in emails + phones} <= source_ids
            assert contact.primary_email == (emails[0][0] if emails else "")
            assert contact.primary_phone == (phones[0][0] if phones else "")
            indexed = session.execute(
                text("SELECT count(*) FROM contact_fts WHERE rowid = :id"), {"id": contact.id}
            ).scalar()
            assert indexed == 1
            assert contact.keep_reason
            if expected is not None:
                want = expected[index].contact
                assert (contact.first_name, contact.last_name, contact.city, contact.notes) == (
                    want.first_name,
                    want.last_name,
                    want.city,
                    want.notes,
                )
                assert tuple(v for v, _s in emails) == want.emails
                assert tuple(v for v, _s in phones) == want.phones


@FUZZ
@given(
    data=st.binary(max_size=600),
    name=st.sampled_from(["fuzz.csv", "fuzz.vcf", "fuzz.txt"]),
    prefix=st.sampled_from([b"", b"BEGIN:VCARD\r\n", b"\xef\xbb\xbfFirst Name;E-mail\r\n"]),
)
def test_random_bytes_never_crash_nor_half_import(
    svc: Services, owner: Actor, tmp_path: Path, data: bytes, name: str, prefix: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(prefix + data)
    before = _counts(svc)
    result = _run(svc, owner, path)
    if result is None:
        assert _counts(svc) == before
        return
    assert _counts(svc) == before + result.imported
    assert (
        result.imported + result.invalid_rows + sum(result.skipped.values()) + (result.merged)
        == result.total_rows
    )
    if result.batch_id is not None:
        _check_batch(svc, result, None)


@pytest.mark.slow
@FUZZ
@given(
    table=rows,
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8-sig", "utf-8", "utf-16", "cp1252"]),
)
# Found by a CI run: a note "ADN" (DNA, a special-category word) was left out.
@example(table=[["Jan", "Peeters", "", "", "", "ADN"]], delimiter=",", encoding="utf-8-sig")
def test_every_valid_row_is_imported_whole_and_nothing_else(
    svc: Services,
    owner: Actor,
    tmp_path: Path,
    table: list[list[str]],
    delimiter: str,
    encoding: str,
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADER)
    writer.writerows(table)
    raw = buffer.getvalue().encode(encoding, errors="replace")
    path = tmp_path / "rows.csv"
    path.write_bytes(raw)
    before = _counts(svc)
    if not any(any(c.strip() for c in r) for r in table):
        assert _run(svc, owner, path) is None  # no data row: refused, nothing written
        assert _counts(svc) == before
        return
    # What the rows validate to, computed apart from the service.
    shape = detect_shape(raw)
    assert shape.format is FileFormat.CSV
    parsed = read_table(raw, shape)
    mapping = guess_mapping(parsed.headers)
    valid = [
        r
        for r in (
            read_row(n, parsed.headers, c, mapping, dt.date(2026, 3, 2)) for n, c in parsed.rows
        )
        if not isinstance(r, list)
    ]
    result = _run(svc, owner, path)
    assert result is not None
    assert result.imported == len(valid)
    assert _counts(svc) == before + len(valid)
    if result.batch_id is not None:
        _check_batch(svc, result, valid)


@FUZZ
@example(table=[["", "", ""], ["", "", "'@"]], delimiter=",", encoding="utf-8-sig")
@given(
    table=st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=10),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8-sig", "utf-16", "utf-8"]),
)
def test_csv_cells_come_back_as_written(
    table: list[list[str]], delimiter: str, encoding: str
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["Name", "E-mail", "Notes"])
    writer.writerows(table)
    raw = buffer.getvalue().encode(encoding)
    shape = detect_shape(raw)
    assert shape == FileShape(FileFormat.CSV, shape.encoding, delimiter)
    parsed = read_table(raw, shape) if any(any(c.strip() for c in r) for r in table) else None
    if parsed is None:
        return
    # As written, but for the quote a spreadsheet-safe export puts before a cell that
    # would run ("'@", "'=..."): that one goes (domain.csv_cells.restore; hypothesis
    # found "'@" in a row, December 2026).
    kept = [
        (n, tuple(restore(c) for c in r) if QUOTE in "".join(r) else tuple(r))
        for n, r in enumerate(table, start=1)
        if any(c.strip() for c in r)
    ]
    assert parsed.headers == ("Name", "E-mail", "Notes")
    assert parsed.rows == kept
