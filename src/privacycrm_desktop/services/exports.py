"""Export of chosen contacts to CSV (our columns, Outlook's, Google's or a Belgian Excel
sheet) or vCard 4.0 or 3.0, for a stated purpose and recipient.

What goes into the file follows the user's field access exactly as the list and the editor
do (``ContactService.get``/``page``): a hidden field has no column and no vCard property,
a masked one is masked (a masked birth date is left out). Special-category data,
relationship dates and the keep-until date are never exported.

Every export names a purpose from the register and a recipient (rules 6 and 15):

- a recipient that would use the data for its own purposes (declared, or remembered from
  an earlier refusal) is refused and the refusal logged (``DisclosureService``'s rule);
- a third party (a service provider, an accountant, an authority) gets one disclosure per
  exported contact in the ledger, so the access report names it and it is on the list of
  recipients to tell after a correction, an erasure or an opt-out;
- an internal export (the file stays within the company) records no disclosure.

Either way one audit event records format, count, purpose, recipient (its id, or
``internal``) and which fields left, never a value. The file is written under a temporary
name beside the target and renamed only when complete and logged: a cancelled or failed
export leaves no partial file and no log entry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import tempfile
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, mask, require
from privacycrm_desktop.domain.audit_actions import INTERNAL_RECIPIENT
from privacycrm_desktop.domain.contacts import ContactKind
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition
from privacycrm_desktop.domain.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from privacycrm_desktop.domain.export_csv import CsvExportWriter, CsvProfile
from privacycrm_desktop.domain.export_formats import (
    EXPORT_FIELDS,
    ExportContact,
    ExportFormat,
    data_categories,
)
from privacycrm_desktop.domain.export_vcard import VcardExportWriter, VcardVersion
from privacycrm_desktop.domain.fields import Sensitivity
from privacycrm_desktop.domain.normalize import InvalidValue, clean_text
from privacycrm_desktop.domain.purposes import RecipientKind
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import contact_queries as queries
from privacycrm_desktop.persistence.bulk_reads import streamed_reads
from privacycrm_desktop.persistence.company_models import Company, CompanyLink
from privacycrm_desktop.persistence.models import (
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    Purpose,
    Tag,
)
from privacycrm_desktop.persistence.record_models import Disclosure
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.contact_uids import ContactUids
from privacycrm_desktop.services.custom_values import values_of
from privacycrm_desktop.services.disclosures import DisclosureService, find_recipient
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.private_files import check_target

#: Contacts read (and ids sent to SQLite in one ``IN``) per step.
CHUNK = 500
#: The audit trail's word for a file that stays within the company.
INTERNAL = INTERNAL_RECIPIENT
_MAX_RECIPIENT = 200


class ExportNotWritten(DomainError):
    """The file could not be written where the user asked (folder missing, no permission,
    a full or read-only disk)."""

    default_message = N_(
        "The file could not be written there: check the folder and its permissions. "
        "Nothing was exported."
    )

    @classmethod
    def of(cls, error: OSError) -> ExportNotWritten:
        """The refusal that names *error*'s cause: a full disk is not a permission."""
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            return cls(
                N_("The disk is full, so the file could not be written. Nothing was exported.")
            )
        if error.errno == errno.EROFS:
            return cls(
                N_("The disk is read-only, so the file could not be written. Nothing was exported.")
            )
        return cls()


@dataclass(frozen=True)
class ExportRequest:
    """What to export, for what and for whom.

    ``contact_ids`` None means every contact the user may see (the whole list);
    ``recipient_kind`` None means the file stays within the company (no disclosure).
    ``recipient_own_use`` is the declaration that the recipient uses the data for its own
    purposes: such an export is refused (rule 6). ``csv_profile`` is the program a CSV is
    written for, ``vcard_version`` the version of a vCard file.
    """

    format: ExportFormat
    purpose: str
    recipient: str
    contact_ids: tuple[int, ...] | None = None
    recipient_kind: RecipientKind | None = RecipientKind.PROCESSOR
    recipient_own_use: bool = False
    csv_profile: CsvProfile = CsvProfile.PRIVACYCRM
    vcard_version: VcardVersion = VcardVersion.V4
    #: The language of the PrivacyCRM CSV's column names (nl, fr or en).
    language: str = "en"

    @property
    def variant(self) -> str:
        """The CSV profile or the vCard version, as the audit and the CLI name it."""
        if self.format is ExportFormat.CSV:
            return self.csv_profile.value
        return self.vcard_version.value


@dataclass(frozen=True)
class ExportResult:
    """A finished export: the file, how many contacts it holds, which fields."""

    path: Path
    format: ExportFormat
    count: int
    fields: tuple[str, ...]
    #: The recipient's id in the ledger; None for an internal export.
    recipient_id: int | None
    #: Disclosures added to the ledger (one per contact for a third party, else 0).
    disclosures: int
    #: The CSV profile ("outlook"...) or the vCard version ("4.0").
    variant: str = ""


class ExportService:
    """Writes contacts to CSV or vCard files, as the user's field access allows; audited."""

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        access: AccessService | None = None,
        disclosures: DisclosureService | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = access or AccessService(uow, clock)
        self._disclosures = disclosures or DisclosureService(uow, clock, self._policy)

    def fields(self, actor: Actor) -> tuple[str, ...]:
        """The fields an export by *actor* carries (those not hidden from the role), the
        exported custom fields last."""
        access = self._policy.access_for(actor.role)
        fixed = tuple(f for f in EXPORT_FIELDS if access[f] is not FieldAccess.HIDDEN)
        return fixed + tuple(d.name for d in self._custom(access))

    def _custom(self, access: dict[str, FieldAccess]) -> list[CustomFieldDefinition]:
        """The exported custom fields the role sees."""
        return [
            d
            for d in self._policy.custom_fields()
            if d.exported and access.get(d.name, FieldAccess.HIDDEN) is not FieldAccess.HIDDEN
        ]

    def export(
        self,
        actor: Actor,
        request: ExportRequest,
        out: Path,
        progress: Callable[[int, int], None] | None = None,
    ) -> ExportResult:
        """Write the chosen contacts to *out* and log the export.

        *progress*, when given, is told ``(done, total)`` after each block of contacts; an
        exception it raises (a cancel) stops the export: no file, nothing logged.

        Raises:
            PermissionDenied: the role may not export.
            ValidationFailed: no purpose from the register, no recipient, no contacts.
            TransferRefused: the recipient would use the data for its own purposes (logged).
            NotFound: one of the ids is no contact.
            ExportNotWritten: the file cannot be written there.
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        require(actor.role, Permission.EXPORT)
        recipient, purpose_id = self._check(request)
        self._disclosures.refuse_own_use(actor, recipient, request.recipient_own_use, "export")
        access = self._policy.access_for(actor.role)
        fields = self.fields(actor)
        out = Path(out)
        check_target(out)
        try:
            handle, temp_name = tempfile.mkstemp(
                dir=out.parent, prefix=f".{out.name}.", suffix=".part"
            )
        except OSError as error:
            raise ExportNotWritten.of(error) from None
        temp = Path(temp_name)
        try:
            encoding = "utf-8-sig" if request.format is ExportFormat.CSV else "utf-8"
            try:
                with os.fdopen(handle, "w", encoding=encoding, newline="") as stream:
                    exported = self._write(actor, request, fields, access, stream, progress)
                    stream.flush()
                    os.fsync(stream.fileno())
            except OSError as error:
                raise ExportNotWritten.of(error) from None  # the disk is full, or went away
            result = self._log_and_publish(
                actor, request, recipient, purpose_id, fields, exported, temp, out
            )
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        return result

    # -- checks -------------------------------------------------------------------------

    def _check(self, request: ExportRequest) -> tuple[str, int]:
        """The cleaned recipient name and the purpose's id; every problem at once."""
        return check_purpose(self._uow, request.purpose, request.recipient, request.contact_ids)

    # -- writing ------------------------------------------------------------------------

    def _write(
        self,
        actor: Actor,
        request: ExportRequest,
        fields: tuple[str, ...],
        access: dict[str, FieldAccess],
        stream: TextIO,
        progress: Callable[[int, int], None] | None,
    ) -> array[int]:
        """Write every chosen contact to *stream*; the ids written, in order."""
        # The ids written, 8 bytes each (the ledger needs them): not a million int objects.
        written = array("q")
        custom = self._custom(access)
        columns = [(d.key, d.label_in(request.language)) for d in custom]
        # One read transaction: the file is a consistent snapshot of the database.
        with self._uow() as uow, streamed_reads(uow.session):
            session = uow.session
            ids = _unique(request.contact_ids) if request.contact_ids is not None else None
            total = len(ids) if ids is not None else queries.count_all(session)
            if progress is not None:
                progress(0, total)
            writer: CsvExportWriter | VcardExportWriter
            if request.format is ExportFormat.CSV:
                emails = _most(session, ContactEmail, ids) if "emails" in fields else 0
                phones = _most(session, ContactPhone, ids) if "phones" in fields else 0
                writer = CsvExportWriter(
                    stream, fields, emails, phones, request.csv_profile, request.language, columns
                )
            else:
                writer = VcardExportWriter(stream, fields, request.vcard_version)
            uids = ContactUids(session)
            for chunk in _chunks(session, ids):
                contacts = _load(session, chunk, access, uids, custom)
                if len(contacts) != len(chunk):
                    found = {c.id for c in contacts}
                    missing = next(i for i in chunk if i not in found)
                    raise NotFound(N_("There is no contact with id {id}."), id=missing)
                for contact in contacts:
                    writer.write(contact)
                    written.append(contact.id)
                if progress is not None:
                    progress(len(written), total)
        return written

    def _log_and_publish(
        self,
        actor: Actor,
        request: ExportRequest,
        recipient: str,
        purpose_id: int,
        fields: tuple[str, ...],
        exported: Sequence[int],
        temp: Path,
        out: Path,
    ) -> ExportResult:
        """Record the export (and the disclosures), then give the file its name.

        The rename happens inside the transaction: if it fails nothing is logged, and if
        the commit fails the file is removed again.
        """
        now = self._clock.now()
        recipient_id: int | None = None
        disclosures = 0
        specs = {spec.name: spec for spec in self._policy.catalogue()}
        restricted = [f for f in fields if specs[f].sensitivity is not Sensitivity.NORMAL]
        categories = {d.name: d.category for d in self._policy.custom_fields()}
        published = False
        try:
            with self._uow(write=True) as uow:
                session = uow.session
                if request.recipient_kind is not None:
                    row = find_recipient(session, recipient, request.recipient_kind.value)
                    recipient_id = row.id
                    disclosures = disclose(
                        session, exported, row.id, purpose_id, fields, actor, now.date(), categories
                    )
                code = session.execute(
                    select(Purpose.code).where(Purpose.id == purpose_id)
                ).scalar_one()
                record_event(
                    session,
                    actor=actor.username,
                    action="export.contacts",
                    entity="purpose",
                    entity_id=code,
                    at=now,
                    detail=f"format={request.format.value};variant={request.variant};"
                    f"count={len(exported)};"
                    f"recipient={recipient_id if recipient_id is not None else INTERNAL};"
                    f"disclosures={disclosures};fields={','.join(fields)};"
                    f"restricted={','.join(restricted)}",
                )
                try:
                    os.replace(temp, out)
                except OSError as error:
                    raise ExportNotWritten.of(error) from None
                published = True
        except BaseException:
            if published:
                with contextlib.suppress(OSError):
                    out.unlink()
            raise
        return ExportResult(
            path=out,
            format=request.format,
            count=len(exported),
            fields=fields,
            recipient_id=recipient_id,
            disclosures=disclosures,
            variant=request.variant,
        )


def check_purpose(
    uow: UnitOfWork, purpose: str, recipient: str, contact_ids: tuple[int, ...] | None = None
) -> tuple[str, int]:
    """The cleaned recipient name and the id of *purpose* (an active code of the
    register), for any export of personal data; every problem at once.

    Raises:
        ValidationFailed: no purpose from the register, no recipient, no contacts.
    """
    problems: list[FieldProblem] = []
    try:
        cleaned = clean_text(recipient)
    except InvalidValue as exc:
        problems.append(FieldProblem("recipient", exc.message, dict(exc.params)))
        cleaned = ""
    else:
        if not cleaned or len(cleaned) > _MAX_RECIPIENT:
            problems.append(FieldProblem("recipient", N_("Name the recipient.")))
    with uow() as unit:
        purpose_id = unit.session.execute(
            select(Purpose.id).where(Purpose.code == purpose.strip(), Purpose.active.is_(True))
        ).scalar_one_or_none()
    if purpose_id is None:
        problems.append(FieldProblem("purpose", N_("Choose a purpose from the register.")))
    if contact_ids is not None and not contact_ids:
        problems.append(FieldProblem("contacts", N_("Choose the contacts to export.")))
    if problems:
        raise ValidationFailed(problems)
    assert purpose_id is not None
    return cleaned, purpose_id


# -- reading --------------------------------------------------------------------------


def _unique(ids: Sequence[int]) -> list[int]:
    """The ids in the order given, each once."""
    return list(dict.fromkeys(int(i) for i in ids))


def _chunks(session: Session, ids: list[int] | None) -> Iterator[list[int]]:
    """The chosen ids in blocks of ``CHUNK``; every contact, by id, when *ids* is None."""
    if ids is not None:
        for start in range(0, len(ids), CHUNK):
            yield ids[start : start + CHUNK]
        return
    last = 0
    while True:
        block = list(
            session.scalars(
                select(Contact.id).where(Contact.id > last).order_by(Contact.id).limit(CHUNK)
            )
        )
        if not block:
            return
        yield block
        last = block[-1]


def _most(
    session: Session, table: type[ContactEmail] | type[ContactPhone], ids: list[int] | None
) -> int:
    """The most e-mail addresses (or phone numbers) one of the chosen contacts has."""
    counted = select(func.count().label("n")).select_from(table).group_by(table.contact_id)
    if ids is None:
        return int(session.execute(select(func.max(counted.subquery().c.n))).scalar() or 0)
    most = 0
    for start in range(0, len(ids), CHUNK):
        block = ids[start : start + CHUNK]
        sub = counted.where(table.contact_id.in_(block)).subquery()
        most = max(most, int(session.execute(select(func.max(sub.c.n))).scalar() or 0))
    return most


def _load(
    session: Session,
    ids: list[int],
    access: dict[str, FieldAccess],
    uids: ContactUids,
    custom: Sequence[CustomFieldDefinition] = (),
) -> list[ExportContact]:
    """The contacts *ids* (in that order) with only what *access* lets through, each
    with its UID."""
    rows = {
        row.id: row
        for row in session.execute(
            select(
                Contact.id,
                Contact.kind,
                Contact.first_name,
                Contact.last_name,
                Contact.organisation,
                Contact.street,
                Contact.postcode,
                Contact.city,
                Contact.country,
                Contact.language,
                Contact.birth_date,
                Contact.notes,
            ).where(Contact.id.in_(ids))
        )
    }
    emails: dict[int, list[str]] = {}
    phones: dict[int, list[str]] = {}
    if access["emails"] is not FieldAccess.HIDDEN:
        for contact_id, address in session.execute(
            select(ContactEmail.contact_id, ContactEmail.address)
            .where(ContactEmail.contact_id.in_(ids))
            .order_by(ContactEmail.contact_id, ContactEmail.position)
        ).tuples():
            emails.setdefault(contact_id, []).append(address)
    if access["phones"] is not FieldAccess.HIDDEN:
        for contact_id, number in session.execute(
            select(ContactPhone.contact_id, ContactPhone.number)
            .where(ContactPhone.contact_id.in_(ids))
            .order_by(ContactPhone.contact_id, ContactPhone.position)
        ).tuples():
            phones.setdefault(contact_id, []).append(number)

    tags: dict[int, list[str]] = {}
    if access["tags"] is not FieldAccess.HIDDEN:
        for contact_id, name in session.execute(
            select(ContactTag.contact_id, Tag.name)
            .join(Tag, Tag.id == ContactTag.tag_id)
            .where(ContactTag.contact_id.in_(ids))
            .order_by(ContactTag.contact_id, Tag.folded)
        ).tuples():
            tags.setdefault(contact_id, []).append(name)

    places = _current_places(session, ids, access)

    def shown(field: str, value: object) -> str:
        level = access[field]
        if level is FieldAccess.HIDDEN or value is None:
            return ""
        if isinstance(value, dt.date):
            # A masked date has no "last characters": it is left out, as in the editor.
            return "" if level is FieldAccess.MASKED else value.isoformat()
        text = str(value)
        return mask(text) if level is FieldAccess.MASKED and text else text

    def listed(field: str, values: list[str]) -> tuple[str, ...]:
        return tuple(shown(field, v) for v in values)

    custom_values = values_of(session, ids, custom)

    def custom_of(contact_id: int) -> tuple[tuple[str, str], ...]:
        stored = custom_values.get(contact_id, {})
        return tuple((d.key, shown(d.name, stored[d.name])) for d in custom if d.name in stored)

    result = []
    for contact_id in ids:
        row = rows.get(contact_id)
        if row is None:
            continue
        result.append(
            ExportContact(
                id=row.id,
                kind=None if access["kind"] is FieldAccess.HIDDEN else ContactKind(row.kind),
                first_name=shown("first_name", row.first_name),
                last_name=shown("last_name", row.last_name),
                organisation=shown(
                    "organisation", places[row.id][0] if row.id in places else row.organisation
                ),
                emails=listed("emails", emails.get(contact_id, [])),
                phones=listed("phones", phones.get(contact_id, [])),
                street=shown("street", row.street),
                postcode=shown("postcode", row.postcode),
                city=shown("city", row.city),
                country=shown("country", row.country),
                language=shown("language", row.language),
                birth_date=shown("birth_date", row.birth_date),
                notes=shown("notes", row.notes),
                tags=listed("tags", tags.get(contact_id, [])),
                function=shown("company_links", places.get(row.id, ("", "", ""))[1]),
                department=shown("company_links", places.get(row.id, ("", "", ""))[2]),
                uid=uids.uid(row.id),
                custom=custom_of(contact_id),
            )
        )
    return result


def _current_places(
    session: Session, ids: list[int], access: dict[str, FieldAccess]
) -> dict[int, tuple[str, str, str]]:
    """Per contact of *ids* working at a company now: its name, the function and the
    department (the earliest current link when there are several); none for a role the
    links are hidden from."""
    if access.get("company_links", FieldAccess.HIDDEN) is FieldAccess.HIDDEN:
        return {}
    places: dict[int, tuple[str, str, str]] = {}
    for contact_id, name, function, department in session.execute(
        select(CompanyLink.contact_id, Company.name, CompanyLink.function, CompanyLink.department)
        .join(Company, Company.id == CompanyLink.company_id)
        .where(CompanyLink.contact_id.in_(ids), CompanyLink.ended_on.is_(None))
        .order_by(CompanyLink.contact_id, CompanyLink.id)
    ).tuples():
        places.setdefault(contact_id, (name, function, department))
    return places


def disclose(
    session: Session,
    contact_ids: Sequence[int],
    recipient_id: int,
    purpose_id: int,
    fields: tuple[str, ...],
    actor: Actor,
    today: dt.date,
    custom_categories: dict[str, str] | None = None,
) -> int:
    """One ledger entry per exported contact (Core inserts: an export may hold many)."""
    categories = ",".join(data_categories(fields, custom_categories))
    for start in range(0, len(contact_ids), CHUNK):
        session.execute(
            insert(Disclosure),
            [
                {
                    "contact_id": contact_id,
                    "recipient_id": recipient_id,
                    "purpose_id": purpose_id,
                    "categories": categories,
                    "disclosed_on": today,
                    "subject_informed_on": None,
                    "recorded_by": actor.user_id,
                }
                for contact_id in contact_ids[start : start + CHUNK]
            ],
        )
    return len(contact_ids)
