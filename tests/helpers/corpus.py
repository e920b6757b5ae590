"""The corpus of real contact files: import each one, compare what arrived with what a user
would expect to find, and give the two figures the import is held to.

The files and their expectations live in ``tests/data/corpus`` (SOURCES.md says where each
file comes from and how ``expected.json`` is written). Each file is imported as the CLI's
``import`` command does it (preview, the guessed mapping, ``ImportService.run``), what
arrived is read back from the database, and the batch is undone, so the next file meets an
empty database again. ``tests/unit/services/test_import_corpus.py`` asserts the figures;
``tools/corpus_report.py`` prints them for people.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import undefer

from privacycrm_desktop.domain.import_formats import DuplicatePolicy
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.i18n import tr_in
from privacycrm_desktop.persistence.models import Contact, ContactEmail, ContactPhone
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportPlan
from privacycrm_desktop.services.registry import Services

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
EXPECTED = CORPUS / "expected.json"
#: What the issue holds the import to: contacts arrived / expected, files whole / files.
CONTACTS_TARGET = 0.98
FILES_TARGET = 0.90
PURPOSE = "customer_relationship"
SOURCE = SourceInput(SourceKind.IMPORT_FILE, "Contacts brought from another program", None)
#: What expected.json may say about a contact (SOURCES.md explains each).
CONTACT_KEYS = frozenset(
    {
        "first_name",
        "last_name",
        "name",
        "organisation",
        "emails",
        "phones",
        "addresses",
        "birthday",
        "may_need_a_look",
    }
)
#: Shorter digit strings than this do not identify a phone number on their own.
MIN_PHONE_DIGITS = 6


# -- what arrived ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredContact:
    """One imported contact as the database holds it: every column, its e-mails, phones."""

    columns: Mapping[str, Any]
    emails: tuple[str, ...]
    phones: tuple[str, ...]

    def text(self, name: str) -> str:
        value = self.columns.get(name)
        return value if isinstance(value, str) else ""

    def describe(self) -> str:
        name = " ".join(p for p in (self.text("first_name"), self.text("last_name")) if p)
        parts = [name or "(no name)"]
        if self.text("organisation"):
            parts.append(f"org {self.text('organisation')!r}")
        if self.emails:
            parts.append(", ".join(self.emails))
        return "; ".join(parts)


@dataclass
class FileOutcome:
    """One file's result: contacts expected and arrived, and what was lost or wrong."""

    name: str
    expected: int
    arrived: int = 0
    extra: int = 0
    problems: list[str] = field(default_factory=list)
    #: The importer's own words: rows it refused or skipped, or why it read nothing.
    importer_said: list[str] = field(default_factory=list)
    importer_reasons: list[str] = field(default_factory=list)

    @property
    def whole(self) -> bool:
        return self.arrived == self.expected and not self.problems and not self.extra


def _stored(svc: Services, batch_id: int) -> list[StoredContact]:
    keys = [attr.key for attr in inspect(Contact).column_attrs]
    with svc.uow() as uow:
        session = uow.session
        contacts = (
            session.execute(
                select(Contact)
                .options(undefer("*"))
                .where(Contact.import_batch_id == batch_id)
                .order_by(Contact.id)
            )
            .scalars()
            .all()
        )
        out = []
        for contact in contacts:
            emails = session.execute(
                select(ContactEmail.address)
                .where(ContactEmail.contact_id == contact.id)
                .order_by(ContactEmail.position, ContactEmail.id)
            ).scalars()
            phones = session.execute(
                select(ContactPhone.number)
                .where(ContactPhone.contact_id == contact.id)
                .order_by(ContactPhone.position, ContactPhone.id)
            ).scalars()
            out.append(
                StoredContact(
                    {key: getattr(contact, key) for key in keys}, tuple(emails), tuple(phones)
                )
            )
        return out


def _legal_basis(svc: Services, actor: Actor) -> str:
    # As the CLI does when --legal-basis is not given: the purpose's own.
    for purpose in svc.statements.purposes(actor):
        if purpose.code == PURPOSE:
            return str(purpose.legal_basis.value)
    return ""


@dataclass
class Imported:
    """What one file's import stored, and what the importer said about what it did not."""

    stored: list[StoredContact] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    #: The same, as the importer's message templates (no values): to group by.
    reasons: list[str] = field(default_factory=list)


def import_file(svc: Services, actor: Actor, path: Path) -> Imported:
    """Import *path* as ``privacycrm-cli import`` does, read what arrived, undo the batch."""
    imported = Imported()
    try:
        preview = svc.imports.preview(actor, path)
        plan = ImportPlan(
            path=path,
            shape=preview.shape,
            mapping=preview.mapping,
            source=SOURCE,
            purpose_code=PURPOSE,
            legal_basis=_legal_basis(svc, actor),
            duplicates=DuplicatePolicy.SKIP,
        )
        result = svc.imports.run(actor, plan)
    except Exception as exc:  # a file the importer cannot take at all is a finding too
        imported.said.append(f"{type(exc).__name__}: {_exception_text(exc)}")
        imported.reasons.append(f"the file was refused: {type(exc).__name__}")
        return imported
    for problem in result.invalid:
        where = f"row {problem.row_number}" + (f", {problem.column}" if problem.column else "")
        imported.said.append(f"{where}: {tr_in('en', problem.message, **problem.params)}")
        imported.reasons.append(problem.message)
    for reason, count in result.skipped.items():
        if count:
            imported.said.append(f"{count} skipped: {reason.value}")
            imported.reasons.extend([f"skipped: {reason.value}"] * count)
    if result.batch_id is not None:
        imported.stored = _stored(svc, result.batch_id)
        svc.imports.undo(actor, result.batch_id)
    return imported


def _exception_text(exc: Exception) -> str:
    problems = getattr(exc, "problems", None)
    if problems:
        texts = []
        for problem in problems:
            message = getattr(problem, "message", None)
            params = getattr(problem, "params", {}) or {}
            texts.append(tr_in("en", message, **params) if message else str(problem))
        return " ".join(texts)
    return str(exc) or exc.__class__.__doc__ or ""


# -- comparing ---------------------------------------------------------------------------------


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return re.sub(r"\s+", " ", text).strip(" ,;")


def _loose(text: str) -> str:
    """Words only: commas and line breaks between the parts of a street do not matter."""
    return re.sub(r"[\s,;]+", " ", _norm(text)).strip()


def _variants(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def digits(text: str) -> str:
    """A number's digits without leading zeros: '+32 472 ...' and '0472 ...' end the same."""
    return "".join(c for c in text if c.isdigit()).lstrip("0")


def phone_found(expected: str, stored: Iterable[str]) -> bool:
    want = digits(expected)
    if not want:
        return False
    for number in stored:
        have = digits(number)
        if not have:
            continue
        shorter = min(len(want), len(have))
        if shorter >= MIN_PHONE_DIGITS and (want.endswith(have) or have.endswith(want)):
            return True
        if want == have:
            return True
    return False


def _name_ok(expected: Mapping[str, Any], stored: StoredContact) -> list[str]:
    wrong = []
    first, last = stored.text("first_name"), stored.text("last_name")
    for key, have in (("first_name", first), ("last_name", last)):
        # Commas between middle names ("Richter, James" in a vCard N) are no part of a name.
        if key in expected and _loose(have) not in {_loose(v) for v in _variants(expected[key])}:
            wrong.append(f"{key} {have!r}, expected {_shown(expected[key])}")
    if "name" in expected:
        whole = _loose(f"{first} {last}")
        if whole not in {_loose(v) for v in _variants(expected["name"])}:
            wrong.append(f"name {first!r} + {last!r}, expected {_shown(expected['name'])}")
    return wrong


def _shown(value: str | list[str]) -> str:
    variants = _variants(value)
    return repr(variants[0]) if len(variants) == 1 else "one of " + repr(variants)


def _address_ok(alternative: Mapping[str, Any], stored: StoredContact) -> bool:
    if "street" in alternative:
        have = _loose(stored.text("street"))
        if not any(_loose(v) and _loose(v) in have for v in _variants(alternative["street"])):
            return False
    if "postcode" in alternative and _loose(stored.text("postcode")).replace(" ", "") != _loose(
        alternative["postcode"]
    ).replace(" ", ""):
        return False
    if "city" in alternative and not _city_ok(alternative["city"], stored.text("city")):
        return False
    return not (
        "country" in alternative
        and stored.text("country").upper() != str(alternative["country"]).upper()
    )


def _city_ok(expected: str, have: str) -> bool:
    """The town; a region the file gives (a vCard ADR's region, "Raleigh, NC") may follow
    it, as the importer keeps it there (the contact has no region of its own and a letter
    abroad needs it)."""
    want, have = _norm(expected), _norm(have)
    return have == want or have.startswith(want + ", ")


def _birthday_ok(expected: str, stored: StoredContact) -> bool:
    """A full date, or a month and day ('--MM-DD') however the model keeps one without year.

    Any column named after the birth counts: a date (its month and day when the file has
    no year), or month and day columns, or a text holding MM-DD.
    """
    year_less = expected.startswith("--")
    month, day = (int(p) for p in expected[-5:].split("-"))
    full = None if year_less else dt.date.fromisoformat(expected)
    columns = {k: v for k, v in stored.columns.items() if "birth" in k and v not in (None, "")}
    for value in columns.values():
        if isinstance(value, dt.date):
            if (full is not None and value == full) or (
                full is None and (value.month, value.day) == (month, day)
            ):
                return True
        elif (
            isinstance(value, str)
            and f"{month:02d}-{day:02d}" in value
            and (full is None or str(full.year) in value)
        ):
            return True
    months = [v for k, v in columns.items() if "month" in k and isinstance(v, int)]
    days = [v for k, v in columns.items() if "day" in k and isinstance(v, int)]
    return full is None and month in months and day in days


def _organisation_ok(expected: str | list[str], stored: StoredContact) -> bool:
    """The organisation's name; its units (an ORG's department parts) may follow it."""
    have = _norm(stored.text("organisation"))
    return any(have == _norm(v) or have.startswith(_norm(v) + " ") for v in _variants(expected))


def compare_contact(expected: Mapping[str, Any], stored: StoredContact) -> list[str]:
    """What a user would miss or find wrong in *stored*, given *expected* (empty: whole)."""
    wrong = _name_ok(expected, stored)
    if "organisation" in expected and not _organisation_ok(expected["organisation"], stored):
        wrong.append(
            f"organisation {stored.text('organisation')!r}, "
            f"expected {_shown(expected['organisation'])}"
        )
    have_emails = {_norm(e) for e in stored.emails}
    wrong.extend(
        f"e-mail {email} missing"
        for email in expected.get("emails", [])
        if _norm(email) not in have_emails
    )
    # A fax or pager number is kept in the notes under its label ("Fax: ..."), where it
    # cannot be taken for a number to call.
    notes = [line.split(":", 1)[-1] for line in stored.text("notes").splitlines()]
    wrong.extend(
        f"phone {phone} missing"
        for phone in expected.get("phones", [])
        if not phone_found(phone, stored.phones) and not phone_found(phone, notes)
    )
    alternatives = expected.get("addresses", [])
    if alternatives and not any(_address_ok(a, stored) for a in alternatives):
        got = ", ".join(
            f"{k}={stored.text(k)!r}" for k in ("street", "postcode", "city", "country")
        )
        wrong.append(f"address {got}; expected one of {[dict(a) for a in alternatives]}")
    birthday = expected.get("birthday")
    if birthday and not _birthday_ok(birthday, stored):
        got = {k: str(v) for k, v in stored.columns.items() if "birth" in k}
        wrong.append(f"birthday {birthday} missing (stored {got})")
    return wrong


def _score(expected: Mapping[str, Any], stored: StoredContact) -> int:
    """How surely *stored* is the contact *expected* describes (0: nothing in common)."""
    score = 0
    mine = {_norm(e) for e in stored.emails}
    wanted = [*expected.get("emails", []), *expected.get("may_need_a_look", [])]
    score += 4 * sum(1 for e in wanted if _norm(e) in mine)
    score += 2 * sum(1 for p in expected.get("phones", []) if phone_found(p, stored.phones))
    if not _name_ok(expected, stored) and any(
        k in expected for k in ("first_name", "last_name", "name")
    ):
        score += 3
    if "organisation" in expected and _organisation_ok(expected["organisation"], stored):
        score += 1
    return score


def compare_file(
    name: str,
    expected: list[Mapping[str, Any]],
    stored: list[StoredContact],
    may_also_arrive: int = 0,
) -> FileOutcome:
    """Pair each expected contact with the stored one most like it, then compare each pair.

    An expected contact nothing resembles is paired, in file order, with a stored contact
    nothing claimed: it arrived, with wrong values. What is left on either side is lost or
    more than the file holds (beyond *may_also_arrive*, such as cards nested in a card).
    """
    outcome = FileOutcome(name, len(expected))
    free = list(range(len(stored)))
    pairs: dict[int, int] = {}
    for index, contact in enumerate(expected):
        scored = [(_score(contact, stored[i]), -i) for i in free]
        best = max(scored, default=(0, 0))
        if best[0] > 0:
            pairs[index] = -best[1]
            free.remove(-best[1])
    for index in range(len(expected)):
        if index not in pairs and free:
            pairs[index] = free.pop(0)
    for index, contact in enumerate(expected):
        label = f"contact {index + 1} ({_label(contact)})"
        if index not in pairs:
            outcome.problems.append(f"{label}: did not arrive")
            continue
        outcome.arrived += 1
        outcome.problems.extend(
            f"{label}: {wrong}" for wrong in compare_contact(contact, stored[pairs[index]])
        )
    if len(free) > may_also_arrive:
        outcome.extra = len(free)
        outcome.problems.extend(
            f"one contact more than the file holds: {stored[i].describe()}" for i in free
        )
    return outcome


def _label(contact: Mapping[str, Any]) -> str:
    for key in ("name", "last_name", "first_name", "organisation"):
        if key in contact:
            return _variants(contact[key])[0]
    emails = contact.get("emails") or contact.get("may_need_a_look") or ["?"]
    return str(emails[0])


# -- the whole corpus --------------------------------------------------------------------------


def expectations() -> dict[str, dict[str, Any]]:
    """``expected.json``'s files: name (project/file) -> note and contacts."""
    document = json.loads(EXPECTED.read_text(encoding="utf-8"))
    files: dict[str, dict[str, Any]] = document["files"]
    return files


@dataclass(frozen=True)
class CorpusResult:
    """Every file's outcome and the two figures."""

    outcomes: tuple[FileOutcome, ...]

    @property
    def contacts_expected(self) -> int:
        return sum(o.expected for o in self.outcomes)

    @property
    def contacts_arrived(self) -> int:
        return sum(o.arrived for o in self.outcomes)

    @property
    def files_whole(self) -> int:
        return sum(1 for o in self.outcomes if o.whole)

    @property
    def contact_share(self) -> float:
        return self.contacts_arrived / max(self.contacts_expected, 1)

    @property
    def file_share(self) -> float:
        return self.files_whole / max(len(self.outcomes), 1)

    @property
    def meets_targets(self) -> bool:
        return self.contact_share >= CONTACTS_TARGET and self.file_share >= FILES_TARGET

    def figures(self) -> str:
        return (
            f"contacts arrived: {self.contacts_arrived} of {self.contacts_expected} "
            f"({self.contact_share:.1%}, target {CONTACTS_TARGET:.0%}); "
            f"files whole: {self.files_whole} of {len(self.outcomes)} "
            f"({self.file_share:.1%}, target {FILES_TARGET:.0%})"
        )

    def report(self, *, whole_files: bool = False, importer_lines: int = 3) -> str:
        """The figures, then per file what was lost or wrong (and what the importer said)."""
        lines = [self.figures(), ""]
        for o in self.outcomes:
            if o.whole and not whole_files:
                continue
            state = "whole" if o.whole else "NOT WHOLE"
            lines.append(f"{o.name}: {o.arrived}/{o.expected} arrived, {state}")
            lines.extend(f"    - {p}" for p in o.problems)
            shown = o.importer_said[:importer_lines]
            lines.extend(f"    importer: {s}" for s in shown)
            if len(o.importer_said) > len(shown):
                lines.append(f"    importer: ... and {len(o.importer_said) - len(shown)} more")
        return "\n".join(lines)

    def reasons(self) -> Counter[str]:
        """The importer's refusals by message template, counted once per file."""
        counts: Counter[str] = Counter()
        for o in self.outcomes:
            counts.update(set(o.importer_reasons))
        return counts


def run_corpus(
    svc: Services,
    actor: Actor,
    only: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> CorpusResult:
    """Import each corpus file (or those named in *only*) and compare; undo after each."""
    wanted = set(only) if only is not None else None
    outcomes = []
    for name, entry in expectations().items():
        if wanted is not None and name not in wanted:
            continue
        if progress is not None:
            progress(name)
        imported = import_file(svc, actor, CORPUS / name)
        outcome = compare_file(
            name, entry["contacts"], imported.stored, entry.get("may_also_arrive", 0)
        )
        outcome.importer_said = imported.said
        outcome.importer_reasons = imported.reasons
        outcomes.append(outcome)
    return CorpusResult(tuple(outcomes))
