"""What the pass after an update reads (issue 11, part 3): each recorded message names its case
(migration 0016), the update notes the cases its writes touched, and `scoped` returns only the
messages that update could have made stale; the first look reads the ledger check, the sender
and their pending input together."""

from __future__ import annotations

from datetime import datetime, timedelta

from flows.rules.lifecycle import Action, Role
from storage import Database, HandledUpdate, handling
from tests.storage.factory import BUYER, STRANGER, SUPPLIER, draft_case, filed_case

BOT = 123456
ACCEPT = [[("Accept", "pp:1:a"), ("Reject", "pp:1:r")]]


async def test_scoped_reads_the_messages_of_the_cases_users_and_chats(
    db: Database, now: datetime
) -> None:
    mine = await filed_case(db, now)
    other = await draft_case(db, now)  # also the buyer's: found through the buyer
    await db.buttons.record(-100, 1, ACCEPT, now, case_id=mine.id)
    await db.buttons.record(BUYER, 2, ACCEPT, now, case_id=other.id)
    await db.buttons.record(SUPPLIER, 3, ACCEPT, now, case_id=999)  # a case of nobody here
    await db.buttons.record(SUPPLIER, 4, ACCEPT, now)  # recorded before its case was
    await db.buttons.record(STRANGER, 5, ACCEPT, now, case_id=999)

    def ids(messages: list[object]) -> list[int]:
        return [m.message_id for m in messages]  # type: ignore[attr-defined]

    assert ids(await db.buttons.scoped({mine.id}, set(), set())) == [1, 4]
    assert ids(await db.buttons.scoped(set(), {BUYER}, set())) == [1, 2, 4]
    assert ids(await db.buttons.scoped(set(), set(), {STRANGER})) == [4, 5]
    assert ids(await db.buttons.scoped({999}, set(), set())) == [3, 4, 5]
    assert len(await db.buttons.all()) == 5


async def test_an_edit_whose_case_is_not_known_keeps_the_recorded_case(
    db: Database, now: datetime
) -> None:
    case = await filed_case(db, now)
    await db.buttons.record(-100, 1, ACCEPT, now, case_id=case.id)
    await db.buttons.record(-100, 1, [[("Reject", "pp:1:r")]], now)  # an edit: case unknown
    assert [m.message_id for m in await db.buttons.scoped({case.id}, set(), set())] == [1]
    assert await db.buttons.scoped({case.id + 1}, set(), set()) == []


async def test_the_writes_of_an_update_note_the_cases_they_touch(
    db: Database, now: datetime
) -> None:
    case = await filed_case(db, now)
    entry = HandledUpdate(BOT, 1, now)
    with handling(entry):
        await db.users.upsert(BUYER, "Bea B", "bea_buyer", "en", now)  # no case
        await db.buttons.record(BUYER, 7, ACCEPT, now, case_id=case.id)  # bookkeeping
    assert entry.cases == set()

    entry = HandledUpdate(BOT, 2, now)
    with handling(entry):  # a transition
        await db.cases.transition(case.id, Action.WITHDRAW, BUYER, Role.BUYER, now)
    assert entry.cases == {case.id}

    other = await filed_case(db, now)
    entry = HandledUpdate(BOT, 3, now)
    with handling(entry):  # a pending input saved, then cleared
        await db.inputs.put(BUYER, BUYER, "builder", other.id, "s", {}, now)
    assert entry.cases == {other.id}
    entry = HandledUpdate(BOT, 4, now)
    with handling(entry):
        await db.inputs.clear(BUYER, BUYER)
    assert entry.cases == {other.id}

    token = await db.tokens.create(other.id, "supplier_invite", BUYER, now, now + timedelta(1))
    entry = HandledUpdate(BOT, 5, now)
    with handling(entry):  # a token revoked
        await db.tokens.revoke(token.token, "replaced", now)
    assert entry.cases == {other.id}


async def test_the_first_look_reads_the_ledger_the_sender_and_their_pending_input(
    db: Database, now: datetime
) -> None:
    case = await filed_case(db, now)
    await db.inputs.put(BUYER, BUYER, "builder", case.id, "s", {"a": 1}, now)
    found = await db.updates.first_look(BOT, 10, BUYER, BUYER)
    assert found is not None
    assert found.user is not None and found.user.first_name == "Bea"
    assert found.pending is not None and found.pending.case_id == case.id
    found = await db.updates.first_look(BOT, 10, 424242, 424242)  # never seen
    assert found is not None and found.user is None and found.pending is None
    with handling(HandledUpdate(BOT, 10, now)):  # the update's effect records it
        await db.inputs.clear(BUYER, BUYER)
    assert await db.updates.first_look(BOT, 10, BUYER, BUYER) is None  # handled before
    assert await db.updates.first_look(BOT, 10, None, None) is None  # no sender: the check only
    found = await db.updates.first_look(BOT, 11, None, None)
    assert found is not None and found.user is None and found.pending is None
    found = await db.updates.first_look(BOT, 11, BUYER, None)  # no chat: no pending input
    assert found is not None and found.user is not None and found.pending is None
    found = await db.updates.first_look(BOT, 11, BUYER, 777)  # another chat's input is not it
    assert found is not None and found.user is not None and found.pending is None


async def test_in_the_private_chat_the_first_look_also_reads_the_claim_in_progress(
    db: Database, now: datetime
) -> None:
    """What `active_draft_for` reads (the newest draft with its form), read with the ledger
    check in the sender's private chat only."""
    assert (await db.updates.first_look(BOT, 20, BUYER, BUYER)).draft is None  # type: ignore[union-attr]
    await filed_case(db, now)  # filed: no longer in progress
    older = await draft_case(db, now)
    newer = await draft_case(db, now + timedelta(minutes=1))
    expected = await db.cases.active_draft_for(BUYER)
    assert expected is not None and expected[0].id == newer.id != older.id
    found = await db.updates.first_look(BOT, 21, BUYER, BUYER)
    assert found is not None and found.draft == expected
    assert found.user is not None and found.user.id == BUYER
    group = await db.updates.first_look(BOT, 21, BUYER, -100123)  # not read in a group
    assert group is not None and group.draft is None and group.user is not None
    others = await db.updates.first_look(BOT, 21, SUPPLIER, SUPPLIER)  # someone else's: none
    assert others is not None and others.draft is None
    await db.drafts.delete(newer.id)  # a draft case without its form is not in progress
    found = await db.updates.first_look(BOT, 22, BUYER, BUYER)
    assert found is not None and found.draft is not None and found.draft[0].id == older.id
    assert found.draft == await db.cases.active_draft_for(BUYER)
