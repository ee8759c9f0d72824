"""Invitation tokens: opaque, deep-link safe, single use, expiring, purpose-bound."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

import pytest

from storage import Database, TokenInvalid
from tests.storage.factory import BUYER, STRANGER, SUPPLIER, draft_case

DEEP_LINK = re.compile(r"[A-Za-z0-9_-]{1,64}")


async def test_created_token_is_deep_link_safe_and_readable(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    tokens = {
        (await db.tokens.create(case.id, "supplier_invite", BUYER, now, now + timedelta(days=3)))
        for _ in range(5)
    }
    assert len({t.token for t in tokens}) == 5
    for token in tokens:
        assert DEEP_LINK.fullmatch(token.token) and len(token.token) == 32
        assert await db.tokens.get(token.token) == token
        assert token.used_by is None and token.used_at is None


async def test_consume_once(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    token = await db.tokens.create(case.id, "supplier_invite", BUYER, now, now + timedelta(days=3))
    used = await db.tokens.consume(
        token.token, SUPPLIER, now + timedelta(hours=1), "supplier_invite"
    )
    assert (used.used_by, used.used_at) == (SUPPLIER, now + timedelta(hours=1))
    with pytest.raises(TokenInvalid) as info:
        await db.tokens.consume(token.token, STRANGER, now + timedelta(hours=2), "supplier_invite")
    assert info.value.reason == "used"


@pytest.mark.parametrize(
    ("token", "purpose", "after", "reason"),
    [
        ("nope", "supplier_invite", timedelta(0), "unknown"),
        (None, "group_bind", timedelta(0), "wrong_purpose"),
        (None, "supplier_invite", timedelta(days=3), "expired"),
    ],
)
async def test_consume_refusals(
    db: Database,
    now: datetime,
    token: str | None,
    purpose: str,
    after: timedelta,
    reason: str,
) -> None:
    case = await draft_case(db, now)
    made = await db.tokens.create(case.id, "supplier_invite", BUYER, now, now + timedelta(days=3))
    with pytest.raises(TokenInvalid) as info:
        await db.tokens.consume(token or made.token, SUPPLIER, now + after, purpose)
    assert info.value.reason == reason
    unchanged = await db.tokens.get(made.token)
    assert unchanged is not None and unchanged.used_by is None


async def test_concurrent_consumers_exactly_one_wins(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case = await draft_case(db, now)
    token = await db.tokens.create(case.id, "supplier_invite", BUYER, now, now + timedelta(days=1))
    results = await asyncio.gather(
        *(
            worker.tokens.consume(token.token, user, now, "supplier_invite")
            for worker, user in [(db, SUPPLIER), (other_worker, STRANGER)] * 3
        ),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, TokenInvalid)]
    assert len(winners) == 1
    assert len(losers) == 5 and {e.reason for e in losers} == {"used"}
