"""Duplicate companies: the rules that propose two or more companies as one (issue 21).

A company is known by its enterprise or VAT number when it has one; without, by its name
(folded, ``companies.company_key``) with its postcode, or with the domain of its general
e-mail address (two offices of one firm share the domain and the name; two firms with one
web-mail provider do not share the name). A group is a proposal for a person to look at,
never merged on its own (services/company_merges.py merges what the person chose).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.text import N_


class CompanyRule(StrEnum):
    """What companies must share to be proposed as one."""

    VAT = "vat"
    NAME_POSTCODE = "name_postcode"
    NAME_EMAIL_DOMAIN = "name_email_domain"


COMPANY_RULE_LABELS: Mapping[CompanyRule, str] = {
    CompanyRule.VAT: N_("Same enterprise or VAT number"),
    CompanyRule.NAME_POSTCODE: N_("Same name and postcode"),
    CompanyRule.NAME_EMAIL_DOMAIN: N_("Same name and e-mail domain"),
}

#: A key shared by more companies than this names no one company (a placeholder): left out.
MAX_COMPANY_GROUP = 50


@dataclass(frozen=True)
class CompanyKeys:
    """What the rules compare of one company (stored forms)."""

    company_id: int
    name_key: str
    vat: str
    postcode: str
    email: str


@dataclass(frozen=True)
class CompanyGroup:
    """Companies proposed as one, with the rules that found them (ids ascending)."""

    company_ids: tuple[int, ...]
    rules: tuple[CompanyRule, ...]


def email_domain(address: str) -> str:
    """The domain of an e-mail address, folded ("" without one)."""
    local, at, domain = address.strip().rpartition("@")
    return domain.strip().casefold() if at and local.strip() else ""


def _key(company: CompanyKeys, rule: CompanyRule) -> tuple[str, ...] | None:
    postcode = "".join(company.postcode.split()).casefold()
    keys = {
        CompanyRule.VAT: (company.vat.strip().upper(),),
        CompanyRule.NAME_POSTCODE: (company.name_key, postcode),
        CompanyRule.NAME_EMAIL_DOMAIN: (company.name_key, email_domain(company.email)),
    }[rule]
    return keys if all(keys) else None


def company_groups(
    companies: Iterable[CompanyKeys], rules: Iterable[CompanyRule] = tuple(CompanyRule)
) -> list[CompanyGroup]:
    """The groups of companies sharing a key by any of *rules*, joined where they share
    a company (a company found by two rules with two others makes one group of three),
    ordered by their smallest id."""
    rows = list(companies)
    parent = {c.company_id: c.company_id for c in rows}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    found: list[tuple[CompanyRule, list[int]]] = []
    for rule in rules:
        by_key: dict[tuple[str, ...], list[int]] = {}
        for company in rows:
            key = _key(company, rule)
            if key is not None:
                by_key.setdefault(key, []).append(company.company_id)
        found += [(rule, ids) for ids in by_key.values() if 1 < len(ids) <= MAX_COMPANY_GROUP]
    for _rule, ids in found:
        for other in ids[1:]:
            low, high = sorted((root(ids[0]), root(other)))
            parent[high] = low
    members: dict[int, list[int]] = {}
    reasons: dict[int, set[CompanyRule]] = {}
    for rule, ids in found:
        reasons.setdefault(root(ids[0]), set()).add(rule)
    for company_id in parent:
        top = root(company_id)
        if top in reasons:
            members.setdefault(top, []).append(company_id)
    order = tuple(CompanyRule)
    return sorted(
        (
            CompanyGroup(tuple(sorted(ids)), tuple(r for r in order if r in reasons[top]))
            for top, ids in members.items()
        ),
        key=lambda g: g.company_ids[0],
    )


__all__ = [
    "COMPANY_RULE_LABELS",
    "MAX_COMPANY_GROUP",
    "CompanyGroup",
    "CompanyKeys",
    "CompanyRule",
    "company_groups",
    "email_domain",
]
