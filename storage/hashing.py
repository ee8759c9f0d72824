"""The history hash chain: canonical JSON and the hash of one event.

hash = sha256(prev_hash + canonical_json({case_id, seq, actor_id, actor_role, kind, payload,
created_at})) as lowercase hex; the first event of a case chains to 64 zeros. Anyone holding a
case file can recompute the chain with these two functions and nothing else.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from storage.types import json_default, to_utc

__all__ = ["GENESIS_HASH", "canonical_json", "event_hash"]

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 text, Decimal/datetime as strings."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=json_default,
    )


def event_hash(
    prev_hash: str,
    *,
    case_id: int,
    seq: int,
    actor_id: int | None,
    actor_role: str,
    kind: str,
    payload: dict[str, Any],
    created_at: datetime,
) -> str:
    """The hash of one history event chained to `prev_hash`."""
    body = canonical_json(
        {
            "case_id": case_id,
            "seq": seq,
            "actor_id": actor_id,
            "actor_role": str(actor_role),
            "kind": kind,
            "payload": payload,
            "created_at": to_utc(created_at).isoformat(),
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()
