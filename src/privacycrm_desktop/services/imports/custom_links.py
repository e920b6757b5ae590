"""An import's custom-field values (a column mapped to ``field:KEY``): each value of a row
stored for the contact it became or merged into, with the batch's source. A value that
does not fit its field (a word in a number field) is left out, like a tag a name cannot
make; a contact an import merges into keeps the values it has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.custom_fields import parse_value
from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.persistence.custom_field_models import (
    CustomValue,
    field_ids,
    load_definitions,
)


def put_custom(
    conn: Connection,
    values: Sequence[tuple[int, Mapping[str, str]]],
    source_id: int,
    now: dt.datetime,
    user_id: int | None,
) -> int:
    """Store the rows' custom values for their contacts; returns how many were left out."""
    wanted = [(cid, raw) for cid, raw in values if raw]
    if not wanted:
        return 0
    with Session(bind=conn) as session:  # reads only, on the import's connection
        definitions = {d.key: d for d in load_definitions(session)}
        ids = field_ids(session)
    contact_ids = [cid for cid, _raw in wanted]
    present = set(
        conn.execute(
            select(CustomValue.contact_id, CustomValue.field_id).where(
                CustomValue.contact_id.in_(contact_ids)
            )
        ).tuples()
    )
    rows, left_out = [], 0
    for cid, raw in wanted:
        for key, text in raw.items():
            definition = definitions.get(key)
            if definition is None:
                left_out += 1
                continue
            try:
                value = parse_value(definition, text)
            except ValidationFailed:
                left_out += 1
                continue
            if not value or (cid, ids[key]) in present:
                continue
            present.add((cid, ids[key]))
            rows.append(
                {
                    "contact_id": cid,
                    "field_id": ids[key],
                    "value": value,
                    "source_id": source_id,
                    "recorded_at": now,
                    "recorded_by": user_id,
                }
            )
    if rows:
        conn.execute(insert(CustomValue), rows)
    return left_out
