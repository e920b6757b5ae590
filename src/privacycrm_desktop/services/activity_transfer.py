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
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select

from privacycrm_desktop.domain.access import FieldAccess, Permission, mask, require
from privacycrm_desktop.domain.activities import (
    ACTIVITIES_FIELD,
    DETAILS_FIELD,
    MAX_SUMMARY,
    ActivityInput,
    ActivityKind,
    checked,
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
from privacycrm_desktop.domain.csv_cells import neutralise, restore
from privacycrm_desktop.domain.errors import DomainError, NotFound, PermissionDenied
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SpecialCategoryUnconfirmed
from privacycrm_desktop.persistence.activity_models import Activity, ActivityPerson
from privacycrm_desktop.persistence.company_models import Company
from privacycrm_desktop.persistence.models import Contact, ContactEmail, User
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.activities import ActivityService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.private_files import check_target, private_text
from privacycrm_desktop.services.special_terms import check_notes

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

    # -- export -------------------------------------------------------------------------

    def export(
        self,
        actor: Actor,
        out: Path,
        profile: ActivityProfile = ActivityProfile.PRIVACYCRM,
        *,
        contact_id: int | None = None,
        company_id: int | None = None,
    ) -> ActivityExport:
        """Write the interactions the role sees (one person's or company's when given).

        Raises:
            PermissionDenied: the role may not export, or does not see interactions.
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
        if profile is ActivityProfile.GENERIC:
            profile = ActivityProfile.PRIVACYCRM
        columns = EXPORT_COLUMNS[profile]
        out = Path(out)
        check_target(out)
        count = 0
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
            with self._uow(write=True) as uow:
                record_event(
                    uow.session,
                    actor=actor.username,
                    action="activity.export",
                    entity="activity",
                    entity_id=None,
                    at=self._clock.now(),
                    detail=f"profile={profile.value};count={count};"
                    f"details={int(details_level in _READABLE)}",
                )
        return ActivityExport(out, profile, count, details_level in _READABLE)

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
                    query = query.where(Activity.contact_id == contact_id)
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
        headers, records = _read_csv(Path(path))
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
        now = self._clock.now()
        for number, record in enumerate(records, start=2):
            prepared = _row_input(record, by_field, order, lookup, details_writable)
            if isinstance(prepared, str):
                result.refused.append(RowRefusal(number, prepared))
                continue
            owner, data = prepared
            data = replace(data, source=source, special_confirmed=confirm_special)
            try:
                check_notes(f"{data.summary}\n{data.details}", confirm_special)
                if dry_run:
                    checked(data, now)
                    continue
                contact, company = owner
                if contact is not None:
                    result.ids.append(self._activities.add(actor, contact, data))
                else:
                    assert company is not None
                    result.ids.append(self._activities.add_to_company(actor, company, data))
            except SpecialCategoryUnconfirmed:
                result.refused.append(RowRefusal(number, "special"))
            except NotFound:
                result.refused.append(RowRefusal(number, "bad_people"))
            except PermissionDenied:
                raise
            except DomainError:
                result.refused.append(RowRefusal(number, "invalid"))
        result.imported = len(result.ids) if not dry_run else result.rows - len(result.refused)
        with self._uow(write=True) as uow:
            record_event(
                uow.session,
                actor=actor.username,
                action="activity.import",
                entity="activity",
                entity_id=None,
                at=self._clock.now(),
                detail=f"profile={profile.value};rows={result.rows};imported={result.imported};"
                f"refused={len(result.refused)};dry_run={int(dry_run)}",
            )
        return result

    def _lookup(self, records: list[list[str]], by_field: dict[ActivityField, int]) -> _Owners:
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
    record: list[str],
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


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header row and the rows; UTF-8 (with or without BOM), else Windows-1252; comma,
    semicolon or tab as the file uses."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    rows = [
        [restore(c) for c in r]  # our own export's formula-safe cells read back as written
        for r in csv.reader(io.StringIO(text), delimiter=delimiter)
        if any(c.strip() for c in r)
    ]
    if not rows:
        return [], []
    return rows[0], rows[1:]
