"""An import's tags: the tag names of its rows put on the contacts they became or merged
into, with the batch's source; a name no tag has yet makes a new tag (of the palette's
next colour). The link rows copy the contact's sort columns, as ``tag_queries.link`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Connection, func, insert, select

from privacycrm_desktop.domain.tags import PALETTE, tag_key
from privacycrm_desktop.persistence.models import Base, Contact, ContactTag, Tag
from privacycrm_desktop.persistence.tag_queries import COPIED

_T = Base.metadata.tables


def put_tags(
    conn: Connection,
    tagged: Sequence[tuple[int, Sequence[str]]],
    source_id: int,
    now: dt.datetime,
    user_id: int | None,
) -> None:
    """Put the named tags on the contacts (the batch's source with each), making the
    tags no tag's name matches yet; a contact keeps a tag it carries already."""
    wanted = [(cid, names) for cid, names in tagged if names]
    if not wanted:
        return
    keys = {tag_key(n): n for _cid, names in wanted for n in names}
    found = conn.execute(select(Tag.folded, Tag.id).where(Tag.folded.in_(list(keys))))
    ids = {str(key): int(tag_id) for key, tag_id in found}
    missing = [key for key in keys if key not in ids]
    if missing:
        used = int(conn.execute(select(func.count()).select_from(Tag)).scalar_one())
        conn.execute(
            insert(_T["tag"]),
            [
                {
                    "name": keys[key],
                    "folded": key,
                    "colour": PALETTE[(used + n) % len(PALETTE)],
                    "created_by": user_id,
                    "created_at": now,
                }
                for n, key in enumerate(missing)
            ],
        )
        made = conn.execute(select(Tag.folded, Tag.id).where(Tag.folded.in_(missing)))
        ids.update({str(key): int(tag_id) for key, tag_id in made})
    contact_ids = [cid for cid, _names in wanted]
    copied = [getattr(Contact, c) for c in COPIED]
    sorted_by = {
        int(row[0]): dict(zip(COPIED, row[1:], strict=True))
        for row in conn.execute(select(Contact.id, *copied).where(Contact.id.in_(contact_ids)))
    }
    carried = set(
        conn.execute(
            select(ContactTag.contact_id, ContactTag.tag_id).where(
                ContactTag.contact_id.in_(contact_ids)
            )
        ).tuples()
    )
    rows = []
    for cid, names in wanted:
        for tag_id in dict.fromkeys(ids[tag_key(n)] for n in names):
            if (cid, tag_id) not in carried:
                carried.add((cid, tag_id))
                rows.append(
                    {
                        "contact_id": cid,
                        "tag_id": tag_id,
                        "source_id": source_id,
                        "recorded_at": now,
                        "recorded_by": user_id,
                        **sorted_by.get(cid, dict.fromkeys(COPIED, "")),
                    }
                )
    if rows:
        conn.execute(insert(_T["contact_tag"]), rows)
