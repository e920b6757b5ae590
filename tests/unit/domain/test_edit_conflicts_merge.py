"""The three-way merge of two people's edits, for any three versions of a contact."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.edit_conflicts import (
    CONFLICT_FIELDS,
    Choice,
    ConflictDetail,
    resolve,
    three_way,
)

#: Text fields the three versions vary; few values, so sides often agree or collide.
FIELDS = ("first_name", "last_name", "organisation", "city", "notes")
values = st.sampled_from(["", "a", "b", "c"])
versions = st.fixed_dictionaries({name: values for name in FIELDS}).map(lambda v: ContactInput(**v))
writables = st.sets(st.sampled_from(FIELDS))


@given(base=versions, theirs=versions, mine=versions, writable=writables)
def test_each_writable_field_is_merged_by_who_changed_it(
    base: ContactInput, theirs: ContactInput, mine: ContactInput, writable: set[str]
) -> None:
    conflicts, merged, taken = three_way(base, theirs, mine, writable)
    conflicting = {c.field for c in conflicts}
    for name in FIELDS:
        b, t, m = (getattr(x, name) for x in (base, theirs, mine))
        if name not in writable:
            assert name not in conflicting
            assert getattr(merged, name) == m
            assert name not in taken
        elif t in (m, b):  # the same, or only I changed it: mine
            assert name not in conflicting
            assert getattr(merged, name) == m
        elif m == b:  # only they changed it: theirs, said to the user
            assert name not in conflicting
            assert getattr(merged, name) == t
            assert name in taken
        else:  # both changed it, differently: the user chooses
            assert name in conflicting
            assert getattr(merged, name) == m
    for conflict in conflicts:
        assert (conflict.base, conflict.theirs, conflict.mine) == tuple(
            getattr(x, conflict.field) for x in (base, theirs, mine)
        )


@given(base=versions, theirs=versions, mine=versions, writable=writables)
def test_who_saved_first_does_not_change_what_conflicts(
    base: ContactInput, theirs: ContactInput, mine: ContactInput, writable: set[str]
) -> None:
    one, _, _ = three_way(base, theirs, mine, writable)
    other, _, _ = three_way(base, mine, theirs, writable)
    assert {c.field for c in one} == {c.field for c in other}


@given(theirs=versions, mine=versions, writable=writables)
def test_without_the_loaded_version_every_difference_is_asked(
    theirs: ContactInput, mine: ContactInput, writable: set[str]
) -> None:
    conflicts, merged, taken = three_way(None, theirs, mine, writable)
    differing = {n for n in writable if getattr(theirs, n) != getattr(mine, n)}
    assert {c.field for c in conflicts} == differing
    assert merged == mine
    assert taken == ()


@given(base=versions, theirs=versions, mine=versions, writable=writables, pick=st.data())
def test_the_choices_decide_each_conflicting_field_and_nothing_else(
    base: ContactInput,
    theirs: ContactInput,
    mine: ContactInput,
    writable: set[str],
    pick: st.DataObject,
) -> None:
    conflicts, merged, taken = three_way(base, theirs, mine, writable)
    detail = ConflictDetail(1, 2, conflicts, theirs, merged, taken)
    choices = {c.field: pick.draw(st.sampled_from(list(Choice))) for c in conflicts}
    saved = resolve(detail, choices)
    for name in CONFLICT_FIELDS:
        chosen = choices.get(name)
        if chosen is None:
            assert getattr(saved, name) == getattr(merged, name)
        else:
            side = theirs if chosen is Choice.THEIRS else mine
            assert getattr(saved, name) == getattr(side, name)
    if not conflicts:
        assert saved == merged
    everything_theirs = resolve(detail, dict.fromkeys(choices, Choice.THEIRS))
    for name in writable:
        if getattr(theirs, name) != getattr(base, name):
            assert getattr(everything_theirs, name) == getattr(theirs, name)
