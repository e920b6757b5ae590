"""Keep-until computation: worked examples for every default purpose, and properties."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacycrm_desktop.domain.contacts import Relationship
from privacycrm_desktop.domain.retention import (
    DEFAULT_RULES,
    HOLD_REASON,
    OPEN_ENDED,
    Hold,
    MarketingPermission,
    RetentionFacts,
    add_months,
    is_expired,
    is_expiring,
    keep_until,
)

D = dt.date
COLLECTED = D(2020, 1, 15)

# (case, facts, expected date, expected reason): one or more per default purpose.
WORKED_EXAMPLES = [
    (
        "customer: relationship ended -> invoicing 120 months after the end",
        RetentionFacts(Relationship.FORMER_CUSTOMER, COLLECTED, D(2020, 2, 1), D(2021, 6, 30)),
        D(2031, 6, 30),
        "invoicing",
    ),
    (
        "customer without a start date: customer relationship 24 months after the end",
        RetentionFacts(Relationship.FORMER_CUSTOMER, COLLECTED, None, D(2021, 6, 30)),
        D(2023, 6, 30),
        "customer_relationship",
    ),
    (
        "current customer: kept while the relationship lasts",
        RetentionFacts(Relationship.CUSTOMER, COLLECTED, D(2020, 2, 1)),
        OPEN_ENDED,
        "customer_relationship",
    ),
    (
        "former customer without an end date: counts from the last interaction",
        RetentionFacts(Relationship.FORMER_CUSTOMER, COLLECTED, last_interaction=D(2022, 8, 31)),
        D(2024, 8, 31),
        "customer_relationship",
    ),
    (
        "prospect: 12 months after the last interaction",
        RetentionFacts(Relationship.PROSPECT, COLLECTED, last_interaction=D(2023, 3, 31)),
        D(2024, 3, 31),
        "prospect_follow_up",
    ),
    (
        "prospect never contacted again: 12 months after collection",
        RetentionFacts(Relationship.PROSPECT, COLLECTED),
        D(2021, 1, 15),
        "prospect_follow_up",
    ),
    (
        "prospect with marketing consent: due for re-confirmation 24 months after it",
        RetentionFacts(
            Relationship.PROSPECT,
            COLLECTED,
            marketing=(MarketingPermission("direct_marketing_consent"),),
        ),
        D(2022, 1, 15),
        "consent_reconfirmation",
    ),
    (
        "a consent confirmed again counts from the confirmation",
        RetentionFacts(
            Relationship.PROSPECT,
            COLLECTED,
            marketing=(MarketingPermission("direct_marketing_consent", granted_on=D(2023, 6, 30)),),
        ),
        D(2025, 6, 30),
        "consent_reconfirmation",
    ),
    (
        "consent withdrawn: 0 months after the withdrawal (prospect rule is later)",
        RetentionFacts(
            Relationship.PROSPECT,
            COLLECTED,
            last_interaction=D(2022, 1, 10),
            marketing=(MarketingPermission("direct_marketing_consent", D(2022, 5, 1)),),
        ),
        D(2023, 1, 10),
        "prospect_follow_up",
    ),
    (
        "consent withdrawn after the prospect rule ended",
        RetentionFacts(
            Relationship.PROSPECT,
            COLLECTED,
            marketing=(MarketingPermission("direct_marketing_consent", D(2024, 5, 1)),),
        ),
        D(2024, 5, 1),
        "direct_marketing_consent",
    ),
    (
        "soft opt-in: 36 months after the relationship ends (no invoices: no start date)",
        RetentionFacts(
            Relationship.FORMER_CUSTOMER,
            COLLECTED,
            relationship_end=D(2021, 1, 31),
            marketing=(MarketingPermission("direct_marketing_soft_opt_in"),),
        ),
        D(2024, 1, 31),
        "direct_marketing_soft_opt_in",
    ),
    (
        "a hold for a dispute keeps an expired prospect",
        RetentionFacts(Relationship.PROSPECT, COLLECTED, holds=(Hold("dispute", D(2026, 12, 31)),)),
        D(2026, 12, 31),
        HOLD_REASON,
    ),
    (
        "a hold ending earlier changes nothing",
        RetentionFacts(Relationship.PROSPECT, COLLECTED, holds=(Hold("old", D(2020, 6, 1)),)),
        D(2021, 1, 15),
        "prospect_follow_up",
    ),
]


@pytest.mark.parametrize(
    ("facts", "expected", "reason"),
    [case[1:] for case in WORKED_EXAMPLES],
    ids=[case[0] for case in WORKED_EXAMPLES],
)
def test_worked_examples(facts: RetentionFacts, expected: dt.date, reason: str) -> None:
    result = keep_until(facts)
    assert (result.date, result.reason) == (expected, reason)


def test_every_default_purpose_has_a_worked_example() -> None:
    assert {case[3] for case in WORKED_EXAMPLES} >= set(DEFAULT_RULES)


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2023, 12, 31), 120) == D(2033, 12, 31)
    assert add_months(D(9999, 6, 1), 12) == OPEN_ENDED


def test_expired_and_expiring() -> None:
    today = D(2025, 3, 14)
    assert is_expired(D(2025, 3, 13), today)
    assert not is_expired(today, today)
    assert is_expiring(today, today)
    assert is_expiring(D(2025, 4, 13), today)
    assert not is_expiring(D(2025, 4, 14), today)
    assert not is_expiring(None, today)


dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2040, 12, 31))
marketing_codes = st.sampled_from(["direct_marketing_consent", "direct_marketing_soft_opt_in"])
facts_strategy = st.builds(
    RetentionFacts,
    relationship=st.sampled_from(list(Relationship)),
    collected_on=dates,
    relationship_start=st.none() | dates,
    relationship_end=st.none() | dates,
    last_interaction=st.none() | dates,
    marketing=st.lists(
        st.builds(MarketingPermission, marketing_codes, st.none() | dates), max_size=3
    ).map(tuple),
    holds=st.lists(st.builds(Hold, st.just("reason"), dates), max_size=3).map(tuple),
)
shift = st.integers(min_value=0, max_value=4000).map(dt.timedelta)


@given(facts_strategy, shift)
def test_a_later_relationship_end_never_shortens(
    facts: RetentionFacts, later: dt.timedelta
) -> None:
    if facts.relationship_end is None:
        return
    moved = dataclasses.replace(facts, relationship_end=facts.relationship_end + later)
    assert keep_until(moved).date >= keep_until(facts).date


@given(facts_strategy, shift)
def test_a_later_interaction_never_shortens(facts: RetentionFacts, later: dt.timedelta) -> None:
    base = facts.last_interaction or facts.collected_on
    moved = dataclasses.replace(facts, last_interaction=base + later)
    assert keep_until(moved).date >= keep_until(facts).date


@given(facts_strategy, shift)
def test_a_later_collection_never_shortens(facts: RetentionFacts, later: dt.timedelta) -> None:
    moved = dataclasses.replace(facts, collected_on=facts.collected_on + later)
    assert keep_until(moved).date >= keep_until(facts).date


@given(facts_strategy, shift)
def test_a_later_withdrawal_never_shortens(facts: RetentionFacts, later: dt.timedelta) -> None:
    moved = dataclasses.replace(
        facts,
        marketing=tuple(
            dataclasses.replace(m, withdrawn_on=m.withdrawn_on + later) if m.withdrawn_on else m
            for m in facts.marketing
        ),
    )
    assert keep_until(moved).date >= keep_until(facts).date


@given(facts_strategy, st.lists(st.builds(Hold, st.just("dispute"), dates), min_size=1))
def test_holds_only_extend(facts: RetentionFacts, extra: list[Hold]) -> None:
    before = keep_until(facts).date
    after = keep_until(dataclasses.replace(facts, holds=facts.holds + tuple(extra)))
    assert after.date >= before
    assert after.date >= max(h.until for h in extra)
    assert keep_until(dataclasses.replace(facts, holds=())).date <= before


@pytest.mark.parametrize(
    ("today", "shown_in", "expired", "due"),
    [
        (dt.date(2026, 1, 14), None, 5, False),  # before the reminder date
        (dt.date(2026, 1, 15), None, 5, True),
        (dt.date(2026, 6, 1), 2025, 5, True),
        (dt.date(2026, 6, 1), 2026, 5, False),  # shown this year already
        (dt.date(2026, 6, 1), None, 0, False),  # nothing to clean: a new database
        (dt.date(2026, 6, 1), 2025, 0, False),
    ],
)
def test_the_cleanup_reminder_waits_for_its_date_and_for_something_to_clean(
    today: dt.date, shown_in: int | None, expired: int, due: bool
) -> None:
    from privacycrm_desktop.domain.retention import cleanup_reminder_due

    assert cleanup_reminder_due(today, (1, 15), shown_in, expired) is due


@given(st.dates(), st.one_of(st.none(), st.integers(1900, 2100)))
def test_no_cleanup_reminder_without_an_expired_contact(
    today: dt.date, shown_in: int | None
) -> None:
    from privacycrm_desktop.domain.retention import cleanup_reminder_due

    assert not cleanup_reminder_due(today, (1, 15), shown_in, 0)
