"""CSV export and import of interactions (issue 22), for and from Teamleader and Odoo
(their columns: domain/activity_csv.py) and our own round trip.

Export: the interactions the role sees, as the field matrix lets it (details and attached
files' names only when it may read them; masked values masked; the person's e-mail
address as the field ``emails`` allows), every cell formula-safe, the file written
owner-only and whole or not at all; one audit event with the counts, never a text.

Import: each row matched to a person by contact id or e-mail address (or to a company by
id), its date read in the file's own format (local time), its kind from the program's
word, the special-category check on its text (rows held back unless confirmed), a source
recorded for each interaction (the file), each logged through the activity service (its
own audit event, ids and codes only) and one event for the whole file. A dry run reads and
checks everything and writes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, mask, require
from privacycrm_desktop.domain.activities import (
    ACTIVITIES_FIELD,
    DETAILS_FIELD,
    MAX_SUMMARY,
    ActivityInput,
    ActivityKind,
    html_text,
)
from privacycrm_desktop.domain.activity_csv import (
    EXPORT_COLUMNS,
    KIND_WORDS,
    ActivityField,
    ActivityProfile,
    DateOrder,
    RowRefusal,
    column_map,
    date_order,
    detect_profile,
    kind_of,
    parse_moment,
    people_ids,
)
from privacycrm_desktop.domain.audit_actions import INTERNAL_RECIPIENT
from privacycrm_desktop.domain.csv_cells import neutralise
from privacycrm_desktop.domain.errors import DomainError, NotFound, PermissionDenied
from privacycrm_desktop.domain.import_files import (
    check_size,
    decode,
    detect_delimiter,
    detect_encoding,
    read_table,
)
from privacycrm_desktop.domain.import_formats import FileFormat, FileShape
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.purposes import RecipientKind
from privacycrm_desktop.domain.special_categories import SpecialCategoryUnconfirmed
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.activity_models import Activity, ActivityPerson
from privacycrm_desktop.persistence.company_models import Company
from privacycrm_desktop.persistence.models import Contact, ContactEmail, Purpose, User
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.activities import ActivityService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.disclosures import DisclosureService, find_recipient
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.exports import check_purpose, disclose
from privacycrm_desktop.services.private_files import check_target, private_text

#: Interactions read per query on export.
CHUNK = 2000
_READABLE = (FieldAccess.READ, FieldAccess.WRITE)


@dataclass(frozen=True)
class ActivityExport:
    """What an export wrote."""

    path: Path
    profile: ActivityProfile
    count: int
    with_details: bool
    #: The recipient's id in the ledger (None: internal use) and the disclosures added.
    recipient_id: int | None = None
    disclosures: int = 0


@dataclass
class ActivityImport:
    """What an import read, and did (or would do, in a dry run)."""

    profile: ActivityProfile
    rows: int = 0
    imported: int = 0
    dry_run: bool = False
    columns: dict[str, str] = field(default_factory=dict)
    refused: list[RowRefusal] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)


class ActivityTransferService:
    """Interactions to and from CSV files."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._access = access or AccessService(uow, clock)
        self._activities = ActivityService(uow, clock, self._access)
        self._disclosures = DisclosureService(uow, clock, self._access)

    # -- export -------------------------------------------------------------------------

    def export(
        self,
        actor: Actor,
        out: Path,
        profile: ActivityProfile = ActivityProfile.PRIVACYCRM,
        *,
        purpose: str,
        recipient: str,
        recipient_kind: RecipientKind | None = RecipientKind.PROCESSOR,
        recipient_own_use: bool = False,
        contact_id: int | None = None,
        company_id: int | None = None,
    ) -> ActivityExport:
        """Write the interactions the role sees (one person's, those it took part in
        included, or one company's when given) for *purpose* and *recipient*, as the
        contacts' export: a third party gets one disclosure per person in the file.

        Raises:
            PermissionDenied: the role may not export, or does not see interactions.
            ValidationFailed: no purpose from the register, or no recipient.
            TransferRefused: the recipient would use the data for its own purposes.
            FileInUse: *out* is the open database.
            OSError: the file cannot be written (nothing is).
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        require(actor.role, Permission.EXPORT)
        matrix = self._access.access_for(actor.role)
        summary_level = matrix.get(ACTIVITIES_FIELD, FieldAccess.HIDDEN)
        details_level = matrix.get(DETAILS_FIELD, FieldAccess.HIDDEN)
        email_level = matrix.get("emails", FieldAccess.HIDDEN)
        if summary_level is FieldAccess.HIDDEN:
            raise PermissionDenied
        name, purpose_id = check_purpose(self._uow, purpose, recipient)
        self._disclosures.refuse_own_use(actor, name, recipient_own_use, "export")
        if profile is ActivityProfile.GENERIC:
            profile = ActivityProfile.PRIVACYCRM
        columns = EXPORT_COLUMNS[profile]
        if contact_id is not None and profile is not ActivityProfile.PRIVACYCRM:
            columns = (*columns, ("Linked", "linked"))
        out = Path(out)
        check_target(out)
        count = 0
        people: set[int] = set()
        with private_text(out, encoding="utf-8-sig") as stream:
            writer = csv.writer(stream)
            writer.writerow([header for header, _what in columns])
            for row in self._rows(
                summary_level, details_level, email_level, contact_id, company_id
            ):
                writer.writerow(
                    [neutralise(_cell(row, what, profile)) for _header, what in columns]
                )
                count += 1
                people.update(row["concerns"])  # type: ignore[arg-type]
            recipient_id, disclosures = self._log_export(
                actor, (profile, purpose_id, name, recipient_kind), count, people, details_level
            )
        return ActivityExport(
            out, profile, count, details_level in _READABLE, recipient_id, disclosures
        )

    def _log_export(
        self,
        actor: Actor,
        what: tuple[ActivityProfile, int, str, RecipientKind | None],
        count: int,
        people: set[int],
        details_level: FieldAccess,
    ) -> tuple[int | None, int]:
        """One audit event for the file (counts, purpose, recipient, never a text) and,
        for a third party, a disclosure per person the file is about."""
        profile, purpose_id, name, kind = what
        now = self._clock.now()
        fields = (
            ["emails"]
            if self._access.access_for(actor.role).get("emails", FieldAccess.HIDDEN)
            is not FieldAccess.HIDDEN
            else []
        )
        with self._uow(write=True) as uow:
            session = uow.session
            recipient_id: int | None = None
            disclosures = 0
            if kind is not None:
                recipient_id = find_recipient(session, name, kind.value).id
                disclosures = disclose(
                    session, sorted(people), recipient_id, purpose_id,
                    (*fields, ACTIVITIES_FIELD), actor, now.date(),
                    {ACTIVITIES_FIELD: "relationship"},
                )  # fmt: skip
            code = session.execute(
                select(Purpose.code).where(Purpose.id == purpose_id)
            ).scalar_one()
            record_event(
                session,
                actor=actor.username,
                action="activity.export",
                entity="purpose",
                entity_id=code,
                at=now,
                detail=f"profile={profile.value};count={count};"
                f"details={int(details_level in _READABLE)};"
                f"recipient={recipient_id if recipient_id is not None else INTERNAL_RECIPIENT};"
                f"disclosures={disclosures}",
            )
        return recipient_id, disclosures

    def _rows(
        self,
        summary_level: FieldAccess,
        details_level: FieldAccess,
        email_level: FieldAccess,
        contact_id: int | None,
        company_id: int | None,
    ) -> Iterator[dict[str, object]]:
        """The interactions in id order, a chunk a query; hidden columns never named."""
        sees_details = details_level is not FieldAccess.HIDDEN
        columns = [
            Activity.id,
            Activity.contact_id,
            Activity.company_id,
            Activity.kind,
            Activity.occurred_at,
            Activity.summary,
            User.username,
        ]
        if sees_details:
            columns += [Activity.details, Activity.attachment_name]
        last = 0
        while True:
            with self._uow() as uow:
                session = uow.session
                query = (
                    select(*columns)
                    .outerjoin(User, User.id == Activity.recorded_by)
                    .where(Activity.id > last)
                    .order_by(Activity.id)
                    .limit(CHUNK)
                )
                if contact_id is not None:
                    # What the person's timeline shows: theirs, and those they took part in.
                    query = query.where(
                        or_(
                            Activity.contact_id == contact_id,
                            Activity.id.in_(
                                select(ActivityPerson.activity_id).where(
                                    ActivityPerson.contact_id == contact_id
                                )
                            ),
                        )
                    )
                if company_id is not None:
                    query = query.where(Activity.company_id == company_id)
                rows = session.execute(query).all()
                if not rows:
                    return
                ids = [r[0] for r in rows]
                people: dict[int, list[int]] = defaultdict(list)
                for aid, cid in session.execute(
                    select(ActivityPerson.activity_id, ActivityPerson.contact_id)
                    .where(ActivityPerson.activity_id.in_(ids))
                    .order_by(ActivityPerson.activity_id, ActivityPerson.contact_id)
                ).tuples():
                    people[aid].append(cid)
                emails: dict[int, str] = {}
                owners = sorted({r[1] for r in rows if r[1] is not None})
                if email_level is not FieldAccess.HIDDEN and owners:
                    for cid, address in session.execute(
                        select(ContactEmail.contact_id, ContactEmail.address)
                        .where(ContactEmail.contact_id.in_(owners))
                        .order_by(ContactEmail.contact_id, ContactEmail.position.desc())
                    ).tuples():
                        emails[cid] = address  # the last written: position 0, the first
            for r in rows:
                masked_details = details_level is FieldAccess.MASKED
                details = str(r[7] or "") if sees_details else ""
                attachment = str(r[8] or "") if sees_details else ""
                email = emails.get(r[1], "") if r[1] is not None else ""
                yield {
                    "id": r[0],
                    "contact_id": r[1] or "",
                    "company_id": r[2] or "",
                    "kind": r[3],
                    "occurred_at": r[4],
                    "summary": mask(r[5]) if summary_level is FieldAccess.MASKED else r[5],
                    "details": mask(details) if masked_details and details else details,
                    "attachment": mask(attachment) if masked_details and attachment else attachment,
                    "people": " ".join(str(p) for p in people.get(r[0], ())),
                    "linked": "1" if contact_id is not None and r[1] != contact_id else "",
                    "concerns": {*([r[1]] if r[1] is not None else []), *people.get(r[0], ())},
                    "email": mask(email) if email_level is FieldAccess.MASKED and email else email,
                    "recorded_by": r[6] or "",
                }
            last = ids[-1]

    # -- import -------------------------------------------------------------------------

    def import_file(
        self,
        actor: Actor,
        path: Path,
        *,
        mapping: Iterable[str] = (),
        dry_run: bool = False,
        confirm_special: bool = False,
    ) -> ActivityImport:
        """Read *path* and log each row it can place (none in a dry run).

        Raises:
            PermissionDenied: the role may not import or log interactions.
            MappingProblem: a ``--map`` names no header or no field.
            OSError: the file cannot be read.
        """
        require(actor.role, Permission.IMPORT)
        if not self._activities.may_log(actor):
            raise PermissionDenied
        headers, numbered = _read_file(Path(path))
        records = [cells for _number, cells in numbered]
        profile = detect_profile(headers)
        columns = column_map(headers, mapping)
        result = ActivityImport(profile, rows=len(records), dry_run=dry_run)
        result.columns = {headers[i]: f.value for i, f in sorted(columns.items())}
        by_field = {f: i for i, f in columns.items()}
        if self._access.access_for(actor.role).get("emails", FieldAccess.HIDDEN) is (
            FieldAccess.HIDDEN
        ):
            # A role that may not see e-mail addresses does not match by them either (the
            # server withholds the column from it): such rows need a contact id.
            by_field.pop(ActivityField.EMAIL, None)
        order = date_order(
            r[by_field[ActivityField.OCCURRED_AT]]
            for r in records
            if ActivityField.OCCURRED_AT in by_field
            and len(r) > by_field[ActivityField.OCCURRED_AT]
        )
        lookup = self._lookup(records, by_field)
        source = SourceInput(
            SourceKind.IMPORT_FILE, f"Interactions file {Path(path).name}"[:200], None
        )
        details_writable = self._activities.levels(actor)[1] is FieldAccess.WRITE
        # One transaction for the whole file: a run stopped half-way (killed, the disk
        # full) leaves nothing, so running it again imports each row once. A trial run
        # takes the same path and rolls back.
        try:
            with self._uow(write=True) as uow:
                session = uow.session
                for number, record in numbered:
                    # The row as a spreadsheet numbers it (the header is row 1).
                    refusal = self._import_row(
                        session,
                        actor,
                        _row_input(record, by_field, order, lookup, details_writable),
                        replace_source=(source, confirm_special),
                        ids=result.ids,
                    )
                    if refusal is not None:
                        result.refused.append(RowRefusal(number + 1, refusal))
                result.imported = len(result.ids)
                if dry_run:
                    raise _TrialRun
                _log_import(session, actor, self._clock.now(), result)
        except _TrialRun:
            result.ids = []
            with self._uow(write=True) as uow:
                _log_import(uow.session, actor, self._clock.now(), result)
        return result

    def _import_row(
        self,
        session: Session,
        actor: Actor,
        prepared: tuple[tuple[int | None, int | None], ActivityInput] | str,
        *,
        replace_source: tuple[SourceInput, bool],
        ids: list[int],
    ) -> str | None:
        """Log one prepared row in *session* (its id added to *ids*); why not, if not."""
        if isinstance(prepared, str):
            return prepared
        (contact, company), data = prepared
        source, confirm_special = replace_source
        data = replace(data, source=source, special_confirmed=confirm_special)
        try:
            ids.append(
                self._activities.add_in(
                    session, actor, data, contact_id=contact, company_id=company
                )
            )
        except SpecialCategoryUnconfirmed:
            return "special"
        except NotFound:
            return "bad_people"
        except PermissionDenied:
            raise
        except DomainError:
            return "invalid"
        return None

    def _lookup(
        self, records: Sequence[Sequence[str]], by_field: dict[ActivityField, int]
    ) -> _Owners:
        """The contacts and companies the file's rows can name."""
        owners = _Owners()
        with self._uow() as uow:
            session = uow.session
            wanted = {
                r[by_field[ActivityField.EMAIL]].strip().casefold()
                for r in records
                if ActivityField.EMAIL in by_field and len(r) > by_field[ActivityField.EMAIL]
            } - {""}
            if wanted:
                for cid, address in session.execute(
                    select(ContactEmail.contact_id, ContactEmail.address)
                ).tuples():
                    key = address.strip().casefold()
                    if key in wanted:
                        owners.emails[key].add(cid)
            for index, model, known in (
                (by_field.get(ActivityField.CONTACT_ID), Contact, owners.contacts),
                (by_field.get(ActivityField.COMPANY_ID), Company, owners.companies),
            ):
                if index is None:
                    continue
                ids = sorted(
                    {
                        int(r[index])
                        for r in records
                        if len(r) > index and r[index].strip().isdigit()
                    }
                )
                for start in range(0, len(ids), 5000):
                    known.update(
                        session.scalars(
                            select(model.id).where(model.id.in_(ids[start : start + 5000]))
                        )
                    )
        return owners


@dataclass
class _Owners:
    """Who a row can be about: contacts by id and by e-mail address, companies by id."""

    contacts: set[int] = field(default_factory=set)
    companies: set[int] = field(default_factory=set)
    emails: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def owner(
        self, contact: str, email: str, company: str
    ) -> tuple[tuple[int | None, int | None], str | None]:
        """((contact id, company id), None) or ((None, None), why not)."""
        if contact.isdigit():
            found = int(contact)
            return ((found, None), None) if found in self.contacts else ((None, None), "no_person")
        if email:
            matches = self.emails.get(email.casefold(), set())
            if len(matches) == 1:
                return (next(iter(matches)), None), None
            return (None, None), "ambiguous" if matches else "no_person"
        if company.isdigit():
            found = int(company)
            return (
                ((None, found), None) if found in self.companies else ((None, None), "no_company")
            )
        return (None, None), "no_person"


def _row_input(
    record: Sequence[str],
    by_field: dict[ActivityField, int],
    order: DateOrder,
    lookup: _Owners,
    details_writable: bool,
) -> tuple[tuple[int | None, int | None], ActivityInput] | str:
    """One row as an interaction and whose it is, or why it cannot be one (a code)."""

    def cell(wanted: ActivityField) -> str:
        index = by_field.get(wanted)
        return record[index].strip() if index is not None and index < len(record) else ""

    owner, reason = lookup.owner(
        cell(ActivityField.CONTACT_ID), cell(ActivityField.EMAIL), cell(ActivityField.COMPANY_ID)
    )
    kind = kind_of(cell(ActivityField.KIND) or "note")
    moment = parse_moment(cell(ActivityField.OCCURRED_AT), order)
    people = people_ids(cell(ActivityField.PEOPLE))
    if reason is not None:
        return reason
    if kind is None:
        return "no_kind"
    if moment is None:
        return "no_date"
    if people is None:
        return "bad_people"
    details = html_text(cell(ActivityField.DETAILS))
    summary = cell(ActivityField.SUMMARY) or details.split("\n", 1)[0][:MAX_SUMMARY]
    return owner, ActivityInput(
        kind=kind,
        summary=summary,
        occurred_at=_stored(moment),
        details=details if details_writable else "",
        people=people,
    )


def _cell(row: dict[str, object], what: str, profile: ActivityProfile) -> str:
    value = row[what]
    if what == "kind":
        return KIND_WORDS[profile][ActivityKind(str(value))]
    if what == "occurred_at":
        assert isinstance(value, dt.datetime)
        local = value.replace(tzinfo=dt.UTC).astimezone().replace(tzinfo=None)
        return local.strftime(
            "%Y-%m-%d %H:%M:%S" if profile is ActivityProfile.ODOO else "%Y-%m-%d %H:%M"
        )
    return str(value)


def _stored(local: dt.datetime) -> dt.datetime:
    """A moment of the file (this computer's local time) as stored: naive UTC."""
    return local.astimezone().astimezone(dt.UTC).replace(tzinfo=None)


def _read_file(path: Path) -> tuple[list[str], list[tuple[int, tuple[str, ...]]]]:
    """The header row and the numbered rows (the first after the header is 1), read as
    the contacts' import reads a file (domain/import_files.py): its encoding (UTF-8,
    UTF-16, Windows-1252) and separator found, long cells kept, binary data, a quote never
    closed or a file too big refused with one sentence.

    Raises:
        ImportFileUnreadable: the file cannot be read as a table (nothing is imported).
        OSError: the file cannot be opened.
    """
    check_size(path.stat().st_size)
    data = path.read_bytes()
    check_size(len(data))
    encoding = detect_encoding(data)
    text = decode(data, encoding)
    shape = FileShape(FileFormat.CSV, encoding, detect_delimiter(text))
    table = read_table(data, shape, empty=N_("The file holds no interactions."))
    return list(table.headers), list(table.rows)


class _TrialRun(Exception):
    """Rolls back a trial run's transaction."""


def _log_import(session: Session, actor: Actor, at: dt.datetime, result: ActivityImport) -> None:
    """The import's one audit event: counts, never a value."""
    record_event(
        session,
        actor=actor.username,
        action="activity.import",
        entity="activity",
        entity_id=None,
        at=at,
        detail=f"profile={result.profile.value};rows={result.rows};imported={result.imported};"
        f"refused={len(result.refused)};dry_run={int(result.dry_run)}",
    )
