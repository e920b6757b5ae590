"""Joining the finder's groups (``domain.merges.join_groups``) against a plain search of
connected contacts, and parsing the rules of the settings."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from privacycrm_desktop.domain.merges import DEFAULT_RULES, DuplicateRule, join_groups, parse_rules

found_groups = st.lists(
    st.tuples(
        st.sampled_from(list(DuplicateRule)),
        st.lists(st.integers(1, 40), min_size=2, max_size=5, unique=True).map(sorted),
    ),
    max_size=25,
)


def _components(found: list[tuple[DuplicateRule, list[int]]]) -> dict[frozenset[int], set[str]]:
    sets = [(set(ids), {rule.value}) for rule, ids in found]
    merged = True
    while merged:
        merged = False
        for i in range(len(sets)):
            for j in range(i + 1, len(sets)):
                if sets[i][0] & sets[j][0]:
                    sets[i] = (sets[i][0] | sets[j][0], sets[i][1] | sets[j][1])
                    del sets[j]
                    merged = True
                    break
            if merged:
                break
    return {frozenset(ids): rules for ids, rules in sets}


@given(found_groups)
def test_groups_are_the_connected_contacts_with_every_rule_that_linked_them(
    found: list[tuple[DuplicateRule, list[int]]],
) -> None:
    joined = join_groups(found)
    assert {frozenset(g.contact_ids): {r.value for r in g.rules} for g in joined} == (
        _components(found)
    )
    assert [g.contact_ids[0] for g in joined] == sorted(g.contact_ids[0] for g in joined)
    assert all(list(g.contact_ids) == sorted(g.contact_ids) for g in joined)


def test_rules_of_the_settings() -> None:
    assert parse_rules("mobile, email,mobile") == (DuplicateRule.MOBILE, DuplicateRule.EMAIL)
    assert parse_rules("") == DEFAULT_RULES
    assert parse_rules("nonsense") == DEFAULT_RULES
