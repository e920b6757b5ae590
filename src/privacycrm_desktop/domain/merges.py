"""Duplicates across the whole database, and merging them: the rules that find them, the
choice of each field's value, and why a merge or its undo is refused.

A rule groups contacts sharing one normalised key (``DuplicateRule``); a group is a
proposal for a person to look at, never merged on its own. A merge keeps one contact (the
survivor): each scalar field takes the survivor's value unless the user picks another
contact's (``take``), an empty survivor field is filled from the first other contact that
has a value, and each value keeps the source it had on the contact it came from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.text import N_

#: How long a merge can be undone, unless the owner set another number of days.
DEFAULT_UNDO_DAYS = 30
#: Settings keys: the rules the finder uses, and the undo limit in days.
RULES_SETTING = "duplicates.rules"
UNDO_DAYS_SETTING = "duplicates.undo_days"
#: The audit viewer's record name of a contact merged away: this and the id it leads to.
MERGED_PREFIX = "merged-into:"


class DuplicateRule(StrEnum):
    """What contacts must share to be proposed as one person."""

    EMAIL = "email"
    MOBILE = "mobile"
    NAME_POSTCODE = "name_postcode"
    NAME_COMPANY = "name_company"


RULE_LABELS: Mapping[DuplicateRule, str] = {
    DuplicateRule.EMAIL: N_("Same e-mail address"),
    DuplicateRule.MOBILE: N_("Same mobile number"),
    DuplicateRule.NAME_POSTCODE: N_("Same name and postcode"),
    DuplicateRule.NAME_COMPANY: N_("Same name and company"),
}

DEFAULT_RULES: tuple[DuplicateRule, ...] = tuple(DuplicateRule)


def parse_rules(text: str) -> tuple[DuplicateRule, ...]:
    """The rules of a setting's text ("email,mobile"); unknown names are left out, and
    an empty or unreadable text means the default rules."""
    known = {r.value for r in DuplicateRule}
    found = [DuplicateRule(p) for p in (s.strip() for s in text.split(",")) if p in known]
    return tuple(dict.fromkeys(found)) or DEFAULT_RULES


@dataclass(frozen=True)
class DuplicateGroup:
    """Contacts proposed as one person, with the rules that found them (ids ascending)."""

    contact_ids: tuple[int, ...]
    rules: tuple[DuplicateRule, ...]


def join_groups(found: Iterable[tuple[DuplicateRule, Sequence[int]]]) -> list[DuplicateGroup]:
    """One group per set of contacts linked by any shared key (a contact found by two
    rules with two others makes one group of three), ordered by their smallest id.

    Most groups share no contact with another and are kept as they are; only the others
    are joined (union-find), so a million contacts take seconds, not minutes."""
    found = [(rule, ids) for rule, ids in found if ids]
    seen = Counter(chain.from_iterable(ids for _rule, ids in found))
    groups = [
        DuplicateGroup(tuple(sorted(ids)), (rule,))
        for rule, ids in found
        if all(seen[i] == 1 for i in ids)
    ]
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        top = x
        while (up := parent[top]) != top:
            top = up
        while (up := parent[x]) != top:  # path compression
            parent[x] = top
            x = up
        return top

    linked: list[tuple[DuplicateRule, int]] = []
    for rule, ids in found:
        if all(seen[i] == 1 for i in ids):
            continue
        for i in ids:
            parent.setdefault(i, i)
        top = root(ids[0])
        for other in ids[1:]:
            theirs = root(other)
            if theirs != top:
                low, high = (top, theirs) if top < theirs else (theirs, top)
                parent[high] = low
                top = low
        linked.append((rule, ids[0]))
    members: dict[int, list[int]] = {}
    for x in parent:
        members.setdefault(root(x), []).append(x)
    rules: dict[int, set[DuplicateRule]] = {}
    for rule, first in linked:
        rules.setdefault(root(first), set()).add(rule)
    order = tuple(DuplicateRule)
    groups += [
        DuplicateGroup(tuple(sorted(members[top])), tuple(r for r in order if r in rules[top]))
        for top in members
    ]
    groups.sort(key=lambda g: g.contact_ids[0])
    return groups


def chosen_sources(
    fields: Sequence[str],
    values: Mapping[int, Mapping[str, object]],
    survivor: int,
    others: Sequence[int],
    take: Mapping[str, int],
) -> dict[str, int]:
    """For each field, the contact whose value the survivor keeps: the one named in
    *take*, else the survivor when its value is not empty, else the first of *others*
    with a value (else the survivor).

    Raises:
        MergeRefused: *take* names a field that is not merged or a contact not merged.
    """
    merged = {survivor, *others}
    for field, cid in take.items():
        if field not in fields:
            raise MergeRefused(N_("The field {field} cannot be chosen in a merge."), field=field)
        if cid not in merged:
            raise MergeRefused(N_("Contact {id} is not one of the contacts being merged."), id=cid)
    chosen: dict[str, int] = {}
    for field in fields:
        if field in take:
            chosen[field] = take[field]
            continue
        chosen[field] = survivor
        if _empty(values[survivor].get(field)):
            chosen[field] = next((o for o in others if not _empty(values[o].get(field))), survivor)
    return chosen


def _empty(value: object) -> bool:
    return value is None or value == ""


class MergeRefused(DomainError):
    """A merge or its undo cannot be carried out; the message says why."""

    default_message = N_("These contacts cannot be merged.")


__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_UNDO_DAYS",
    "MERGED_PREFIX",
    "RULES_SETTING",
    "RULE_LABELS",
    "UNDO_DAYS_SETTING",
    "DuplicateGroup",
    "DuplicateRule",
    "MergeRefused",
    "chosen_sources",
    "join_groups",
    "parse_rules",
]
