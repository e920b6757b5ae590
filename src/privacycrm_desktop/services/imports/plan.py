"""The first step of an import: the file read into a table, and the plan checked (source,
purpose, legal basis, the columns the role may fill, the consent columns), before any row
is looked at."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, has_permission
from privacycrm_desktop.domain.consent import Channel
from privacycrm_desktop.domain.errors import (
    FieldProblem,
    ImportFileUnreadable,
    ImportPlanInvalid,
    SourceMissing,
    ValidationFailed,
)
from privacycrm_desktop.domain.fields import CUSTOM_PREFIX, FIELD_CATALOGUE
from privacycrm_desktop.domain.import_files import check_size, detect_shape, read_table
from privacycrm_desktop.domain.import_formats import FileShape, ImportField, ImportTable
from privacycrm_desktop.domain.provenance import SourceInput, validate_source
from privacycrm_desktop.domain.purposes import LegalBasis
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.models import Purpose
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports.model import ImportPlan

#: The register purpose a consent column is guessed to record (the shipped consent one).
DEFAULT_CONSENT_PURPOSE = "direct_marketing_consent"
#: Import fields that write other catalogue fields than their own: a full name (or the
#: name shown with an e-mail address) is split in two, a whole address into its parts,
#: birth date parts make the birth date, a column kept as a line (or a vCard's unread lines)
#: writes the notes.
_SPLIT_FIELDS: dict[ImportField, tuple[str, ...]] = {
    ImportField.FULL_NAME: ("first_name", "last_name"),
    ImportField.EMAIL_NAME: ("first_name", "last_name"),
    ImportField.ADDRESS: ("street", "postcode", "city", "country"),
    ImportField.BIRTH_YEAR: ("birth_date",),
    ImportField.BIRTH_MONTH: ("birth_date",),
    ImportField.BIRTH_DAY: ("birth_date",),
    ImportField.NOTE_LINE: ("notes",),
    ImportField.UNREAD: ("notes",),
    # A place at the row's organisation: the person's company link (or, without an
    # organisation, a line of the notes).
    ImportField.FUNCTION: ("company_links", "notes"),
    ImportField.DEPARTMENT: ("company_links", "notes"),
}
_BY_COLUMN = {
    ImportField(spec.import_column): (spec.name,)
    for spec in FIELD_CATALOGUE
    if spec.import_column is not None
}
#: The catalogue fields (domain.fields) an import field writes, in ImportField's order; a
#: consent column writes none.
CATALOGUE_FIELDS: dict[ImportField, tuple[str, ...]] = {
    field: _SPLIT_FIELDS.get(field) or _BY_COLUMN[field]
    for field in ImportField
    if field in _SPLIT_FIELDS or field in _BY_COLUMN
}


class CheckedPlan(NamedTuple):
    """A plan that passed its checks: the checked source, the purpose's id and the ids of
    the consent columns' purposes (by code)."""

    source: SourceInput
    purpose_id: int
    consent_ids: dict[str, int]


class TableReader:
    """Reads import files into tables, keeping the last one read.

    The wizard previews, checks and runs one file: the last table read is kept (unless
    not *keep*) and used again while the file's bytes and shape are the same, instead of
    parsing 100,000 rows again (the bytes are read and compared every time).
    """

    def __init__(self) -> None:
        #: The last file read: (its bytes' digest and shape, its table).
        self._last_read: tuple[tuple[bytes, FileShape], ImportTable] | None = None

    def read(self, path: Path, shape: FileShape | None = None, *, keep: bool = True) -> ImportTable:
        """The file read into a table."""
        try:
            size = path.stat().st_size
            check_size(size)
            data = path.read_bytes()
        except OSError:
            raise ImportFileUnreadable(N_("The file cannot be opened.")) from None
        check_size(len(data))
        shape = shape or detect_shape(data, path.name)
        key = (hashlib.blake2b(data, digest_size=32).digest(), shape)
        last = self._last_read
        table = last[1] if last is not None and last[0] == key else read_table(data, shape)
        self._last_read = (key, table) if keep else None
        return table


def read_shape(path: Path) -> FileShape:
    """The detected encoding, format and separator of a file."""
    try:
        data = path.read_bytes()
    except OSError:
        raise ImportFileUnreadable(N_("The file cannot be opened.")) from None
    check_size(len(data))
    return detect_shape(data, path.name)


def access_problems(
    access: Mapping[str, FieldAccess], actor: Actor, plan: ImportPlan, headers: Sequence[str]
) -> list[FieldProblem]:
    """Columns mapped to fields the actor's role may not fill in."""
    problems: list[FieldProblem] = []
    for header, target in zip(headers, plan.mapping, strict=False):
        if target is None:
            continue
        fields = CATALOGUE_FIELDS.get(target.field, ())
        if target.field is ImportField.CUSTOM:
            # The custom field its key names (an unknown key: no field anyone may fill).
            fields = (CUSTOM_PREFIX + (target.key or ""),)
        if any(access.get(f) is not FieldAccess.WRITE for f in fields) or (
            target.field is ImportField.CONSENT
            and not has_permission(actor.role, Permission.RECORD_CONSENT)
        ):
            problems.append(
                FieldProblem(
                    "mapping",
                    N_("Your role may not fill in column {column}; leave it out."),
                    {"column": header},
                )
            )
    return problems


def check_plan(
    session: Session,
    access: Mapping[str, FieldAccess],
    actor: Actor,
    plan: ImportPlan,
    headers: Sequence[str],
    today: dt.date,
) -> CheckedPlan:
    """The checked plan, or refuse with every problem found (``ImportPlanInvalid``)."""
    problems = access_problems(access, actor, plan, headers)
    source = plan.source
    try:
        source = validate_source(plan.source, today)
    except SourceMissing as exc:
        problems.append(FieldProblem("source", exc.message))
    except ValidationFailed as exc:
        problems += exc.problems
    active = dict(
        session.execute(select(Purpose.code, Purpose.id).where(Purpose.active.is_(True)))
        .tuples()
        .all()
    )
    purpose_id = active.get(plan.purpose_code)
    if purpose_id is None:
        problems.append(FieldProblem("purpose", N_("Choose a purpose from the register.")))
    if plan.legal_basis not in {b.value for b in LegalBasis}:
        problems.append(FieldProblem("legal_basis", N_("Choose the legal basis of this purpose.")))
    if len(plan.mapping) != len(headers):
        problems.append(
            FieldProblem("mapping", N_("The mapping does not match the file's columns."))
        )
    consent_ids: dict[str, int] = {}
    for header, target in zip(headers, plan.mapping, strict=False):
        if target is None or target.field is not ImportField.CONSENT:
            continue
        code = target.purpose_code or ""
        channels = {c.value for c in Channel}
        if code not in active or target.channel not in channels:
            problems.append(
                FieldProblem(
                    "mapping",
                    N_("Choose the purpose and the channel of consent column {column}."),
                    {"column": header},
                )
            )
        else:
            consent_ids[code] = active[code]
    if problems or purpose_id is None:
        raise ImportPlanInvalid(problems)
    return CheckedPlan(source, purpose_id, consent_ids)


__all__ = [
    "CATALOGUE_FIELDS",
    "DEFAULT_CONSENT_PURPOSE",
    "CheckedPlan",
    "TableReader",
    "access_problems",
    "check_plan",
    "read_shape",
]
