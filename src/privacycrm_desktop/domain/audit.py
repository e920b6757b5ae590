"""The audit chain: each event carries the hash of the one before (tamper evidence)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    """What an audit row says. Never a personal value: ids, action names, counts."""

    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: str
    #: The row's own id, so that renumbering or reordering rows breaks the chain too.
    event_id: str = ""


def chain_hash(previous_hash: str, record: AuditRecord) -> str:
    """SHA-256 over the previous hash and a canonical encoding of the record."""
    payload = json.dumps(
        [
            previous_hash,
            record.at,
            record.actor,
            record.action,
            record.entity,
            record.entity_id,
            record.detail,
            record.event_id,
        ],
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()
