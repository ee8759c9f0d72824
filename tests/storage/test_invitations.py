"""Revocable invitations, the supplier joining or being removed in one transaction, and the chat
links the bot made: on SQLite and PostgreSQL, races included."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from flows.rules.lifecycle import Action, CaseState, DeadlineKind, Role
from storage import (
    Case,
    ChatLinkStatus,
    Conflict,
    Database,
    RevokeReason,
    TokenInvalid,
)
from tests.storage.factory import BUYER, STRANGER, SUPPLIER, deadline, filed_case

INVITE = "supplier_invite"
BIND = "group_bind"


async def awaiting(db: Database, now: datetime) -> Case:
    """A filed claim whose supplier was invited but has not joined yet."""
    case = await filed_case(db, now)
    return await db.cases.transition(
        case.id,
        Action.INVITE_SUPPLIER,
        BUYER,
        Role.BUYER,
        now,
        new_deadline=deadline(DeadlineKind.SUPPLIER_RESPONSE, now),
    )


def _later(now: datetime) -> datetime:
    return now + timedelta(days=7)


async def test_a_new_invitation_revokes_the_live_one_of_its_purpose_only(
    db: Database, now: datetime
) -> None:
    case = await awaiting(db, now)
    first = await db.tokens.create_replacing(case.id, INVITE, BUYER, now, _later(now))
    bind = await db.tokens.create(case.id, BIND, BUYER, now, _later(now))
    second = await db.tokens.create_replacing(case.id, INVITE, BUYER, now, _later(now))

    old = await db.tokens.get(first.token)
    assert old is not None and old.revoked_reason == RevokeReason.REPLACED
    assert old.revoked_at == now and not old.live(now)
    assert (await db.tokens.live(case.id, INVITE, now)) == second
    assert (await db.tokens.live(case.id, BIND, now)) == bind
    with pytest.raises(TokenInvalid) as info:
        await db.tokens.consume(first.token, SUPPLIER, now, INVITE)
    assert info.value.reason == "revoked"


async def test_two_invitations_at_once_leave_exactly_one_live(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case = await awaiting(db, now)
    made = await asyncio.gather(
        *(
            worker.tokens.create_replacing(case.id, INVITE, BUYER, now, _later(now))
            for worker in (db, other_worker) * 3
        )
    )
    live = [t for t in [await db.tokens.get(m.token) for m in made] if t and t.live(now)]
    assert len(live) == 1


async def test_revoke_applies_once_and_never_to_a_used_token(db: Database, now: datetime) -> None:
    case = await awaiting(db, now)
    token = await db.tokens.create(case.id, INVITE, BUYER, now, _later(now))
    revoked = await db.tokens.revoke(token.token, RevokeReason.DECLINED, now)
    assert revoked is not None and revoked.revoked_reason == RevokeReason.DECLINED
    assert await db.tokens.revoke(token.token, RevokeReason.REPLACED, now) is None
    assert (await db.tokens.get(token.token)) == revoked  # the first reason stays

    used = await db.tokens.create(case.id, BIND, BUYER, now, _later(now))
    await db.tokens.consume(used.token, BUYER, now, BIND)
    assert await db.tokens.revoke(used.token, RevokeReason.CLOSED, now) is None
    with pytest.raises(ValueError, match="revoke reason"):
        await db.tokens.revoke(used.token, "bored", now)


async def test_closing_a_case_revokes_its_unused_tokens_in_the_same_transaction(
    db: Database, now: datetime
) -> None:
    case = await awaiting(db, now)
    invite = await db.tokens.create(case.id, INVITE, BUYER, now, _later(now))
    bind = await db.tokens.create(case.id, BIND, BUYER, now, _later(now))
    await db.tokens.consume(bind.token, BUYER, now, BIND)
    await db.cases.transition(case.id, Action.WITHDRAW, BUYER, Role.BUYER, now)

    closed = await db.tokens.get(invite.token)
    assert closed is not None and closed.revoked_reason == RevokeReason.CLOSED
    used = await db.tokens.get(bind.token)
    assert used is not None and used.revoked_at is None and used.used_by == BUYER


async def test_join_consumes_the_token_and_sets_the_supplier_together(
    db: Database, now: datetime
) -> None:
    case = await awaiting(db, now)
    other = await db.tokens.create(case.id, INVITE, BUYER, now, _later(now))
    token = await db.tokens.create(case.id, INVITE, BUYER, now, _later(now))

    joined = await db.suppliers.join(case.id, token.token, SUPPLIER, now, INVITE)
    assert joined.supplier_id == SUPPLIER and joined.state is CaseState.AWAITING_SUPPLIER
    used = await db.tokens.get(token.token)
    assert used is not None and used.used_by == SUPPLIER
    spare = await db.tokens.get(other.token)  # one supplier: no other invitation stays live
    assert spare is not None and spare.revoked_reason == RevokeReason.REPLACED
    assert await db.suppliers.join(case.id, token.token, SUPPLIER, now, INVITE) == joined
    kinds = [e.kind for e in await db.history.list(case.id)]
    assert kinds.count("case.supplier_joined") == 1


async def test_join_refused_changes_nothing(db: Database, now: datetime) -> None:
    case = await awaiting(db, now)
    token = await db.tokens.create(case.id, INVITE, BUYER, now, _later(now))
    second = await db.tokens.create(case.id, INVITE, BUYER, now, _later(now))
    with pytest.raises(Conflict):
        await db.suppliers.join(case.id, token.token, BUYER, now, INVITE)
    with pytest.raises(TokenInvalid) as info:
        await db.suppliers.join(case.id, "nope", SUPPLIER, now, INVITE)
    assert info.value.reason == "unknown"
    stored = await db.cases.get(case.id)
    assert stored is not None and stored.supplier_id is None
    await db.suppliers.join(case.id, token.token, SUPPLIER, now, INVITE)
    with pytest.raises(Conflict):  # the case has its supplier: no token is spent
        await db.suppliers.join(case.id, second.token, STRANGER, now, INVITE)
    unspent = await db.tokens.get(second.token)
    assert unspent is not None and unspent.used_by is None
    stored = await db.cases.get(case.id)
    assert stored is not None and stored.supplier_id == SUPPLIER


async def test_two_people_joining_at_once_one_wins(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case = await awaiting(db, now)
    token = await db.tokens.create(case.id, INVITE, BUYER, now, _later(now))
    results = await asyncio.gather(
        db.suppliers.join(case.id, token.token, SUPPLIER, now, INVITE),
        other_worker.suppliers.join(case.id, token.token, STRANGER, now, INVITE),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, Case)]
    assert len(winners) == 1
    assert all(isinstance(r, Conflict | TokenInvalid) for r in results if r not in winners)
    stored = await db.cases.get(case.id)
    assert stored is not None and stored.supplier_id == winners[0].supplier_id


async def test_remove_the_supplier_before_they_answer(db: Database, now: datetime) -> None:
    case = await awaiting(db, now)
    token = await db.tokens.create(case.id, INVITE, BUYER, now, _later(now))
    joined = await db.suppliers.join(case.id, token.token, SUPPLIER, now, INVITE)
    await db.inputs.put(SUPPLIER, SUPPLIER, "contest", case.id, "statement", {}, now)
    await db.inputs.put(BUYER, BUYER, "proposal", case.id, "terms", {}, now)

    with pytest.raises(Conflict):  # only the buyer
        await db.suppliers.remove(case.id, SUPPLIER, STRANGER, now)
    removed = await db.suppliers.remove(case.id, SUPPLIER, BUYER, now)
    assert removed.supplier_id is None and removed.state is CaseState.AWAITING_SUPPLIER
    assert removed.version == joined.version + 1
    assert await db.inputs.get(SUPPLIER, SUPPLIER) is None
    assert await db.inputs.get(BUYER, BUYER) is not None
    with pytest.raises(Conflict):  # a second press
        await db.suppliers.remove(case.id, SUPPLIER, BUYER, now)
    events = await db.history.list(case.id)
    assert [e.payload for e in events if e.kind == "case.supplier_removed"] == [
        {"supplier_id": SUPPLIER}
    ]
    assert await db.cases.role_of(case.id, SUPPLIER) is None


async def test_a_supplier_who_answered_cannot_be_removed(db: Database, now: datetime) -> None:
    case = await awaiting(db, now)
    token = await db.tokens.create(case.id, INVITE, BUYER, now, _later(now))
    await db.suppliers.join(case.id, token.token, SUPPLIER, now, INVITE)
    await db.cases.transition(
        case.id,
        Action.SUPPLIER_RESPOND,
        SUPPLIER,
        Role.SUPPLIER,
        now,
        new_deadline=deadline(DeadlineKind.NEGOTIATION, now),
    )
    with pytest.raises(Conflict):
        await db.suppliers.remove(case.id, SUPPLIER, BUYER, now)
    stored = await db.cases.get(case.id)
    assert stored is not None and stored.supplier_id == SUPPLIER


async def test_chat_links_live_used_revoked(db: Database, now: datetime) -> None:
    case = await awaiting(db, now)
    expires = now + timedelta(hours=24)
    first = await db.chat_links.add(case.id, -100, SUPPLIER, "https://t.me/+a", now, expires)
    second = await db.chat_links.add(case.id, -100, BUYER, "https://t.me/+b", now, expires)
    assert first.status == ChatLinkStatus.LIVE
    assert await db.chat_links.live(case.id, now) == [first, second]
    assert await db.chat_links.live(case.id, now, user_id=SUPPLIER) == [first]
    assert await db.chat_links.live(case.id, expires) == []  # expired ones are dead anyway

    used = await db.chat_links.mark_used(-100, "https://t.me/+a", STRANGER, now)
    assert used is not None and (used.status, used.used_by) == (ChatLinkStatus.USED, STRANGER)
    assert await db.chat_links.mark_used(-100, "https://t.me/+a", STRANGER, now) is None
    assert await db.chat_links.mark_used(-999, "https://t.me/+b", BUYER, now) is None
    assert await db.chat_links.mark_revoked("https://t.me/+a", now) is None
    revoked = await db.chat_links.mark_revoked("https://t.me/+b", now)
    assert revoked is not None and revoked.status == ChatLinkStatus.REVOKED
    assert await db.chat_links.live(case.id, now) == []
    assert [link.status for link in await db.chat_links.list(case.id)] == ["used", "revoked"]
