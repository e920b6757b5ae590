"""The duplicate finder over the whole database (issue 21): groups of contacts that share
an e-mail address, a mobile number, a name with a postcode, or a name with a company,
found by grouping queries (persistence/duplicate_queries.py), for a person to review and
merge (services/merges.py). Which rules run is the owner's setting
(``duplicates.rules``) unless the caller names them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, require
from privacycrm_desktop.domain.contacts import display_name
from privacycrm_desktop.domain.duplicates import identifying_email, identifying_number, is_mobile
from privacycrm_desktop.domain.merges import (
    RULES_SETTING,
    DuplicateGroup,
    DuplicateRule,
    join_groups,
    parse_rules,
)
from privacycrm_desktop.persistence import duplicate_queries as q
from privacycrm_desktop.persistence.models import Contact, Setting
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor

Progress = Callable[[int, int], None]

#: The queries of each rule; the key filter says which shared keys identify a person.
_QUERIES: dict[DuplicateRule, tuple[Callable[[Connection], Iterator[q.KeyGroup]], ...]] = {
    DuplicateRule.EMAIL: (q.email_groups,),
    DuplicateRule.MOBILE: (q.number_groups,),
    DuplicateRule.NAME_POSTCODE: (q.name_postcode_groups,),
    DuplicateRule.NAME_COMPANY: (q.name_organisation_groups, q.name_company_groups),
}
_KEY_FILTERS: dict[DuplicateRule, Callable[[str], bool]] = {
    DuplicateRule.EMAIL: identifying_email,
    DuplicateRule.MOBILE: lambda n: identifying_number(n) and is_mobile(n),
}
#: A key shared by more contacts than this is no person's (a shared info@ address, a
#: placeholder name): left out.
MAX_GROUP = 50
#: The name rules need people: contacts without a first or last name are left out.
_NAME_RULES = (DuplicateRule.NAME_POSTCODE, DuplicateRule.NAME_COMPANY)


@dataclass(frozen=True)
class GroupMember:
    """A contact of a group as the review shows it."""

    contact_id: int
    #: "" when the reader's role may not see names.
    name: str
    email: str
    postcode: str
    city: str
    organisation: str


def stored_rules(session: Session) -> tuple[DuplicateRule, ...]:
    """The rules the owner chose (all four by default)."""
    row = session.get(Setting, RULES_SETTING)
    return parse_rules(row.value if row is not None else "")


def _any_key(_key: str) -> bool:
    return True


def _ids(text: str) -> list[int]:
    return sorted({int(i) for i in text.split(",") if i})


def _nameless(conn: Connection) -> set[int]:
    """Contacts with a sort name but no person's name (organisation addresses): one scan,
    few rows."""
    return set(
        conn.execute(
            select(Contact.id).where(
                Contact.first_name == "", Contact.last_name == "", Contact.sort_name != ""
            )
        ).scalars()
    )


def find_groups(
    conn: Connection,
    rules: Iterable[DuplicateRule],
    progress: Progress | None = None,
) -> list[DuplicateGroup]:
    """The groups of possible duplicates by *rules*; *progress* is told (done, total)
    steps, and an exception it raises stops the search."""
    queries = [(rule, query) for rule in rules for query in _QUERIES[rule]]
    total = len(queries) + 1
    tell = progress or (lambda _done, _total: None)
    found: list[tuple[DuplicateRule, list[int]]] = []
    nameless: set[int] | None = None
    for done, (rule, query) in enumerate(queries):
        tell(done, total)
        keep = _KEY_FILTERS.get(rule, _any_key)
        with q.interruptible(conn, functools.partial(tell, done, total)):
            rows = [(key, ids) for key, ids in query(conn) if keep(key)]
        groups = [ids for ids in (_ids(text) for _key, text in rows) if 1 < len(ids) <= MAX_GROUP]
        if rule in _NAME_RULES and groups:
            if nameless is None:
                nameless = _nameless(conn)
            if nameless:
                groups = [[i for i in ids if i not in nameless] for ids in groups]
                groups = [ids for ids in groups if len(ids) > 1]
        found += [(rule, ids) for ids in groups]
    tell(total - 1, total)
    result = join_groups(found)
    tell(total, total)
    return result


class DuplicateService:
    """Find duplicate contacts over the whole database (owner and privacy officer)."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def rules(self, actor: Actor) -> tuple[DuplicateRule, ...]:
        """The rules the finder uses unless told otherwise."""
        require(actor.role, Permission.MERGE_CONTACTS)
        with self._uow() as uow:
            return stored_rules(uow.session)

    def set_rules(self, actor: Actor, rules: Sequence[DuplicateRule]) -> None:
        """Keep *rules* as the finder's (an empty list: the default rules)."""
        require(actor.role, Permission.EDIT_SETTINGS)
        with self._uow(write=True) as uow:
            value = ",".join(r.value for r in parse_rules(",".join(r.value for r in rules)))
            uow.session.merge(Setting(key=RULES_SETTING, value=value))

    def find(
        self,
        actor: Actor,
        rules: Sequence[DuplicateRule] | None = None,
        progress: Progress | None = None,
    ) -> list[DuplicateGroup]:
        """Groups of possible duplicates (see ``find_groups``)."""
        require(actor.role, Permission.MERGE_CONTACTS)
        with self._uow() as uow:
            chosen = tuple(rules) if rules else stored_rules(uow.session)
            return find_groups(uow.session.connection(), chosen, progress)

    def members(
        self, actor: Actor, access: dict[str, FieldAccess], contact_ids: Sequence[int]
    ) -> list[GroupMember]:
        """What the review shows of these contacts, as *access* allows."""
        require(actor.role, Permission.MERGE_CONTACTS)

        def seen(field: str, value: str) -> str:
            ok = access.get(field, FieldAccess.HIDDEN) in (FieldAccess.READ, FieldAccess.WRITE)
            return value if ok else ""

        with self._uow() as uow:
            rows = uow.session.execute(
                select(
                    Contact.id,
                    Contact.first_name,
                    Contact.last_name,
                    Contact.organisation,
                    Contact.primary_email,
                    Contact.postcode,
                    Contact.city,
                ).where(Contact.id.in_(list(contact_ids)))
            ).tuples()
            return [
                GroupMember(
                    contact_id=cid,
                    name=display_name(seen("first_name", f), seen("last_name", la)),
                    email=seen("emails", email),
                    postcode=seen("postcode", pc),
                    city=seen("city", city),
                    organisation=seen("organisation", org),
                )
                for cid, f, la, org, email, pc, city in sorted(rows)
            ]


__all__ = ["MAX_GROUP", "DuplicateService", "GroupMember", "find_groups", "stored_rules"]
