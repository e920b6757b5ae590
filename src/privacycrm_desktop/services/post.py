"""Address labels and mail-merge letters for the post channel (issue 22).

A selection (chosen ids, a tag or a saved view of the list) becomes one PDF: labels on a
sheet (``domain.label_sheets``) or one letter per person on the company's letterhead, each
in the person's language. The rules of every other output hold:

- the role must be allowed to see contacts and to export, and to read the address fields
  unmasked (a label with a masked street reaches nobody);
- when the purpose is a marketing purpose, only people the marketing rules allow on the
  post channel are included (``domain.marketing.decide``); the others are listed as left
  out with the reason, as are people without a postal address;
- the file is written under a temporary name and published only when the output is on
  record: one audit event (kind, count, purpose, recipient, never a name) and, for a
  named recipient outside the company (a printer, a mailing house), one disclosure per
  person in the ledger. A recipient that would use the data for its own purposes is
  refused (rule 6).
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, require
from privacycrm_desktop.domain.audit_actions import INTERNAL_RECIPIENT
from privacycrm_desktop.domain.consent import Channel
from privacycrm_desktop.domain.errors import FieldProblem, PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.export_formats import data_categories
from privacycrm_desktop.domain.label_sheets import LabelSheet, label_slots
from privacycrm_desktop.domain.marketing import REASON_LABELS, decide
from privacycrm_desktop.domain.normalize import vat_display
from privacycrm_desktop.domain.postal import (
    PostalAddress,
    address_lines,
    choose_template,
    fill_template,
    template_fields,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import LANGUAGES, country_name, format_long_date, tr_in
from privacycrm_desktop.persistence.models import Contact, ContactTag, Purpose, Setting
from privacycrm_desktop.persistence.record_models import Disclosure
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor, CompanyInfo, ListFilter
from privacycrm_desktop.services.exports import ExportNotWritten
from privacycrm_desktop.services.marketing_facts import get_salt, load_facts, marketing_rules
from privacycrm_desktop.services.private_files import check_target
from privacycrm_desktop.services.setup import SetupService

if TYPE_CHECKING:
    from privacycrm_desktop.reports.merge_letter import Letterhead

#: The fields a label or letter prints; the role must read the address ones unmasked.
ADDRESS_FIELDS = ("street", "postcode", "city", "country")
NAME_FIELDS = ("first_name", "last_name", "organisation")
PRINTED_FIELDS = (*NAME_FIELDS, *ADDRESS_FIELDS)
#: The setting holding the company's logo (a PNG or JPEG picture, base64), if any: kept
#: in the database, so it travels with its backups and reaches every desk.
LOGO_SETTING = "company.logo"
MAX_LOGO_BYTES = 1_000_000
#: Why a person without a usable address is left out.
NO_ADDRESS = N_("No postal address (street and town)")
NO_SUCH_CONTACT = N_("No such contact (erased, merged into another or never entered)")
_CHUNK = 500


@dataclass(frozen=True)
class PostSelection:
    """Who gets the labels or letters, for what, printed by whom.

    ``contact_ids`` None with no ``tag`` and no ``view`` means every contact; ``tag`` (an
    id) and ``view`` narrow the list as the main window does. ``purpose`` is a code from
    the register ("" for none); ``recipient`` names who prints or posts the mailing
    outside the company ("" when it stays within).
    """

    contact_ids: tuple[int, ...] | None = None
    tag: int | None = None
    view: ListFilter | None = None
    purpose: str = ""
    recipient: str = ""


@dataclass(frozen=True)
class LeftOut:
    """A person not in the mailing, and why (a msgid)."""

    contact_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class PostResult:
    """A finished mailing: the file, how many it holds, who was left out and why."""

    path: Path
    count: int
    left_out: tuple[LeftOut, ...]
    recipient_id: int | None
    disclosures: int


@dataclass(frozen=True)
class _Person:
    id: int
    first_name: str
    last_name: str
    language: str
    address: PostalAddress


def letterhead(uow: UnitOfWork, company: CompanyInfo) -> Letterhead:
    """The company's letterhead from its settings, with its logo when one is set."""
    from privacycrm_desktop.reports.merge_letter import Letterhead

    with uow() as u:
        row = u.session.get(Setting, LOGO_SETTING)
        stored = row.value if row is not None else ""
    logo = None
    if stored:
        with contextlib.suppress(ValueError):
            logo = base64.b64decode(stored, validate=True)
    number = vat_display(company.vat_number) if company.vat_number else ""
    return Letterhead(company.name, company.address, number, company.privacy_email, logo)


class PostService:
    """Makes label sheets and mail-merge letters, on record like every output."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = access or AccessService(uow, clock)
        self._setup = SetupService(uow, clock)

    def set_logo(self, actor: Actor, data: bytes | None) -> None:
        """Put *data* (a PNG or JPEG picture) on the letterhead, or take the logo off (None).

        Raises:
            PermissionDenied: the role may not change settings.
            ValidationFailed: not a PNG or JPEG picture, or larger than 1 MB.
        """
        require(actor.role, Permission.EDIT_SETTINGS)
        if data is not None:
            _check_logo(data)
        with self._uow(write=True) as uow:
            row = uow.session.get(Setting, LOGO_SETTING)
            if data is None:
                if row is not None:
                    uow.session.delete(row)
            elif row is None:
                uow.session.add(Setting(key=LOGO_SETTING, value=base64.b64encode(data).decode()))
            else:
                row.value = base64.b64encode(data).decode()
            record_event(
                uow.session,
                actor=actor.username,
                action="settings.logo",
                entity="setting",
                entity_id=LOGO_SETTING,
                at=self._clock.now(),
                detail=f"logo={0 if data is None else 1}",
            )

    # -- choosing ----------------------------------------------------------------------

    def choose(self, actor: Actor, selection: PostSelection) -> tuple[list[_Person], list[LeftOut]]:
        """The people the mailing reaches, in name order, and those left out with why.

        Raises:
            PermissionDenied: the role may not export or read the address unmasked, or
                chose by a tag it may not see.
            ValidationFailed: an unknown purpose; nobody chosen.
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        require(actor.role, Permission.EXPORT)
        access = self._policy.access_for(actor.role)
        if any(access[f] not in (FieldAccess.READ, FieldAccess.WRITE) for f in ADDRESS_FIELDS):
            raise PermissionDenied
        ids = self._ids(actor, selection, access)
        if not ids:
            raise ValidationFailed([FieldProblem("contacts", N_("Choose the people to write to."))])
        home = self._setup.company().home_country
        with self._uow() as uow:
            session = uow.session
            self._purpose_id(session, selection.purpose)
            people = _load(session, ids, access, home)
            reasons: dict[int, str] = {}
            rules = marketing_rules(session)
            rule = rules.get(selection.purpose)
            if rule is not None:
                salt = get_salt(session)
                today = self._clock.today()
                for start in range(0, len(people), _CHUNK):
                    block = [p.id for p in people[start : start + _CHUNK]]
                    for facts in load_facts(session, salt, block, channels=(Channel.POST,)):
                        verdict = decide(
                            facts.subjects[Channel.POST], rule, Channel.POST, today, None, rules
                        )
                        if not verdict.reachable:
                            reasons[facts.id] = REASON_LABELS[verdict.reason]
        kept, left = [], []
        found = {person.id for person in people}
        # A chosen id that names nobody (erased, merged away, never there) is said, not
        # skipped without a word.
        left += [LeftOut(cid, "", NO_SUCH_CONTACT) for cid in ids if cid not in found]
        for person in people:
            reason = reasons.get(person.id) or ("" if person.address.complete else NO_ADDRESS)
            if reason:
                left.append(LeftOut(person.id, person.address.name, reason))
            else:
                kept.append(person)
        return kept, left

    def _ids(
        self, actor: Actor, selection: PostSelection, access: Mapping[str, FieldAccess]
    ) -> list[int]:
        if selection.tag is not None and access.get("tags") not in (
            FieldAccess.READ,
            FieldAccess.WRITE,
        ):
            raise PermissionDenied
        with self._uow() as uow:
            session = uow.session
            if selection.contact_ids is not None:
                ids = list(dict.fromkeys(selection.contact_ids))
            elif selection.view is not None and selection.view.active:
                from privacycrm_desktop.services.contacts import MAX_PAGE, ContactService

                contacts = ContactService(self._uow, self._clock, self._policy)
                total = contacts.count(actor, view=selection.view, tag=selection.tag)
                ids = []
                while len(ids) < total:
                    page = contacts.page(
                        actor,
                        view=selection.view,
                        tag=selection.tag,
                        offset=len(ids),
                        limit=MAX_PAGE,
                        total=total,
                    )
                    if not page:
                        break
                    ids += [row.id for row in page]
                return ids
            else:
                ids = list(session.scalars(select(Contact.id).order_by(Contact.id)))
            if selection.tag is not None:
                tagged = set(
                    session.scalars(
                        select(ContactTag.contact_id).where(ContactTag.tag_id == selection.tag)
                    )
                )
                ids = [i for i in ids if i in tagged]
        return ids

    @staticmethod
    def _purpose_id(session: Session, purpose: str) -> int | None:
        if not purpose.strip():
            return None
        found = session.execute(
            select(Purpose.id).where(Purpose.code == purpose.strip(), Purpose.active.is_(True))
        ).scalar_one_or_none()
        if found is None:
            raise ValidationFailed(
                [FieldProblem("purpose", N_("Choose a purpose from the register."))]
            )
        return int(found)

    # -- making ------------------------------------------------------------------------

    def labels(
        self,
        actor: Actor,
        selection: PostSelection,
        sheet: LabelSheet,
        out: Path,
        start: int = 1,
        *,
        language: str = "en",
    ) -> PostResult:
        """Labels for the chosen people on *sheet* from label *start*, written to *out*.

        Country names of addresses abroad are in *language*, the sender's language.
        """
        from privacycrm_desktop.reports import labels as layout

        label_slots(sheet, 0, start)  # refuses a start that is no label of the sheet
        self._refuse_own_use(actor, selection)
        people, left = self.choose(actor, selection)
        self._refuse_empty(people)
        home = self._setup.company().home_country
        addresses = [
            address_lines(p.address, home, country_name(p.address.country, language))
            for p in people
        ]
        title = tr_in(language, "Address labels")
        data = layout.render(sheet, addresses, start, title)
        detail = f"layout={sheet.name or sheet.shape}"
        return self._publish(actor, True, selection, people, left, data, out, detail)

    def check_templates(self, templates: Mapping[str, str], fallback: str = "") -> None:
        """Refuse templates with unknown fields before anything is chosen or printed."""
        for text in (fallback, *templates.values()):
            if text.strip():
                template_fields(text)
        choose_template(dict(templates), "en", fallback)

    def letters(
        self,
        actor: Actor,
        selection: PostSelection,
        templates: Mapping[str, str],
        out: Path,
        fallback: str = "",
    ) -> PostResult:
        """One letter per chosen person, in their language (the template of that language,
        else *fallback*), on the letterhead, as one PDF written to *out*."""
        from privacycrm_desktop.reports import merge_letter as layout

        self.check_templates(templates, fallback)
        self._refuse_own_use(actor, selection)
        people, left = self.choose(actor, selection)
        self._refuse_empty(people)
        company = self._setup.company()
        home = company.home_country
        letters = []
        for person in people:
            lang = person.language if person.language in LANGUAGES else company.language
            lines = address_lines(person.address, home, country_name(person.address.country, lang))
            values = self._values(person, lang, lines, company)
            body = fill_template(choose_template(dict(templates), lang, fallback), values)
            letters.append(layout.MergedLetter(lang, tuple(lines), values["date"], body))
        head = letterhead(self._uow, company)
        data = layout.render(head, letters, tr_in(company.language, "Letters"), company.language)
        detail = ""
        return self._publish(actor, False, selection, people, left, data, out, detail)

    def _values(
        self, person: _Person, lang: str, lines: list[str], company: CompanyInfo
    ) -> dict[str, str]:
        name = " ".join(n for n in (person.first_name, person.last_name) if n)
        greeting = (
            tr_in(lang, "Dear {name},", name=name) if name else tr_in(lang, "Dear Sir or Madam,")
        )
        return {
            "salutation": greeting,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "name": name,
            "organisation": person.address.organisation,
            "address": "\n".join(lines),
            "street": person.address.street,
            "postcode": person.address.postcode,
            "city": person.address.city,
            "country": country_name(person.address.country, lang) if person.address.country else "",
            "date": format_long_date(self._clock.today(), lang),
            "company": company.name,
        }

    @staticmethod
    def _refuse_empty(people: Sequence[_Person]) -> None:
        if not people:
            raise ValidationFailed(
                [FieldProblem("contacts", N_("Nobody chosen may receive this mailing by post."))]
            )

    def _refuse_own_use(self, actor: Actor, selection: PostSelection) -> None:
        from privacycrm_desktop.services.disclosures import DisclosureService

        name = " ".join(selection.recipient.split())
        DisclosureService(self._uow, self._clock).refuse_own_use(actor, name, False, "export")

    # -- on record ---------------------------------------------------------------------

    def _publish(
        self,
        actor: Actor,
        labels: bool,
        selection: PostSelection,
        people: Sequence[_Person],
        left: Sequence[LeftOut],
        data: bytes,
        out: Path,
        detail: str,
    ) -> PostResult:
        """Write *data* beside *out*, record the output, then give the file its name."""
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
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                    stream.flush()
                    os.fsync(stream.fileno())
            except OSError as error:
                raise ExportNotWritten.of(error) from None
            return self._record(actor, labels, selection, people, left, temp, out, detail)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise

    def _record(
        self,
        actor: Actor,
        labels: bool,
        selection: PostSelection,
        people: Sequence[_Person],
        left: Sequence[LeftOut],
        temp: Path,
        out: Path,
        detail: str,
    ) -> PostResult:
        from privacycrm_desktop.services.disclosures import find_recipient

        now = self._clock.now()
        recipient = " ".join(selection.recipient.split())
        recipient_id: int | None = None
        disclosures = 0
        with self._uow(write=True) as uow:
            session = uow.session
            purpose_id = self._purpose_id(session, selection.purpose)
            if recipient:
                if purpose_id is None:
                    raise ValidationFailed(
                        [FieldProblem("purpose", N_("Choose a purpose from the register."))]
                    )
                recipient_id = find_recipient(session, recipient).id
                categories = ",".join(data_categories(PRINTED_FIELDS))
                rows = [
                    {
                        "contact_id": p.id,
                        "recipient_id": recipient_id,
                        "purpose_id": purpose_id,
                        "categories": categories,
                        "disclosed_on": now.date(),
                        "subject_informed_on": None,
                        "recorded_by": actor.user_id,
                    }
                    for p in people
                ]
                for start in range(0, len(rows), _CHUNK):
                    session.execute(insert(Disclosure), rows[start : start + _CHUNK])
                disclosures = len(rows)
            record_event(
                session,
                actor=actor.username,
                action="post.labels" if labels else "post.letters",
                entity="purpose" if selection.purpose.strip() else "report",
                entity_id=selection.purpose.strip() or "-",
                at=now,
                detail=f"{detail + ';' if detail else ''}count={len(people)};left_out={len(left)};"
                f"recipient={recipient_id if recipient_id is not None else INTERNAL_RECIPIENT};"
                f"disclosures={disclosures}",
            )
            try:
                os.replace(temp, out)
            except OSError as error:
                raise ExportNotWritten.of(error) from None
        return PostResult(out, len(people), tuple(left), recipient_id, disclosures)


def _check_logo(data: bytes) -> None:
    from PIL import Image, UnidentifiedImageError

    problem = None
    if len(data) > MAX_LOGO_BYTES:
        problem = N_("The logo is larger than 1 MB: choose a smaller picture.")
    else:
        try:
            with Image.open(io.BytesIO(data)) as picture:
                kind = picture.format
                picture.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            kind = None
        if kind not in ("PNG", "JPEG"):
            problem = N_("The logo must be a PNG or JPEG picture.")
    if problem is not None:
        raise ValidationFailed([FieldProblem("logo", problem)])


def _load(
    session: Session, ids: list[int], access: Mapping[str, FieldAccess], home: str
) -> list[_Person]:
    """The people *ids* in name order, with the name fields the role may read."""

    def shown(field: str, value: str | None) -> str:
        readable = access[field] in (FieldAccess.READ, FieldAccess.WRITE)
        return (value or "") if readable else ""

    people = []
    for start in range(0, len(ids), _CHUNK):
        block = ids[start : start + _CHUNK]
        for row in session.execute(
            select(
                Contact.id,
                Contact.first_name,
                Contact.last_name,
                Contact.organisation,
                Contact.street,
                Contact.postcode,
                Contact.city,
                Contact.country,
                Contact.language,
                Contact.sort_name,
            ).where(Contact.id.in_(block))
        ):
            first, last = shown("first_name", row.first_name), shown("last_name", row.last_name)
            address = PostalAddress(
                " ".join(n for n in (first, last) if n),
                shown("organisation", row.organisation),
                row.street or "",
                row.postcode or "",
                row.city or "",
                (row.country or home).upper(),
            )
            people.append(
                (row.sort_name or "", row.id, _Person(row.id, first, last, row.language, address))
            )
    people.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in people]
