"""Every action is checked on the server, whatever the client sends.

A stranger (no party to any case), a party of another case, and the other party of the same
case forge button presses (callback data a modified client can send for any id) and send
commands naming a case that is not theirs. Each gets a refusal in their own language that
reveals nothing (the same words as for a case that does not exist), and nothing changes: not
the case, its proposals, obligations, bidding, deadlines or history, and nobody of the case
hears of it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.demo import SCRIPTS, file_claim
from bot.demo_dispute import accept_proposal, counter_propose_partial_refund
from bot.sandbox import CallbackAnswer, Sandbox, SandboxUser
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, eventually, press_data, translator
from tests.e2e.dispute_steps import Case, accept_request, open_case, saying, showing


async def forge(user: SandboxUser, data: str) -> CallbackAnswer:
    """Press a button carrying `data` on the newest bot message of the user's private chat."""
    newest = user.private_chat.bot_messages()[-1]
    return await press_data(user, newest.message_id, data)


async def reply_to(user: SandboxUser, text: str) -> str:
    """Send `text` in the private chat; the bot's one answer."""
    chat = user.private_chat
    before = len(chat.bot_messages())
    await user.send(text)
    await user.sandbox.wait_until(lambda: len(chat.bot_messages()) > before)
    return user.sandbox.entry(chat.bot_messages()[before]).text


@dataclass(frozen=True)
class Snapshot:
    state: CaseState
    version: int
    proposals: list[tuple[int, str]]
    obligations: list[tuple[int, str]]
    bidding: Any
    deadlines: list[tuple[int, str]]
    events: int
    messages: dict[int, int]  # bot messages in each chat of the case


async def snapshot(bot: BotHarness, case: Case) -> Snapshot:
    db = bot.services.db
    stored = await db.cases.get(case.case_id)
    assert stored is not None
    return Snapshot(
        stored.state,
        stored.version,
        [(p.id, p.status) for p in await db.proposals.list(case.case_id)],
        [(o.id, o.status) for o in await db.obligations.list(case.case_id)],
        await db.bids.get(case.case_id),
        [(d.id, d.status) for d in await db.deadlines.pending_for_case(case.case_id)],
        len(await db.history.list(case.case_id)),
        {
            chat.id: len(chat.bot_messages())
            for chat in (case.group, case.buyer.private_chat, case.supplier.private_chat)
        },
    )


async def delivered(bot: BotHarness) -> None:
    """Wait until the outbox has nothing left to send, so a snapshot counts settled chats."""

    async def drained() -> bool:
        return await bot.services.db.outbox.open_count() == 0

    await eventually(drained, within=30)


async def test_outsiders_and_parties_of_another_case_are_refused_and_change_nothing(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    # Case A: in negotiation, with the supplier's open proposal P1.
    a = await open_case(bot, sandbox, catalogs, clock)
    await counter_propose_partial_refund(a.supplier, a.str_, "800")
    await a.buyer.wait_for(showing(a.btr.t("button.accept")))
    [proposal] = await bot.services.db.proposals.list(a.case_id)
    # Case B: settled on the claim, with the supplier's refund O1 pending.
    b = await open_case(bot, sandbox, catalogs, clock, buyer_name="Bob", supplier_name="李伟")
    await accept_request(b.supplier, b.str_)
    await b.supplier.wait_for(showing(b.str_.t("button.mark_done", number="O1")))
    [duty] = await bot.services.db.obligations.list(b.case_id)
    eve = sandbox.user("Eve", language_code="en")
    await reply_to(eve, "/start")
    await delivered(bot)  # the settlement's record head follows its news: all of it is out

    before_a, before_b = await snapshot(bot, a), await snapshot(bot, b)
    assert before_a.state is CaseState.NEGOTIATION and before_b.state is CaseState.SETTLED

    against_a = [
        f"pp:{proposal.id}:a",
        f"pp:{proposal.id}:r",
        f"pp:{proposal.id}:c",
        f"sa:{a.case_id}:a",
        f"sa:{a.case_id}:x",
        f"wd:{a.case_id}:y",
        f"bb:{a.case_id}:in",
        f"bm:{a.case_id}:1:y",
        f"inv:{a.case_id}",
        f"cl:{a.case_id}",
        f"rs:{a.case_id}:{a.supplier.id}:a",
        f"rs:{a.case_id}:{a.supplier.id}:y",
    ]
    against_b = [f"ob:{duty.id}:d", f"ob:{duty.id}:n", f"ob:{duty.id}:c", f"ob:{duty.id}:x"]
    for user, datas in (
        (eve, against_a + against_b),
        (b.buyer, against_a),
        (b.supplier, against_a),
        (a.buyer, against_b),
        (a.supplier, against_b),
    ):
        refusal = translator(catalogs, user).t("callback.unavailable")
        for data in datas:
            answer = await forge(user, data)
            assert (data, answer.text) == (data, refusal), user
            assert answer.show_alert

    assert await snapshot(bot, a) == before_a
    assert await snapshot(bot, b) == before_b

    # Commands naming a case that is not theirs: the answer for a case that does not exist.
    commands = ("/case", "/propose", "/withdraw", "/blindbid", "/mediator")
    for user in (eve, b.buyer, b.supplier):
        tr = translator(catalogs, user)
        missing = tr.t("case.not_found", number="#999")
        assert await reply_to(user, "/case 999") == missing
        for command in commands:
            text = await reply_to(user, f"{command} {a.case_id}")
            assert (command, text) == (command, tr.t("case.not_found", number=a.number))

    assert await snapshot(bot, a) == before_a
    # Case B's parties read only the answers to their own commands.
    answers = {b.buyer.id: 1 + len(commands), b.supplier.id: 1 + len(commands)}
    expected = {chat: n + answers.get(chat, 0) for chat, n in before_b.messages.items()}
    assert await snapshot(bot, b) == replace(before_b, messages=expected)
    # Nobody outside the case started anything either.
    for user in (eve, b.buyer, b.supplier):
        assert await bot.services.db.inputs.get(user.id, user.id) is None


async def test_a_party_cannot_act_in_the_other_partys_place(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    unavailable_b, unavailable_s = btr.t("callback.unavailable"), str_.t("callback.unavailable")

    # Only the supplier answers the claim; only the buyer invites, replaces the supplier and
    # withdraws.
    await delivered(bot)
    before = await snapshot(bot, case)
    assert (await forge(case.buyer, f"sa:{case.case_id}:a")).text == unavailable_b
    assert (await forge(case.buyer, f"sa:{case.case_id}:c")).text == unavailable_b
    assert (await forge(case.supplier, f"wd:{case.case_id}:y")).text == unavailable_s
    assert (await forge(case.supplier, f"inv:{case.case_id}")).text == unavailable_s
    replace_self = f"rs:{case.case_id}:{case.supplier.id}:y"
    assert (await forge(case.supplier, replace_self)).text == unavailable_s
    assert await snapshot(bot, case) == before
    assert before.state is CaseState.AWAITING_SUPPLIER

    # The supplier cannot accept their own proposal, in the private chat or the group.
    await counter_propose_partial_refund(case.supplier, str_, "800")
    await case.buyer.wait_for(showing(btr.t("button.accept")))
    [proposal] = await bot.services.db.proposals.list(case.case_id)
    await delivered(bot)
    before = await snapshot(bot, case)
    own = await forge(case.supplier, f"pp:{proposal.id}:a")
    assert own.text == str_.t("proposal.not_yours_to_decide")
    in_group = await case.supplier.press(case.both("button.accept"), chat=case.group)
    assert in_group.text == str_.t("proposal.not_yours_to_decide")
    assert await snapshot(bot, case) == before

    # The buyer accepts: O1 is the supplier's refund.
    await accept_proposal(case.buyer, btr, "P1")
    await case.supplier.wait_for(showing(str_.t("button.mark_done", number="O1")))
    [duty] = await bot.services.db.obligations.list(case.case_id)
    before = await snapshot(bot, case)
    assert before.state is CaseState.SETTLED
    # The obligated party cannot confirm (or dispute) their own obligation ...
    for action in ("c", "x"):
        answer = await forge(case.supplier, f"ob:{duty.id}:{action}")
        assert answer.text == str_.t("obligation.not_yours")
    # ... and the other party cannot mark it done for them.
    for action in ("d", "n"):
        answer = await forge(case.buyer, f"ob:{duty.id}:{action}")
        assert answer.text == btr.t("obligation.not_yours")
    assert await snapshot(bot, case) == before

    # The rightful presses still work: the supplier marks it done, the buyer confirms.
    await case.supplier.press(str_.t("button.mark_done", number="O1"))
    await case.supplier.wait_for(showing(str_.t("button.no_proof")))
    await case.supplier.press(str_.t("button.no_proof"))
    await case.buyer.wait_for(showing(btr.t("button.confirm_done")))
    await case.buyer.press(btr.t("button.confirm_done"))
    await case.buyer.wait_for(saying(btr.t("case.closed_fulfilled", number=case.number)))


async def test_a_forged_builder_press_gets_the_same_refusal_as_other_buttons(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    await file_claim(buyer, translator(catalogs, buyer), SCRIPTS["en"], clock)
    [case] = await bot.services.db.cases.list_for_user(buyer.id)
    eve = sandbox.user("Eve", language_code="en")
    await reply_to(eve, "/start")

    answer = await forge(eve, f"pb:{case.id}:send")
    assert await bot.services.db.proposals.list(case.id) == []
    assert answer.text == translator(catalogs, eve).t("callback.unavailable")
