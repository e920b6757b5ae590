"""The timeline's statements (services/activities.py): built once per shape, run with bound
parameters. Building a union of two index ranges (a person's own interactions and those
they took part in) cost more than running it: measured with bench/bench_activities.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Integer,
    bindparam,
    exists,
    literal,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import aliased

from privacycrm_desktop.persistence.activity_models import Activity, ActivityPerson
from privacycrm_desktop.persistence.models import Source, User

#: Whether others took part in the interaction of the row (one alias, made once: the
#: statement's cache key stays the same from call to call).
_OTHER = aliased(ActivityPerson)
_HAS_PEOPLE = exists().where(_OTHER.activity_id == Activity.id).correlate(Activity)


@dataclass(frozen=True)
class TimelineShape:
    """What a timeline statement looks like: whose rows ("contact": their own and those
    they took part in; "company"; "one": one interaction by id), with the details'
    columns, with a kind filter, after a cursor."""

    owner: str
    details: bool
    kinds: bool
    after: bool


_STATEMENTS: dict[TimelineShape, Any] = {}


def timeline_statement(shape: TimelineShape) -> Any:
    """The statement of *shape*, built once (bound parameters: owner, limit, kinds, at,
    last): building a union of two ranges costs more than running it."""
    found = _STATEMENTS.get(shape)
    if found is not None:
        return found
    # The hidden columns are never named: the server withholds them from the role.
    columns: list[Any] = [
        Activity.id,
        Activity.kind,
        Activity.occurred_at,
        Activity.summary,
        Activity.recorded_at,
        User.username,
        Source.kind,
        Source.description,
        Activity.contact_id,
        Activity.company_id,
    ]
    if shape.details:
        columns += [Activity.details, Activity.attachment_name]
    # Whether others took part (a probe of the links' primary key): their ids are read
    # only for the rows that have some.
    columns.append(_HAS_PEOPLE)
    common: list[ColumnElement[bool]] = []
    if shape.kinds:
        common.append(Activity.kind.in_(bindparam("kinds", expanding=True)))
    if shape.after:
        # A row value: one range of the index on SQLite and PostgreSQL alike (an OR of
        # two comparisons made SQLite walk the page's predecessors).
        cursor = tuple_(bindparam("at", type_=DateTime()), bindparam("last", type_=Integer()))
        common.append(tuple_(Activity.occurred_at, Activity.id) < cursor)
    owner = bindparam("owner", type_=Integer())
    branches: list[tuple[ColumnElement[bool], bool]] = [
        (
            {"contact": Activity.contact_id, "company": Activity.company_id}.get(
                shape.owner, Activity.id
            )
            == owner,
            False,
        )
    ]
    if shape.owner == "contact":
        # The interactions the person took part in: a second range (their links), in the
        # same statement, merged with their own newest first.
        branches.append((ActivityPerson.contact_id == owner, True))
    queries = []
    for condition, linked in branches:
        query = select(*columns, literal(linked, Boolean()).label("linked"))
        if linked:
            query = query.join(ActivityPerson, ActivityPerson.activity_id == Activity.id)
        queries.append(
            query.outerjoin(User, User.id == Activity.recorded_by)
            .outerjoin(Source, Source.id == Activity.source_id)
            .where(condition, *common)
            .order_by(Activity.occurred_at.desc(), Activity.id.desc())
            .limit(bindparam("limit", type_=Integer()))
        )
    statement = (
        queries[0] if len(queries) == 1 else union_all(*(q.subquery().select() for q in queries))
    )
    _STATEMENTS[shape] = statement
    return statement
